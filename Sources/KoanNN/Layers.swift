import KoanAutograd
import KoanTensor

// Constructors take `key: RandomKey = RandomKey(seed: 0)` (explicit randomness, no global
// generator): a layer draws its weight from `key.derived(0)` and its bias from
// `key.derived(1)`; models give each layer `key.derived(layerIndex)`. Constructors throw
// `NNError.invalidArgument` for bad sizes (and allocation errors), so write `try Linear(4, 2)`.

func requirePositive(_ layer: String, _ pairs: [(String, Int)]) throws {
    for (name, v) in pairs where v <= 0 {
        throw NNError.invalidArgument(layer: layer, message: "\(name) must be positive, got \(v)")
    }
}

func shapeText(_ dims: [String]) -> String { "[" + dims.joined(separator: ", ") + "]" }

/// A fully connected layer: y = x·Wᵀ + b, W of shape (out, in). Initialised as
/// torch.nn.Linear: W ~ kaiming_uniform(a=√5) = U(-1/√in, 1/√in), b ~ U(-1/√in, 1/√in).
///
///     let fc = try Linear(64, 10)
///     let y = try fc(x)   // x: (B, 64) → (B, 10)
public final class Linear: Module, PrunableLayer {
    public internal(set) var inFeatures: Int
    public internal(set) var outFeatures: Int
    /// The float weight [out, in] (`weight_orig` while pruned; unused once quantized).
    public internal(set) var weight: Parameter
    public internal(set) var bias: Parameter?
    /// A LoRA branch added by `applyLoRA` (children `lora_A`, `lora_B`, `lora_dropout`).
    public internal(set) var lora: LoRABranch?
    /// The pruning mask (buffer `weight_mask`) while pruned.
    public internal(set) var weightMask: Parameter?
    /// Integer weights (buffers `weight`, `weight_scale`) once quantized.
    public internal(set) var quantized: QuantizedLinear?

    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true,
                key: RandomKey = RandomKey(seed: 0), dtype: DType = .float32) throws {
        try requirePositive("Linear", [("in features", inFeatures), ("out features", outFeatures)])
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        weight = Parameter(Tensor(try Initializer.kaimingUniform(a: 5.0.squareRoot())
            .make([outFeatures, inFeatures], dtype, key.derived(0))))
        self.bias = bias ? Parameter(Tensor(try Initializer.biasUniform(fanIn: inFeatures)
            .make([outFeatures], dtype, key.derived(1)))) : nil
        super.init()
        registerParameter("weight", weight)
        if let b = self.bias { registerParameter("bias", b) }
    }

    public override var configuration: String {
        "in: \(inFeatures), out: \(outFeatures), bias: \(bias != nil)" + (quantized.map { ", \($0.scheme)" } ?? "")
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        guard x.rank >= 1, x.shape.last == inFeatures else {
            throw NNError.shapeMismatch(path: "", layer: layerName, expected: shapeText(["*", "\(inFeatures)"]), got: x.shape)
        }
        if let quantized { return try quantized.forward(x, bias: bias?.value) }
        var y = try matmul(x, try effectiveWeight().transposed())   // (*, out)
        if let b = bias { y = try y + b.value }             // (*, out)
        guard let lora, !lora.isMerged else { return y }
        return try y + lora(x)                             // (*, out)
    }
}

