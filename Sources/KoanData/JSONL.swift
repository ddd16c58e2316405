import KoanJSON
import KoanTensor

extension Dataset {
    /// Loads JSON Lines: one object per non-blank line. Each key in `features` holds a number
    /// or a flat array of numbers (flattened in the order given; every line must give the
    /// same count); `label` holds a number or a string (strings become class ids in sorted
    /// order, kept in `classNames`).
    ///
    ///     // {"x": 0.5, "y": [1, 2], "kind": "cat"}
    ///     let ds = try Dataset.jsonl(path: "pets.jsonl", features: ["x", "y"], label: "kind")
    ///     ds.featureShape    // [3]
    public static func jsonl(path: String, features: [String], label: String) throws -> Dataset {
        let bytes = try readFileBytes(path)
        var values: [Double] = []
        var rawLabels: [String] = []
        var width: Int?
        for (line, text) in textLines(bytes) where !trimmed(String(text)).isEmpty {
            let value: JSONValue
            do {
                value = try JSONValue(parsing: text.utf8)
            } catch {
                throw DataError.invalidJSONLine(path: path, line: line, reason: "not valid JSON")
            }
            guard case let .object(members) = value else {
                throw DataError.invalidJSONLine(path: path, line: line, reason: "expected a JSON object, found \(value.kind)")
            }
            // A key given twice means its last value, as in Python's json.
            guard let lv = value[label] else {
                if rawLabels.isEmpty { throw DataError.unknownColumn(path: path, name: label, available: keyNames(members)) }
                throw DataError.missingKey(path: path, line: line, key: label)
            }
            switch lv {
            case let .number(.int(i)): rawLabels.append(String(i))
            case let .number(.double(d)): rawLabels.append(d == d.rounded() && abs(d) < 9.0e15 ? String(Int64(d)) : String(d))
            case let .string(s): rawLabels.append(s)
            case let .bool(b): rawLabels.append(b ? "true" : "false")
            default:
                throw DataError.invalidJSONLine(path: path, line: line, reason: "label '\(label)' must be a number or a string, found \(lv.kind)")
            }
            var rowCount = 0
            for (j, key) in features.enumerated() {
                guard let fv = value[key] else {
                    if rawLabels.count == 1 { throw DataError.unknownColumn(path: path, name: key, available: keyNames(members)) }
                    throw DataError.missingKey(path: path, line: line, key: key)
                }
                switch fv {
                case let .number(n): values.append(n.doubleValue); rowCount += 1
                case let .array(items):
                    for item in items {
                        guard case let .number(n) = item else {
                            throw DataError.notNumeric(path: path, line: line, column: key, index: j, value: "\(item.kind) in an array")
                        }
                        values.append(n.doubleValue); rowCount += 1
                    }
                default:
                    throw DataError.notNumeric(path: path, line: line, column: key, index: j, value: fv.kind)
                }
            }
            if let w = width, w != rowCount {
                throw DataError.wrongFieldCount(path: path, line: line, expected: w, found: rowCount)
            }
            width = rowCount
        }
        guard let w = width else { throw DataError.emptyDataset(detail: "'\(path)' has no JSON lines") }
        let x = try NDArray(values: values, shape: [rawLabels.count, w], dtype: .float32)
        let (labels, classNames) = try makeLabels(rawLabels)
        return try Dataset(features: x, labels: labels, classNames: classNames, name: fileName(path))
    }
}

/// The distinct keys of a JSON object, sorted (for "available columns" in errors).
private func keyNames(_ members: [(String, JSONValue)]) -> [String] {
    Set(members.map(\.0)).sorted()
}
