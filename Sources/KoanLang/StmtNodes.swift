/// Statement nodes of the lowered program.

/// How a statement finished.
/// How a statement finished. Loop labels are small numbers (0: no label) given by the lowering.
enum Flow: Equatable {
    case normal
    case breakLoop(Int)
    case continueLoop(Int)
    case returned
}

class Stmt {
    let span: Span
    init(span: Span) { self.span = span }
    func exec(_ rt: Runtime, _ f: Frame) throws -> Flow {
        throw KoanError.failure(.runtime, "internal error: unexecutable node", at: span)
    }
}

final class Block: Stmt {
    let statements: [Stmt]
    init(_ statements: [Stmt], span: Span = .unknown) { self.statements = statements; super.init(span: span) }
    override func exec(_ rt: Runtime, _ f: Frame) throws -> Flow {
        var i = 0
        let n = statements.count
        while i < n {
            let flow = try statements[i].exec(rt, f)
            if flow != .normal { return flow }
            i += 1
        }
        return .normal
    }
}

final class ExprStmt: Stmt {
    let expr: Expr
    init(_ expr: Expr) { self.expr = expr; super.init(span: expr.span) }
    override func exec(_ rt: Runtime, _ f: Frame) throws -> Flow {
        _ = try expr.eval(rt, f)
        return .normal
    }
}

/// Where a declaration or pattern puts a value.
enum Target {
    case local(LocalVar)
    case global(Global, isLet: Bool, type: TypeAnn?)

    func bind(_ value: Value, _ f: Frame) {
        switch self {
        case .local(let l): l.store(value, in: f)
        case .global(let g, let isLet, let type):
            g.value = value; g.isLet = isLet; g.type = type; g.function = nil
        }
    }
}

/// A pattern: in declarations (`let (a, b) = t`), `for` loops, `switch` cases.
indirect enum Pattern {
    case wildcard
    case bind(Target)
    case tuple([Pattern], Span)
    /// An expression matched with `~=`: equality, or containment for ranges.
    case value(Expr)

    /// Binds names and returns whether the value matches.
    func match(_ v: Value, _ rt: Runtime, _ f: Frame) throws -> Bool {
        switch self {
        case .wildcard: return true
        case .bind(let t): t.bind(v, f); return true
        case .tuple(let ps, _):
            guard case .tuple(let t) = v, t.elements.count == ps.count else { return false }
            for (p, e) in zip(ps, t.elements) where !(try p.match(e, rt, f)) { return false }
            return true
        case .value(let e):
            let p = try e.eval(rt, f)
            if case .range(let r) = p, v.isNumber || v.kind == .string {
                do {
                    let lowOK = !(try Arithmetic.less(v, r.lower, .lt))
                    let highOK = r.closed ? !(try Arithmetic.less(r.upper, v, .lt)) : try Arithmetic.less(v, r.upper, .lt)
                    return lowOK && highOK
                } catch { return false }
            }
            return p == v
        }
    }

    /// Binds a value that must match (declarations, `for` patterns).
    func destructure(_ v: Value, _ rt: Runtime, _ f: Frame, at span: Span) throws {
        if case .tuple(let ps, _) = self {
            guard case .tuple(let t) = v, t.elements.count == ps.count else {
                throw KoanError.failure(.type, "cannot destructure value of type '\(v.typeName)' into a tuple of \(ps.count) elements", at: span)
            }
            for (p, e) in zip(ps, t.elements) { try p.destructure(e, rt, f, at: span) }
            return
        }
        _ = try match(v, rt, f)
    }
}

/// `let x: T = e`, `var (a, b) = e`
final class Declare: Stmt {
    let pattern: Pattern
    let type: TypeAnn?
    let value: Expr
    init(_ pattern: Pattern, type: TypeAnn?, _ value: Expr, span: Span) {
        self.pattern = pattern; self.type = type; self.value = value; super.init(span: span)
    }
    override func exec(_ rt: Runtime, _ f: Frame) throws -> Flow {
        var v = try value.eval(rt, f)
        if let type {
            guard let c = type.convert(v) else {
                throw KoanError.failure(.type, "cannot convert value of type '\(v.typeName)' to specified type '\(type.name)'", at: value.span)
            }
            v = c
        }
        if case .bind(let t) = pattern { t.bind(v, f) } else { try pattern.destructure(v, rt, f, at: value.span) }
        return .normal
    }
}

