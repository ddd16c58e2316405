import Glibc
import KoanAutograd
import KoanData
import KoanNN
import KoanTensor

/// Trains `model` on `data` with `optimizer` as `options` say, and returns the `Run`.
///
/// Each step runs `accumulate` batches forward and backward (each batch's loss weighted by
/// its share of the step's samples, so k batches of B equal one batch of k×B), clips the
/// gradients' global norm to `clipNorm`, sets the learning rate from the schedule and
/// updates the trainable parameters. `isCancelled` is checked before every batch: an
/// interrupt leaves the weights and optimizer state of the last finished step and the run
/// `.interrupted(step:)`, ready for `resume`. A non-finite loss stops the run before that
/// update is applied. `observer` receives progress after every step. `epochEnd` sees each
/// epoch's record (with its validation loss) and returns true to stop the run there as
/// `.pruned(epoch:)`: a hyperparameter search's pruner.
///
///     let run = try fit(mlp, on: train, optimizer: try AdamW(lr: 1e-3),
///                       options: FitOptions(epochs: 20, batchSize: 64, validation: test))
public func fit(_ model: Module, on data: Dataset, optimizer: any Optimizer, options: FitOptions, distillation: Distillation? = nil,
                observer: ((FitProgress) -> Void)? = nil, epochEnd: ((EpochRecord) throws -> Bool)? = nil,
                isCancelled: @escaping () -> Bool = { false }) throws -> Run {
    try options.validate()
    guard data.count > 0 else { throw TrainError.emptyDataset(data.name) }
    if let v = options.validation, v.count == 0 { throw TrainError.emptyDataset(v.name) }
    if let u = options.unfreeze { try applyUnfreezing(model, u, epoch: 0) }
    guard !model.trainableParameters.isEmpty else {
        throw TrainError.invalidOption(name: "model", reason: "it has no trainable parameters (all frozen?)")
    }
    if let d = distillation, d.teacher === model { throw TrainError.invalidOption(name: "teacher", reason: "the teacher must be another model than the student") }
    let run = try Run(model: model, optimizer: optimizer, data: data, options: options, distillation: distillation)
    try Trainer(run: run, observer: observer, epochEnd: epochEnd, isCancelled: isCancelled).train()
    return run
}

/// Continues an interrupted run from its next step, with the same optimizer state,
/// schedule position and batch order, appending to its history.
///
///     try resume(run)          // after .interrupted(step: 120)
public func resume(_ run: Run, observer: ((FitProgress) -> Void)? = nil, epochEnd: ((EpochRecord) throws -> Bool)? = nil,
                   isCancelled: @escaping () -> Bool = { false }) throws {
    guard run.canResume else {
        throw TrainError.cannotResume("this run cannot resume: it \(run.stopReason == .completed ? "completed" : "stopped (\(run.stopReason))"); call fit again to train more")
    }
    run.stopReason = .running
    try Trainer(run: run, observer: observer, epochEnd: epochEnd, isCancelled: isCancelled).train()
}

/// Sets the trainability of the gradual-unfreezing groups for `epoch`: the first
/// `unfrozenGroups(epoch:)` groups trainable, the rest frozen.
func applyUnfreezing(_ model: Module, _ u: GradualUnfreezing, epoch: Int) throws {
    let open = u.unfrozenGroups(epoch: epoch)
    for (i, group) in u.groups.enumerated() {
        if i < open { try model.unfreeze(only: group) } else { try model.freeze(only: group) }
    }
}

/// Dynamic loss scaling for float16, as `torch.amp.GradScaler`: start at 2¹⁶, halve and
/// skip the update when gradients overflow, double after 2,000 clean steps.
struct LossScaler {
    var scale = 65536.0
    var cleanSteps = 0
    mutating func update(overflow: Bool) {
        if overflow {
            scale *= 0.5
            cleanSteps = 0
        } else {
            cleanSteps += 1
            if cleanSteps == 2000 { scale *= 2; cleanSteps = 0 }
        }
    }
}

