/// Why JSON text was rejected, and the byte offset (from 0) where the problem was found.
///
///     do { _ = try JSONValue(parsing: "[1, 2") } catch {
///         error.reason        // .unexpectedEnd
///         error.offset        // 5
///         "\(error)"          // unexpected end of JSON at byte 5
///     }
public struct JSONError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kinds of malformed input.
    public enum Reason: Sendable, Equatable {
        /// The text ends inside a value (or is empty).
        case unexpectedEnd
        /// A byte that cannot start a value here (a single quote, a letter, a non-ASCII byte…).
        case unexpectedCharacter(UInt8)
        /// Something other than whitespace after the one top-level value.
        case trailingText
        /// An object member that does not start with a string key.
        case expectedKey
        /// An object key not followed by `:`.
        case expectedColon
        /// Array elements or object members not separated by `,` or closed by `]` / `}`.
        case expectedCommaOr(Character)
        /// A misspelt `true`, `false` or `null`.
        case invalidLiteral
        /// A number that breaks the JSON grammar (leading zero, `1.`, `1e`, `-`…); the text says how.
        case invalidNumber(String)
        /// A number whose magnitude does not fit a `Double` (such as `1e400`).
        case numberOutOfRange
        /// A string without its closing quote; the offset is the opening quote.
        case unterminatedString
        /// A raw byte below 0x20 inside a string (it must be escaped).
        case controlCharacterInString
        /// A backslash followed by something other than `" \ / b f n r t u`.
        case invalidEscape(UInt8)
        /// `\u` not followed by four hex digits.
        case invalidUnicodeEscape
        /// A `\uD800`–`\uDFFF` escape that is not a high-low surrogate pair.
        case unpairedSurrogate
        /// String bytes that are not UTF-8; the offset is the opening quote.
        case invalidUTF8
        /// Arrays and objects nested deeper than the parser's limit.
        case tooDeep(limit: Int)
    }

    /// What is wrong: `.trailingText` for `"{} x"`.
    public let reason: Reason
    /// The byte offset of the problem in the input: 3 for `"{} x"`.
    public let offset: Int

    /// Builds an error; the parser is the usual source.
    ///
    ///     JSONError(reason: .trailingText, offset: 3).description   // unexpected text after the JSON value at byte 3
    public init(reason: Reason, offset: Int) {
        self.reason = reason
        self.offset = offset
    }

    /// The problem without the offset.
    ///
    ///     JSONError(reason: .invalidNumber("leading zero in a number"), offset: 1).message   // leading zero in a number
    public var message: String {
        switch reason {
        case .unexpectedEnd: "unexpected end of JSON"
        case let .unexpectedCharacter(b): "unexpected character '\(printable(b))'"
        case .trailingText: "unexpected text after the JSON value"
        case .expectedKey: "expected a string key"
        case .expectedColon: "expected ':' after an object key"
        case let .expectedCommaOr(c): "expected ',' or '\(c)'"
        case .invalidLiteral: "invalid literal (expected true, false or null)"
        case let .invalidNumber(how): how
        case .numberOutOfRange: "number out of range"
        case .unterminatedString: "unterminated string"
        case .controlCharacterInString: "unescaped control character in a string"
        case let .invalidEscape(b): "invalid escape '\\\(printable(b))'"
        case .invalidUnicodeEscape: "invalid \\u escape (expected four hex digits)"
        case .unpairedSurrogate: "unpaired surrogate in a \\u escape"
        case .invalidUTF8: "invalid UTF-8 in a string"
        case let .tooDeep(limit): "JSON nested deeper than \(limit) levels"
        }
    }

    /// `message` followed by ` at byte N`.
    ///
    ///     JSONError(reason: .unexpectedEnd, offset: 5).description   // unexpected end of JSON at byte 5
    public var description: String { "\(message) at byte \(offset)" }

    private func printable(_ b: UInt8) -> String {
        b >= 0x20 && b < 0x7F ? String(UnicodeScalar(b)) : "\\x" + String(b, radix: 16)
    }
}

