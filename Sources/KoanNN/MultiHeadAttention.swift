import KoanAutograd
import KoanTensor

/// Past keys and values per attention layer, for incremental decoding: after a forward
/// with a cache, layer `l` holds K and V [B, H, T_past, D] of every token seen so far
/// (keys after RoPE). A model passes one cache to all its layers, each with its own index.
///
///     let cache = KVCache()
///     _ = try mha.forward(prompt, cache: cache)            // fills layer 0
///     let next = try mha.forward(lastToken, cache: cache)  // attends to prompt + token
public final class KVCache {
    private var entries: [Int: (keys: Tensor, values: Tensor)] = [:]

    public init() {}

    /// Tokens cached for `layer` (0 when empty).
    public func length(layer: Int = 0) -> Int { entries[layer]?.keys.shape[2] ?? 0 }

    /// The cached keys and values of `layer`, or nil.
    public func entry(layer: Int = 0) -> (keys: Tensor, values: Tensor)? { entries[layer] }

    /// Forgets every layer.
    public func reset() { entries = [:] }

    /// Appends new keys/values [B, H, T_new, D] and returns the full ones.
    func append(layer: Int, keys: Tensor, values: Tensor) throws -> (keys: Tensor, values: Tensor) {
        guard let old = entries[layer] else {
            entries[layer] = (keys, values)
            return (keys, values)
        }
        guard old.keys.shape[0] == keys.shape[0], old.keys.shape[1] == keys.shape[1], old.keys.shape[3] == keys.shape[3] else {
            throw NNError.shapeMismatch(path: "", layer: "KVCache (layer \(layer))",
                                        expected: "[\(old.keys.shape[0]), \(old.keys.shape[1]), T, \(old.keys.shape[3])]", got: keys.shape)
        }
        let k = try Tensor.concat([old.keys, keys], axis: 2), v = try Tensor.concat([old.values, values], axis: 2)
        entries[layer] = (k, v)
        return (k, v)
    }
}

/// Multi-head self-attention on [B, T, dim] with a selectable kernel, optional RoPE or
/// ALiBi, key padding and a KV cache.
///
/// Parameters (children are `Linear` layers, weight [out, in] as torch):
/// `query.weight/bias`, `key.weight/bias`, `value.weight/bias` (each [dim, dim]) and
/// `out.weight/bias`. Checkpoint mapping: BERT `attention.self.query|key|value` →
/// `query|key|value`, `attention.output.dense` → `out`; GPT-2 `attn.c_attn` (Conv1D
/// [dim, 3·dim]) → transpose and split into `query|key|value`, `attn.c_proj` → `out`
/// (transposed); torch `nn.MultiheadAttention` `in_proj_weight` rows 0..<dim, dim..<2dim,
/// 2dim..<3dim → `query|key|value`, `out_proj` → `out`.
///
/// `dropout` drops attention probabilities in training mode (softmax kernels; `.linear`
/// throws when it is active). Training call n draws its mask from
/// `RandomKey(seed: key.seed, stream: dropoutKey.stream + n)`, as `Dropout`.
///
///     let mha = try MultiHeadAttention(dim: 64, heads: 4, kernel: .tiled(), causal: true, positional: .rope)
///     let y = try mha(x)                                   // [B, T, 64]
///     let z = try mha.forward(x, keyPadding: pad)          // pad: [B, T], true = token
public final class MultiHeadAttention: Module {
    public let dim: Int
    public let heads: Int
    public let headDim: Int
    public let kernel: AttentionKernel
    public let causal: Bool
    /// `.rope` or `.alibi` (applied inside), or nil.
    public let positional: PositionalEncoding?
    public let ropeBase: Double
    public let query: Linear
    public let key: Linear
    public let value: Linear
    public let out: Linear
    /// Probability of dropping an attention probability in training mode.
    public let dropout: Double
    /// The key of the dropout masks (`key.derived(4)` of the constructor's key).
    public let dropoutKey: RandomKey
    /// How many dropout masks have been drawn.
    public private(set) var dropoutCalls: UInt64 = 0

