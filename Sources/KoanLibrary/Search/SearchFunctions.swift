import Foundation
import KoanLang
import KoanMarkup
import KoanPlot
import KoanSearch
import KoanTrain

// Hyperparameter search from cells: `search(space, trials:, strategy:, pruner:) { trial in ... }`
// runs the objective closure once per trial under one live display, and returns the Study.
// The samplers, pruners and the Optuna-compatible storage are in KoanSearch.
//
//     let study = search(["lr": .logUniform(1e-4, 1e-1), "hidden": .choice([64, 128])], trials: 20) { trial in
//         let m = MLP(input: 64, hidden: [trial["hidden"]], output: 10)
//         return m.fit(train, epochs: 10, optimizer: .adamW(lr: trial["lr"]), validation: test, trial: trial).validationLoss
//     }

// MARK: Values

extension ParamValue {
    init(_ v: Value) throws {
        switch v {
        case .int(let i): self = .int(i)
        case .double(let d): self = .double(d)
        case .string(let s): self = .string(s)
        case .bool(let b): self = .bool(b)
        case .null: self = .null
        default: throw Fault(.type, "a choice must be a number, a string, a boolean or nil, got a value of type '\(v.typeName)'")
        }
    }

    var value: Value {
        switch self {
        case .int(let i): .int(i)
        case .double(let d): .double(d)
        case .string(let s): .string(s)
        case .bool(let b): .bool(b)
        case .null: .null
        }
    }
}

private let distributionSignatures = [
    "uniform(_ low: Double, _ high: Double, step: Double? = nil)",
    "logUniform(_ low: Double, _ high: Double)",
    "int(_ low: Int, _ high: Int, step: Int = 1, log: Bool = false)",
    "choice(_ values: [Any])",
]

/// `.uniform(0, 0.5)`, `.logUniform(1e-4, 1e-1)`, `.int(1, 4)`, `.choice([64, 128])`.
func distributionOption(_ v: Value, name: String) throws -> Distribution {
    let (kind, a) = try OptionCase.match(v, "distribution of '\(name)'", distributionSignatures)
    do {
        switch kind {
        case "uniform": return try .uniform(try a[0].asDouble(), try a[1].asDouble(), step: a[2].isNil ? nil : try a[2].asDouble())
        case "logUniform": return try .logUniform(try a[0].asDouble(), try a[1].asDouble())
        case "int": return try .integer(try a[0].asInt(), try a[1].asInt(), step: try a[2].asInt(), log: try a[3].asBool())
        default: return try .choice(try a[0].elements().map(ParamValue.init))
        }
    } catch let e as SearchError {
        throw Fault(.value, "in '\(name)': \(e)")
    }
}

private func spaceOption(_ v: Value) throws -> [(name: String, distribution: Distribution)] {
    guard case .dict(let d) = v else {
        throw Fault(.type, "the search space is a dictionary of names and distributions, e.g. [\"lr\": .logUniform(1e-4, 1e-1)], got a value of type '\(v.typeName)'")
    }
    return try zip(d.keys, d.values).map { key, value in
        guard case .string(let name) = key else { throw Fault(.type, "search space names are strings, got \(key.debugDescription)") }
        return (name, try distributionOption(value, name: name))
    }
}

private func samplerOption(_ v: Value, seed: UInt64) throws -> any Sampler {
    if v.isNil { return try TPESampler(seed: seed) }
    let (name, a) = try OptionCase.match(v, "strategy", strategyOptions)
    do {
        switch name {
        case "random": return RandomSampler(seed: seed)
        case "grid": return GridSampler(seed: seed)
        default: return try TPESampler(seed: seed, startupTrials: try a[0].asInt(), candidates: try a[1].asInt(), multivariate: try a[2].asBool())
        }
    } catch let e as SearchError { throw Fault(.value, e.description) }
}

