import Foundation
import KoanJSON

/// A value a trial's parameter takes: what `trial["hidden"]` gives a cell.
public enum ParamValue: Hashable, Sendable, CustomStringConvertible {
    case int(Int)
    case double(Double)
    case string(String)
    case bool(Bool)
    case null

    public var description: String {
        switch self {
        case .int(let i): "\(i)"
        case .double(let d): SearchFormat.number(d)
        case .string(let s): s
        case .bool(let b): "\(b)"
        case .null: "nil"
        }
    }

    /// As Optuna's JSON stores a choice (`[64, 128, 256]`, `["relu", "gelu"]`).
    var json: JSONValue {
        switch self {
        case .int(let i): .number(.int(Int64(i)))
        case .double(let d): .number(.double(d))
        case .string(let s): .string(s)
        case .bool(let b): .bool(b)
        case .null: .null
        }
    }

    init(json: JSONValue) throws {
        switch json {
        case .null: self = .null
        case .bool(let b): self = .bool(b)
        case .string(let s): self = .string(s)
        case .number(.int(let i)): self = .int(Int(i))
        case .number(.double(let d)): self = .double(d)
        default: throw SearchError.storage("a categorical choice is \(json.kind), not a number, string, boolean or null")
        }
    }
}

/// Where a parameter's values come from, as Optuna's `FloatDistribution`,
/// `IntDistribution` and `CategoricalDistribution`. Samplers work on the internal
/// representation: the value itself for numbers, the index of the choice for categories.
public enum Distribution: Equatable, Sendable, CustomStringConvertible {
    case float(low: Double, high: Double, log: Bool, step: Double?)
    case int(low: Int, high: Int, log: Bool, step: Int)
    case categorical([ParamValue])

    /// `uniform(low, high)` and friends, checked as Optuna checks them.
    public static func uniform(_ low: Double, _ high: Double, step: Double? = nil) throws -> Distribution {
        try checked(.float(low: low, high: high, log: false, step: step))
    }
    public static func logUniform(_ low: Double, _ high: Double) throws -> Distribution {
        try checked(.float(low: low, high: high, log: true, step: nil))
    }
    public static func integer(_ low: Int, _ high: Int, step: Int = 1, log: Bool = false) throws -> Distribution {
        try checked(.int(low: low, high: high, log: log, step: step))
    }
    public static func choice(_ choices: [ParamValue]) throws -> Distribution {
        try checked(.categorical(choices))
    }

    static func checked(_ d: Distribution) throws -> Distribution {
        switch d {
        case let .float(low, high, log, step):
            guard low.isFinite, high.isFinite else { throw SearchError.space("bounds must be finite, got \(low) and \(high)") }
            guard low <= high else { throw SearchError.space("low \(SearchFormat.number(low)) is above high \(SearchFormat.number(high))") }
            if log && low <= 0 { throw SearchError.space("logUniform needs a positive low bound, got \(SearchFormat.number(low))") }
            if let step, !(step > 0) { throw SearchError.space("step must be positive, got \(SearchFormat.number(step))") }
            if let step {
                // Optuna shrinks `high` to the last point of the grid, in decimal arithmetic.
                return .float(low: low, high: adjustedHigh(low: low, high: high, step: step), log: false, step: step)
            }
        case let .int(low, high, log, step):
            guard low <= high else { throw SearchError.space("low \(low) is above high \(high)") }
            guard step > 0 else { throw SearchError.space("step must be positive, got \(step)") }
            if log && low < 1 { throw SearchError.space("a log-scaled int needs low ≥ 1, got \(low)") }
            if log && step != 1 { throw SearchError.space("a log-scaled int takes step 1, got \(step)") }
            return .int(low: low, high: low + (high - low) / step * step, log: log, step: step)
        case let .categorical(choices):
            guard !choices.isEmpty else { throw SearchError.space("choice needs at least one value") }
            guard Set(choices).count == choices.count else { throw SearchError.space("choice has a repeated value") }
        }
        return d
    }

