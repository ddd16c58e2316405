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
        guard ids.count > context else {
            let (needed, overflow) = context.addingReportingOverflow(1)
            throw DataError.emptyDataset(detail: "the text has \(ids.count) tokens; a window of context \(context) needs "
                                         + (overflow ? "more than \(context)" : "\(needed)"))
        }
        if let bad = ids.first(where: { $0 < 0 }) {
            throw DataError.unsupported(detail: "token ids must be ≥ 0, got \(bad)")
        }
        // Windows start at 0, step, 2·step, … up to ids.count − context − 1. The [n, context]
        // tensors are allocated first, so a too large window count is a thrown size error.
        let n = (ids.count - context - 1) / step + 1
        let features = try NDArray(shape: [n, context], dtype: .int64)
        let labels = try NDArray(shape: [n, context], dtype: .int64)
        let fp = features.pointer(as: Int64.self), lp = labels.pointer(as: Int64.self)
        for i in 0..<n {
            let start = i * step
            for j in 0..<context {
                fp[i * context + j] = Int64(ids[start + j])
                lp[i * context + j] = Int64(ids[start + j + 1])
            }
        }
        return try Dataset(features: features, labels: labels, name: name)
    }
}
