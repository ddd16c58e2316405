import KoanLang
import KoanAutograd
import KoanData
import KoanFineTune
import KoanMarkup
import KoanMetrics
import KoanNN
import KoanTensor
import KoanSearch
import KoanTrain

// Training from cells: `model.fit(...)` with its options as implicit members, the `Run` it
// returns, `evaluate`, `predict`, and reports of a model on a dataset.
//
//     let run = mlp.fit(train, epochs: 20, batchSize: 64, optimizer: .adamW(lr: 1e-3),
//                       schedule: .cosine(warmup: 100), validation: test, earlyStopping: .patience(3))
//     plot(run.history, ["loss", "val_loss"])
//     classificationReport(mlp, on: test)

/// A training run as a Koan value: its summary, history table and loss chart.
final class RunObject: KoanObject {
    let run: Run
    init(_ run: Run) { self.run = run }
    var typeName: String { "Run" }

    var summary: String {
        var s = "Run: \(run.stopReason) · \(run.epochs.count) epoch\(run.epochs.count == 1 ? "" : "s") · \(run.stepCount) steps · \(FitDisplay.duration(run.seconds))"
        // Early stopping names its best epoch already.
        if let best = run.bestEpoch, !{ if case .earlyStopping = run.stopReason { return true }; return false }() {
            s += " · best epoch \(best)"
        }
        return s
    }

    /// Epoch rows to show: all of them up to 12, else the first 5 and the last 5.
    private var shownRows: [Int?] {
        let n = run.epochs.count
        if n <= 12 { return Array(0..<n) }
        return Array(0..<5) + [nil] + Array((n - 5)..<n)
    }

    private var columns: [(name: String, values: [Double])] {
        run.history.filter { $0.name != "epoch" }
    }

    private func cell(_ name: String, _ v: Double) -> String {
        guard v.isFinite else { return "" }
        switch name {
        case "lr": return FitDisplay.significant(v)
        case "seconds": return FitDisplay.fixed(v, 2)
        default: return FitDisplay.fixed(v, 4)
        }
    }

    var description: String {
        guard !run.epochs.isEmpty else { return summary }
        let names = ["epoch"] + columns.map(\.name)
        var rows: [[String]] = [names]
        for r in shownRows {
            guard let i = r else { rows.append(names.map { _ in "…" }); continue }
            rows.append(["\(run.epochs[i].epoch)"] + columns.map { cell($0.name, $0.values[i]) })
        }
        return ([summary] + textTable(rows)).joined(separator: "\n")
    }

    var richRepresentations: [String: MimeData] {
        var html = "<div class=\"koan-run\"><p>\(htmlEscaped(summary))</p>"
        if !run.epochs.isEmpty {
            html += "<table><thead><tr><th>epoch</th>" + columns.map { "<th>\(htmlEscaped($0.name))</th>" }.joined() + "</tr></thead><tbody>"
            for r in shownRows {
                guard let i = r else { html += "<tr><td colspan=\"\(columns.count + 1)\">…</td></tr>"; continue }
                html += "<tr><td>\(run.epochs[i].epoch)</td>" + columns.map { "<td>\(cell($0.name, $0.values[i]))</td>" }.joined() + "</tr>"
            }
            html += "</tbody></table>"
        }
        if let figure = FitDisplay.chart(run) { html += "<div>\(figure.svg())</div>" }
        return ["text/html": .text(html + "</div>")]
    }
}

extension Value {
    func asRun() throws -> Run {
        guard case .object(let o as RunObject) = self else {
            throw Fault(.type, "cannot convert value of type '\(typeName)' to expected argument type 'Run'")
        }
        return o.run
    }
}

// MARK: Options

