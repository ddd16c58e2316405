import Foundation

/// The tree-structured Parzen estimator, with the defaults of Optuna 5's `TPESampler`:
/// 10 random start-up trials; then the finished trials split into the best γ(n) =
/// min(⌈0.1·n⌉, 25) and the rest, a Parzen estimator fitted to each (one truncated-normal
/// or categorical kernel per trial plus a prior kernel; the newest 25 trials weigh fully,
/// older ones on a ramp), 24 candidates drawn from the good one, and the candidate with
/// the largest log l(x) − log g(x) taken. Multivariate by default (the parameters every
/// finished trial shares are drawn jointly); pruned trials rank after complete ones, by
/// how far they got; running trials count as bad (Optuna's constant liar).
public final class TPESampler: Sampler {
    public let startupTrials: Int
    public let candidates: Int
    public let multivariate: Bool
    public let priorWeight: Double
    private var rng: SearchRandom
    private let random: RandomSampler

    public init(seed: UInt64, startupTrials: Int = 10, candidates: Int = 24, multivariate: Bool = true, priorWeight: Double = 1) throws {
        guard startupTrials >= 0 else { throw SearchError.space("startupTrials must be ≥ 0, got \(startupTrials)") }
        guard candidates >= 1 else { throw SearchError.space("candidates must be ≥ 1, got \(candidates)") }
        guard priorWeight > 0, priorWeight.isFinite else { throw SearchError.space("priorWeight must be positive, got \(priorWeight)") }
        self.startupTrials = startupTrials
        self.candidates = candidates
        self.multivariate = multivariate
        self.priorWeight = priorWeight
        rng = SearchRandom(seed: seed)
        random = RandomSampler(seed: seed &+ 0x5EED)
    }

    public var label: String { multivariate ? "TPE (multivariate)" : "TPE" }

    private func finished(_ study: Study) -> [TrialRecord] {
        study.trials.filter { $0.state == .complete || $0.state == .pruned }
    }

