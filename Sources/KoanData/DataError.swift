/// Every mistake a caller can make while loading or batching data, as data. Messages name
/// the file, the 1-based line and the column, like a compiler diagnostic.
///
///     do { _ = try Dataset.csv(path: "missing.csv", label: "y") }
///     catch let e as DataError { print(e) }   // cannot open 'missing.csv': No such file or directory
///
/// Tensor allocation failures surface as `TensorError` unchanged.
public enum DataError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A file that cannot be opened or read, with the OS reason (`strerror`).
    case cannotOpen(path: String, reason: String)
    /// A shipped resource that is missing from the package bundle.
    case missingResource(name: String)
    /// A CSV record whose field count differs from the header's (or the first record's).
    case wrongFieldCount(path: String, line: Int, expected: Int, found: Int)
    /// A feature value that does not parse as a number; `column` is the header name
    /// (or the 0-based index as text without a header), `index` its 0-based position.
    case notNumeric(path: String, line: Int, column: String, index: Int, value: String)
    /// A label (or feature) column or key that does not exist; lists the ones that do.
    case unknownColumn(path: String, name: String, available: [String])
    /// A CSV field with an opening quote that never closes.
    case unterminatedQuote(path: String, line: Int)
    /// A JSONL line that is not valid JSON, or valid JSON that is not an object.
    case invalidJSONLine(path: String, line: Int, reason: String)
    /// A JSONL line that lacks a requested key.
    case missingKey(path: String, line: Int, key: String)
    /// A dataset (or one side of a split, or a selection) with no samples.
    case emptyDataset(detail: String)
    /// A split fraction outside the open interval (0, 1).
    case invalidFraction(Double)
    /// A batch size below 1.
    case invalidBatchSize(Int)
    /// A sample index outside `0..<count`.
    case indexOutOfRange(index: Int, count: Int)
    /// Features and labels (or a mapped result) that disagree on the sample count or shape.
    case shapeMismatch(detail: String)
    /// An operation that needs something this dataset does not have (e.g. `images()` without an image shape).
    case unsupported(detail: String)

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason):
            return "cannot open '\(path)': \(reason)"
        case let .missingResource(name):
            return "the resource '\(name)' is missing from the KoanData bundle"
        case let .wrongFieldCount(path, line, expected, found):
            return "\(path):\(line): expected \(expected) field\(expected == 1 ? "" : "s"), found \(found)"
        case let .notNumeric(path, line, column, index, value):
            return "\(path):\(line): column '\(column)' (index \(index)): '\(value)' is not a number"
        case let .unknownColumn(path, name, available):
            return "\(path): no column '\(name)'; available: \(available.map { "'\($0)'" }.joined(separator: ", "))"
        case let .unterminatedQuote(path, line):
            return "\(path):\(line): a quoted field is never closed"
        case let .invalidJSONLine(path, line, reason):
            return "\(path):\(line): \(reason)"
        case let .missingKey(path, line, key):
            return "\(path):\(line): the object has no key '\(key)'"
        case let .emptyDataset(detail):
            return "empty dataset: \(detail)"
        case let .invalidFraction(f):
            return "split fraction must be strictly between 0 and 1, got \(f)"
        case let .invalidBatchSize(n):
            return "batch size must be at least 1, got \(n)"
        case let .indexOutOfRange(index, count):
            return "sample index \(index) is out of range for a dataset of \(count) samples"
        case let .shapeMismatch(detail):
            return detail
        case let .unsupported(detail):
            return detail
        }
    }
}
