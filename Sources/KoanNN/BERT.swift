import KoanAutograd
import KoanTensor
import KoanTokenizers

// A BERT encoder whose module tree reproduces Hugging Face's `BertModel` state-dict names
// (embeddings.word_embeddings.weight, encoder.layer.0.attention.self.query.weight, …,
// pooler.dense.weight), so a `model.safetensors` of a BERT checkpoint loads by path.

/// BERT's input embeddings: word + position + token type, then LayerNorm.
/// Children `word_embeddings`, `position_embeddings`, `token_type_embeddings`, `LayerNorm`.
public final class BERTEmbeddings: Module {
    public let words: Embedding
    public let positions: Embedding
    public let tokenTypes: Embedding
    public let norm: LayerNorm
    /// Hugging Face's `hidden_dropout_prob` after the LayerNorm (training mode only).
    public let dropout: Dropout

    init(vocab: Int, dim: Int, maxPositions: Int, typeVocab: Int, eps: Double, dropout p: Double, key: RandomKey) throws {
        words = try Embedding(vocab, dim, key: key.derived(0))
        positions = try Embedding(maxPositions, dim, key: key.derived(1))
        tokenTypes = try Embedding(typeVocab, dim, key: key.derived(2))
        norm = try LayerNorm(dim, eps: eps)
        dropout = try Dropout(p: p, key: key.derived(3))
        super.init()
        registerChild("word_embeddings", words)
        registerChild("position_embeddings", positions)
        registerChild("token_type_embeddings", tokenTypes)
        registerChild("LayerNorm", norm)
        registerChild("dropout", dropout)
    }

    public override func forward(_ x: Tensor) throws -> Tensor { try forward(ids: x, tokenTypeIds: nil) }

    /// Embeddings [B, n + T, dim] of ids [B, T] (type ids default to 0), after the virtual
    /// tokens `prompt` [B, n, dim] when given (prompt tuning: they get positions 0..<n, as
    /// PEFT's inputs_embeds do); positions start at `positionOffset` (the prefix length in
    /// prefix tuning, as Hugging Face's past_key_values_length).
    public func forward(ids: Tensor, tokenTypeIds: Tensor?, prompt: Tensor? = nil, positionOffset: Int = 0) throws -> Tensor {
        var h = try run(words, named: "word_embeddings", ids)                                  // [B, T, dim]
        if let prompt { h = try Tensor.concat([prompt, h], axis: 1) }                          // [B, n + T, dim]
        let t = h.shape[1]
        guard t + positionOffset <= positions.count else {
            throw NNError.invalidArgument(layer: "BERT", message:
                "got \(t + positionOffset) positions (virtual tokens included), more than the \(positions.count) position embeddings; truncate the input")
        }
        h = try h + run(positions, named: "position_embeddings", positionIDs(length: t, offset: positionOffset))   // + [T, dim]
        var types = try tokenTypeIds ?? Tensor(NDArray.zeros(ids.shape, dtype: .int64))
        if let prompt { types = try Tensor.concat([Tensor(NDArray.zeros([ids.shape[0], prompt.shape[1]], dtype: .int64)), types], axis: 1) }
        h = try h + run(tokenTypes, named: "token_type_embeddings", types)                     // + [B, T, dim]
        return try run(dropout, named: "dropout", run(norm, named: "LayerNorm", h))
    }
}

/// BERT's self-attention projections (`query`, `key`, `value`) and scaled dot-product
/// attention over the real (unpadded) tokens.
public final class BERTSelfAttention: Module {
    /// The heads left (fewer than the model's after `pruneHeads`).
    public internal(set) var heads: Int
    /// Width of one head (the model's dim / heads).
    public let headDim: Int
    /// The heads removed by `pruneHeads`, numbered as in the unpruned layer.
    public internal(set) var prunedHeads: Set<Int> = []
    public let query: Linear
    public let key: Linear
    public let value: Linear
    /// Hugging Face's `attention_probs_dropout_prob` on the attention weights (training only).
    public let probabilityDropout: Double
    private let dropoutKey: RandomKey
    private var dropoutCalls: UInt64 = 0

