import Foundation
import KoanTensor

/// A token that is matched in the raw input before normalisation (e.g. `[CLS]`, `<|endoftext|>`).
public struct AddedToken: Sendable, Equatable {
    public var id: Int
    public var content: String
    public var special: Bool
    public init(id: Int, content: String, special: Bool) {
        self.id = id; self.content = content; self.special = special
    }
}

/// How a batch is padded: to its longest row or to a fixed length (`tokenizer.json`'s
/// `padding.strategy`: `"BatchLongest"` or `{"Fixed": n}`).
public enum PaddingStrategy: Sendable, Equatable {
    case batchLongest
    case fixed(Int)
}

/// Padding settings, as read from (and written to) `tokenizer.json`'s `padding` field.
///
///     tok.padding?.strategy   // .fixed(128) for all-MiniLM-L6-v2
public struct PaddingConfig: Sendable, Equatable {
    public var strategy: PaddingStrategy = .batchLongest
    public var left = false
    public var padToMultipleOf: Int? = nil
    public var padId = 0
    public var padTypeId = 0
    public var padToken = "[PAD]"
    public init(strategy: PaddingStrategy = .batchLongest, left: Bool = false, padToMultipleOf: Int? = nil,
                padId: Int = 0, padTypeId: Int = 0, padToken: String = "[PAD]") {
        self.strategy = strategy; self.left = left; self.padToMultipleOf = padToMultipleOf
        self.padId = padId; self.padTypeId = padTypeId; self.padToken = padToken
    }
}

/// Truncation settings, as read from `tokenizer.json`'s `truncation` field. `maxLength`
/// counts the special tokens the post-processor adds.
public struct TruncationConfig: Sendable, Equatable {
    public var maxLength: Int
    public var left = false
    public var strategy = "LongestFirst"
    public var stride = 0
    public init(maxLength: Int, left: Bool = false, strategy: String = "LongestFirst", stride: Int = 0) {
        self.maxLength = maxLength; self.left = left; self.strategy = strategy; self.stride = stride
    }
}

/// A padded batch: `ids`, `attentionMask` and `typeIds` are `[B][T]`; `idsArray()` etc. make
/// int64 `NDArray`s of shape [B, T].
///
///     let b = tok.encodeBatch(["a cat", "the dog sat"])
///     let x = try b.idsArray()          // int64 [2, T]
///     let m = try b.attentionMaskArray()
public struct BatchEncoding: Sendable, Equatable {
    public var encodings: [Encoding]
    public var ids: [[Int]] { encodings.map(\.ids) }
    public var attentionMask: [[Int]] { encodings.map(\.attentionMask) }
    public var typeIds: [[Int]] { encodings.map(\.typeIds) }

    public func idsArray() throws -> NDArray { try BatchEncoding.array(ids) }
    public func attentionMaskArray() throws -> NDArray { try BatchEncoding.array(attentionMask) }
    public func typeIdsArray() throws -> NDArray { try BatchEncoding.array(typeIds) }

    /// Rows of equal length → int64 [B, T]. Ragged rows are a `TokenizerError.invalidArgument`.
    public static func array(_ rows: [[Int]]) throws -> NDArray {
        let t = rows.first?.count ?? 0
        guard rows.allSatisfy({ $0.count == t }) else {
            throw TokenizerError.invalidArgument("rows have different lengths \(Set(rows.map(\.count)).sorted()); encode with padding: true")
        }
        return try NDArray(ints: rows.flatMap { $0.map(Int64.init) }, shape: [rows.count, t], dtype: .int64)
    }
}

/// A text tokenizer compatible with Hugging Face `tokenizers` (`tokenizer.json`), for
/// WordPiece (BERT) and byte-level BPE (GPT-2) models, plus simple byte and character
/// tokenizers. Immutable and `Sendable`; configuration changes return a new tokenizer.
///
///     let tok = try Tokenizer.load("tokenizer.json")
///     let ids = tok.encode("Hello, world!")        // [101, 7592, 1010, 2088, 999, 102]
///     tok.decode(ids)                              // "hello, world!"
///     let bpe = try Tokenizer.bpe(trainOn: corpus, vocab: 512)
///     try bpe.save("my-tokenizer.json")
public final class Tokenizer: Sendable {
    let model: Model
    let normalizer: Normalizer?
    let preTokenizer: PreTokenizer?
    let postProcessor: PostProcessor?
    let decoder: Decoder?
    /// Tokens matched in the raw text before anything else, longest first at each position.
    public let addedTokens: [AddedToken]
    /// Padding from `tokenizer.json` (used by `encodeBatch(padding: true)`), or nil.
    public let padding: PaddingConfig?
    /// Truncation from `tokenizer.json` (used by `encode`/`encodeBatch` unless overridden), or nil.
    public let truncation: TruncationConfig?
    let idsByToken: [TokenKey: Int]
    let addedByFirstScalar: [UInt32: [AddedToken]]
    let specialIds: Set<Int>

