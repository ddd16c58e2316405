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
        let trials = study.trials.enumerated().filter { i, t in
            i != trial && (t.state == .complete || t.state == .pruned || t.state == .running)
        }.map(\.element)
        let n = trials.count { $0.state != .running }
        let (below, above) = TPESampler.split(trials, direction: study.direction, below: min(Int((0.1 * Double(n)).rounded(.up)), 25))
        let good = ParzenEstimator(observations(below, space), space, priorWeight: priorWeight)
        let bad = ParzenEstimator(observations(above, space), space, priorWeight: priorWeight)
        let drawn = good.sample(&rng, candidates)
        let score = zip(good.logPDF(drawn), bad.logPDF(drawn)).map { $0 - $1 }
        var best = 0
        for i in score.indices where score[i] > score[best] { best = i }
        var out: [String: Double] = [:]
        for (j, p) in space.enumerated() { out[p.name] = drawn[best][j] }
        return out
    }

    /// Internal values of `space` in each trial that has all of its parameters.
    private func observations(_ trials: [TrialRecord], _ space: [(name: String, distribution: Distribution)]) -> [[Double]] {
        trials.compactMap { t in
            var row: [Double] = []
            for (name, d) in space {
                guard let p = t.param(name), let x = d.toInternal(p.value) else { return nil }
                row.append(x)
            }
            return row
        }
    }

    /// The good trials (the best `below`: complete ones by value, then pruned ones by the
    /// last step they reached and the value there) and the rest, each in trial order.
    static func split(_ trials: [TrialRecord], direction: Direction, below nBelow: Int) -> (below: [TrialRecord], above: [TrialRecord]) {
        let sign = direction == .minimize ? 1.0 : -1.0
        let complete = trials.filter { $0.state == .complete }.sorted { sign * ($0.value ?? .infinity) < sign * ($1.value ?? .infinity) }
        func prunedScore(_ t: TrialRecord) -> (Double, Double) {
            guard let step = t.lastStep, let v = t.intermediate[step] else { return (1, 0) }
            return (-Double(step), v.isNaN ? .infinity : sign * v)
        }
        let pruned = trials.filter { $0.state == .pruned }.sorted { prunedScore($0) < prunedScore($1) }
        let running = trials.filter { $0.state == .running }
        let takeComplete = min(nBelow, complete.count)
        let takePruned = min(max(0, nBelow - takeComplete), pruned.count)
        let below = Array(complete.prefix(takeComplete)) + Array(pruned.prefix(takePruned))
        let above = Array(complete.dropFirst(takeComplete)) + Array(pruned.dropFirst(takePruned)) + running
        return (below.sorted { $0.number < $1.number }, above.sorted { $0.number < $1.number })
    }
}

/// A mixture of product kernels over a search space: one component per observation plus
/// the prior, as Optuna 5's `_ParzenEstimator`.
struct ParzenEstimator {
    enum Kernel {
        /// Per component, the probabilities of the choices.
        case categorical([[Double]])
        /// Truncated normals in the transformed space (log for log scales), on
        /// [low, high] widened by half a step for discrete values.
        case numeric(mus: [Double], sigmas: [Double], low: Double, high: Double, step: Double, log: Bool,
                     valueLow: Double, valueHigh: Double)
    }

    let weights: [Double]
    let kernels: [Kernel]

    init(_ observations: [[Double]], _ space: [(name: String, distribution: Distribution)], priorWeight: Double) {
        let n = observations.count
        var w: [Double]
        if n == 0 {
            w = [1]
        } else {
            w = ParzenEstimator.defaultWeights(n) + [priorWeight]
        }
        let total = w.reduce(0, +)
        weights = w.map { $0 / total }
        kernels = space.enumerated().map { j, p in
            ParzenEstimator.kernel(observations.map { $0[j] }, p.distribution, priorWeight: priorWeight)
        }
    }