    init(dim: Int, heads: Int, dropout: Double, key k: RandomKey) throws {
        self.heads = heads
        headDim = dim / heads
        probabilityDropout = dropout
        dropoutKey = k.derived(3)
        query = try Linear(dim, dim, key: k.derived(0))
        key = try Linear(dim, dim, key: k.derived(1))
        value = try Linear(dim, dim, key: k.derived(2))
        super.init()
        registerChild("query", query)
        registerChild("key", key)
        registerChild("value", value)
    }

    public override func forward(_ x: Tensor) throws -> Tensor { try forward(x, keyPadding: nil) }

    /// Attention output [B, T, dim] (before the output projection); `keyPadding` [B, n + T]
    /// is 1/true for real tokens; `prefix` holds virtual keys and values [B, H, n, hd] put
    /// before the tokens' own (prefix tuning).
    public func forward(_ x: Tensor, keyPadding: Tensor?, prefix: (keys: Tensor, values: Tensor)? = nil) throws -> Tensor {
        let (b, t) = (x.shape[0], x.shape[1])
        let hd = headDim, dim = heads * headDim
        func split(_ y: Tensor) throws -> Tensor { try y.reshaped([b, t, heads, hd]).permuted([0, 2, 1, 3]) }   // [B, H, T, hd]
        let q = try split(run(query, named: "query", x))
        var k = try split(run(key, named: "key", x))
        var v = try split(run(value, named: "value", x))
        if let prefix {
            k = try Tensor.concat([prefix.keys, k], axis: 2)                                   // [B, H, n + T, hd]
            v = try Tensor.concat([prefix.values, v], axis: 2)
        }
        var drop: AttentionDropout? = nil
        if isTraining && probabilityDropout > 0 {
            drop = AttentionDropout(p: probabilityDropout, key: RandomKey(seed: dropoutKey.seed, stream: dropoutKey.stream &+ dropoutCalls))
            dropoutCalls += 1
        }
        let y = try attention(q, k, v, kernel: .full, causal: false, keyPadding: keyPadding, dropout: drop)   // [B, H, T, hd]
        return try y.permuted([0, 2, 1, 3]).contiguous().reshaped([b, t, dim])                                 // [B, T, dim]
    }
}

/// A Linear followed by a residual LayerNorm: LayerNorm(dense(x) + residual). Children
/// `dense` and `LayerNorm` (BERT's `BertSelfOutput` and `BertOutput`).
public final class BERTResidualOutput: Module {
    public let dense: Linear
    public let norm: LayerNorm
    /// Hugging Face's `hidden_dropout_prob` before the residual sum (training mode only).
    public let dropout: Dropout
    /// A bottleneck adapter after `dense` (child `adapter`), added by `addAdapters`.
    public internal(set) var adapter: BottleneckAdapter?

    init(_ input: Int, _ dim: Int, eps: Double, dropout p: Double, key: RandomKey) throws {
        dense = try Linear(input, dim, key: key)
        norm = try LayerNorm(dim, eps: eps)
        dropout = try Dropout(p: p, key: key.derived(7))
        super.init()
        registerChild("dense", dense)
        registerChild("LayerNorm", norm)
        registerChild("dropout", dropout)
    }

    public func forward(_ x: Tensor, residual: Tensor) throws -> Tensor {
        var h = try run(dropout, named: "dropout", run(dense, named: "dense", x))
        if let adapter { h = try run(adapter, named: "adapter", h) }
        return try run(norm, named: "LayerNorm", h + residual)
    }

    func attach(_ a: BottleneckAdapter) throws {
        guard adapter == nil else { throw NNError.invalidArgument(layer: "adapters", message: "this layer already has an adapter") }
        registerChild("adapter", a)
        adapter = a
    }
}