/// The optimizer of a `fit` call; `layerDecay:` scales each BERT layer's learning rate
/// (layer i of L by decay^(L − i), the embeddings by decay^(L + 1)).
func optimizerOption(_ v: Value, model: Module) throws -> any Optimizer {
    if v.isNil { return try AdamW(lr: 1e-3, weightDecay: 0.01) }
    if case .object(let o as OptimizerObject) = v { return o.optimizer }
    let (name, a) = try OptionCase.match(v, "optimizer", optimizerOptions)
    switch name {
    case "adamW", "adam":
        let groups = a[2].isNil ? [] : try layerDecayGroups(model, decay: try a[2].asDouble())
        return name == "adamW" ? try AdamW(lr: try a[0].asDouble(), weightDecay: try a[1].asDouble(), groups: groups)
                               : try Adam(lr: try a[0].asDouble(), weightDecay: try a[1].asDouble(), groups: groups)
    default: return try SGD(lr: try a[0].asDouble(), momentum: try a[1].asDouble(), nesterov: try a[2].asBool(), weightDecay: try a[3].asDouble())
    }
}

/// `unfreeze: .gradual(everyEpochs: 1)`: the head first, one more layer down each period.
private func unfreezeOption(_ v: Value, model: Module) throws -> GradualUnfreezing? {
    if v.isNil { return nil }
    let (_, a) = try OptionCase.match(v, "unfreeze", unfreezeOptions)
    return GradualUnfreezing(everyEpochs: try a[0].asInt(), groups: try unfreezingGroups(model))
}

private func scheduleOption(_ v: Value) throws -> Schedule {
    if v.isNil { return .constant }
    let (name, a) = try OptionCase.match(v, "schedule", scheduleOptions)
    func optionalInt(_ x: Value) throws -> Int? { x.isNil ? nil : try x.asInt() }
    switch name {
    case "cosine": return .cosine(warmup: try a[0].asInt(), total: try optionalInt(a[1]), minLR: try a[2].asDouble())
    case "linear": return .linear(warmup: try a[0].asInt(), total: try optionalInt(a[1]))
    case "step": return .step(every: try a[0].asInt(), gamma: try a[1].asDouble())
    case "exponential": return .exponential(gamma: try a[0].asDouble())
    default: return .constant
    }
}

private func earlyStoppingOption(_ v: Value) throws -> EarlyStopping? {
    if v.isNil { return nil }
    let (_, a) = try OptionCase.match(v, "earlyStopping", earlyStoppingOptions)
    return EarlyStopping(patience: try a[0].asInt(), minDelta: try a[1].asDouble(), restoreBest: try a[2].asBool())
}

private func precisionOption(_ v: Value) throws -> Precision {
    if v.isNil { return .float32 }
    let (name, _) = try OptionCase.match(v, "precision", Precision.allCases.map(\.rawValue))
    return Precision(rawValue: name) ?? .float32
}

private func checkpointOption(_ v: Value) throws -> CheckpointPolicy? {
    if v.isNil { return nil }
    if case .string(let dir) = v { return CheckpointPolicy(directory: dir) }
    let (_, a) = try OptionCase.match(v, "checkpoint", checkpointOptions)
    return CheckpointPolicy(directory: try a[1].asString(), every: try a[0].asInt(), keep: try a[2].asInt())
}

private func lossOption(_ v: Value) throws -> TrainingLoss {
    if v.isNil { return .automatic }
    let (name, a) = try OptionCase.match(v, "loss", lossOptions)
    switch name {
    case "crossEntropy": return .crossEntropy(labelSmoothing: try a[0].asDouble())
    case "l1": return .l1
    case "binaryCrossEntropy": return .binaryCrossEntropy
    default: return .mse
    }
}

private func seedOption(_ v: Value) throws -> UInt64 { UInt64(bitPattern: Int64(try v.asInt())) }

// MARK: Registrations

