import KoanAutograd
import KoanTensor

// The modules of the other parameter-efficient methods: bottleneck adapters (Houlsby et
// al. 2019; Pfeiffer et al. 2020), prompt tuning (Lester et al. 2021: virtual token
// embeddings before the input) and prefix tuning (Li & Liang 2021: virtual keys and values
// in every attention layer), laid out as Hugging Face PEFT lays out its prompt encoders.

/// Where bottleneck adapters go in each encoder layer.
public enum AdapterPlacement: String, Sendable, Equatable, CaseIterable {
    /// After the attention output projection and after the feed-forward output (two per layer).
    case houlsby
    /// After the feed-forward output only (one per layer).
    case pfeiffer
}

/// x + up(act(down(x))): a bottleneck of `dim / reduction` units with a residual; `up`
/// starts at zero, so a new adapter is the identity. Children `down`, `up`.
public final class BottleneckAdapter: Module {
    public let down: Linear
    public let up: Linear
    /// ReLU (Pfeiffer) or SiLU/swish (Houlsby), as AdapterHub's configurations.
    public let activation: String

    public init(dim: Int, reduction: Int, activation: String, key: RandomKey) throws {
        guard reduction >= 1, dim / reduction >= 1 else {
            throw NNError.invalidArgument(layer: "BottleneckAdapter", message: "reduction must be between 1 and \(dim), got \(reduction)")
        }
        let bottleneck = dim / reduction
        down = try Linear(dim, bottleneck, key: key.derived(0))
        up = try Linear(bottleneck, dim, key: key.derived(1))
        up.weight.assign(try NDArray.zeros([dim, bottleneck]))
        if let b = up.bias { b.assign(try NDArray.zeros([dim])) }
        self.activation = activation
        super.init()
        registerChild("down", down)
        registerChild("up", up)
    }

    public override var configuration: String { "dim: \(down.inFeatures), bottleneck: \(down.outFeatures), \(activation)" }

    public override func forward(_ x: Tensor) throws -> Tensor {
        let h = try run(down, named: "down", x)
        let a = activation == "relu" ? try h.unary(.relu) : try silu(h)
        return try x + run(up, named: "up", a)
    }
}

/// Virtual token embeddings [n, dim] put before the input embeddings (PEFT's
/// `PromptEmbedding`; saved as `prompt_embeddings`). Child-free; parameter `embedding.weight`.
public final class PromptEncoder: Module {
    public let tokens: Int
    public let embedding: Embedding

    public init(tokens: Int, dim: Int, key: RandomKey) throws {
        self.tokens = tokens
        embedding = try Embedding(tokens, dim, key: key)
        super.init()
        registerChild("embedding", embedding)
    }

    public override var configuration: String { "virtual tokens: \(tokens)" }

    /// The virtual tokens for a batch: [B, n, dim].
    public func prompts(batch: Int) throws -> Tensor {
        let w = embedding.weight.value                                       // [n, dim]
        return try w.unsqueezed(axis: 0).expanded(to: [batch] + w.shape)     // [B, n, dim]
    }
}

/// Per-layer virtual keys and values (PEFT's `PrefixEncoder`): a table [n, layers·2·dim],
/// or with `projection` an embedding [n, dim] through Linear(dim, projection) → tanh →
/// Linear(projection, layers·2·dim). Row t holds, for layer l, the key at columns
/// [2l·dim, (2l+1)·dim) and the value after it.
public final class PrefixEncoder: Module {
    public let tokens: Int
    public let layers: Int
    public let dim: Int
    public let embedding: Embedding
    public let transform: Sequential?

    public init(tokens: Int, layers: Int, dim: Int, projection: Int?, key: RandomKey) throws {
        self.tokens = tokens
        self.layers = layers
        self.dim = dim
        if let p = projection {
            guard p >= 1 else { throw NNError.invalidArgument(layer: "PrefixEncoder", message: "projection must be at least 1, got \(p)") }
            embedding = try Embedding(tokens, dim, key: key.derived(0))
            transform = Sequential([try Linear(dim, p, key: key.derived(1)), Tanh(), try Linear(p, layers * 2 * dim, key: key.derived(2))])
        } else {
            embedding = try Embedding(tokens, layers * 2 * dim, key: key.derived(0))
            transform = nil
        }
        super.init()
        registerChild("embedding", embedding)
        if let transform { registerChild("transform", transform) }
    }

    public override var configuration: String {
        "virtual tokens: \(tokens), layers: \(layers)" + (transform == nil ? "" : ", projected")
    }

    /// The whole table [n, layers·2·dim] (through the projection when there is one).
    public func table() throws -> Tensor {
        let e = embedding.weight.value
        guard let transform else { return e }
        return try run(transform, named: "transform", e)
    }

    /// The keys and values of layer `l` for a batch, split into heads: each [B, H, n, hd].
    public static func keysValues(_ table: Tensor, layer l: Int, dim: Int, heads: Int, batch: Int) throws -> (Tensor, Tensor) {
        let n = table.shape[0]
        func part(_ i: Int) throws -> Tensor {
            let cols = try table.sliced(axis: 1, start: i * dim, end: (i + 1) * dim)                  // [n, dim]
            let split = try cols.reshaped([n, heads, dim / heads]).permuted([1, 0, 2])                  // [H, n, hd]
            return try split.unsqueezed(axis: 0).expanded(to: [batch, heads, n, dim / heads])           // [B, H, n, hd]
        }
        return (try part(2 * l), try part(2 * l + 1))
    }
}