/// 2-D convolution over (N, C, H, W) inputs (as torch.nn.Conv2d, same default init).
///
///     let conv = try Conv2d(3, 16, kernel: 3, padding: 1)
///     let y = try conv(x)   // (N, 3, 32, 32) → (N, 16, 32, 32)
public final class Conv2d: Module, PrunableLayer {
    public let inChannels: Int
    public let outChannels: Int
    public let kernelSize: (Int, Int)
    public let options: Conv2dOptions
    /// The weight (`weight_orig` while pruned).
    public let weight: Parameter
    public let bias: Parameter?
    /// The pruning mask (buffer `weight_mask`) while pruned.
    public internal(set) var weightMask: Parameter?

    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: (Int, Int), stride: (Int, Int) = (1, 1),
                padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1), groups: Int = 1, bias: Bool = true,
                key: RandomKey = RandomKey(seed: 0), dtype: DType = .float32) throws {
        try requirePositive("Conv2d", [("in channels", inChannels), ("out channels", outChannels),
                                       ("kernel height", kernelSize.0), ("kernel width", kernelSize.1),
                                       ("stride", Swift.min(stride.0, stride.1)),
                                       ("dilation", Swift.min(dilation.0, dilation.1)), ("groups", groups)])
        guard padding.0 >= 0, padding.1 >= 0 else {
            throw NNError.invalidArgument(layer: "Conv2d", message: "padding must be non-negative, got \(padding)")
        }
        guard inChannels % groups == 0, outChannels % groups == 0 else {
            throw NNError.invalidArgument(layer: "Conv2d", message:
                "in channels (\(inChannels)) and out channels (\(outChannels)) must be divisible by groups (\(groups))")
        }
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernelSize = kernelSize
        options = Conv2dOptions(stride: stride, padding: padding, dilation: dilation, groups: groups)
        let fanIn = try ShapeArithmetic.product([inChannels / groups, kernelSize.0, kernelSize.1], op: "Conv2d", what: "the fan-in")
        weight = Parameter(Tensor(try Initializer.kaimingUniform(a: 5.0.squareRoot())
            .make([outChannels, inChannels / groups, kernelSize.0, kernelSize.1], dtype, key.derived(0))))
        self.bias = bias ? Parameter(Tensor(try Initializer.biasUniform(fanIn: fanIn)
            .make([outChannels], dtype, key.derived(1)))) : nil
        super.init()
        registerParameter("weight", weight)
        if let b = self.bias { registerParameter("bias", b) }
    }

    /// Square kernel, equal strides/paddings/dilations: `try Conv2d(1, 8, kernel: 3, padding: 1)`.
    public convenience init(_ inChannels: Int, _ outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0,
                            dilation: Int = 1, groups: Int = 1, bias: Bool = true,
                            key: RandomKey = RandomKey(seed: 0), dtype: DType = .float32) throws {
        try self.init(inChannels, outChannels, kernelSize: (kernel, kernel), stride: (stride, stride),
                      padding: (padding, padding), dilation: (dilation, dilation), groups: groups, bias: bias,
                      key: key, dtype: dtype)
    }

    public override var configuration: String {
        "in: \(inChannels), out: \(outChannels), kernel: \(kernelSize), stride: \(options.stride), "
            + "padding: \(options.padding), dilation: \(options.dilation), groups: \(options.groups)"
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        guard x.rank == 4 || x.rank == 3, x.shape[x.rank - 3] == inChannels else {
            throw NNError.shapeMismatch(path: "", layer: layerName, expected: shapeText(["N", "\(inChannels)", "H", "W"]), got: x.shape)
        }
        return try conv2d(x, try effectiveWeight(), bias: bias?.value, options)   // (N, out, H', W')
    }
}

/// The window shared by the 2-D pooling layers: kernel, stride (the kernel size when nil,
/// as torch) and padding, checked once here.
public class Pool2d: Module {
    public let kernelSize: (Int, Int)
    public let stride: (Int, Int)?
    public let padding: (Int, Int)

    init(layer: String, kernelSize: (Int, Int), stride: (Int, Int)?, padding: (Int, Int)) throws {
        try requirePositive(layer, [("kernel height", kernelSize.0), ("kernel width", kernelSize.1)])
        if let s = stride { try requirePositive(layer, [("stride", Swift.min(s.0, s.1))]) }
        guard padding.0 >= 0, padding.1 >= 0, padding.0 <= kernelSize.0 / 2, padding.1 <= kernelSize.1 / 2 else {
            throw NNError.invalidArgument(layer: layer, message: "padding must be between 0 and half the kernel size, got \(padding)")
        }
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        super.init()
    }

    public override var configuration: String { "kernel: \(kernelSize), stride: \(stride ?? kernelSize), padding: \(padding)" }

    /// Throws unless `x` is (N, C, H, W) or (C, H, W).
    func checkInput(_ x: Tensor) throws {
        guard x.rank == 4 || x.rank == 3 else {
            throw NNError.shapeMismatch(path: "", layer: layerName, expected: "[N, C, H, W]", got: x.shape)
        }
    }
}