/// Children `self` and `output` (BERT's `BertAttention`).
public final class BERTAttention: Module {
    public let selfAttention: BERTSelfAttention
    public let output: BERTResidualOutput

    init(dim: Int, heads: Int, eps: Double, dropout: Double, key: RandomKey) throws {
        selfAttention = try BERTSelfAttention(dim: dim, heads: heads, dropout: dropout, key: key.derived(0))
        output = try BERTResidualOutput(dim, dim, eps: eps, dropout: dropout, key: key.derived(1))
        super.init()
        registerChild("self", selfAttention)
        registerChild("output", output)
    }

    public func forward(_ x: Tensor, keyPadding: Tensor?, prefix: (keys: Tensor, values: Tensor)? = nil) throws -> Tensor {
        let a = try withPath("self") { try selfAttention.forward(x, keyPadding: keyPadding, prefix: prefix) }
        return try withPath("output") { try output.forward(a, residual: x) }
    }
}

/// A Linear with an activation (BERT's `BertIntermediate`: child `dense`, GELU erf).
public final class BERTIntermediate: Module {
    public let dense: Linear

    init(_ dim: Int, _ hidden: Int, key: RandomKey) throws {
        dense = try Linear(dim, hidden, key: key)
        super.init()
        registerChild("dense", dense)
    }

    public override func forward(_ x: Tensor) throws -> Tensor { try gelu(run(dense, named: "dense", x)) }
}

/// One post-LayerNorm encoder layer: children `attention`, `intermediate`, `output`.
public final class BERTLayer: Module {
    public let attention: BERTAttention
    public let intermediate: BERTIntermediate
    public let output: BERTResidualOutput

    init(dim: Int, heads: Int, intermediate size: Int, eps: Double, dropout: Double, key: RandomKey) throws {
        attention = try BERTAttention(dim: dim, heads: heads, eps: eps, dropout: dropout, key: key.derived(0))
        intermediate = try BERTIntermediate(dim, size, key: key.derived(1))
        output = try BERTResidualOutput(size, dim, eps: eps, dropout: dropout, key: key.derived(2))
        super.init()
        registerChild("attention", attention)
        registerChild("intermediate", intermediate)
        registerChild("output", output)
    }

    public override func forward(_ x: Tensor) throws -> Tensor { try forward(x, keyPadding: nil) }

    public func forward(_ x: Tensor, keyPadding: Tensor?, prefix: (keys: Tensor, values: Tensor)? = nil) throws -> Tensor {
        let a = try withPath("attention") { try attention.forward(x, keyPadding: keyPadding, prefix: prefix) }   // [B, T, dim]
        let i = try run(intermediate, named: "intermediate", a)                                    // [B, T, inter]
        return try withPath("output") { try output.forward(i, residual: a) }                       // [B, T, dim]
    }
}

/// The encoder stack: child `layer` (a `Sequential` of `BERTLayer`s "0", "1", …).
public final class BERTEncoder: Module {
    public let layers: [BERTLayer]

    init(layers: [BERTLayer]) {
        self.layers = layers
        super.init()
        registerChild("layer", Sequential(layers))
    }

    public override func forward(_ x: Tensor) throws -> Tensor { try forward(x, keyPadding: nil) }

    /// `prefix(i)` gives layer i's virtual keys and values (prefix tuning).
    public func forward(_ x: Tensor, keyPadding: Tensor?, prefix: ((Int) throws -> (keys: Tensor, values: Tensor))? = nil) throws -> Tensor {
        var h = x
        for (i, l) in layers.enumerated() {
            let p = try prefix?(i)
            h = try withPath("layer.\(i)") { try l.forward(h, keyPadding: keyPadding, prefix: p) }
        }
        return h
    }
}

/// tanh(dense(first token)): child `dense` (BERT's `BertPooler`).
public final class BERTPooler: Module {
    public let dense: Linear

