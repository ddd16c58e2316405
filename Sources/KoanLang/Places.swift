/// Assignable places: `x`, `a[i]`, `d[k]`, `t.0`, `m[i][j]`. A place is modified in
/// place, so `xs.append(x)` and `a[i] = v` do not copy the collection.
class Place {
    let span: Span
    init(span: Span) { self.span = span }
    func modify(_ rt: Runtime, _ f: Frame, _ body: (inout Value) throws -> Void) throws {
        throw KoanError.failure(.runtime, "internal error: not assignable", at: span)
    }
    /// The declared type of a variable place, to check assignments against.
    var declaredType: TypeAnn? { nil }
    /// Direct read and write for variable places (nil / unused for element places).
    func read(_ f: Frame) -> Value? { nil }
    func write(_ value: Value, _ f: Frame) {}
}

final class LocalPlace: Place {
    let local: LocalVar
    init(_ local: LocalVar, span: Span) { self.local = local; super.init(span: span) }
    override func modify(_ rt: Runtime, _ f: Frame, _ body: (inout Value) throws -> Void) throws {
        try local.modify(f, body)
    }
    override var declaredType: TypeAnn? { local.type }
    override func read(_ f: Frame) -> Value? { local.load(f) }
    override func write(_ value: Value, _ f: Frame) { local.assign(value, in: f) }
}

final class GlobalPlace: Place {
    let global: Global
    init(_ global: Global, span: Span) { self.global = global; super.init(span: span) }
    override func modify(_ rt: Runtime, _ f: Frame, _ body: (inout Value) throws -> Void) throws {
        guard var v = global.value else {
            throw KoanError.failure(.name, "use of '\(global.name)' before its declaration", at: span)
        }
        global.value = .void  // move out: the value is uniquely referenced while mutated
        defer { global.value = v }
        try body(&v)
    }
    override var declaredType: TypeAnn? { global.type }
    override func read(_ f: Frame) -> Value? { global.value }
    override func write(_ value: Value, _ f: Frame) { global.value = value }
}

/// `base[index]` as a place.
final class SubscriptPlace: Place {
    let base: Place
    let args: [ArgumentExpr]
    init(_ base: Place, _ args: [ArgumentExpr], span: Span) { self.base = base; self.args = args; super.init(span: span) }
    override func modify(_ rt: Runtime, _ f: Frame, _ body: (inout Value) throws -> Void) throws {
        let index = try evalArguments(args, rt, f)
        let span = self.span
        try base.modify(rt, f) { v in
            do { try Subscripts.set(&v, index, body) } catch { throw error.positioned(span) }
        }
    }
}

/// `a?` in an assignment or mutating call (`d["k"]?.append(x)`): nothing happens when nil.
final class OptionalPlace: Place {
    let base: Place
    init(_ base: Place, span: Span) { self.base = base; super.init(span: span) }
    override func modify(_ rt: Runtime, _ f: Frame, _ body: (inout Value) throws -> Void) throws {
        try base.modify(rt, f) { v in
            if v.isNil { return }
            try body(&v)
        }
    }
}

/// `t.0` or `t.label` as a place.
final class TupleElementPlace: Place {
    let base: Place
    let name: String
    init(_ base: Place, _ name: String, span: Span) { self.base = base; self.name = name; super.init(span: span) }
    override func modify(_ rt: Runtime, _ f: Frame, _ body: (inout Value) throws -> Void) throws {
        let name = self.name, span = self.span
        try base.modify(rt, f) { v in
            guard case .tuple(let t0) = v,
                  let i = Int(name).flatMap({ $0 < t0.elements.count ? $0 : nil }) ?? t0.index(ofLabel: name),
                  var t = v.takeTuple() else {
                if case .object = v {
                    var message = "cannot assign to property '\(name)' of a value of type '\(v.typeName)'"
                    if let hint = rt.registry.assignmentHints[name] { message += "; \(hint)" }
                    throw KoanError.failure(.type, message, at: span)
                }
                throw KoanError.failure(.type, "cannot assign to property: '\(name)' is not an element of value of type '\(v.typeName)'", at: span)
            }
            defer { v = .tuple(t) }
            try body(&t.elements[i])
        }
    }
}

/// Keeps a variable's scalar type: a `Double` variable assigned an `Int` stores a `Double`,
/// and an annotated variable is checked.
func assignmentValue(_ new: Value, old: Value, declared: TypeAnn?, span: Span) throws -> Value {
    if let t = declared {
        guard let v = t.convert(new) else {
            throw KoanError.failure(.type, "cannot assign value of type '\(new.typeName)' to type '\(t.name)'", at: span)
        }
        return v
    }
    if case .double = old, case .int(let i) = new { return .double(Double(i)) }
    return new
}

/// `place = value`
final class Assign: Stmt {
    let place: Place
    let value: Expr
    init(_ place: Place, _ value: Expr, span: Span) { self.place = place; self.value = value; super.init(span: span) }
    override func exec(_ rt: Runtime, _ f: Frame) throws -> Flow {
        let new = try value.eval(rt, f)
        let declared = place.declaredType, span = self.span
        try place.modify(rt, f) { v in v = try assignmentValue(new, old: v, declared: declared, span: span) }
        return .normal
    }
}

/// `place += value` and the other compound assignments.
final class CompoundAssign: Stmt {
    let place: Place
    let op: BinaryOp
    let value: Expr
    init(_ place: Place, _ op: BinaryOp, _ value: Expr, span: Span) {
        self.place = place; self.op = op; self.value = value; super.init(span: span)
    }
    override func exec(_ rt: Runtime, _ f: Frame) throws -> Flow {
        let rhs = try value.eval(rt, f)
        // Scalars in variables: read, compute, write (no closure, no move).
        if let old = place.read(f) {
            switch (old, rhs) {
            case (.int(let x), .int(let y)):
                do { place.write(try Arithmetic.ints(op, x, y), f) } catch { throw error.positioned(span) }
                return .normal
            case (.double(let x), .double), (.double(let x), .int):
                do { place.write(try Arithmetic.doubles(op, x, try rhs.asDouble(), old, rhs), f) } catch {
                    throw error.positioned(span)
                }
                return .normal
            default: break
            }
        }
        let op = self.op, span = self.span, declared = place.declaredType
        try place.modify(rt, f) { v in
            if op == .add, case .array(let ys) = rhs, var xs = v.takeArray() {
                xs.append(contentsOf: ys)
                v = .array(xs)
                return
            }
            let result: Value
            do { result = try Arithmetic.apply(op, v, rhs) } catch { throw error.positioned(span) }
            v = try assignmentValue(result, old: v, declared: declared, span: span)
        }
        return .normal
    }
}

/// `(a, b) = (b, a)`
final class TupleAssign: Stmt {
    let places: [Place?]
    let value: Expr
    init(_ places: [Place?], _ value: Expr, span: Span) { self.places = places; self.value = value; super.init(span: span) }
    override func exec(_ rt: Runtime, _ f: Frame) throws -> Flow {
        let v = try value.eval(rt, f)
        guard case .tuple(let t) = v, t.elements.count == places.count else {
            throw KoanError.failure(.type, "cannot assign value of type '\(v.typeName)' to a tuple of \(places.count) elements", at: span)
        }
        for (place, new) in zip(places, t.elements) {
            guard let place else { continue }
            let declared = place.declaredType, span = self.span
            try place.modify(rt, f) { old in old = try assignmentValue(new, old: old, declared: declared, span: span) }
        }
        return .normal
    }
}
