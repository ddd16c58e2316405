import Glibc
import KoanData
import KoanNN
import KoanTensor

/// One optimizer update of a run.
public struct StepRecord: Sendable, Equatable {
    /// 1-based number of the update within the run.
    public var step: Int
    /// 1-based epoch the update belongs to.
    public var epoch: Int
    /// The mean training loss of the samples of this update.
    public var loss: Double
    /// The learning rate used.
    public var learningRate: Double
    /// The global gradient norm before clipping (only computed with `clipNorm`).
    public var gradNorm: Double?
    /// Samples consumed by this update (`accumulate × batchSize`, less at an epoch's end).
    public var samples: Int
}

/// One finished epoch of a run: training loss and accuracy (means over the epoch's steps,
/// weighted by samples) and the validation results when validation data was given.
public struct EpochRecord: Sendable, Equatable {
    public var epoch: Int
    public var loss: Double
    public var accuracy: Double?
    public var validationLoss: Double?
    public var validationAccuracy: Double?
    public var learningRate: Double
    public var seconds: Double
}

/// Why a run is not running (or that it still is).
public enum StopReason: Sendable, Equatable, CustomStringConvertible {
    case running
    case completed
    /// Early stopping after `epoch`; the best epoch was `best`.
    case earlyStopping(epoch: Int, best: Int)
    /// An interrupt arrived; `step` updates had finished.
    case interrupted(step: Int)
    /// The loss was NaN or infinite at `step` (that update was not applied).
    case nonFiniteLoss(step: Int)
    /// A hyperparameter search's pruner stopped the run after `epoch`.
    case pruned(epoch: Int)

    public var description: String {
        switch self {
        case .running: "running"
        case .completed: "completed"
        case let .earlyStopping(epoch, best): "early stopping after epoch \(epoch) (best epoch \(best))"
        case let .interrupted(step): "interrupted at step \(step)"
        case let .nonFiniteLoss(step): "stopped: the loss is not finite at step \(step) (the update was not applied)"
        case let .pruned(epoch): "pruned after epoch \(epoch)"
        }
    }
}

/// The record of one `fit`: the model, optimizer and data it trains, where it is, its
/// history per step and per epoch, the best epoch and why it stopped. `resume()` continues
/// an interrupted run from the next step with the same optimizer state and schedule.
///
///     let run = try fit(model, on: train, optimizer: try AdamW(), options: FitOptions(epochs: 5))
///     run.epochs.last?.validationAccuracy
///     run.stopReason                        // .completed
public final class Run: @unchecked Sendable {
    public let model: Module
    public let optimizer: any Optimizer
    public let data: Dataset
    public let options: FitOptions
    /// The teacher of a distillation run.
    public let distillation: Distillation?
    /// The optimizer's learning rate when the run started (schedules scale this).
    public let baseLearningRate: Double
    public let batchesPerEpoch: Int
    public let stepsPerEpoch: Int
    public let totalSteps: Int
    public let totalEpochs: Int

    public internal(set) var steps: [StepRecord] = []
    public internal(set) var epochs: [EpochRecord] = []
    public internal(set) var stopReason: StopReason = .running
    /// The epoch with the lowest monitored loss so far (1-based).
    public internal(set) var bestEpoch: Int?
    /// Samples consumed by finished steps (all resumptions together).
    public internal(set) var sampleCount = 0
    /// Wall-clock seconds spent training (all resumptions together).
    public internal(set) var seconds: Double = 0
    /// Paths of the checkpoints written and still kept, oldest first.
    public internal(set) var checkpoints: [String] = []

    // Position: the next micro-batch to run.
    var epochIndex = 0          // 0-based epoch in progress
    var batchIndex = 0          // next batch within the epoch
    var epochLossSum = 0.0, epochCorrect = 0, epochSamples = 0, epochLabels = 0
    var epochStart = 0.0
    var bestMonitored = Double.infinity
    var bestWeights: WeightSnapshot?
    var epochsWithoutImprovement = 0
    var scaler: LossScaler?

