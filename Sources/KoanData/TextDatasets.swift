import KoanTensor

// Text datasets for fine-tuning: raw strings (sequence classification) or sentences of
// words with one tag per word (token classification, CoNLL files). A model with a
// tokenizer turns them into token ids itself (see KoanFineTune's `TextEncoding`); until
// then the features are an empty [N, 0] placeholder.
//
//     let intents = try Dataset.csv(path: "intents.csv", text: "text", label: "category")
//     intents.texts?[0]           // "where is my parcel?"
//     let wnut = try Dataset.conll(path: "wnut17train.conll")
//     wnut.words?[0]              // ["@paulwalk", "It", "'s", "the", "view", …]

/// The label id of a word position that has no tag (padding, later sub-tokens): the loss
/// and the accuracy skip it, as PyTorch's `ignore_index` and transformers' examples.
public let ignoredLabel: Int64 = -100

/// The feature id of a padding position in token ids: `BERT` treats negative ids as
/// padding (attention mask 0), and batches are cut to their longest real row.
public let paddingID: Int64 = -1

extension Dataset {
    /// Raw texts with class labels, as `Dataset.csv(path:text:label:)` reads them.
    ///
    /// - classes: the class names in id order (a test set uses the training set's, so ids
    ///   agree); without it, the sorted distinct labels. A label not in `classes` throws.
    public static func texts(_ texts: [String], labels raw: [String], classes: [String]? = nil, name: String = "texts") throws -> Dataset {
        guard texts.count == raw.count else {
            throw DataError.shapeMismatch(detail: "\(name): \(texts.count) texts but \(raw.count) labels")
        }
        guard !texts.isEmpty else { throw DataError.emptyDataset(detail: "'\(name)' has no rows") }
        let names = classes ?? Array(Set(raw)).sorted()
        var id: [String: Int64] = [:]
        for (k, n) in names.enumerated() where id[n] == nil { id[n] = Int64(k) }
        var ids: [Int64] = []
        ids.reserveCapacity(raw.count)
        for (i, r) in raw.enumerated() {
            guard let k = id[r] else {
                throw DataError.unsupported(detail: "\(name): row \(i + 1) has the label '\(r)', which is not one of the \(names.count) classes given")
            }
            ids.append(k)
        }
        var d = try Dataset(features: try NDArray.zeros([texts.count, 0]), labels: try NDArray(ints: ids, shape: [ids.count]),
                            classNames: names, name: name)
        d.texts = texts
        return d
    }

    /// A CSV file with a text column and a label column (other columns are ignored).
    ///
    ///     let test = try Dataset.csv(path: "test.csv", text: "text", label: "category", classes: train.classNames)
    public static func csv(path: String, text: String, label: String, classes: [String]? = nil, delimiter: Character = ",") throws -> Dataset {
        guard delimiter.unicodeScalars.count == 1, delimiter != "\"", delimiter != "\n", delimiter != "\r\n" else {
            throw DataError.unsupported(detail: "csv: the delimiter must be one character other than a quote or newline, got \(String(reflecting: delimiter))")
        }
        let records = try CSVParser.parse(String(decoding: try readFileBytes(path), as: UTF8.self), delimiter: delimiter, path: path)
        guard let header = records.first else { throw DataError.emptyDataset(detail: "'\(path)' has no header and no rows") }
        let names = header.fields.map(trimmed)
        guard let ti = names.firstIndex(of: text) else { throw DataError.unknownColumn(path: path, name: text, available: names) }
        guard let li = names.firstIndex(of: label) else { throw DataError.unknownColumn(path: path, name: label, available: names) }
        var texts: [String] = [], labels: [String] = []
        for r in records.dropFirst() {
            guard r.fields.count == names.count else {
                throw DataError.wrongFieldCount(path: path, line: r.line, expected: names.count, found: r.fields.count)
            }
            texts.append(r.fields[ti])
            labels.append(trimmed(r.fields[li]))
        }
        guard !texts.isEmpty else { throw DataError.emptyDataset(detail: "'\(path)' has no data rows") }
        if let classes, let bad = labels.enumerated().first(where: { !classes.contains($0.element) }) {
            throw DataError.unsupported(detail: "\(path):\(records[bad.offset + 1].line): the label '\(bad.element)' is not one of the \(classes.count) classes given")
        }
        return try Dataset.texts(texts, labels: labels, classes: classes, name: fileName(path))
    }

