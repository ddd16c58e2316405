/// The inputs (and text outputs) of this kernel session, answered to history_request.
struct History: Sendable {
    struct Entry: Sendable { var line: Int; var input: String; var output: String? }
    private(set) var entries: [Entry] = []
    let session = 1

    mutating func record(line: Int, input: String) { entries.append(Entry(line: line, input: input, output: nil)) }

    mutating func setOutput(line: Int, _ text: String) {
        if let i = entries.lastIndex(where: { $0.line == line }) { entries[i].output = text }
    }

    func answer(_ r: HistoryRequest) -> [JSONValue] {
        let wantOutput = r.output ?? false
        var chosen: [Entry]
        switch r.hist_access_type {
        case "tail":
            chosen = Array(entries.suffix(max(0, r.n ?? 10)))
        case "range":
            // Line numbers: start inclusive, stop exclusive; negative counts from the end (IPython).
            let last = (entries.last?.line ?? 0) + 1
            var lo = r.start ?? 0, hi = r.stop ?? last
            if lo < 0 { lo += last }
            if hi < 0 { hi += last }
            chosen = entries.filter { $0.line >= lo && $0.line < hi }
        case "search":
            let pattern = r.pattern ?? "*"
            chosen = entries.filter { Glob.matches(pattern, $0.input) }
            if r.unique ?? false {
                var seen = Set<String>()
                chosen = chosen.reversed().filter { seen.insert($0.input).inserted }.reversed()
            }
            if let n = r.n, n > 0 { chosen = Array(chosen.suffix(n)) }
        default:
            chosen = []
        }
        return chosen.map { e in
            let body: JSONValue = wantOutput
                ? .array([.string(e.input), e.output.map(JSONValue.string) ?? .null])
                : .string(e.input)
            return .array([.int(session), .int(e.line), body])
        }
    }
}

/// Shell-style glob matching (`*` any run, `?` one character), as IPython's history search.
enum Glob {
    static func matches(_ pattern: String, _ text: String) -> Bool {
        let p = Array(pattern.unicodeScalars), t = Array(text.unicodeScalars)
        var pi = 0, ti = 0, star = -1, mark = 0
        while ti < t.count {
            if pi < p.count, p[pi] == "?" || p[pi] == t[ti] { pi += 1; ti += 1 }
            else if pi < p.count, p[pi] == "*" { star = pi; mark = ti; pi += 1 }
            else if star >= 0 { pi = star + 1; mark += 1; ti = mark }
            else { return false }
        }
        while pi < p.count, p[pi] == "*" { pi += 1 }
        return pi == p.count
    }
}