/// Seconds on a monotonic clock.
func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// The training loop over one `Run`; a new one per `fit`/`resume` call.
struct Trainer {
    let run: Run
    let observer: ((FitProgress) -> Void)?
    let epochEnd: ((EpochRecord) throws -> Bool)?
    let isCancelled: () -> Bool
    let lossFn: LossFunction
    /// The loss resolved against the validation data (checked before the first step).
    let validationLoss: LossFunction?
    let started = monotonicSeconds()
    let stepsAtStart: Int
    let samplesAtStart: Int
    let secondsAtStart: Double
    /// The parameters the steps update (what is frozen changes only between epochs, with
    /// gradual unfreezing).
    var trainable: [(path: String, parameter: Parameter)] { run.model.parameterSlots.filter { $0.parameter.isTrainable } }

    init(run: Run, observer: ((FitProgress) -> Void)?, epochEnd: ((EpochRecord) throws -> Bool)?, isCancelled: @escaping () -> Bool) throws {
        self.run = run
        self.observer = observer
        self.epochEnd = epochEnd
        self.isCancelled = isCancelled
        lossFn = try LossFunction(run.options.loss, for: run.data)
        validationLoss = try run.options.validation.map { try LossFunction(run.options.loss, for: $0) }
        stepsAtStart = run.stepCount
        samplesAtStart = run.sampleCount
        secondsAtStart = run.seconds
    }

    private enum Outcome {
        case done(StepRecord)
        case interrupted
        case nonFinite
    }

    func train() throws {
        let model = run.model
        let wasTraining = model.isTraining
        model.train()
        defer {
            if !wasTraining { model.eval() }
            run.seconds = secondsAtStart + (monotonicSeconds() - started)
        }
        var smoothed = run.steps.last?.loss
        outer: while run.stopReason == .running {
            if run.epochIndex >= run.totalEpochs || run.stepCount >= run.totalSteps {
                run.stopReason = .completed
                break
            }
            if run.batchIndex == 0 { startEpoch() }
            if let u = run.options.unfreeze { try applyUnfreezing(model, u, epoch: run.epochIndex) }
            let plan = try run.data.batchPlan(run.options.batchSize, shuffle: run.options.shuffle, seed: epochSeed(run.epochIndex))
            let loader = Prefetcher(plan, startingAt: run.batchIndex)
            defer { loader.cancel() }
            while run.batchIndex < plan.count && run.stepCount < run.totalSteps {
                let end = min(run.batchIndex + run.options.accumulate, plan.count)
                var group: [(x: NDArray, y: NDArray)] = []
                for _ in run.batchIndex..<end {
                    guard let batch = try loader.next() else { break }
                    group.append(batch)
                }
                switch try step(group) {
                case .done(let record):
                    run.batchIndex = end
                    run.steps.append(record)
                    smoothed = smoothed.map { 0.9 * $0 + 0.1 * record.loss } ?? record.loss
                    report(smoothed: smoothed, milestone: false)
                case .interrupted:
                    run.stopReason = .interrupted(step: run.stepCount)
                    break outer
                case .nonFinite:
                    run.stopReason = .nonFiniteLoss(step: run.stepCount + 1)
                    break outer
                }
            }
            // The epoch ended (or the step budget ran out part-way through it).
            try finishEpoch()
            run.epochIndex += 1
            run.batchIndex = 0
        }
        if run.stopReason != .running, let policy = run.options.checkpoint, run.stepCount > 0 {
            try writeCheckpoint(run, policy: policy)
        }
        report(smoothed: smoothed, milestone: true)
    }

    private func epochSeed(_ epoch: Int) -> UInt64 {
        run.options.seed &+ UInt64(epoch) &* 0x9E37_79B9_7F4A_7C15
    }