func registerTrainingFunctions(_ r: Registry) {
    // Labels PyTorch, Keras and Hugging Face users write, and where the value goes here.
    r.labelHint("lr", "the learning rate goes in the optimizer: optimizer: .adamW(lr: 0.01)")
    r.labelHint("learningRate", "the learning rate goes in the optimizer: optimizer: .adamW(lr: 0.01)")
    r.labelHint("learning_rate", "the learning rate goes in the optimizer: optimizer: .adamW(lr: 0.01)")
    r.labelHint("weightDecay", "weight decay goes in the optimizer: optimizer: .adamW(lr: 1e-3, weightDecay: 0.01)")
    r.labelHint("weight_decay", "weight decay goes in the optimizer: optimizer: .adamW(lr: 1e-3, weightDecay: 0.01)")
    r.labelHint("batch_size", "Koan's labels are camel case: batchSize:")
    r.labelHint("num_epochs", "the label is epochs:")
    r.labelHint("n_epochs", "the label is epochs:")
    r.member(of: ModuleObject.self,
             "fit(_ data: Dataset, epochs: Int? = nil, steps: Int? = nil, batchSize: Int = 32, optimizer: Any? = nil, schedule: Any? = nil, validation: Dataset? = nil, earlyStopping: Any? = nil, precision: Any? = nil, accumulate: Int = 1, clipNorm: Double? = nil, checkpoint: Any? = nil, seed: Int = 0, loss: Any? = nil, unfreeze: Any? = nil, trial: Trial? = nil) -> Run",
             "Trains the model with one live progress display; returns the Run (history, best epoch, stop reason). optimizer: .adamW(lr:weightDecay:) (default), .adam, .sgd or an optimizer object; schedule: .constant, .cosine(warmup:), .linear(warmup:), .step(every:gamma:), .exponential(gamma:); earlyStopping: .patience(n); precision: .float32, .bfloat16, .float16; checkpoint: .every(1, directory: \"ckpt\", keep: 3); unfreeze: .gradual(everyEpochs: 1) (BERT models: the head first, then one layer more from the top); .adamW(lr:, layerDecay: 0.9) decays the learning rate layer by layer. Text datasets are tokenised by the model's tokenizer. An interrupt stops after the current step; run.resume() continues. trial: a search's trial (search(...) { trial in ... }): each epoch reports its validation loss (else the training loss) to the trial, and the search's pruner may stop the run there; inside a search the progress shows in the search's display.",
             .method { v, a, ctx in
        let model = try v.asModule()
        var options = FitOptions(epochs: a[1].isNil ? nil : try a[1].asInt(), steps: a[2].isNil ? nil : try a[2].asInt(),
                                 batchSize: try a[3].asInt())
        let optimizer = try optimizerOption(a[4], model: model)
        options.schedule = try scheduleOption(a[5])
        options.validation = a[6].isNil ? nil : try a[6].asDataset(for: model)
        options.earlyStopping = try earlyStoppingOption(a[7])
        options.precision = try precisionOption(a[8])
        options.accumulate = try a[9].asInt()
        options.clipNorm = a[10].isNil ? nil : try a[10].asDouble()
        options.checkpoint = try checkpointOption(a[11])
        options.seed = try seedOption(a[12])
        options.loss = try lossOption(a[13])
        options.unfreeze = try unfreezeOption(a[14], model: model)
        let data = try a[0].asDataset(for: model)
        let trial = a[15].isNil ? nil : try a[15].asTrial()
        let observer: (FitProgress) -> Void
        if let search = ctx.registry.state({ ActiveSearch() }).display {
            observer = { search.fitProgress($0) }
        } else {
            let live = FitDisplay(ctx.display)
            observer = { live.update($0) }
        }
        let cancellation = ctx.cancellation
        let run = try KoanTrain.fit(model, on: data, optimizer: optimizer, options: options, observer: observer,
                                    epochEnd: trial.map(prunerHook), isCancelled: { cancellation.isCancelled })
        ctx.registry.state { FitTimes() }.record(model, run)
        return .object(RunObject(run))
    })
    r.member(of: RunObject.self, "resume() -> Run",
             "Continues an interrupted run from its next step (same optimizer state, schedule and batch order), updating the same Run.",
             .method { v, _, ctx in
        let run = try v.asRun()
        let live = FitDisplay(ctx.display)
        let cancellation = ctx.cancellation
        try KoanTrain.resume(run, observer: { live.update($0) }, isCancelled: { cancellation.isCancelled })
        return v
    })

    func runProperty(_ sig: String, _ doc: String, _ body: @escaping (Run) throws -> Value) {
        r.member(of: RunObject.self, sig, doc, .property { v, _ in try body(try v.asRun()) })
    }
    func columns(_ cols: [(name: String, values: [Double])]) -> Value {
        var d = OrderedDict()
        for (name, values) in cols { d.set(.string(name), .array(values.map { .double($0) })) }
        return .dict(d)
    }
    runProperty("history: [String: [Double]]", "Per-epoch columns: epoch, loss, accuracy, val_loss, val_accuracy, lr, seconds; plot(run.history, [\"loss\", \"val_loss\"]).") { columns($0.history) }
    runProperty("stepHistory: [String: [Double]]", "Per-step columns: step, epoch, loss, lr (and grad_norm with clipNorm).") { columns($0.stepHistory) }
    runProperty("stopReason: String", "Why the run stopped: completed, early stopping, interrupted at step N, or a non-finite loss.") { .string("\($0.stopReason)") }
    runProperty("bestEpoch: Int?", "The epoch with the lowest validation loss (training loss without validation data).") { run in run.bestEpoch.map { .int($0) } ?? .null }
    runProperty("validationLoss: Double?", "The validation loss of the best epoch.") { run in run.validationLoss.map { .double($0) } ?? .null }
    runProperty("loss: Double?", "The training loss of the last epoch.") { run in run.epochs.last.map { .double($0.loss) } ?? .null }
    runProperty("accuracy: Double?", "The training accuracy of the last epoch (class labels).") { run in run.epochs.last?.accuracy.map { .double($0) } ?? .null }
    runProperty("validationAccuracy: Double?", "The validation accuracy of the last epoch.") { run in run.epochs.last?.validationAccuracy.map { .double($0) } ?? .null }
    runProperty("stepCount: Int", "Optimizer updates done.") { .int($0.stepCount) }
    runProperty("epochCount: Int", "Epochs finished.") { .int($0.epochs.count) }
    runProperty("seconds: Double", "Seconds spent training.") { .double($0.seconds) }
    runProperty("checkpoints: [String]", "Checkpoint files written and kept, oldest first.") { .array($0.checkpoints.map { .string($0) }) }

    r.member(of: ModuleObject.self, "evaluate(_ data: Dataset, batchSize: Int = 256) -> [String: Double]",
             "The model's mean loss (and accuracy, for class labels) on a dataset, in eval mode.", .method { v, a, _ in
        let model = try v.asModule()
        let e = try KoanTrain.evaluate(model, on: try a[0].asDataset(for: model), batchSize: try a[1].asInt())
        var d = OrderedDict()
        d.set(.string("loss"), .double(e.loss))
        if let acc = e.accuracy { d.set(.string("accuracy"), .double(acc)) }
        return .dict(d)
    })
    r.member(of: ModuleObject.self, "predict(_ input: Any, batchSize: Int = 256) -> Tensor",
             "The model's outputs for a dataset's features or a tensor of samples, in eval mode, in batches.", .method { v, a, _ in
        let model = try v.asModule()
        let features: NDArray
        if case .object(let o as DatasetObject) = a[0] { features = try o.prepared(for: model).features } else { features = try a[0].asTensor().data }
        return .tensor(Tensor(try KoanTrain.predict(model, features, batchSize: try a[1].asInt())))
    })
}