/// Max pooling over (N, C, H, W); `stride` defaults to the kernel size (torch).
///
///     let pool = try MaxPool2d(2)
///     let y = try pool(x)   // (N, C, 8, 8) → (N, C, 4, 4)
public final class MaxPool2d: Pool2d {
    public init(kernelSize: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0)) throws {
        try super.init(layer: "MaxPool2d", kernelSize: kernelSize, stride: stride, padding: padding)
    }

    /// `try MaxPool2d(2)`, `try MaxPool2d(3, stride: 2, padding: 1)`.
    public convenience init(_ kernel: Int, stride: Int? = nil, padding: Int = 0) throws {
        try self.init(kernelSize: (kernel, kernel), stride: stride.map { ($0, $0) }, padding: (padding, padding))
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        try checkInput(x)
        return try maxPool2d(x, kernel: kernelSize, stride: stride, padding: padding).values   // (N, C, H', W')
    }
}

/// Average pooling over (N, C, H, W), padding counted in the average (torch's default).
///
///     let y = try AvgPool2d(2)(x)   // (N, C, 8, 8) → (N, C, 4, 4)
public final class AvgPool2d: Pool2d {
    public init(kernelSize: (Int, Int), stride: (Int, Int)? = nil, padding: (Int, Int) = (0, 0)) throws {
        try super.init(layer: "AvgPool2d", kernelSize: kernelSize, stride: stride, padding: padding)
    }

    /// `try AvgPool2d(2)`.
    public convenience init(_ kernel: Int, stride: Int? = nil, padding: Int = 0) throws {
        try self.init(kernelSize: (kernel, kernel), stride: stride.map { ($0, $0) }, padding: (padding, padding))
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        try checkInput(x)
        return try avgPool2d(x, kernel: kernelSize, stride: stride, padding: padding)   // (N, C, H', W')
    }
}

/// Flattens axes `startAxis...endAxis` into one (default: all but the batch axis).
///
///     let y = try Flatten()(x)   // (N, 32, 2, 2) → (N, 128)
public final class Flatten: Module {
    public let startAxis: Int
    public let endAxis: Int

    public init(startAxis: Int = 1, endAxis: Int = -1) {
        self.startAxis = startAxis
        self.endAxis = endAxis
        super.init()
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        let r = x.rank
        let s = startAxis < 0 ? startAxis + r : startAxis
        let e = endAxis < 0 ? endAxis + r : endAxis
        guard s >= 0, e < r, s <= e else {
            throw NNError.shapeMismatch(path: "", layer: layerName,
                                        expected: "a tensor with axes \(startAxis)...\(endAxis)", got: x.shape)
        }
        let merged = x.shape[s...e].reduce(1, *)
        let shape = Array(x.shape[..<s]) + [merged] + Array(x.shape[(e + 1)...])
        return try x.reshaped(shape)   // (N, C·H·W) by default
    }
}

/// A lookup table of `count` vectors of size `dim` (torch.nn.Embedding, weight ~ N(0, 1)).
/// Takes integer ids of any shape and appends the vector axis.
///
///     let emb = try Embedding(100, 16)
///     let v = try emb(try Tensor(ints: [3, 7], shape: [2]))   // (2, 16)
public final class Embedding: Module {
    public let count: Int
    public let dim: Int
    public let weight: Parameter

    public init(_ count: Int, _ dim: Int, key: RandomKey = RandomKey(seed: 0), dtype: DType = .float32) throws {
        try requirePositive("Embedding", [("count", count), ("dim", dim)])
        self.count = count
        self.dim = dim
        weight = Parameter(Tensor(try Initializer.normal().make([count, dim], dtype, key.derived(0))))
        super.init()
        registerParameter("weight", weight)
    }

    public override var configuration: String { "count: \(count), dim: \(dim)" }

    public override func forward(_ x: Tensor) throws -> Tensor {
        guard !x.dtype.isFloatingPoint, x.dtype != .bool else {
            throw NNError.invalidArgument(layer: layerName, message: "expected integer ids, got dtype \(x.dtype)")
        }
        let ids = try x.reshaped([-1])                                   // (n,)
        if let bad = ids.ints().first(where: { $0 < 0 || $0 >= Int64(count) }) {
            throw NNError.invalidArgument(layer: layerName, message: "id \(bad) is out of range for \(count) embeddings")
        }
        let rows = try weight.value.indexSelect(axis: 0, indices: ids)   // (n, dim)
        return try rows.reshaped(x.shape + [dim])                        // (*, dim)
    }
}

/// Layer normalisation over the trailing `normalizedShape` (weight ones, bias zeros).
///
///     let ln = try LayerNorm(64)
///     let y = try ln(x)   // (B, T, 64) → (B, T, 64)
public final class LayerNorm: Module {
    public let normalizedShape: [Int]
    public let eps: Double
    public let weight: Parameter?
    public let bias: Parameter?

