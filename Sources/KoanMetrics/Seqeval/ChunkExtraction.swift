/// An entity type name with Python string semantics (compared, hashed and sorted by Unicode scalars).
struct TypeName: Hashable, Comparable {
    let text: String
    static func == (lhs: TypeName, rhs: TypeName) -> Bool { scalarEqual(lhs.text, rhs.text) }
    static func < (lhs: TypeName, rhs: TypeName) -> Bool { scalarLess(lhs.text, rhs.text) }
    func hash(into hasher: inout Hasher) {
        for scalar in text.unicodeScalars { hasher.combine(scalar.value) }
    }
}

/// One extracted chunk: its type and location (sentence-local for strict mode, global for default mode).
struct Chunk: Hashable {
    let type: TypeName
    let sentence: Int
    let start: Int
    let end: Int
}

/// seqeval's default (conlleval-style) `get_entities`: sentences are concatenated with an "O"
/// separator, and an `I-` tag may start a chunk.
func conllChunks(_ sentences: [[String]]) throws -> [Chunk] {
    var tags: [(tag: Unicode.Scalar, type: String)] = []
    for (s, sentence) in sentences.enumerated() {
        for (p, token) in sentence.enumerated() {
            let scalars = Array(token.unicodeScalars)
            guard let first = scalars.first else { throw MetricsError.emptyTag(sentence: s, position: p) }
            let rest = scalars.dropFirst()
            var type = rest
            if let dash = rest.firstIndex(of: "-") { type = rest[(dash + 1)...] }
            var typeText = ""
            typeText.unicodeScalars.append(contentsOf: type)
            tags.append((first, typeText.isEmpty ? "_" : typeText))
        }
        tags.append(("O", "_"))
    }
    tags.append(("O", "_"))

    var chunks: [Chunk] = []
    var prevTag: Unicode.Scalar = "O"
    var prevType = ""
    var begin = 0
    for (i, (tag, type)) in tags.enumerated() {
        let sameType = scalarEqual(prevType, type)
        if endOfChunk(prevTag, tag, sameType) {
            chunks.append(Chunk(type: TypeName(text: prevType), sentence: 0, start: begin, end: i - 1))
        }
        if startOfChunk(prevTag, tag, sameType) { begin = i }
        prevTag = tag
        prevType = type
    }
    return chunks
}

private func endOfChunk(_ prev: Unicode.Scalar, _ tag: Unicode.Scalar, _ sameType: Bool) -> Bool {
    if prev == "E" || prev == "S" { return true }
    if (prev == "B" || prev == "I") && (tag == "B" || tag == "S" || tag == "O") { return true }
    return prev != "O" && prev != "." && !sameType
}

private func startOfChunk(_ prev: Unicode.Scalar, _ tag: Unicode.Scalar, _ sameType: Bool) -> Bool {
    if tag == "B" || tag == "S" { return true }
    if (prev == "E" || prev == "S" || prev == "O") && (tag == "E" || tag == "I") { return true }
    return tag != "O" && tag != "." && !sameType
}

/// A token parsed as in `seqeval.scheme.Token` (prefix = first character, tag = rest stripped of "-").
private struct SchemeToken {
    let prefix: UInt8
    let tag: TypeName

    static let outside = SchemeToken(prefix: TagPrefix.o, tag: TypeName(text: "_"))
}

private func parseToken(_ token: String, sentence: Int, position: Int) throws -> SchemeToken {
    let scalars = Array(token.unicodeScalars)
    guard let first = scalars.first else { throw MetricsError.emptyTag(sentence: sentence, position: position) }
    guard let bit = TagPrefix.bit(for: first) else {
        throw MetricsError.invalidTag(tag: token, sentence: sentence, position: position, scheme: nil)
    }
    var rest = scalars.dropFirst()
    while rest.first == "-" { rest = rest.dropFirst() }
    while rest.last == "-" { rest = rest.dropLast() }
    var text = ""
    text.unicodeScalars.append(contentsOf: rest)
    return SchemeToken(prefix: bit, tag: TypeName(text: text.isEmpty ? "_" : text))
}

/// seqeval's `auto_detect` over the truth sequences.
func detectScheme(_ sentences: [[String]]) throws -> TagScheme {
    var prefixes: UInt8 = 0
    for (s, sentence) in sentences.enumerated() {
        for (p, token) in sentence.enumerated() {
            prefixes |= try parseToken(token, sentence: s, position: p).prefix
        }
    }
    guard let scheme = TagScheme.detect(prefixes: prefixes) else {
        throw MetricsError.undetectableScheme(prefixes: TagPrefix.all.filter { prefixes & $0.bit != 0 }.map(\.name))
    }
    return scheme
}

/// seqeval's strict `Entities`: chunks must start, continue and end exactly as the scheme prescribes.
func strictChunks(_ sentences: [[String]], scheme: TagScheme) throws -> [Chunk] {
    let start = scheme.startPatterns, inside = scheme.insidePatterns, end = scheme.endPatterns
    func matches(_ prev: SchemeToken, _ current: SchemeToken, _ patterns: [TagScheme.Pattern]) -> Bool {
        patterns.contains { pattern in
            guard prev.prefix & pattern.prev != 0, current.prefix & pattern.current != 0 else { return false }
            switch pattern.condition {
            case .any: return true
            case .same: return prev.tag == current.tag
            case .diff: return prev.tag != current.tag
            }
        }
    }
    var chunks: [Chunk] = []
    for (s, sentence) in sentences.enumerated() {
        var tokens: [SchemeToken] = []
        for (p, text) in sentence.enumerated() {
            let token = try parseToken(text, sentence: s, position: p)
            guard scheme.allowed & token.prefix != 0 else {
                throw MetricsError.invalidTag(tag: text, sentence: s, position: p, scheme: scheme)
            }
            tokens.append(token)
        }
        let extended = tokens + [SchemeToken.outside]
        var i = 0
        var prev = SchemeToken.outside
        while i < extended.count {
            let token = extended[i]
            if matches(prev, token, start) {
                var stop = tokens.count - 1
                var last = token
                for j in (i + 1)..<extended.count {
                    if matches(last, extended[j], inside) {
                        last = extended[j]
                    } else {
                        stop = j
                        break
                    }
                }
                stop = max(stop, i + 1)  // unreachable guard: the trailing "O" never continues a chunk
                if matches(extended[stop - 1], extended[stop], end) {
                    chunks.append(Chunk(type: token.tag, sentence: s, start: i, end: stop))
                }
                i = stop
            } else {
                i += 1
            }
            prev = extended[i - 1]
        }
    }
    return chunks
}