// MARK: Saving and loading

func registerCheckpointFunctions(_ r: Registry) {
    r.function("save(_ model: Module, _ path: String)",
               "Saves a model's parameters and buffers (named by dotted path, as PyTorch's state_dict) and its architecture to a safetensors file, atomically.") { a, _ in
        try Checkpoint.save(try a[0].asModule(), to: try a[1].asString())
        return .void
    }
    r.function("load(_ path: String) -> Module",
               "Rebuilds a model saved with save(_:_:) (or a fit checkpoint) and loads its weights.") { a, _ in
        .object(ModuleObject(try Checkpoint.load(try a[0].asString())))
    }
    r.function("load(_ path: String, into model: Module)",
               "Loads the weights of a safetensors file into an existing model, checking every dotted path and shape first.") { a, _ in
        try Checkpoint.load(try a[0].asString(), into: try a[1].asModule())
        return .void
    }
}

// MARK: Reports of a model on a dataset

/// True and predicted class labels of `model` on `data` (class names when the dataset has them).
private func modelLabels(_ model: Value, _ data: Value) throws -> (truth: [Label], predicted: [Label], names: [String]?, classes: Int) {
    let module = try model.asModule()
    let dataset = try data.asDataset(for: module)
    guard dataset.isClassification, dataset.words == nil, dataset.labels.rank == 1 else {
        throw Fault(.value, dataset.labels.rank == 2 ? "a classification report needs one class label per sample; for tags per token use seqevalReport(model, on: data)" : "a classification report needs class labels, but '\(dataset.name)' has float targets")
    }
    let predicted = try KoanTrain.predictClasses(module, on: dataset).ints()
    let truth = dataset.labels.ints()
    return (truth.map { .int(Int($0)) }, predicted.map { .int(Int($0)) }, dataset.classNames, dataset.classCount)
}

