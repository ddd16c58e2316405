/// Code completion: workspace names, builtins, keywords, members after `.`, and
/// argument labels inside a call's parentheses. Offsets count Unicode scalars.
extension Interpreter {
    static let keywords = ["let", "var", "func", "if", "else", "for", "while", "return", "guard", "switch",
                           "case", "default", "break", "continue", "in", "true", "false", "nil", "repeat", "where"]

    /// Completion at `cursor`, a Unicode-scalar offset into `code`.
    public func complete(_ code: String, cursor: Int) -> Completions {
        let text = ScalarText(code)
        let cursor = min(max(0, cursor), text.scalars.count)
        let start = text.identifierStart(before: cursor)
        let prefix = text.string(start, cursor)
        var candidates: [String] = []
        var replaceFrom = start
        if let (from, paths) = pathCandidates(text, cursor: cursor) {
            return finish(paths, prefix: text.string(from, cursor), start: from, end: cursor)
        }

        if start > 0, text.scalars[start - 1] == "%", lineStart(text, start - 1) {
            candidates = magicNames.map { "%\($0)" }
            replaceFrom = start - 1
            return finish(candidates, prefix: "%" + prefix, start: replaceFrom, end: cursor)
        }
        if start > 0, text.scalars[start - 1] == "." {
            candidates = memberCandidates(text, dot: start - 1)
        } else {
            candidates = workspace.names + Array(registry.functions.keys)
                + registry.constants.keys.filter { !$0.contains(".") } + Interpreter.keywords
                + localNames(in: code)
            if let labels = labelCandidates(text, before: start) { candidates += labels }
        }
        return finish(candidates, prefix: prefix, start: replaceFrom, end: cursor)
    }

    private func finish(_ candidates: [String], prefix: String, start: Int, end: Int) -> Completions {
        let matches = Set(candidates.filter { $0.hasPrefix(prefix) && !$0.isEmpty }).sorted()
        return Completions(matches: matches, start: start, end: end)
    }

    private func lineStart(_ text: ScalarText, _ i: Int) -> Bool {
        var j = i - 1
        while j >= 0, text.scalars[j] == " " || text.scalars[j] == "\t" { j -= 1 }
        return j < 0 || text.scalars[j] == "\n"
    }

    /// Members of the value before the dot, by its runtime type; static members after a
    /// type name (`Tensor.` → `randn`, `zeros`, …); option cases after `label: .`.
    private func memberCandidates(_ text: ScalarText, dot: Int) -> [String] {
        let receiverStart = text.identifierStart(before: dot)
        let receiver = text.string(receiverStart, dot)
        if registry.namespaces.contains(receiver), workspace.existing(receiver)?.value == nil {
            let qualified = receiver + "."
            return (Array(registry.functions.keys) + Array(registry.constants.keys))
                .filter { $0.hasPrefix(qualified) }.map { String($0.dropFirst(qualified.count)) }
        }
        if receiver.isEmpty, let options = optionCandidates(text, dot: dot) { return options }
        var kind: ValueKind?
        var labels: [String] = []
        if let value = workspace.existing(receiver)?.value {
            if case .tuple(let t) = value { labels = (t.labels ?? []).filter { !$0.isEmpty } }
            return registry.memberNames(for: value) + labels
        } else if receiver.isEmpty, dot > 0 {
            switch text.scalars[dot - 1] {
            case "\"": kind = .string
            case "]": kind = .array
            default: kind = nil
            }
        }
        guard let kind else { return [] }
        return registry.memberNames(for: kind) + labels
    }

    /// `optimizer: .` → the cases of the option the label takes (every registered case when
    /// the label is unknown); nil when the dot does not start an implicit member.
    private func optionCandidates(_ text: ScalarText, dot: Int) -> [String]? {
        var i = dot - 1
        while i >= 0, text.scalars[i] == " " || text.scalars[i] == "\t" { i -= 1 }
        guard i >= 0 else { return nil }
        switch text.scalars[i] {
        case ":":
            let labelEnd = i
            let label = text.string(text.identifierStart(before: labelEnd), labelEnd)
            return registry.optionCompletions[label] ?? registry.optionCompletions.values.flatMap { $0 }
        case "(", ",", "=", "[":
            return registry.optionCompletions.values.flatMap { $0 }
        default:
            return nil
        }
    }