    public init(dim: Int, heads: Int, kernel: AttentionKernel = .full, causal: Bool = false, bias: Bool = true,
                dropout: Double = 0, positional: PositionalEncoding? = nil, ropeBase: Double = 10_000,
                key: RandomKey = RandomKey(seed: 0), dtype: DType = .float32) throws {
        guard dim > 0, heads > 0, dim % heads == 0 else {
            throw NNError.invalidArgument(layer: "MultiHeadAttention", message:
                "dim must be a positive multiple of heads, got dim \(dim), heads \(heads)")
        }
        if let positional, !positional.isInsideAttention {
            throw NNError.invalidArgument(layer: "MultiHeadAttention", message:
                "positional \(positional) is added to the token embeddings, not inside attention; use .rope, .alibi or nil")
        }
        if positional == .rope, (dim / heads) % 2 != 0 {
            throw NNError.invalidArgument(layer: "MultiHeadAttention", message: "RoPE needs an even head dimension, got \(dim / heads)")
        }
        if positional == .alibi, kernel == .linear {
            throw NNError.invalidArgument(layer: "MultiHeadAttention", message: "ALiBi needs score bias, which the linear kernel does not have")
        }
        self.dim = dim
        self.heads = heads
        self.headDim = dim / heads
        self.kernel = kernel
        self.causal = causal
        self.positional = positional
        self.ropeBase = ropeBase
        query = try Linear(dim, dim, bias: bias, key: key.derived(0), dtype: dtype)
        self.key = try Linear(dim, dim, bias: bias, key: key.derived(1), dtype: dtype)
        value = try Linear(dim, dim, bias: bias, key: key.derived(2), dtype: dtype)
        out = try Linear(dim, dim, bias: bias, key: key.derived(3), dtype: dtype)
        guard (0...1).contains(dropout) else {
            throw NNError.invalidArgument(layer: "MultiHeadAttention", message: "dropout probability has to be between 0 and 1, got \(dropout)")
        }
        if dropout > 0, kernel == .linear {
            throw NNError.invalidArgument(layer: "MultiHeadAttention", message: "the linear kernel has no attention probabilities to drop; use dropout 0")
        }
        self.dropout = dropout
        self.dropoutKey = key.derived(4)
        super.init()
        registerChild("query", query)
        registerChild("key", self.key)
        registerChild("value", value)
        registerChild("out", out)
    }

    public override var configuration: String {
        "dim: \(dim), heads: \(heads), kernel: \(kernel), causal: \(causal)" + (positional.map { ", positional: \($0)" } ?? "")
    }

    public override func forward(_ x: Tensor) throws -> Tensor { try forward(x, keyPadding: nil, cache: nil) }

    /// Self-attention of x [B, T, dim]. `keyPadding` [B, T_past + T] marks real tokens
    /// (true/1) among all keys including cached ones. With `cache`, the new tokens sit at
    /// positions T_past..<T_past+T and their K/V are appended to `cache` for `layer`; for a
    /// causal module the result equals the last T rows of a full forward over all tokens
    /// (a non-causal module lets the new tokens see the cache, but not vice versa).
    ///
    ///     let y = try mha.forward(x, keyPadding: pad, cache: cache, layer: 3)
    public func forward(_ x: Tensor, keyPadding: Tensor? = nil, cache: KVCache? = nil, layer: Int = 0) throws -> Tensor {
        guard x.rank == 3, x.shape[2] == dim else {
            throw NNError.shapeMismatch(path: "", layer: layerName, expected: "[B, T, \(dim)]", got: x.shape)
        }
        let (b, t) = (x.shape[0], x.shape[1])
        func split(_ y: Tensor) throws -> Tensor {
            try y.reshaped([b, t, heads, headDim]).permuted([0, 2, 1, 3])                    // [B, H, T, Dh]
        }
        var q = try split(run(query, named: "query", x))
        var k = try split(run(key, named: "key", x))
        var v = try split(run(value, named: "value", x))
        let offset = cache?.length(layer: layer) ?? 0
        if positional == .rope {
            q = try applyRoPE(q, offset: offset, base: ropeBase)
            k = try applyRoPE(k, offset: offset, base: ropeBase)
        }
        if let cache { (k, v) = try cache.append(layer: layer, keys: k, values: v) }
        let tk = k.shape[2]
        let bias = positional == .alibi ? try alibiBias(heads: heads, queryLength: t, keyLength: tk, offset: offset, dtype: x.dtype) : nil
        var drop: AttentionDropout? = nil
        if isTraining && dropout > 0 {
            drop = AttentionDropout(p: dropout, key: RandomKey(seed: dropoutKey.seed, stream: dropoutKey.stream &+ dropoutCalls))
            dropoutCalls += 1
        }
        do {
            let y = try attention(q, k, v, kernel: kernel, causal: causal, keyPadding: keyPadding, bias: bias, mask: nil,
                                  dropout: drop)                                  // [B, H, T, Dh]
            let merged = try y.permuted([0, 2, 1, 3]).contiguous().reshaped([b, t, dim])          // [B, T, dim]
            return try run(out, named: "out", merged)
        } catch let e as TensorError {
            throw NNError.layerFailed(path: "", layer: layerName, error: e)
        }
    }
}
