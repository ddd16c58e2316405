import KoanTensor

/// A module's type and constructor arguments, with its children for containers: enough to
/// rebuild an untrained copy, into which saved weights are then loaded (`load(path)` of a
/// checkpoint). Written as JSON in a checkpoint's metadata.
///
///     let a = try Architecture.of(mlp)        // {"type": "MLP", "config": {"input": 64, ...}}
///     let copy = try a.build()               // same tree, same paths, fresh weights
public struct Architecture: Sendable, Equatable, Codable {
    public var type: String
    public var config: [String: ArchitectureValue]
    public var children: [Architecture]

    public init(_ type: String, _ config: [String: ArchitectureValue] = [:], children: [Architecture] = []) {
        self.type = type; self.config = config; self.children = children
    }

    /// The architecture of `module`; throws `NNError.invalidArgument` for a module type that
    /// cannot be rebuilt from a file (a custom subclass).
    public static func of(_ module: Module) throws -> Architecture {
        switch module {
        case let m as MLP: return m.arguments
        case let m as CNN: return m.arguments
        case let m as Sequential: return Architecture("Sequential", children: try m.layers.map(of))
        case let m as LSTMClassifier:
            var config: [String: ArchitectureValue] = [
                "input": .int(m.lstm.inputSize), "hidden": .int(m.lstm.hiddenSize), "layers": .int(m.lstm.layers),
                "classes": .int(m.fc.outFeatures), "dropout": .double(m.lstm.dropout)]
            if let e = m.embedding { config["vocab"] = .int(e.count) }
            return Architecture("LSTMClassifier", config)
        case let m as RecurrentLayer:
            return Architecture(m.mode.layerName, ["input": .int(m.inputSize), "hidden": .int(m.hiddenSize), "layers": .int(m.layers),
                                                   "bias": .bool(m.hasBias), "dropout": .double(m.dropout),
                                                   "nonlinearity": .string(m.mode == .rnnRelu ? "relu" : "tanh")])
        case is LastStep: return Architecture("LastStep")
        case let m as Linear:
            return Architecture("Linear", ["in": .int(m.inFeatures), "out": .int(m.outFeatures), "bias": .bool(m.bias != nil)])
        case let m as Conv2d:
            let o = m.options
            return Architecture("Conv2d", [
                "in": .int(m.inChannels), "out": .int(m.outChannels), "kernel": .ints([m.kernelSize.0, m.kernelSize.1]),
                "stride": .ints([o.stride.0, o.stride.1]), "padding": .ints([o.padding.0, o.padding.1]),
                "dilation": .ints([o.dilation.0, o.dilation.1]), "groups": .int(o.groups), "bias": .bool(m.bias != nil)])
        case let m as Pool2d:
            var config: [String: ArchitectureValue] = ["kernel": .ints([m.kernelSize.0, m.kernelSize.1]),
                                                       "padding": .ints([m.padding.0, m.padding.1])]
            if let s = m.stride { config["stride"] = .ints([s.0, s.1]) }
            return Architecture(m is MaxPool2d ? "MaxPool2d" : "AvgPool2d", config)
        case let m as Flatten: return Architecture("Flatten", ["start": .int(m.startAxis), "end": .int(m.endAxis)])
        case let m as Embedding: return Architecture("Embedding", ["count": .int(m.count), "dim": .int(m.dim)])
        case let m as LayerNorm:
            return Architecture("LayerNorm", ["shape": .ints(m.normalizedShape), "eps": .double(m.eps), "affine": .bool(m.weight != nil)])
        case let m as BatchNorm:
            return Architecture(m is BatchNorm2d ? "BatchNorm2d" : "BatchNorm1d",
                                ["features": .int(m.numFeatures), "eps": .double(m.eps), "momentum": .double(m.momentum),
                                 "affine": .bool(m.weight != nil)])
        case let m as Dropout: return Architecture("Dropout", ["p": .double(m.p)])
        case let m as GELU: return Architecture("GELU", ["approximate": .bool(m.approximate)])
        case let m as Softmax: return Architecture("Softmax", ["axis": .int(m.axis)])
        case let m as LogSoftmax: return Architecture("LogSoftmax", ["axis": .int(m.axis)])
        case is ReLU: return Architecture("ReLU")
        case is SiLU: return Architecture("SiLU")
        case is Tanh: return Architecture("Tanh")
        case is Sigmoid: return Architecture("Sigmoid")
        case is Identity: return Architecture("Identity")
        default:
            if let lm = try lmArchitecture(of: module) { return lm }
            throw NNError.invalidArgument(layer: module.layerName, message:
                "a \(module.layerName) cannot be rebuilt from a file; load its weights into an existing model instead")
        }
    }