extension JSONValue {
    /// The nesting limit used when none is given: 128 levels of arrays and objects, as
    /// serde_json's default. Recursion stays bounded on hostile input.
    ///
    ///     try JSONValue(parsing: String(repeating: "[", count: 200))   // throws .tooDeep(limit: 128) at byte 128
    public static let defaultMaxDepth = 128

    /// What the parser does with a `\u` escape that is half of a UTF-16 surrogate pair.
    ///
    ///     try JSONValue(parsing: #""\ud800x""#, loneSurrogates: .replace)   // .string("\u{FFFD}x")
    public enum LoneSurrogates: Sendable {
        /// Throw ``JSONError/Reason/unpairedSurrogate`` (RFC 8259 interoperable; serde_json does the same).
        case reject
        /// Decode it as U+FFFD, keeping whatever follows.
        case replace
    }

    /// Parses UTF-8 JSON text strictly (RFC 8259): exactly one value with optional
    /// whitespace around it; no comments, trailing commas, single quotes, leading zeros,
    /// `NaN` or byte-order mark; strings must be UTF-8 with control characters escaped.
    /// Object members keep their order and exact keys.
    ///
    ///     let v = try JSONValue(parsing: Array(#"{"b": [1, 2.5e3], "a": "\u00e9"}"#.utf8))
    ///     v["b"]?[1]   // .number(.double(2500.0))
    ///     v["a"]       // .string("é")
    ///
    /// - Parameters:
    ///   - maxDepth: nesting beyond this many arrays/objects throws ``JSONError/Reason/tooDeep(limit:)``.
    ///   - loneSurrogates: whether an unpaired `\uD800`–`\uDFFF` escape throws or becomes U+FFFD.
    public init(parsing bytes: some Collection<UInt8>, maxDepth: Int = JSONValue.defaultMaxDepth,
                loneSurrogates: LoneSurrogates = .reject) throws(JSONError) {
        let parsed = bytes.withContiguousStorageIfAvailable { buffer in
            Self.parse(buffer, maxDepth: maxDepth, loneSurrogates: loneSurrogates)
        }
        if let parsed {
            self = try parsed.get()
        } else {
            let copy = Array(bytes)
            self = try copy.withUnsafeBufferPointer { buffer in
                Self.parse(buffer, maxDepth: maxDepth, loneSurrogates: loneSurrogates)
            }.get()
        }
    }

    /// Parses JSON text held in a `String` (see the byte-collection initializer for the rules).
    ///
    ///     try JSONValue(parsing: "[true, null]")   // .array([.bool(true), .null])
    public init(parsing text: String, maxDepth: Int = JSONValue.defaultMaxDepth,
                loneSurrogates: LoneSurrogates = .reject) throws(JSONError) {
        try self.init(parsing: text.utf8, maxDepth: maxDepth, loneSurrogates: loneSurrogates)
    }

    private static func parse(_ buffer: UnsafeBufferPointer<UInt8>, maxDepth: Int,
                              loneSurrogates: LoneSurrogates) -> Result<JSONValue, JSONError> {
        var parser = Parser(buffer, maxDepth: maxDepth, replaceLoneSurrogates: loneSurrogates == .replace)
        return Result { () throws(JSONError) -> JSONValue in try parser.parseDocument() }
    }
}