    init(dim: Int, key: RandomKey) throws {
        dense = try Linear(dim, dim, key: key)
        super.init()
        registerChild("dense", dense)
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        let first = try x.sliced(axis: 1, start: 0, end: 1).squeezed(axis: 1)   // [B, dim]
        return try run(dense, named: "dense", first).unary(.tanh)             // [B, dim]
    }
}

/// A BERT encoder (post-LayerNorm, GELU erf) with Hugging Face `BertModel` parameter paths:
/// `embeddings.word_embeddings.weight`, `embeddings.position_embeddings.weight`,
/// `embeddings.token_type_embeddings.weight`, `embeddings.LayerNorm.weight/bias`,
/// `encoder.layer.N.attention.self.{query,key,value}.weight/bias`,
/// `encoder.layer.N.attention.output.dense|LayerNorm.*`, `encoder.layer.N.intermediate.dense.*`,
/// `encoder.layer.N.output.dense|LayerNorm.*`, `pooler.dense.*`. Initialised as BERT
/// (weights N(0, 0.02), biases 0); load real weights with `update(parameters:)` or
/// `pretrained(_:)`.
///
/// `forward(x)` takes ids [B, T] and returns the hidden states [B, T, dim];
/// `forward(ids:attentionMask:tokenTypeIds:)` also returns the pooled [B, dim] output.
/// Padding (mask 0) is hidden from attention.
///
///     let bert = try BERT(vocab: 30522, dim: 384, heads: 12, layers: 6, intermediate: 1536)
///     let (hidden, pooled) = try bert.forward(ids: ids, attentionMask: mask, tokenTypeIds: types)
///     let sentences = try bert.embed(ids: ids, attentionMask: mask)   // [B, 384], unit length
public final class BERT: Module {
    public let vocab: Int
    public let dim: Int
    public let heads: Int
    public let layers: Int
    public let intermediateSize: Int
    public let maxPositions: Int
    public let typeVocab: Int
    public let layerNormEps: Double
    /// Dropout in training mode, as Hugging Face's hidden_dropout_prob and
    /// attention_probs_dropout_prob (BERT's 0.1 by default).
    public let dropout: Double
    public let embeddings: BERTEmbeddings
    public let encoder: BERTEncoder
    public let pooler: BERTPooler
    /// Virtual tokens before the input (prompt tuning; child `prompt_encoder`).
    public internal(set) var promptEncoder: PromptEncoder?
    /// Virtual keys and values in every layer (prefix tuning; child `prefix_encoder`).
    public internal(set) var prefixEncoder: PrefixEncoder?
    /// The Hugging Face name of the checkpoint this model was loaded from (adapter files
    /// record it as `base_model_name_or_path`).
    public var origin: String?
    /// The number of virtual tokens the hidden states start with (prompt tuning).
    public var virtualTokens: Int { promptEncoder?.tokens ?? 0 }

    public convenience init(vocab: Int, dim: Int, heads: Int, layers: Int, intermediate: Int, maxPositions: Int = 512,
                            typeVocab: Int = 2, layerNormEps: Double = 1e-12, dropout: Double = 0.1, key: RandomKey = RandomKey(seed: 0)) throws {
        try self.init(vocab: vocab, dim: dim, heads: heads, layers: layers, intermediate: intermediate, maxPositions: maxPositions,
                      typeVocab: typeVocab, layerNormEps: layerNormEps, dropout: dropout, key: key, bertInitialisation: true)
    }

