// `koan-bench train`: the Koan side of bench/train.py. Trains one workload with
// `KoanTrain.fit`, either called from Swift or issued from a Koan cell through
// `KoanLang.Interpreter`, and prints one JSON object (samples/s, wall time, final loss,
// peak RSS). One workload per process, so that the peak RSS is that workload's.
//
//     koan-bench train --workload mlp --via swift --epochs 20 --threads 2
//     koan-bench train --workload cnn --via cell --epochs 5 --optimizer adam --lr 0.001
import Foundation
import KoanAutograd
import KoanData
import KoanLang
import KoanNN
import KoanTensor
import KoanTrain

struct TrainArguments {
    let workload: String, via: String, optimizer: String
    let epochs: Int, threads: Int, batchSize: Int
    let lr: Double

    init(_ args: [String]) throws {
        let o = try BenchOptions(args, known: ["--workload", "--via", "--epochs", "--threads", "--batch", "--optimizer", "--lr"])
        workload = try o.text("--workload", "mlp", oneOf: ["mlp", "cnn", "vgg"])
        via = try o.text("--via", "swift", oneOf: ["swift", "cell", "profile"])
        optimizer = try o.text("--optimizer", "sgd", oneOf: ["sgd", "adam"])
        epochs = try o.positiveInt("--epochs", 20)
        threads = try o.positiveInt("--threads", 2)
        batchSize = try o.positiveInt("--batch", 64)
        lr = try o.positiveDouble("--lr", 0.1)
    }
}

/// The dataset of a workload. vgg: the digits labels with random 3×32×32 images (seed 1).
func trainData(_ workload: String) throws -> Dataset {
    let digits = try Dataset.digits().normalized()
    switch workload {
    case "mlp": return digits
    case "cnn": return try digits.with(features: try digits.images(), labels: digits.labels)
    default:
        return try digits.map { _ in try NDArray.randn([digits.count, 3, 32, 32], key: RandomKey(seed: 1)) }
    }
}

func trainModel(_ workload: String) throws -> Module {
    switch workload {
    case "mlp": return try MLP(input: 64, hidden: [128], output: 10)
    case "cnn": return try CNN()
    default: return try CNN(inputChannels: 3, imageSize: 32, classes: 10, widths: [32, 64])
    }
}

/// The same workload as cells: set-up cells, then the one `fit` cell that is timed.
func trainCells(_ a: TrainArguments) -> (setup: [String], fit: String) {
    let data: String, model: String
    switch a.workload {
    case "mlp":
        data = "let data = Dataset.digits().normalized()"
        model = "let model = MLP(input: 64, hidden: [128], output: 10)"
    case "cnn":
        data = "let data = Dataset.digits().normalized().asImages()"
        model = "let model = CNN(seed: 0)"
    default:
        data = "let data = Dataset.digits().normalized().map { _ in Tensor.randn([1797, 3, 32, 32], seed: 1) }"
        model = "let model = CNN(inputChannels: 3, imageSize: 32, classes: 10, widths: [32, 64], seed: 0)"
    }
    let optimizer = a.optimizer == "sgd" ? ".sgd(lr: \(a.lr))" : ".adam(lr: \(a.lr))"
    return (["%threads \(a.threads)", data, model],
            "let run = model.fit(data, epochs: \(a.epochs), batchSize: \(a.batchSize), optimizer: \(optimizer))")
}