/// `func f(...) { ... }`: binds the function value (boxed first, so it can call itself).
final class DeclareFunction: Stmt {
    let target: Target
    let closure: MakeClosure
    init(_ target: Target, _ closure: MakeClosure, span: Span) {
        self.target = target; self.closure = closure; super.init(span: span)
    }
    override func exec(_ rt: Runtime, _ f: Frame) throws -> Flow {
        switch target {
        case .local(let l):
            let box = Box(.void)
            if l.boxed { f.boxes[l.slot] = box }
            let value = try closure.eval(rt, f)
            box.value = value
            if !l.boxed { f.slots[l.slot] = value }
        case .global(let g, _, _):
            g.value = try closure.eval(rt, f)
            g.isLet = true; g.type = nil; g.function = closure.function
        }
        return .normal
    }
}

/// One condition of `if`/`guard`/`while`: a Bool, or `let x = optional`.
enum Condition {
    case test(Expr)
    case bind(Target, Expr)

    static func all(_ conditions: [Condition], _ rt: Runtime, _ f: Frame) throws -> Bool {
        for c in conditions {
            switch c {
            case .test(let e):
                if !(try truth(try e.eval(rt, f), e.span)) { return false }
            case .bind(let t, let e):
                let v = try e.eval(rt, f)
                if v.isNil { return false }
                t.bind(v, f)
            }
        }
        return true
    }
}

final class If: Stmt {
    let conditions: [Condition]
    let then: Block
    let otherwise: Stmt?
    init(_ conditions: [Condition], then: Block, otherwise: Stmt?, span: Span) {
        self.conditions = conditions; self.then = then; self.otherwise = otherwise; super.init(span: span)
    }
    override func exec(_ rt: Runtime, _ f: Frame) throws -> Flow {
        if try Condition.all(conditions, rt, f) { return try then.exec(rt, f) }
        return try otherwise?.exec(rt, f) ?? .normal
    }
}

final class Guard: Stmt {
    let conditions: [Condition]
    let otherwise: Block
    init(_ conditions: [Condition], otherwise: Block, span: Span) {
        self.conditions = conditions; self.otherwise = otherwise; super.init(span: span)
    }
    override func exec(_ rt: Runtime, _ f: Frame) throws -> Flow {
        if try Condition.all(conditions, rt, f) { return .normal }
        let flow = try otherwise.exec(rt, f)
        if flow == .normal {
            throw KoanError.failure(.runtime, "'guard' body must not fall through", at: span)
        }
        return flow
    }
}

/// What a loop does with the flow of one iteration: nil to go on, or the loop's result.
@inline(__always)
func loopFlow(_ flow: Flow, label: Int) -> Flow? {
    switch flow {
    case .normal: return nil
    case .breakLoop(let l): return l == 0 || l == label ? .normal : flow
    case .continueLoop(let l): return l == 0 || l == label ? nil : flow
    case .returned: return flow
    }
}

final class ForIn: Stmt {
    let pattern: Pattern
    let sequence: Expr
    let whereClause: Expr?
    let body: Block
    let label: Int
    /// The loop variable when the pattern is a single local name (the fast path).
    private let simple: LocalVar?
    init(_ pattern: Pattern, in sequence: Expr, where w: Expr?, body: Block, label: Int, span: Span) {
        self.pattern = pattern; self.sequence = sequence; whereClause = w; self.body = body; self.label = label
        if case .bind(.local(let l)) = pattern { simple = l } else { simple = nil }
        super.init(span: span)
    }

    override func exec(_ rt: Runtime, _ f: Frame) throws -> Flow {
        let seq = try sequence.eval(rt, f)
        if case .range(let r) = seq, let (lo, hi) = r.intBounds {
            var i = lo
            while i < hi {
                if let flow = try iteration(.int(i), rt, f) { return flow }
                i += 1
            }
            return .normal
        }
        if case .stride(let s) = seq, case .int(let from) = s.from, case .int(let to) = s.to, case .int(let by) = s.by {
            guard by != 0 else { throw KoanError.failure(.value, "stride step must not be zero", at: sequence.span) }
            var i = from
            while by > 0 ? (s.through ? i <= to : i < to) : (s.through ? i >= to : i > to) {
                if let flow = try iteration(.int(i), rt, f) { return flow }
                let (next, o) = i.addingReportingOverflow(by)
                if o { break }
                i = next
            }
            return .normal
        }
        let elements: [Value]
        do { elements = try Sequences.elements(seq) } catch { throw error.positioned(sequence.span) }
        for e in elements {
            if let flow = try iteration(e, rt, f) { return flow }
        }
        return .normal
    }

    @inline(__always)
    private func iteration(_ v: Value, _ rt: Runtime, _ f: Frame) throws -> Flow? {
        try rt.checkInterrupt(span)
        if let l = simple { l.store(v, in: f) } else { try pattern.destructure(v, rt, f, at: span) }
        if let w = whereClause, !(try truth(try w.eval(rt, f), w.span)) { return nil }
        return loopFlow(try body.exec(rt, f), label: label)
    }
}