    private func startEpoch() {
        run.epochLossSum = 0
        run.epochCorrect = 0
        run.epochSamples = 0
        run.epochLabels = 0
        run.epochStart = monotonicSeconds()
    }

    /// One optimizer update from the micro-batches of `group`.
    private func step(_ group: [(x: NDArray, y: NDArray)]) throws -> Outcome {
        let model = run.model
        let n = group.reduce(0) { $0 + $1.x.shape[0] }
        let half: DType? = switch run.options.precision {
        case .float32: nil
        case .bfloat16: .bfloat16
        case .float16: .float16
        }
        let scale = run.scaler?.scale ?? 1
        var grads: [String: NDArray] = [:]
        var lossSum = 0.0, correct = 0

        // Forward and backward on (rounded copies of) the weights; the float32 masters
        // are put back before anything is updated, whatever happens.
        let trainable = self.trainable
        let masters = trainable.map { $0.parameter.value.data }
        var rounded = false
        func restoreMasters() {
            if rounded { for (slot, m) in zip(trainable, masters) { slot.parameter.assign(m) } }
            rounded = false
        }
        defer { restoreMasters() }
        if let half {
            rounded = true
            for slot in trainable { slot.parameter.assign(try slot.parameter.value.data.to(half)) }
        }
        for (x, y) in group {
            if isCancelled() { return .interrupted }
            let weight = Double(x.shape[0]) / Double(n)
            let input = half != nil && x.dtype.isFloatingPoint ? try x.to(half!) : x
            var output: Tensor?
            let (value, microGrads) = try valueAndGrad(model) { m in
                let out = try m(Tensor(input))
                output = out
                var loss = try lossFn(out, y)
                if let d = run.distillation { loss = try d.loss(student: out, base: loss, input: x, labels: y) }
                return try loss * (weight * scale)
            }
            lossSum += try value.item() / scale
            if let output { correct += try lossFn.correct(output, y) }
            for (path, g) in microGrads {
                var g32 = g.data
                if half != nil { g32 = try g32.to(.float32) }
                if scale != 1 { g32 = try g32 * (1 / scale) }
                grads[path] = try grads[path].map { try $0 + g32 } ?? g32
            }
        }
        restoreMasters()
        guard lossSum.isFinite else { return .nonFinite }
        if isCancelled() { return .interrupted }

        var tensors = grads.mapValues { Tensor($0) }
        var norm: Double?
        var apply = true
        if run.scaler != nil {
            let total = try globalNorm(tensors)
            apply = total.isFinite
            run.scaler?.update(overflow: !apply)
        }
        if apply, let maxNorm = run.options.clipNorm {
            let (clipped, total) = try clipGradNorm(tensors, maxNorm: maxNorm)
            tensors = clipped
            norm = total
        }
        let lr = run.options.schedule.learningRate(base: run.baseLearningRate, step: run.stepCount, totalSteps: run.totalSteps)
        if apply {
            run.optimizer.learningRate = lr
            let current = trainable.map { (path: $0.path, tensor: $0.parameter.value) }
            let updated = try run.optimizer.update(current, grads: tensors)
            for (slot, new) in zip(trainable, updated) { slot.parameter.assign(new.tensor.data) }
        }
        run.epochLossSum += lossSum * Double(n)
        run.epochCorrect += correct
        run.epochSamples += n
        run.sampleCount += n
        run.epochLabels += group.reduce(0) { $0 + LossFunction.countedLabels($1.y) }
        return .done(StepRecord(step: run.stepCount + 1, epoch: run.epochIndex + 1, loss: lossSum,
                                learningRate: lr, gradNorm: norm, samples: n))
    }

