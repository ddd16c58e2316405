/// The JSON of a safetensors header: a strict RFC 8259 parser that keeps object members in
/// file order (the reader reports tensors in that order) and a writer that escapes strings
/// like serde_json (the reference implementation), so headers match it byte for byte.
enum HeaderJSON {
    struct Member {
        let key: String
        let value: Value
    }

    enum Value {
        case object([Member])
        case array([Value])
        case string(String)
        /// The number's literal text and whether it is a plain integer (no fraction/exponent).
        case number(text: String, isInteger: Bool)
        case bool(Bool)
        case null

        var kindName: String {
            switch self {
            case .object: "an object"
            case .array: "an array"
            case .string: "a string"
            case let .number(_, isInteger): isInteger ? "an integer" : "a non-integer number"
            case .bool: "a boolean"
            case .null: "null"
            }
        }
    }

    struct Failure: Error { let message: String }

    /// Deepest nesting accepted; safetensors headers need 3 levels, hostile input gets no deeper.
    static let maxDepth = 64

    // MARK: parsing

    struct Parser {
        let bytes: UnsafeRawBufferPointer
        var pos = 0
        var depth = 0

        init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

        /// One JSON value with optional whitespace around it, nothing else.
        mutating func parseDocument() throws -> Value {
            skipWhitespace()
            let v = try parseValue()
            skipWhitespace()
            guard pos == bytes.count else { throw fail("unexpected text after the JSON value") }
            return v
        }

        func fail(_ message: String) -> Failure { Failure(message: "\(message) at byte \(pos)") }

        mutating func skipWhitespace() {
            while pos < bytes.count {
                switch bytes[pos] {
                case 0x20, 0x09, 0x0A, 0x0D: pos += 1
                default: return
                }
            }
        }

        mutating func parseValue() throws -> Value {
            guard pos < bytes.count else { throw fail("unexpected end of JSON") }
            switch bytes[pos] {
            case UInt8(ascii: "{"): return try parseObject()
            case UInt8(ascii: "["): return try parseArray()
            case UInt8(ascii: "\""): return .string(try parseString())
            case UInt8(ascii: "t"): try expectWord("true"); return .bool(true)
            case UInt8(ascii: "f"): try expectWord("false"); return .bool(false)
            case UInt8(ascii: "n"): try expectWord("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
            default: throw fail("unexpected character '\(printable(bytes[pos]))'")
            }
        }

        mutating func enter() throws {
            depth += 1
            guard depth <= HeaderJSON.maxDepth else { throw fail("JSON nested deeper than \(HeaderJSON.maxDepth) levels") }
        }

        mutating func parseObject() throws -> Value {
            try enter()
            defer { depth -= 1 }
            pos += 1
            var members = [Member]()
            skipWhitespace()
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "}") { pos += 1; return .object(members) }
            while true {
                skipWhitespace()
                guard pos < bytes.count, bytes[pos] == UInt8(ascii: "\"") else { throw fail("expected a string key") }
                let key = try parseString()
                skipWhitespace()
                guard pos < bytes.count, bytes[pos] == UInt8(ascii: ":") else { throw fail("expected ':' after key \"\(key)\"") }
                pos += 1
                skipWhitespace()
                let value = try parseValue()
                members.append(Member(key: key, value: value))
                skipWhitespace()
                guard pos < bytes.count else { throw fail("unterminated object") }
                if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
                guard bytes[pos] == UInt8(ascii: "}") else { throw fail("expected ',' or '}'") }
                pos += 1
                return .object(members)
            }
        }

        mutating func parseArray() throws -> Value {
            try enter()
            defer { depth -= 1 }
            pos += 1
            var items = [Value]()
            skipWhitespace()
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "]") { pos += 1; return .array(items) }
            while true {
                skipWhitespace()
                items.append(try parseValue())
                skipWhitespace()
                guard pos < bytes.count else { throw fail("unterminated array") }
                if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
                guard bytes[pos] == UInt8(ascii: "]") else { throw fail("expected ',' or ']'") }
                pos += 1
                return .array(items)
            }
        }

        mutating func expectWord(_ word: String) throws {
            let w = Array(word.utf8)
            let n = w.count
            guard pos + n <= bytes.count, (0..<n).allSatisfy({ bytes[pos + $0] == w[$0] }) else {
                throw fail("invalid literal")
            }
            pos += n
        }

