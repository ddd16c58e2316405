import Foundation
import KoanTensor

/// A JSON value as decoded from one JSONL line.
enum JSONValue: Decodable {
    case null, bool(Bool), number(Double), string(String), array([JSONValue]), object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let d = try? c.decode(Double.self) { self = .number(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    var kind: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

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
        let decoder = JSONDecoder()
        var values: [Double] = []
        var rawLabels: [String] = []
        var width: Int?
        for (line, text) in textLines(bytes) where !trimmed(String(text)).isEmpty {
            let value: JSONValue
            do {
                value = try decoder.decode(JSONValue.self, from: Data(text.utf8))
            } catch {
                throw DataError.invalidJSONLine(path: path, line: line, reason: "not valid JSON")
            }
            guard case let .object(obj) = value else {
                throw DataError.invalidJSONLine(path: path, line: line, reason: "expected a JSON object, found \(value.kind)")
            }
            guard let lv = obj[label] else {
                if rawLabels.isEmpty { throw DataError.unknownColumn(path: path, name: label, available: obj.keys.sorted()) }
                throw DataError.missingKey(path: path, line: line, key: label)
            }
            switch lv {
            case let .number(d): rawLabels.append(d == d.rounded() && abs(d) < 9.0e15 ? String(Int64(d)) : String(d))
            case let .string(s): rawLabels.append(s)
            case let .bool(b): rawLabels.append(b ? "true" : "false")
            default:
                throw DataError.invalidJSONLine(path: path, line: line, reason: "label '\(label)' must be a number or a string, found \(lv.kind)")
            }
            var rowCount = 0
            for (j, key) in features.enumerated() {
                guard let fv = obj[key] else {
                    if rawLabels.count == 1 { throw DataError.unknownColumn(path: path, name: key, available: obj.keys.sorted()) }
                    throw DataError.missingKey(path: path, line: line, key: key)
                }
                switch fv {
                case let .number(d): values.append(d); rowCount += 1
                case let .array(items):
                    for item in items {
                        guard case let .number(d) = item else {
                            throw DataError.notNumeric(path: path, line: line, column: key, index: j, value: "\(item.kind) in an array")
                        }
                        values.append(d); rowCount += 1
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