    /// `bertInitialisation: false` keeps the layers' default draws (for loaders that
    /// overwrite every weight: saves a second pass of random numbers).
    init(vocab: Int, dim: Int, heads: Int, layers: Int, intermediate: Int, maxPositions: Int,
         typeVocab: Int, layerNormEps: Double, dropout: Double = 0.1, key: RandomKey, bertInitialisation: Bool) throws {
        guard (0..<1).contains(dropout) else {
            throw NNError.invalidArgument(layer: "BERT", message: "dropout must be in [0, 1), got \(dropout)")
        }
        for (name, v) in [("vocab", vocab), ("dim", dim), ("heads", heads), ("layers", layers), ("intermediate", intermediate),
                          ("maxPositions", maxPositions), ("typeVocab", typeVocab)] where v <= 0 {
            throw NNError.invalidArgument(layer: "BERT", message: "\(name) must be positive, got \(v)")
        }
        guard dim % heads == 0 else {
            throw NNError.invalidArgument(layer: "BERT", message: "dim (\(dim)) must be a multiple of heads (\(heads))")
        }
        guard layerNormEps >= 0 else {
            throw NNError.invalidArgument(layer: "BERT", message: "layerNormEps must be ≥ 0, got \(layerNormEps)")
        }
        self.vocab = vocab
        self.dim = dim
        self.heads = heads
        self.layers = layers
        self.intermediateSize = intermediate
        self.maxPositions = maxPositions
        self.typeVocab = typeVocab
        self.layerNormEps = layerNormEps
        self.dropout = dropout
        embeddings = try BERTEmbeddings(vocab: vocab, dim: dim, maxPositions: maxPositions, typeVocab: typeVocab,
                                        eps: layerNormEps, dropout: dropout, key: key.derived(0))
        encoder = BERTEncoder(layers: try (0..<layers).map { i in
            try BERTLayer(dim: dim, heads: heads, intermediate: intermediate, eps: layerNormEps, dropout: dropout, key: key.derived(10 + UInt64(i)))
        })
        pooler = try BERTPooler(dim: dim, key: key.derived(1))
        super.init()
        registerChild("embeddings", embeddings)
        registerChild("encoder", encoder)
        registerChild("pooler", pooler)
        if bertInitialisation { try initializeBERT(self, key: key.derived(2)) }
    }

    public override var configuration: String {
        "vocab: \(vocab), dim: \(dim), heads: \(heads), layers: \(layers), intermediate: \(intermediateSize)"
    }

    /// Hidden states [B, T, dim] of ids [B, T] without padding.
    public override func forward(_ x: Tensor) throws -> Tensor {
        try encode(ids: x, attentionMask: nil, tokenTypeIds: nil)
    }

    /// Hidden states [B, T, dim] and the pooled first token [B, dim].
    ///
    /// - ids: token ids [B, T] (int64 or integer-valued floats).
    /// - attentionMask: [B, T], 1 for real tokens and 0 for padding (nil: all real).
    /// - tokenTypeIds: segment ids [B, T] (nil: all 0).
    public func forward(ids: Tensor, attentionMask: Tensor? = nil, tokenTypeIds: Tensor? = nil) throws
        -> (sequence: Tensor, pooled: Tensor) {
        let h = try encode(ids: ids, attentionMask: attentionMask, tokenTypeIds: tokenTypeIds)
        return (h, try run(pooler, named: "pooler", h))
    }

