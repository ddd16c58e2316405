/// The lowered program: expression nodes. Each node is built once per cell by `Lowerer`
/// and evaluated any number of times; names are already resolved to slots or globals.
class Expr {
    let span: Span
    init(span: Span) { self.span = span }
    func eval(_ rt: Runtime, _ f: Frame) throws -> Value {
        throw KoanError.failure(.runtime, "internal error: unevaluable node", at: span)
    }
}

final class Literal: Expr {
    let value: Value
    init(_ value: Value, span: Span) { self.value = value; super.init(span: span) }
    override func eval(_ rt: Runtime, _ f: Frame) throws -> Value { value }
}

final class LocalRef: Expr {
    let local: LocalVar
    init(_ local: LocalVar, span: Span) { self.local = local; super.init(span: span) }
    override func eval(_ rt: Runtime, _ f: Frame) throws -> Value { local.load(f) }
}

final class GlobalRef: Expr {
    let global: Global
    init(_ global: Global, span: Span) { self.global = global; super.init(span: span) }
    override func eval(_ rt: Runtime, _ f: Frame) throws -> Value {
        if let v = global.value { return v }
        throw KoanError.failure(.name, "use of '\(global.name)' before its declaration", at: span)
    }
}

/// A string literal with interpolations: `"x = \(x)"`.
final class Interpolation: Expr {
    enum Part { case text(String), value(Expr) }
    let parts: [Part]
    init(_ parts: [Part], span: Span) { self.parts = parts; super.init(span: span) }
    override func eval(_ rt: Runtime, _ f: Frame) throws -> Value {
        var s = ""
        for part in parts {
            switch part {
            case .text(let t): s += t
            case .value(let e): s += try e.eval(rt, f).description
            }
        }
        return .string(s)
    }
}

final class ArrayLiteral: Expr {
    let elements: [Expr]
    init(_ elements: [Expr], span: Span) { self.elements = elements; super.init(span: span) }
    override func eval(_ rt: Runtime, _ f: Frame) throws -> Value {
        var out: [Value] = []
        out.reserveCapacity(elements.count)
        for e in elements { out.append(try e.eval(rt, f)) }
        return .array(out)
    }
}

final class DictLiteral: Expr {
    let pairs: [(Expr, Expr)]
    init(_ pairs: [(Expr, Expr)], span: Span) { self.pairs = pairs; super.init(span: span) }
    override func eval(_ rt: Runtime, _ f: Frame) throws -> Value {
        var d = OrderedDict()
        for (k, v) in pairs {
            let key = try k.eval(rt, f)
            if d[key] != nil {
                throw KoanError.failure(.key, "dictionary literal contains duplicate key \(key.debugDescription)", at: k.span)
            }
            d.set(key, try v.eval(rt, f))
        }
        return .dict(d)
    }
}

final class TupleLiteral: Expr {
    let elements: [Expr]
    let labels: [String]?
    init(_ elements: [Expr], labels: [String]?, span: Span) {
        self.elements = elements; self.labels = labels; super.init(span: span)
    }
    override func eval(_ rt: Runtime, _ f: Frame) throws -> Value {
        .tuple(TupleValue(try elements.map { try $0.eval(rt, f) }, labels: labels))
    }
}

final class Binary: Expr {
    let op: BinaryOp
    let lhs: Expr, rhs: Expr
    init(_ op: BinaryOp, _ lhs: Expr, _ rhs: Expr, span: Span) {
        self.op = op; self.lhs = lhs; self.rhs = rhs; super.init(span: span)
    }
    override func eval(_ rt: Runtime, _ f: Frame) throws -> Value {
        let a = try lhs.eval(rt, f)
        let b = try rhs.eval(rt, f)
        if case .int(let x) = a, case .int(let y) = b {
            switch op {
            case .add:
                let (r, o) = x.addingReportingOverflow(y)
                if !o { return .int(r) }
            case .sub:
                let (r, o) = x.subtractingReportingOverflow(y)
                if !o { return .int(r) }
            case .lt: return .bool(x < y)
            case .eq: return .bool(x == y)
            default: break
            }
        }
        do { return try Arithmetic.apply(op, a, b) } catch { throw error.positioned(span) }
    }
}

final class Unary: Expr {
    let op: UnaryOp
    let operand: Expr
    init(_ op: UnaryOp, _ operand: Expr, span: Span) { self.op = op; self.operand = operand; super.init(span: span) }
    override func eval(_ rt: Runtime, _ f: Frame) throws -> Value {
        do { return try Arithmetic.unary(op, try operand.eval(rt, f)) } catch { throw error.positioned(span) }
    }
}

/// `&&`, `||`, `??`: the right side is evaluated only when needed.
final class ShortCircuit: Expr {
    enum Kind { case and, or, coalesce }
    let kind: Kind
    let lhs: Expr, rhs: Expr
    init(_ kind: Kind, _ lhs: Expr, _ rhs: Expr, span: Span) {
        self.kind = kind; self.lhs = lhs; self.rhs = rhs; super.init(span: span)
    }
    override func eval(_ rt: Runtime, _ f: Frame) throws -> Value {
        let a = try lhs.eval(rt, f)
        switch kind {
        case .coalesce:
            return a.isNil ? try rhs.eval(rt, f) : a
        case .and:
            guard try truth(a, lhs.span) else { return .bool(false) }
            return .bool(try truth(try rhs.eval(rt, f), rhs.span))
        case .or:
            if try truth(a, lhs.span) { return .bool(true) }
            return .bool(try truth(try rhs.eval(rt, f), rhs.span))
        }
    }
}

