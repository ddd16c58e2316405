/// Every mistake a caller can make while building, loading or saving a tokenizer, as data.
/// Messages name the file and the JSON field path involved.
///
///     do { _ = try Tokenizer.load("tok.json") }
///     catch let e as TokenizerError { print(e) }
///     // tok.json: unsupported value 'Unigram' at model.type (supported: WordPiece, BPE)
public enum TokenizerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A file that cannot be opened or read, with the OS reason.
    case cannotOpen(path: String, reason: String)
    /// A file that cannot be written, with the OS reason.
    case cannotWrite(path: String, reason: String)
    /// A file that is not valid JSON.
    case invalidJSON(path: String, reason: String)
    /// A required field that is absent.
    case missingField(path: String, field: String)
    /// A field of the wrong JSON kind (`expected` says what was wanted, `found` what was there).
    case wrongType(path: String, field: String, expected: String, found: String)
    /// A component type or option this implementation does not support.
    case unsupported(path: String, field: String, value: String, supported: [String])
    /// A field whose value is inconsistent (e.g. a merge naming a token not in the vocabulary).
    case invalidValue(path: String, field: String, reason: String)
    /// A bad argument to a training or factory function.
    case invalidArgument(String)

    public var description: String {
        switch self {
        case .cannotOpen(let p, let r): "cannot open '\(p)': \(r)"
        case .cannotWrite(let p, let r): "cannot write '\(p)': \(r)"
        case .invalidJSON(let p, let r): "\(p): not valid JSON: \(r)"
        case .missingField(let p, let f): "\(p): missing field \(f)"
        case .wrongType(let p, let f, let e, let found): "\(p): field \(f) should be \(e), found \(found)"
        case .unsupported(let p, let f, let v, let s):
            "\(p): unsupported value '\(v)' at \(f) (supported: \(s.joined(separator: ", ")))"
        case .invalidValue(let p, let f, let r): "\(p): invalid \(f): \(r)"
        case .invalidArgument(let d): "invalid argument: \(d)"
        }
    }
}
