/// Typed access to builtin arguments, with Swift-like conversion errors.
extension Value {
    package func asInt() throws -> Int {
        if case .int(let i) = self { return i }
        throw Fault(.type, "cannot convert value of type '\(typeName)' to expected argument type 'Int'")
    }

    /// A Double, widening an Int.
    package func asDouble() throws -> Double {
        switch self {
        case .double(let d): return d
        case .int(let i): return Double(i)
        default: throw Fault(.type, "cannot convert value of type '\(typeName)' to expected argument type 'Double'")
        }
    }

    package func asString() throws -> String {
        if case .string(let s) = self { return s }
        throw Fault(.type, "cannot convert value of type '\(typeName)' to expected argument type 'String'")
    }

    package func asBool() throws -> Bool {
        if case .bool(let b) = self { return b }
        throw Fault(.type, "cannot convert value of type '\(typeName)' to expected argument type 'Bool'")
    }

    /// The elements of any sequence (arrays without a copy).
    package func elements() throws -> [Value] {
        if case .array(let xs) = self { return xs }
        return try Sequences.elements(self)
    }

    package func asFunction() throws -> Value {
        if case .function = self { return self }
        throw Fault(.type, "cannot convert value of type '\(typeName)' to expected argument type 'function'")
    }
}

/// The ordering used by `sorted()`, `min()`, `max()`.
func valueLess(_ a: Value, _ b: Value) throws -> Bool {
    try Arithmetic.less(a, b, .lt)
}

/// A closure's answer as a Bool (for `filter`, `sorted(by:)`, `contains(where:)`).
func predicate(_ v: Value) throws -> Bool {
    if case .bool(let b) = v { return b }
    throw Fault(.type, "cannot convert value of type '\(v.typeName)' to closure result type 'Bool'")
}

/// A type, as returned by `type(of:)`: shows as its name.
final class TypeObject: KoanObject {
    let name: String
    init(_ name: String) { self.name = name }
    var typeName: String { "\(name).Type" }
    var description: String { name }
    var richRepresentations: [String: MimeData] { [:] }
}
