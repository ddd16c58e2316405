/// A type annotation (`: Double`, `: [Int]`, `: String?`), checked when a value is bound.
///
/// ```swift
/// TypeAnn.double.convert(.int(3))            // .double(3.0): an Int converts to Double
/// TypeAnn.int.convert(.string("a"))          // nil: a type error
/// ```
indirect enum TypeAnn: Equatable, Sendable {
    case int, double, bool, string, any, void
    case array(TypeAnn)
    case dict(TypeAnn, TypeAnn)
    case optional(TypeAnn)
    /// Element types, and labels ("" for none) when the type names any.
    case tuple([TypeAnn], labels: [String]?)
    case function([TypeAnn], TypeAnn)
    case range(TypeAnn, closed: Bool)
    /// A library type known by name only (`HTML`, `Markdown`).
    case named(String)

    var name: String {
        switch self {
        case .int: return "Int"
        case .double: return "Double"
        case .bool: return "Bool"
        case .string: return "String"
        case .any: return "Any"
        case .void: return "Void"
        case .array(let t): return "[\(t.name)]"
        case .dict(let k, let v): return "[\(k.name): \(v.name)]"
        case .optional(let t): return "\(t.name)?"
        case .tuple(let ts, let labels):
            let parts = ts.enumerated().map { i, t in
                let l = labels?[i] ?? ""
                return l.isEmpty ? t.name : "\(l): \(t.name)"
            }
            return "(\(parts.joined(separator: ", ")))"
        case .function(let ps, let r): return "(\(ps.map(\.name).joined(separator: ", "))) -> \(r.name)"
        case .range(let t, let closed): return "\(closed ? "ClosedRange" : "Range")<\(t.name)>"
        case .named(let n): return n
        }
    }

    /// The type without optional wrapping (`Double?` → `Double`).
    var unwrapped: TypeAnn {
        if case .optional(let t) = self { return t.unwrapped }
        return self
    }

    /// `.int` or `.double` when a literal in this context takes that type, else nil.
    var literalScalar: TypeAnn? {
        switch unwrapped {
        case .int: return .int
        case .double: return .double
        default: return nil
        }
    }

    /// The type of a value known when lowering (a literal, an array of like literals),
    /// which a `var` keeps as Swift infers it: `var q = 1` is an Int, `var xs = [1.5]` a
    /// [Double]. Nil for anything else (no check then).
    static func inferred(from e: Expr) -> TypeAnn? {
        if let l = e as? Literal { return scalar(of: l.value) }
        if e is Interpolation { return .string }
        if let a = e as? ArrayLiteral, !a.elements.isEmpty {
            var kinds: Set<ValueKind> = []
            for x in a.elements {
                guard let l = x as? Literal, let t = scalar(of: l.value) else { return nil }
                kinds.insert(t == .int ? .int : t == .double ? .double : t == .bool ? .bool : .string)
            }
            if kinds == [.int] { return .array(.int) }
            if kinds == [.double] || kinds == [.int, .double] { return .array(.double) }
            if kinds == [.bool] { return .array(.bool) }
            if kinds == [.string] { return .array(.string) }
        }
        return nil
    }

    private static func scalar(of v: Value) -> TypeAnn? {
        switch v {
        case .int: return .int
        case .double: return .double
        case .bool: return .bool
        case .string: return .string
        default: return nil
        }
    }

    /// The value as this type (Int → Double widened, element-wise in collections),
    /// or nil when it does not conform.
    func convert(_ value: Value) -> Value? {
        // Fast path for the scalar annotations checked on every call and return
        // (the general match below copies the value into a tuple first).
        switch self {
        case .int: if case .int = value { return value }
        case .double: if case .double = value { return value }
        case .bool: if case .bool = value { return value }
        case .string: if case .string = value { return value }
        default: break
        }
        switch (self, value) {
        case (.any, _): return value
        case (.optional, .null): return .null
        case (.optional(let t), _): return t.convert(value)
        case (.int, .int), (.double, .double), (.bool, .bool), (.string, .string): return value
        case (.double, .int(let i)): return .double(Double(i))
        case (.void, .void): return value
        case (.array(let t), .array(let xs)):
            if t == .any { return value }
            var out: [Value] = []
            out.reserveCapacity(xs.count)
            for x in xs {
                guard let c = t.convert(x) else { return nil }
                out.append(c)
            }
            return .array(out)
        case (.dict(let kt, let vt), .dict(let d)):
            var out = OrderedDict()
            for (k, v) in zip(d.keys, d.values) {
                guard let ck = kt.convert(k), let cv = vt.convert(v) else { return nil }
                out.set(ck, cv)
            }
            return .dict(out)
        case (.tuple(let ts, let labels), .tuple(let t)):
            guard ts.count == t.elements.count else { return nil }
            var out: [Value] = []
            for (ty, x) in zip(ts, t.elements) {
                guard let c = ty.convert(x) else { return nil }
                out.append(c)
            }
            return .tuple(TupleValue(out, labels: labels ?? t.labels))
        case (.function, .function): return value
        case (.range(let t, let closed), .range(let r)):
            guard r.closed == closed, t.convert(r.lower) != nil else { return nil }
            return value
        case (.named(let n), .object(let o)): return o.typeName == n ? value : nil
        default: return nil
        }
    }
}
