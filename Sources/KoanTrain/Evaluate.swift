import KoanAutograd
import KoanData
import KoanNN
import KoanTensor

/// The mean loss (and accuracy, for class labels) of a model on a dataset.
public struct Evaluation: Sendable, Equatable {
    public var loss: Double
    /// Fraction of samples whose arg-max prediction equals the label (class labels only).
    public var accuracy: Double?
    public var samples: Int
}

/// The loss `fit` minimises, resolved against a dataset: how model outputs meet labels.
struct LossFunction {
    let kind: TrainingLoss
    /// Largest class id in the data (class labels only), checked against the model's outputs.
    let maxLabel: Int64?
    let datasetName: String

    init(_ loss: TrainingLoss, for data: Dataset) throws {
        switch loss {
        case .automatic: kind = data.isClassification ? .crossEntropy(labelSmoothing: 0) : .mse
        default: kind = loss
        }
        datasetName = data.name
        if case .crossEntropy = kind {
            guard data.isClassification else {
                throw TrainError.outputMismatch("cross-entropy needs class labels (integers), but '\(data.name)' has float targets: use loss: .mse")
            }
            let labels = data.labels.ints().filter { $0 != ignoredLabel }
            if let low = labels.min(), low < 0 { throw TrainError.labelOutOfRange(label: low, classes: 0, dataset: data.name) }
            maxLabel = labels.max()
        } else {
            maxLabel = nil
        }
    }

    var isClassification: Bool { if case .crossEntropy = kind { true } else { false } }

    /// The mean loss of `output` against labels `y` (float32 math for half outputs).
    func callAsFunction(_ output: Tensor, _ y: NDArray) throws -> Tensor {
        let o = output.dtype == .float16 || output.dtype == .bfloat16 ? try output.to(.float32) : output
        switch kind {
        case .crossEntropy(let smoothing):
            guard o.rank >= 2, Array(o.shape.dropLast()) == y.shape else {
                throw TrainError.outputMismatch("the model's output has shape \(o.shape) but the labels have shape \(y.shape): a classifier must output [batch, classes]")
            }
            let classes = o.shape[o.rank - 1]
            if let m = maxLabel, m >= Int64(classes) {
                throw TrainError.labelOutOfRange(label: m, classes: classes, dataset: datasetName)
            }
            return try crossEntropy(o, targets: Tensor(y), labelSmoothing: smoothing)
        case .mse, .l1, .binaryCrossEntropy:
            guard o.count == y.count else {
                throw TrainError.outputMismatch("the model's output has shape \(o.shape) but the targets have shape \(y.shape)")
            }
            let p = o.shape == y.shape ? o : try o.reshaped(y.shape)
            let t = Tensor(try y.to(p.dtype))
            switch kind {
            case .l1: return try l1Loss(p, t)
            case .binaryCrossEntropy: return try binaryCrossEntropyWithLogits(p, t)
            default: return try mseLoss(p, t)
            }
        case .automatic:
            throw TrainError.invalidOption(name: "loss", reason: "unresolved automatic loss")
        }
    }

    /// How many arg-max predictions equal the labels (class labels only): one per label, so
    /// sequence labels `[B, T]` count every position.
    func correct(_ output: Tensor, _ y: NDArray) throws -> Int {
        guard isClassification else { return 0 }
        let predicted = try output.data.reduce(.argmax, axes: [-1]).ints()
        let labels = y.ints()
        var n = 0
        for (p, l) in zip(predicted, labels) where p == l { n += 1 }
        return n
    }

    /// How many labels count for accuracy (all but `ignoredLabel`).
    static func countedLabels(_ y: NDArray) -> Int {
        y.dtype == .int64 ? y.ints().reduce(0) { $0 + ($1 == ignoredLabel ? 0 : 1) } : y.count
    }
}

/// Runs `body` with the whole tree in evaluation mode and without recording gradients,
/// then puts the training flag back.
func inEvalMode<R>(_ model: Module, _ body: () throws -> R) throws -> R {
    let wasTraining = model.isTraining
    model.eval()
    defer { if wasTraining { model.train() } }
    return try noGrad(body)
}

/// The mean loss and accuracy of `model` on `data`, in eval mode, without gradients.
///
///     let result = try evaluate(model, on: test)
///     result.accuracy   // 0.97
public func evaluate(_ model: Module, on data: Dataset, batchSize: Int = 256, loss: TrainingLoss = .automatic) throws -> Evaluation {
    guard data.count > 0 else { throw TrainError.emptyDataset(data.name) }
    guard batchSize > 0 else { throw TrainError.invalidOption(name: "batchSize", reason: "must be at least 1, got \(batchSize)") }
    return try evaluate(model, on: data, batchSize: batchSize, lossFn: try LossFunction(loss, for: data))
}

/// `evaluate` with a loss already resolved against `data` (fit's validation, every epoch).
func evaluate(_ model: Module, on data: Dataset, batchSize: Int, lossFn: LossFunction) throws -> Evaluation {
    try inEvalMode(model) {
        var lossSum = 0.0, correct = 0
        for (x, y) in try data.batches(batchSize) {
            let out = try model(Tensor(x))
            lossSum += try lossFn(out, y).item() * Double(x.shape[0])   // per sample, as fit's epoch loss
            correct += try lossFn.correct(out, y)
        }
        let n = Double(data.count)
        let labels = Double(LossFunction.countedLabels(data.labels))
        return Evaluation(loss: lossSum / n, accuracy: lossFn.isClassification ? Double(correct) / labels : nil, samples: data.count)
    }
}

/// The model's outputs for `features` (samples along axis 0), in eval mode, in batches.
///
///     let logits = try predict(model, test.features)     // [N, classes]
public func predict(_ model: Module, _ features: NDArray, batchSize: Int = 256) throws -> NDArray {
    guard features.rank >= 1, features.shape[0] > 0 else {
        throw TrainError.invalidOption(name: "features", reason: "need at least one sample, got shape \(features.shape)")
    }
    guard batchSize > 0 else { throw TrainError.invalidOption(name: "batchSize", reason: "must be at least 1, got \(batchSize)") }
    return try inEvalMode(model) {
        var outputs: [NDArray] = []
        var start = 0
        let n = features.shape[0]
        while start < n {
            let end = min(n, start + batchSize)
            let slice = try features.sliced(axis: 0, start: start, end: end)
            let x = try slice.trimmingPadding()      // padded token ids: cut to this slice's longest row
            var out = try model(Tensor(x)).data
            if x.shape != slice.shape, out.rank == 3, out.shape[1] == x.shape[1] {   // per-token outputs: pad back
                let rest = try NDArray.zeros([out.shape[0], slice.shape[1] - x.shape[1], out.shape[2]], dtype: out.dtype)
                out = try NDArray.concat([out, rest], axis: 1)
            }
            outputs.append(out)
            start = end
        }
        return outputs.count == 1 ? outputs[0] : try NDArray.concat(outputs, axis: 0)
    }
}

/// The arg-max class of each sample of `data` (int64, shape [N]).
///
///     let predicted = try predictClasses(model, on: test)
public func predictClasses(_ model: Module, on data: Dataset, batchSize: Int = 256) throws -> NDArray {
    let out = try predict(model, data.features, batchSize: batchSize)
    guard out.rank >= 2 else {
        throw TrainError.outputMismatch("the model's output has shape \(out.shape): a classifier must output [samples, classes]")
    }
    return try out.reduce(.argmax, axes: [-1])
}