    init(model: Module, optimizer: any Optimizer, data: Dataset, options: FitOptions, distillation: Distillation? = nil) throws {
        self.model = model
        self.distillation = distillation
        self.optimizer = optimizer
        self.data = data
        self.options = options
        self.baseLearningRate = optimizer.learningRate
        batchesPerEpoch = (data.count + options.batchSize - 1) / options.batchSize
        stepsPerEpoch = (batchesPerEpoch + options.accumulate - 1) / options.accumulate
        if let s = options.steps {
            totalSteps = s
            totalEpochs = (s + stepsPerEpoch - 1) / stepsPerEpoch
        } else {
            totalEpochs = options.epochs ?? 1
            totalSteps = totalEpochs * stepsPerEpoch
        }
        if options.precision == .float16 { scaler = LossScaler() }
    }

    /// Number of finished updates.
    public var stepCount: Int { steps.count }
    /// The validation loss of the best epoch (or of the last epoch without early stopping),
    /// nil without validation data.
    public var validationLoss: Double? {
        if let b = bestEpoch, let e = epochs.first(where: { $0.epoch == b }), let v = e.validationLoss { return v }
        return epochs.last?.validationLoss
    }
    /// True when `resume()` can continue (the run was interrupted).
    public var canResume: Bool {
        if case .interrupted = stopReason { return true }
        return false
    }

    /// Per-epoch columns, for tables and `plot(run.history, ["loss", "val_loss"])`:
    /// "epoch", "loss", "accuracy", "val_loss", "val_accuracy", "perplexity" and
    /// "val_perplexity" (sequence targets), "lr", "seconds" (columns without values are left out).
    public var history: [(name: String, values: [Double])] {
        var out: [(String, [Double])] = [
            ("epoch", epochs.map { Double($0.epoch) }),
            ("loss", epochs.map(\.loss)),
        ]
        if epochs.contains(where: { $0.accuracy != nil }) { out.append(("accuracy", epochs.map { $0.accuracy ?? .nan })) }
        if epochs.contains(where: { $0.validationLoss != nil }) { out.append(("val_loss", epochs.map { $0.validationLoss ?? .nan })) }
        if epochs.contains(where: { $0.validationAccuracy != nil }) { out.append(("val_accuracy", epochs.map { $0.validationAccuracy ?? .nan })) }
        if data.labels.rank >= 2 {
            // Sequence targets (next-token prediction): perplexity = exp(mean cross-entropy).
            out.append(("perplexity", epochs.map { exp($0.loss) }))
            if epochs.contains(where: { $0.validationLoss != nil }) {
                out.append(("val_perplexity", epochs.map { $0.validationLoss.map(exp) ?? .nan }))
            }
        }
        out.append(("lr", epochs.map(\.learningRate)))
        out.append(("seconds", epochs.map(\.seconds)))
        return out
    }

    /// Per-step columns: "step", "epoch", "loss", "lr" (and "grad_norm" with clipNorm).
    public var stepHistory: [(name: String, values: [Double])] {
        var out: [(String, [Double])] = [
            ("step", steps.map { Double($0.step) }),
            ("epoch", steps.map { Double($0.epoch) }),
            ("loss", steps.map(\.loss)),
            ("lr", steps.map(\.learningRate)),
        ]
        if steps.contains(where: { $0.gradNorm != nil }) { out.append(("grad_norm", steps.map { $0.gradNorm ?? .nan })) }
        return out
    }
}

/// What the live display shows while a run trains (sent after every step, at every
/// epoch's end and when the run stops; the receiver decides how often to redraw).
public struct FitProgress: Sendable {
    /// The run being trained (its history so far, for charts).
    public var run: Run
    public var step: Int
    public var totalSteps: Int
    public var epoch: Int
    public var totalEpochs: Int
    /// Loss of the latest step, and an exponential moving average for a steadier readout.
    public var loss: Double
    public var smoothedLoss: Double
    public var learningRate: Double
    public var samplesPerSecond: Double
    public var elapsed: Double
    /// Estimated seconds to the end (nil before the first step).
    public var remaining: Double?
    public var lastEpoch: EpochRecord?
    public var stopReason: StopReason
    /// True for epoch ends and the final report: receivers should not drop these.
    public var isMilestone: Bool
}