private func prunerOption(_ v: Value) throws -> (any Pruner)? {
    if v.isNil { return nil }
    let (name, a) = try OptionCase.match(v, "pruner", prunerOptions)
    do {
        switch name {
        case "median": return try MedianPruner(startupTrials: try a[0].asInt(), warmupSteps: try a[1].asInt(), intervalSteps: try a[2].asInt())
        case "successiveHalving":
            return try SuccessiveHalvingPruner(minResource: a[0].isNil ? nil : try a[0].asInt(), reductionFactor: try a[1].asInt(),
                                               minEarlyStoppingRate: try a[2].asInt())
        default: return nil
        }
    } catch let e as SearchError { throw Fault(.value, e.description) }
}

private func directionOption(_ v: Value) throws -> Direction {
    if v.isNil { return .minimize }
    let (name, _) = try OptionCase.match(v, "direction", directionOptions)
    return name == "maximize" ? .maximize : .minimize
}

/// Runs `body`, turning KoanSearch's errors into the language's.
func searching<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let e as SearchError {
        switch e {
        case .storage(let m): throw Fault(.io, m)
        case .space(let m), .trial(let m): throw Fault(.value, m)
        }
    }
}

// MARK: Objects

/// A study as a Koan value: its summary, trial table and history chart.
final class StudyObject: KoanObject, PlottableObject {
    let study: Study
    init(_ study: Study) { self.study = study }
    var typeName: String { "Study" }
    var description: String { ([StudyView.summary(study)] + textTable(StudyView.rows(study, limit: 12))).joined(separator: "\n") }
    var richRepresentations: [String: MimeData] { ["text/html": .text(StudyView.html(study, limit: 30, current: nil))] }
    func figure() throws -> Figure { try StudyView.history(study) }
}

/// The objective's trial: `trial["lr"]` samples (once) from the declared space.
final class TrialObject: KoanObject, SubscriptableObject {
    let trial: Trial
    init(_ trial: Trial) { self.trial = trial }
    var typeName: String { "Trial" }
    var description: String {
        let r = trial.record
        let params = r.params.map { "\($0.name): \($0.value)" }.joined(separator: ", ")
        return "Trial \(r.number) (\(r.state.label))" + (params.isEmpty ? "" : ": " + params)
    }
    var richRepresentations: [String: MimeData] { [:] }

    func subscriptGet(_ index: [Argument]) throws -> Value {
        guard index.count == 1, index[0].label == nil, case .string(let name) = index[0].value else {
            throw Fault(.type, "a trial is read by parameter name: trial[\"lr\"]")
        }
        return try searching { try trial[name].value }
    }
}

extension Value {
    func asTrial() throws -> Trial {
        guard case .object(let o as TrialObject) = self else {
            throw Fault(.type, "cannot convert value of type '\(typeName)' to expected argument type 'Trial'")
        }
        return o.trial
    }
    func asStudy() throws -> Study {
        guard case .object(let o as StudyObject) = self else {
            throw Fault(.type, "cannot convert value of type '\(typeName)' to expected argument type 'Study'")
        }
        return o.study
    }
}

/// The search a cell is running, so that `fit` inside the objective draws its progress
/// into the search's display instead of a display of its own per trial.
final class ActiveSearch {
    var display: StudyDisplay?
}

/// A trial's report to its study after each epoch of `fit(..., trial:)`: the validation
/// loss (the training loss without validation data) at step = epoch; true stops the run.
func prunerHook(_ trial: Trial) -> (EpochRecord) throws -> Bool {
    { record in
        try searching {
            try trial.report(record.validationLoss ?? record.loss, step: record.epoch)
            return try trial.shouldPrune()
        }
    }
}

private func trialValue(_ t: TrialRecord) -> Value {
    var d = OrderedDict()
    d.set(.string("number"), .int(t.number))
    d.set(.string("state"), .string(t.state.label))
    d.set(.string("value"), t.value.map { .double($0) } ?? .null)
    var params = OrderedDict()
    for p in t.params { params.set(.string(p.name), p.value.value) }
    d.set(.string("params"), .dict(params))
    var steps = OrderedDict()
    for step in t.intermediate.keys.sorted() { steps.set(.int(step), .double(t.intermediate[step] ?? .nan)) }
    d.set(.string("intermediate"), .dict(steps))
    d.set(.string("duration"), t.duration.map { .double($0) } ?? .null)
    return .dict(d)
}

// MARK: Registrations

