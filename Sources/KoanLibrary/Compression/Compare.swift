import Dispatch
import Foundation
import KoanLang
import KoanMarkup
import KoanNN
import KoanPlot
import KoanTensor
import KoanTrain

// `compare(models, on: data)`: fine-tuned and compressed models side by side — how each was
// made, its weights, what trains, its file size, latency and throughput, training time and
// accuracy with the change from the first model.

/// Weight elements, the integer weights of quantized layers included.
func weightCount(_ model: Module) -> Int {
    model.parameterCount + quantizedLayers(model).reduce(0) { $0 + $1.layer.outFeatures * $1.layer.inFeatures }
}

/// Bytes of the model's safetensors file (as `save` writes it).
func fileBytes(_ model: Module) throws -> Int {
    let path = NSTemporaryDirectory() + "koan-compare-\(UUID().uuidString).safetensors"
    defer { try? FileManager.default.removeItem(atPath: path) }
    try Checkpoint.save(model, to: path)
    return (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
}

/// The median seconds of `body` over repeats filling about `budget` seconds (3 to 25 runs,
/// after one warm-up).
func medianSeconds(budget: Double = 0.3, _ body: () throws -> Void) throws -> Double {
    func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
    try body()
    var times: [Double] = []
    let start = now()
    while times.count < 3 || (times.count < 25 && now() - start < budget) {
        let t = now()
        try body()
        times.append(now() - t)
    }
    times.sort()
    return times[times.count / 2]
}

/// The first `n` samples of `features` (fewer if there are fewer).
private func head(_ features: NDArray, _ n: Int) throws -> NDArray {
    try features[[.range(start: 0, end: min(n, features.shape[0]), step: 1)]]
}

/// `compare`'s result: a text and HTML table, its numeric columns, and `chart(column)`.
final class ComparisonTable: KoanObject {
    let rows: [[String]]
    let names: [String]
    let numbers: [String: [Double]]
    init(rows: [[String]], names: [String], numbers: [String: [Double]]) {
        self.rows = rows; self.names = names; self.numbers = numbers
    }
    var typeName: String { "Table" }
    var description: String { textTable(rows, rightAligned: Set(2..<rows[0].count)).joined(separator: "\n") }
    var richRepresentations: [String: MimeData] { ["text/html": .text(htmlTable(rows))] }
}

func registerCompareFunctions(_ r: Registry) {
    r.function("compare(_ models: [Module], on data: Dataset, names: [String]? = nil) -> Table",
               "Models side by side: method (fine-tuning or compression), weights, trainable parameters, file size (as save writes it), latency at batch 1 (ms, median), throughput at batch 32 (samples/s), seconds per epoch of the last fit, accuracy (or loss) on the dataset and its change from the first model in points. table.chart(\"accuracy\") draws a column.") { a, ctx in
        let models = try a[0].elements().map { try $0.asModule() }
        guard !models.isEmpty else { throw Fault(.value, "compare needs at least one model") }
        let names = a[2].isNil ? (1...models.count).map { "\($0)" } : try a[2].elements().map { try $0.asString() }
        guard names.count == models.count else { throw Fault(.value, "names has \(names.count) entries for \(models.count) models") }
        let times = ctx.registry.state { FitTimes() }
        var rows: [[String]] = [["model", "method", "weights", "trainable", "file", "latency b=1", "samples/s b=32", "s/epoch", "accuracy", "Δ"]]
        var numbers: [String: [Double]] = [:]
        var first: Double?
        for (i, m) in models.enumerated() {
            if ctx.cancellation.isCancelled { throw Fault(.interrupted, "compare was interrupted") }
            let data = try a[1].asDataset(for: m)
            let e = try KoanTrain.evaluate(m, on: data)
            let one = try head(data.features, 1), batch = try head(data.features, 32)
            let latency = try medianSeconds { _ = try KoanTrain.predict(m, one, batchSize: 1) }
            let perBatch = try medianSeconds { _ = try KoanTrain.predict(m, batch, batchSize: 32) }
            let bytes = try fileBytes(m)
            let total = m.parameterCount, trainable = m.trainableParameterCount
            let score = e.accuracy ?? e.loss
            if i == 0 { first = score }
            let delta = first.map { (score - $0) * (e.accuracy == nil ? 1 : 100) } ?? 0
            let method = times.note(m).map { note in compressionMethod(m).map { "\(note), \($0)" } ?? note } ?? fineTuningMethod(m)
            let pct = 100 * Double(trainable) / Double(max(1, total))
            rows.append([names[i], method, FitDisplay.grouped(weightCount(m)),
                         trainable == 0 ? "0" : "\(FitDisplay.grouped(trainable)) (\(PyFormat.fixed(pct, digits: pct < 1 ? 2 : 1))%)",
                         byteText(bytes), PyFormat.fixed(latency * 1000, digits: latency < 1e-3 ? 3 : 2) + " ms",
                         PyFormat.fixed(Double(batch.shape[0]) / perBatch, digits: 0),
                         times.secondsPerEpoch(m).map { PyFormat.fixed($0, digits: 1) } ?? "–",
                         e.accuracy.map { PyFormat.fixed($0, digits: 4) } ?? "loss " + PyFormat.fixed(e.loss, digits: 4),
                         i == 0 ? "" : (delta >= 0 ? "+" : "") + PyFormat.fixed(delta, digits: 2) + (e.accuracy == nil ? "" : " pts")])
            for (key, value) in [("weights", Double(weightCount(m))), ("trainable", Double(trainable)), ("bytes", Double(bytes)),
                                 ("latency_ms", latency * 1000), ("samples_per_s", Double(batch.shape[0]) / perBatch),
                                 (e.accuracy == nil ? "loss" : "accuracy", score)] {
                numbers[key, default: []].append(value)
            }
        }
        return .object(ComparisonTable(rows: rows, names: names, numbers: numbers))
    }
    r.member(of: ComparisonTable.self, "chart(_ column: String = \"accuracy\") -> Figure",
             "A bar chart of one column per model: accuracy (or loss), bytes, latency_ms, samples_per_s, weights or trainable.", .method { v, a, _ in
        guard case .object(let t as ComparisonTable) = v else { throw Fault(.type, "chart needs a comparison table") }
        let column = try a[0].asString()
        guard let values = t.numbers[column] else {
            throw Fault(.key, "no column '\(column)'; the columns are \(t.numbers.keys.sorted().joined(separator: ", "))")
        }
        var f = try Figure.bar(labels: t.names, values: values)
        f.title = column
        return .object(FigureObject(f))
    })
    r.member(of: ComparisonTable.self, "columns: [String: [Double]]", "The numeric columns by name.", .property { v, _ in
        guard case .object(let t as ComparisonTable) = v else { throw Fault(.type, "columns needs a comparison table") }
        var d = OrderedDict()
        for key in t.numbers.keys.sorted() { d.set(.string(key), .array((t.numbers[key] ?? []).map { .double($0) })) }
        return .dict(d)
    })
}

/// "1.2 MB", "84.0 kB", "912 B" (decimal units, as file browsers show them).
func byteText(_ n: Int) -> String {
    let x = Double(n)
    if x >= 1e6 { return PyFormat.fixed(x / 1e6, digits: 1) + " MB" }
    if x >= 1e3 { return PyFormat.fixed(x / 1e3, digits: 1) + " kB" }
    return "\(n) B"
}
