import KoanAutograd
import KoanLang
import KoanMarkup
import KoanNN
import KoanTensor

/// `model.parameters`: the tensors by dotted path, as in PyTorch's `named_parameters()`.
/// It shows as a table (path, shape, dtype, count, trainable) rather than every weight's
/// values; `parameters["0.weight"]` is the tensor, and it iterates and answers `keys`,
/// `values` and `count` as a dictionary does.
final class ParameterTable: SubscriptableObject, SequenceObject {
    struct Entry {
        let path: String
        let tensor: Tensor
        let trainable: Bool
    }
    let entries: [Entry]
    private let index: [String: Int]

    init(_ module: Module) {
        let trainable = Set(module.trainableParameters.map(\.path))
        entries = module.parameters.map { Entry(path: $0.0, tensor: $0.1, trainable: trainable.contains($0.0)) }
        index = Dictionary(entries.enumerated().map { ($1.path, $0) }, uniquingKeysWith: { a, _ in a })
    }

    var typeName: String { "Parameters" }
    var totalCount: Int { entries.reduce(0) { $0 + $1.tensor.data.count } }
    var trainableCount: Int { entries.filter(\.trainable).reduce(0) { $0 + $1.tensor.data.count } }

    /// "4 tensors, 23 parameters (23 trainable)"
    private var counts: String { "\(entries.count) tensors, \(totalCount) parameters (\(trainableCount) trainable)" }

    private var rows: [[String]] {
        entries.map { e in
            [e.path, "\(e.tensor.shape)", e.tensor.dtype.rawValue, "\(e.tensor.data.count)", e.trainable ? "yes" : "no"]
        }
    }
    private static let header = ["path", "shape", "dtype", "count", "trainable"]

    var description: String {
        // Text columns align left, the count right, as pandas prints a frame.
        let lines = textTable([ParameterTable.header] + rows, rightAligned: [3])
        return (lines + [counts]).joined(separator: "\n")
    }

    var richRepresentations: [String: MimeData] { ["text/html": .text(html())] }

    /// The table as HTML; `caption` (a model's name) goes before the counts.
    func html(caption: String? = nil) -> String {
        var html = "<table><caption>\(caption.map { htmlEscaped($0) + ": " } ?? "")\(counts)</caption><thead><tr>"
        html += ParameterTable.header.map { "<th>\($0)</th>" }.joined() + "</tr></thead><tbody>"
        for r in rows {
            html += "<tr><td><code>\(htmlEscaped(r[0]))</code></td>" + r.dropFirst().map { "<td>\(htmlEscaped($0))</td>" }.joined() + "</tr>"
        }
        return html + "</tbody></table>"
    }

    /// `parameters["0.weight"]`: the tensor at that path, or nil.
    func subscriptGet(_ index: [Argument]) throws -> Value {
        guard index.count == 1, index[0].label == nil, case .string(let path) = index[0].value else {
            throw Fault(.type, "parameters are read by path: parameters[\"0.weight\"]")
        }
        guard let i = self.index[path] else { return .null }
        return .tensor(entries[i].tensor)
    }

    /// `for (path, tensor) in model.parameters`
    func elements() throws -> [Value] {
        entries.map { .tuple(TupleValue([.string($0.path), .tensor($0.tensor)], labels: ["key", "value"])) }
    }
}

func registerParameterTableMembers(_ r: Registry) {
    func property(_ sig: String, _ doc: String, _ get: @escaping (ParameterTable) -> Value) {
        r.member(of: ParameterTable.self, sig, doc, .property { v, _ in
            guard case .object(let o as ParameterTable) = v else { throw Fault(.type, "expected a parameter table") }
            return get(o)
        })
    }
    property("keys: [String]", "The parameter paths, in the module's order.") { .array($0.entries.map { .string($0.path) }) }
    property("values: [Tensor]", "The parameter tensors, in the module's order.") { .array($0.entries.map { .tensor($0.tensor) }) }
    property("count: Int", "The number of parameter tensors.") { .int($0.entries.count) }
    property("isEmpty: Bool", "Whether the module has no parameters.") { .bool($0.entries.isEmpty) }
    property("parameterCount: Int", "The number of scalar parameters, as `model.parameterCount`.") { .int($0.totalCount) }
    property("trainable: [String]", "The paths of the trainable parameters.") { .array($0.entries.filter(\.trainable).map { .string($0.path) }) }
}
