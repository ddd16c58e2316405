import KoanLang
import KoanAutograd
import KoanData
import KoanTensor
import KoanTokenizers

// Text from cells: reading files, tokenizers (Hugging Face compatible) and next-token
// datasets, thin registrations of KoanTokenizers and KoanData.
//
//     let text = read("notebooks/data/corpus.txt")
//     let tok = Tokenizer.bpe(trainOn: text, vocab: 512)
//     let corpus = Dataset.text(text, tokenizer: tok, context: 128)

/// A tokenizer as a Koan value (immutable; shared freely).
final class TokenizerObject: KoanObject {
    let tokenizer: Tokenizer
    init(_ tokenizer: Tokenizer) { self.tokenizer = tokenizer }
    var typeName: String { "Tokenizer" }
    var description: String { "Tokenizer(vocab: \(tokenizer.vocabSize))" }
    var richRepresentations: [String: MimeData] { [:] }
}

extension Value {
    func asTokenizer() throws -> Tokenizer {
        guard case .object(let o as TokenizerObject) = self else {
            throw Fault(.type, "cannot convert value of type '\(typeName)' to expected argument type 'Tokenizer'")
        }
        return o.tokenizer
    }

    func asIDs() throws -> [Int] {
        if let t = self.tensorValue { return t.data.ints().map { Int($0) } }
        return try elements().map { try $0.asInt() }
    }
}

extension Error {
    /// Tokenizer errors as Koan faults: files are IOErrors, the rest ValueErrors.
    var tokenizerFault: Error {
        guard let t = self as? TokenizerError else { return self }
        switch t {
        case .cannotOpen, .cannotWrite: return Fault(.io, t.description)
        default: return Fault(.value, t.description)
        }
    }
}

func registerTextFunctions(_ r: Registry) {
    r.function("read(_ path: String) -> String", "The contents of a UTF-8 text file.") { a, _ in
        let path = try a[0].asString()
        do {
            return .string(try readTextFile(path))
        } catch let e as DataError {
            throw Fault(.io, e.description)
        }
    }
    func tokenizer(_ signature: String, _ doc: String, _ make: @escaping ([Value]) throws -> Tokenizer) {
        r.function(signature, doc) { a, _ in
            do { return .object(TokenizerObject(try make(a))) } catch { throw error.tokenizerFault }
        }
    }
    tokenizer("Tokenizer.bytes(bos: Bool = false, eos: Bool = false) -> Tokenizer",
              "UTF-8 bytes as ids 0…255 (with <bos> = 256 and <eos> = 257 when asked).") { a in
        Tokenizer.bytes(bos: try a[0].asBool(), eos: try a[1].asBool())
    }
    tokenizer("Tokenizer.chars(from text: String) -> Tokenizer",
              "One id per distinct character of the text (sorted), and <unk> for characters it has not seen.") { a in
        Tokenizer.chars(from: try a[0].asString())
    }
    tokenizer("Tokenizer.bpe(trainOn text: String, vocab: Int, minFrequency: Int = 2) -> Tokenizer",
              "Byte-level BPE (GPT-2 style) trained on the text up to vocab entries; the same merges as Hugging Face's trainer, saved as tokenizer.json.") { a in
        try Tokenizer.bpe(trainOn: try a[0].asString(), vocab: try a[1].asInt(), minFrequency: try a[2].asInt())
    }
    tokenizer("Tokenizer.wordPiece(trainOn text: String, vocab: Int, minFrequency: Int = 2) -> Tokenizer",
              "A BERT-style WordPiece tokenizer (lower-casing, accent stripping, [CLS] … [SEP], ## continuations) trained on the text up to vocab entries; saved as tokenizer.json it loads in Hugging Face tokenizers.") { a in
        try Tokenizer.wordPiece(trainOn: try a[0].asString(), vocab: try a[1].asInt(), minFrequency: try a[2].asInt())
    }
    tokenizer("Tokenizer.load(_ path: String) -> Tokenizer",
              "A Hugging Face tokenizer.json (WordPiece with BERT normalisation, or byte-level BPE).") { a in
        try Tokenizer.load(try a[0].asString())
    }
    func member(_ sig: String, _ doc: String, _ body: @escaping (Tokenizer, [Value]) throws -> Value) {
        r.member(of: TokenizerObject.self, sig, doc, .method { v, a, _ in
            do { return try body(try v.asTokenizer(), a) } catch { throw error.tokenizerFault }
        })
    }
    member("encode(_ text: String, addSpecialTokens: Bool = true) -> [Int]", "The token ids of a text.") { t, a in
        .array(t.encode(try a[0].asString(), addSpecialTokens: try a[1].asBool()).map { .int($0) })
    }
    member("tokens(_ text: String, addSpecialTokens: Bool = true) -> [String]", "The tokens of a text, as strings.") { t, a in
        .array(t.encoding(try a[0].asString(), addSpecialTokens: try a[1].asBool()).tokens.map { .string($0) })
    }
    member("decode(_ ids: [Int], skipSpecialTokens: Bool = true) -> String", "The text of token ids (an array or an integer tensor).") { t, a in
        .string(t.decode(try a[0].asIDs(), skipSpecialTokens: try a[1].asBool()))
    }
    member("encodeBatch(_ texts: [String], maxLength: Int? = nil) -> (Tensor, Tensor)",
           "Ids and attention mask [B, T] (int64) of several texts, padded as the tokenizer says (or to the longest) and truncated to maxLength.") { t, a in
        let texts = try a[0].elements().map { try $0.asString() }
        let batch = t.encodeBatch(texts, padding: true, truncation: a[1].isNil ? nil : try a[1].asInt())
        return .tuple(TupleValue([.tensor(Tensor(try batch.idsArray())), .tensor(Tensor(try batch.attentionMaskArray()))]))
    }
    member("save(_ path: String)", "Writes the tokenizer as a Hugging Face tokenizer.json.") { t, a in
        try t.save(try a[0].asString())
        return .void
    }
    r.member(of: TokenizerObject.self, "vocabSize: Int", "The number of token ids.", .property { v, _ in .int(try v.asTokenizer().vocabSize) })

    r.function("Dataset.text(_ text: String, tokenizer: Tokenizer, context: Int, stride: Int? = nil) -> Dataset",
               "Next-token windows of a text: features [N, context] token ids and labels shifted by one, windows every stride tokens (default: context, no overlap).") { a, _ in
        let tok = try a[1].asTokenizer()
        let ids = tok.encode(try a[0].asString(), addSpecialTokens: false)
        let context = try a[2].asInt()
        return .object(DatasetObject(try Dataset.nextToken(ids: ids, context: context, stride: a[3].isNil ? nil : try a[3].asInt())))
    }
}
