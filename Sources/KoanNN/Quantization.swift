import KoanAutograd
import KoanTensor

/// How `quantize` stores and multiplies a Linear layer's weights.
public enum QuantizationScheme: Sendable, Equatable, CustomStringConvertible {
    /// PyTorch's dynamic quantization: int8 weights per output channel, activations
    /// quantized per call (u8, per tensor), integer products.
    case int8
    /// The same with activations over the full u8 range 0…255 (PyTorch's `reduce_range=False`):
    /// one more bit for activations, exact on every path (AVX2 takes a split-byte product).
    case int8FullRange
    /// Int8 weights per output channel, dequantised inside a float product (generation).
    case int8WeightOnly
    /// Int4 weights in groups of `groupSize` inputs, each with a scale (GPTQ/AWQ-style storage).
    case int4(groupSize: Int)

    public var description: String {
        switch self {
        case .int8: "int8 dynamic"
        case .int8FullRange: "int8 dynamic, full-range activations"
        case .int8WeightOnly: "int8 weight-only"
        case .int4(let g): "int4 weight-only, groups of \(g)"
        }
    }

    /// The name in a checkpoint's layout ("int8", "int8WeightOnly", "int4:32").
    public var key: String {
        switch self {
        case .int8: "int8"
        case .int8FullRange: "int8FullRange"
        case .int8WeightOnly: "int8WeightOnly"
        case .int4(let g): "int4:\(g)"
        }
    }

    public init?(key: String) {
        switch key {
        case "int8": self = .int8
        case "int8FullRange": self = .int8FullRange
        case "int8WeightOnly": self = .int8WeightOnly
        default:
            guard key.hasPrefix("int4:"), let g = Int(key.dropFirst(5)) else { return nil }
            self = .int4(groupSize: g)
        }
    }
}

/// A quantized Linear's integer weights: buffers `weight` (int8 values; int4 packs two per
/// byte) and `weight_scale` (float32), so they save and load like any state. The kernels'
/// packed form is rebuilt when the buffers are replaced (a loaded checkpoint).
public final class QuantizedLinear {
    public let scheme: QuantizationScheme
    let values: Parameter
    let scales: Parameter
    private let inFeatures: Int
    private var cache: (values: Storage, scales: Storage, weights: Weights)?

    enum Weights {
        case dynamic(Int8ChannelWeights)
        case weightOnly(WeightOnlyWeights)
    }

    init(scheme: QuantizationScheme, weight: NDArray) throws {
        self.scheme = scheme
        inFeatures = weight.shape[1]
        let w: Weights
        switch scheme {
        case .int8, .int8FullRange: w = .dynamic(try Int8ChannelWeights.quantize(weight))
        case .int8WeightOnly: w = .weightOnly(try WeightOnlyWeights.quantize(weight, .int8))
        case .int4(let g): w = .weightOnly(try WeightOnlyWeights.quantize(weight, .int4(groupSize: g)))
        }
        let (v, s): (NDArray, NDArray) = switch w {
        case .dynamic(let d): (d.values, d.scales)
        case .weightOnly(let o): (o.values, o.scales)
        }
        values = Parameter(Tensor(v), trainable: false)
        scales = Parameter(Tensor(s), trainable: false)
        cache = (v.storage, s.storage, w)
    }

    /// The kernels' weights for the current buffers.
    func weights() throws -> Weights {
        let v = values.value.data, s = scales.value.data
        if let c = cache, c.values === v.storage, c.scales === s.storage { return c.weights }
        let w: Weights = switch scheme {
        case .int8, .int8FullRange: .dynamic(try Int8ChannelWeights(values: v, scales: s))
        case .int8WeightOnly: .weightOnly(try WeightOnlyWeights(format: .int8, values: v, scales: s, inFeatures: inFeatures))
        case .int4(let g): .weightOnly(try WeightOnlyWeights(format: .int4(groupSize: g), values: v, scales: s, inFeatures: inFeatures))
        }
        cache = (v.storage, s.storage, w)
        return w
    }