    /// Records the epoch (with validation), then applies early stopping and checkpoints.
    private func finishEpoch() throws {
        guard run.epochSamples > 0 else { return }
        let epoch = run.epochIndex + 1
        var record = EpochRecord(epoch: epoch, loss: run.epochLossSum / Double(run.epochSamples),
                                 accuracy: lossFn.isClassification ? Double(run.epochCorrect) / Double(run.epochLabels) : nil,
                                 validationLoss: nil, validationAccuracy: nil,
                                 learningRate: run.steps.last?.learningRate ?? run.baseLearningRate,
                                 seconds: monotonicSeconds() - run.epochStart)
        if let validation = run.options.validation, let validationLoss {
            let result = try evaluate(run.model, on: validation, batchSize: max(256, run.options.batchSize), lossFn: validationLoss)
            record.validationLoss = result.loss
            record.validationAccuracy = result.accuracy
        }
        run.epochs.append(record)
        guard run.stopReason == .running else { return }

        let monitored = record.validationLoss ?? record.loss
        let minDelta = run.options.earlyStopping?.minDelta ?? 0
        if monitored < run.bestMonitored - minDelta || run.bestEpoch == nil {
            run.bestMonitored = monitored
            run.bestEpoch = epoch
            run.epochsWithoutImprovement = 0
            if run.options.earlyStopping?.restoreBest == true {
                run.bestWeights = WeightSnapshot(run.model)
            }
        } else {
            run.epochsWithoutImprovement += 1
        }
        if let early = run.options.earlyStopping, run.epochsWithoutImprovement >= early.patience {
            if early.restoreBest, let best = run.bestWeights { try best.restore(into: run.model) }
            run.stopReason = .earlyStopping(epoch: epoch, best: run.bestEpoch ?? epoch)
        }
        if run.stopReason == .running, let epochEnd, try epochEnd(record) {
            run.stopReason = .pruned(epoch: epoch)
        }
        if let policy = run.options.checkpoint, epoch % policy.every == 0, run.stopReason == .running {
            try writeCheckpoint(run, policy: policy)
        }
        report(smoothed: run.steps.last?.loss, milestone: true)
    }

    private func report(smoothed: Double?, milestone: Bool) {
        guard let observer else { return }
        let now = monotonicSeconds()
        let thisCall = now - started
        let stepsDone = run.stepCount - stepsAtStart
        let samples = run.sampleCount - samplesAtStart
        let perStep = stepsDone > 0 ? thisCall / Double(stepsDone) : nil
        observer(FitProgress(
            run: run, step: run.stepCount, totalSteps: run.totalSteps,
            // A stopped run shows the epoch it stopped after, not the next one it will not run.
            epoch: run.stopReason != .running ? (run.epochs.last?.epoch ?? min(run.epochIndex + 1, run.totalEpochs))
                                             : min(run.epochIndex + 1, run.totalEpochs),
            totalEpochs: run.totalEpochs,
            loss: run.steps.last?.loss ?? .nan, smoothedLoss: smoothed ?? .nan,
            learningRate: run.steps.last?.learningRate ?? run.baseLearningRate,
            samplesPerSecond: thisCall > 0 ? Double(samples) / thisCall : 0,
            elapsed: secondsAtStart + thisCall,
            remaining: perStep.map { $0 * Double(run.totalSteps - run.stepCount) },
            lastEpoch: run.epochs.last, stopReason: run.stopReason, isMilestone: milestone))
    }
}

/// The parameters and buffers of a model by path (arrays are shared copy-on-write; the
/// optimizer writes fresh arrays, so a snapshot stays as it was).
struct WeightSnapshot {
    let parameters: [String: NDArray]
    let buffers: [String: NDArray]

    init(_ model: Module) {
        parameters = Dictionary(model.parameterSlots.map { ($0.path, $0.parameter.value.data) }, uniquingKeysWith: { a, _ in a })
        buffers = Dictionary(model.bufferSlots.map { ($0.path, $0.parameter.value.data) }, uniquingKeysWith: { a, _ in a })
    }

    func restore(into model: Module) throws {
        try model.update(parameters: parameters)
        try model.update(buffers: buffers)
    }
}
