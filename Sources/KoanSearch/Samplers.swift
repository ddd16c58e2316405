import Foundation

/// Proposes parameters, as Optuna's `BaseSampler`: some together at a trial's start (the
/// relative space), the rest one at a time when the objective asks for them.
public protocol Sampler: AnyObject {
    /// Called once when a study opens (after its stored trials are loaded).
    func prepare(_ study: Study) throws
    /// The parameters to sample together at a trial's start.
    func relativeSpace(_ study: Study) -> [(name: String, distribution: Distribution)]
    /// Internal values for `space`, for trial `trial`.
    func sampleRelative(_ study: Study, trial: Int, space: [(name: String, distribution: Distribution)]) throws -> [String: Double]
    /// An internal value for one parameter.
    func sampleIndependent(_ study: Study, trial: Int, name: String, distribution: Distribution) throws -> Double
    /// Whether there is nothing left to propose (a grid sampler that visited every point).
    func isExhausted(_ study: Study) -> Bool
    /// How the study's display names it: "TPE", "random", "grid".
    var label: String { get }
}

extension Sampler {
    public func prepare(_ study: Study) throws {}
    public func relativeSpace(_ study: Study) -> [(name: String, distribution: Distribution)] { [] }
    public func sampleRelative(_ study: Study, trial: Int, space: [(name: String, distribution: Distribution)]) throws -> [String: Double] { [:] }
    public func isExhausted(_ study: Study) -> Bool { false }
}

/// Independent uniform draws (log-uniform on a log scale, uniform over the grid of a step).
public final class RandomSampler: Sampler {
    var rng: SearchRandom
    public init(seed: UInt64) { rng = SearchRandom(seed: seed) }
    public var label: String { "random" }

    public func sampleIndependent(_ study: Study, trial: Int, name: String, distribution: Distribution) throws -> Double {
        draw(distribution)
    }

    func draw(_ d: Distribution) -> Double {
        switch d {
        case let .float(low, high, log, step):
            if let step {
                let n = Int(((high - low) / step).rounded())
                return low + Double(rng.below(n + 1)) * step
            }
            if log { return Foundation.exp(Foundation.log(low) + rng.uniform() * (Foundation.log(high) - Foundation.log(low))) }
            return low + rng.uniform() * (high - low)
        case let .int(low, high, log, step):
            if log {
                let x = Foundation.exp(Foundation.log(Double(low) - 0.5) + rng.uniform() * (Foundation.log(Double(high) + 0.5) - Foundation.log(Double(low) - 0.5)))
                return min(max(x.rounded(), Double(low)), Double(high))
            }
            return Double(low + rng.below((high - low) / step + 1) * step)
        case let .categorical(choices):
            return Double(rng.below(choices.count))
        }
    }
}

/// Every point of the declared space once, in an order shuffled by the seed (as Optuna's
/// `GridSampler`); the study ends when the grid is done. Every declared parameter needs a
/// finite set of values: `.choice`, `.int`, or `.uniform` with a step.
public final class GridSampler: Sampler {
    private var rng: SearchRandom
    private var grid: [[(name: String, distribution: Distribution, value: ParamValue)]] = []
    private var order: [Int] = []
    public var label: String { "grid" }
    public var size: Int { grid.count }

    public init(seed: UInt64) { rng = SearchRandom(seed: seed) }

    public func prepare(_ study: Study) throws {
        var points: [[(name: String, distribution: Distribution, value: ParamValue)]] = [[]]
        for (name, d) in study.space {
            guard let values = d.gridPoints else {
                throw SearchError.space("grid search needs a finite set of values for '\(name)': use .choice([...]), .int(low, high) or .uniform(low, high, step:), not \(d)")
            }
            guard points.count * values.count <= 1_000_000 else { throw SearchError.space("the grid has more than 1,000,000 points") }
            points = points.flatMap { p in values.map { p + [(name, d, $0)] } }
        }
        grid = points
        assigned = [:]
        order = Array(grid.indices)
        for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, rng.below(i + 1)) }
    }

    /// The grid point given to each trial (by number) in this session.
    private var assigned: [Int: Int] = [:]

    /// Grid points no trial has taken yet, in the shuffled order. As Optuna's GridSampler,
    /// a failed trial's point counts as visited (it is not tried again: an objective that
    /// fails at a point would otherwise be given that point for ever), and so does a
    /// running trial's. A point is known from the trial's parameters, or, for a trial that
    /// failed before asking for all of them, from what this sampler gave it.
    private func unvisited(_ study: Study) -> [Int] {
        var taken = Set<[ParamValue]>()
        var takenIndices = Set<Int>()
        for t in study.trials where t.state != .waiting {
            taken.insert(study.space.map { t.param($0.name)?.value ?? .null })
            if let i = assigned[t.number] { takenIndices.insert(i) }
        }
        return order.filter { !takenIndices.contains($0) && !taken.contains(grid[$0].map(\.value)) }
    }

    public func isExhausted(_ study: Study) -> Bool { unvisited(study).isEmpty }

    public func relativeSpace(_ study: Study) -> [(name: String, distribution: Distribution)] { study.space }

    public func sampleRelative(_ study: Study, trial: Int, space: [(name: String, distribution: Distribution)]) throws -> [String: Double] {
        // The trial being started is running and has no parameters yet: it takes nothing.
        guard let next = unvisited(study).first else { return [:] }
        assigned[study.trials[trial].number] = next
        var out: [String: Double] = [:]
        for p in grid[next] { out[p.name] = p.distribution.toInternal(p.value) }
        return out
    }

    public func sampleIndependent(_ study: Study, trial: Int, name: String, distribution: Distribution) throws -> Double {
        throw SearchError.space("grid search samples only the declared space; '\(name)' is not in it")
    }
}

/// xoshiro256** seeded through SplitMix64: the one random stream of a sampler.
struct SearchRandom {
    private var s: (UInt64, UInt64, UInt64, UInt64)

    init(seed: UInt64) {
        var x = seed
        func next() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s = (next(), next(), next(), next())
    }

    mutating func next() -> UInt64 {
        let result = ((s.1 &* 5) << 7 | (s.1 &* 5) >> 57) &* 9
        let t = s.1 << 17
        s.2 ^= s.0; s.3 ^= s.1; s.1 ^= s.2; s.0 ^= s.3
        s.2 ^= t
        s.3 = s.3 << 45 | s.3 >> 19
        return result
    }

    /// Uniform in [0, 1) with 53 random bits.
    mutating func uniform() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Uniform in 0..<n (n ≥ 1), without modulo bias.
    mutating func below(_ n: Int) -> Int {
        let bound = UInt64(max(n, 1))
        let limit = UInt64.max - UInt64.max % bound
        while true {
            let r = next()
            if r < limit { return Int(r % bound) }
        }
    }
}
