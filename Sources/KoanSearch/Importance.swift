import Foundation

/// How much each parameter mattered for reaching the best values: PED-ANOVA, Optuna 5's
/// default `get_param_importances` (`PedAnovaImportanceEvaluator` with its defaults: the top
/// 10% of complete trials against all of them, each parameter on a grid of at most 50 cells
/// with Scott's-rule Parzen estimators, conditional parameters per regime), normalised to
/// sum to 1 and sorted from the most important.
///
///     importance(study)   // [("lr", 0.81), ("dropout", 0.12), ("hidden", 0.07)]
public func importance(_ study: Study) -> [(name: String, importance: Double)] {
    let trials = study.trials.filter { $0.state == .complete && ($0.value?.isFinite ?? false) }
    var names: [String] = []
    for t in trials {
        for p in t.params where !names.contains(p.name) { names.append(p.name) }
    }
    var raw = Dictionary(uniqueKeysWithValues: names.map { ($0, 0.0) })
    if trials.count > 1 {
        let target = topQuantile(trials, direction: study.direction, quantile: 0.1)
        let targetNumbers = Set(target.map(\.number))
        let ratio = Double(target.count) / Double(trials.count)
        for name in names {
            for (distribution, regime) in regimes(name, trials) {
                guard let distribution, !distribution.isSingle else { continue }
                let targetRegime = regime.filter { targetNumbers.contains($0.number) }
                guard !targetRegime.isEmpty else { continue }
                let alpha = Double(targetRegime.count) / Double(target.count)
                let beta = Double(regime.count) / Double(trials.count)
                raw[name, default: 0] += alpha * alpha / beta * pearsonDivergence(name, distribution, top: targetRegime, region: regime)
            }
            raw[name, default: 0] *= ratio * ratio
        }
    }
    let total = raw.values.reduce(0, +)
    let normalised = names.map { ($0, total == 0 ? 1 / Double(names.count) : (raw[$0] ?? 0) / total) }
    return normalised.enumerated().sorted { a, b in a.element.1 != b.element.1 ? a.element.1 > b.element.1 : a.offset < b.offset }.map(\.element)
}

/// The trials whose value is at or better than the `quantile` cut (ties kept), as Optuna's
/// `_QuantileFilter`.
private func topQuantile(_ trials: [TrialRecord], direction: Direction, quantile: Double) -> [TrialRecord] {
    let sign = direction == .minimize ? 1.0 : -1.0
    let losses = trials.map { sign * ($0.value ?? .nan) }
    let cut = losses.sorted()[Int((quantile * Double(losses.count)).rounded(.up)) - 1]
    return zip(trials, losses).filter { $0.1 <= cut }.map(\.0)
}

/// The trials grouped by the distribution `name` had in them (nil: the trials without it),
/// groups of fewer than two trials left out.
private func regimes(_ name: String, _ trials: [TrialRecord]) -> [(Distribution?, [TrialRecord])] {
    var groups: [(Distribution?, [TrialRecord])] = []
    for t in trials {
        let d = t.param(name)?.distribution
        if let i = groups.firstIndex(where: { $0.0 == d }) { groups[i].1.append(t) } else { groups.append((d, [t])) }
    }
    return groups.filter { $0.1.count >= 2 }
}

/// Σ p_region · (p_top / p_region − 1)² over the grid of `name`'s values.
private func pearsonDivergence(_ name: String, _ d: Distribution, top: [TrialRecord], region: [TrialRecord]) -> Double {
    let pTop = GridParzen(name, d, top).pdf, pRegion = GridParzen(name, d, region).pdf
    var sum = 0.0
    for i in pTop.indices {
        let t = pTop[i] + 1e-12, r = pRegion[i] + 1e-12
        sum += r * (t / r - 1) * (t / r - 1)
    }
    return sum
}

/// A parameter's values counted on a grid (numbers: at most 50 cells, in log space for log
/// scales; choices: one cell each) and smoothed by a Parzen estimator with one prior kernel:
/// Optuna's `build_parzen_estimator_on_grid` and `ScottParzenEstimator`.
struct GridParzen {
    /// The estimator's probability of each grid cell.
    let pdf: [Double]

