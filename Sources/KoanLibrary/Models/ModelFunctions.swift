import KoanLang
import KoanMarkup
import KoanAutograd
import KoanData
import KoanNN
import KoanTensor
import KoanTrain

// Modules, datasets and optimizers from cells: thin registrations of KoanNN, KoanData and
// KoanTrain, enough for a custom training loop in MLX/PyTorch style:
//
//     let mlp = Sequential { Linear(64, 128); ReLU(); Linear(128, 10) }
//     let opt = AdamW(lr: 1e-3, weightDecay: 0.01)
//     for (x, y) in train.batches(64) {
//         let (loss, grads) = valueAndGrad(mlp) { m in crossEntropy(m(x), y) }
//         opt.update(mlp, grads)
//     }

/// A module (layer or model) as a Koan value; modules are shared by reference, as in PyTorch.
final class ModuleObject: CallableObject, SummarizedObject, PathNamedObject {
    let module: Module
    init(_ module: Module) { self.module = module }
    var typeName: String { module.layerName }
    /// Module and parameter paths, for completion inside strings (`freeze(except: ["la`).
    var completablePaths: [String] {
        module.namedModules.map(\.path).filter { !$0.isEmpty } + module.parameterSlots.map(\.path)
    }
    /// `%workspace`'s one line: the layer and its parameter count (the tree is many lines).
    var summaryLine: String {
        "\(module.layerName): \(FitDisplay.grouped(module.parameterCount)) parameters (\(FitDisplay.grouped(module.trainableParameterCount)) trainable)"
    }
    var description: String {
        module.parameterCount == module.trainableParameterCount
            ? "\(module.description)\n\(module.parameterCount) parameters (\(module.trainableParameterCount) trainable)"
            : "\(module.description)\n\(fineTuningMethod(module)): \(trainableSummary(module))"
    }
    /// In a notebook: the module tree with each module's parameters and shapes (as the text
    /// form nests it) beside the block diagram (`modelDiagram`); `model.parameters` is the
    /// flat table by path.
    var richRepresentations: [String: MimeData] {
        let caption = module.parameterCount == module.trainableParameterCount ? module.layerName
            : "\(module.layerName) · \(fineTuningMethod(module)): \(trainableSummary(module))"
        let table = moduleTreeHTML(module, caption: caption)
        let diagram = modelDiagram(module)
        let html = "<div style=\"display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start\"><div>\(table)</div><div>\(diagram)</div></div>"
        return ["text/html": .text(html), "image/svg+xml": .text(diagram)]
    }
    func call(_ args: [Argument]) throws -> Value {
        guard args.count == 1, args[0].label == nil else {
            throw Fault(.type, "a module takes one tensor: model(x)")
        }
        return .tensor(try module(try args[0].value.asTensor()))
    }
}

/// An optimizer with its per-parameter state.
final class OptimizerObject: KoanObject {
    let optimizer: any Optimizer
    let name: String
    init(_ optimizer: any Optimizer, name: String) { self.optimizer = optimizer; self.name = name }
    var typeName: String { name }
    var description: String { "\(name)(lr: \(optimizer.learningRate), steps: \(optimizer.stepCount))" }
    var richRepresentations: [String: MimeData] { [:] }
}

/// A dataset of features and labels.
final class DatasetObject: KoanObject {
    let dataset: Dataset
    /// The dataset tokenised for a model's tokenizer, by tokenizer and length (text datasets).
    var encodings: [String: Dataset] = [:]
    init(_ dataset: Dataset) { self.dataset = dataset }
    var typeName: String { "Dataset" }
    var description: String {
        if dataset.texts != nil { return "Dataset(\(dataset.name): \(dataset.count) texts, \(dataset.classCount) classes)" }
        if let w = dataset.words {
            return "Dataset(\(dataset.name): \(dataset.count) sentences, \(w.reduce(0) { $0 + $1.count }) words, \(dataset.classCount) tags)"
        }
        return "Dataset(\(dataset.count) samples, features \(dataset.featureShape), \(dataset.classCount) classes)"
    }
    var richRepresentations: [String: MimeData] { [:] }
}

