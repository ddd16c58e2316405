
/// Text and MIME forms of values, following Swift's `description` / `debugDescription`.
extension Value {
    /// What `print` writes: strings unquoted, elements of collections quoted.
    package var description: String {
        switch self {
        case .string(let s): return s
        default: return debugDescription
        }
    }

    /// What a cell result shows: strings quoted and escaped, as Swift's `debugDescription`.
    package var debugDescription: String {
        switch self {
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        case .bool(let b): return b ? "true" : "false"
        case .string(let s): return Value.quoted(s)
        case .array(let xs): return "[\(xs.map(\.debugDescription).joined(separator: ", "))]"
        case .dict(let d):
            if d.count == 0 { return "[:]" }
            let parts = zip(d.keys, d.values).map { "\($0.debugDescription): \($1.debugDescription)" }
            return "[\(parts.joined(separator: ", "))]"
        case .tuple(let t):
            let parts = t.elements.enumerated().map { i, v -> String in
                let label = t.labels?[i] ?? ""
                return label.isEmpty ? v.debugDescription : "\(label): \(v.debugDescription)"
            }
            return "(\(parts.joined(separator: ", ")))"
        case .range(let r): return "\(r.lower.description)\(r.closed ? "..." : "..<")\(r.upper.description)"
        case .stride(let s):
            return "stride(from: \(s.from), \(s.through ? "through" : "to"): \(s.to), by: \(s.by))"
        case .null: return "nil"
        case .void: return "()"
        case .function: return "(Function)"
        case .object(let o): return o.description
        }
    }

    /// `s` as a Swift string literal, escaped: `"a\\"b"` (also used to inject notebook parameters).
    package static func quoted(_ s: String) -> String {
        var out = "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case "\0": out += "\\0"
            case _ where c.value < 0x20 || c.value == 0x7F:
                // Other control characters (ESC, BEL, …) as Swift shows them: `\u{1B}`, so a
                // result never drives the terminal.
                let hex = String(c.value, radix: 16, uppercase: true)
                out += "\\u{" + (hex.count < 2 ? "0" + hex : hex) + "}"
            default: out.unicodeScalars.append(c)
            }
        }
        return out + "\""
    }

    /// The cell-result bundle: text/plain plus any rich forms of library objects.
    package var mimeBundle: MimeBundle {
        var bundle = MimeBundle(plain: debugDescription)
        if case .object(let o) = self {
            for (k, v) in o.richRepresentations { bundle.data[k] = v }
        }
        return bundle
    }

    /// A one-line summary for `%workspace` and inspection, cut to `limit` characters.
    func summary(limit: Int = 60) -> String {
        if case .object(let o as any ShapedObject) = self {
            return "shape \(o.shapeText), \(o.dtypeText), \(o.byteCount) bytes"
        }
        if case .object(let o as any SummarizedObject) = self { return o.summaryLine }
        let lines = debugDescription.split(separator: "\n", omittingEmptySubsequences: false)
        var text = lines.joined(separator: " ")
        if case .object = self, lines.count > 1 {
            // A multi-line description (a tree, a table) squashed onto one line reads badly:
            // its first line, and how much more there is.
            text = "\(lines[0].trimmingSpaces) … (\(lines.count) lines)"
        }
        if text.count <= limit { return text }
        return String(text.prefix(limit - 1)) + "…"
    }
}

/// A value shown as text plus rich MIME forms: `HTML("<b>hi</b>")`, `Markdown("# Title")`,
/// and reports (plain text as the reference library prints it, plus an HTML table).
package final class RichText: KoanObject {
    package let typeName: String
    package let description: String
    package let richRepresentations: [String: MimeData]
    /// Structured contents, when the value has them (a report's `dictionary`).
    package let fields: Value?
    package init(typeName: String, plain: String, rich: [String: MimeData], fields: Value? = nil) {
        self.typeName = typeName; self.description = plain; self.richRepresentations = rich; self.fields = fields
    }
    /// The same text as text/plain and as `mimeType`.
    package convenience init(mimeType: String, text: String, typeName: String) {
        self.init(typeName: typeName, plain: text, rich: [mimeType: .text(text)])
    }
}

/// The `standardError` stream token of `print(..., to: &standardError)`.
final class StreamToken: KoanObject {
    let stream: OutputStream
    init(_ stream: OutputStream) { self.stream = stream }
    var typeName: String { "TextOutputStream" }
    var description: String { stream == .stderr ? "standardError" : "standardOutput" }
    var richRepresentations: [String: MimeData] { [:] }
}
