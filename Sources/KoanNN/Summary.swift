import KoanMarkup
import KoanAutograd
import KoanTensor

/// Collects output shapes while `summary` runs a forward pass.
final class SummaryRecorder {
    var shapes: [ObjectIdentifier: [Int]] = [:]
    func record(_ m: Module, _ shape: [Int]) { shapes[ObjectIdentifier(m)] = shape }
}

/// One row of a model summary: a module (by path), its layer type, its output shape in the
/// summary's forward pass (nil if it was not called), and its own (direct) parameters.
///
///     let rows = try MLP(input: 64, hidden: [128], output: 10).summary(inputShape: [1, 64])
///     rows[0]   // SummaryRow(path: "layers", layer: "Sequential", outputShape: [1, 10], ...)
public struct SummaryRow: Sendable, Equatable {
    public var path: String
    public var layer: String
    public var outputShape: [Int]?
    public var parameters: Int
    public var trainable: Int
}

/// "9,610".
func grouped(_ n: Int) -> String {
    let s = String(n.magnitude)
    var out = ""
    for (i, ch) in s.enumerated() {
        if i > 0 && (s.count - i) % 3 == 0 { out.append(",") }
        out.append(ch)
    }
    return (n < 0 ? "-" : "") + out
}

extension Module {
    /// Runs one forward pass on zeros of `inputShape` (in eval mode and without grad, so
    /// running statistics and dropout counters are untouched; the modes are restored) and
    /// lists every module below this one in pre-order. Parameter counts are each module's
    /// own, so the column sums to `parameterCount`.
    ///
    ///     let rows = try model.summary(inputShape: [1, 64])
    ///     print(rows.textTable())
    public func summary(inputShape: [Int], dtype: DType = .float32) throws -> [SummaryRow] {
        let modules = namedModules
        let modes = modules.map(\.module.isTraining)
        let rec = SummaryRecorder()
        for (_, m) in modules {
            m.recorder = rec
            m.setOwnTraining(false)
        }
        defer {
            for ((_, m), t) in zip(modules, modes) {
                m.recorder = nil
                m.setOwnTraining(t)
            }
        }
        let x = Tensor(try NDArray.zeros(inputShape, dtype: dtype))
        _ = try noGrad { try self(x) }
        return modules.dropFirst().map { path, m in
            let c = m.ownParameterCounts
            return SummaryRow(path: path, layer: m.layerName, outputShape: rec.shapes[ObjectIdentifier(m)],
                              parameters: c.total, trainable: c.trainable)
        }
    }
}

extension Array where Element == SummaryRow {
    /// Total parameters in the rows.
    public var totalParameters: Int { reduce(0) { $0 + $1.parameters } }
    /// Total trainable parameters in the rows.
    public var totalTrainable: Int { reduce(0) { $0 + $1.trainable } }

    /// A fixed-width text table (nested paths indented by depth) with totals:
    ///
    ///     Layer (path)     Type        Output shape  Params
    ///     ─────────────────────────────────────────────────
    ///     layers           Sequential  [1, 10]            0
    ///       layers.0       Linear      [1, 128]       8,320
    public func textTable() -> String {
        let header = ["Layer (path)", "Type", "Output shape", "Params", "Trainable"]
        var cells: [[String]] = map { r in
            let depth = r.path.split(separator: ".").count - 1
            return [String(repeating: "  ", count: Swift.max(depth, 0)) + r.path, r.layer,
                    r.outputShape.map { "\($0)" } ?? "-", grouped(r.parameters), grouped(r.trainable)]
        }
        cells.insert(header, at: 0)
        var widths = [Int](repeating: 0, count: header.count)
        for row in cells { for (i, c) in row.enumerated() { widths[i] = Swift.max(widths[i], c.count) } }
        func line(_ row: [String]) -> String {
            row.enumerated().map { i, c in
                let pad = String(repeating: " ", count: widths[i] - c.count)
                return i >= 3 ? pad + c : c + pad
            }.joined(separator: "  ")
        }
        let rule = String(repeating: "─", count: widths.reduce(0, +) + 2 * (widths.count - 1))
        var out = [line(cells[0]), rule]
        out += cells.dropFirst().map(line)
        out.append(rule)
        out.append("Total parameters: \(grouped(totalParameters))")
        out.append("Trainable parameters: \(grouped(totalTrainable))")
        out.append("Non-trainable parameters: \(grouped(totalParameters - totalTrainable))")
        return out.map { line in
            var l = line
            while l.hasSuffix(" ") { l.removeLast() }
            return l
        }.joined(separator: "\n")
    }

    /// The same table as HTML (for the notebook's rich display).
    ///
    ///     let html = rows.htmlTable()   // "<table class=\"koan-summary\">..."
    public func htmlTable() -> String {
        var h = "<table class=\"koan-summary\">\n<thead><tr><th>Layer (path)</th><th>Type</th><th>Output shape</th>"
            + "<th style=\"text-align:right\">Params</th><th style=\"text-align:right\">Trainable</th></tr></thead>\n<tbody>\n"
        for r in self {
            let depth = Swift.max(r.path.split(separator: ".").count - 1, 0)
            h += "<tr><td style=\"padding-left:\(depth)em\"><code>\(htmlEscaped(r.path))</code></td>"
                + "<td>\(htmlEscaped(r.layer))</td><td>\(r.outputShape.map { "\($0)" } ?? "-")</td>"
                + "<td style=\"text-align:right\">\(grouped(r.parameters))</td>"
                + "<td style=\"text-align:right\">\(grouped(r.trainable))</td></tr>\n"
        }
        h += "</tbody>\n<tfoot><tr><td colspan=\"3\">Total parameters (trainable / non-trainable)</td>"
            + "<td style=\"text-align:right\">\(grouped(totalParameters))</td>"
            + "<td style=\"text-align:right\">\(grouped(totalTrainable)) / \(grouped(totalParameters - totalTrainable))</td></tr></tfoot>\n</table>"
        return h
    }
}
