import Foundation
import KoanJSON

/// Where a study's trials are kept between kernels: Optuna's RDB schema in SQLite
/// (`SQLiteStorage`). Every call writes through at once, so a killed kernel loses at most
/// the trial that was running.
public protocol StudyStorage: AnyObject {
    /// The trials of the study `name`, creating the study with `direction` when it does not exist.
    func open(study name: String, direction: Direction) throws -> [TrialRecord]
    /// Stores a new trial and returns its row id.
    func insert(_ trial: TrialRecord) throws -> Int64
    func setParam(_ trialID: Int64, _ param: TrialParam) throws
    func setIntermediate(_ trialID: Int64, step: Int, value: Double) throws
    func setSystemAttribute(_ trialID: Int64, key: String, value: JSONValue) throws
    func setUserAttribute(_ trialID: Int64, key: String, value: JSONValue) throws
    func finish(_ trialID: Int64, state: TrialState, value: Double?, complete: Date) throws
}

/// A hyperparameter search: a search space, a sampler that proposes parameters from the
/// trials so far, a pruner that stops bad trials early, and the trials themselves.
///
///     let study = try Study(name: "mlp", space: [("lr", .logUniform(1e-4, 1e-1))], sampler: TPESampler(seed: 0))
///     try study.optimize(trials: 40) { trial in try objective(trial["lr"]) }
///     study.best?.value
public final class Study {
    public let name: String
    public let direction: Direction
    /// The space declared up front; `trial.suggest` may add parameters (conditional spaces).
    public let space: [(name: String, distribution: Distribution)]
    public private(set) var trials: [TrialRecord]
    public let sampler: any Sampler
    public let pruner: (any Pruner)?
    let storage: (any StudyStorage)?
    /// Parameters sampled together at a trial's start (the multivariate TPE's, a grid point).
    private var relative: [Int: [String: Double]] = [:]
    /// Trials whose objective was told to stop.
    private var prunedFlags: Set<Int> = []

    /// Opens the study `name` (in `storage` when given, continuing its trials: a trial left
    /// running by a kernel that died is marked failed).
    public init(name: String, direction: Direction = .minimize, space: [(name: String, distribution: Distribution)],
                sampler: any Sampler, pruner: (any Pruner)? = nil, storage: (any StudyStorage)? = nil) throws {
        var seen = Set<String>()
        for (n, _) in space where !seen.insert(n).inserted { throw SearchError.space("'\(n)' appears twice in the search space") }
        self.name = name
        self.direction = direction
        self.space = space
        self.sampler = sampler
        self.pruner = pruner
        self.storage = storage
        trials = try storage?.open(study: name, direction: direction) ?? []
        let now = Date()
        // Trials Optuna queued (`enqueue_trial`, WAITING) are left for Optuna to run.
        for i in trials.indices where trials[i].state == .running {
            trials[i].state = .fail
            trials[i].complete = now
            trials[i].userAttributes["fail_reason"] = .string("left running by a kernel that stopped")
            if let id = trials[i].storageID {
                try storage?.setUserAttribute(id, key: "fail_reason", value: .string("left running by a kernel that stopped"))
                try storage?.finish(id, state: .fail, value: nil, complete: now)
            }
        }
        try sampler.prepare(self)
    }

    // MARK: Reading

    /// The finished trials that count towards `trials:` (complete and pruned).
    public var finishedCount: Int { trials.count { $0.state == .complete || $0.state == .pruned } }
    public func trials(_ states: Set<TrialState>) -> [TrialRecord] { trials.filter { states.contains($0.state) } }

    /// The complete trial with the best value (the first of equals, as Optuna).
    public var best: TrialRecord? {
        var best: TrialRecord?
        for t in trials where t.state == .complete {
            guard let v = t.value else { continue }
            if let b = best?.value, !direction.better(v, than: b) { continue }
            best = t
        }
        return best
    }

