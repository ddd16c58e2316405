/// Binary operators with value operands (short-circuit `&&`, `||`, `??` are lowered apart).
package enum BinaryOp: String, CaseIterable, Sendable {
    case add = "+", sub = "-", mul = "*", div = "/", mod = "%"
    case eq = "==", ne = "!=", lt = "<", le = "<=", gt = ">", ge = ">="
    case bitAnd = "&", bitOr = "|", bitXor = "^", shl = "<<", shr = ">>"
    case halfOpen = "..<", closed = "..."
    case identical = "===", notIdentical = "!=="

    /// `+=` → `.add`
    package init?(compound text: String) {
        guard text.count >= 2, text.hasSuffix("="), let op = BinaryOp(rawValue: String(text.dropLast())),
              [.add, .sub, .mul, .div, .mod, .bitAnd, .bitOr, .bitXor, .shl, .shr].contains(op) else { return nil }
        self = op
    }
}

package enum UnaryOp: String, Sendable {
    case neg = "-", plus = "+", not = "!", bitNot = "~"
}

package enum Arithmetic {
    package static func mismatch(_ op: String, _ a: Value, _ b: Value) -> Fault {
        Fault(.type, "binary operator '\(op)' cannot be applied to operands of type '\(a.typeName)' and '\(b.typeName)'")
    }

    static func overflow(_ a: Int, _ op: String, _ b: Int) -> Fault {
        Fault(.overflow, "arithmetic operation '\(a) \(op) \(b)' (on type 'Int') results in an overflow")
    }

    package static func apply(_ op: BinaryOp, _ a: Value, _ b: Value) throws -> Value {
        switch (a, b) {
        case (.int(let x), .int(let y)): return try ints(op, x, y)
        case (.double(let x), .double(let y)): return try doubles(op, x, y, a, b)
        case (.int(let x), .double(let y)): return try doubles(op, Double(x), y, a, b)
        case (.double(let x), .int(let y)): return try doubles(op, x, Double(y), a, b)
        case (.object(let o as any OperandObject), _):
            if let result = try o.binary(op, b, selfOnLeft: true) { return result }
        case (_, .object(let o as any OperandObject)):
            if let result = try o.binary(op, a, selfOnLeft: false) { return result }
        default: break
        }
        switch op {
        case .eq: return .bool(try equal(a, b, op))
        case .ne: return .bool(!(try equal(a, b, op)))
        case .lt: return .bool(try less(a, b, op))
        case .gt: return .bool(try less(b, a, op))
        case .le: return .bool(!(try less(b, a, op)))
        case .ge: return .bool(!(try less(a, b, op)))
        case .identical, .notIdentical:
            var same = false
            switch (a, b) {
            case (.function(let f), .function(let g)): same = f === g
            case (.object(let f), .object(let g)): same = f === g
            case (.null, .null): same = true
            default: same = false
            }
            return .bool(op == .identical ? same : !same)
        case .add:
            switch (a, b) {
            case (.string(let x), .string(let y)): return .string(x + y)
            case (.array(let x), .array(let y)): return .array(x + y)
            default: throw mismatch(op.rawValue, a, b)
            }
        case .halfOpen, .closed:
            if case .string = a, case .string = b {
                return .range(RangeValue(lower: a, upper: b, closed: op == .closed))
            }
            throw mismatch(op.rawValue, a, b)
        default:
            throw mismatch(op.rawValue, a, b)
        }
    }

    package static func ints(_ op: BinaryOp, _ x: Int, _ y: Int) throws -> Value {
        switch op {
        case .add:
            let (r, o) = x.addingReportingOverflow(y)
            if o { throw overflow(x, "+", y) }
            return .int(r)
        case .sub:
            let (r, o) = x.subtractingReportingOverflow(y)
            if o { throw overflow(x, "-", y) }
            return .int(r)
        case .mul:
            let (r, o) = x.multipliedReportingOverflow(by: y)
            if o { throw overflow(x, "*", y) }
            return .int(r)
        case .div:
            if y == 0 { throw Fault(.zeroDivision, "division by zero") }
            let (r, o) = x.dividedReportingOverflow(by: y)
            if o { throw overflow(x, "/", y) }
            return .int(r)
        case .mod:
            if y == 0 { throw Fault(.zeroDivision, "division by zero in remainder operation") }
            let (r, o) = x.remainderReportingOverflow(dividingBy: y)
            if o { throw overflow(x, "%", y) }
            return .int(r)
        case .eq, .ne, .lt, .le, .gt, .ge: return .bool(compare(op, x, y))
        case .bitAnd: return .int(x & y)
        case .bitOr: return .int(x | y)
        case .bitXor: return .int(x ^ y)
        case .shl: return .int(x << y)
        case .shr: return .int(x >> y)
        case .halfOpen:
            if y < x { throw Fault(.value, "range requires lowerBound <= upperBound (\(x)..<\(y))") }
            return .range(RangeValue(lower: .int(x), upper: .int(y), closed: false))
        case .closed:
            if y < x { throw Fault(.value, "range requires lowerBound <= upperBound (\(x)...\(y))") }
            return .range(RangeValue(lower: .int(x), upper: .int(y), closed: true))
        case .identical, .notIdentical: throw mismatch(op.rawValue, .int(x), .int(y))
        }
    }

    /// The six comparisons, once for every Comparable operand type.
    static func compare<T: Comparable>(_ op: BinaryOp, _ x: T, _ y: T) -> Bool {
        switch op {
        case .eq: return x == y
        case .ne: return x != y
        case .lt: return x < y
        case .le: return x <= y
        case .gt: return x > y
        default: return x >= y
        }
    }

    package static func doubles(_ op: BinaryOp, _ x: Double, _ y: Double, _ a: Value, _ b: Value) throws -> Value {
        switch op {
        case .add: return .double(x + y)
        case .sub: return .double(x - y)
        case .mul: return .double(x * y)
        case .div: return .double(x / y)
        case .mod: return .double(x.truncatingRemainder(dividingBy: y))
        case .eq, .ne, .lt, .le, .gt, .ge: return .bool(compare(op, x, y))
        case .halfOpen, .closed:
            if y < x { throw Fault(.value, "range requires lowerBound <= upperBound") }
            return .range(RangeValue(lower: a, upper: b, closed: op == .closed))
        default: throw mismatch(op.rawValue, a, b)
        }
    }

    package static func equal(_ a: Value, _ b: Value, _ op: BinaryOp) throws -> Bool {
        switch (a, b) {
        case (.null, _), (_, .null): return a.isNil && b.isNil
        default:
            if a.kind != b.kind && !(a.isNumber && b.isNumber) { throw mismatch(op.rawValue, a, b) }
            if case .function = a { throw mismatch(op.rawValue, a, b) }
            return a == b
        }
    }

    static func less(_ a: Value, _ b: Value, _ op: BinaryOp) throws -> Bool {
        switch (a, b) {
        case (.int(let x), .int(let y)): return x < y
        case (.double, _), (_, .double):
            guard let x = a.asNumber, let y = b.asNumber else { throw mismatch(op.rawValue, a, b) }
            return x < y
        case (.string(let x), .string(let y)): return x < y
        case (.tuple(let x), .tuple(let y)) where x.elements.count == y.elements.count:
            for (p, q) in zip(x.elements, y.elements) {
                if try less(p, q, op) { return true }
                if try less(q, p, op) { return false }
            }
            return false
        default: throw mismatch(op.rawValue, a, b)
        }
    }

    package static func unary(_ op: UnaryOp, _ v: Value) throws -> Value {
        switch (op, v) {
        case (.neg, .int(let x)):
            if x == Int.min { throw Fault(.overflow, "arithmetic operation '0 - \(x)' (on type 'Int') results in an overflow") }
            return .int(-x)
        case (.neg, .double(let x)): return .double(-x)
        case (.plus, .int), (.plus, .double): return v
        case (.not, .bool(let b)): return .bool(!b)
        case (.bitNot, .int(let x)): return .int(~x)
        case (_, .object(let o as any OperandObject)):
            if let result = try o.unary(op) { return result }
            fallthrough
        default:
            throw Fault(.type, "unary operator '\(op.rawValue)' cannot be applied to an operand of type '\(v.typeName)'")
        }
    }
}

extension Value {
    package var isNumber: Bool {
        switch self { case .int, .double: return true; default: return false }
    }
    var asNumber: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }
}
