import KoanAutograd
import KoanTensor

// A GPT-2-style decoder-only transformer. Parameter paths follow GPT-2's names (wte, wpe,
// h.N.ln_1, h.N.attn, h.N.ln_2, h.N.mlp.c_fc, h.N.mlp.c_proj, ln_f) with the attention
// split into query/key/value/out `Linear`s (torch layout [out, in]), so a GPT-2 checkpoint
// maps onto it by transposing Conv1D weights and splitting `c_attn` (see MultiHeadAttention).

/// The feed-forward half of a transformer block: Linear(dim → hidden), GELU (exact, erf),
/// Linear(hidden → dim). Children `c_fc` and `c_proj`, as GPT-2.
///
///     let ff = try FeedForward(dim: 64, hidden: 256)
///     let y = try ff(x)   // [B, T, 64] → [B, T, 64]
public final class FeedForward: Module {
    public let fc: Linear
    public let proj: Linear

    public init(dim: Int, hidden: Int, key: RandomKey = RandomKey(seed: 0)) throws {
        fc = try Linear(dim, hidden, key: key.derived(0))
        proj = try Linear(hidden, dim, key: key.derived(1))
        super.init()
        registerChild("c_fc", fc)
        registerChild("c_proj", proj)
    }

    public override var configuration: String { "dim: \(proj.outFeatures), hidden: \(fc.outFeatures)" }

    public override func forward(_ x: Tensor) throws -> Tensor {
        let h = try gelu(run(fc, named: "c_fc", x))   // [*, hidden]
        return try run(proj, named: "c_proj", h)       // [*, dim]
    }
}

/// A pre-LayerNorm transformer decoder block (GPT-2):
/// x + drop(attn(ln_1(x))), then x + drop(mlp(ln_2(x))), with causal multi-head attention
/// and a 4×dim GELU MLP. Children: `ln_1`, `attn` (`MultiHeadAttention`: query, key, value,
/// out), `ln_2`, `mlp` (`FeedForward`: c_fc, c_proj), `dropout` (residual dropout).
///
///     let block = try TransformerBlock(dim: 64, heads: 4, position: .rope)
///     let y = try block(x)                                  // [B, T, 64]
///     let z = try block.forward(x, cache: cache, layer: 0)  // incremental decoding
public final class TransformerBlock: Module {
    public let dim: Int
    public let heads: Int
    public let norm1: LayerNorm
    public let attention: MultiHeadAttention
    public let norm2: LayerNorm
    public let mlp: FeedForward
    public let residualDropout: Dropout

    /// `position` is `.rope`, `.alibi` (applied inside attention) or nil; `dropout` is used
    /// for the attention probabilities and both residual branches.
    public init(dim: Int, heads: Int, attention kernel: AttentionKernel = .full, position: PositionalEncoding? = nil,
                dropout: Double = 0, key: RandomKey = RandomKey(seed: 0)) throws {
        guard (0..<1).contains(dropout) else {
            throw NNError.invalidArgument(layer: "TransformerBlock", message: "dropout must be in [0, 1), got \(dropout)")
        }
        self.dim = dim
        self.heads = heads
        norm1 = try LayerNorm(dim)
        attention = try MultiHeadAttention(dim: dim, heads: heads, kernel: kernel, causal: true, dropout: dropout,
                                           positional: position, key: key.derived(0))
        norm2 = try LayerNorm(dim)
        mlp = try FeedForward(dim: dim, hidden: try ShapeArithmetic.product([4, dim], op: "TransformerBlock", what: "the MLP width (4 × dim)"),
                              key: key.derived(1))
        residualDropout = try Dropout(p: dropout, key: key.derived(2))
        super.init()
        registerChild("ln_1", norm1)
        registerChild("attn", attention)
        registerChild("ln_2", norm2)
        registerChild("mlp", mlp)
        registerChild("dropout", residualDropout)
    }

    public override var configuration: String { "dim: \(dim), heads: \(heads)" }

    public override func forward(_ x: Tensor) throws -> Tensor { try forward(x, cache: nil, layer: 0) }

    /// The block on x [B, T, dim]; with `cache`, the tokens follow the ones cached for
    /// `layer` (see `MultiHeadAttention.forward(_:keyPadding:cache:layer:)`).
    ///
    ///     let y = try block.forward(x, cache: cache, layer: 2)
    public func forward(_ x: Tensor, keyPadding: Tensor? = nil, cache: KVCache?, layer: Int) throws -> Tensor {
        let a = try withPath("attn") {
            try attention.forward(try run(norm1, named: "ln_1", x), keyPadding: keyPadding, cache: cache, layer: layer)
        }
        let h = try x + run(residualDropout, named: "dropout", a)                          // [B, T, dim]
        let m = try run(mlp, named: "mlp", try run(norm2, named: "ln_2", h))
        return try h + run(residualDropout, named: "dropout", m)                           // [B, T, dim]
    }
}

