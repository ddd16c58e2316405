import KoanData
import KoanTensor
import KoanTokenizers

// Text datasets become token-id datasets for one tokenizer: ids [N, longest] padded with
// `paddingID` (each batch is later cut to its own longest row, so a batch is padded only to
// its longest text), truncated to `maxLength` tokens with the special tokens. Token
// classification labels the first sub-token of each word and gives the others
// `ignoredLabel`, as transformers' run_ner does with `word_ids()`.
//
//     let ids = try encodeTexts(intents, tokenizer: tok, maxLength: 128)
//     ids.features.shape   // [N, longest]

/// The dataset of raw texts or tagged words as token ids (returns numeric datasets as they are).
public func encodeTexts(_ data: Dataset, tokenizer: Tokenizer, maxLength: Int) throws -> Dataset {
    guard maxLength >= 2 else { throw DataError.unsupported(detail: "maxLength must be at least 2, got \(maxLength)") }
    if let texts = data.texts {
        let rows = texts.map { tokenizer.encoding($0, addSpecialTokens: true, maxLength: maxLength).ids }
        var d = try Dataset(features: try padded(rows), labels: data.labels, classNames: data.classNames, name: data.name)
        d.isPadded = true
        return d
    }
    guard let words = data.words else { return data }
    let width = data.labels.rank == 2 ? data.labels.shape[1] : 0
    let tags = data.labels.ints()
    let cls = tokenizer.clsId, sep = tokenizer.sepId
    let budget = maxLength - (cls == nil ? 0 : 1) - (sep == nil ? 0 : 1)
    var rows: [[Int]] = [], labelRows: [[Int64]] = []
    for (i, sentence) in words.enumerated() {
        var ids: [Int] = cls.map { [$0] } ?? []
        var labels: [Int64] = cls == nil ? [] : [ignoredLabel]
        var used = 0
        for (j, w) in sentence.enumerated() {
            let pieces = tokenizer.encode(w, addSpecialTokens: false)
            for (k, id) in pieces.enumerated() where used < budget {
                ids.append(id)
                labels.append(k == 0 ? tags[i * width + j] : ignoredLabel)
                used += 1
            }
        }
        if let sep { ids.append(sep); labels.append(ignoredLabel) }
        rows.append(ids)
        labelRows.append(labels)
    }
    let longest = max(1, rows.map(\.count).max() ?? 1)
    var flat = [Int64](repeating: ignoredLabel, count: rows.count * longest)
    for (i, r) in labelRows.enumerated() { for (j, l) in r.enumerated() { flat[i * longest + j] = l } }
    var d = try Dataset(features: try padded(rows, width: longest), labels: try NDArray(ints: flat, shape: [rows.count, longest]),
                        classNames: data.classNames, name: data.name)
    d.isPadded = true
    return d
}

/// Rows of ids as int64 [N, width] padded with `paddingID`.
func padded(_ rows: [[Int]], width: Int? = nil) throws -> NDArray {
    let w = width ?? max(1, rows.map(\.count).max() ?? 1)
    var flat = [Int64](repeating: paddingID, count: rows.count * w)
    for (i, r) in rows.enumerated() { for (j, id) in r.prefix(w).enumerated() { flat[i * w + j] = Int64(id) } }
    return try NDArray(ints: flat, shape: [rows.count, w])
}

/// Word-level tag sequences of a token classifier's outputs `[N, T, tags]` on an encoded
/// dataset: the arg-max at every labelled position (the first sub-token of each word),
/// beside the true tags there, as transformers' run_ner evaluates.
public func wordTagSequences(logits: NDArray, encoded: Dataset) throws -> (truth: [[String]], predicted: [[String]]) {
    guard let names = encoded.classNames else { throw DataError.unsupported(detail: "'\(encoded.name)' has no tag names") }
    guard logits.rank == 3, logits.shape[0] == encoded.count, encoded.labels.rank == 2 else {
        throw DataError.shapeMismatch(detail: "a token classifier's outputs must be [\(encoded.count), T, tags], got \(logits.shape)")
    }
    let predicted = try logits.reduce(.argmax, axes: [-1]).ints()       // [N, T']
    let t = logits.shape[1], w = encoded.labels.shape[1]
    let labels = encoded.labels.ints()
    var truth: [[String]] = [], pred: [[String]] = []
    for i in 0..<encoded.count {
        var a: [String] = [], b: [String] = []
        for j in 0..<min(t, w) where labels[i * w + j] != ignoredLabel {
            let l = Int(labels[i * w + j]), p = Int(predicted[i * t + j])
            a.append(l < names.count ? names[l] : "O")
            b.append(p < names.count ? names[p] : "O")
        }
        truth.append(a)
        pred.append(b)
    }
    return (truth, pred)
}