/// The BERT encoder of `model`: the model itself or a head's `bert`.
public func bertEncoder(of model: Module) throws -> BERT {
    if let b = model as? BERT { return b }
    if let h = model as? BERTHead { return h.bert }
    throw NNError.invalidArgument(layer: model.layerName, message: "this method needs a BERT encoder or a BERT classifier")
}

/// The head's own modules, trained beside a PEFT method (PEFT's modules_to_save).
public func headPaths(_ model: Module) -> [String] { model is BERTHead ? ["classifier"] : [] }

/// The path prefix of a model's BERT encoder: "bert." in a classifier, "" for a BERT itself.
public func encoderPrefix(_ model: Module) -> String { model is BERTHead ? "bert." : "" }

/// Adds bottleneck adapters to every encoder layer of a BERT model (`houlsby`: after the
/// attention output and the feed-forward output; `pfeiffer`: after the feed-forward output)
/// and freezes everything except the adapters and a classifier head.
///
///     try addAdapters(to: clf, reduction: 16, placement: .houlsby)
public func addAdapters(to model: Module, reduction: Int, placement: AdapterPlacement, key: RandomKey = RandomKey(seed: 0)) throws {
    let bert = try bertEncoder(of: model)
    if bert.encoder.layers.contains(where: { $0.output.adapter != nil }) {
        throw NNError.invalidArgument(layer: "adapters", message: "this model already has adapters")
    }
    let activation = placement == .houlsby ? "swish" : "relu"
    let made = try bert.encoder.layers.indices.map { i in
        (try BottleneckAdapter(dim: bert.dim, reduction: reduction, activation: activation, key: key.derived(UInt64(2 * i))),
         placement == .houlsby ? try BottleneckAdapter(dim: bert.dim, reduction: reduction, activation: activation, key: key.derived(UInt64(2 * i + 1))) : nil)
    }
    for (layer, (ffn, attn)) in zip(bert.encoder.layers, made) {
        try layer.output.attach(ffn)
        if let attn { try layer.attention.output.attach(attn) }
    }
    freezeExceptPEFT(model, keep: headPaths(model))
}

/// Prompt tuning: `tokens` virtual token embeddings before every input, initialised as PEFT
/// does from the word embeddings of `initIds` (repeated or cut to `tokens`), else drawn
/// from the embedding's N(0, 1)-scaled default. Freezes everything except them and a head.
///
///     try applyPromptTuning(to: clf, tokens: 20, initIds: tok.encode("classify the intent"))
public func applyPromptTuning(to model: Module, tokens: Int, initIds: [Int]? = nil, key: RandomKey = RandomKey(seed: 0)) throws {
    let bert = try bertEncoder(of: model)
    guard bert.promptEncoder == nil, bert.prefixEncoder == nil else {
        throw NNError.invalidArgument(layer: "prompt tuning", message: "this model already has virtual tokens")
    }
    guard tokens >= 1 else { throw NNError.invalidArgument(layer: "prompt tuning", message: "virtualTokens must be at least 1, got \(tokens)") }
    let p = try PromptEncoder(tokens: tokens, dim: bert.dim, key: key)
    if let ids = initIds {
        guard !ids.isEmpty else { throw NNError.invalidArgument(layer: "prompt tuning", message: "initText gives no tokens") }
        let repeated = (0..<tokens).map { Int64(ids[$0 % ids.count]) }
        let rows = try bert.embeddings.words.weight.value.data.indexSelect(axis: 0, indices: try NDArray(ints: repeated, shape: [tokens]))
        p.embedding.weight.assign(try rows.contiguousCopy())
    }
    bert.registerChild("prompt_encoder", p)
    bert.promptEncoder = p
    freezeExceptPEFT(model, keep: headPaths(model))
}

/// Prefix tuning: `tokens` virtual keys and values in every attention layer (through an
/// MLP of width `projection` when given). Freezes everything except them and a head.
///
///     try applyPrefixTuning(to: clf, tokens: 20, projection: 512)
public func applyPrefixTuning(to model: Module, tokens: Int, projection: Int? = nil, key: RandomKey = RandomKey(seed: 0)) throws {
    if let gpt = model as? GPT {
        guard gpt.prefixEncoder == nil else { throw NNError.invalidArgument(layer: "prefix tuning", message: "this model already has a prefix") }
        guard tokens >= 1, tokens < gpt.context else {
            throw NNError.invalidArgument(layer: "prefix tuning", message: "virtualTokens must be between 1 and \(gpt.context - 1) (the context), got \(tokens)")
        }
        let p = try PrefixEncoder(tokens: tokens, layers: gpt.layers, dim: gpt.dim, projection: projection, key: key)
        gpt.registerChild("prefix_encoder", p)
        gpt.prefixEncoder = p
        freezeExceptPEFT(model, keep: [])
        return
    }
    let bert = try bertEncoder(of: model)
    guard bert.promptEncoder == nil, bert.prefixEncoder == nil else {
        throw NNError.invalidArgument(layer: "prefix tuning", message: "this model already has virtual tokens")
    }
    guard tokens >= 1 else { throw NNError.invalidArgument(layer: "prefix tuning", message: "virtualTokens must be at least 1, got \(tokens)") }
    let p = try PrefixEncoder(tokens: tokens, layers: bert.layers, dim: bert.dim, projection: projection, key: key)
    bert.registerChild("prefix_encoder", p)
    bert.prefixEncoder = p
    freezeExceptPEFT(model, keep: headPaths(model))
}

/// Takes prefix tuning out of a BERT (before a computed prefix table replaces it).
public func removePrefixEncoder(_ model: Module) throws {
    model.removeChild("prefix_encoder")
    if let gpt = model as? GPT { gpt.prefixEncoder = nil } else { try bertEncoder(of: model).prefixEncoder = nil }
}