    init(model: Model, normalizer: Normalizer?, preTokenizer: PreTokenizer?, postProcessor: PostProcessor?,
         decoder: Decoder?, addedTokens: [AddedToken], padding: PaddingConfig?, truncation: TruncationConfig?) {
        self.model = model
        self.normalizer = normalizer
        self.preTokenizer = preTokenizer
        self.postProcessor = postProcessor
        self.decoder = decoder
        self.addedTokens = addedTokens
        self.padding = padding
        self.truncation = truncation
        var ids: [TokenKey: Int] = [:]
        for (i, t) in model.vocab.enumerated() where ids[tokenKey(t)] == nil { ids[tokenKey(t)] = i }
        for a in addedTokens { ids[tokenKey(a.content)] = a.id }
        idsByToken = ids
        var byFirst: [UInt32: [AddedToken]] = [:]
        for a in addedTokens {
            guard let f = a.content.unicodeScalars.first else { continue }
            byFirst[f.value, default: []].append(a)
        }
        for k in byFirst.keys { byFirst[k]?.sort { $0.content.unicodeScalars.count > $1.content.unicodeScalars.count } }
        addedByFirstScalar = byFirst
        specialIds = Set(addedTokens.filter(\.special).map(\.id))
    }

    func with(padding: PaddingConfig?? = .none, truncation: TruncationConfig?? = .none) -> Tokenizer {
        Tokenizer(model: model, normalizer: normalizer, preTokenizer: preTokenizer, postProcessor: postProcessor,
                  decoder: decoder, addedTokens: addedTokens,
                  padding: padding ?? self.padding, truncation: truncation ?? self.truncation)
    }

    /// A copy with other padding settings (nil: `encodeBatch` pads to the longest row).
    public func withPadding(_ p: PaddingConfig?) -> Tokenizer { with(padding: .some(p)) }
    /// A copy with other truncation settings (nil: no truncation unless asked per call).
    public func withTruncation(_ t: TruncationConfig?) -> Tokenizer { with(truncation: .some(t)) }

    // MARK: Vocabulary

    /// Number of ids (model vocabulary plus added tokens beyond it).
    public var vocabSize: Int {
        max(model.vocab.count, (addedTokens.map(\.id).max() ?? -1) + 1)
    }

    /// The string of an id, or nil when out of range.
    public func token(for id: Int) -> String? {
        if let a = addedTokens.first(where: { $0.id == id }) { return a.content }
        let v = model.vocab
        return id >= 0 && id < v.count ? v[id] : nil
    }

    /// The id of a token string (exact scalars), or nil.
    public func id(for token: String) -> Int? { idsByToken[tokenKey(token)] }

    func firstId(_ names: [String]) -> Int? {
        for n in names { if let i = id(for: n) { return i } }
        return nil
    }

    public var padId: Int? { padding?.padId ?? firstId(["[PAD]", "<pad>", "<|pad|>"]) }
    public var unkId: Int? {
        switch model {
        case .wordPiece(let m): m.unkId >= 0 ? m.unkId : nil
        case .bpe(let m): m.unkToken.flatMap { id(for: $0) }
        case .chars(let m): m.unkId
        }
    }
    public var clsId: Int? { firstId(["[CLS]", "<cls>"]) }
    public var sepId: Int? { firstId(["[SEP]", "<sep>"]) }
    public var maskId: Int? { firstId(["[MASK]", "<mask>"]) }
    public var bosId: Int? { firstId(["<bos>", "<s>", "<|startoftext|>", "<|begin_of_text|>"]) }
    public var eosId: Int? { firstId(["<eos>", "</s>", "<|endoftext|>", "<|end_of_text|>"]) }

    // MARK: Encoding

    /// Token ids of `text`, with the post-processor's special tokens (e.g. `[CLS] … [SEP]`)
    /// when `addSpecialTokens`. Applies the file's truncation, never padding.
    ///
    ///     tok.encode("Hello!")   // [101, 7592, 999, 102]
    public func encode(_ text: String, addSpecialTokens: Bool = true) -> [Int] {
        encoding(text, addSpecialTokens: addSpecialTokens).ids
    }

