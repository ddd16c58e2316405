/// Renders a `KoanError` like the Swift compiler does:
///
/// ```
/// error: cannot convert value of type 'String' to specified type 'Int'
///  --> cell[7]:2:14
///   |
/// 2 | let y: Int = "a"
///   |              ^~~
/// ```
struct ErrorRenderer {
    /// The source text of each cell, by cell number (to quote the offending line).
    var sources: [Int: String]

    func failure(_ error: KoanError) -> KoanFailure {
        KoanFailure(ename: error.kind.rawValue, evalue: error.message, rendered: render(error))
    }

    func render(_ error: KoanError) -> String {
        switch error {
        case .parse(let diagnostics):
            return diagnostics.map { block(message: $0.message, span: $0.span) }.joined(separator: "\n")
        case .failure(_, let message, let span):
            return block(message: message, span: span)
        case .traced(let inner, let trace):
            return render(inner) + "\n" + traceback(trace)
        }
    }

    /// `error: message`, the position, and the quoted line with a caret underline.
    func block(message: String, span: Span) -> String {
        var lines = ["error: \(message)"]
        guard span.line > 0 else { return lines[0] }
        let number = String(span.line)
        let pad = String(repeating: " ", count: number.count)
        lines.append("\(pad)--> \(span.position)")
        guard let text = sourceLine(cell: span.cell, line: span.line) else {
            return lines.joined(separator: "\n")
        }
        let scalars = Array(text.unicodeScalars)
        let startColumn = min(max(1, span.column), scalars.count + 1)
        let endColumn = span.endLine == span.line ? span.endColumn : scalars.count + 1
        let width = max(1, min(endColumn, scalars.count + 1) - startColumn)
        let indent = String(scalars.prefix(startColumn - 1).map { $0 == "\t" ? "\t" : " " })
        lines.append("\(pad) |")
        lines.append("\(number) | \(text)")
        lines.append("\(pad) | \(indent)^\(String(repeating: "~", count: width - 1))")
        return lines.joined(separator: "\n")
    }

    func traceback(_ trace: [TraceEntry]) -> String {
        // Consecutive identical frames (deep recursion) are shown once, with a count.
        var entries: [String] = []
        var i = 0
        while i < trace.count {
            var j = i + 1
            while j < trace.count, trace[j] == trace[i] { j += 1 }
            entries.append("  \(trace[i].span.position) in \(trace[i].function)")
            if j - i > 1 { entries.append("  ... (previous frame repeated \(j - i - 1) more times)") }
            i = j
        }
        if entries.count > 12 {
            let omitted = entries.count - 10
            entries = Array(entries.prefix(5)) + ["  ... (\(omitted) more frames)"] + Array(entries.suffix(5))
        }
        return (["traceback (most recent call last):"] + entries).joined(separator: "\n")
    }

    private func sourceLine(cell: Int, line: Int) -> String? {
        guard let source = sources[cell] else { return nil }
        var current = 1
        for l in source.split(separator: "\n", omittingEmptySubsequences: false) {
            if current == line { return String(l) }
            current += 1
        }
        return nil
    }
}
