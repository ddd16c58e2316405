import Glibc

/// A learning-rate schedule: the factor applied to a base learning rate at a step
/// (steps count from 0; step k is the lr used by the (k+1)-th update).
///
/// Formulas (`base` = base lr, `s` = step, negative steps count as 0):
/// - `constant`: `base`.
/// - `step(every:gamma:)`: `base * gamma^floor(s / every)` (torch `StepLR`, stepped per update; `every` < 1 counts as 1).
/// - `exponential(gamma:)`: `base * gamma^s` (torch `ExponentialLR`, stepped per update).
/// - `linear(warmup:total:)` (`total` defaults to the `totalSteps` argument), as HF `get_linear_schedule_with_warmup`:
///   `s < warmup`: `base * s / max(1, warmup)`; else `base * max(0, (total - s) / max(1, total - warmup))`.
/// - `cosine(warmup:total:minLR:)`, as HF `get_cosine_schedule_with_warmup` /
///   `get_cosine_with_min_lr_schedule_with_warmup` (half a cycle):
///   `s < warmup`: `base * s / max(1, warmup)` (from 0, not from minLR); else
///   `progress = min(1, (s - warmup) / max(1, total - warmup))`,
///   `lr = minLR + (base - minLR) * 0.5 * (1 + cos(pi * progress))`, floored at 0.
///   `total` defaults to the `totalSteps` argument. Unlike HF, progress is clamped at 1, so
///   steps past `total` stay at `minLR` instead of rising again.
///
///     let lr = Schedule.cosine(warmup: 100).learningRate(base: 3e-4, step: 500, totalSteps: 1000)
///     opt.learningRate = lr
public enum Schedule: Sendable, Equatable {
    case constant
    case step(every: Int, gamma: Double)
    case exponential(gamma: Double)
    case linear(warmup: Int, total: Int? = nil)
    case cosine(warmup: Int, total: Int? = nil, minLR: Double = 0)

    /// The learning rate at `step` (0-based) for a run of `totalSteps` updates.
    ///
    ///     Schedule.linear(warmup: 2, total: 10).learningRate(base: 1, step: 1, totalSteps: 10)   // 0.5
    public func learningRate(base: Double, step: Int, totalSteps: Int) -> Double {
        let s = Swift.max(step, 0)
        switch self {
        case .constant:
            return base
        case let .step(every, gamma):
            return base * pow(gamma, Double(s / Swift.max(every, 1)))
        case let .exponential(gamma):
            return base * pow(gamma, Double(s))
        case let .linear(warmup, total):
            if s < warmup { return base * (Double(s) / Double(Swift.max(1, warmup))) }
            let t = total ?? totalSteps
            return base * Swift.max(0, Double(t - s) / Double(Swift.max(1, t - warmup)))
        case let .cosine(warmup, total, minLR):
            if s < warmup { return base * (Double(s) / Double(Swift.max(1, warmup))) }
            let t = total ?? totalSteps
            let progress = Swift.min(1, Double(s - warmup) / Double(Swift.max(1, t - warmup)))
            let factor = 0.5 * (1 + cos(Double.pi * progress))
            // HF: factor * (1 - min_lr_rate) + min_lr_rate with min_lr_rate = minLR / base.
            let rate = base == 0 ? 0 : minLR / base
            return base * Swift.max(0, factor * (1 - rate) + rate)
        }
    }
}
