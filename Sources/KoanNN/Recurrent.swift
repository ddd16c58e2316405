import KoanAutograd
import KoanTensor

// Recurrent layers as torch.nn.RNN / LSTM / GRU with batch_first=True. Parameters carry
// torch's names and layouts (weight_ih_l0 [G·H, I], weight_hh_l0 [G·H, H], bias_ih_l0,
// bias_hh_l0, then _l1, ...; gates i, f, g, o for the LSTM and r, z, n for the GRU), so a
// torch state dict loads with `update(parameters:)`. Every parameter is drawn from
// U(-1/√H, 1/√H) like torch's reset_parameters, parameter k (in registration order) from
// `key.derived(k)`. Each layer runs as one fused autograd node (RecurrentKernels.swift);
// `implementation = .composite` runs the same maths as ordinary tensor ops instead
// (slower, used to check the fused backward).

/// Which recurrence a `RecurrentLayer` runs (torch's `mode` names).
///
///     try LSTM(8, 16).mode             // .lstm
///     RecurrentMode.gru.gateCount      // 3
public enum RecurrentMode: String, Sendable, CaseIterable {
    case rnnTanh = "RNN_TANH", rnnRelu = "RNN_RELU", lstm = "LSTM", gru = "GRU"

    /// Gates per layer: rows of `weight_ih` are `gateCount · hiddenSize`.
    public var gateCount: Int {
        switch self {
        case .rnnTanh, .rnnRelu: return 1
        case .lstm: return 4
        case .gru: return 3
        }
    }

    /// The torch class name ("RNN", "LSTM", "GRU").
    public var layerName: String {
        switch self {
        case .rnnTanh, .rnnRelu: return "RNN"
        case .lstm: return "LSTM"
        case .gru: return "GRU"
        }
    }
}

/// How a recurrent layer computes: one fused autograd node per layer with hand-written
/// backpropagation through time (the default), or ordinary differentiable tensor ops per
/// step (a reference for checking; several times slower).
///
///     let gru = try GRU(8, 16)
///     gru.implementation = .composite   // same numbers, plain autograd ops
public enum RecurrentImplementation: String, Sendable {
    case fused, composite
}

/// The hidden state of a recurrent layer, as torch's h_n / c_n: `h` is [layers, B, H],
/// `c` (LSTM only) is [layers, B, H]. Pass it back as the initial state of the next call.
///
///     let (out, state) = try lstm(x, state: nil)
///     let (out2, _) = try lstm(x2, state: state)   // continue the sequence
public struct RecurrentState: Sendable {
    /// Hidden state per layer, [layers, B, H].
    public var h: Tensor
    /// Cell state per layer, [layers, B, H] (LSTM), nil otherwise.
    public var c: Tensor?

    public init(h: Tensor, c: Tensor? = nil) {
        self.h = h
        self.c = c
    }

    /// The state without grad history (truncated backpropagation through time).
    public func detached() -> RecurrentState { RecurrentState(h: h.detached(), c: c?.detached()) }
}

/// A stack of recurrent layers over batch-first sequences; the shared base of `RNN`,
/// `LSTM` and `GRU` (use those).
///
/// `forward` maps [B, T, inputSize] to the output sequence [B, T, hiddenSize] (so the layer
/// fits in a `Sequential`); `callAsFunction(_:state:)` also takes an initial state and
/// returns the final one. Dropout with probability `dropout` is applied to the outputs of
/// every layer but the last, in training mode only.
///
///     let gru = try GRU(inputSize: 8, hiddenSize: 32, layers: 2)
///     let (out, state) = try gru(x, state: nil)   // out [B, T, 32], state.h [2, B, 32]
public class RecurrentLayer: Module {
    public let mode: RecurrentMode
    public let inputSize: Int
    public let hiddenSize: Int
    public let layers: Int
    public let hasBias: Bool
    public let dropout: Double
    /// The key of the dropout masks (mask k uses stream `dropoutKey.stream + k`).
    public let dropoutKey: RandomKey
    /// How many dropout masks have been drawn.
    public private(set) var dropoutCalls: UInt64 = 0
    /// Fused per-layer op (default) or composite tensor ops; both give the same numbers.
    /// float16/bfloat16 modules always run the composite ops.
    public var implementation: RecurrentImplementation = .fused

    /// Per layer: weight_ih, weight_hh, bias_ih, bias_hh.
    let weightsIH: [Parameter]
    let weightsHH: [Parameter]
    let biasesIH: [Parameter]
    let biasesHH: [Parameter]