    /// Sentences of words with one tag each: labels are tag ids `[N, longest]`, padded with
    /// `ignoredLabel`.
    ///
    /// - tags: the tag names in id order; without it, "O" first, then the others sorted by
    ///   entity type with B- before I- (the order of Hugging Face's `wnut_17`-style lists).
    public static func tagged(_ sentences: [[(word: String, tag: String)]], tags: [String]? = nil, name: String = "sentences") throws -> Dataset {
        guard !sentences.isEmpty else { throw DataError.emptyDataset(detail: "'\(name)' has no sentences") }
        let names = tags ?? defaultTagOrder(Set(sentences.flatMap { $0.map(\.tag) }))
        var id: [String: Int64] = [:]
        for (k, n) in names.enumerated() where id[n] == nil { id[n] = Int64(k) }
        let width = max(1, sentences.map(\.count).max() ?? 1)
        var ids = [Int64](repeating: ignoredLabel, count: sentences.count * width)
        for (i, s) in sentences.enumerated() {
            for (j, wt) in s.enumerated() {
                guard let k = id[wt.tag] else {
                    throw DataError.unsupported(detail: "\(name): sentence \(i + 1), word \(j + 1) ('\(wt.word)') has the tag '\(wt.tag)', which is not one of the \(names.count) tags given")
                }
                ids[i * width + j] = k
            }
        }
        var d = try Dataset(features: try NDArray.zeros([sentences.count, 0]),
                            labels: try NDArray(ints: ids, shape: [sentences.count, width]), classNames: names, name: name)
        d.words = sentences.map { $0.map(\.word) }
        return d
    }

    /// A CoNLL-style file: one `token<TAB>tag` (or `token tag`) per line, sentences separated
    /// by a blank line (or a line holding only whitespace); tags in BIO.
    ///
    ///     let wnut = try Dataset.conll(path: "wnut17train.conll")
    ///     wnut.classNames   // ["O", "B-corporation", "I-corporation", …]
    public static func conll(path: String, tags: [String]? = nil) throws -> Dataset {
        let text = String(decoding: try readFileBytes(path), as: UTF8.self)
        var sentences: [[(word: String, tag: String)]] = []
        var current: [(word: String, tag: String)] = []
        var lineNumber = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = Substring(raw)
            if line.last == "\r" { line.removeLast() }
            if lineNumber == 1, line.hasPrefix("\u{FEFF}") { line.removeFirst() }
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) {
                if !current.isEmpty { sentences.append(current); current = [] }
                continue
            }
            let parts = line.contains("\t") ? line.split(separator: "\t", omittingEmptySubsequences: true)
                                            : line.split(separator: " ", omittingEmptySubsequences: true)
            guard parts.count >= 2 else {
                throw DataError.wrongFieldCount(path: path, line: lineNumber, expected: 2, found: parts.count)
            }
            current.append((String(parts[0]), trimmed(String(parts[parts.count - 1]))))
        }
        if !current.isEmpty { sentences.append(current) }
        guard !sentences.isEmpty else { throw DataError.emptyDataset(detail: "'\(path)' has no sentences") }
        return try tagged(sentences, tags: tags, name: fileName(path))
    }

    /// True for a dataset of raw texts or tagged words (tokenised by the model it is given to).
    public var isText: Bool { texts != nil || words != nil }

    /// The tags of sentence `i`, word by word (token datasets).
    public func wordTags(_ i: Int) -> [String] {
        guard let names = classNames, let words else { return [] }
        let width = labels.shape.count > 1 ? labels.shape[1] : 0
        let ids = labels.ints()
        return (0..<words[i].count).map { j in
            let k = Int(ids[i * width + j])
            return k >= 0 && k < names.count ? names[k] : "O"
        }
    }
}

/// "O" first, then types sorted, B- before I- (other prefixes after, by name).
func defaultTagOrder(_ tags: Set<String>) -> [String] {
    func key(_ t: String) -> (Int, String, Int, String) {
        if t == "O" { return (0, "", 0, "") }
        if let dash = t.firstIndex(of: "-") {
            let prefix = String(t[..<dash]), type = String(t[t.index(after: dash)...])
            return (1, type, prefix == "B" ? 0 : prefix == "I" ? 1 : 2, prefix)
        }
        return (2, t, 0, "")
    }
    return tags.sorted { key($0) < key($1) }
}

extension NDArray {
    /// Token ids `[B, T]` (int64) cut to the longest row's real length: trailing columns
    /// where every row holds `paddingID` are dropped (a view). Other arrays are returned as
    /// they are.
    public func trimmingPadding() throws -> NDArray {
        guard rank == 2, dtype == .int64, shape[1] > 0 else { return self }
        let c = try contiguousCopy()
        let p = c.pointer(as: Int64.self)
        let (b, t) = (shape[0], shape[1])
        var longest = 0
        for i in 0..<b {
            var n = t
            while n > longest, p[i * t + n - 1] == paddingID { n -= 1 }
            longest = Swift.max(longest, n)
        }
        return longest == t ? self : try sliced(axis: 1, start: 0, end: Swift.max(longest, 1))
    }
}