/// A GPT-2-style language model: token embedding (`wte`) plus positions, `layers`
/// pre-LayerNorm `TransformerBlock`s (`h.0`, `h.1`, …), a final LayerNorm (`ln_f`) and an
/// LM head tied to the token embedding (logits = h·wteᵀ).
///
/// Positions: `.learned` (a trained table `wpe`, GPT-2) and `.sinusoidal` (a fixed table)
/// are added to the token embeddings; `.rope` and `.alibi` act inside attention.
/// `shareLayers` (ALBERT) registers one block, `h.0`, and applies it `layers` times.
///
/// Initialisation (GPT-2): weights and embeddings N(0, 0.02), biases 0, LayerNorm 1/0, and
/// the residual output projections (`attn.out`, `mlp.c_proj`) N(0, 0.02/√(2·layers)).
///
/// Input: token ids [B, T] (int64, or integer-valued floats as a `Dataset` stores them),
/// T ≤ `context`; output: logits [B, T, vocab] — what `fit` trains against next-token labels.
///
///     let gpt = try GPT(vocab: 256, context: 64, dim: 128, heads: 4, layers: 4, position: .rope)
///     let logits = try gpt(try Tensor(ints: ids, shape: [1, ids.count]))   // [1, T, 256]
public final class GPT: Module {
    public let vocab: Int
    public let context: Int
    public let dim: Int
    public let heads: Int
    public let layers: Int
    public let attentionKernel: AttentionKernel
    public let position: PositionalEncoding
    public let shareLayers: Bool
    public let dropout: Double
    /// `wte`: [vocab, dim], also the LM head.
    public let tokenEmbedding: Embedding
    /// `wpe`: [context, dim] for `.learned` positions, else nil.
    public let positionEmbedding: Embedding?
    /// The distinct blocks (one when `shareLayers`).
    public let blocks: [TransformerBlock]
    /// `ln_f`.
    public let finalNorm: LayerNorm
    /// `drop`: dropout on the summed embeddings.
    public let embeddingDropout: Dropout
    private let sinusoid: Tensor?
    /// Virtual keys and values before every sequence (prefix tuning; child `prefix_encoder`):
    /// the real tokens follow them at positions n…, as Hugging Face's past_key_values.
    public internal(set) var prefixEncoder: PrefixEncoder?

    public init(vocab: Int, context: Int, dim: Int, heads: Int, layers: Int, attention: AttentionKernel = .full,
                position: PositionalEncoding = .learned, shareLayers: Bool = false, dropout: Double = 0,
                key: RandomKey = RandomKey(seed: 0)) throws {
        for (name, v) in [("vocab", vocab), ("context", context), ("dim", dim), ("heads", heads), ("layers", layers)] where v <= 0 {
            throw NNError.invalidArgument(layer: "GPT", message: "\(name) must be positive, got \(v)")
        }
        guard dim % heads == 0 else {
            throw NNError.invalidArgument(layer: "GPT", message: "dim (\(dim)) must be a multiple of heads (\(heads))")
        }
        guard (0..<1).contains(dropout) else {
            throw NNError.invalidArgument(layer: "GPT", message: "dropout must be in [0, 1), got \(dropout)")
        }
        self.vocab = vocab
        self.context = context
        self.dim = dim
        self.heads = heads
        self.layers = layers
        self.attentionKernel = attention
        self.position = position
        self.shareLayers = shareLayers
        self.dropout = dropout
        tokenEmbedding = try Embedding(vocab, dim, key: key.derived(0))
        positionEmbedding = position == .learned ? try learnedPositionEmbedding(maxLength: context, dim: dim, key: key.derived(1)) : nil
        sinusoid = position == .sinusoidal ? try sinusoidalTable(length: context, dim: dim) : nil
        embeddingDropout = try Dropout(p: dropout, key: key.derived(2))
        let inside: PositionalEncoding? = position.isInsideAttention ? position : nil
        blocks = try (0..<(shareLayers ? 1 : layers)).map { i in
            try TransformerBlock(dim: dim, heads: heads, attention: attention, position: inside, dropout: dropout,
                                 key: key.derived(100 + UInt64(i)))
        }
        finalNorm = try LayerNorm(dim)
        super.init()
        registerChild("wte", tokenEmbedding)
        if let wpe = positionEmbedding { registerChild("wpe", wpe) }
        registerChild("drop", embeddingDropout)
        registerChild("h", Sequential(blocks))
        registerChild("ln_f", finalNorm)
        // GPT-2 initialisation.
        try apply(init: .normal(std: 0.02), where: { _, t in t.rank >= 2 }, key: key.derived(3))
        try apply(init: .zeros, where: { p, _ in p.hasSuffix(".bias") }, key: key.derived(4))
        let residualStd = 0.02 / Double(2 * layers).squareRoot()
        try apply(init: .normal(std: residualStd),
                  where: { p, _ in p.hasSuffix(".attn.out.weight") || p.hasSuffix(".mlp.c_proj.weight") },
                  key: key.derived(5))
    }