extension Value {
    func asModule() throws -> Module {
        guard case .object(let o as ModuleObject) = self else {
            throw Fault(.type, "cannot convert value of type '\(typeName)' to expected argument type 'Module'")
        }
        return o.module
    }

    func asDataset() throws -> Dataset {
        guard case .object(let o as DatasetObject) = self else {
            throw Fault(.type, "cannot convert value of type '\(typeName)' to expected argument type 'Dataset'")
        }
        return o.dataset
    }
}

/// The key for a layer's initial weights: `seed:` when given, else the workspace's stream.
func layerKey(_ seed: Value, _ ctx: CallContext) throws -> RandomKey {
    if case .int(let s) = seed { return RandomKey(seed: UInt64(bitPattern: Int64(s))) }
    return ctx.random.next()
}

func registerModelFunctions(_ r: Registry) {
    func layer(_ signature: String, _ doc: String, _ make: @escaping ([Value], CallContext) throws -> Module) {
        r.function(signature, doc) { a, ctx in .object(ModuleObject(try make(a, ctx))) }
    }
    layer("Linear(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, seed: Int? = nil) -> Module",
          "y = x·Wᵀ + b, initialised as PyTorch (kaiming-uniform weights, uniform bias).") { a, ctx in
        try Linear(try a[0].asInt(), try a[1].asInt(), bias: try a[2].asBool(), key: try layerKey(a[3], ctx))
    }
    layer("Conv2d(_ inChannels: Int, _ outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0, seed: Int? = nil) -> Module",
          "2-D convolution over (N, C, H, W), initialised as PyTorch.") { a, ctx in
        try Conv2d(try a[0].asInt(), try a[1].asInt(), kernel: try a[2].asInt(), stride: try a[3].asInt(),
                   padding: try a[4].asInt(), key: try layerKey(a[5], ctx))
    }
    layer("MaxPool2d(_ kernel: Int, stride: Int? = nil) -> Module", "2-D max pooling (stride defaults to the kernel).") { a, _ in
        try MaxPool2d(try a[0].asInt(), stride: a[1].isNil ? nil : try a[1].asInt())
    }
    layer("AvgPool2d(_ kernel: Int, stride: Int? = nil) -> Module", "2-D average pooling.") { a, _ in
        try AvgPool2d(try a[0].asInt(), stride: a[1].isNil ? nil : try a[1].asInt())
    }
    layer("Flatten() -> Module", "Flattens every axis after the first.") { _, _ in Flatten() }
    layer("ReLU() -> Module", "max(x, 0).") { _, _ in ReLU() }
    layer("GELU(approximate: Bool = false) -> Module", "The GELU activation.") { a, _ in GELU(approximate: try a[0].asBool()) }
    layer("SiLU() -> Module", "x · sigmoid(x).") { _, _ in SiLU() }
    layer("Tanh() -> Module", "tanh(x).") { _, _ in Tanh() }
    layer("Sigmoid() -> Module", "1 / (1 + exp(-x)).") { _, _ in Sigmoid() }
    layer("Dropout(_ p: Double = 0.5, seed: Int? = nil) -> Module",
          "Zeroes elements with probability p while training (scaling the rest by 1/(1-p)); the identity in eval mode.") { a, ctx in
        try Dropout(p: try a[0].asDouble(), key: try layerKey(a[1], ctx))
    }
    layer("LayerNorm(_ dim: Int, eps: Double = 1e-5) -> Module", "Layer normalisation over the last axis, with weight and bias.") { a, _ in
        try LayerNorm(try a[0].asInt(), eps: try a[1].asDouble())
    }
    layer("Embedding(_ count: Int, _ dim: Int, seed: Int? = nil) -> Module", "A lookup table of count vectors of size dim.") { a, ctx in
        try Embedding(try a[0].asInt(), try a[1].asInt(), key: try layerKey(a[2], ctx))
    }
    layer("BatchNorm1d(_ features: Int, eps: Double = 1e-5, momentum: Double = 0.1) -> Module",
          "Batch normalisation over (N, C) or (N, C, L), with running statistics as torch.nn.BatchNorm1d.") { a, _ in
        try BatchNorm1d(try a[0].asInt(), eps: try a[1].asDouble(), momentum: try a[2].asDouble())
    }
    layer("BatchNorm2d(_ channels: Int, eps: Double = 1e-5, momentum: Double = 0.1) -> Module",
          "Batch normalisation over (N, C, H, W), with running statistics as torch.nn.BatchNorm2d.") { a, _ in
        try BatchNorm2d(try a[0].asInt(), eps: try a[1].asDouble(), momentum: try a[2].asDouble())
    }
    layer("Softmax(axis: Int = -1) -> Module", "softmax along an axis.") { a, _ in Softmax(axis: try a[0].asInt()) }
    layer("CNN(inputChannels: Int = 1, imageSize: Int = 8, classes: Int = 10, widths: [Int] = [16, 32], hidden: Int = 64, batchNorm: Bool = false, dropout: Double = 0, seed: Int? = nil) -> Module",
          "A VGG-style network for small square images (N, C, S, S): per width two 3×3 convolutions (+ BatchNorm) with ReLU and a 2×2 max-pool, then a hidden Linear layer and the classifier.") { a, ctx in
        try CNN(inputChannels: try a[0].asInt(), imageSize: try a[1].asInt(), classes: try a[2].asInt(), widths: a[3].isNil ? [16, 32] : try a[3].asShape(),
                hidden: try a[4].asInt(), batchNorm: try a[5].asBool(), dropout: try a[6].asDouble(), key: try layerKey(a[7], ctx))
    }
    layer("RNN(_ inputSize: Int, _ hiddenSize: Int, layers: Int = 1, nonlinearity: String = \"tanh\", dropout: Double = 0, seed: Int? = nil) -> Module",
          "An Elman RNN over (N, T, input) → (N, T, hidden), batch-first, parameters as torch.nn.RNN (weight_ih_l0, ...); nonlinearity \"tanh\" or \"relu\".") { a, ctx in
        let nonlinearity: RNN.Nonlinearity
        switch try a[3].asString() {
        case "tanh": nonlinearity = .tanh
        case "relu": nonlinearity = .relu
        case let other: throw Fault(.value, "unknown nonlinearity '\(other)'; expected \"tanh\" or \"relu\"")
        }
        return try RNN(try a[0].asInt(), try a[1].asInt(), layers: try a[2].asInt(), nonlinearity: nonlinearity,
                       dropout: try a[4].asDouble(), key: try layerKey(a[5], ctx))
    }
    layer("LSTM(_ inputSize: Int, _ hiddenSize: Int, layers: Int = 1, dropout: Double = 0, seed: Int? = nil) -> Module",
          "A long short-term memory layer over (N, T, input) → (N, T, hidden), batch-first, as torch.nn.LSTM (gates i, f, g, o).") { a, ctx in
        try LSTM(try a[0].asInt(), try a[1].asInt(), layers: try a[2].asInt(), dropout: try a[3].asDouble(), key: try layerKey(a[4], ctx))
    }
    layer("GRU(_ inputSize: Int, _ hiddenSize: Int, layers: Int = 1, dropout: Double = 0, seed: Int? = nil) -> Module",
          "A gated recurrent unit layer over (N, T, input) → (N, T, hidden), batch-first, as torch.nn.GRU (gates r, z, n).") { a, ctx in
        try GRU(try a[0].asInt(), try a[1].asInt(), layers: try a[2].asInt(), dropout: try a[3].asDouble(), key: try layerKey(a[4], ctx))
    }
    layer("LastStep() -> Module", "The last time step of a sequence: (N, T, H) → (N, H).") { _, _ in LastStep() }
    layer("LSTMClassifier(input: Int, hidden: Int, layers: Int = 1, classes: Int, dropout: Double = 0, seed: Int? = nil) -> Module",
          "An LSTM sequence classifier: LSTM → last step → Linear, over (N, T, input) features.") { a, ctx in
        try LSTMClassifier(input: try a[0].asInt(), hidden: try a[1].asInt(), layers: try a[2].asInt(), classes: try a[3].asInt(),
                           dropout: try a[4].asDouble(), key: try layerKey(a[5], ctx))
    }
    layer("Sequential(_ layers: [Module]) -> Module",
          "Layers applied in order; children are named 0, 1, ... Also written with one layer per line: `Sequential { Linear(64, 128); ReLU() }`.") { a, _ in
        Sequential(try a[0].elements().map { try $0.asModule() })
    }
    layer("MLP(input: Int, hidden: [Int], output: Int, activation: String = \"relu\", dropout: Double = 0, seed: Int? = nil) -> Module",
          "A multi-layer perceptron: Linear layers with an activation (\"relu\", \"gelu\", \"silu\", \"tanh\", \"sigmoid\") and optional dropout between them.") { a, ctx in
        let name = try a[3].asString()
        guard let activation = Activation(rawValue: name) else {
            throw Fault(.value, "unknown activation '\(name)'; expected one of \(Activation.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))")
        }
        return try MLP(input: try a[0].asInt(), hidden: try a[1].asShape(), output: try a[2].asInt(), activation: activation,
                       dropout: try a[4].asDouble(), key: try layerKey(a[5], ctx))
    }

    // Losses beyond crossEntropy (registered with the tensor functions), as torch.nn.functional.
    r.function("mseLoss(_ prediction: Tensor, _ target: Tensor) -> Tensor", "Mean squared error, as torch's mse_loss.") { a, _ in
        .tensor(try mseLoss(try a[0].asTensor(), try a[1].asTensor()))
    }
    r.function("l1Loss(_ prediction: Tensor, _ target: Tensor) -> Tensor", "Mean absolute error, as torch's l1_loss.") { a, _ in
        .tensor(try l1Loss(try a[0].asTensor(), try a[1].asTensor()))
    }
    r.function("binaryCrossEntropy(_ input: Tensor, _ target: Tensor, withLogits: Bool = true) -> Tensor",
               "Binary cross-entropy of logits (withLogits, numerically stable) or of probabilities against 0/1 targets.") { a, _ in
        let x = try a[0].asTensor(), t = try a[1].asTensor(dtype: try a[0].asTensor().dtype)
        return .tensor(try a[2].asBool() ? try binaryCrossEntropyWithLogits(x, t) : try binaryCrossEntropy(x, t))
    }
    r.function("nllLoss(_ logProbs: Tensor, _ targets: Tensor) -> Tensor", "Negative log-likelihood of log-probabilities (…, classes) at int64 class ids.") { a, _ in
        .tensor(try nllLoss(try a[0].asTensor(), targets: try a[1].asTensor(dtype: .int64)))
    }

    r.function("valueAndGrad(_ model: Module, _ loss: (Module) -> Tensor) -> (Tensor, [String: Tensor])",
               "The loss of model and its gradients by parameter path (trainable parameters only): `let (loss, grads) = valueAndGrad(mlp) { m in crossEntropy(m(x), y) }`.") { a, ctx in
        let module = try a[0].asModule()
        let object = a[0]
        let (value, grads) = try KoanNN.valueAndGrad(module) { _ in try ctx.call(a[1], object).asTensor() }
        var d = OrderedDict()
        for (path, g) in grads { d.set(.string(path), .tensor(g)) }
        return .tuple(TupleValue([.tensor(value), .dict(d)]))
    }

    func optimizer(_ signature: String, _ name: String, _ doc: String, _ make: @escaping ([Value]) throws -> any Optimizer) {
        r.function(signature, doc) { a, _ in .object(OptimizerObject(try make(a), name: name)) }
    }
    optimizer("SGD(lr: Double, momentum: Double = 0, nesterov: Bool = false, weightDecay: Double = 0) -> Optimizer", "SGD",
              "Stochastic gradient descent, as torch.optim.SGD.") { a in
        try SGD(lr: try a[0].asDouble(), momentum: try a[1].asDouble(), nesterov: try a[2].asBool(), weightDecay: try a[3].asDouble())
    }
    optimizer("Adam(lr: Double = 0.001, weightDecay: Double = 0) -> Optimizer", "Adam", "Adam with L2 weight decay, as torch.optim.Adam.") { a in
        try Adam(lr: try a[0].asDouble(), weightDecay: try a[1].asDouble())
    }
    optimizer("AdamW(lr: Double = 0.001, weightDecay: Double = 0.01) -> Optimizer", "AdamW",
              "Adam with decoupled weight decay, as torch.optim.AdamW; biases and norm weights are not decayed.") { a in
        try AdamW(lr: try a[0].asDouble(), weightDecay: try a[1].asDouble())
    }
    r.member(of: OptimizerObject.self, "update(_ model: Module, _ grads: [String: Tensor])",
             "Applies one optimizer step to the model's trainable parameters.", .method { v, a, _ in
        guard case .object(let o as OptimizerObject) = v else { throw Fault(.type, noMember(v, "update")) }
        let module = try a[0].asModule()
        guard case .dict(let d) = a[1] else { throw Fault(.type, "grads must be a dictionary [String: Tensor]") }
        var grads: [String: Tensor] = [:]
        for (k, g) in zip(d.keys, d.values) { grads[try k.asString()] = try g.asTensor() }
        let updated = try o.optimizer.update(module.trainableParameters, grads: grads)
        try module.update(parameters: Dictionary(updated.map { ($0.path, $0.tensor) }, uniquingKeysWith: { a, _ in a }))
        return .void
    })

    // Members of modules
    func moduleMember(_ sig: String, _ doc: String, _ body: @escaping (Module, [Value]) throws -> Value) {
        r.member(of: ModuleObject.self, sig, doc, .method { v, a, _ in try body(try v.asModule(), a) })
    }
    r.member(of: ModuleObject.self, "parameterCount: Int", "The number of parameters of a module.", .property { v, _ in
        .int(try v.asModule().parameterCount)
    })
    r.member(of: ModuleObject.self, "parameters: Parameters",
             "A module's parameters by dotted path as in PyTorch (\"0.weight\"), shown as a table of path, shape, dtype, count and trainable; `parameters[\"0.weight\"]` is the tensor.",
             .property { v, _ in .object(ParameterTable(try v.asModule())) })
    registerParameterTableMembers(r)
    moduleMember("freeze(except paths: [String] = [])", "Freezes every parameter except those under the given path prefixes.") { m, a in
        try m.freeze(except: try a[0].elements().map { try $0.asString() })
        return .void
    }
    moduleMember("unfreeze()", "Makes every parameter trainable again.") { m, _ in m.unfreeze(); return .void }
    moduleMember("train()", "Training mode (dropout active, batch statistics).") { m, _ in m.train(); return .void }
    moduleMember("eval()", "Evaluation mode (dropout off, running statistics).") { m, _ in m.eval(); return .void }

    // Datasets
    r.function("Dataset.digits() -> Dataset",
               "The 1,797 8×8 handwritten digits (UCI, CC BY 4.0, via scikit-learn), features 0…16 as [1797, 64], labels 0…9.") { _, _ in
        .object(DatasetObject(try Dataset.digits()))
    }
    r.function("Dataset(features: Tensor, labels: Tensor, classes: [String]? = nil) -> Dataset",
               "A dataset from your own tensors or arrays: features with the samples along the first axis, one label per sample (Int class ids, Double regression targets, or String class names, numbered in sorted order as scikit-learn's LabelEncoder does).") { a, _ in
        .object(DatasetObject(try datasetFromValues(features: a[0], labels: a[1], classes: a[2])))
    }
    r.function("Dataset.csv(_ path: String, label: String) -> Dataset", "A dataset from a CSV file with a header: numeric features, the label column by name.") { a, _ in
        .object(DatasetObject(try Dataset.csv(path: try a[0].asString(), label: try a[1].asString())))
    }
    r.member(of: DatasetObject.self, "split(_ fraction: Double, seed: Int = 0) -> (Dataset, Dataset)",
             "Shuffles with seed and splits into (train, test), fraction going to train.", .method { v, a, _ in
        let (train, test) = try v.asDataset().split(try a[0].asDouble(), seed: UInt64(bitPattern: Int64(try a[1].asInt())))
        return .tuple(TupleValue([.object(DatasetObject(train)), .object(DatasetObject(test))]))
    })
    r.member(of: DatasetObject.self, "batches(_ size: Int, shuffle: Bool = false, seed: Int = 0) -> [(Tensor, Tensor)]",
             "The dataset in batches of (features, labels).", .method { v, a, _ in
        let batches = try v.asDataset().batches(try a[0].asInt(), shuffle: try a[1].asBool(), seed: UInt64(bitPattern: Int64(try a[2].asInt())))
        return .array(batches.map { .tuple(TupleValue([.tensor(Tensor($0.x)), .tensor(Tensor($0.y))])) })
    })
    r.function("Dataset.jsonl(_ path: String, features: [String], label: String) -> Dataset",
               "A dataset from a JSON Lines file: one object per line, numeric feature fields by name, the label field by name.") { a, _ in
        .object(DatasetObject(try Dataset.jsonl(path: try a[0].asString(), features: try a[1].elements().map { try $0.asString() },
                                                label: try a[2].asString())))
    }
    r.member(of: DatasetObject.self, "shuffled(seed: Int = 0) -> Dataset", "The samples in a random order (Philox, from seed).", .method { v, a, _ in
        .object(DatasetObject(try v.asDataset().shuffled(seed: UInt64(bitPattern: Int64(try a[0].asInt())))))
    })
    r.member(of: DatasetObject.self, "normalized() -> Dataset", "Features scaled to [0, 1] by the known value range (0…16 for digits) or the observed min and max.", .method { v, _, _ in
        .object(DatasetObject(try v.asDataset().normalized()))
    })
    r.member(of: DatasetObject.self, "asImages() -> Dataset", "The same samples with features shaped as images (N, C, H, W), for convolutional models.", .method { v, _, _ in
        let d = try v.asDataset()
        return .object(DatasetObject(try d.with(features: try d.images(), labels: d.labels)))
    })
    r.member(of: DatasetObject.self, "map(_ transform: (Tensor) -> Tensor) -> Dataset",
             "A dataset whose features are transform(features), applied once to the whole feature tensor: `digits.map { $0 / 16 }`.", .method { v, a, ctx in
        let d = try v.asDataset()
        return .object(DatasetObject(try d.map { try ctx.call(a[0], .tensor(Tensor($0))).asTensor().data }))
    })
    r.member(of: DatasetObject.self, "count: Int", "The number of samples.", .property { v, _ in .int(try v.asDataset().count) })
    r.member(of: DatasetObject.self, "classCount: Int", "The number of classes.", .property { v, _ in .int(try v.asDataset().classCount) })
    r.member(of: DatasetObject.self, "features: Tensor", "A dataset's features.", .property { v, _ in .tensor(Tensor(try v.asDataset().features)) })
    r.member(of: DatasetObject.self, "labels: Tensor", "A dataset's labels (for a CoNLL dataset: its tag names, as transformers' label_list).", .property { v, _ in
        let d = try v.asDataset()
        if d.words != nil { return .array((d.classNames ?? []).map { .string($0) }) }
        return .tensor(Tensor(d.labels))
    })
}