        mutating func parseNumber() throws -> Value {
            let start = pos
            var isInteger = true
            if bytes[pos] == UInt8(ascii: "-") { pos += 1 }
            guard pos < bytes.count, isDigit(bytes[pos]) else { throw fail("expected a digit") }
            if bytes[pos] == UInt8(ascii: "0") {
                pos += 1
                if pos < bytes.count, isDigit(bytes[pos]) { throw fail("leading zero in a number") }
            } else {
                while pos < bytes.count, isDigit(bytes[pos]) { pos += 1 }
            }
            if pos < bytes.count, bytes[pos] == UInt8(ascii: ".") {
                isInteger = false
                pos += 1
                guard pos < bytes.count, isDigit(bytes[pos]) else { throw fail("expected a digit after '.'") }
                while pos < bytes.count, isDigit(bytes[pos]) { pos += 1 }
            }
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "e") || bytes[pos] == UInt8(ascii: "E") {
                isInteger = false
                pos += 1
                if pos < bytes.count, bytes[pos] == UInt8(ascii: "+") || bytes[pos] == UInt8(ascii: "-") { pos += 1 }
                guard pos < bytes.count, isDigit(bytes[pos]) else { throw fail("expected a digit in the exponent") }
                while pos < bytes.count, isDigit(bytes[pos]) { pos += 1 }
            }
            let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<pos]), as: UTF8.self)
            return .number(text: text, isInteger: isInteger)
        }

        func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

        /// A string starting at the opening quote. The whole header was checked to be UTF-8.
        mutating func parseString() throws -> String {
            pos += 1
            var out = [UInt8]()
            while true {
                guard pos < bytes.count else { throw fail("unterminated string") }
                let b = bytes[pos]
                if b == UInt8(ascii: "\"") { pos += 1; break }
                if b < 0x20 { throw fail("unescaped control character in a string") }
                if b != UInt8(ascii: "\\") { out.append(b); pos += 1; continue }
                pos += 1
                guard pos < bytes.count else { throw fail("unterminated string") }
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
                    var scalar = try hex4()
                    if scalar >= 0xD800 && scalar < 0xDC00 {
                        guard pos + 1 < bytes.count, bytes[pos] == UInt8(ascii: "\\"), bytes[pos + 1] == UInt8(ascii: "u") else {
                            throw fail("unpaired surrogate in a \\u escape")
                        }
                        pos += 2
                        let low = try hex4()
                        guard low >= 0xDC00 && low < 0xE000 else { throw fail("unpaired surrogate in a \\u escape") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if scalar >= 0xDC00 && scalar < 0xE000 {
                        throw fail("unpaired surrogate in a \\u escape")
                    }
                    guard let u = Unicode.Scalar(scalar) else { throw fail("invalid \\u escape") }
                    out.append(contentsOf: Array(String(Character(u)).utf8))
                default:
                    throw fail("invalid escape '\\\(printable(e))'")
                }
            }
            guard let s = String(validating: out, as: UTF8.self) else { throw fail("invalid UTF-8 in a string") }
            return s
        }

        mutating func hex4() throws -> UInt32 {
            guard pos + 4 <= bytes.count else { throw fail("truncated \\u escape") }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let c = bytes[pos]
                let d: UInt32
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - UInt8(ascii: "A") + 10)
                default: throw fail("invalid hex digit in a \\u escape")
                }
                v = v << 4 | d
                pos += 1
            }
            return v
        }

        func printable(_ b: UInt8) -> String {
            b >= 0x20 && b < 0x7F ? String(UnicodeScalar(b)) : "\\x" + String(b, radix: 16)
        }
    }

    // MARK: writing

    /// Appends `s` as a JSON string literal, escaped as serde_json does: `"` and `\`, the
    /// short escapes \b \f \n \r \t, other control characters as \u00XX (lowercase hex),
    /// everything else (including non-ASCII and DEL) as raw UTF-8.
    static func appendString(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case 0x22: out.append(contentsOf: [0x5C, 0x22])
            case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
            case 0x08: out.append(contentsOf: [0x5C, UInt8(ascii: "b")])
            case 0x0C: out.append(contentsOf: [0x5C, UInt8(ascii: "f")])
            case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: Array("\\u00".utf8))
                out.append(hex[Int(b >> 4)])
                out.append(hex[Int(b & 0xF)])
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    static func appendInt(_ n: Int, to out: inout [UInt8]) {
        out.append(contentsOf: Array(String(n).utf8))
    }
}