    /// The parameters with the same distribution in every finished trial, by name (Optuna's
    /// `IntersectionSearchSpace(include_pruned=True)`), less those with a single value.
    public func relativeSpace(_ study: Study) -> [(name: String, distribution: Distribution)] {
        guard multivariate else { return [] }
        var space: [String: Distribution]?
        for t in finished(study) {
            let own = Dictionary(t.params.map { ($0.name, $0.distribution) }, uniquingKeysWith: { a, _ in a })
            if let current = space {
                space = current.filter { own[$0.key] == $0.value }
            } else {
                space = own
            }
        }
        return (space ?? [:]).filter { !$0.value.isSingle }.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    public func sampleRelative(_ study: Study, trial: Int, space: [(name: String, distribution: Distribution)]) throws -> [String: Double] {
        guard !space.isEmpty, finished(study).count >= startupTrials else { return [:] }
        return sample(study, trial: trial, space: space)
    }

    public func sampleIndependent(_ study: Study, trial: Int, name: String, distribution: Distribution) throws -> Double {
        if finished(study).count < startupTrials { return random.draw(distribution) }
        return sample(study, trial: trial, space: [(name, distribution)])[name] ?? random.draw(distribution)
    }

    private func sample(_ study: Study, trial: Int, space: [(name: String, distribution: Distribution)]) -> [String: Double] {
        let (good, bad) = estimators(study.trials, current: study.trials[trial].number, direction: study.direction, space: space)
        let drawn = good.sample(&rng, candidates)
        let best = TPESampler.argmax(TPESampler.acquisition(drawn, below: good, above: bad))
        var out: [String: Double] = [:]
        for (j, p) in space.enumerated() { out[p.name] = drawn[best][j] }
        return out
    }

    /// The Parzen estimators l (the good trials) and g (the rest) for sampling trial
    /// `current` (Optuna's `_sample` with the constant liar: complete, pruned and other
    /// running trials; γ counts the finished ones).
    func estimators(_ all: [TrialRecord], current: Int, direction: Direction,
                    space: [(name: String, distribution: Distribution)]) -> (below: ParzenEstimator, above: ParzenEstimator) {
        let (below, above) = TPESampler.splitForSampling(all, current: current, direction: direction)
        return (ParzenEstimator(TPESampler.observations(below, space), space, priorWeight: priorWeight),
                ParzenEstimator(TPESampler.observations(above, space), space, priorWeight: priorWeight))
    }

    /// The trials `_sample` passes to `_split_trials` for trial `current` (its number), and
    /// the split with Optuna's `default_gamma`.
    static func splitForSampling(_ all: [TrialRecord], current: Int, direction: Direction) -> (below: [TrialRecord], above: [TrialRecord]) {
        let trials = all.filter { t in
            t.number != current && (t.state == .complete || t.state == .pruned || t.state == .running)
        }
        let n = trials.count { $0.state != .running }
        return split(trials, direction: direction, below: gamma(n))
    }

    /// Optuna's `default_gamma`: min(⌈0.1·n⌉, 25).
    static func gamma(_ n: Int) -> Int { min(Int((0.1 * Double(n)).rounded(.up)), 25) }

    /// log l(x) − log g(x) for each candidate (`_compute_acquisition_func`).
    static func acquisition(_ candidates: [[Double]], below: ParzenEstimator, above: ParzenEstimator) -> [Double] {
        zip(below.logPDF(candidates), above.logPDF(candidates)).map { $0 - $1 }
    }

    /// The first index of the largest value (`np.argmax`: a NaN wins).
    static func argmax(_ values: [Double]) -> Int {
        var best = 0
        for i in values.indices {
            if values[i].isNaN { return i }
            if values[i] > values[best] { best = i }
        }
        return best
    }

    /// Internal values of `space` in each trial that has all of its parameters (Optuna's
    /// `_get_internal_repr`: `to_internal_repr` of the value, not checked against the bounds).
    static func observations(_ trials: [TrialRecord], _ space: [(name: String, distribution: Distribution)]) -> [[Double]] {
        trials.compactMap { t in
            var row: [Double] = []
            for (name, d) in space {
                guard let p = t.param(name), let x = d.internalRepr(p.value) else { return nil }
                row.append(x)
            }
            return row
        }
    }

    /// The good trials (the best `below`: complete ones by value, then pruned ones by the
    /// last step they reached and the value there) and the rest, each in trial order
    /// (Optuna's `_split_trials`; ties keep the order of `trials`, as Python's stable sort).
    static func split(_ trials: [TrialRecord], direction: Direction, below nBelow: Int) -> (below: [TrialRecord], above: [TrialRecord]) {
        func stableSorted<K: Comparable>(_ xs: [TrialRecord], by key: (TrialRecord) -> K) -> [TrialRecord] {
            xs.enumerated().map { (key($0.element), $0.offset, $0.element) }
                .sorted { ($0.0, $0.1) < ($1.0, $1.1) }.map(\.2)
        }
        let sign = direction == .minimize ? 1.0 : -1.0
        // Python sorts by value (reverse=True when maximizing, which keeps ties in order).
        let complete = stableSorted(trials.filter { $0.state == .complete }) { sign * ($0.value ?? .infinity) }
        func prunedScore(_ t: TrialRecord) -> PrunedScore {
            guard let step = t.lastStep, let v = t.intermediate[step] else { return PrunedScore(step: 1, value: 0) }
            return PrunedScore(step: -Double(step), value: v.isNaN ? .infinity : sign * v)
        }
        let pruned = stableSorted(trials.filter { $0.state == .pruned }, by: prunedScore)
        let running = trials.filter { $0.state == .running }
        let takeComplete = min(max(0, nBelow), complete.count)
        let takePruned = min(max(0, nBelow - takeComplete), pruned.count)
        let below = Array(complete.prefix(takeComplete)) + Array(pruned.prefix(takePruned))
        let above = Array(complete.dropFirst(takeComplete)) + Array(pruned.dropFirst(takePruned)) + running
        return (stableSorted(below, by: \.number), stableSorted(above, by: \.number))
    }

    /// `_get_pruned_trial_score`: (−last step, value there), compared as Python tuples.
    struct PrunedScore: Comparable {
        let step: Double
        let value: Double
        static func < (a: PrunedScore, b: PrunedScore) -> Bool { a.step != b.step ? a.step < b.step : a.value < b.value }
    }
}

/// A mixture of product kernels over a search space: one component per observation plus
/// the prior, as Optuna 5's `_ParzenEstimator` with the `_ParzenEstimatorParameters`
/// `TPESampler` builds (prior weight 1, magic clip on, endpoints not considered,
/// `default_weights`). Checked against Optuna by `tools/goldens/search.py`.
struct ParzenEstimator {
    enum Kernel {
        /// Per component, the probabilities of the choices.
        case categorical([[Double]])
        /// Truncated normals in the transformed space (log for log scales), on
        /// [low, high] widened by half a step for discrete values (Optuna's adapted bounds).
        case numeric(mus: [Double], sigmas: [Double], low: Double, high: Double, step: Double, log: Bool,
                     valueLow: Double, valueHigh: Double)
    }

