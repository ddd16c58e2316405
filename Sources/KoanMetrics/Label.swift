/// A class label, as accepted by the classification metrics.
///
/// Labels are either integers or strings. They sort like NumPy's `np.unique`:
/// integers numerically, strings lexicographically by Unicode scalar value.
/// Mixing integer and string labels in one call is an error, as in scikit-learn.
///
/// ```swift
/// let labels: [Label] = [.int(2), .int(0), .int(1)]
/// labels.sorted()            // [0, 1, 2]
/// Label.string("cat").description  // "cat"
/// ```
public enum Label: Hashable, Comparable, Sendable, CustomStringConvertible {
    case int(Int)
    case string(String)

    /// The label as scikit-learn prints it (`"%s" % label`).
    ///
    /// ```swift
    /// Label.int(-3).description  // "-3"
    /// ```
    public var description: String {
        switch self {
        case .int(let value): return String(value)
        case .string(let value): return value
        }
    }

    /// `true` for `.string` labels.
    ///
    /// ```swift
    /// Label.string("a").isString  // true
    /// ```
    public var isString: Bool {
        if case .string = self { return true }
        return false
    }

    /// Python equality: strings compare by Unicode scalars (no canonical equivalence).
    ///
    /// ```swift
    /// Label.string("e\u{301}") == Label.string("\u{e9}")  // false, as in Python
    /// ```
    public static func == (lhs: Label, rhs: Label) -> Bool {
        switch (lhs, rhs) {
        case let (.int(a), .int(b)): return a == b
        case let (.string(a), .string(b)): return scalarEqual(a, b)
        default: return false
        }
    }

    /// Hashes consistently with `==` (by Unicode scalars for strings).
    public func hash(into hasher: inout Hasher) {
        switch self {
        case .int(let value):
            hasher.combine(0)
            hasher.combine(value)
        case .string(let value):
            hasher.combine(1)
            for scalar in value.unicodeScalars { hasher.combine(scalar.value) }
        }
    }

    /// Integers before strings; integers numerically; strings by Unicode scalars.
    ///
    /// ```swift
    /// Label.string("B") < Label.string("a")  // true (U+0042 < U+0061)
    /// ```
    public static func < (lhs: Label, rhs: Label) -> Bool {
        switch (lhs, rhs) {
        case let (.int(a), .int(b)): return a < b
        case let (.string(a), .string(b)): return scalarLess(a, b)
        case (.int, .string): return true
        case (.string, .int): return false
        }
    }
}

extension Label: ExpressibleByIntegerLiteral, ExpressibleByStringLiteral {
    /// `let l: Label = 3`
    public init(integerLiteral value: Int) { self = .int(value) }
    /// `let l: Label = "spam"`
    public init(stringLiteral value: String) { self = .string(value) }
}

/// Lexicographic comparison by Unicode scalar values (Python `str` ordering).
func scalarLess(_ a: String, _ b: String) -> Bool {
    var ia = a.unicodeScalars.makeIterator()
    var ib = b.unicodeScalars.makeIterator()
    while true {
        switch (ia.next(), ib.next()) {
        case (nil, nil): return false
        case (nil, _): return true
        case (_, nil): return false
        case let (x?, y?):
            if x.value != y.value { return x.value < y.value }
        }
    }
}

/// Python string equality (by Unicode scalars, no canonical equivalence).
func scalarEqual(_ a: String, _ b: String) -> Bool {
    a.unicodeScalars.elementsEqual(b.unicodeScalars)
}

/// What to report when a ratio has a zero denominator (scikit-learn's `zero_division`).
///
/// `.warn` is scikit-learn's default: the value is 0 (sklearn additionally emits a warning).
///
/// ```swift
/// try precision(yTrue: [0, 0], yPred: [0, 0], zeroDivision: .one)  // .value(1.0)
/// ```
public enum ZeroDivision: Sendable, Hashable {
    case warn, zero, one, nan

    /// The substituted value in scikit-learn.
    var sklearnValue: Double {
        switch self {
        case .warn, .zero: return 0
        case .one: return 1
        case .nan: return .nan
        }
    }

    /// The substituted value in seqeval (which maps anything but "warn"/0 to 1.0, NaN included).
    var seqevalValue: Double {
        switch self {
        case .warn, .zero: return 0
        case .one, .nan: return 1
        }
    }
}

/// The `average` parameter of `precision`/`recall`/`f1`.
///
/// ```swift
/// try f1(yTrue: [0, 1, 2], yPred: [0, 2, 1], average: .macro)
/// ```
public enum Average: Sendable, Hashable {
    /// Only the `posLabel` class (binary targets only).
    case binary
    /// Global counts.
    case micro
    /// Unweighted mean over labels.
    case macro
    /// Mean over labels weighted by support.
    case weighted
    /// Per-label scores, no averaging (`average=None`).
    case none
}

/// How `confusionMatrix` normalizes counts (`normalize=` in scikit-learn).
///
/// ```swift
/// try confusionMatrix(yTrue: [0, 1], yPred: [1, 1], normalize: .true)
/// ```
public enum Normalize: Sendable, Hashable {
    /// Over the true conditions (rows).
    case `true`
    /// Over the predicted conditions (columns).
    case pred
    /// Over the whole population.
    case all
}