final class While: Stmt {
    let conditions: [Condition]
    let body: Block
    let label: Int
    /// `repeat { } while c`: the body runs before the first test.
    let testAfter: Bool
    init(_ conditions: [Condition], body: Block, label: Int, testAfter: Bool, span: Span) {
        self.conditions = conditions; self.body = body; self.label = label; self.testAfter = testAfter
        super.init(span: span)
    }
    override func exec(_ rt: Runtime, _ f: Frame) throws -> Flow {
        var first = testAfter
        while true {
            try rt.checkInterrupt(span)
            if !first, !(try Condition.all(conditions, rt, f)) { return .normal }
            first = false
            if let flow = loopFlow(try body.exec(rt, f), label: label) { return flow }
        }
    }
}

final class Switch: Stmt {
    struct Case {
        /// Each pattern with its optional `where` condition.
        var patterns: [(Pattern, Expr?)]
        var body: Block
    }
    let subject: Expr
    let cases: [Case]
    let label: Int
    init(_ subject: Expr, cases: [Case], label: Int, span: Span) {
        self.subject = subject; self.cases = cases; self.label = label; super.init(span: span)
    }
    override func exec(_ rt: Runtime, _ f: Frame) throws -> Flow {
        let v = try subject.eval(rt, f)
        for c in cases {
            for (p, condition) in c.patterns where try p.match(v, rt, f) {
                if let g = condition, !(try truth(try g.eval(rt, f), g.span)) { continue }
                let flow = try c.body.exec(rt, f)
                if case .breakLoop(let l) = flow, l == 0 || l == label { return .normal }
                return flow
            }
        }
        throw KoanError.failure(.runtime, "no case of the 'switch' matches the value \(v.debugDescription)", at: subject.span)
    }
}

final class Jump: Stmt {
    let flow: Flow
    init(_ flow: Flow, span: Span) { self.flow = flow; super.init(span: span) }
    override func exec(_ rt: Runtime, _ f: Frame) throws -> Flow { flow }
}

final class Return: Stmt {
    let value: Expr?
    init(_ value: Expr?, span: Span) { self.value = value; super.init(span: span) }
    override func exec(_ rt: Runtime, _ f: Frame) throws -> Flow {
        f.returnValue = try value?.eval(rt, f) ?? .void
        return .returned
    }
}

/// Elements of any sequence that is not iterated by a fast path.
enum Sequences {
    static func elements(_ v: Value) throws -> [Value] {
        switch v {
        case .array(let xs): return xs
        case .dict(let d):
            return zip(d.keys, d.values).map { .tuple(TupleValue([$0, $1], labels: ["key", "value"])) }
        case .range(let r):
            guard let (lo, hi) = r.intBounds else {
                throw Fault(.type, "cannot iterate a range of type '\(v.typeName)': its bounds must be Int")
            }
            if hi > lo {
                let (n, o) = hi.subtractingReportingOverflow(lo)
                try ValueMemory.reserve(count: o ? Int.max : n, bytesEach: ValueMemory.valueBytes,
                                        "an array of the \(o ? "more than \(Int.max)" : "\(n)") elements of \(v.debugDescription)")
            }
            return (lo..<hi).map { .int($0) }
        case .stride(let s):
            guard let from = s.from.asNumber, let to = s.to.asNumber, let by = s.by.asNumber else {
                throw Fault(.type, "stride bounds must be numbers")
            }
            guard by != 0 else { throw Fault(.value, "stride step must not be zero") }
            let allInt = [s.from, s.to, s.by].allSatisfy { if case .int = $0 { return true }; return false }
            let steps = ((to - from) / by).rounded(.up)
            if steps > 0 {
                let n = steps >= Double(Int.max) ? Int.max : Int(steps)
                try ValueMemory.reserve(count: n, bytesEach: ValueMemory.valueBytes, "an array of the \(n) elements of a stride")
            }
            var out: [Value] = []
            var i = 0
            while true {
                let x = from + Double(i) * by
                let inside = by > 0 ? (s.through ? x <= to : x < to) : (s.through ? x >= to : x > to)
                if !inside { break }
                out.append(allInt ? .int(Int(x)) : .double(x))
                i += 1
            }
            return out
        case .string(let s): return s.map { .string(String($0)) }
        case .object(let o as any SequenceObject): return try o.elements()
        default:
            throw Fault(.type, "for-in loop requires a sequence; '\(v.typeName)' is not a sequence")
        }
    }
}
