/// A JSON number as written in the text: integer literals that fit `Int64` stay exact,
/// everything else (fractions, exponents, integers too large for `Int64`, and `-0`) is a
/// `Double`.
///
///     try JSONValue(parsing: "12").number        // .int(12)
///     try JSONValue(parsing: "1e2").number       // .double(100.0)
///     try JSONValue(parsing: "-0").number        // .double(-0.0), as serde_json reads it
public enum JSONNumber: Sendable, Hashable {
    /// An integer literal that fits `Int64`, such as `-12` (`JSONValue(parsing: "-12")`).
    case int(Int64)
    /// Any other number, such as `0.5`, `1e3` or `18446744073709551616`.
    case double(Double)

    /// The number as a `Double` (an `Int64` beyond 2^53 is rounded).
    ///
    ///     JSONNumber.int(3).doubleValue   // 3.0
    public var doubleValue: Double {
        switch self {
        case let .int(i): Double(i)
        case let .double(d): d
        }
    }

    /// The number as an `Int64` when it is a whole number in range: any `.int`, or a
    /// `.double` without a fractional part (so `1.0` and `1e2` qualify).
    ///
    ///     JSONNumber.double(1e2).int64Value   // 100
    ///     JSONNumber.double(0.5).int64Value   // nil
    public var int64Value: Int64? {
        switch self {
        case let .int(i): i
        case let .double(d): Int64(exactly: d)
        }
    }
}

/// One JSON value. Objects are an ordered list of `(key, value)` pairs: members keep the
/// order of the text, duplicate keys are kept, and keys are compared scalar by scalar (no
/// Unicode canonical-equivalence merging, which a Swift `[String: …]` would do).
///
/// Parse with `JSONValue(parsing:)` (strict RFC 8259, see ``JSONError``), write with
/// ``text(_:)`` or ``JSONWriter``, build with literals:
///
///     let v: JSONValue = ["name": "koan", "sizes": [1, 2.5], "ok": true, "none": .null]
///     v.text()               // {"name":"koan","sizes":[1,2.5],"ok":true,"none":null}
///     v["sizes"]?[1]?.double // 2.5
public enum JSONValue: Sendable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number, exact for integers: `.number(.int(3))` is `3`, `.number(.double(0.5))` is `0.5`.
    case number(JSONNumber)
    /// A string (any Unicode text; the writer escapes what JSON requires).
    case string(String)
    /// An array: `.array([1, "a"])` is `[1,"a"]`.
    case array([JSONValue])
    /// An object as its members in order: `.object([("b", 1), ("a", 2)])` is `{"b":1,"a":2}`.
    case object([(String, JSONValue)])
}

// MARK: building

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    /// `let v: JSONValue = "text"` is `.string("text")`.
    public init(stringLiteral value: String) { self = .string(value) }
    /// `let v: JSONValue = 3` is `.number(.int(3))`.
    public init(integerLiteral value: Int64) { self = .number(.int(value)) }
    /// `let v: JSONValue = 0.5` is `.number(.double(0.5))`.
    public init(floatLiteral value: Double) { self = .number(.double(value)) }
    /// `let v: JSONValue = true` is `.bool(true)`.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    /// `let v: JSONValue = [1, "a"]` is an array.
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    /// `let v: JSONValue = ["b": 1, "a": 2]` is an object with the members in the order written.
    public init(dictionaryLiteral elements: (String, JSONValue)...) { self = .object(elements) }

    /// An integer number.
    ///
    ///     JSONValue(42).text()   // 42
    public init(_ value: Int) { self = .number(.int(Int64(value))) }

    /// A floating-point number; the writer turns NaN and ±infinity into `null`.
    ///
    ///     JSONValue(0.25).text()   // 0.25
    public init(_ value: Double) { self = .number(.double(value)) }
}

// MARK: reading