    let weights: [Double]
    let kernels: [Kernel]

    init(_ observations: [[Double]], _ space: [(name: String, distribution: Distribution)], priorWeight: Double) {
        let n = observations.count
        let w = n == 0 ? [1] : ParzenEstimator.defaultWeights(n) + [priorWeight]
        let total = w.reduce(0, +)
        weights = w.map { $0 / total }
        kernels = space.enumerated().map { j, p in
            ParzenEstimator.kernel(observations.map { $0[j] }, p.distribution, priorWeight: priorWeight)
        }
    }

    /// Optuna's `default_weights`: all ones below 25 observations, else
    /// `np.linspace(1/n, 1, n − 25)` for the oldest n − 25 and ones for the newest 25.
    static func defaultWeights(_ n: Int) -> [Double] {
        if n < 25 { return Array(repeating: 1, count: n) }
        let m = n - 25
        let start = 1.0 / Double(n)
        var ramp: [Double]
        if m == 0 {
            ramp = []
        } else if m == 1 {
            ramp = [start]
        } else {
            // As np.linspace: i·step + start, step = (stop − start)/(num − 1), the last one exactly stop.
            let step = (1.0 - start) / Double(m - 1)
            ramp = (0..<m).map { Double($0) * step + start }
            ramp[m - 1] = 1
        }
        return ramp + Array(repeating: 1, count: 25)
    }

    static func kernel(_ xs: [Double], _ d: Distribution, priorWeight: Double) -> Kernel {
        switch d {
        case let .categorical(choices):
            let k = choices.count
            if xs.isEmpty { return .categorical([Array(repeating: 1 / Double(k), count: k)]) }
            let kernels = xs.count + 1
            var rows = Array(repeating: Array(repeating: priorWeight / Double(kernels), count: k), count: kernels)
            for (i, x) in xs.enumerated() { rows[i][Int(x)] += 1 }
            rows = rows.map { row in
                let s = row.reduce(0, +)
                return row.map { $0 / (s == 0 ? 1 : s) }
            }
            return .categorical(rows)
        case let .float(low, high, log, step):
            return numeric(xs, low: low, high: high, step: step ?? 0, log: log)
        case let .int(low, high, log, step):
            return numeric(xs, low: Double(low), high: Double(high), step: Double(step), log: log)
        }
    }

    /// `_calculate_numerical_distributions`.
    private static func numeric(_ xs: [Double], low valueLow: Double, high valueHigh: Double, step: Double, log: Bool) -> Kernel {
        var low = valueLow, high = valueHigh
        if step != 0 { low -= step / 2; high += step / 2 }
        var mus = xs
        if log {
            low = Foundation.log(low); high = Foundation.log(high)
            mus = mus.map { Foundation.log($0) }
        }
        // Each kernel as wide as the larger gap to its neighbours (the bounds count as
        // neighbours, except for the outermost kernels), clipped to [range/min(100, n+2), range].
        // Equal observations take the sorted widths in index order (NumPy's argsort leaves
        // their order unspecified; with equal weights the mixture is the same).
        let order = mus.indices.sorted { (mus[$0], $0) < (mus[$1], $1) }
        let sorted = [low] + order.map { mus[$0] } + [high]
        var sortedSigmas: [Double] = []
        for i in 1..<(sorted.count - 1) {
            let left: Double = sorted[i] - sorted[i - 1], right: Double = sorted[i + 1] - sorted[i]
            sortedSigmas.append(Swift.max(left, right))
        }
        if sorted.count >= 4 {
            sortedSigmas[0] = sorted[2] - sorted[1]
            sortedSigmas[sortedSigmas.count - 1] = sorted[sorted.count - 2] - sorted[sorted.count - 3]
        }
        var sigmas = Array(repeating: 0.0, count: mus.count)
        for (rank, i) in order.enumerated() { sigmas[i] = sortedSigmas[rank] }
        let maxSigma = high - low
        let nKernels = Double(xs.count + 1)
        let minSigma = (high - low) / Swift.min(100.0, 1.0 + nKernels)
        sigmas = sigmas.map { Swift.min(Swift.max($0, minSigma), maxSigma) }
        mus.append(0.5 * (low + high))
        sigmas.append(high - low)
        return .numeric(mus: mus, sigmas: sigmas, low: low, high: high, step: step, log: log, valueLow: valueLow, valueHigh: valueHigh)
    }