    /// Hidden states [B, n + T, dim] (no pooler; n virtual tokens with prompt tuning, else 0).
    /// Without `attentionMask`, negative ids are padding (`KoanData.paddingID`, -1): they get
    /// mask 0 and are embedded as id 0.
    public func encode(ids: Tensor, attentionMask: Tensor? = nil, tokenTypeIds: Tensor? = nil) throws -> Tensor {
        var x = try integerIDs(ids, name: "ids", layer: "BERT")
        let types = try tokenTypeIds.map { try integerIDs($0, name: "tokenTypeIds", layer: "BERT") }
        var mask = try attentionMask.map { try integerIDs($0, name: "attentionMask", layer: "BERT") }
        for (name, t) in [("tokenTypeIds", types), ("attentionMask", mask)] {
            if let t, t.shape != x.shape {
                throw NNError.shapeMismatch(path: "", layer: "BERT (\(name))", expected: "\(x.shape), the shape of the ids", got: t.shape)
            }
        }
        if mask == nil, x.data.ints().contains(where: { $0 < 0 }) {
            let real = try NDArray.binary(.ge, x.data, scalar: 0, scalarIsFloat: false)
            mask = Tensor(try real.to(.int64))
            x = Tensor(try x.data.clamp(min: 0, max: nil))
        }
        let b = x.shape[0]
        let prompt = try promptEncoder.map { p in try withPath("prompt_encoder") { try p.prompts(batch: b) } }
        let prefixTable = try prefixEncoder.map { p in try withPath("prefix_encoder") { try p.table() } }
        let virtual = prompt?.shape[1] ?? prefixTable?.shape[0] ?? 0
        if virtual > 0, let m = mask {
            mask = try Tensor.concat([Tensor(NDArray.ones([b, virtual], dtype: .int64)), m], axis: 1)
        }
        let e = try withPath("embeddings") {
            try embeddings.forward(ids: x, tokenTypeIds: types, prompt: prompt, positionOffset: prefixTable == nil ? 0 : virtual)
        }
        guard let prefixTable else { return try withPath("encoder") { try encoder.forward(e, keyPadding: mask) } }
        if mask == nil { mask = Tensor(try NDArray.ones([b, virtual + x.shape[1]], dtype: .int64)) }
        let (dim, heads) = (self.dim, self.heads)
        return try withPath("encoder") {
            try encoder.forward(e, keyPadding: mask, prefix: { l in
                let (k, v) = try PrefixEncoder.keysValues(prefixTable, layer: l, dim: dim, heads: heads, batch: b)
                return (k, v)
            })
        }
    }

    /// Sentence embeddings [B, dim] as sentence-transformers' mean-pooling models compute
    /// them: the hidden states averaged over the real tokens (mask-weighted), then divided
    /// by their L2 norm.
    ///
    ///     let e = try bert.embed(ids: ids, attentionMask: mask)
    ///     let cosine = try (e[0] * e[1]).sum()
    public func embed(ids: Tensor, attentionMask: Tensor? = nil, tokenTypeIds: Tensor? = nil) throws -> Tensor {
        let h = try encode(ids: ids, attentionMask: attentionMask, tokenTypeIds: tokenTypeIds)   // [B, T, dim]
        var m: Tensor = try attentionMask.map { try $0.to(h.dtype).unsqueezed(axis: 2) }
            ?? Tensor.ones([ids.shape[0], ids.shape[1], 1], dtype: h.dtype)                       // [B, T, 1]
        if h.shape[1] > m.shape[1] {                                                              // virtual tokens count as real
            m = try Tensor.concat([Tensor.ones([ids.shape[0], h.shape[1] - m.shape[1], 1], dtype: h.dtype), m], axis: 1)
        }
        let summed = try (h * m).sum(axes: [1])                                                   // [B, dim]
        let counts = try m.sum(axes: [1]).clamp(min: 1e-9, max: nil)                              // [B, 1]
        let mean = try summed / counts
        let norm = try (mean * mean).sum(axes: [1], keepdims: true).unary(.sqrt).clamp(min: 1e-12, max: nil)   // [B, 1]
        return try mean / norm
    }

    /// A new BERT with this one's weights (shared copy-on-write, so training either leaves
    /// the other as it was), without adapters, virtual tokens or LoRA branches.
    ///
    ///     let clf = try bert.copy().sequenceClassifier(classes: 3)   // the base stays as it is
    public func copy() throws -> BERT {
        let b = try BERT(vocab: vocab, dim: dim, heads: heads, layers: layers, intermediate: intermediateSize, maxPositions: maxPositions,
                         typeVocab: typeVocab, layerNormEps: layerNormEps, dropout: dropout, key: RandomKey(seed: 0), bertInitialisation: false)
        var own: [String: NDArray] = [:]
        for (path, p) in parameterSlots { own[path] = p.value.data }
        for (path, p) in b.parameterSlots { if let v = own[path] { p.assign(v) } }
        b.origin = origin
        return b
    }