func registerSearchFunctions(_ r: Registry) {
    r.typeName("Study")
    r.typeName("Trial")
    r.function("search(_ space: [String: Any], trials: Int, strategy: Any? = nil, pruner: Any? = nil, direction: Any? = nil, seed: Int = 0, storage: String? = nil, name: String? = nil, _ objective: (Trial) -> Double) -> Study",
               "Hyperparameter search: runs the objective once per trial (trial[\"lr\"] samples from the space: .uniform(low, high), .logUniform(low, high), .int(low, high), .choice([...])) until `trials` have finished, under one live display, and returns the Study. strategy: .tpe (default, as Optuna's TPESampler), .random, .grid; pruner: .median, .successiveHalving (with fit(..., trial: trial) or trial.report/shouldPrune); direction: .minimize (default) or .maximize; storage: \"sqlite:///studies.db\" keeps the trials in Optuna's schema (optuna.load_study reads them) and a study of the same name resumes. An interrupt keeps every finished trial.") { a, ctx in
        let space = try spaceOption(a[0])
        let target = try a[1].asInt()
        guard target >= 1 else { throw Fault(.value, "trials must be at least 1, got \(target)") }
        let seed = UInt64(bitPattern: Int64(try a[5].asInt()))
        let sampler = try samplerOption(a[2], seed: seed)
        let pruner = try prunerOption(a[3])
        let direction = try directionOption(a[4])
        if !a[6].isNil && a[7].isNil {
            throw Fault(.value, "a stored study needs a name, to find it again: search(..., storage: \(a[6].debugDescription), name: \"my-study\")")
        }
        let storage: SQLiteStorage? = try a[6].isNil ? nil : searching { try SQLiteStorage(url: try a[6].asString()) }
        let name = a[7].isNil ? "study" : try a[7].asString()
        let study = try searching { try Study(name: name, direction: direction, space: space, sampler: sampler, pruner: pruner, storage: storage) }
        let objective = a[8]
        let display = StudyDisplay(ctx.display, target: target)
        let active = ctx.registry.state { ActiveSearch() }
        let outer = active.display
        active.display = display
        defer { active.display = outer }
        let cancellation = ctx.cancellation
        var failure: (any Error)?
        do {
            try searching {
                try study.optimize(trials: target, isCancelled: { cancellation.isCancelled },
                                   observer: { s, i in display.trialChanged(s, i) }) { trial in
                    let result = try ctx.call(objective, .object(TrialObject(trial)))
                    switch result {
                    case .null, .void: return nil
                    default:
                        do { return try result.asDouble() } catch {
                            throw Fault(.type, "the objective must return a number (the value to minimize or maximize), got a value of type '\(result.typeName)'")
                        }
                    }
                }
            }
        } catch {
            failure = error
        }
        display.finish(study, interrupted: cancellation.isCancelled)
        if let failure { throw failure }
        return .object(StudyObject(study))
    }
    r.function("loadStudy(name: String, storage: String) -> Study",
               "Opens a study kept in a storage (\"sqlite:///studies.db\"), written by Koan or by Optuna, to look at its trials; a trial left running is marked failed.") { a, _ in
        let storage = try searching { try SQLiteStorage(url: try a[1].asString()) }
        let study = try searching { () throws -> Study in
            let name = try a[0].asString()
            guard let direction = try storage.storedDirection(study: name) else {
                throw SearchError.storage("no study named '\(name)' in \(try a[1].asString())")
            }
            let s = try Study(name: name, direction: direction, space: [], sampler: RandomSampler(seed: 0), storage: storage)
            guard !s.trials.isEmpty else { throw SearchError.storage("no trials in study '\(s.name)' of \(try a[1].asString())") }
            return s
        }
        return .object(StudyObject(study))
    }

    r.function("importance(_ study: Study) -> [String: Double]",
               "How much each parameter mattered for reaching the study's best values, summing to 1, most important first: PED-ANOVA as Optuna 5's default get_param_importances (the top 10% of complete trials against all of them).") { a, _ in
        var d = OrderedDict()
        for (name, value) in KoanSearch.importance(try a[0].asStudy()) { d.set(.string(name), .double(value)) }
        return .dict(d)
    }
    r.function("parallelCoordinates(_ study: Study, top: Int = 12) -> Figure",
               "The best complete trials (top, default 12) as lines across one axis per parameter and one for the value, each axis scaled to its range (log ranges in log space).") { a, _ in
        let top = try a[1].asInt()
        guard top >= 1 else { throw Fault(.value, "top must be at least 1, got \(top)") }
        return .object(FigureObject(try StudyView.parallelCoordinates(try a[0].asStudy(), top: top)))
    }

    func studyProperty(_ sig: String, _ doc: String, _ body: @escaping (Study) throws -> Value) {
        r.member(of: StudyObject.self, sig, doc, .property { v, _ in try body(try v.asStudy()) })
    }
    studyProperty("best: [String: Any]?", "The best complete trial: number, state, value, params, intermediate, duration.") { s in
        s.best.map(trialValue) ?? .null
    }
    studyProperty("bestValue: Double?", "The best value of a complete trial.") { s in s.best?.value.map { .double($0) } ?? .null }
    studyProperty("bestParams: [String: Any]?", "The parameters of the best trial.") { s in
        guard let b = s.best else { return .null }
        var d = OrderedDict()
        for p in b.params { d.set(.string(p.name), p.value.value) }
        return .dict(d)
    }
    studyProperty("trials: [[String: Any]]", "Every trial in order: number, state (complete, pruned, fail, running), value, params, intermediate values by step, duration in seconds.") { s in
        .array(s.trials.map(trialValue))
    }
    studyProperty("name: String", "The study's name (in its storage).") { .string($0.name) }
    studyProperty("direction: String", "minimize or maximize.") { .string($0.direction.rawValue.lowercased()) }
    studyProperty("counts: [String: Int]", "How many trials are in each state.") { s in
        var d = OrderedDict()
        for state in [TrialState.complete, .pruned, .fail, .running] { d.set(.string(state.label), .int(s.trials.count { $0.state == state })) }
        return .dict(d)
    }

    func trialMember(_ sig: String, _ doc: String, _ body: @escaping (Trial, [Value]) throws -> Value) {
        r.member(of: TrialObject.self, sig, doc, .method { v, a, _ in try searching { try body(try v.asTrial(), a) } })
    }
    r.member(of: TrialObject.self, "number: Int", "The trial's number in its study, from 0.", .property { v, _ in .int(try v.asTrial().number) })
    r.member(of: TrialObject.self, "params: [String: Any]", "The parameters sampled so far.", .property { v, _ in
        var d = OrderedDict()
        for p in try v.asTrial().record.params { d.set(.string(p.name), p.value.value) }
        return .dict(d)
    })
    trialMember("suggest(_ name: String, _ distribution: Any) -> Any",
                "Samples a parameter that is not in the declared space (conditional spaces: only the trials that ask for it have it).") { t, a in
        let name = try a[0].asString()
        return try t.suggest(name, try distributionOption(a[1], name: name)).value
    }
    trialMember("report(_ value: Double, step: Int)",
                "Records an intermediate value (a validation loss after an epoch) for the pruner; fit(..., trial: trial) reports each epoch itself.") { t, a in
        try t.report(try a[0].asDouble(), step: try a[1].asInt())
        return .void
    }
    trialMember("shouldPrune() -> Bool",
                "Whether the pruner stops this trial after its last report; once true, the trial ends as pruned with its last reported value.") { t, _ in
        .bool(try t.shouldPrune())
    }
}

/// The cases of `strategy:` (matched by OptionCase, offered by completion).
let strategyOptions = [
        "tpe(startupTrials: Int = 10, candidates: Int = 24, multivariate: Bool = true)", "random", "grid"]

/// The cases of `pruner:` (matched by OptionCase, offered by completion).
let prunerOptions = [
        "median(startupTrials: Int = 5, warmupSteps: Int = 0, intervalSteps: Int = 1)",
        "successiveHalving(minResource: Int? = nil, reductionFactor: Int = 4, minEarlyStoppingRate: Int = 0)",
        "none"]

/// The cases of `direction:` (matched by OptionCase, offered by completion).
let directionOptions = ["minimize", "maximize"]