    public init(_ normalizedShape: [Int], eps: Double = 1e-5, elementwiseAffine: Bool = true, dtype: DType = .float32) throws {
        guard !normalizedShape.isEmpty, normalizedShape.allSatisfy({ $0 > 0 }) else {
            throw NNError.invalidArgument(layer: "LayerNorm", message: "normalized shape must be non-empty and positive, got \(normalizedShape)")
        }
        guard eps >= 0 else { throw NNError.invalidArgument(layer: "LayerNorm", message: "eps must be non-negative, got \(eps)") }
        self.normalizedShape = normalizedShape
        self.eps = eps
        weight = elementwiseAffine ? Parameter(try Tensor.ones(normalizedShape, dtype: dtype)) : nil
        bias = elementwiseAffine ? Parameter(try Tensor.zeros(normalizedShape, dtype: dtype)) : nil
        super.init()
        if let weight { registerParameter("weight", weight) }
        if let bias { registerParameter("bias", bias) }
    }

    /// `try LayerNorm(64)`.
    public convenience init(_ dim: Int, eps: Double = 1e-5, elementwiseAffine: Bool = true, dtype: DType = .float32) throws {
        try self.init([dim], eps: eps, elementwiseAffine: elementwiseAffine, dtype: dtype)
    }

    public override var configuration: String { "shape: \(normalizedShape), eps: \(eps)" }

    public override func forward(_ x: Tensor) throws -> Tensor {
        let k = normalizedShape.count
        guard x.rank >= k, Array(x.shape.suffix(k)) == normalizedShape else {
            throw NNError.shapeMismatch(path: "", layer: layerName,
                                        expected: shapeText(["*"] + normalizedShape.map(String.init)), got: x.shape)
        }
        let n = normalizedShape.reduce(1, *)
        let w = try weight.map { try $0.value.reshaped([n]) }
        let b = try bias.map { try $0.value.reshaped([n]) }
        return try layerNorm(x, normalizedCount: n, weight: w, bias: b, eps: eps).output   // same shape as x
    }
}

/// Batch normalisation over the channel axis 1 (shared by `BatchNorm1d` and `BatchNorm2d`).
/// Training: normalises with the batch's mean and biased variance and updates the running
/// statistics with `momentum` (running_var takes the unbiased variance), as PyTorch.
/// Evaluation: uses the running statistics.
///
///     let bn = try BatchNorm2d(16)
///     let y = try bn(x)   // (N, 16, H, W)
public class BatchNorm: Module {
    public let numFeatures: Int
    public let eps: Double
    public let momentum: Double
    public let weight: Parameter?
    public let bias: Parameter?
    public let runningMean: Parameter
    public let runningVar: Parameter
    public let numBatchesTracked: Parameter
    let allowedRanks: [Int]

    init(numFeatures: Int, eps: Double, momentum: Double, affine: Bool, allowedRanks: [Int], name: String, dtype: DType) throws {
        try requirePositive(name, [("features", numFeatures)])
        guard eps >= 0, (0...1).contains(momentum) else {
            throw NNError.invalidArgument(layer: name, message: "eps must be >= 0 and momentum in [0, 1], got eps \(eps), momentum \(momentum)")
        }
        self.numFeatures = numFeatures
        self.eps = eps
        self.momentum = momentum
        self.allowedRanks = allowedRanks
        weight = affine ? Parameter(try Tensor.ones([numFeatures], dtype: dtype)) : nil
        bias = affine ? Parameter(try Tensor.zeros([numFeatures], dtype: dtype)) : nil
        runningMean = Parameter(try Tensor.zeros([numFeatures], dtype: dtype), trainable: false)
        runningVar = Parameter(try Tensor.ones([numFeatures], dtype: dtype), trainable: false)
        numBatchesTracked = Parameter(Tensor(try NDArray.scalar(0, dtype: .int64)), trainable: false)
        super.init()
        if let weight { registerParameter("weight", weight) }
        if let bias { registerParameter("bias", bias) }
        registerBuffer("running_mean", runningMean)
        registerBuffer("running_var", runningVar)
        registerBuffer("num_batches_tracked", numBatchesTracked)
    }

    public override var configuration: String { "features: \(numFeatures), eps: \(eps), momentum: \(momentum)" }

