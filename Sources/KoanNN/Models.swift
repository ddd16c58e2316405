import KoanAutograd
import KoanTensor

/// The activation layer used between the layers of a ready model.
///
///     let mlp = try MLP(input: 4, hidden: [8], output: 2, activation: .gelu)
public enum Activation: String, Sendable, CaseIterable {
    case relu, gelu, silu, tanh, sigmoid

    /// A fresh module for this activation.
    public func makeModule() -> Module {
        switch self {
        case .relu: return ReLU()
        case .gelu: return GELU()
        case .silu: return SiLU()
        case .tanh: return Tanh()
        case .sigmoid: return Sigmoid()
        }
    }
}

/// A multi-layer perceptron: Linear → activation (→ Dropout) for each hidden size, then a
/// final Linear. The layers live in a `Sequential` child named "layers", so an MLP
/// 64→128→10 has parameters layers.0.weight, layers.0.bias, layers.2.weight,
/// layers.2.bias (9,610 in all). Linear i is initialised from `key.derived(i)`.
///
///     let mlp = try MLP(input: 64, hidden: [128], output: 10)
///     let logits = try mlp(x)   // (B, 64) → (B, 10)
public final class MLP: Module {
    public let layers: Sequential
    /// The constructor arguments, for saving and rebuilding (`Architecture`).
    public let arguments: Architecture

    public init(input: Int, hidden: [Int], output: Int, activation: Activation = .relu, dropout: Double = 0,
                key: RandomKey = RandomKey(seed: 0), dtype: DType = .float32) throws {
        guard (0..<1).contains(dropout) else {
            throw NNError.invalidArgument(layer: "MLP", message: "dropout must be in [0, 1), got \(dropout)")
        }
        var mods: [Module] = []
        let sizes = [input] + hidden + [output]
        for i in 0..<(sizes.count - 1) {
            mods.append(try Linear(sizes[i], sizes[i + 1], key: key.derived(UInt64(i)), dtype: dtype))
            if i < sizes.count - 2 {
                mods.append(activation.makeModule())
                if dropout > 0 { mods.append(try Dropout(p: dropout, key: key.derived(UInt64(1000 + i)))) }
            }
        }
        layers = Sequential(mods)
        arguments = Architecture("MLP", ["input": .int(input), "hidden": .ints(hidden), "output": .int(output),
                                         "activation": .string(activation.rawValue), "dropout": .double(dropout)])
        super.init()
        registerChild("layers", layers)
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        try run(layers, named: "layers", x)   // (B, output)
    }
}

/// A small VGG-style convolutional classifier for square images (1×8×8 digits,
/// 3×32×32 CIFAR-like): for each width w a stage Conv3x3(w) → [BatchNorm2d] → ReLU →
/// Conv3x3(w) → [BatchNorm2d] → ReLU → MaxPool2d(2) in the child "features", then
/// Flatten → Linear(hidden) → ReLU → (Dropout) → Linear(classes) in "classifier".
///
///     let cnn = try CNN(inputChannels: 1, imageSize: 8, classes: 10)          // widths [16, 32]
///     let cifar = try CNN(inputChannels: 3, imageSize: 32, classes: 10, widths: [32, 64, 128])
///     let logits = try cnn(x)   // (N, 1, 8, 8) → (N, 10)
public final class CNN: Module {
    public let inputChannels: Int
    public let imageSize: Int
    public let features: Sequential
    public let classifier: Sequential
    /// The constructor arguments, for saving and rebuilding (`Architecture`).
    public let arguments: Architecture

    public init(inputChannels: Int = 1, imageSize: Int = 8, classes: Int = 10, widths: [Int] = [16, 32],
                hidden: Int = 64, batchNorm: Bool = false, dropout: Double = 0,
                key: RandomKey = RandomKey(seed: 0), dtype: DType = .float32) throws {
        try requirePositive("CNN", [("input channels", inputChannels), ("image size", imageSize),
                                    ("classes", classes), ("hidden", hidden)])
        guard !widths.isEmpty, widths.allSatisfy({ $0 > 0 }) else {
            throw NNError.invalidArgument(layer: "CNN", message: "widths must be non-empty and positive, got \(widths)")
        }
        let shrink = 1 << widths.count
        guard imageSize % shrink == 0 else {
            throw NNError.invalidArgument(layer: "CNN", message:
                "image size \(imageSize) must be divisible by 2^\(widths.count) = \(shrink) (one 2×2 pooling per width)")
        }
        self.inputChannels = inputChannels
        self.imageSize = imageSize
        var feats: [Module] = []
        var c = inputChannels
        var k: UInt64 = 0
        for w in widths {
            for _ in 0..<2 {
                feats.append(try Conv2d(c, w, kernel: 3, padding: 1, key: key.derived(k), dtype: dtype))
                k += 1
                if batchNorm { feats.append(try BatchNorm2d(w, dtype: dtype)) }
                feats.append(ReLU())
                c = w
            }
            feats.append(try MaxPool2d(2))
        }
        let side = imageSize / shrink
        var head: [Module] = [Flatten(), try Linear(try ShapeArithmetic.product([c, side, side], op: "CNN", what: "the flattened features (channels × side²)"), hidden, key: key.derived(k), dtype: dtype), ReLU()]
        if dropout > 0 { head.append(try Dropout(p: dropout, key: key.derived(k + 2))) }
        head.append(try Linear(hidden, classes, key: key.derived(k + 1), dtype: dtype))
        features = Sequential(feats)
        classifier = Sequential(head)
        arguments = Architecture("CNN", ["inputChannels": .int(inputChannels), "imageSize": .int(imageSize),
                                         "classes": .int(classes), "widths": .ints(widths), "hidden": .int(hidden),
                                         "batchNorm": .bool(batchNorm), "dropout": .double(dropout)])
        super.init()
        registerChild("features", features)
        registerChild("classifier", classifier)
    }

    public override func forward(_ x: Tensor) throws -> Tensor {
        let f = try run(features, named: "features", x)   // (N, C', S, S)
        return try run(classifier, named: "classifier", f) // (N, classes)
    }
}
