import KoanData

/// The numeric format of the forward and backward passes during `fit`. Master weights and
/// optimizer state stay float32 in every mode, as with PyTorch autocast.
///
/// - `float32`: everything in float32.
/// - `bfloat16`: weights and floating inputs are rounded to bfloat16 for each step; the
///   loss is computed in float32 from the bfloat16 outputs; gradients come back in
///   bfloat16 and are applied to the float32 masters.
/// - `float16`: as bfloat16 with float16, plus dynamic loss scaling (`LossScaler`, as
///   `torch.amp.GradScaler`): a step whose gradients overflow is skipped and the scale halved.
public enum Precision: String, Sendable, Equatable, CaseIterable {
    case float32, bfloat16, float16
}

/// Stop when the monitored quantity (validation loss, or training loss without validation
/// data) has not improved by more than `minDelta` for `patience` epochs; with
/// `restoreBest`, the model gets the weights of its best epoch back, as Keras's
/// `EarlyStopping(restore_best_weights=True)`.
///
///     FitOptions(epochs: 50, earlyStopping: EarlyStopping(patience: 3))
public struct EarlyStopping: Sendable, Equatable {
    public var patience: Int
    public var minDelta: Double
    public var restoreBest: Bool
    public init(patience: Int, minDelta: Double = 0, restoreBest: Bool = true) {
        self.patience = patience; self.minDelta = minDelta; self.restoreBest = restoreBest
    }
}

/// Where and how often `fit` writes checkpoints: after every `every` epochs (and when the
/// run stops), `directory/step-NNNNNN.safetensors` (model, optimizer state, run summary;
/// see `Checkpoint`), keeping the newest `keep`.
public struct CheckpointPolicy: Sendable, Equatable {
    public var directory: String
    public var every: Int
    public var keep: Int
    public init(directory: String, every: Int = 1, keep: Int = 3) {
        self.directory = directory; self.every = every; self.keep = keep
    }
}

/// Gradual unfreezing (ULMFiT): `groups` are path prefixes from the top of the model down
/// (the head first); the first epoch trains only `groups[0]`, and every `everyEpochs`
/// epochs the next group down is unfrozen too. Parameters under no group keep their state.
///
///     FitOptions(epochs: 4, unfreeze: GradualUnfreezing(everyEpochs: 1, groups: [["classifier"], ["bert.encoder.layer.5"]]))
public struct GradualUnfreezing: Sendable, Equatable {
    public var everyEpochs: Int
    public var groups: [[String]]
    public init(everyEpochs: Int = 1, groups: [[String]]) { self.everyEpochs = everyEpochs; self.groups = groups }

    /// How many groups are trainable in epoch `epoch` (0-based).
    public func unfrozenGroups(epoch: Int) -> Int { min(groups.count, 1 + epoch / max(1, everyEpochs)) }
}

/// The training loss. `automatic` is cross-entropy for class labels and mean squared
/// error for float targets.
public enum TrainingLoss: Sendable, Equatable {
    case automatic
    case crossEntropy(labelSmoothing: Double)
    case mse
    case l1
    case binaryCrossEntropy
}

/// Everything `fit` takes besides the model, the data and the optimizer. Exactly one of
/// `epochs` and `steps` is set; a step is one optimizer update, which consumes
/// `accumulate` batches of `batchSize` samples.
///
///     var options = FitOptions(epochs: 20, batchSize: 64)
///     options.schedule = .cosine(warmup: 100)
///     options.validation = test
public struct FitOptions: Sendable {
    public var epochs: Int?
    public var steps: Int?
    public var batchSize: Int
    public var schedule: Schedule
    public var validation: Dataset?
    public var earlyStopping: EarlyStopping?
    public var precision: Precision
    public var accumulate: Int
    public var clipNorm: Double?
    public var checkpoint: CheckpointPolicy?
    public var seed: UInt64
    public var loss: TrainingLoss
    /// Shuffle the training data at each epoch (from `seed` and the epoch number).
    public var shuffle: Bool
    /// Unfreeze the model group by group from the top (nil: trainability as it is).
    public var unfreeze: GradualUnfreezing?

    public init(epochs: Int? = nil, steps: Int? = nil, batchSize: Int = 32, schedule: Schedule = .constant,
                validation: Dataset? = nil, earlyStopping: EarlyStopping? = nil, precision: Precision = .float32,
                accumulate: Int = 1, clipNorm: Double? = nil, checkpoint: CheckpointPolicy? = nil,
                seed: UInt64 = 0, loss: TrainingLoss = .automatic, shuffle: Bool = true) {
        self.epochs = epochs; self.steps = steps; self.batchSize = batchSize; self.schedule = schedule
        self.validation = validation; self.earlyStopping = earlyStopping; self.precision = precision
        self.accumulate = accumulate; self.clipNorm = clipNorm; self.checkpoint = checkpoint
        self.seed = seed; self.loss = loss; self.shuffle = shuffle
    }

    /// Throws `TrainError.invalidOption` for the first option out of range.
    public func validate() throws {
        func bad(_ name: String, _ reason: String) -> TrainError { .invalidOption(name: name, reason: reason) }
        switch (epochs, steps) {
        case (nil, nil): throw bad("epochs", "give epochs: or steps:")
        case (.some, .some): throw bad("steps", "give epochs: or steps:, not both")
        case (let e?, nil) where e < 1: throw bad("epochs", "must be at least 1, got \(e)")
        case (nil, let s?) where s < 1: throw bad("steps", "must be at least 1, got \(s)")
        default: break
        }
        if batchSize < 1 { throw bad("batchSize", "must be at least 1, got \(batchSize)") }
        if accumulate < 1 { throw bad("accumulate", "must be at least 1, got \(accumulate)") }
        if let c = clipNorm, !(c.isFinite && c > 0) { throw bad("clipNorm", "must be finite and positive, got \(c)") }
        if let e = earlyStopping {
            if e.patience < 1 { throw bad("earlyStopping", "patience must be at least 1, got \(e.patience)") }
            if !(e.minDelta.isFinite && e.minDelta >= 0) { throw bad("earlyStopping", "minDelta must be finite and ≥ 0, got \(e.minDelta)") }
        }
        if let c = checkpoint {
            if c.every < 1 { throw bad("checkpoint", "every must be at least 1 epoch, got \(c.every)") }
            if c.keep < 1 { throw bad("checkpoint", "keep must be at least 1, got \(c.keep)") }
            if c.directory.isEmpty { throw bad("checkpoint", "the directory is empty") }
        }
        if let u = unfreeze {
            if u.everyEpochs < 1 { throw bad("unfreeze", "everyEpochs must be at least 1, got \(u.everyEpochs)") }
            if u.groups.isEmpty { throw bad("unfreeze", "gradual unfreezing needs at least one group of layers") }
        }
        if case .crossEntropy(let s) = loss, !(0...1).contains(s) {
            throw bad("labelSmoothing", "must be in [0, 1], got \(s)")
        }
    }
}