    /// A `layers`-deep stack running `mode`. Throws `NNError.invalidArgument` for sizes
    /// below 1 or a dropout probability outside [0, 1].
    ///
    ///     let rnn = try RecurrentLayer(mode: .gru, inputSize: 4, hiddenSize: 8)
    public init(mode: RecurrentMode, inputSize: Int, hiddenSize: Int, layers: Int = 1, bias: Bool = true,
                dropout: Double = 0, key: RandomKey = RandomKey(seed: 0), dtype: DType = .float32) throws {
        let name = mode.layerName
        for (what, v) in [("input size", inputSize), ("hidden size", hiddenSize), ("layers", layers)] where v <= 0 {
            throw NNError.invalidArgument(layer: name, message: "\(what) must be positive, got \(v)")
        }
        guard (0...1).contains(dropout) else {
            throw NNError.invalidArgument(layer: name, message: "dropout probability has to be between 0 and 1, got \(dropout)")
        }
        guard dtype.isFloatingPoint else {
            throw NNError.invalidArgument(layer: name, message: "parameters need a floating-point dtype, got \(dtype)")
        }
        self.mode = mode
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.layers = layers
        self.hasBias = bias
        self.dropout = dropout
        let G = mode.gateCount
        let gateRows = try ShapeArithmetic.product([G, hiddenSize], op: name, what: "the gate rows (gates × hidden size)")
        let bound = 1 / Double(hiddenSize).squareRoot()
        let initializer = Initializer.uniform(low: -bound, high: bound)
        var k: UInt64 = 0
        func draw(_ shape: [Int]) throws -> Parameter {
            defer { k += 1 }
            return Parameter(Tensor(try initializer.make(shape, dtype, key.derived(k))))
        }
        var wih: [Parameter] = [], whh: [Parameter] = [], bih: [Parameter] = [], bhh: [Parameter] = []
        for l in 0..<layers {
            wih.append(try draw([gateRows, l == 0 ? inputSize : hiddenSize]))
            whh.append(try draw([gateRows, hiddenSize]))
            if bias {
                bih.append(try draw([gateRows]))
                bhh.append(try draw([gateRows]))
            }
        }
        weightsIH = wih
        weightsHH = whh
        biasesIH = bih
        biasesHH = bhh
        dropoutKey = key.derived(1_000_000)
        super.init()
        for l in 0..<layers {
            registerParameter("weight_ih_l\(l)", wih[l])
            registerParameter("weight_hh_l\(l)", whh[l])
            if bias {
                registerParameter("bias_ih_l\(l)", bih[l])
                registerParameter("bias_hh_l\(l)", bhh[l])
            }
        }
    }

    public override var layerName: String { mode.layerName }

    public override var configuration: String {
        var parts = ["input: \(inputSize)", "hidden: \(hiddenSize)", "layers: \(layers)"]
        if mode == .rnnRelu { parts.append("nonlinearity: relu") }
        if !hasBias { parts.append("bias: false") }
        if dropout > 0 { parts.append("dropout: \(dropout)") }
        return parts.joined(separator: ", ")
    }

    /// The output sequence [B, T, hiddenSize] of the last layer, from a zero initial state.
    public override func forward(_ x: Tensor) throws -> Tensor {
        try run(x, state: nil, wantState: false).output
    }

    /// Runs the stack from `state` (zeros when nil) and returns the output sequence
    /// [B, T, hiddenSize] with the final state (h, and c for the LSTM, each [layers, B, H],
    /// as torch's h_n and c_n). Throws `NNError` for a wrong input or state shape.
    ///
    ///     let (out, state) = try lstm(x, state: nil)
    ///     state.h.shape   // [layers, B, hiddenSize]
    public func callAsFunction(_ x: Tensor, state: RecurrentState?) throws -> (output: Tensor, state: RecurrentState) {
        do {
            let r = try run(x, state: state, wantState: true)
            guard let s = r.state else {
                throw NNError.invalidArgument(layer: layerName, message: "internal error: no final state")
            }
            return (r.output, s)
        } catch let e as TensorError {
            throw NNError.layerFailed(path: "", layer: layerName, error: e)
        }
    }

    // MARK: Checks

