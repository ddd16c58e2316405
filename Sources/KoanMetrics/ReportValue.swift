/// An ordered, `Sendable` tree mirroring a Python `output_dict=True` result.
///
/// Objects keep Python dict insertion order; a repeated key overwrites the earlier value in place.
///
/// ```swift
/// let d = try classificationReport(yTrue: [0, 1], yPred: [0, 0]).dictionary()
/// d["0"]?["recall"]?.number   // 1.0
/// d["accuracy"]?.number       // 0.5
/// ```
public enum ReportValue: Sendable {
    case number(Double)
    case integer(Int)
    case object([ReportEntry])

    /// Looks up a key of an `.object`.
    ///
    /// ```swift
    /// report.dictionary()["macro avg"]?["f1-score"]
    /// ```
    public subscript(key: String) -> ReportValue? {
        guard case .object(let entries) = self else { return nil }
        return entries.first { scalarEqual($0.key, key) }?.value
    }

    /// The numeric value (integers widened), or `nil` for objects.
    ///
    /// ```swift
    /// ReportValue.integer(3).number  // 3.0
    /// ```
    public var number: Double? {
        switch self {
        case .number(let v): return v
        case .integer(let v): return Double(v)
        case .object: return nil
        }
    }

    /// Keys of an `.object`, in order (empty otherwise).
    ///
    /// ```swift
    /// report.dictionary().keys  // ["0", "1", "accuracy", "macro avg", "weighted avg"]
    /// ```
    public var keys: [String] {
        guard case .object(let entries) = self else { return [] }
        return entries.map(\.key)
    }

    /// Untyped form: `[String: Any]` for objects, `Double`/`Int` for leaves (like Python's dict).
    ///
    /// ```swift
    /// let any = report.dictionary().anyValue as? [String: Any]
    /// ```
    public var anyValue: Any {
        switch self {
        case .number(let v): return v
        case .integer(let v): return v
        case .object(let entries):
            var dict: [String: Any] = [:]
            for entry in entries { dict[entry.key] = entry.value.anyValue }
            return dict
        }
    }
}

/// One key/value pair of a `ReportValue.object`.
///
/// ```swift
/// ReportEntry(key: "support", value: .integer(4))
/// ```
public struct ReportEntry: Sendable {
    public let key: String
    public let value: ReportValue

    public init(key: String, value: ReportValue) {
        self.key = key
        self.value = value
    }
}

/// Builds an object with Python dict assignment semantics.
struct OrderedObject {
    private(set) var entries: [ReportEntry] = []

    mutating func set(_ key: String, _ value: ReportValue) {
        if let index = entries.firstIndex(where: { scalarEqual($0.key, key) }) {
            entries[index] = ReportEntry(key: entries[index].key, value: value)
        } else {
            entries.append(ReportEntry(key: key, value: value))
        }
    }

    var value: ReportValue { .object(entries) }
}