    /// A fresh module of this architecture (weights from seed 0; load saved ones after).
    public func build() throws -> Module {
        let key = RandomKey(seed: 0)
        switch type {
        case "MLP":
            guard let activation = Activation(rawValue: try string("activation")) else { throw bad("activation", "unknown activation") }
            return try MLP(input: try int("input"), hidden: try ints("hidden"), output: try int("output"),
                           activation: activation, dropout: try double("dropout"), key: key)
        case "CNN":
            return try CNN(inputChannels: try int("inputChannels"), imageSize: try int("imageSize"), classes: try int("classes"),
                           widths: try ints("widths"), hidden: try int("hidden"), batchNorm: try bool("batchNorm"),
                           dropout: try double("dropout"), key: key)
        case "Sequential": return Sequential(try children.map { try $0.build() })
        case "LSTMClassifier":
            if config["vocab"] != nil {
                return try LSTMClassifier(vocab: try int("vocab"), embedding: try int("input"), hidden: try int("hidden"),
                                          layers: try int("layers"), classes: try int("classes"), dropout: try double("dropout"), key: key)
            }
            return try LSTMClassifier(input: try int("input"), hidden: try int("hidden"), layers: try int("layers"),
                                      classes: try int("classes"), dropout: try double("dropout"), key: key)
        case "RNN", "LSTM", "GRU":
            let (i, h, n, b, d) = (try int("input"), try int("hidden"), try int("layers"), try bool("bias"), try double("dropout"))
            switch type {
            case "LSTM": return try LSTM(i, h, layers: n, bias: b, dropout: d, key: key)
            case "GRU": return try GRU(i, h, layers: n, bias: b, dropout: d, key: key)
            default:
                return try RNN(i, h, layers: n, nonlinearity: try string("nonlinearity") == "relu" ? .relu : .tanh, bias: b, dropout: d, key: key)
            }
        case "LastStep": return LastStep()
        case "Linear": return try Linear(try int("in"), try int("out"), bias: try bool("bias"), key: key)
        case "Conv2d":
            return try Conv2d(try int("in"), try int("out"), kernelSize: try pair("kernel"), stride: try pair("stride"),
                              padding: try pair("padding"), dilation: try pair("dilation"), groups: try int("groups"),
                              bias: try bool("bias"), key: key)
        case "MaxPool2d", "AvgPool2d":
            let stride = config["stride"] == nil ? nil : try pair("stride")
            return type == "MaxPool2d"
                ? try MaxPool2d(kernelSize: try pair("kernel"), stride: stride, padding: try pair("padding"))
                : try AvgPool2d(kernelSize: try pair("kernel"), stride: stride, padding: try pair("padding"))
        case "Flatten": return Flatten(startAxis: try int("start"), endAxis: try int("end"))
        case "Embedding": return try Embedding(try int("count"), try int("dim"), key: key)
        case "LayerNorm": return try LayerNorm(try ints("shape"), eps: try double("eps"), elementwiseAffine: try bool("affine"))
        case "BatchNorm1d":
            return try BatchNorm1d(try int("features"), eps: try double("eps"), momentum: try double("momentum"), affine: try bool("affine"))
        case "BatchNorm2d":
            return try BatchNorm2d(try int("features"), eps: try double("eps"), momentum: try double("momentum"), affine: try bool("affine"))
        case "Dropout": return try Dropout(p: try double("p"), key: key)
        case "GELU": return GELU(approximate: try bool("approximate"))
        case "Softmax": return Softmax(axis: try int("axis"))
        case "LogSoftmax": return LogSoftmax(axis: try int("axis"))
        case "ReLU": return ReLU()
        case "SiLU": return SiLU()
        case "Tanh": return Tanh()
        case "Sigmoid": return Sigmoid()
        case "Identity": return Identity()
        default:
            if let lm = try buildLM(self) { return lm }
            throw NNError.invalidArgument(layer: type, message: "unknown layer type '\(type)' in a saved architecture")
        }
    }

    func bad(_ key: String, _ why: String) -> NNError {
        .invalidArgument(layer: type, message: "saved architecture field '\(key)': \(why)")
    }
    func value(_ key: String) throws -> ArchitectureValue {
        guard let v = config[key] else { throw bad(key, "missing") }
        return v
    }
    func int(_ key: String) throws -> Int {
        switch try value(key) {
        case .int(let i): return i
        case .double(let d) where d == d.rounded() && abs(d) < 1e15: return Int(d)
        default: throw bad(key, "expected an integer")
        }
    }
    func double(_ key: String) throws -> Double {
        switch try value(key) {
        case .double(let d): return d
        case .int(let i): return Double(i)
        default: throw bad(key, "expected a number")
        }
    }
    func bool(_ key: String) throws -> Bool {
        guard case .bool(let b) = try value(key) else { throw bad(key, "expected true or false") }
        return b
    }
    func string(_ key: String) throws -> String {
        guard case .string(let s) = try value(key) else { throw bad(key, "expected a string") }
        return s
    }
    func ints(_ key: String) throws -> [Int] {
        switch try value(key) {
        case .ints(let xs): return xs
        case .int(let i): return [i]
        default: throw bad(key, "expected a list of integers")
        }
    }
    func pair(_ key: String) throws -> (Int, Int) {
        let xs = try ints(key)
        guard xs.count == 2 else { throw bad(key, "expected two integers") }
        return (xs[0], xs[1])
    }
}

/// One constructor argument of an `Architecture`: JSON's scalars, or a list of integers.
public enum ArchitectureValue: Sendable, Equatable, Codable {
    case int(Int), double(Double), bool(Bool), string(String), ints([Int])

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int.self) { self = .int(i) }
        else if let d = try? c.decode(Double.self) { self = .double(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else { self = .ints(try c.decode([Int].self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .int(let i): try c.encode(i)
        case .double(let d): try c.encode(d)
        case .bool(let b): try c.encode(b)
        case .string(let s): try c.encode(s)
        case .ints(let xs): try c.encode(xs)
        }
    }
}