    init(_ name: String, _ d: Distribution, _ trials: [TrialRecord]) {
        let values = trials.compactMap { $0.param(name)?.internalValue }
        switch d {
        case let .categorical(choices):
            var counts = Array(repeating: 0, count: choices.count)
            for v in values { counts[min(max(Int(v), 0), choices.count - 1)] += 1 }
            pdf = GridParzen.categorical(counts)
        case let .float(low, high, log, step):
            let cells = step.map { min(Int(((high - low) / $0).rounded()) + 1, 50) } ?? 50
            pdf = GridParzen.numeric(GridParzen.counts(values, low: low, high: high, log: log, cells: cells))
        case let .int(low, high, log, step):
            let cells = log ? min(Int((Foundation.log(Double(high - low + 1)) / Foundation.log(2)).rounded(.up)) + 1, 50)
                            : min((high - low) / step + 1, 50)
            pdf = GridParzen.numeric(GridParzen.counts(values, low: Double(low), high: Double(high), log: log, cells: cells))
        }
    }

    /// How many values fall in each of `cells` cells spanning [low, high] (midpoint ties go
    /// to the lower cell).
    static func counts(_ values: [Double], low: Double, high: Double, log: Bool, cells: Int) -> [Int] {
        let lo = log ? Foundation.log(low) : low, hi = log ? Foundation.log(high) : high
        let width = (hi - lo) / Double(cells - 1)
        var counts = Array(repeating: 0, count: cells)
        for v in values {
            let x = log ? Foundation.log(v) : v
            let i = ((x - lo) / width - 0.5).rounded(.up)
            counts[Int(min(max(i, 0), Double(cells - 1)))] += 1
        }
        return counts
    }

    /// Kernels at the occupied cells weighted by their counts, each one Scott's-rule wide,
    /// and a prior kernel as wide as the grid; discrete normal masses on the cells.
    static func numeric(_ counts: [Int]) -> [Double] {
        let cells = counts.count
        let observed = counts.indices.filter { counts[$0] > 0 }
        let xs = observed.map(Double.init), ws = observed.map { Double(counts[$0]) }
        let wsum = ws.reduce(0, +)
        var cumulative: [Double] = []
        var acc = 0.0
        for w in ws { acc += w; cumulative.append(acc) }
        let mean = zip(xs, ws).map(*).reduce(0, +) / wsum
        var sigma = (zip(xs, ws).map { ($0 - mean) * ($0 - mean) * $1 }.reduce(0, +) / max(1, wsum - 1)).squareRoot()
        // np.searchsorted on the cumulative weights, with integer floor divisions as Optuna's.
        let q1Target = (wsum / 4).rounded(.down), q3Target = (wsum * 3 / 4).rounded(.down)
        let q1 = cumulative.firstIndex { $0 >= q1Target } ?? cumulative.count
        let q3 = cumulative.firstIndex { $0 > q3Target } ?? cumulative.count
        let iqr = xs[min(xs.count - 1, q3)] - xs[min(xs.count - 1, q1)]
        sigma = 1.059 * min(iqr / 1.34, sigma) * pow(wsum, -0.2)
        sigma = max(sigma, 0.5 / 1.64)
        let mus = xs + [Double(cells - 1) / 2]
        let sigmas = Array(repeating: sigma, count: xs.count) + [Double(cells)]
        let weights = (ws + [1]).map { $0 / (wsum + 1) }
        let low = -0.5, high = Double(cells) - 0.5
        return (0..<cells).map { cell in
            let x = Double(cell)
            var p = 0.0
            for k in mus.indices {
                let logMass = TruncatedNormal.logGaussMass((x - 0.5 - mus[k]) / sigmas[k], (x + 0.5 - mus[k]) / sigmas[k])
                    - TruncatedNormal.logGaussMass((low - mus[k]) / sigmas[k], (high - mus[k]) / sigmas[k])
                p += weights[k] * exp(logMass)
            }
            return p
        }
    }

    /// One kernel per observed choice (weighted by its count) and a uniform prior kernel.
    static func categorical(_ counts: [Int]) -> [Double] {
        let n = counts.count
        let observed = counts.indices.filter { counts[$0] > 0 }
        let wsum = Double(observed.reduce(0) { $0 + counts[$1] })
        // The kernel of choice c: 1/kernels on every choice and 1 more on c, normalised.
        let prior = 1 / Double(observed.count + 1)
        var pdf = Array(repeating: 0.0, count: n)
        for c in observed {
            let w = Double(counts[c]) / (wsum + 1)
            for j in 0..<n { pdf[j] += w * ((j == c ? 1 : 0) + prior) / (1 + Double(n) * prior) }
        }
        for j in 0..<n { pdf[j] += 1 / (wsum + 1) / Double(n) }
        return pdf
    }
}