/// The recursive-descent parser behind `JSONValue(parsing:)`.
private struct Parser {
    let bytes: UnsafeBufferPointer<UInt8>
    let maxDepth: Int
    let replaceLoneSurrogates: Bool
    var pos = 0
    var depth = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int, replaceLoneSurrogates: Bool) {
        self.bytes = bytes
        self.maxDepth = maxDepth
        self.replaceLoneSurrogates = replaceLoneSurrogates
    }

    func fail(_ reason: JSONError.Reason, at offset: Int? = nil) -> JSONError {
        JSONError(reason: reason, offset: offset ?? pos)
    }

    /// One value with optional whitespace around it, nothing else.
    mutating func parseDocument() throws(JSONError) -> JSONValue {
        skipWhitespace()
        let value = try parseValue()
        skipWhitespace()
        guard pos == bytes.count else { throw fail(.trailingText) }
        return value
    }

    mutating func skipWhitespace() {
        while pos < bytes.count {
            switch bytes[pos] {
            case 0x20, 0x09, 0x0A, 0x0D: pos += 1
            default: return
            }
        }
    }

    /// The next byte after whitespace; throws at the end of the input.
    mutating func peekToken() throws(JSONError) -> UInt8 {
        skipWhitespace()
        guard pos < bytes.count else { throw fail(.unexpectedEnd) }
        return bytes[pos]
    }

    mutating func parseValue() throws(JSONError) -> JSONValue {
        guard pos < bytes.count else { throw fail(.unexpectedEnd) }
        switch bytes[pos] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectWord("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectWord("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectWord("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw fail(.unexpectedCharacter(bytes[pos]))
        }
    }

    mutating func enter() throws(JSONError) {
        depth += 1
        guard depth <= maxDepth else { throw fail(.tooDeep(limit: maxDepth)) }
    }

    mutating func parseObject() throws(JSONError) -> JSONValue {
        try enter()
        defer { depth -= 1 }
        pos += 1
        var members: [(String, JSONValue)] = []
        if try peekToken() == UInt8(ascii: "}") { pos += 1; return .object(members) }
        while true {
            guard try peekToken() == UInt8(ascii: "\"") else { throw fail(.expectedKey) }
            let key = try parseString()
            guard try peekToken() == UInt8(ascii: ":") else { throw fail(.expectedColon) }
            pos += 1
            skipWhitespace()
            members.append((key, try parseValue()))
            switch try peekToken() {
            case UInt8(ascii: ","): pos += 1
            case UInt8(ascii: "}"): pos += 1; return .object(members)
            default: throw fail(.expectedCommaOr("}"))
            }
        }
    }

    mutating func parseArray() throws(JSONError) -> JSONValue {
        try enter()
        defer { depth -= 1 }
        pos += 1
        var items: [JSONValue] = []
        if try peekToken() == UInt8(ascii: "]") { pos += 1; return .array(items) }
        while true {
            skipWhitespace()
            items.append(try parseValue())
            switch try peekToken() {
            case UInt8(ascii: ","): pos += 1
            case UInt8(ascii: "]"): pos += 1; return .array(items)
            default: throw fail(.expectedCommaOr("]"))
            }
        }
    }

    mutating func expectWord(_ word: StaticString) throws(JSONError) {
        let n = word.utf8CodeUnitCount
        let w = UnsafeBufferPointer(start: word.utf8Start, count: n)
        guard pos + n <= bytes.count, (0..<n).allSatisfy({ bytes[pos + $0] == w[$0] }) else {
            throw fail(.invalidLiteral)
        }
        pos += n
    }

    static func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

    /// An integer literal that fits `Int64` becomes `.int`, except `-0`, which (as in
    /// serde_json) becomes `.double(-0.0)` so its sign survives; everything else `.double`.
    mutating func parseNumber() throws(JSONError) -> JSONNumber {
        let start = pos
        var isInteger = true
        let negative = bytes[pos] == UInt8(ascii: "-")
        if negative { pos += 1 }
        guard pos < bytes.count, Self.isDigit(bytes[pos]) else { throw fail(.invalidNumber("expected a digit")) }
        if bytes[pos] == UInt8(ascii: "0") {
            pos += 1
            if pos < bytes.count, Self.isDigit(bytes[pos]) { throw fail(.invalidNumber("leading zero in a number")) }
        } else {
            while pos < bytes.count, Self.isDigit(bytes[pos]) { pos += 1 }
        }
        let integerEnd = pos
        if pos < bytes.count, bytes[pos] == UInt8(ascii: ".") {
            isInteger = false
            pos += 1
            guard pos < bytes.count, Self.isDigit(bytes[pos]) else { throw fail(.invalidNumber("expected a digit after '.'")) }
            while pos < bytes.count, Self.isDigit(bytes[pos]) { pos += 1 }
        }
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "e") || bytes[pos] == UInt8(ascii: "E") {
            isInteger = false
            pos += 1
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "+") || bytes[pos] == UInt8(ascii: "-") { pos += 1 }
            guard pos < bytes.count, Self.isDigit(bytes[pos]) else { throw fail(.invalidNumber("expected a digit in the exponent")) }
            while pos < bytes.count, Self.isDigit(bytes[pos]) { pos += 1 }
        }
        if isInteger {
            // Accumulate negatively so Int64.min fits.
            var value: Int64 = 0
            var fits = true
            for i in (negative ? start + 1 : start)..<integerEnd where fits {
                let (m, o1) = value.multipliedReportingOverflow(by: 10)
                let (s, o2) = m.subtractingReportingOverflow(Int64(bytes[i] - UInt8(ascii: "0")))
                fits = !o1 && !o2
                value = s
            }
            if fits && value == 0 && negative { return .double(-0.0) }
            if fits && negative { return .int(value) }
            if fits && value != .min { return .int(-value) }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<pos]), as: UTF8.self)
        guard let d = Double(text), d.isFinite else { throw fail(.numberOutOfRange, at: start) }
        return .double(d)
    }

    /// A string starting at the opening quote.
    mutating func parseString() throws(JSONError) -> String {
        let open = pos
        pos += 1
        var run = pos          // start of the bytes not yet copied to `out`
        var out: [UInt8] = []  // used only once an escape is seen
        var escaped = false
        while true {
            guard pos < bytes.count else { throw fail(.unterminatedString, at: open) }
            let b = bytes[pos]
            if b == UInt8(ascii: "\"") {
                let text: String?
                if escaped {
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run..<pos]))
                    text = String(validating: out, as: UTF8.self)
                } else {
                    text = String(validating: UnsafeBufferPointer(rebasing: bytes[run..<pos]), as: UTF8.self)
                }
                guard let text else { throw fail(.invalidUTF8, at: open) }
                pos += 1
                return text
            }
            if b < 0x20 { throw fail(.controlCharacterInString) }
            if b != UInt8(ascii: "\\") { pos += 1; continue }
            if !escaped { escaped = true; out.reserveCapacity(pos - run + 16) }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run..<pos]))
            let escapeStart = pos
            pos += 1
            guard pos < bytes.count else { throw fail(.unterminatedString, at: open) }
            let e = bytes[pos]
            pos += 1
            switch e {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                let scalar = try unicodeEscape(startingAt: escapeStart)
                Unicode.UTF8.encode(scalar) { out.append($0) }
            default:
                throw fail(.invalidEscape(e), at: escapeStart)
            }
            run = pos
        }
    }

    /// The scalar of a `\uXXXX` escape (the `\u` already consumed), joining a surrogate pair.
    mutating func unicodeEscape(startingAt escapeStart: Int) throws(JSONError) -> Unicode.Scalar {
        let unit = try hex4()
        if unit >= 0xD800 && unit < 0xDC00 {
            let save = pos
            if pos + 1 < bytes.count, bytes[pos] == UInt8(ascii: "\\"), bytes[pos + 1] == UInt8(ascii: "u") {
                pos += 2
                let low = try hex4()
                if low >= 0xDC00 && low < 0xE000, let s = Unicode.Scalar(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)) {
                    return s
                }
            }
            guard replaceLoneSurrogates else { throw fail(.unpairedSurrogate, at: escapeStart) }
            pos = save  // what followed is read on its own
            return "\u{FFFD}"
        }
        if let s = Unicode.Scalar(unit) { return s }
        // A low surrogate without a high one before it.
        guard replaceLoneSurrogates else { throw fail(.unpairedSurrogate, at: escapeStart) }
        return "\u{FFFD}"
    }

    mutating func hex4() throws(JSONError) -> UInt32 {
        var v: UInt32 = 0
        for _ in 0..<4 {
            guard pos < bytes.count else { throw fail(.invalidUnicodeEscape) }
            let c = bytes[pos]
            let d: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - UInt8(ascii: "A") + 10)
            default: throw fail(.invalidUnicodeEscape)
            }
            v = v << 4 | d
            pos += 1
        }
        return v
    }
}