    /// The best value after each finished trial, in trial order (nil before any complete one).
    public var bestSoFar: [(number: Int, value: Double?, best: Double?)] {
        var best: Double?
        return trials.filter(\.state.isFinished).map { t in
            if t.state == .complete, let v = t.value, best.map({ direction.better(v, than: $0) }) ?? true { best = v }
            return (t.number, t.value, best)
        }
    }

    public func declared(_ name: String) -> Distribution? { space.first { $0.name == name }?.distribution }

    // MARK: A trial's life

    /// Starts a trial and returns its index in `trials`.
    public func ask() throws -> Int {
        var record = TrialRecord(number: trials.count, state: .running, start: Date())
        record.storageID = try storage?.insert(record)
        trials.append(record)
        let index = trials.count - 1
        let relativeSpace = sampler.relativeSpace(self)
        if !relativeSpace.isEmpty {
            relative[index] = try sampler.sampleRelative(self, trial: index, space: relativeSpace)
        }
        return index
    }

    /// The value of parameter `name` in trial `index`: sampled on first use, the same after.
    /// `distribution` nil uses the declared space.
    public func suggest(_ index: Int, _ name: String, _ distribution: Distribution? = nil) throws -> ParamValue {
        guard trials.indices.contains(index), trials[index].state == .running else {
            throw SearchError.trial("trial \(index) is not running")
        }
        guard let d = distribution ?? declared(name) else {
            throw SearchError.space("'\(name)' is not in the search space; declare it in search([...]) or sample it with trial.suggest(\"\(name)\", .uniform(0, 1))")
        }
        if let existing = trials[index].param(name) {
            guard existing.distribution == d else {
                throw SearchError.space("'\(name)' was sampled from \(existing.distribution) in this trial; it cannot be sampled again from \(d)")
            }
            return existing.value
        }
        var x: Double
        if let r = relative[index]?[name], sampler.relativeSpace(self).contains(where: { $0.name == name && $0.distribution == d }) {
            x = r
        } else {
            x = try sampler.sampleIndependent(self, trial: index, name: name, distribution: d)
        }
        // Store what the value really is (a stepped float on its grid, an int rounded).
        guard let internalValue = d.toInternal(d.toExternal(x)) else {
            throw SearchError.trial("the sampler proposed \(x) for '\(name)', outside \(d)")
        }
        x = internalValue
        let param = TrialParam(name: name, distribution: d, internalValue: x)
        trials[index].params.append(param)
        if let id = trials[index].storageID { try storage?.setParam(id, param) }
        return param.value
    }

    /// Records an intermediate value (a validation loss after an epoch) at `step`.
    public func report(_ index: Int, _ value: Double, step: Int) throws {
        guard trials.indices.contains(index), trials[index].state == .running else {
            throw SearchError.trial("trial \(index) is not running")
        }
        guard step >= 0 else { throw SearchError.trial("step must be ≥ 0, got \(step)") }
        if trials[index].intermediate[step] != nil { return }   // Optuna keeps the first report of a step.
        trials[index].intermediate[step] = value
        if let id = trials[index].storageID { try storage?.setIntermediate(id, step: step, value: value) }
    }

    /// Whether the pruner stops trial `index` after its last report. Once it says yes, the
    /// trial ends as pruned whatever the objective returns.
    public func shouldPrune(_ index: Int) throws -> Bool {
        guard let pruner, trials.indices.contains(index), trials[index].state == .running else { return false }
        if prunedFlags.contains(index) { return true }
        let prune = try pruner.prune(self, trial: index)
        if prune { prunedFlags.insert(index) }
        return prune
    }

    public func wasPruned(_ index: Int) -> Bool { prunedFlags.contains(index) }

    /// A pruner's bookkeeping on a trial (stored as Optuna's system attributes).
    func setSystemAttribute(_ index: Int, _ key: String, _ value: JSONValue) throws {
        trials[index].systemAttributes[key] = value
        if let id = trials[index].storageID { try storage?.setSystemAttribute(id, key: key, value: value) }
    }