    /// Inside a string argument of a call that involves a model bound in the workspace (as
    /// the receiver or an argument): the model's module and parameter paths, from the
    /// opening quote (`mlp.freeze(except: ["layers.` → `layers.0`, `layers.0.weight`, …).
    private func pathCandidates(_ text: ScalarText, cursor: Int) -> (Int, [String])? {
        // The opening quote of the string the cursor is in, on this line.
        var quote: Int?
        var i = cursor - 1
        var quotes = 0
        while i >= 0, text.scalars[i] != "\n" {
            if text.scalars[i] == "\"", i == 0 || text.scalars[i - 1] != "\\" {
                if quote == nil { quote = i }
                quotes += 1
            }
            i -= 1
        }
        guard let open = quote, quotes % 2 == 1 else { return nil }
        // The enclosing call: walk back to its unmatched `(`.
        var depth = 0, j = open - 1
        while j >= 0 {
            let c = text.scalars[j]
            if c == ")" { depth += 1 }
            if c == "(" { if depth == 0 { break }; depth -= 1 }
            j -= 1
        }
        guard j > 0 else { return nil }
        var names: [String] = []
        let calleeStart = text.identifierStart(before: j)
        if calleeStart > 1, text.scalars[calleeStart - 1] == "." {
            names.append(text.string(text.identifierStart(before: calleeStart - 1), calleeStart - 1))
        }
        // Identifiers among the arguments before the string.
        var k = j + 1
        while k < open {
            if ScalarText.isIdentifierScalar(text.scalars[k]) {
                let end = text.identifierEnd(from: k)
                names.append(text.string(k, end))
                k = end
            } else { k += 1 }
        }
        for name in names {
            if case .object(let o as any PathNamedObject)? = workspace.existing(name)?.value {
                return (open + 1, o.completablePaths)
            }
        }
        return nil
    }

    /// Argument labels (`from:`) of the call whose parentheses enclose `position`.
    private func labelCandidates(_ text: ScalarText, before position: Int) -> [String]? {
        var depth = 0
        var i = position - 1
        while i >= 0 {
            let c = text.scalars[i]
            if c == ")" || c == "]" || c == "}" { depth += 1 }
            if c == "[" || c == "{" {
                if depth == 0 { return nil }
                depth -= 1
            }
            if c == "(" {
                if depth == 0 { break }
                depth -= 1
            }
            i -= 1
        }
        guard i > 0 else { return nil }
        let calleeStart = text.identifierStart(before: i)
        let callee = text.string(calleeStart, i)
        guard !callee.isEmpty else { return nil }
        var params: [String?] = []
        let qualifier = calleeStart > 1 && text.scalars[calleeStart - 1] == "."
            ? text.string(text.identifierStart(before: calleeStart - 1), calleeStart - 1) : ""
        if let statics = registry.functions[qualifier + "." + callee], !qualifier.isEmpty {
            params = statics.flatMap { $0.params.map(\.label) }     // `Tensor.randn([2], se` → `seed:`
        } else if calleeStart > 0, text.scalars[calleeStart - 1] == "." {
            params = (registry.members[callee] ?? []).flatMap { $0.params.map(\.label) }
        } else if let def = workspace.existing(callee)?.function {
            params = def.params.map(\.label)
        } else {
            params = (registry.functions[callee] ?? []).flatMap { $0.params.map(\.label) }
        }
        return params.compactMap { $0.map { "\($0):" } }
    }

    /// Names declared with `let`/`var`/`func` in the code being edited.
    private func localNames(in code: String) -> [String] {
        var names: [String] = []
        let words = code.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "_") })
        for (i, w) in words.enumerated().dropLast() where w == "let" || w == "var" || w == "func" {
            names.append(String(words[i + 1]))
        }
        return names
    }
}