    /// Optuna's `_adjust_discrete_uniform_high`: with the shortest decimal forms of the
    /// numbers (Python's `Decimal(str(x))`), `high` stays when step divides high − low,
    /// else becomes ⌊(high − low)/step⌋·step + low. So `uniform(0.1, 0.7, step: 0.2)` keeps
    /// 0.7 (binary arithmetic gives 2.9999999999999996 steps).
    static func adjustedHigh(low: Double, high: Double, step: Double) -> Double {
        guard let dLow = Decimal(string: "\(low)"), let dHigh = Decimal(string: "\(high)"),
              let dStep = Decimal(string: "\(step)"), dStep > 0 else { return high }
        let r = dHigh - dLow
        var quotient = r / dStep
        var whole = Decimal()
        NSDecimalRound(&whole, &quotient, 0, .down)
        if r - whole * dStep == 0 { return high }
        return Double("\(whole * dStep + dLow)") ?? high
    }

    /// One possible value only: nothing to sample (Optuna leaves such parameters out of the
    /// multivariate space).
    var isSingle: Bool {
        switch self {
        case let .float(low, high, _, _): low == high
        case let .int(low, high, _, _): low == high
        case let .categorical(c): c.count == 1
        }
    }

    /// The internal representation of `value`, nil when it is not one of this
    /// distribution's values.
    func toInternal(_ value: ParamValue) -> Double? {
        switch self {
        case let .float(low, high, _, _):
            let x: Double
            switch value { case .double(let d): x = d; case .int(let i): x = Double(i); default: return nil }
            return x >= low && x <= high ? x : nil
        case let .int(low, high, _, _):
            guard case .int(let i) = value, i >= low, i <= high else { return nil }
            return Double(i)
        case let .categorical(choices):
            return choices.firstIndex(of: value).map(Double.init)
        }
    }

    /// Optuna's `to_internal_repr`, as the TPE sampler reads a trial's value: a number as
    /// itself (not checked against the bounds; NaN, and non-positive values on a log scale,
    /// are not values), a choice as its index.
    func internalRepr(_ value: ParamValue) -> Double? {
        switch self {
        case let .float(_, _, log, _), let .int(_, _, log, _):
            let x: Double
            switch value {
            case .double(let d): x = d
            case .int(let i): x = Double(i)
            case .bool(let b): x = b ? 1 : 0
            default: return nil
            }
            if x.isNaN || (log && x <= 0) { return nil }
            return x
        case let .categorical(choices):
            return choices.firstIndex(of: value).map(Double.init)
        }
    }

    /// The value of an internal representation (rounded onto the grid of steps, clipped to
    /// the bounds).
    func toExternal(_ x: Double) -> ParamValue {
        switch self {
        case let .float(low, high, _, step):
            guard let step else { return .double(min(max(x, low), high)) }
            // As the TPE sampler's np.round (half to even) and Optuna's untransform.
            return .double(min(max(low + ((x - low) / step).rounded(.toNearestOrEven) * step, low), high))
        case let .int(low, high, _, step):
            let s = Double(step)
            let v = Double(low) + ((x - Double(low)) / s).rounded() * s
            return .int(Int(min(max(v, Double(low)), Double(high))))
        case let .categorical(choices):
            let i = min(max(Int(x.rounded()), 0), choices.count - 1)
            return choices[i]
        }
    }

    /// The values a grid over this distribution has (nil: continuous). A stepped float's
    /// are low + i·step clipped to high, the values Optuna's samplers give (its
    /// BruteForceSampler counts in decimal: the same points within an ulp or two).
    var gridPoints: [ParamValue]? {
        switch self {
        case let .float(low, high, _, step):
            guard let step else { return low == high ? [.double(low)] : nil }
            let n = Int(((high - low) / step).rounded()) + 1
            guard n <= 100_000 else { return nil }
            return (0..<n).map { .double(min(max(low + Double($0) * step, low), high)) }
        case let .int(low, high, _, step):
            let n = (high - low) / step + 1
            guard n <= 100_000 else { return nil }
            return (0..<n).map { .int(low + $0 * step) }
        case let .categorical(choices):
            return choices
        }
    }

