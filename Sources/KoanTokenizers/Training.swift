import Foundation

extension Tokenizer {
    /// The 256 byte values as ids 0…255 (token strings use GPT-2's byte→character table),
    /// no BOS/EOS. Decoding reverses exactly (invalid UTF-8 becomes U+FFFD).
    ///
    ///     Tokenizer.bytes.encode("hé")   // [104, 195, 169]
    public static let bytes: Tokenizer = makeBytes(bos: false, eos: false)

    /// Byte ids 0…255 plus `<bos>` = 256 and/or `<eos>` = 257 (when asked) around every text.
    ///
    ///     Tokenizer.bytes(bos: true, eos: true).encode("hi")   // [256, 104, 105, 257]
    public static func bytes(bos: Bool, eos: Bool) -> Tokenizer { makeBytes(bos: bos, eos: eos) }

    static func makeBytes(bos: Bool, eos: Bool) -> Tokenizer {
        let vocab = ByteLevelTable.byteToScalar.map { String(Character($0)) }
        // A BPE model without merges over the byte alphabet; cannot fail.
        let model = BPEModel(mergeFreeVocab: vocab)
        var added: [AddedToken] = []
        var single: [TemplatePiece] = []
        var specials: [String: (ids: [Int], tokens: [String])] = [:]
        if bos { added.append(AddedToken(id: 256, content: "<bos>", special: true)); single.append(.special("<bos>", typeId: 0)); specials["<bos>"] = ([256], ["<bos>"]) }
        single.append(.sequenceA(typeId: 0))
        if eos {
            let id = bos ? 257 : 256
            added.append(AddedToken(id: id, content: "<eos>", special: true)); single.append(.special("<eos>", typeId: 0)); specials["<eos>"] = ([id], ["<eos>"])
        }
        return Tokenizer(model: .bpe(model), normalizer: nil, preTokenizer: .byteLevel(addPrefixSpace: false, useRegex: false),
                         postProcessor: bos || eos ? .template(single: single, pair: [], specials: specials) : nil,
                         decoder: .byteLevel, addedTokens: added, padding: nil, truncation: nil)
    }

    /// A character-level tokenizer: the vocabulary is the sorted distinct Characters of
    /// `text` (ids 0…n-1), then `<unk>` (id n) for anything unseen.
    ///
    ///     let tok = Tokenizer.chars(from: "hello")   // vocab e h l o <unk>
    ///     tok.encode("hole!")                        // [1, 3, 2, 0, 4]
    public static func chars(from text: String) -> Tokenizer {
        var seen: [TokenKey: String] = [:]
        for ch in text { let s = String(ch); seen[tokenKey(s)] = s }
        let sorted = seen.keys.sorted { $0.lexicographicallyPrecedes($1) }
        var vocab = sorted.map { seen[$0] ?? "" }
        var ids: [TokenKey: Int] = [:]
        for (i, k) in sorted.enumerated() { ids[k] = i }
        let unkId = vocab.count
        vocab.append("<unk>")
        return Tokenizer(model: .chars(CharsModel(vocab: vocab, ids: ids, unkId: unkId)), normalizer: nil, preTokenizer: nil,
                         postProcessor: nil, decoder: nil, addedTokens: [AddedToken(id: unkId, content: "<unk>", special: true)],
                         padding: nil, truncation: nil)
    }