    /// Like `encode`, with tokens, offsets, type ids and masks.
    public func encoding(_ text: String, addSpecialTokens: Bool = true, maxLength: Int? = nil) -> Encoding {
        let scalars = Array(text.unicodeScalars)
        var raw = Encoding()
        var out: [(Int, Int, Int)] = []
        let vocab = model.vocab
        var segStart = 0
        var i = 0
        func flush(_ end: Int) {
            guard end > segStart else { return }
            out.removeAll(keepingCapacity: true)
            let t = encodeSegment(scalars[segStart..<end], into: &out)
            for (id, a, b) in out {
                let off = b > a ? t.starts[a]..<t.ends[b - 1] : 0..<0
                raw.appendToken(id, id < vocab.count ? vocab[id] : (token(for: id) ?? ""), off)
            }
        }
        if !addedByFirstScalar.isEmpty {
            while i < scalars.count {
                if let cands = addedByFirstScalar[scalars[i].value],
                   let hit = cands.first(where: { c in
                       let cs = Array(c.content.unicodeScalars)
                       return i + cs.count <= scalars.count && Array(scalars[i..<(i + cs.count)]) == cs
                   }) {
                    flush(i)
                    let len = hit.content.unicodeScalars.count
                    raw.appendToken(hit.id, hit.content, i..<(i + len))
                    if hit.special { raw.specialTokensMask[raw.count - 1] = 1 }
                    i += len
                    segStart = i
                } else { i += 1 }
            }
        }
        flush(scalars.count)
        let limit = maxLength ?? truncation?.maxLength
        let extra = addSpecialTokens ? (postProcessor?.addedCount ?? 0) : 0
        if let limit { raw.truncate(to: limit - extra, fromLeft: truncation?.left ?? false) }
        if addSpecialTokens, let p = postProcessor { return p.process(raw) }
        return raw
    }

    /// Normalise, pre-tokenize and run the model on one span without added tokens.
    func encodeSegment(_ s: ArraySlice<Unicode.Scalar>, into out: inout [(Int, Int, Int)]) -> AlignedText {
        var t = AlignedText(s)
        if let n = normalizer { t = n.apply(t) }
        var words = [0..<t.count]
        if let p = preTokenizer { (t, words) = p.apply(t, words: words) }
        switch model {
        case .wordPiece(let m): for w in words { m.tokenize(t, w, into: &out) }
        case .bpe(let m): for w in words where !w.isEmpty { m.tokenize(t, w, into: &out) }
        case .chars(let m):
            // Group scalars into Characters (extended grapheme clusters).
            for w in words where !w.isEmpty {
                var str = ""
                str.unicodeScalars.append(contentsOf: t.scalars[w])
                var pos = w.lowerBound
                for ch in str {
                    let n = ch.unicodeScalars.count
                    out.append((m.ids[ch.unicodeScalars.map(\.value)] ?? m.unkId, pos, pos + n))
                    pos += n
                }
            }
        }
        return t
    }

    /// Encodes each text and pads the rows to a common length.
    ///
    /// - padding: true pads with the file's strategy (MiniLM: fixed 128) or, without one, to
    ///   the longest row; false leaves rows ragged.
    /// - truncation: maximum row length including special tokens; nil uses the file's setting.
    ///
    ///     let b = tok.encodeBatch(["short", "a longer text"])
    ///     try b.idsArray().shape   // [2, T]
    public func encodeBatch(_ texts: [String], padding: Bool = true, truncation maxLength: Int? = nil,
                            addSpecialTokens: Bool = true) -> BatchEncoding {
        var encs = texts.map { encoding($0, addSpecialTokens: addSpecialTokens, maxLength: maxLength) }
        if padding {
            let cfg = self.padding ?? PaddingConfig(padId: padId ?? 0, padToken: padId.flatMap { token(for: $0) } ?? "")
            var target: Int
            switch cfg.strategy {
            case .batchLongest: target = encs.map(\.count).max() ?? 0
            case .fixed(let n): target = n
            }
            if let m = cfg.padToMultipleOf, m > 0, target % m != 0 { target += m - target % m }
            for k in encs.indices { encs[k].pad(to: target, id: cfg.padId, token: cfg.padToken, typeId: cfg.padTypeId, left: cfg.left) }
        }
        return BatchEncoding(encodings: encs)
    }

    // MARK: Decoding

    /// Text of `ids` through the decoder (WordPiece joins `##` pieces, byte level maps bytes
    /// back and decodes UTF-8). Special added tokens are dropped when `skipSpecialTokens`;
    /// unknown ids are ignored.
    ///
    ///     tok.decode(tok.encode("Hello, world!"))   // "hello, world!"
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = true) -> String {
        var toks: [String] = []
        toks.reserveCapacity(ids.count)
        for id in ids {
            if skipSpecialTokens && specialIds.contains(id) { continue }
            if let t = token(for: id) { toks.append(t) }
        }
        if let d = decoder { return d.decode(toks) }
        return toks.joined()
    }
}
