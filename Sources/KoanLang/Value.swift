// Runtime values of the Koan language.

/// A value of the Koan language. Collections have value semantics (Swift arrays and
/// dictionaries underneath, copy-on-write); functions and library objects are references.
///
/// ```swift
/// let v: Value = .array([.int(1), .double(2.5)])
/// v.description   // "[1, 2.5]"
/// ```
package enum Value {
    case int(Int)
    case double(Double)
    case bool(Bool)
    case string(String)
    case array([Value])
    case dict(OrderedDict)
    case tuple(TupleValue)
    indirect case range(RangeValue)
    indirect case stride(StrideValue)
    /// `nil`. Optionals are flattened: an optional holding a value is that value.
    case null
    /// The result of a call that returns nothing.
    case void
    case function(Function)
    /// A library-defined value (HTML, Markdown, tensors, models).
    case object(any KoanObject)
}

/// A value implemented in Swift by a library: it names its type and renders itself.
///
/// ```swift
/// final class Note: KoanObject {
///     var typeName: String { "Note" }
///     var description: String { "a note" }
///     var richRepresentations: [String: MimeData] { ["text/html": .text("<i>a note</i>")] }
/// }
/// ```
public protocol KoanObject: AnyObject {
    var typeName: String { get }
    var description: String { get }
    /// Rich representations besides text/plain (which is always `description`).
    var richRepresentations: [String: MimeData] { get }
}

/// A tuple, with optional labels (`(offset: 0, element: "a")`).
package struct TupleValue {
    package var elements: [Value]
    /// One label per element ("" when unlabeled), or nil when no element is labeled.
    package var labels: [String]?
    package init(_ elements: [Value], labels: [String]? = nil) {
        self.elements = elements
        self.labels = labels.flatMap { $0.allSatisfy { $0.isEmpty } ? nil : $0 }
    }
    package func index(ofLabel label: String) -> Int? { labels?.firstIndex(of: label) }
}

/// `a..<b` or `a...b` over integers (Double bounds are kept for `contains` and `switch`).
package struct RangeValue: Equatable, Hashable {
    package var lower: Value
    package var upper: Value
    package var closed: Bool
    /// The integer bounds as a half-open interval, when both bounds are Int.
    var intBounds: (Int, Int)? {
        guard case .int(let lo) = lower, case .int(let hi) = upper else { return nil }
        if closed { return hi == Int.max ? nil : (lo, hi + 1) }
        return (lo, hi)
    }
    /// The number of elements of an Int range, as Swift counts it: `(1...Int.max).count` is
    /// Int.max; nil when the count itself overflows Int (`(0...Int.max)`, where Swift traps)
    /// or the bounds are not Int.
    package var count: Int? {
        guard case .int(let lo) = lower, case .int(let hi) = upper else { return nil }
        if hi < lo || (!closed && hi == lo) { return 0 }
        let (d, o) = hi.subtractingReportingOverflow(lo)
        if o { return nil }
        if !closed { return d }
        let (c, o2) = d.addingReportingOverflow(1)
        return o2 ? nil : c
    }
}

/// `stride(from:to:by:)` / `stride(from:through:by:)`, lazily iterated.
package struct StrideValue: Equatable, Hashable {
    package var from: Value
    package var to: Value
    package var by: Value
    package var through: Bool
}

/// A dictionary that keeps insertion order (for printing), with O(1) lookup.
package struct OrderedDict {
    package private(set) var keys: [Value] = []
    package private(set) var values: [Value] = []
    private var index: [Value: Int] = [:]
    package init() {}
    package var count: Int { keys.count }
    package subscript(key: Value) -> Value? {
        get { index[key].map { values[$0] } }
        set {
            if let v = newValue { set(key, v) } else { remove(key) }
        }
    }
    package mutating func set(_ key: Value, _ value: Value) {
        if let i = index[key] { values[i] = value; return }
        index[key] = keys.count
        keys.append(key)
        values.append(value)
    }
    @discardableResult
    mutating func remove(_ key: Value) -> Value? {
        guard let i = index.removeValue(forKey: key) else { return nil }
        keys.remove(at: i)
        let old = values.remove(at: i)
        for j in i..<keys.count { index[keys[j]] = j }
        return old
    }
    mutating func removeAll() { self = OrderedDict() }

    /// In-place access to the value of `key` (or `fallback`); a nil result removes the key.
    mutating func modify(_ key: Value, default fallback: Value, _ body: (inout Value) throws -> Void) rethrows {
        if let i = index[key] {
            var element = values[i]
            values[i] = .void
            do { try body(&element) } catch { values[i] = element; throw error }
            if element.isNil { remove(key) } else { values[i] = element }
        } else {
            var element = fallback
            try body(&element)
            if !element.isNil { set(key, element) }
        }
    }
}

