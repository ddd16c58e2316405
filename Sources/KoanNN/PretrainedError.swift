/// Every mistake found while locating or loading a pretrained model, as data. Messages
/// name the file and the field or tensor involved.
///
///     do { _ = try pretrained("all-MiniLM-L6-v2") }
///     catch let e as PretrainedError { print(e) }
///     // model.safetensors: tensor 'encoder.layer.0.output.dense.weight' has shape [384, 1000],
///     //   expected [384, 1536] (hidden_size, intermediate_size in config.json)
public enum PretrainedError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A model name this library does not know; `available` lists the known ones.
    case unknownModel(name: String, available: [String])
    /// The model's files were not found; `searched` lists the directories tried.
    case notFound(name: String, searched: [String], hint: String)
    /// A file that cannot be opened or read.
    case cannotRead(path: String, reason: String)
    /// A configuration field that is missing, of the wrong kind or unsupported.
    case invalidConfig(path: String, field: String, reason: String)
    /// A weight the model needs that the file does not hold.
    case missingTensor(path: String, name: String)
    /// A tensor in the file that the model has no place for.
    case unexpectedTensor(path: String, name: String, nearMatches: [String])
    /// A tensor whose shape disagrees with the configuration; `fields` names the
    /// configuration fields the expected sizes come from.
    case tensorShape(path: String, name: String, expected: [Int], got: [Int], fields: String)
    /// A tensor stored in a dtype that cannot be converted to floating point.
    case unsupportedDType(path: String, name: String, dtype: String)

    public var description: String {
        switch self {
        case let .unknownModel(name, available):
            return "unknown pretrained model '\(name)'; available: \(available.map { "'\($0)'" }.joined(separator: ", "))"
        case let .notFound(name, searched, hint):
            let list = searched.isEmpty ? "" : "; searched: " + searched.joined(separator: ", ")
            return "the files of '\(name)' were not found\(list). \(hint)"
        case let .cannotRead(path, reason):
            return "cannot read '\(path)': \(reason)"
        case let .invalidConfig(path, field, reason):
            return "\(path): field '\(field)': \(reason)"
        case let .missingTensor(path, name):
            return "\(path): the model needs tensor '\(name)', which the file does not hold"
        case let .unexpectedTensor(path, name, near):
            let hint = near.isEmpty ? "" : "; did you mean " + near.map { "'\($0)'" }.joined(separator: ", ") + "?"
            return "\(path): tensor '\(name)' has no place in the model\(hint)"
        case let .tensorShape(path, name, expected, got, fields):
            let from = fields.isEmpty ? "" : " (\(fields))"
            return "\(path): tensor '\(name)' has shape \(got), expected \(expected)\(from)"
        case let .unsupportedDType(path, name, dtype):
            return "\(path): tensor '\(name)' has dtype \(dtype), which cannot be loaded as floating point"
        }
    }
}