/// `Dataset(features:labels:classNames:)`: tensors or nested arrays; String labels become
/// class ids in sorted order (their names the class names).
func datasetFromValues(features: Value, labels: Value, classes classNames: Value) throws -> Dataset {
    let x = try features.asTensor().data
    var names = classNames.isNil ? nil : try classNames.elements().map { try $0.asString() }
    let y: NDArray
    if case .array(let items) = labels, let first = items.first, case .string = first {
        let strings = try items.map { try $0.asString() }
        let known = names ?? Array(Set(strings)).sorted()
        let ids = Dictionary(uniqueKeysWithValues: known.enumerated().map { ($1, Int64($0)) })
        y = try NDArray(ints: try strings.map { s in
            guard let id = ids[s] else { throw Fault(.value, "label '\(s)' is not one of the class names \(known)") }
            return id
        }, shape: [strings.count])
        names = known
    } else {
        y = try labels.asTensor().data
    }
    if let names, y.dtype == .int64 || !y.dtype.isFloatingPoint {
        if let bad = y.ints().first(where: { $0 < 0 || $0 >= Int64(names.count) }) {
            throw Fault(.value, "label \(bad) has no class name: \(names.count) names given")
        }
    }
    return try Dataset(features: x, labels: y, classNames: names, name: "dataset")
}

