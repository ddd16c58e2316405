import KoanTensor

/// The text of a UTF-8 file (a leading byte-order mark dropped; invalid bytes become U+FFFD).
///
///     let text = try readTextFile("notebooks/data/corpus.txt")
public func readTextFile(_ path: String) throws -> String {
    var text = String(decoding: try readFileBytes(path), as: UTF8.self)
    if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
    return text
}

extension Dataset {
    /// Next-token windows over token ids, for language models: sample i has features
    /// `ids[s ..< s + context]` and labels `ids[s + 1 ... s + context]` (shifted by one) with
    /// `s = i * stride` (default `context`: windows that do not overlap). Both are int64
    /// `[N, context]`; `fit` trains a model whose output is `[N, context, vocab]` on them.
    ///
    ///     let ds = try Dataset.nextToken(ids: tok.encode(text), context: 128)
    public static func nextToken(ids: [Int], context: Int, stride: Int? = nil, name: String = "text") throws -> Dataset {
        guard context >= 1 else { throw DataError.unsupported(detail: "context must be at least 1, got \(context)") }
        let step = stride ?? context
        guard step >= 1 else { throw DataError.unsupported(detail: "stride must be at least 1, got \(step)") }
        guard ids.count >= context + 1 else {
            throw DataError.emptyDataset(detail: "the text has \(ids.count) tokens; a window of context \(context) needs \(context + 1)")
        }
        if let bad = ids.first(where: { $0 < 0 }) {
            throw DataError.unsupported(detail: "token ids must be ≥ 0, got \(bad)")
        }
        var features: [Int64] = [], labels: [Int64] = []
        var start = 0, n = 0
        while start + context + 1 <= ids.count {
            for j in 0..<context {
                features.append(Int64(ids[start + j]))
                labels.append(Int64(ids[start + j + 1]))
            }
            n += 1
            start += step
        }
        return try Dataset(features: try NDArray(ints: features, shape: [n, context]),
                           labels: try NDArray(ints: labels, shape: [n, context]), name: name)
    }
}