extension Value: Hashable {
    package static func == (a: Value, b: Value) -> Bool {
        switch (a, b) {
        case (.int(let x), .int(let y)): return x == y
        case (.double(let x), .double(let y)): return x == y
        case (.int(let x), .double(let y)): return Double(x) == y
        case (.double(let x), .int(let y)): return x == Double(y)
        case (.bool(let x), .bool(let y)): return x == y
        case (.string(let x), .string(let y)): return x == y
        case (.array(let x), .array(let y)): return x == y
        case (.dict(let x), .dict(let y)):
            guard x.count == y.count else { return false }
            for (k, v) in zip(x.keys, x.values) where y[k] != v { return false }
            return true
        case (.tuple(let x), .tuple(let y)): return x.elements == y.elements
        case (.range(let x), .range(let y)): return x == y
        case (.stride(let x), .stride(let y)): return x == y
        case (.null, .null), (.void, .void): return true
        case (.function(let x), .function(let y)): return x === y
        case (.object(let x), .object(let y)):
            if let a = (x as? NamedCase)?.caseName, let b = (y as? NamedCase)?.caseName { return a == b }
            if let p = x as? any OperandObject, let q = y as? any OperandObject { return p.isSame(as: q) }
            return x === y
        default: return false
        }
    }

    package func hash(into h: inout Hasher) {
        switch self {
        case .int(let x): h.combine(Double(x))
        case .double(let x): h.combine(x)
        case .bool(let x): h.combine(x)
        case .string(let x): h.combine(x)
        case .array(let x): h.combine(x)
        case .dict(let x): h.combine(x.count)
        case .tuple(let x): h.combine(x.elements)
        case .range(let x): h.combine(x)
        case .stride(let x): h.combine(x)
        case .null: h.combine(0)
        case .void: h.combine(1)
        case .function(let f): h.combine(ObjectIdentifier(f))
        case .object(let o):
            if let name = (o as? NamedCase)?.caseName { h.combine(name) }
            else if let p = o as? any OperandObject { p.hashIdentity(into: &h) }
            else { h.combine(ObjectIdentifier(o)) }
        }
    }
}

extension Value {
    /// The Swift-like type name, e.g. `Int`, `[String]`, `[String: Double]`, `(Int, String)`.
    package var typeName: String {
        switch self {
        case .int: return "Int"
        case .double: return "Double"
        case .bool: return "Bool"
        case .string: return "String"
        case .array(let xs): return "[\(Value.commonTypeName(xs))]"
        case .dict(let d): return "[\(Value.commonTypeName(d.keys)): \(Value.commonTypeName(d.values))]"
        case .tuple(let t):
            let parts = t.elements.enumerated().map { i, v in
                let label = t.labels?[i] ?? ""
                return label.isEmpty ? v.typeName : "\(label): \(v.typeName)"
            }
            return "(\(parts.joined(separator: ", ")))"
        case .range(let r):
            return "\(r.closed ? "ClosedRange" : "Range")<\(r.lower.typeName)>"
        case .stride(let s): return "StrideTo<\(s.from.typeName)>"
        case .null: return "Optional<Any>"
        case .void: return "()"
        case .function(let f): return f.typeName
        case .object(let o): return o.typeName
        }
    }

    static func commonTypeName(_ xs: [Value]) -> String {
        guard let first = xs.first else { return "Any" }
        let name = first.typeName
        var sawNil = false
        for x in xs.dropFirst() {
            if case .null = x { sawNil = true; continue }
            if x.typeName != name { return "Any" }
        }
        if case .null = first { return "Any" }
        return sawNil ? "\(name)?" : name
    }

    /// A short word for the kind of value, used by member lookup.
    package var kind: ValueKind {
        switch self {
        case .int: return .int
        case .double: return .double
        case .bool: return .bool
        case .string: return .string
        case .array: return .array
        case .dict: return .dict
        case .tuple: return .tuple
        case .range, .stride: return .range
        case .null: return .null
        case .void: return .void
        case .function: return .function
        case .object: return .object
        }
    }

    package var isNil: Bool { if case .null = self { return true }; return false }
}

/// The kinds of values members are registered on.
package enum ValueKind: String, CaseIterable, Sendable {
    case int = "Int", double = "Double", bool = "Bool", string = "String"
    case array = "Array", dict = "Dictionary", tuple = "Tuple", range = "Range"
    case null = "Optional", void = "Void", function = "Function", object = "Object"
}

/// Moving a collection out of a value (leaving `.void`) so that it is uniquely referenced
/// while mutated: `a.append(x)` in a loop stays O(1) amortised instead of copying.
extension Value {
    mutating func takeArray() -> [Value]? {
        guard case .array(let xs) = self else { return nil }
        self = .void
        return xs
    }

    mutating func takeDict() -> OrderedDict? {
        guard case .dict(let d) = self else { return nil }
        self = .void
        return d
    }

    mutating func takeString() -> String? {
        guard case .string(let s) = self else { return nil }
        self = .void
        return s
    }

    mutating func takeTuple() -> TupleValue? {
        guard case .tuple(let t) = self else { return nil }
        self = .void
        return t
    }
}
