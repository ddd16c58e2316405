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