    private func checkInput(_ x: Tensor) throws {
        guard x.rank == 3, x.shape[2] == inputSize, x.shape[0] > 0, x.shape[1] > 0 else {
            throw NNError.shapeMismatch(path: "", layer: layerName, expected: "[B, T, \(inputSize)] (batch first, B ≥ 1, T ≥ 1)",
                                        got: x.shape)
        }
        let pdtype = weightsIH[0].value.dtype
        guard x.dtype == pdtype else {
            throw NNError.invalidArgument(layer: layerName, message:
                "input dtype \(x.dtype) differs from the parameters' dtype \(pdtype) (convert the input, or the module with to(_:))")
        }
    }

    private func checkState(_ t: Tensor, name: String, batch: Int) throws {
        let expected = [layers, batch, hiddenSize]
        guard t.shape == expected else {
            throw NNError.invalidArgument(layer: layerName, message:
                "expected the initial state \(name) of shape \(expected) ([layers, batch, hidden]), got \(t.shape)")
        }
        let pdtype = weightsIH[0].value.dtype
        guard t.dtype == pdtype else {
            throw NNError.invalidArgument(layer: layerName, message:
                "the initial state \(name) has dtype \(t.dtype), the parameters \(pdtype)")
        }
    }

    // MARK: Running

    private func run(_ x: Tensor, state: RecurrentState?, wantState: Bool) throws -> (output: Tensor, state: RecurrentState?) {
        try checkInput(x)
        let B = x.shape[0], T = x.shape[1], H = hiddenSize
        let dtype = x.dtype
        if let state {
            try checkState(state.h, name: "h", batch: B)
            if mode == .lstm {
                guard let c = state.c else {
                    throw NNError.invalidArgument(layer: layerName, message: "the LSTM's initial state needs the cell state c as well as h")
                }
                try checkState(c, name: "c", batch: B)
            } else if state.c != nil {
                throw NNError.invalidArgument(layer: layerName, message: "\(layerName) has no cell state; pass a state with c = nil")
            }
        }
        let zeros = try Tensor.zeros([B, H], dtype: dtype)                       // default h0 / c0
        var input = x
        var hs: [Tensor] = [], cs: [Tensor] = []
        for l in 0..<layers {
            let h0 = try state.map { try $0.h.index([.index(l)]) } ?? zeros       // [B, H]
            let c0: Tensor? = mode == .lstm ? try state?.c.map { try $0.index([.index(l)]) } ?? zeros : nil
            let wih = weightsIH[l].value, whh = weightsHH[l].value
            let bih = hasBias ? biasesIH[l].value : nil, bhh = hasBias ? biasesHH[l].value : nil
            let out: Tensor, hT: Tensor, cT: Tensor?
            // The fused kernel covers float32 and float64; other float dtypes take the composite path.
            let fused = implementation == .fused && (dtype == .float32 || dtype == .float64)
            switch fused ? RecurrentImplementation.fused : .composite {
            case .fused:
                let packed = try fusedRecurrentLayer(mode: mode, x: input, wih: wih, whh: whh, bih: bih, bhh: bhh, h0: h0, c0: c0)
                if mode == .lstm {
                    out = try packed.sliced(axis: 1, start: 0, end: T)          // [B, T, H]
                    cT = wantState ? try packed.index([.all, .index(T)]) : nil  // [B, H]
                } else {
                    out = packed
                    cT = nil
                }
                hT = try out.index([.all, .index(T - 1)])                       // [B, H]
            case .composite:
                (out, hT, cT) = try compositeRecurrentLayer(mode: mode, x: input, wih: wih, whh: whh, bih: bih, bhh: bhh,
                                                            h0: h0, c0: c0)
            }
            hs.append(hT)
            if let cT { cs.append(cT) }
            input = out
            if l < layers - 1, isTraining, dropout > 0 {
                input = try applyDropout(input)
            }
        }
        guard wantState else { return (input, nil) }
        let h = try Tensor.stack(hs, axis: 0)                                   // [layers, B, H]
        let c = mode == .lstm ? try Tensor.stack(cs, axis: 0) : nil
        return (input, RecurrentState(h: h, c: c))
    }

    /// Inverted dropout between layers (as the `Dropout` layer, with this layer's key).
    private func applyDropout(_ x: Tensor) throws -> Tensor {
        let k = RandomKey(seed: dropoutKey.seed, stream: dropoutKey.stream &+ dropoutCalls)
        dropoutCalls += 1
        if dropout >= 1 { return try x * 0 }
        let mask = try Tensor.bernoulli(x.shape, p: 1 - dropout, key: k, dtype: x.dtype)
        return try x * (mask * (1 / (1 - dropout)))
    }
}