    /// Trains a GPT-2-style byte-level BPE tokenizer on `text`: GPT-2 pre-tokenisation (no
    /// prefix space), the 256 byte characters as the base alphabet (sorted by code point,
    /// after `specialTokens`), then merges of the most frequent adjacent pair until the
    /// vocabulary has `vocab` entries. Ties go to the pair with the smaller (left, right) ids,
    /// as in Hugging Face's `BpeTrainer`; pairs seen fewer than `minFrequency` times are not merged.
    ///
    ///     let tok = try Tokenizer.bpe(trainOn: shakespeare, vocab: 512)
    ///     tok.decode(tok.encode("To be, or not")) == "To be, or not"   // true
    public static func bpe(trainOn text: String, vocab size: Int, minFrequency: Int = 2,
                           specialTokens: [String] = ["<|endoftext|>"]) throws -> Tokenizer {
        guard size >= specialTokens.count + 256 else {
            throw TokenizerError.invalidArgument("vocab \(size) is smaller than the \(specialTokens.count) special tokens + 256 bytes")
        }
        var v = Vocabulary()
        for s in specialTokens { _ = v.add(s) }
        for u in ByteLevelTable.byteToScalar.sorted(by: { $0.value < $1.value }) { _ = v.add(String(Character(u))) }
        var byteId = [Int](repeating: 0, count: 256)
        for b in 0..<256 { byteId[b] = v.ids[[ByteLevelTable.byteToScalar[b].value]] ?? 0 }

        // Count words (pre-tokens as byte strings).
        let scalars = Array(text.unicodeScalars)
        var wordIndex: [[UInt8]: Int] = [:]
        var words: [[Int]] = []
        var counts: [Int] = []
        for r in GPT2Split.split(scalars) {
            var s = ""
            s.unicodeScalars.append(contentsOf: scalars[r])
            let bytes = Array(s.utf8)
            if let w = wordIndex[bytes] { counts[w] += 1 } else {
                wordIndex[bytes] = words.count
                words.append(bytes.map { byteId[Int($0)] })
                counts.append(1)
            }
        }

        let merges = learnMerges(words: &words, counts: counts, size: size, minFrequency: minFrequency, vocabulary: &v,
                                 join: { $0 + $1 })
        let added = specialTokens.compactMap { s in v.ids[tokenKey(s)].map { AddedToken(id: $0, content: s, special: true) } }
        let model = try BPEModel(vocab: v.tokens, merges: merges, unkToken: nil, ignoreMerges: false)
        return Tokenizer(model: .bpe(model), normalizer: nil, preTokenizer: .byteLevel(addPrefixSpace: false, useRegex: true),
                         postProcessor: nil, decoder: .byteLevel, addedTokens: added, padding: nil, truncation: nil)
    }
}

extension Tokenizer {
    /// A BERT-style WordPiece tokenizer trained on `text`, as Hugging Face's
    /// `BertWordPieceTokenizer.train`: BERT normalisation (lower-casing, accent stripping,
    /// CJK splitting) and pre-tokenisation, an alphabet of the characters seen (a character
    /// inside a word spelled `##c`), then merges learned as BPE does (most frequent pair, ties
    /// to the smaller ids) until the vocabulary has `vocab` entries; the merged pieces become
    /// the WordPiece vocabulary, with `[UNK]` for what it cannot spell and `[CLS] … [SEP]`
    /// around every encoding. Saved as tokenizer.json, it loads in Hugging Face `tokenizers`.
    ///
    ///     let tok = try Tokenizer.wordPiece(trainOn: text, vocab: 1000)
    ///     tok.encoding("unaffable").tokens   // ["[CLS]", "un", "##aff", "##able", "[SEP]"]
    public static func wordPiece(trainOn text: String, vocab size: Int, minFrequency: Int = 2,
                                 specialTokens: [String] = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]) throws -> Tokenizer {
        for required in ["[UNK]", "[CLS]", "[SEP]"] where !specialTokens.contains(required) {
            throw TokenizerError.invalidArgument("WordPiece needs the special token \(required)")
        }
        let normalizer = Normalizer.bert(cleanText: true, handleChineseChars: true, stripAccents: nil, lowercase: true)
        let aligned = normalizer.apply(AlignedText(Array(text.unicodeScalars)[...]))
        let (pieces, ranges) = PreTokenizer.bert.apply(aligned, words: [0..<aligned.count])

        // Word counts, in first-seen order so that ids do not depend on hashing.
        var wordIndex: [TokenKey: Int] = [:]
        var wordScalars: [[Unicode.Scalar]] = []
        var counts: [Int] = []
        for r in ranges where !r.isEmpty {
            let scalars = Array(pieces.scalars[r])
            let key = scalars.map(\.value)
            if let w = wordIndex[key] { counts[w] += 1 } else {
                wordIndex[key] = wordScalars.count
                wordScalars.append(scalars)
                counts.append(1)
            }
        }

        var v = Vocabulary()
        for t in specialTokens { _ = v.add(t) }
        // The alphabet: word-initial characters, then continuations (`##c`), each sorted.
        let initial = Set(wordScalars.compactMap { $0.first?.value }).sorted()
        let inner = Set(wordScalars.flatMap { $0.dropFirst().map(\.value) }).sorted()
        for c in initial { if let u = Unicode.Scalar(c) { _ = v.add(String(Character(u))) } }
        for c in inner { if let u = Unicode.Scalar(c) { _ = v.add("##" + String(Character(u))) } }
        guard v.tokens.count <= size else {
            throw TokenizerError.invalidArgument("vocab \(size) is smaller than the \(specialTokens.count) special tokens + \(v.tokens.count - specialTokens.count) characters of the text")
        }
        var words: [[Int]] = wordScalars.map { scalars in
            scalars.enumerated().map { k, u in v.add((k == 0 ? "" : "##") + String(Character(u))) }
        }
        _ = learnMerges(words: &words, counts: counts, size: size, minFrequency: minFrequency, vocabulary: &v,
                        join: { left, right in left + (right.hasPrefix("##") ? String(right.dropFirst(2)) : right) })
        let model = WordPieceModel(vocab: v.tokens, unkToken: "[UNK]", prefix: "##", maxInputCharsPerWord: 100)
        let added = specialTokens.compactMap { s in v.ids[tokenKey(s)].map { AddedToken(id: $0, content: s, special: true) } }
        let cls = v.ids[tokenKey("[CLS]")] ?? 0, sep = v.ids[tokenKey("[SEP]")] ?? 0
        return Tokenizer(model: .wordPiece(model), normalizer: normalizer, preTokenizer: .bert,
                         postProcessor: .bert(cls: ("[CLS]", cls), sep: ("[SEP]", sep)),
                         decoder: .wordPiece(prefix: "##", cleanup: true), addedTokens: added, padding: nil, truncation: nil)
    }
}