/// `--via profile`: the steps of `fit` (float32, no accumulation or clipping) written out
/// with a clock around each phase, after one `fit` epoch as warm-up; mean µs per step.
func profileSteps(_ a: TrainArguments) throws -> [String: Any] {
    try TensorRuntime.setThreads(a.threads)
    let data = try trainData(a.workload)
    let model = try trainModel(a.workload)
    let optimizer: any Optimizer = a.optimizer == "sgd" ? try SGD(lr: a.lr) : try Adam(lr: a.lr)
    let clock = ContinuousClock()
    _ = try fit(model, on: data, optimizer: optimizer, options: FitOptions(epochs: 1, batchSize: a.batchSize))
    var t: [String: Double] = ["gather": 0, "forward_only": 0, "forward_backward": 0, "grads_to_dict": 0,
                               "optimizer_update": 0, "assign": 0, "loss_item": 0]
    func timed<T>(_ key: String, _ body: () throws -> T) rethrows -> T {
        let start = clock.now
        let r = try body()
        t[key, default: 0] += seconds(clock.now - start)
        return r
    }
    var steps = 0
    let start = clock.now
    for epoch in 0..<a.epochs {
        let plan = try data.batchPlan(a.batchSize, shuffle: true, seed: UInt64(epoch))
        for i in 0..<plan.count {
            let (x, y) = try timed("gather") { try plan.batch(i) }
            _ = try timed("forward_only") { try crossEntropy(try model(Tensor(x)), targets: Tensor(y), labelSmoothing: 0) }
            let (value, grads) = try timed("forward_backward") {
                try valueAndGrad(model) { m in try crossEntropy(try m(Tensor(x)), targets: Tensor(y), labelSmoothing: 0) }
            }
            _ = try timed("loss_item") { try value.item() }
            let dict = timed("grads_to_dict") { Dictionary(grads.map { ($0.path, $0.grad) }, uniquingKeysWith: { a, _ in a }) }
            let trainable = model.parameterSlots.filter { $0.parameter.isTrainable }
            let updated = try timed("optimizer_update") {
                try optimizer.update(trainable.map { (path: $0.path, tensor: $0.parameter.value) }, grads: dict)
            }
            timed("assign") { for (slot, new) in zip(trainable, updated) { slot.parameter.assign(new.tensor.data) } }
            steps += 1
        }
    }
    let total = seconds(clock.now - start) - t["forward_only", default: 0]
    let fitStart = clock.now
    _ = try fit(model, on: data, optimizer: optimizer, options: FitOptions(epochs: a.epochs, batchSize: a.batchSize))
    let fitSeconds = seconds(clock.now - fitStart)
    var out: [String: Any] = [:]
    for (k, v) in t { out["us_per_step_" + k] = v / Double(steps) * 1e6 }
    out["us_per_step_manual_loop_total"] = total / Double(steps) * 1e6
    out["us_per_step_fit"] = fitSeconds / Double(steps) * 1e6
    out["steps"] = steps
    return out
}

/// One `koan-bench train` run: its arguments and measurements as a JSON object.
func trainBench(_ args: [String]) throws -> [String: Any] {
    let a = try TrainArguments(args)
    var out: [String: Any] = ["workload": a.workload, "via": a.via, "epochs": a.epochs, "threads": a.threads,
                              "batch": a.batchSize, "optimizer": a.optimizer, "lr": a.lr]
    let clock = ContinuousClock()
    var samples = 0
    var loss = Double.nan, accuracy = Double.nan
    var wall = 0.0
    if a.via == "profile" {
        out.merge(try profileSteps(a)) { _, new in new }
    } else if a.via == "swift" {
        try TensorRuntime.setThreads(a.threads)
        let data = try trainData(a.workload)
        let model = try trainModel(a.workload)
        let optimizer: any Optimizer = a.optimizer == "sgd" ? try SGD(lr: a.lr) : try Adam(lr: a.lr)
        let start = clock.now
        let run = try fit(model, on: data, optimizer: optimizer, options: FitOptions(epochs: a.epochs, batchSize: a.batchSize))
        wall = seconds(clock.now - start)
        samples = run.steps.reduce(0) { $0 + $1.samples }
        loss = run.epochs.last?.loss ?? .nan
        accuracy = run.epochs.last?.accuracy ?? .nan
    } else {
        let cells = CellRunner()
        let plan = trainCells(a)
        for c in plan.setup { try cells.run(c) }
        let start = clock.now
        try cells.run(plan.fit)
        wall = seconds(clock.now - start)
        cells.display.text = ""
        try cells.run("print(run.stepCount, run.loss ?? -1, run.accuracy ?? -1, data.count)")
        let fields = cells.display.text.split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap { Double(String($0)) }
        guard fields.count == 4 else { throw BenchError(description: "unexpected cell output '\(cells.display.text)'") }
        loss = fields[1]
        accuracy = fields[2]
        samples = Int(fields[3]) * a.epochs
    }
    out["samples"] = samples
    out["seconds"] = wall
    out["samples_per_second"] = wall > 0 ? Double(samples) / wall : 0
    out["final_loss"] = loss.isFinite ? loss : -1
    out["final_accuracy"] = accuracy.isFinite ? accuracy : -1
    out["vmhwm_kib"] = procStatusKiB("VmHWM")
    out["maxrss_kib"] = maxRSSKiB()
    return out
}