/// An Elman RNN stack, h_t = act(W_ih·x_t + b_ih + W_hh·h_{t-1} + b_hh), act tanh or ReLU
/// (torch.nn.RNN with batch_first=True).
///
///     let rnn = try RNN(inputSize: 4, hiddenSize: 16, nonlinearity: .relu)
///     let out = try rnn(x)                       // [B, T, 4] → [B, T, 16]
///     let (_, state) = try rnn(x, state: nil)    // state.h: [1, B, 16]
public final class RNN: RecurrentLayer {
    /// The activation of the Elman cell.
    public enum Nonlinearity: String, Sendable { case tanh, relu }

    public init(inputSize: Int, hiddenSize: Int, layers: Int = 1, nonlinearity: Nonlinearity = .tanh, bias: Bool = true,
                dropout: Double = 0, key: RandomKey = RandomKey(seed: 0), dtype: DType = .float32) throws {
        try super.init(mode: nonlinearity == .tanh ? .rnnTanh : .rnnRelu, inputSize: inputSize, hiddenSize: hiddenSize,
                       layers: layers, bias: bias, dropout: dropout, key: key, dtype: dtype)
    }

    /// `try RNN(4, 16)`.
    public convenience init(_ inputSize: Int, _ hiddenSize: Int, layers: Int = 1, nonlinearity: Nonlinearity = .tanh,
                            bias: Bool = true, dropout: Double = 0, key: RandomKey = RandomKey(seed: 0),
                            dtype: DType = .float32) throws {
        try self.init(inputSize: inputSize, hiddenSize: hiddenSize, layers: layers, nonlinearity: nonlinearity,
                      bias: bias, dropout: dropout, key: key, dtype: dtype)
    }

    public var nonlinearity: Nonlinearity { mode == .rnnRelu ? .relu : .tanh }
}

/// A long short-term memory stack (torch.nn.LSTM with batch_first=True): gates i, f, g, o
/// in that order along the rows of weight_ih / weight_hh; c_t = f·c_{t-1} + i·g,
/// h_t = o·tanh(c_t). The state has h and c, each [layers, B, H].
///
///     let lstm = try LSTM(inputSize: 8, hiddenSize: 32, layers: 2, dropout: 0.1)
///     let (out, state) = try lstm(x, state: nil)   // out [B, T, 32]; state.h, state.c [2, B, 32]
public final class LSTM: RecurrentLayer {
    public init(inputSize: Int, hiddenSize: Int, layers: Int = 1, bias: Bool = true, dropout: Double = 0,
                key: RandomKey = RandomKey(seed: 0), dtype: DType = .float32) throws {
        try super.init(mode: .lstm, inputSize: inputSize, hiddenSize: hiddenSize, layers: layers, bias: bias,
                       dropout: dropout, key: key, dtype: dtype)
    }

    /// `try LSTM(8, 32)`.
    public convenience init(_ inputSize: Int, _ hiddenSize: Int, layers: Int = 1, bias: Bool = true, dropout: Double = 0,
                            key: RandomKey = RandomKey(seed: 0), dtype: DType = .float32) throws {
        try self.init(inputSize: inputSize, hiddenSize: hiddenSize, layers: layers, bias: bias, dropout: dropout,
                      key: key, dtype: dtype)
    }
}

/// A gated recurrent unit stack (torch.nn.GRU with batch_first=True): gates r, z, n;
/// n = tanh(W_in·x + b_in + r·(W_hn·h + b_hn)), h_t = (1 - z)·n + z·h_{t-1}.
///
///     let gru = try GRU(inputSize: 8, hiddenSize: 32)
///     let out = try gru(x)   // [B, T, 8] → [B, T, 32]
public final class GRU: RecurrentLayer {
    public init(inputSize: Int, hiddenSize: Int, layers: Int = 1, bias: Bool = true, dropout: Double = 0,
                key: RandomKey = RandomKey(seed: 0), dtype: DType = .float32) throws {
        try super.init(mode: .gru, inputSize: inputSize, hiddenSize: hiddenSize, layers: layers, bias: bias,
                       dropout: dropout, key: key, dtype: dtype)
    }

    /// `try GRU(8, 32)`.
    public convenience init(_ inputSize: Int, _ hiddenSize: Int, layers: Int = 1, bias: Bool = true, dropout: Double = 0,
                            key: RandomKey = RandomKey(seed: 0), dtype: DType = .float32) throws {
        try self.init(inputSize: inputSize, hiddenSize: hiddenSize, layers: layers, bias: bias, dropout: dropout,
                      key: key, dtype: dtype)
    }
}
