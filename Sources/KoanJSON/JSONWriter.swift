/// Writes ``JSONValue``s as UTF-8 JSON text.
///
/// Strings are escaped as serde_json and Python's `json.dumps(ensure_ascii=False)` escape
/// them: `"` and `\`, the short escapes `\b \f \n \r \t`, other control characters as
/// `\u00XX` (lowercase hex), everything else (non-ASCII, DEL) as raw UTF-8. So a
/// safetensors header written from a `JSONValue` matches the reference writer byte for byte.
///
/// Numbers: `.int` in decimal; `.double` in Swift's shortest round-trip form (`0.1`,
/// `1e-07`, `3.0`), with NaN and ±infinity written as `null` (as serde_json does).
///
///     JSONWriter.string(["a": "x\ny", "b": [1, 2]])                  // {"a":"x\ny","b":[1,2]}
///     JSONWriter.string(["a": "x\ny", "b": [1, 2]], style: .pretty)  // {\n  "a": "x\ny",\n  "b": [1, 2]\n}
public enum JSONWriter {
    /// The layout of the text.
    public enum Style: Sendable {
        /// No whitespace at all: `{"a":[1,2]}`.
        case compact
        /// Two-space indentation with `": "` after keys; arrays holding only scalars (and
        /// empty containers) stay on one line, items separated by `", "` (the layout of
        /// Hugging Face `tokenizer.json` files).
        case pretty
    }

    /// The JSON text of `value`.
    ///
    ///     JSONWriter.string([1, "é", .null])   // [1,"é",null]
    public static func string(_ value: JSONValue, style: Style = .compact) -> String {
        String(decoding: bytes(value, style: style), as: UTF8.self)
    }

    /// The JSON text of `value` as UTF-8 bytes.
    ///
    ///     JSONWriter.bytes(["k": true])   // Array(#"{"k":true}"#.utf8)
    public static func bytes(_ value: JSONValue, style: Style = .compact) -> [UInt8] {
        var out: [UInt8] = []
        append(value, style: style, to: &out)
        return out
    }

    /// Appends the JSON text of `value` to `out`.
    ///
    ///     var out = Array("x=".utf8)
    ///     JSONWriter.append([1, 2], to: &out)   // x=[1,2]
    public static func append(_ value: JSONValue, style: Style = .compact, to out: inout [UInt8]) {
        switch style {
        case .compact: appendCompact(value, to: &out)
        case .pretty: appendPretty(value, indent: 0, to: &out)
        }
    }

    /// Appends `s` as a quoted, escaped JSON string literal (see the type's documentation).
    ///
    ///     var out: [UInt8] = []
    ///     JSONWriter.appendString("tab\there \"q\"", to: &out)   // "tab\there \"q\""
    public static func appendString(_ s: String, to out: inout [UInt8]) {
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
                out.append(contentsOf: [0x5C, UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                out.append(hexDigit(b >> 4))
                out.append(hexDigit(b & 0xF))
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// `s` as a quoted, escaped JSON string literal.
    ///
    ///     JSONWriter.quoted("a\u{1}b")   // "a\u0001b"
    public static func quoted(_ s: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count + 2)
        appendString(s, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    private static func hexDigit(_ n: UInt8) -> UInt8 {
        n < 10 ? UInt8(ascii: "0") + n : UInt8(ascii: "a") + n - 10
    }

    private static func appendNumber(_ n: JSONNumber, to out: inout [UInt8]) {
        switch n {
        case let .int(i): out.append(contentsOf: String(i).utf8)
        case let .double(d): out.append(contentsOf: (d.isFinite ? d.description : "null").utf8)
        }
    }

    private static func appendScalar(_ value: JSONValue, to out: inout [UInt8]) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case let .bool(b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case let .number(n): appendNumber(n, to: &out)
        case let .string(s): appendString(s, to: &out)
        case .array, .object: appendCompact(value, to: &out)
        }
    }

    private static func appendCompact(_ value: JSONValue, to out: inout [UInt8]) {
        switch value {
        case let .array(items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                appendCompact(item, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case let .object(members):
            out.append(UInt8(ascii: "{"))
            for (i, (key, item)) in members.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                appendString(key, to: &out)
                out.append(UInt8(ascii: ":"))
                appendCompact(item, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        default:
            appendScalar(value, to: &out)
        }
    }

    private static func appendPretty(_ value: JSONValue, indent: Int, to out: inout [UInt8]) {
        func newline(_ n: Int) {
            out.append(0x0A)
            out.append(contentsOf: repeatElement(0x20, count: n))
        }
        switch value {
        case let .array(items) where !items.isEmpty:
            let flat = items.allSatisfy { item in
                switch item {
                case .array, .object: false
                default: true
                }
            }
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if flat {
                    if i > 0 { out.append(contentsOf: [UInt8(ascii: ","), 0x20]) }
                    appendScalar(item, to: &out)
                } else {
                    if i > 0 { out.append(UInt8(ascii: ",")) }
                    newline(indent + 2)
                    appendPretty(item, indent: indent + 2, to: &out)
                }
            }
            if !flat { newline(indent) }
            out.append(UInt8(ascii: "]"))
        case let .object(members) where !members.isEmpty:
            out.append(UInt8(ascii: "{"))
            for (i, (key, item)) in members.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                newline(indent + 2)
                appendString(key, to: &out)
                out.append(contentsOf: [UInt8(ascii: ":"), 0x20])
                appendPretty(item, indent: indent + 2, to: &out)
            }
            newline(indent)
            out.append(UInt8(ascii: "}"))
        default:
            appendCompact(value, to: &out)
        }
    }
}