/// A vocabulary being built by a trainer: tokens in id order and the id of each.
struct Vocabulary {
    private(set) var tokens: [String] = []
    private(set) var ids: [TokenKey: Int] = [:]

    /// The id of `token`, added at the end when new.
    mutating func add(_ token: String) -> Int {
        let key = tokenKey(token)
        if let i = ids[key] { return i }
        tokens.append(token)
        ids[key] = tokens.count - 1
        return tokens.count - 1
    }
}

/// Learns merges on `words` (symbol ids, each word with its count) until the vocabulary has
/// `size` entries or no pair occurs `minFrequency` times: the most frequent pair first, ties to
/// the smaller (left, right) ids, as Hugging Face's `BpeTrainer`. Merged tokens are added to
/// `vocabulary`, spelled by `join` from the two tokens merged.
func learnMerges(words: inout [[Int]], counts: [Int], size: Int, minFrequency: Int,
                 vocabulary: inout Vocabulary, join: (String, String) -> String) -> [(Int, Int)] {
    // Pair statistics (overlapping occurrences count, as in `tokenizers`).
    var pairCount: [Int: Int] = [:]
    var wherePair: [Int: Set<Int>] = [:]
    for (w, syms) in words.enumerated() where syms.count > 1 {
        for k in 0..<(syms.count - 1) {
            let key = syms[k] << 32 | syms[k + 1]
            pairCount[key, default: 0] += counts[w]
            wherePair[key, default: []].insert(w)
        }
    }
    // Most frequent pair first; among equals, the smaller (left, right) ids.
    var heap = Heap<(count: Int, pair: Int)>(before: { x, y in x.count != y.count ? x.count > y.count : x.pair < y.pair })
    for (key, c) in pairCount where c > 0 { heap.push((c, key)) }
    var merges: [(Int, Int)] = []
    while vocabulary.tokens.count < size, let top = heap.pop() {
        let current = pairCount[top.pair] ?? 0
        if top.count != current { if current > 0 { heap.push((current, top.pair)) }; continue }
        if top.count < 1 || top.count < minFrequency { break }
        let a = top.pair >> 32, b = top.pair & 0xFFFF_FFFF
        let newId = vocabulary.add(join(vocabulary.tokens[a], vocabulary.tokens[b]))
        merges.append((a, b))
        var touched = Set<Int>()
        for w in wherePair[top.pair] ?? [] {
            var syms = words[w]
            var i = 0
            while i < syms.count - 1 {
                if syms[i] == a && syms[i + 1] == b {
                    let c = counts[w]
                    if i > 0 {
                        pairCount[syms[i - 1] << 32 | a, default: 0] -= c
                        let k = syms[i - 1] << 32 | newId
                        pairCount[k, default: 0] += c; wherePair[k, default: []].insert(w); touched.insert(k)
                    }
                    syms[i] = newId
                    syms.remove(at: i + 1)
                    if i < syms.count - 1 {
                        pairCount[b << 32 | syms[i + 1], default: 0] -= c
                        let k = newId << 32 | syms[i + 1]
                        pairCount[k, default: 0] += c; wherePair[k, default: []].insert(w); touched.insert(k)
                    }
                }
                i += 1
            }
            words[w] = syms
        }
        for k in touched where (pairCount[k] ?? 0) > 0 { heap.push((pairCount[k] ?? 0, k)) }
    }
    return merges
}