    public override var configuration: String {
        "vocab: \(vocab), context: \(context), dim: \(dim), heads: \(heads), layers: \(layers), "
            + "attention: \(attentionKernel), position: \(position)" + (shareLayers ? ", shareLayers: true" : "")
    }

    public override func forward(_ x: Tensor) throws -> Tensor { try forward(x, cache: nil) }

    /// Logits [B, T, vocab] for tokens [B, T]. With `cache`, the tokens continue the
    /// sequence cached so far (positions `cache.length()`…); their keys and values are
    /// appended. Cached positions plus T must not exceed `context`.
    ///
    ///     let cache = KVCache()
    ///     var logits = try gpt.forward(prompt, cache: cache)    // [1, P, vocab]
    ///     logits = try gpt.forward(next, cache: cache)          // [1, 1, vocab]
    public func forward(_ tokens: Tensor, cache given: KVCache?) throws -> Tensor {
        let ids = try tokenIDs(tokens)
        let (b, t) = (ids.shape[0], ids.shape[1])
        var cache = given
        if let p = prefixEncoder, (cache?.length(layer: 0) ?? 0) == 0 {   // a new sequence: the prefix comes first
            let filled = cache ?? KVCache()
            let table = try withPath("prefix_encoder") { try p.table() }
            for l in 0..<layers {
                let (k, v) = try PrefixEncoder.keysValues(table, layer: l, dim: dim, heads: heads, batch: b)
                _ = try filled.append(layer: l, keys: k, values: v)
            }
            cache = filled
        }
        let offset = cache?.length(layer: 0) ?? 0
        guard t >= 1 else {
            throw NNError.shapeMismatch(path: "", layer: "GPT", expected: "[B, T] token ids with T ≥ 1", got: tokens.shape)
        }
        guard offset + t <= context else {
            let cached = offset > 0 ? " after \(offset) cached tokens" : ""
            throw NNError.invalidArgument(layer: "GPT", message:
                "got \(t) tokens\(cached), more than the context of \(context) positions; keep the last \(context - offset) tokens")
        }
        var h = try run(tokenEmbedding, named: "wte", ids)                                 // [B, T, dim]
        if let wpe = positionEmbedding {
            h = try h + run(wpe, named: "wpe", positionIDs(length: t, offset: offset))   // + [T, dim]
        } else if let table = sinusoid {
            h = try h + table.sliced(axis: 0, start: offset, end: offset + t)            // + [T, dim]
        }
        h = try run(embeddingDropout, named: "drop", h)
        for i in 0..<layers {
            let index = shareLayers ? 0 : i
            h = try withPath("h.\(index)") { try blocks[index].forward(h, cache: cache, layer: i) }   // [B, T, dim]
        }
        h = try run(finalNorm, named: "ln_f", h)
        // Tied head as one [B·T, dim]·[dim, vocab] product (one GEMM for the weight gradient too).
        let flat = try h.reshaped([b * t, dim])
        return try matmul(flat, tokenEmbedding.weight.value.transposed()).reshaped([b, t, vocab])   // [B, T, vocab]
    }

    /// Token ids as int64 [B, T]: integer tensors as they are, integer-valued floats converted.
    func tokenIDs(_ x: Tensor) throws -> Tensor {
        guard x.rank == 2 else {
            throw NNError.shapeMismatch(path: "", layer: "GPT", expected: "[B, T] token ids", got: x.shape)
        }
        if x.dtype == .int64 { return x }
        if x.dtype.isFloatingPoint {
            if let bad = x.data.doubles().first(where: { $0 != $0.rounded() || !$0.isFinite }) {
                throw NNError.invalidArgument(layer: "GPT", message: "token ids must be whole numbers, got \(bad)")
            }
        } else if x.dtype == .bool {
            throw NNError.invalidArgument(layer: "GPT", message: "expected integer token ids, got dtype bool")
        }
        return Tensor(try x.data.to(.int64))
    }
}

/// Runs `body`, adding `name` in front of the layer path of an `NNError` it throws (as
/// `Module.run` does for children called through `callAsFunction`); a `TensorError` becomes
/// `layerFailed` at `name`.
func withPath<R>(_ name: String, _ body: () throws -> R) throws -> R {
    do {
        return try body()
    } catch let e as NNError {
        throw e.prefixed(with: name)
    } catch let e as TensorError {
        throw NNError.layerFailed(path: name, layer: name, error: e)
    }
}