    /// A token classifier (NER, tagging): this encoder plus a `Linear(dim, labels)` per
    /// token (paths `bert.*`, `classifier.*`, as `BertForTokenClassification`). It shares
    /// this encoder's parameters.
    ///
    ///     let tagger = try bert.tokenClassifier(labels: 9)
    ///     let logits = try tagger(ids)   // [B, T, 9]
    public func tokenClassifier(labels: Int, key: RandomKey = RandomKey(seed: 0)) throws -> BERTTokenClassifier {
        try BERTTokenClassifier(bert: self, labels: labels, key: key)
    }

    /// A sequence classifier: this encoder plus a `Linear(dim, classes)` on the pooled
    /// output (paths `bert.*`, `classifier.*`, as `BertForSequenceClassification`).
    ///
    ///     let clf = try bert.sequenceClassifier(classes: 2)
    ///     let logits = try clf(ids)   // [B, 2]
    public func sequenceClassifier(classes: Int, key: RandomKey = RandomKey(seed: 0)) throws -> BERTSequenceClassifier {
        try BERTSequenceClassifier(bert: self, classes: classes, key: key)
    }
}

/// The parameter paths and shapes of `BERT` with these sizes, in registration order, computed
/// without building the model (loaders check a file against them first).
///
///     bertParameterShapes(vocab: 30522, dim: 384, layers: 6, intermediate: 1536, maxPositions: 512, typeVocab: 2)[0]
///     // ("embeddings.word_embeddings.weight", [30522, 384])
public func bertParameterShapes(vocab: Int, dim: Int, layers: Int, intermediate: Int, maxPositions: Int, typeVocab: Int)
    -> [(path: String, shape: [Int])] {
    var out: [(path: String, shape: [Int])] = [
        ("embeddings.word_embeddings.weight", [vocab, dim]), ("embeddings.position_embeddings.weight", [maxPositions, dim]),
        ("embeddings.token_type_embeddings.weight", [typeVocab, dim]),
        ("embeddings.LayerNorm.weight", [dim]), ("embeddings.LayerNorm.bias", [dim])]
    for i in 0..<layers {
        let p = "encoder.layer.\(i)."
        for n in ["query", "key", "value"] {
            out += [(p + "attention.self.\(n).weight", [dim, dim]), (p + "attention.self.\(n).bias", [dim])]
        }
        out += [(p + "attention.output.dense.weight", [dim, dim]), (p + "attention.output.dense.bias", [dim]),
                (p + "attention.output.LayerNorm.weight", [dim]), (p + "attention.output.LayerNorm.bias", [dim]),
                (p + "intermediate.dense.weight", [intermediate, dim]), (p + "intermediate.dense.bias", [intermediate]),
                (p + "output.dense.weight", [dim, intermediate]), (p + "output.dense.bias", [dim]),
                (p + "output.LayerNorm.weight", [dim]), (p + "output.LayerNorm.bias", [dim])]
    }
    return out + [("pooler.dense.weight", [dim, dim]), ("pooler.dense.bias", [dim])]
}

/// BERT's initialisation: Linear and Embedding weights N(0, 0.02), biases 0, LayerNorm 1/0.
func initializeBERT(_ m: Module, key: RandomKey) throws {
    try m.apply(init: .normal(std: 0.02), where: { _, t in t.rank >= 2 }, key: key.derived(0))
    try m.apply(init: .zeros, where: { p, _ in p.hasSuffix(".bias") }, key: key.derived(1))
}

/// Integer ids as int64 (integer-valued floats are converted; other floats throw).
func integerIDs(_ x: Tensor, name: String, layer: String) throws -> Tensor {
    guard x.rank == 2 else { throw NNError.shapeMismatch(path: "", layer: "\(layer) (\(name))", expected: "[B, T]", got: x.shape) }
    if x.dtype == .int64 { return x }
    if x.dtype.isFloatingPoint, let bad = x.data.doubles().first(where: { $0 != $0.rounded() || !$0.isFinite }) {
        throw NNError.invalidArgument(layer: layer, message: "\(name) must be whole numbers, got \(bad)")
    }
    return Tensor(try x.data.to(.int64))
}

