import KoanAutograd
import KoanTensor

/// Picks the last time step of a batch-first sequence: [B, T, H] → [B, H]. Put it after a
/// recurrent layer in a `Sequential` to classify whole sequences.
///
///     let net = try Sequential { try LSTM(8, 32); LastStep(); try Linear(32, 2) }
///     let logits = try net(x)   // [B, T, 8] → [B, 2]
public final class LastStep: Module {
    public override init() { super.init() }

    public override func forward(_ x: Tensor) throws -> Tensor {
        guard x.rank == 3, x.shape[1] > 0 else {
            throw NNError.shapeMismatch(path: "", layer: layerName, expected: "[B, T, H] with T ≥ 1", got: x.shape)
        }
        return try x.index([.all, .index(x.shape[1] - 1)])   // [B, H]
    }
}

/// A sequence classifier: (Embedding →) LSTM → last step → Linear. Children "embedding"
/// (token-id variant only), "lstm", "last" and "fc", so parameters read
/// "lstm.weight_ih_l0", ..., "fc.weight", "fc.bias". The embedding, LSTM and Linear are
/// initialised from `key.derived(0)`, `key.derived(1)` and `key.derived(2)`.
///
///     let clf = try LSTMClassifier(input: 1, hidden: 16, classes: 2)
///     let logits = try clf(x)                 // [B, T, 1] → [B, 2]
///     let text = try LSTMClassifier(vocab: 1000, embedding: 32, hidden: 64, classes: 4)
///     let logits2 = try text(ids)             // int ids [B, T] → [B, 4]
public final class LSTMClassifier: Module {
    public let embedding: Embedding?
    public let lstm: LSTM
    public let last: LastStep
    public let fc: Linear

    /// Over float sequences [B, T, input].
    public init(input: Int, hidden: Int, layers: Int = 1, classes: Int, dropout: Double = 0,
                key: RandomKey = RandomKey(seed: 0), dtype: DType = .float32) throws {
        embedding = nil
        lstm = try LSTM(inputSize: input, hiddenSize: hidden, layers: layers, dropout: dropout, key: key.derived(1), dtype: dtype)
        last = LastStep()
        fc = try Linear(hidden, classes, key: key.derived(2), dtype: dtype)
        super.init()
        registerChild("lstm", lstm)
        registerChild("last", last)
        registerChild("fc", fc)
    }

    /// Over integer token ids [B, T]: an `Embedding(vocab, embedding)` in front.
    public init(vocab: Int, embedding dim: Int, hidden: Int, layers: Int = 1, classes: Int, dropout: Double = 0,
                key: RandomKey = RandomKey(seed: 0), dtype: DType = .float32) throws {
        let emb = try Embedding(vocab, dim, key: key.derived(0), dtype: dtype)
        embedding = emb
        lstm = try LSTM(inputSize: dim, hiddenSize: hidden, layers: layers, dropout: dropout, key: key.derived(1), dtype: dtype)
        last = LastStep()
        fc = try Linear(hidden, classes, key: key.derived(2), dtype: dtype)
        super.init()
        registerChild("embedding", emb)
        registerChild("lstm", lstm)
        registerChild("last", last)
        registerChild("fc", fc)
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        var h = x
        if let embedding {
            guard x.rank == 2 else {
                throw NNError.shapeMismatch(path: "", layer: layerName, expected: "[B, T] token ids", got: x.shape)
            }
            h = try run(embedding, named: "embedding", h)   // [B, T, E]
        }
        h = try run(lstm, named: "lstm", h)                 // [B, T, H]
        h = try run(last, named: "last", h)                 // [B, H]
        return try run(fc, named: "fc", h)                  // [B, classes]
    }
}