    public override func forward(_ x: Tensor) throws -> Tensor {
        guard allowedRanks.contains(x.rank), x.shape[1] == numFeatures else {
            let expected = allowedRanks.map { r in
                shapeText(["N", "\(numFeatures)"] + ["L", "H", "W"].suffix(r - 2).map { String($0) })
            }.joined(separator: " or ")
            throw NNError.shapeMismatch(path: "", layer: layerName, expected: expected, got: x.shape)
        }
        var view = [Int](repeating: 1, count: x.rank)
        view[1] = numFeatures                                              // (1, C, 1, ...)
        let axes = [0] + Array(2..<x.rank)
        let normalized: Tensor
        if isTraining {
            let n = axes.reduce(1) { $0 * x.shape[$1] }
            guard n > 1 else {
                throw NNError.invalidArgument(layer: layerName, message:
                    "expected more than 1 value per channel when training, got input shape \(x.shape)")
            }
            let mean = try x.mean(axes: axes, keepdims: true)              // (1, C, 1, ...)
            let centered = try x - mean                                    // like x
            let variance = try centered.unary(.square).mean(axes: axes, keepdims: true)   // (1, C, 1, ...)
            normalized = try centered * (variance + eps).unary(.rsqrt)     // like x
            try noGrad {
                let m = momentum
                let bm = try mean.data.reshaped([numFeatures])             // (C,)
                let bv = try variance.data.reshaped([numFeatures]) * (Double(n) / Double(n - 1))   // (C,) unbiased
                runningMean.assign(try runningMean.value.data * (1 - m) + bm.to(runningMean.value.dtype) * m)
                runningVar.assign(try runningVar.value.data * (1 - m) + bv.to(runningVar.value.dtype) * m)
                numBatchesTracked.assign(try numBatchesTracked.value.data + 1)
            }
        } else {
            let mean = try runningMean.value.reshaped(view)                // (1, C, 1, ...)
            let inv = try (runningVar.value.reshaped(view) + eps).unary(.rsqrt)   // (1, C, 1, ...)
            normalized = try (x - mean) * inv                              // like x
        }
        var y = normalized
        if let w = weight { y = try y * w.value.reshaped(view) }
        if let b = bias { y = try y + b.value.reshaped(view) }
        return y                                                           // like x
    }
}

/// BatchNorm over (N, C) or (N, C, L) inputs.
///
///     let y = try BatchNorm1d(32)(x)   // (N, 32)
public final class BatchNorm1d: BatchNorm {
    public init(_ numFeatures: Int, eps: Double = 1e-5, momentum: Double = 0.1, affine: Bool = true, dtype: DType = .float32) throws {
        try super.init(numFeatures: numFeatures, eps: eps, momentum: momentum, affine: affine,
                       allowedRanks: [2, 3], name: "BatchNorm1d", dtype: dtype)
    }
}

/// BatchNorm over (N, C, H, W) inputs.
///
///     let y = try BatchNorm2d(16)(x)   // (N, 16, H, W)
public final class BatchNorm2d: BatchNorm {
    public init(_ numFeatures: Int, eps: Double = 1e-5, momentum: Double = 0.1, affine: Bool = true, dtype: DType = .float32) throws {
        try super.init(numFeatures: numFeatures, eps: eps, momentum: momentum, affine: affine,
                       allowedRanks: [4], name: "BatchNorm2d", dtype: dtype)
    }
}

/// Inverted dropout: in training mode zeroes each element with probability `p` and scales
/// the rest by 1/(1-p); identity in eval mode. Call k (0, 1, 2, ...) in training mode draws
/// its mask from `RandomKey(seed: key.seed, stream: key.stream + k)`, so runs are reproducible.
///
///     let drop = try Dropout(p: 0.1, key: RandomKey(seed: 7))
///     let y = try drop(x)
public final class Dropout: Module {
    public let p: Double
    public let key: RandomKey
    /// How many masks have been drawn (the stream offset of the next one).
    public private(set) var calls: UInt64 = 0

    public init(p: Double = 0.5, key: RandomKey = RandomKey(seed: 0)) throws {
        guard (0...1).contains(p) else {
            throw NNError.invalidArgument(layer: "Dropout", message: "dropout probability has to be between 0 and 1, got \(p)")
        }
        self.p = p
        self.key = key
        super.init()
    }

    public override var configuration: String { "p: \(p)" }