    /// `count` draws, each a row of internal values in the order of the space
    /// (`_MixtureOfProductDistribution.sample`, with this sampler's random stream).
    func sample(_ rng: inout SearchRandom, _ count: Int) -> [[Double]] {
        var cumulative: [Double] = []
        var acc = 0.0
        for w in weights { acc += w; cumulative.append(acc) }
        return (0..<count).map { _ in
            let u = rng.uniform() * acc
            let component = Swift.min(cumulative.firstIndex { u < $0 } ?? (weights.count - 1), weights.count - 1)
            return kernels.map { kernel in
                switch kernel {
                case .categorical(let rows):
                    // The number of cumulative probabilities below the quantile (the last one taken as 1).
                    let row = rows[Swift.min(component, rows.count - 1)]
                    let q = rng.uniform()
                    var c = 0.0, index = 0
                    for (i, p) in row.enumerated() {
                        c = i == row.count - 1 ? 1 : c + p
                        if c < q { index += 1 }
                    }
                    return Double(index)
                case let .numeric(mus, sigmas, low, high, step, log, valueLow, valueHigh):
                    let mu = mus[component], sigma = sigmas[component]
                    var x = TruncatedNormal.rvs(u: rng.uniform(), a: (low - mu) / sigma, b: (high - mu) / sigma, loc: mu, scale: sigma)
                    if log { x = Foundation.exp(x) }
                    if step > 0 {
                        x = Swift.min(Swift.max(valueLow + ((x - valueLow) / step).rounded(.toNearestOrEven) * step, valueLow), valueHigh)
                    } else {
                        // Optuna does not clip here; a value an ulp outside the bounds would be
                        // rejected when the trial takes it, so it is clipped.
                        x = Swift.min(Swift.max(x, valueLow), valueHigh)
                    }
                    return x
                }
            }
        }
    }

    /// log of the mixture density at each row (up to the same Jacobian in both estimators),
    /// as `_MixtureOfProductDistribution.log_pdf`: categorical and discrete terms in the
    /// order of the space, then the continuous ones summed, then the log weights.
    func logPDF(_ rows: [[Double]]) -> [Double] {
        rows.map { row in
            var terms = Array(repeating: 0.0, count: weights.count)
            var continuous = Array(repeating: 0.0, count: weights.count)
            var anyContinuous = false
            for (j, kernel) in kernels.enumerated() {
                let x = row[j]
                switch kernel {
                case .categorical(let rows):
                    for k in terms.indices { terms[k] += Foundation.log(rows[Swift.min(k, rows.count - 1)][Int(x)]) }
                case let .numeric(mus, sigmas, low, high, step, log, _, _):
                    if step == 0 {
                        anyContinuous = true
                        let xt = log ? Foundation.log(x) : x
                        for k in terms.indices {
                            let mu = mus[k], sigma = sigmas[k]
                            continuous[k] += TruncatedNormal.logPDF(xt, a: (low - mu) / sigma, b: (high - mu) / sigma, loc: mu, scale: sigma)
                        }
                    } else {
                        let left = log ? Foundation.log(x - step / 2) : x - step / 2
                        let right = log ? Foundation.log(x + step / 2) : x + step / 2
                        for k in terms.indices {
                            let mu = mus[k], sigma = sigmas[k]
                            terms[k] += TruncatedNormal.logGaussMass((left - mu) / sigma, (right - mu) / sigma)
                            terms[k] -= TruncatedNormal.logGaussMass((low - mu) / sigma, (high - mu) / sigma)
                        }
                    }
                }
            }
            for k in terms.indices {
                if anyContinuous { terms[k] += continuous[k] }
                terms[k] += Foundation.log(weights[k])
            }
            var m = terms.max() ?? 0
            if m == -.infinity { m = 0 }
            return Foundation.log(terms.reduce(0) { $0 + Foundation.exp($1 - m) }) + m
        }
    }
}
