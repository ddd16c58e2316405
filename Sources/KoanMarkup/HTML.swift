/// Text made safe inside HTML (element content and quoted attribute values): `& < > " '`
/// become entities. The one escaper shared by every target that writes HTML tables
/// (reports, module summaries, tensors' and the workspace's tables).
///
///     htmlEscaped("a<b & \"c\"")   // "a&lt;b &amp; &quot;c&quot;"
public func htmlEscaped(_ s: String) -> String {
    var out = ""
    out.reserveCapacity(s.utf8.count)
    for ch in s.unicodeScalars {
        switch ch {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        default: out.unicodeScalars.append(ch)
        }
    }
    return out
}

/// A header row and body rows as an HTML table, every cell escaped (compression tables,
/// a study's trials).
///
///     htmlTable([["model", "bytes"], ["q", "11,328"]])   // "<table><thead><tr><th>model</th>..."
public func htmlTable(_ rows: [[String]]) -> String {
    guard let header = rows.first else { return "<table></table>" }
    var html = "<table><thead><tr>" + header.map { "<th>\(htmlEscaped($0))</th>" }.joined() + "</tr></thead><tbody>"
    for r in rows.dropFirst() { html += "<tr>" + r.map { "<td>\(htmlEscaped($0))</td>" }.joined() + "</tr>" }
    return html + "</tbody></table>"
}
