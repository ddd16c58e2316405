import Foundation
import KoanJSON

/// Decides, after a trial reports a value, whether to stop it (Optuna's `BasePruner`).
public protocol Pruner: AnyObject {
    func prune(_ study: Study, trial: Int) throws -> Bool
    var label: String { get }
}

/// Optuna's `MedianPruner`: once `startupTrials` trials are complete, stop a trial whose
/// best value so far is worse than the median of the complete trials' values at the same
/// step (after `warmupSteps`, every `intervalSteps`).
public final class MedianPruner: Pruner {
    public let startupTrials: Int
    public let warmupSteps: Int
    public let intervalSteps: Int
    public let minTrials: Int
    /// 50: the median. Optuna's MedianPruner is its PercentilePruner at 50; other
    /// percentiles are kept internal (the goldens check them too).
    let percentile: Double

    public convenience init(startupTrials: Int = 5, warmupSteps: Int = 0, intervalSteps: Int = 1, minTrials: Int = 1) throws {
        try self.init(percentile: 50, startupTrials: startupTrials, warmupSteps: warmupSteps, intervalSteps: intervalSteps, minTrials: minTrials)
    }

    /// Optuna's `PercentilePruner(percentile, ...)`: keeps the trials in the best
    /// `percentile` per cent at each step.
    init(percentile: Double, startupTrials: Int = 5, warmupSteps: Int = 0, intervalSteps: Int = 1, minTrials: Int = 1) throws {
        guard startupTrials >= 0, warmupSteps >= 0, intervalSteps >= 1, minTrials >= 1 else {
            throw SearchError.space("the median pruner needs startupTrials ≥ 0, warmupSteps ≥ 0, intervalSteps ≥ 1 and minTrials ≥ 1")
        }
        guard percentile >= 0, percentile <= 100 else { throw SearchError.space("percentile must be in [0, 100], got \(percentile)") }
        self.percentile = percentile
        self.startupTrials = startupTrials
        self.warmupSteps = warmupSteps
        self.intervalSteps = intervalSteps
        self.minTrials = minTrials
    }

    public var label: String { "median" }

    public func prune(_ study: Study, trial index: Int) throws -> Bool {
        let complete = study.trials.filter { $0.state == .complete }
        guard !complete.isEmpty, complete.count >= startupTrials else { return false }
        let trial = study.trials[index]
        guard let step = trial.lastStep, step >= warmupSteps else { return false }
        // Only the first report in each interval is judged.
        let nearestLower = (step - warmupSteps) / intervalSteps * intervalSteps + warmupSteps
        let secondLast = trial.intermediate.keys.filter { $0 != step }.max() ?? -1
        guard secondLast < nearestLower else { return false }
        let mine = trial.intermediate.values.filter { !$0.isNaN }
        guard !mine.isEmpty else { return true }
        let best = study.direction == .minimize ? mine.min()! : mine.max()!
        let others = complete.compactMap { $0.intermediate[step] }.filter { !$0.isNaN }
        guard complete.compactMap({ $0.intermediate[step] }).count >= minTrials, !others.isEmpty else { return false }
        // Maximizing, the best p per cent are above the (100 − p)th percentile.
        let threshold = MedianPruner.percentile(others, study.direction == .maximize ? 100 - percentile : percentile)
        return study.direction == .minimize ? best > threshold : best < threshold
    }

    /// NumPy's default (linear) percentile, interpolated as NumPy's `_lerp` does
    /// (from the upper neighbour when the fraction is ½ or more).
    static func percentile(_ values: [Double], _ q: Double) -> Double {
        let s = values.sorted()
        let pos = Double(s.count - 1) * (q / 100)
        let lo = Int(pos.rounded(.down)), hi = min(lo + 1, s.count - 1)
        let t = pos - Double(lo)
        let diff = s[hi] - s[lo]
        return t >= 0.5 ? s[hi] - diff * (1 - t) : s[lo] + diff * t
    }
}

/// Optuna's `SuccessiveHalvingPruner` (asynchronous successive halving): rungs at
/// minResource·rᵏ steps; at each rung a trial goes on only if its value is in the best
/// 1/r of the values trials have reached that rung with (the first trials: if it is the best).
public final class SuccessiveHalvingPruner: Pruner {
    /// nil: estimated as Optuna's "auto" (the longest complete trial's last step ÷ 100, at
    /// least 1, when the pruner is first asked with a complete trial in the study).
    public let minResource: Int?
    /// The "auto" estimate, made once: Optuna keeps the first estimate for the pruner's life.
    private(set) var estimatedMinResource: Int?
    public let reductionFactor: Int
    public let minEarlyStoppingRate: Int

    public init(minResource: Int? = nil, reductionFactor: Int = 4, minEarlyStoppingRate: Int = 0) throws {
        if let m = minResource, m < 1 { throw SearchError.space("minResource must be ≥ 1, got \(m)") }
        guard reductionFactor >= 2 else { throw SearchError.space("reductionFactor must be ≥ 2, got \(reductionFactor)") }
        guard minEarlyStoppingRate >= 0 else { throw SearchError.space("minEarlyStoppingRate must be ≥ 0") }
        self.minResource = minResource
        self.reductionFactor = reductionFactor
        self.minEarlyStoppingRate = minEarlyStoppingRate
    }

    public var label: String { "successive halving" }

    static func rungKey(_ rung: Int) -> String { "completed_rung_\(rung)" }

    public func prune(_ study: Study, trial index: Int) throws -> Bool {
        let trial = study.trials[index]
        guard let step = trial.lastStep, let value = trial.intermediate[step] else { return false }
        var rung = 0
        while trial.systemAttributes[SuccessiveHalvingPruner.rungKey(rung)] != nil { rung += 1 }
        let resource: Int
        if let minResource {
            resource = minResource
        } else if let estimatedMinResource {
            resource = estimatedMinResource
        } else {
            let steps = study.trials.filter { $0.state == .complete }.compactMap(\.lastStep)
            guard let longest = steps.max() else { return false }
            resource = max(longest / 100, 1)
            estimatedMinResource = resource
        }
        while true {
            let promotion = resource * Int(pow(Double(reductionFactor), Double(minEarlyStoppingRate + rung)))
            if step < promotion { return false }
            if value.isNaN { return true }
            let key = SuccessiveHalvingPruner.rungKey(rung)
            try study.setSystemAttribute(index, key, .number(.double(value)))
            // Every trial's value at this rung, this trial's included.
            var competing = study.trials.compactMap { $0.systemAttributes[key]?.double }
            competing.sort()
            var promotable = competing.count / reductionFactor - 1
            if promotable == -1 { promotable = 0 }
            let promoted = study.direction == .minimize ? value <= competing[promotable] : value >= competing[competing.count - 1 - promotable]
            if !promoted { return true }
            rung += 1
        }
    }
}