    /// Optuna's `default_weights`: all ones below 25 observations, else a ramp from 1/n
    /// for the oldest n − 25 and ones for the newest 25.
    static func defaultWeights(_ n: Int) -> [Double] {
        if n < 25 { return Array(repeating: 1, count: n) }
        let m = n - 25
        let start = 1 / Double(n)
        let ramp: [Double] = m == 1 ? [start] : (0..<m).map { start + Double($0) * (1 - start) / Double(m - 1) }
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
                return s == 0 ? row : row.map { $0 / s }
            }
            return .categorical(rows)
        case let .float(low, high, log, step):
            return numeric(xs, low: low, high: high, step: step ?? 0, log: log)
        case let .int(low, high, log, step):
            return numeric(xs, low: Double(low), high: Double(high), step: Double(step), log: log)
        }
    }

    private static func numeric(_ xs: [Double], low valueLow: Double, high valueHigh: Double, step: Double, log: Bool) -> Kernel {
        var low = valueLow - step / 2, high = valueHigh + step / 2
        var mus = xs
        if log {
            low = Foundation.log(low); high = Foundation.log(high)
            mus = mus.map { Foundation.log($0) }
        }
        // Each kernel as wide as the larger gap to its neighbours (the bounds count as
        // neighbours, except for the outermost kernels), clipped to [range/min(100, n+2), range].
        let order = mus.indices.sorted { mus[$0] < mus[$1] }
        let sorted = [low] + order.map { mus[$0] } + [high]
        var sortedSigmas: [Double] = []
        for i in 1..<(sorted.count - 1) {
            let left: Double = sorted[i] - sorted[i - 1], right: Double = sorted[i + 1] - sorted[i]
            sortedSigmas.append(max(left, right))
        }
        if sorted.count >= 4 {
            sortedSigmas[0] = sorted[2] - sorted[1]
            sortedSigmas[sortedSigmas.count - 1] = sorted[sorted.count - 2] - sorted[sorted.count - 3]
        }
        var sigmas = Array(repeating: 0.0, count: mus.count)
        for (rank, i) in order.enumerated() { sigmas[i] = sortedSigmas[rank] }
        let maxSigma = high - low
        let minSigma = (high - low) / min(100, Double(xs.count + 2))
        sigmas = sigmas.map { min(max($0, minSigma), maxSigma) }
        mus.append(0.5 * (low + high))
        sigmas.append(high - low)
        return .numeric(mus: mus, sigmas: sigmas, low: low, high: high, step: step, log: log, valueLow: valueLow, valueHigh: valueHigh)
    }

    /// `count` draws, each a row of internal values in the order of the space.
    func sample(_ rng: inout SearchRandom, _ count: Int) -> [[Double]] {
        var cumulative: [Double] = []
        var acc = 0.0
        for w in weights { acc += w; cumulative.append(acc) }
        return (0..<count).map { _ in
            let u = rng.uniform() * acc
            let component = min(cumulative.firstIndex { u < $0 } ?? (weights.count - 1), weights.count - 1)
            return kernels.map { kernel in
                switch kernel {
                case .categorical(let rows):
                    let row = rows[min(component, rows.count - 1)]
                    let q = rng.uniform()
                    var c = 0.0
                    for (i, p) in row.enumerated() {
                        c += p
                        if q < c { return Double(i) }
                    }
                    return Double(row.count - 1)
                case let .numeric(mus, sigmas, low, high, step, log, valueLow, valueHigh):
                    var x = TruncatedNormal.sample(u: rng.uniform(), mu: mus[component], sigma: sigmas[component], low: low, high: high)
                    if log { x = Foundation.exp(x) }
                    if step > 0 { x = min(max(valueLow + ((x - valueLow) / step).rounded(.toNearestOrEven) * step, valueLow), valueHigh) }
                    return x
                }
            }
        }
    }

    /// log of the mixture density at each row (up to the same Jacobian in both estimators).
    func logPDF(_ rows: [[Double]]) -> [Double] {
        rows.map { row in
            var terms = weights.map { Foundation.log($0) }
            for (j, kernel) in kernels.enumerated() {
                let x = row[j]
                switch kernel {
                case .categorical(let rows):
                    for k in terms.indices { terms[k] += Foundation.log(rows[min(k, rows.count - 1)][Int(x)]) }
                case let .numeric(mus, sigmas, low, high, step, log, _, _):
                    for k in terms.indices {
                        let mu = mus[k], sigma = sigmas[k]
                        if step == 0 {
                            terms[k] += TruncatedNormal.logPDF(log ? Foundation.log(x) : x, mu: mu, sigma: sigma, low: low, high: high)
                        } else {
                            let left = log ? Foundation.log(x - step / 2) : x - step / 2
                            let right = log ? Foundation.log(x + step / 2) : x + step / 2
                            terms[k] += TruncatedNormal.logMass((left - mu) / sigma, (right - mu) / sigma)
                                - TruncatedNormal.logMass((low - mu) / sigma, (high - mu) / sigma)
                        }
                    }
                }
            }
            let m = terms.max() ?? 0
            let shift = m.isFinite ? m : 0
            return Foundation.log(terms.reduce(0) { $0 + Foundation.exp($1 - shift) }) + shift
        }
    }
}