extension JSONValue {
    /// The value of the **last** member named `key` (as Python's `json`, serde_json and
    /// Foundation's `JSONDecoder` resolve duplicates), comparing keys scalar by scalar;
    /// nil when absent or when this is not an object.
    ///
    ///     let v: JSONValue = ["a": 1, "a": 2]
    ///     v["a"]   // .number(.int(2))
    public subscript(key: String) -> JSONValue? {
        guard case let .object(members) = self else { return nil }
        for (k, v) in members.reversed() where k.unicodeScalars.elementsEqual(key.unicodeScalars) { return v }
        return nil
    }

    /// The element at `index` of an array; nil when out of range or not an array.
    ///
    ///     let v: JSONValue = [10, 20]
    ///     v[1]   // .number(.int(20))
    public subscript(index: Int) -> JSONValue? {
        guard case let .array(items) = self, items.indices.contains(index) else { return nil }
        return items[index]
    }

    /// Whether this is `null`.
    ///
    ///     JSONValue.null.isNull   // true
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The boolean, when this is one.
    ///
    ///     JSONValue.bool(true).bool   // true
    public var bool: Bool? {
        if case let .bool(b) = self { return b }
        return nil
    }

    /// The string, when this is one.
    ///
    ///     JSONValue.string("x").string   // "x"
    public var string: String? {
        if case let .string(s) = self { return s }
        return nil
    }

    /// The number, when this is one.
    ///
    ///     let v: JSONValue = 2
    ///     v.number   // .int(2)
    public var number: JSONNumber? {
        if case let .number(n) = self { return n }
        return nil
    }

    /// Any number as a `Double`.
    ///
    ///     let v: JSONValue = 2
    ///     v.double   // 2.0
    public var double: Double? { number?.doubleValue }

    /// A whole number that fits `Int` (see ``JSONNumber/int64Value``).
    ///
    ///     let v: JSONValue = 2.0
    ///     v.int   // 2
    public var int: Int? {
        guard let i = number?.int64Value else { return nil }
        return Int(exactly: i)
    }

    /// The elements, when this is an array.
    ///
    ///     let v: JSONValue = [1, 2]
    ///     v.array?.count   // 2
    public var array: [JSONValue]? {
        if case let .array(a) = self { return a }
        return nil
    }

    /// The members in text order, when this is an object.
    ///
    ///     let v: JSONValue = ["a": 1]
    ///     v.object?.first?.0   // "a"
    public var object: [(String, JSONValue)]? {
        if case let .object(o) = self { return o }
        return nil
    }

    /// What kind of value this is, for error messages: "null", "a boolean", "an integer"
    /// (an integer literal that fits `Int64`), "a number", "a string", "an array", "an object".
    ///
    ///     let v: JSONValue = [1]
    ///     "expected an object, found \(v.kind)"   // …found an array
    public var kind: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number(.int): "an integer"
        case .number(.double): "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

// MARK: equality and text

extension JSONValue: Equatable {
    /// Structural equality: same kinds, same members in the same order, keys and strings
    /// equal scalar by scalar; `.int(1)` and `.double(1)` differ.
    ///
    ///     (["a": 1] as JSONValue) == ["a": 1]   // true
    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.number(x), .number(y)): return x == y
        case let (.string(x), .string(y)): return x.unicodeScalars.elementsEqual(y.unicodeScalars)
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)):
            return x.count == y.count && zip(x, y).allSatisfy { p, q in
                p.0.unicodeScalars.elementsEqual(q.0.unicodeScalars) && p.1 == q.1
            }
        default: return false
        }
    }
}

extension JSONValue: CustomStringConvertible {
    /// Compact JSON text, as ``text(_:)``.
    public var description: String { text() }

    /// JSON text in `style` (compact by default), escaped as serde_json and Python's
    /// `json.dumps(ensure_ascii=False)` do.
    ///
    ///     let v: JSONValue = ["a": [1, 2]]
    ///     v.text()          // {"a":[1,2]}
    ///     v.text(.pretty)   // {\n  "a": [1, 2]\n}
    public func text(_ style: JSONWriter.Style = .compact) -> String {
        JSONWriter.string(self, style: style)
    }
}