    public var description: String {
        switch self {
        case let .float(low, high, log, step):
            if log { return ".logUniform(\(SearchFormat.number(low)), \(SearchFormat.number(high)))" }
            return ".uniform(\(SearchFormat.number(low)), \(SearchFormat.number(high))\(step.map { ", step: \(SearchFormat.number($0))" } ?? ""))"
        case let .int(low, high, log, step):
            return ".int(\(low), \(high)\(step != 1 ? ", step: \(step)" : "")\(log ? ", log: true" : ""))"
        case let .categorical(choices):
            return ".choice([\(choices.map { if case .string(let s) = $0 { return "\"\(s)\"" }; return $0.description }.joined(separator: ", "))])"
        }
    }

    // MARK: Optuna's distribution_json

    /// `{"name": "FloatDistribution", "attributes": {"step": null, "low": 0.0001, "high": 0.1, "log": true}}`
    var optunaJSON: JSONValue {
        switch self {
        case let .float(low, high, log, step):
            return .object([("name", .string("FloatDistribution")), ("attributes", .object([
                ("step", step.map { .number(.double($0)) } ?? .null), ("low", .number(.double(low))),
                ("high", .number(.double(high))), ("log", .bool(log))]))])
        case let .int(low, high, log, step):
            return .object([("name", .string("IntDistribution")), ("attributes", .object([
                ("log", .bool(log)), ("step", .number(.int(Int64(step)))),
                ("low", .number(.int(Int64(low)))), ("high", .number(.int(Int64(high))))]))])
        case let .categorical(choices):
            return .object([("name", .string("CategoricalDistribution")), ("attributes", .object([
                ("choices", .array(choices.map(\.json)))]))])
        }
    }

    /// Reads Optuna's distribution_json, including the names of Optuna 2
    /// (`UniformDistribution`, `LogUniformDistribution`, `IntUniformDistribution`, ...).
    init(optunaJSON json: JSONValue) throws {
        let read = try Distribution(uncheckedOptunaJSON: json)
        // Optuna builds the class from the attributes, which checks them and adjusts `high`.
        do { self = try Distribution.checked(read) } catch let error as SearchError {
            throw SearchError.storage("\(json["name"]?.string ?? "a distribution"): \(error.description)")
        }
    }

    private init(uncheckedOptunaJSON json: JSONValue) throws {
        guard let name = json["name"]?.string, let a = json["attributes"] else {
            throw SearchError.storage("a distribution_json without name and attributes")
        }
        func double(_ key: String) throws -> Double {
            guard let d = a[key]?.double else { throw SearchError.storage("\(name) without '\(key)'") }
            return d
        }
        func int(_ key: String) throws -> Int {
            guard let i = a[key]?.int else { throw SearchError.storage("\(name) without an integer '\(key)'") }
            return i
        }
        switch name {
        case "FloatDistribution":
            self = .float(low: try double("low"), high: try double("high"), log: a["log"]?.bool ?? false,
                          step: a["step"].flatMap { $0.isNull ? nil : $0.double })
        case "UniformDistribution": self = .float(low: try double("low"), high: try double("high"), log: false, step: nil)
        case "LogUniformDistribution": self = .float(low: try double("low"), high: try double("high"), log: true, step: nil)
        case "DiscreteUniformDistribution": self = .float(low: try double("low"), high: try double("high"), log: false, step: try double("q"))
        case "IntDistribution":
            self = .int(low: try int("low"), high: try int("high"), log: a["log"]?.bool ?? false, step: a["step"]?.int ?? 1)
        case "IntUniformDistribution": self = .int(low: try int("low"), high: try int("high"), log: false, step: a["step"]?.int ?? 1)
        case "IntLogUniformDistribution": self = .int(low: try int("low"), high: try int("high"), log: true, step: 1)
        case "CategoricalDistribution":
            guard let choices = a["choices"]?.array else { throw SearchError.storage("CategoricalDistribution without choices") }
            self = .categorical(try choices.map(ParamValue.init(json:)))
        default:
            throw SearchError.storage("unknown distribution '\(name)'")
        }
    }
}

/// Number formatting shared by the trial table, descriptions and errors.
enum SearchFormat {
    /// Up to six significant digits, as Python's `format(x, '.6g')`.
    static func number(_ x: Double) -> String {
        guard x.isFinite else { return x.isNaN ? "nan" : (x > 0 ? "inf" : "-inf") }
        if x == x.rounded(), abs(x) < 1e15 { return String(Int(x)) }
        return String(format: "%.6g", x)
    }
}
