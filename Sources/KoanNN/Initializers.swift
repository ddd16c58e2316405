import KoanAutograd
import KoanTensor

/// An initialisation scheme: makes a tensor of a given shape and dtype from a `RandomKey`.
/// Formulas follow `torch.nn.init` (fan_in = shape[1]·receptive field, fan_out =
/// shape[0]·receptive field, receptive field = product of shape[2...]).
///
///     try model.apply(init: .kaimingNormal(), key: RandomKey(seed: 3))
///     let w = try Initializer.xavierUniform().make([128, 64], .float32, RandomKey(seed: 0))
public struct Initializer: Sendable {
    /// The scheme's name, for messages.
    public let name: String
    /// Produces the values.
    public let make: @Sendable (_ shape: [Int], _ dtype: DType, _ key: RandomKey) throws -> NDArray

    public init(name: String, make: @escaping @Sendable ([Int], DType, RandomKey) throws -> NDArray) {
        self.name = name
        self.make = make
    }

    /// (fan_in, fan_out) as torch computes them; throws for rank < 2.
    ///
    ///     try Initializer.fans([128, 64])   // (64, 128)
    public static func fans(_ shape: [Int], scheme: String = "init") throws -> (fanIn: Int, fanOut: Int) {
        guard shape.count >= 2 else {
            throw NNError.invalidArgument(layer: scheme, message: "fan in and fan out need a tensor of rank >= 2, got shape \(shape)")
        }
        try ShapeArithmetic.elementCount(shape, op: scheme)   // then every product below fits
        let receptive = shape.dropFirst(2).reduce(1, *)
        return (shape[1] * receptive, shape[0] * receptive)
    }

    /// torch's `calculate_gain` for "relu" (√2), "linear"/"sigmoid" (1), "tanh" (5/3),
    /// "leaky_relu" (√(2/(1+a²))), "selu" (3/4).
    public static func gain(_ nonlinearity: String, a: Double = 0.01) throws -> Double {
        switch nonlinearity {
        case "linear", "conv2d", "sigmoid", "identity": return 1
        case "tanh": return 5.0 / 3
        case "relu": return 2.0.squareRoot()
        case "leaky_relu": return (2 / (1 + a * a)).squareRoot()
        case "selu": return 0.75
        default: throw NNError.invalidArgument(layer: "gain", message: "unknown nonlinearity '\(nonlinearity)'")
        }
    }

    /// U(low, high).
    public static func uniform(low: Double = 0, high: Double = 1) -> Initializer {
        Initializer(name: "uniform") { s, d, k in try NDArray.rand(s, key: k, low: low, high: high, dtype: d) }
    }

    /// N(mean, std²).
    public static func normal(mean: Double = 0, std: Double = 1) -> Initializer {
        Initializer(name: "normal") { s, d, k in
            let z = try NDArray.randn(s, key: k, dtype: d)
            return try z * std + mean
        }
    }

    /// All zeros.
    public static let zeros = Initializer(name: "zeros") { s, d, _ in try NDArray.zeros(s, dtype: d) }
    /// All ones.
    public static let ones = Initializer(name: "ones") { s, d, _ in try NDArray.ones(s, dtype: d) }
    /// All `value`.
    public static func constant(_ value: Double) -> Initializer {
        Initializer(name: "constant") { s, d, _ in try NDArray.full(s, value: value, dtype: d) }
    }

    /// Glorot uniform: U(-b, b), b = gain·√(6/(fan_in+fan_out)).
    public static func xavierUniform(gain: Double = 1) -> Initializer {
        Initializer(name: "xavierUniform") { s, d, k in
            let (fi, fo) = try fans(s, scheme: "xavierUniform")
            let b = gain * (6.0 / Double(Swift.max(fi + fo, 1))).squareRoot()
            return try NDArray.rand(s, key: k, low: -b, high: b, dtype: d)
        }
    }

    /// Glorot normal: N(0, σ²), σ = gain·√(2/(fan_in+fan_out)).
    public static func xavierNormal(gain: Double = 1) -> Initializer {
        Initializer(name: "xavierNormal") { s, d, k in
            let (fi, fo) = try fans(s, scheme: "xavierNormal")
            let std = gain * (2.0 / Double(Swift.max(fi + fo, 1))).squareRoot()
            return try NDArray.randn(s, key: k, dtype: d) * std
        }
    }

    /// He uniform: U(-b, b), b = gain·√(3/fan), gain from `nonlinearity` and `a`
    /// (torch's default for Linear/Conv2d weights is `kaimingUniform(a: 5.squareRoot())`).
    public static func kaimingUniform(a: Double = 0, fanIn: Bool = true, nonlinearity: String = "leaky_relu") -> Initializer {
        Initializer(name: "kaimingUniform") { s, d, k in
            let (fi, fo) = try fans(s, scheme: "kaimingUniform")
            let g = try gain(nonlinearity, a: a)
            let b = g * (3.0 / Double(Swift.max(fanIn ? fi : fo, 1))).squareRoot()
            return try NDArray.rand(s, key: k, low: -b, high: b, dtype: d)
        }
    }

    /// He normal: N(0, σ²), σ = gain/√fan.
    public static func kaimingNormal(a: Double = 0, fanIn: Bool = true, nonlinearity: String = "leaky_relu") -> Initializer {
        Initializer(name: "kaimingNormal") { s, d, k in
            let (fi, fo) = try fans(s, scheme: "kaimingNormal")
            let std = try gain(nonlinearity, a: a) / Double(Swift.max(fanIn ? fi : fo, 1)).squareRoot()
            return try NDArray.randn(s, key: k, dtype: d) * std
        }
    }

    /// torch.nn.Linear / Conv2d bias default: U(-1/√fan_in, 1/√fan_in).
    public static func biasUniform(fanIn: Int) -> Initializer {
        let b = fanIn > 0 ? 1 / Double(fanIn).squareRoot() : 0
        return uniform(low: -b, high: b)
    }
}