    /// The float32 weights the integers stand for.
    public func dequantized() throws -> NDArray {
        switch try weights() {
        case .dynamic(let d): return try d.dequantized()
        case .weightOnly(let o): return try o.dequantized()
        }
    }

    /// Bytes of the integer values and their scales.
    public var byteCount: Int { values.value.count + scales.value.count * 4 }

    func forward(_ x: Tensor, bias: Tensor?) throws -> Tensor {
        if x.requiresGrad || bias?.requiresGrad == true {
            throw NNError.invalidArgument(layer: "Linear", message:
                "a quantized layer computes in integers and has no gradient: fine-tune the float model, then quantize it")
        }
        let y: NDArray = switch try weights() {
        case .dynamic(let d): try dynamicQuantizedLinear(x.data, d, bias: bias?.data, reduceRange: scheme != .int8FullRange)
        case .weightOnly(let o): try weightOnlyLinear(x.data, o, bias: bias?.data)
        }
        return Tensor(x.dtype == .float32 ? y : try y.to(x.dtype))
    }
}

extension Linear {
    /// Replaces the float weight by integer buffers `weight` and `weight_scale` (a pruned
    /// layer's mask is applied first and dropped; the zeros stay zeros).
    func quantize(_ scheme: QuantizationScheme) throws {
        guard quantized == nil else { throw NNError.invalidArgument(layer: "quantize", message: "this layer is already quantized") }
        guard lora == nil else {
            throw NNError.invalidArgument(layer: "quantize", message: "this layer has a LoRA branch: merge it (mergeLoRA) or quantize a copy")
        }
        if case .int4(let g) = scheme, g < 32 || g % 32 != 0 || inFeatures % g != 0 {
            throw NNError.invalidArgument(layer: "quantize", message:
                "int4 groups must be a multiple of 32 that divides every layer's inputs; a Linear has \(inFeatures) inputs and the group size is \(g)")
        }
        let w = try effectiveWeight().data
        let q = try QuantizedLinear(scheme: scheme, weight: w)
        if weightMask != nil {
            removeBuffer("weight_mask")
            weightMask = nil
            removeParameter("weight_orig")
        } else {
            removeParameter("weight")
        }
        weight.assign(try NDArray(shape: [0], dtype: weight.value.dtype))   // the float copy is no longer kept
        bias?.setTrainable(false)
        registerBuffer("weight", q.values)
        registerBuffer("weight_scale", q.scales)
        quantized = q
    }
}

/// A copy of `model` whose Linear layers (those under `layers`, default all) keep their
/// weights as integers: `.int8` as PyTorch's `quantize_dynamic` with the per-channel
/// qconfig, `.int8WeightOnly` and `.int4(groupSize:)` for generation. The copy is frozen and
/// in eval mode (integer layers have no gradient); a LoRA model is merged in the copy; the
/// original is unchanged.
///
///     let q = try quantize(mlp, .int8)
public func quantize(_ model: Module, _ scheme: QuantizationScheme, layers prefixes: [String]? = nil) throws -> Module {
    let copy = try copyModule(model)
    let linears = copy.namedModules.compactMap { (path, m) -> (String, Linear)? in
        guard let l = m as? Linear, l.quantized == nil else { return nil }
        return prefixes.map { ps in ps.contains { pathMatches(path, prefix: $0) } } ?? true ? (path, l) : nil
    }
    guard !linears.isEmpty else {
        throw NNError.invalidArgument(layer: "quantize", message: "no Linear layer to quantize" + (prefixes.map { " under \($0)" } ?? ""))
    }
    for (path, l) in linears {
        do {
            try l.quantize(scheme)
        } catch NNError.invalidArgument(let layer, let message) {
            throw NNError.invalidArgument(layer: layer, message: "\(path): \(message)")
        }
    }
    for (_, p) in copy.parameterSlots { p.setTrainable(false) }
    copy.eval()
    return copy
}

/// The quantized Linear layers of a model by path.
public func quantizedLayers(_ model: Module) -> [(path: String, layer: Linear)] {
    model.namedModules.compactMap { (p, m) in (m as? Linear).flatMap { $0.quantized == nil ? nil : (p, $0) } }
}