/// A condition's value as a Bool, or a type error at its position.
func truth(_ v: Value, _ span: Span) throws -> Bool {
    if case .bool(let b) = v { return b }
    throw KoanError.failure(.type, "cannot convert value of type '\(v.typeName)' to expected condition type 'Bool'", at: span)
}

final class Ternary: Expr {
    let condition: Expr, then: Expr, otherwise: Expr
    init(_ c: Expr, _ t: Expr, _ e: Expr, span: Span) {
        condition = c; then = t; otherwise = e; super.init(span: span)
    }
    override func eval(_ rt: Runtime, _ f: Frame) throws -> Value {
        try truth(try condition.eval(rt, f), condition.span) ? try then.eval(rt, f) : try otherwise.eval(rt, f)
    }
}

final class ForceUnwrap: Expr {
    let operand: Expr
    init(_ operand: Expr, span: Span) { self.operand = operand; super.init(span: span) }
    override func eval(_ rt: Runtime, _ f: Frame) throws -> Value {
        let v = try operand.eval(rt, f)
        if v.isNil {
            throw KoanError.failure(.value, "unexpectedly found nil while unwrapping an Optional value", at: span)
        }
        return v
    }
}

/// Thrown by `OptionalProbe` when `a?` is nil; caught by the enclosing `OptionalChain`.
struct NilInChain: Error {}

/// `a?` inside an optional chain such as `a?.count`.
final class OptionalProbe: Expr {
    let operand: Expr
    init(_ operand: Expr, span: Span) { self.operand = operand; super.init(span: span) }
    override func eval(_ rt: Runtime, _ f: Frame) throws -> Value {
        let v = try operand.eval(rt, f)
        if v.isNil { throw NilInChain() }
        return v
    }
}

/// The whole chain `a?.b.c`: nil when any probe inside finds nil.
final class OptionalChain: Expr {
    let body: Expr
    init(_ body: Expr, span: Span) { self.body = body; super.init(span: span) }
    override func eval(_ rt: Runtime, _ f: Frame) throws -> Value {
        do { return try body.eval(rt, f) } catch is NilInChain { return .null }
    }
}

/// `x is Int`, `x as Double`, `x as? Int`, `x as! Int`.
final class Cast: Expr {
    enum Kind { case check, convert, optional, forced }
    let kind: Kind
    let operand: Expr
    let type: TypeAnn
    init(_ kind: Kind, _ operand: Expr, _ type: TypeAnn, span: Span) {
        self.kind = kind; self.operand = operand; self.type = type; super.init(span: span)
    }
    override func eval(_ rt: Runtime, _ f: Frame) throws -> Value {
        let v = try operand.eval(rt, f)
        let converted: Value? = {
            // `is`/`as?` test the dynamic type without widening Int to Double.
            if kind == .check || kind == .optional, case .int = v, type == .double { return nil }
            return type.convert(v)
        }()
        switch kind {
        case .check: return .bool(converted != nil)
        case .optional: return converted ?? .null
        case .convert, .forced:
            if let c = converted { return c }
            throw KoanError.failure(.type, "could not cast value of type '\(v.typeName)' to '\(type.name)'", at: span)
        }
    }
}

/// A closure expression or nested `func`: captures the boxes of outer variables now.
final class MakeClosure: Expr {
    let function: UserFunction
    /// Outer variables (in the defining frame), in the order of `function.captureSlots`.
    let captured: [LocalVar]
    init(_ function: UserFunction, captured: [LocalVar], span: Span) {
        self.function = function; self.captured = captured; super.init(span: span)
    }
    override func eval(_ rt: Runtime, _ f: Frame) throws -> Value {
        let boxes = captured.map { local -> Box in
            if let b = f.boxes[local.slot] { return b }
            let b = Box(.void)
            f.boxes[local.slot] = b
            return b
        }
        return .function(Function(.user(function, captures: boxes)))
    }
}

/// An expression that yields nothing (assignments): its value is Void.
final class Discard: Expr {
    let body: Stmt
    init(_ body: Stmt, span: Span) { self.body = body; super.init(span: span) }
    override func eval(_ rt: Runtime, _ f: Frame) throws -> Value {
        _ = try body.exec(rt, f)
        return .void
    }
}

/// `2...`, `..<3`, `...3`: a range with one bound (the other is nil), used to slice.
final class OneSidedRange: Expr {
    let lower: Expr?, upper: Expr?
    let closed: Bool
    init(lower: Expr? = nil, upper: Expr? = nil, closed: Bool = false, span: Span) {
        self.lower = lower; self.upper = upper; self.closed = closed; super.init(span: span)
    }
    override func eval(_ rt: Runtime, _ f: Frame) throws -> Value {
        .range(RangeValue(lower: try lower?.eval(rt, f) ?? .null, upper: try upper?.eval(rt, f) ?? .null, closed: closed))
    }
}

/// `.cosine(warmup: 100)`: an implicit member with arguments, evaluated to an `EnumCase`.
final class EnumCaseCall: Expr {
    let name: String
    let args: [ArgumentExpr]
    init(_ name: String, _ args: [ArgumentExpr], span: Span) { self.name = name; self.args = args; super.init(span: span) }
    override func eval(_ rt: Runtime, _ f: Frame) throws -> Value {
        .object(EnumCase(name, try evalArguments(args, rt, f)))
    }
}