/// A BERT with a linear head: children `bert`, `dropout` (p 0.1 in training, as Hugging Face)
/// and `classifier`. `BERTTokenClassifier` applies it per token, `BERTSequenceClassifier` to
/// the pooled output.
public class BERTHead: Module {
    public let bert: BERT
    public let classifier: Linear
    public let dropout: Dropout
    /// The tokenizer that turns text datasets into ids for this model (set by
    /// `sequenceClassifier`/`tokenClassifier` of a pretrained encoder, or given).
    public var tokenizer: Tokenizer?
    /// Longest input in tokens, special tokens included (longer texts are truncated).
    public var maxLength: Int = 128
    /// The class (or tag) names, indexed by output.
    public var labelNames: [String]?

    init(bert: BERT, outputs: Int, dropout p: Double, key: RandomKey) throws {
        self.bert = bert
        classifier = try Linear(bert.dim, outputs, key: key.derived(0))
        dropout = try Dropout(p: p, key: key.derived(1))
        super.init()
        registerChild("bert", bert)
        registerChild("dropout", dropout)
        registerChild("classifier", classifier)
        try initializeBERT(classifier, key: key.derived(2))
    }

    public override func forward(_ x: Tensor) throws -> Tensor { try forward(ids: x) }

    /// Logits of the head for token ids (with an optional padding mask and token types).
    public func forward(ids: Tensor, attentionMask: Tensor? = nil, tokenTypeIds: Tensor? = nil) throws -> Tensor {
        throw NNError.invalidArgument(layer: layerName, message: "a BERT head must implement forward(ids:)")
    }

    /// The classifier applied to `h` through the dropout.
    func head(_ h: Tensor) throws -> Tensor {
        try run(classifier, named: "classifier", try run(dropout, named: "dropout", h))
    }
}

/// BERT with a per-token linear head: logits [B, T, labels].
///
///     let tagger = try BERT(vocab: 100, dim: 32, heads: 4, layers: 2, intermediate: 64).tokenClassifier(labels: 5)
///     let logits = try tagger.forward(ids: ids, attentionMask: mask)   // [B, T, 5]
public final class BERTTokenClassifier: BERTHead {
    public init(bert: BERT, labels: Int, dropout p: Double = 0.1, key: RandomKey = RandomKey(seed: 0)) throws {
        try super.init(bert: bert, outputs: labels, dropout: p, key: key)
    }

    public override func forward(ids: Tensor, attentionMask: Tensor? = nil, tokenTypeIds: Tensor? = nil) throws -> Tensor {
        var h = try withPath("bert") { try bert.encode(ids: ids, attentionMask: attentionMask, tokenTypeIds: tokenTypeIds) }
        if bert.virtualTokens > 0 { h = try h.sliced(axis: 1, start: bert.virtualTokens, end: h.shape[1]) }   // the real tokens
        return try head(h)   // [B, T, labels]
    }
}

/// BERT with a linear head on the pooled output: logits [B, classes].
///
///     let clf = try BERT(vocab: 100, dim: 32, heads: 4, layers: 2, intermediate: 64).sequenceClassifier(classes: 3)
///     let logits = try clf.forward(ids: ids, attentionMask: mask)   // [B, 3]
public final class BERTSequenceClassifier: BERTHead {
    public init(bert: BERT, classes: Int, dropout p: Double = 0.1, key: RandomKey = RandomKey(seed: 0)) throws {
        try super.init(bert: bert, outputs: classes, dropout: p, key: key)
    }

    public override func forward(ids: Tensor, attentionMask: Tensor? = nil, tokenTypeIds: Tensor? = nil) throws -> Tensor {
        let pooled = try withPath("bert") { try bert.forward(ids: ids, attentionMask: attentionMask, tokenTypeIds: tokenTypeIds).pooled }
        return try head(pooled)   // [B, classes]
    }
}