func registerModelReportFunctions(_ r: Registry) {
    r.function("classificationReport(_ model: Module, on data: Dataset, digits: Int = 2, zeroDivision: ZeroDivision = .warn) -> Report",
               "scikit-learn's classification report of the model's arg-max predictions on a dataset (class names as target names when the dataset has them).") { a, _ in
        let (truth, predicted, names, classes) = try modelLabels(a[0], a[1])
        return try classificationReportValue(yTrue: truth, yPred: predicted,
                                             labels: names == nil ? nil : (0..<classes).map { .int($0) },
                                             targetNames: names, digits: try a[2].asInt(), zeroDivision: try zeroDivision(a[3]))
    }
    r.function("confusionMatrix(_ model: Module, on data: Dataset, normalize: Normalize? = nil) -> Figure",
               "The confusion matrix of the model's arg-max predictions on a dataset, as an annotated heatmap.") { a, _ in
        let (truth, predicted, _, _) = try modelLabels(a[0], a[1])
        return try confusionMatrixValue(yTrue: truth, yPred: predicted, normalize: a[2])
    }
}

/// The cases of `optimizer:` (matched by OptionCase, offered by completion).
let optimizerOptions = [
        "adamW(lr: Double = 0.001, weightDecay: Double = 0.01, layerDecay: Double? = nil)",
        "adam(lr: Double = 0.001, weightDecay: Double = 0, layerDecay: Double? = nil)",
        "sgd(lr: Double, momentum: Double = 0, nesterov: Bool = false, weightDecay: Double = 0)",
    ]

/// The cases of `schedule:` (matched by OptionCase, offered by completion).
let scheduleOptions = [
        "constant",
        "cosine(warmup: Int = 0, total: Int? = nil, minLR: Double = 0)",
        "linear(warmup: Int = 0, total: Int? = nil)",
        "step(every: Int, gamma: Double = 0.1)",
        "exponential(gamma: Double)",
    ]

/// The cases of `earlyStopping:` (matched by OptionCase, offered by completion).
let earlyStoppingOptions = ["patience(_ epochs: Int, minDelta: Double = 0, restoreBest: Bool = true)"]

/// The cases of `loss:` (matched by OptionCase, offered by completion).
let lossOptions = ["crossEntropy(labelSmoothing: Double = 0)", "mse", "l1", "binaryCrossEntropy"]

/// The cases of `checkpoint:` (matched by OptionCase, offered by completion).
let checkpointOptions = ["every(_ epochs: Int = 1, directory: String, keep: Int = 3)"]

/// The cases of `unfreeze:` (matched by OptionCase, offered by completion).
let unfreezeOptions = ["gradual(everyEpochs: Int = 1)"]