    /// Ends trial `index`: a value (NaN fails it, as in Optuna; ±∞ is a value), pruned
    /// (its value is its last report) or failed.
    public func tell(_ index: Int, _ outcome: TrialOutcome) throws {
        guard trials.indices.contains(index), trials[index].state == .running else {
            throw SearchError.trial("trial \(index) is not running")
        }
        var state: TrialState
        var value: Double?
        var reason: String?
        switch outcome {
        case .value(let v) where prunedFlags.contains(index):
            _ = v
            state = .pruned
        case .value(let v):
            if v.isNaN { state = .fail; reason = "the objective returned nan" } else { state = .complete; value = v }
        case .pruned:
            state = .pruned
        case .failed(let why):
            state = .fail
            reason = why
        }
        if state == .pruned, let last = trials[index].lastStep, let v = trials[index].intermediate[last], !v.isNaN {
            value = v
        }
        let now = Date()
        trials[index].state = state
        trials[index].value = value
        trials[index].complete = now
        if let reason { trials[index].userAttributes["fail_reason"] = .string(reason) }
        relative[index] = nil
        prunedFlags.remove(index)
        if let id = trials[index].storageID {
            if let reason { try storage?.setUserAttribute(id, key: "fail_reason", value: .string(reason)) }
            try storage?.finish(id, state: state, value: value, complete: now)
        }
    }

    // MARK: Running

    /// Runs trials until `trials` of them have finished (complete or pruned, counting those
    /// already in the storage) or the sampler has nothing left to propose (a finished grid).
    /// `isCancelled` is checked before each trial and after each objective: an interrupted
    /// trial is recorded as failed and the call returns. An objective that throws fails its
    /// trial and the error goes on to the caller. Returns whether every trial ran.
    @discardableResult
    public func optimize(trials target: Int, isCancelled: () -> Bool = { false },
                         observer: ((Study, Int) -> Void)? = nil,
                         objective: (Trial) throws -> Double?) throws -> Bool {
        while finishedCount < target && !sampler.isExhausted(self) {
            if isCancelled() { return false }
            let index = try ask()
            observer?(self, index)
            let value: Double?
            do {
                value = try objective(Trial(study: self, index: index))
            } catch {
                let interrupted = isCancelled()
                try tell(index, .failed(interrupted ? "interrupted" : "\(error)"))
                observer?(self, index)
                if interrupted { return false }
                throw error
            }
            if isCancelled() && !prunedFlags.contains(index) {
                try tell(index, .failed("interrupted"))
                observer?(self, index)
                return false
            }
            if let value { try tell(index, .value(value)) } else if prunedFlags.contains(index) { try tell(index, .pruned) }
            else { try tell(index, .failed("the objective returned no value")) }
            observer?(self, index)
        }
        return true
    }
}

/// The objective's handle on its trial.
public final class Trial {
    public let study: Study
    public let index: Int
    init(study: Study, index: Int) { self.study = study; self.index = index }
    public var number: Int { study.trials[index].number }
    public var record: TrialRecord { study.trials[index] }
    public subscript(name: String) -> ParamValue { get throws { try study.suggest(index, name) } }
    public func suggest(_ name: String, _ d: Distribution) throws -> ParamValue { try study.suggest(index, name, d) }
    public func report(_ value: Double, step: Int) throws { try study.report(index, value, step: step) }
    public func shouldPrune() throws -> Bool { try study.shouldPrune(index) }
}

/// A search mistake: a bad space, a trial used wrongly, a storage that cannot be read.
public enum SearchError: Error, CustomStringConvertible, Equatable {
    case space(String)
    case trial(String)
    case storage(String)

    public var description: String {
        switch self {
        case .space(let m), .trial(let m), .storage(let m): m
        }
    }
}
