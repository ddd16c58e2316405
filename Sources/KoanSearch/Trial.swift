import Foundation
import KoanJSON

/// A trial's state, with Optuna's names (stored as they are in its `trials.state` column).
public enum TrialState: String, Sendable, CaseIterable {
    case running = "RUNNING"
    case complete = "COMPLETE"
    case pruned = "PRUNED"
    case fail = "FAIL"
    case waiting = "WAITING"

    public var isFinished: Bool { self == .complete || self == .pruned || self == .fail }
    /// How the trial table shows it: "complete", "pruned", ...
    public var label: String { rawValue.lowercased() }
}

/// Whether smaller or larger values are better.
public enum Direction: String, Sendable {
    case minimize = "MINIMIZE"
    case maximize = "MAXIMIZE"

    /// Whether `a` is better than `b`.
    func better(_ a: Double, than b: Double) -> Bool { self == .minimize ? a < b : a > b }
}

/// One parameter of a trial: its distribution and its internal representation.
public struct TrialParam: Sendable, Equatable {
    public let name: String
    public let distribution: Distribution
    /// The value samplers see (the index of a categorical choice).
    public let internalValue: Double
    public var value: ParamValue { distribution.toExternal(internalValue) }
}

/// What a study knows of one trial, as Optuna's `FrozenTrial`.
public struct TrialRecord: Sendable {
    public let number: Int
    public internal(set) var state: TrialState
    /// Parameters in the order the trial sampled them.
    public internal(set) var params: [TrialParam] = []
    public internal(set) var value: Double?
    /// Reported values by step (`trial.report(value, step:)`).
    public internal(set) var intermediate: [Int: Double] = [:]
    public internal(set) var start: Date?
    public internal(set) var complete: Date?
    /// Pruners' bookkeeping (successive halving's `completed_rung_N`), as Optuna's system attributes.
    public internal(set) var systemAttributes: [String: JSONValue] = [:]
    /// Notes for people: why a trial failed.
    public internal(set) var userAttributes: [String: JSONValue] = [:]
    /// The row id in the storage, when there is one.
    var storageID: Int64?

    init(number: Int, state: TrialState, start: Date?) {
        self.number = number
        self.state = state
        self.start = start
    }

    public func param(_ name: String) -> TrialParam? { params.first { $0.name == name } }
    public var lastStep: Int? { intermediate.keys.max() }
    public var duration: Double? {
        guard let start, let complete else { return nil }
        return complete.timeIntervalSince(start)
    }
}

/// A trial's answer to its study's search: the value to record or the way it ended.
public enum TrialOutcome: Sendable {
    case value(Double)
    case pruned
    case failed(String)
}