/// A model in a notebook: its module tree as the text form nests it, one row per module,
/// with each module's own parameters and their shapes, and the totals.
func moduleTreeHTML(_ root: Module, caption: String) -> String {
    var byParent: [String: [(name: String, shape: [Int], count: Int, trainable: Bool)]] = [:]
    for slot in root.parameterSlots {
        let parts = slot.path.split(separator: ".", omittingEmptySubsequences: false)
        let parent = parts.dropLast().joined(separator: ".")
        byParent[parent, default: []].append((String(parts.last ?? ""), slot.parameter.value.shape,
                                               slot.parameter.value.count, slot.parameter.isTrainable))
    }
    var rows = ""
    func visit(_ m: Module, name: String?, path: String, depth: Int) {
        let layer = m.configuration.isEmpty ? m.layerName : "\(m.layerName)(\(m.configuration))"
        let label = (name.map { "(\($0)): " } ?? "") + layer
        let own = byParent[path] ?? []
        let params = own.map { p in
            "\(p.name) \(p.shape)" + (p.trainable ? "" : " (frozen)")
        }.joined(separator: " · ")
        let count = own.reduce(0) { $0 + $1.count }
        rows += "<tr><td style=\"padding-left:\(8 + depth * 16)px;text-align:left\"><code>\(htmlEscaped(label))</code></td>"
            + "<td style=\"text-align:left\"><code>\(htmlEscaped(params))</code></td>"
            + "<td style=\"text-align:right\">\(count > 0 ? FitDisplay.grouped(count) : "")</td></tr>"
        for (child, c) in m.namedChildren {
            visit(c, name: child, path: path.isEmpty ? child : "\(path).\(child)", depth: depth + 1)
        }
    }
    visit(root, name: nil, path: "", depth: 0)
    let total = "\(FitDisplay.grouped(root.parameterCount)) parameters (\(FitDisplay.grouped(root.trainableParameterCount)) trainable)"
    return "<table><caption style=\"text-align:left\">\(htmlEscaped(caption))</caption>"
        + "<thead><tr><th style=\"text-align:left\">module</th><th style=\"text-align:left\">parameters</th><th>count</th></tr></thead>"
        + "<tbody>\(rows)</tbody><tfoot><tr><td colspan=\"3\" style=\"text-align:left\">\(total)</td></tr></tfoot></table>"
}
