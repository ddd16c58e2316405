import KoanAutograd
import KoanTensor

/// Every mistake a caller can make with a module tree, as data. Messages name the layer
/// path (dotted, as in `parameters`) so that an error deep inside a model reads like
/// "layers.2 (Linear): expected input of shape [*, 128], got [4, 64]".
///
///     do { _ = try model(x) } catch let e as NNError { print(e) }
public enum NNError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A layer received an input whose shape it cannot take. `expected` describes the
    /// accepted shapes (e.g. "[*, 128]"), `got` is the actual shape.
    case shapeMismatch(path: String, layer: String, expected: String, got: [Int])
    /// `update(parameters:)` or `update(buffers:)` got a tensor whose shape differs.
    case parameterShapeMismatch(path: String, expected: [Int], got: [Int])
    /// `update(parameters:)` got a tensor whose dtype differs.
    case parameterDTypeMismatch(path: String, expected: DType, got: DType)
    /// A path (or path prefix) that names no parameter; `nearMatches` are the closest ones.
    case unknownParameter(path: String, nearMatches: [String])
    /// A constructor or function argument out of range, e.g. `Dropout(p: 1.5)`.
    case invalidArgument(layer: String, message: String)
    /// A tensor error raised inside a layer's forward pass, with the layer's path.
    case layerFailed(path: String, layer: String, error: TensorError)

    public var description: String {
        switch self {
        case let .shapeMismatch(path, layer, expected, got):
            return "\(Self.where_(path, layer)): expected input of shape \(expected), got \(got)"
        case let .parameterShapeMismatch(path, expected, got):
            return "parameter '\(path)': expected shape \(expected), got \(got)"
        case let .parameterDTypeMismatch(path, expected, got):
            return "parameter '\(path)': expected dtype \(expected), got \(got)"
        case let .unknownParameter(path, near):
            let hint = near.isEmpty ? "" : "; did you mean " + near.map { "'\($0)'" }.joined(separator: ", ") + "?"
            return "no parameter with path '\(path)'\(hint)"
        case let .invalidArgument(layer, message):
            return "\(layer): \(message)"
        case let .layerFailed(path, layer, error):
            return "\(Self.where_(path, layer)): \(error)"
        }
    }

    static func where_(_ path: String, _ layer: String) -> String {
        path.isEmpty ? layer : "\(path) (\(layer))"
    }

    /// The same error with `name` prepended to its layer path (containers call this when a
    /// child throws, so the final path is the child's full dotted path).
    func prefixed(with name: String) -> NNError {
        func join(_ p: String) -> String { p.isEmpty ? name : "\(name).\(p)" }
        switch self {
        case let .shapeMismatch(path, layer, expected, got):
            return .shapeMismatch(path: join(path), layer: layer, expected: expected, got: got)
        case let .layerFailed(path, layer, error):
            return .layerFailed(path: join(path), layer: layer, error: error)
        default:
            return self
        }
    }
}

/// Paths from `candidates` closest to `path` (edit distance, shared prefix), at most 3.
func nearMatches(_ path: String, in candidates: [String]) -> [String] {
    func distance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var prev = Array(0...b.count)
        var cur = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            cur[0] = i
            for j in 1...b.count {
                cur[j] = Swift.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&prev, &cur)
        }
        return prev[b.count]
    }
    let p = Array(path)
    // Candidates: the paths and their module prefixes ("layers.0" for "layers.0.weight").
    var pool: [String] = []
    var seen = Set<String>()
    for c in candidates {
        let parts = c.split(separator: ".")
        for k in 1...Swift.max(parts.count, 1) {
            let s = parts.prefix(k).joined(separator: ".")
            if seen.insert(s).inserted { pool.append(s) }
        }
    }
    let scored = pool.map { c in (c, distance(p, Array(c))) }
    guard let best = scored.map(\.1).min(), best <= Swift.max(3, path.count / 2) else { return [] }
    return scored.filter { $0.1 <= best + 1 }.sorted { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }.prefix(3).map(\.0)
}