    public override func forward(_ x: Tensor) throws -> Tensor {
        guard isTraining, p > 0 else { return x }
        let k = RandomKey(seed: key.seed, stream: key.stream &+ calls)
        calls += 1
        if p == 1 { return try x * 0 }
        let mask = try Tensor.bernoulli(x.shape, p: 1 - p, key: k, dtype: x.dtype.isFloatingPoint ? x.dtype : .float32)   // like x
        return try x * (mask * (1 / (1 - p)))                                                                          // like x
    }
}

/// max(x, 0).
///
///     let y = try ReLU()(x)
public final class ReLU: Module {
    public override init() { super.init() }
    public override func forward(_ x: Tensor) throws -> Tensor { try x.unary(.relu) }
}

/// GELU, exact (erf) by default or the tanh approximation.
///
///     let y = try GELU()(x)
public final class GELU: Module {
    public let approximate: Bool
    public init(approximate: Bool = false) {
        self.approximate = approximate
        super.init()
    }
    public override func forward(_ x: Tensor) throws -> Tensor { try gelu(x, approximate: approximate) }
}

/// x·sigmoid(x).
///
///     let y = try SiLU()(x)
public final class SiLU: Module {
    public override init() { super.init() }
    public override func forward(_ x: Tensor) throws -> Tensor { try silu(x) }
}

/// tanh(x).
///
///     let y = try Tanh()(x)
public final class Tanh: Module {
    public override init() { super.init() }
    public override func forward(_ x: Tensor) throws -> Tensor { try x.unary(.tanh) }
}

/// 1/(1+e^-x).
///
///     let y = try Sigmoid()(x)
public final class Sigmoid: Module {
    public override init() { super.init() }
    public override func forward(_ x: Tensor) throws -> Tensor { try x.unary(.sigmoid) }
}

/// Softmax along `axis`.
///
///     let p = try Softmax(axis: -1)(logits)
public final class Softmax: Module {
    public let axis: Int
    public init(axis: Int = -1) {
        self.axis = axis
        super.init()
    }
    public override var configuration: String { "axis: \(axis)" }
    public override func forward(_ x: Tensor) throws -> Tensor { try softmax(x, axis: axis) }
}

/// Log-softmax along `axis`.
///
///     let lp = try LogSoftmax()(logits)
public final class LogSoftmax: Module {
    public let axis: Int
    public init(axis: Int = -1) {
        self.axis = axis
        super.init()
    }
    public override var configuration: String { "axis: \(axis)" }
    public override func forward(_ x: Tensor) throws -> Tensor { try logSoftmax(x, axis: axis) }
}

/// Passes its input through.
///
///     let y = try Identity()(x)   // y == x
public final class Identity: Module {
    public override init() { super.init() }
    public override func forward(_ x: Tensor) throws -> Tensor { x }
}

/// Collects modules for `Sequential { ... }`.
///
///     let net = try Sequential { try Linear(64, 128); ReLU(); try Linear(128, 10) }
@resultBuilder
public enum SequentialBuilder {
    public static func buildExpression(_ m: Module) -> [Module] { [m] }
    public static func buildExpression(_ ms: [Module]) -> [Module] { ms }
    public static func buildBlock(_ parts: [Module]...) -> [Module] { parts.flatMap { $0 } }
    public static func buildOptional(_ part: [Module]?) -> [Module] { part ?? [] }
    public static func buildEither(first: [Module]) -> [Module] { first }
    public static func buildEither(second: [Module]) -> [Module] { second }
    public static func buildArray(_ parts: [[Module]]) -> [Module] { parts.flatMap { $0 } }
}

/// Runs its children in order; they are named "0", "1", ... so parameter paths read
/// "0.weight", "2.bias" (or "layers.0.weight" inside a model that names it "layers").
///
///     let net = Sequential([try Linear(64, 128), ReLU(), try Linear(128, 10)])
///     let same = try Sequential { try Linear(64, 128); ReLU(); try Linear(128, 10) }
public final class Sequential: Module {
    /// The children in order.
    public let layers: [Module]

    public init(_ layers: [Module]) {
        self.layers = layers
        super.init()
        for (i, m) in layers.enumerated() { registerChild(String(i), m) }
    }

    public convenience init(@SequentialBuilder _ build: () throws -> [Module]) rethrows {
        self.init(try build())
    }

    /// The i-th layer, or nil.
    public subscript(_ i: Int) -> Module? { layers.indices.contains(i) ? layers[i] : nil }

    public override func forward(_ x: Tensor) throws -> Tensor {
        var h = x
        for (i, m) in layers.enumerated() { h = try run(m, named: String(i), h) }
        return h
    }
}
