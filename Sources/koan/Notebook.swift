import Foundation
import JupyterKernel
import KoanLang

/// An nbformat 4 notebook, kept as JSON so unknown fields survive a round trip.
struct Notebook {
    var json: JSONObject

    init(path: String) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        guard case .object(let o) = try JSONDecoder().decode(JSONValue.self, from: data) else {
            throw NotebookError("\(path) is not a notebook (no top-level object)")
        }
        json = o
    }

    var cells: [JSONObject] {
        get {
            guard case .array(let a)? = json["cells"] else { return [] }
            return a.compactMap { if case .object(let o) = $0 { return o } else { return nil } }
        }
        set { json["cells"] = .array(newValue.map(JSONValue.object)) }
    }

    func write(to path: String) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try enc.encode(JSONValue.object(json)).write(to: URL(fileURLWithPath: path))
    }

    static func source(of cell: JSONObject) -> String {
        switch cell["source"] {
        case .string(let s)?: return s
        case .array(let lines)?: return lines.compactMap(\.stringValue).joined()
        default: return ""
        }
    }

    static func tags(of cell: JSONObject) -> [String] {
        guard case .object(let meta)? = cell["metadata"], case .array(let tags)? = meta["tags"] else { return [] }
        return tags.compactMap(\.stringValue)
    }

    /// Inserts `let NAME = VALUE` lines after the cell tagged `parameters` (or first), as papermill does.
    mutating func inject(parameters: [(String, String)]) {
        guard !parameters.isEmpty else { return }
        let lines = parameters.map { "let \($0.0) = \(Self.literal($0.1))" }
        let cell: JSONObject = [
            "id": .string(UUID().uuidString.lowercased()),
            "cell_type": .string("code"), "execution_count": .null, "outputs": .array([]),
            "metadata": .object(["tags": .array([.string("injected-parameters")])]),
            "source": .string("// Injected parameters\n" + lines.joined(separator: "\n")),
        ]
        var all = cells
        let at = all.firstIndex { Self.tags(of: $0).contains("parameters") }.map { $0 + 1 } ?? 0
        all.insert(cell, at: at)
        cells = all
    }

    /// A command-line value as a Koan literal: numbers and booleans as they are, anything else a string.
    static func literal(_ value: String) -> String {
        if Int(value) != nil || value == "true" || value == "false" { return value }
        if Double(value) != nil, value.allSatisfy({ "0123456789.eE+-".contains($0) }) { return value }
        return stringLiteral(value)
    }
}

struct NotebookError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// A cell's `Display` when running a notebook headless: outputs become nbformat outputs.
final class NotebookDisplay: Display {
    private(set) var outputs: [JSONObject] = []
    private var displayIndex: [String: [Int]] = [:]
    private var clearPending = false

    func write(_ text: String, to stream: KoanLang.OutputStream) {
        applyClear()
        let name = stream == .stdout ? "stdout" : "stderr"
        if let last = outputs.last, last["output_type"] == .string("stream"), last["name"] == .string(name),
           case .string(let t)? = last["text"] {
            outputs[outputs.count - 1]["text"] = .string(t + text)
        } else {
            outputs.append(["output_type": .string("stream"), "name": .string(name), "text": .string(text)])
        }
    }

    func show(_ bundle: MimeBundle, displayID: String?, update: Bool) {
        if update, let id = displayID {
            for i in displayIndex[id] ?? [] where i < outputs.count { outputs[i]["data"] = .object(bundle.json) }
            return
        }
        applyClear()
        outputs.append(["output_type": .string("display_data"), "data": .object(bundle.json), "metadata": .object([:])])
        if let id = displayID { displayIndex[id, default: []].append(outputs.count - 1) }
    }

    func clearOutput(wait: Bool) {
        if wait { clearPending = true } else { outputs = []; displayIndex = [:] }
    }

    func readLine(prompt: String, password: Bool) throws -> String {
        throw NotebookError("stdin is not available when running a notebook headless")
    }

    func result(_ bundle: MimeBundle, count: Int) {
        applyClear()
        outputs.append(["output_type": .string("execute_result"), "execution_count": .int(count),
                        "data": .object(bundle.json), "metadata": .object([:])])
    }

    func error(_ e: KoanFailure) {
        applyClear()
        outputs.append(["output_type": .string("error"), "ename": .string(e.ename), "evalue": .string(e.evalue),
                        "traceback": .array(e.tracebackLines.map(JSONValue.string))])
    }

    private func applyClear() {
        if clearPending { outputs = []; displayIndex = [:]; clearPending = false }
    }
}
