import KoanLang
import KoanAutograd
import KoanMetrics
import KoanPlot

// Figures from cells: thin registrations of KoanPlot. A figure shows as interactive
// Vega-Lite in JupyterLab, with SVG, PNG and a one-line description beside it.

/// A figure as a Koan value. Its bundle carries every representation; the frontend picks.
final class FigureObject: KoanObject {
    let figure: Figure
    /// The numbers behind a figure that stands for a value (a confusion matrix's `matrix`
    /// and `labels`), read as members.
    let values: [String: Value]
    init(_ figure: Figure, values: [String: Value] = [:]) { self.figure = figure; self.values = values }
    var typeName: String { "Figure" }
    var description: String { figure.description }
    var richRepresentations: [String: MimeData] {
        var rich: [String: MimeData] = [
            "application/vnd.vegalite.v5+json": .json(figure.vegaLite()),
            "image/svg+xml": .text(figure.svg()),
        ]
        if let png = try? figure.png() { rich["image/png"] = .text(base64(png)) }
        return rich
    }
}

/// A value that has a chart of its own, drawn by `plot(x)`: a study's best-so-far history.
protocol PlottableObject: KoanObject {
    func figure() throws -> Figure
}

func registerPlotFunctions(_ r: Registry) {
    r.function("plot(_ x: Any, _ y: Any? = nil, title: String? = nil, xLabel: String? = nil, yLabel: String? = nil, logY: Bool = false, facets: Bool = false) -> Figure",
               "A line chart: plot(y), plot(x, y), or plot(history, [\"loss\", \"val_loss\"]) for columns of a dictionary of series; facets: one panel per series. plot(study) draws a search's trial values and best so far.") { a, _ in
        var figure: Figure
        if case .object(let o as PlottableObject) = a[0], a[1].isNil {
            figure = try o.figure()
        } else if case .dict(let d) = a[0] {
            // A run's history has an "epoch" column: it is the x axis (numbered from 1, as
            // the run's table), not a series.
            let epochKey = Value.string("epoch")
            let epochs = try d[epochKey].map(numbers)
            var keys = a[1].isNil ? d.keys : try a[1].elements()
            if epochs != nil, a[1].isNil { keys.removeAll { $0 == epochKey } }
            let columns = try keys.map { key -> (name: String, values: [Double]) in
                guard let column = d[key] else { throw Fault(.key, "no series named \(key.debugDescription) to plot") }
                return (try key.asString(), try numbers(column))
            }
            let x = epochs.flatMap { e in columns.allSatisfy { $0.values.count == e.count } ? e : nil }
            figure = try Figure.lines(columns, x: x)
            if x != nil, a[3].isNil { figure.xLabel = "epoch" }
        } else if a[1].isNil {
            figure = try Figure.line(x: nil, y: try numbers(a[0]))
        } else {
            figure = try Figure.line(x: try numbers(a[0]), y: try numbers(a[1]))
        }
        if try a[5].asBool() { figure = try figure.scaled(y: .log) }
        figure.facetBySeries = try a[6].asBool()
        return try decorated(figure, title: a[2], xLabel: a[3], yLabel: a[4])
    }
    r.function("scatter(_ x: Any, _ y: Any, title: String? = nil, xLabel: String? = nil, yLabel: String? = nil) -> Figure",
               "A scatter plot of y against x (arrays or 1-D tensors).") { a, _ in
        try decorated(try Figure.scatter(x: try numbers(a[0]), y: try numbers(a[1])), title: a[2], xLabel: a[3], yLabel: a[4])
    }
    r.function("bar(_ labels: [String], _ values: Any, title: String? = nil) -> Figure", "A bar chart, one bar per label.") { a, _ in
        let labels = try a[0].elements().map { $0.description }
        return try decorated(try Figure.bar(labels: labels, values: try numbers(a[1])), title: a[2], xLabel: .null, yLabel: .null)
    }
    r.function("histogram(_ values: Any, bins: Int = 10, title: String? = nil) -> Figure",
               "A histogram of the values (an array or a tensor of any shape) with NumPy's bin edges.") { a, _ in
        try decorated(try Figure.histogram(try numbers(a[0]), bins: try a[1].asInt()), title: a[2], xLabel: .null, yLabel: .null)
    }
    r.function("heatmap(_ matrix: Any, labels: [String]? = nil, columnLabels: [String]? = nil, annotate: Bool = true, title: String? = nil) -> Figure",
               "A heatmap of a matrix (nested arrays or a 2-D tensor), values written in the cells when annotate.") { a, _ in
        let rows = try matrix(a[0])
        let rowLabels = a[1].isNil ? nil : try a[1].elements().map { $0.description }
        let columnLabels = a[2].isNil ? rowLabels : try a[2].elements().map { $0.description }
        let figure = try Figure.heatmap(rows, rowLabels: rowLabels, columnLabels: columnLabels, annotate: try a[3].asBool())
        return try decorated(figure, title: a[4], xLabel: .null, yLabel: .null)
    }
    r.function("confusionMatrix(_ yTrue: [Label], _ yPred: [Label], normalize: Normalize? = nil) -> Figure",
               "The confusion matrix (rows: true class, columns: predicted) as an annotated heatmap, as scikit-learn's confusion_matrix; normalize: .true, .pred or .all.") { a, _ in
        try confusionMatrixValue(yTrue: try reportLabels(a[0]), yPred: try reportLabels(a[1]), normalize: a[2])
    }
    r.function("show(_ value: Any)", "Shows a value (a figure, a report, a tensor) richly now, as display(_:).") { a, ctx in
        ctx.display.show(a[0].mimeBundle, displayID: nil, update: false)
        return .void
    }
    for (name, doc) in [("matrix", "The confusion matrix's counts (or rates): rows are true classes, columns predicted."),
                        ("labels", "The class labels of a confusion matrix's rows and columns.")] {
        r.member(of: FigureObject.self, "\(name): [Any]", doc, .property { v, _ in
            guard case .object(let o as FigureObject) = v, let x = o.values[name] else {
                throw Fault(.type, "only a confusion matrix has '\(name)'")
            }
            return x
        })
    }
    r.member(of: FigureObject.self, "save(_ path: String)", "Writes a figure as .svg, .png or .json (Vega-Lite) by the path's extension.", .method { v, a, _ in
        guard case .object(let o as FigureObject) = v else { throw Fault(.type, noMember(v, "save")) }
        try o.figure.save(try a[0].asString())
        return .void
    })
}

private func decorated(_ figure: Figure, title: Value, xLabel: Value, yLabel: Value) throws -> Value {
    var f = figure
    if !title.isNil { f.title = try title.asString() }
    if !xLabel.isNil { f.xLabel = try xLabel.asString() }
    if !yLabel.isNil { f.yLabel = try yLabel.asString() }
    return .object(FigureObject(f))
}

/// The confusion matrix of label lists as an annotated heatmap, with `matrix` and `labels` members.
func confusionMatrixValue(yTrue: [Label], yPred: [Label], normalize option: Value) throws -> Value {
    let normalize: Normalize?
    switch option {
    case .null: normalize = nil
    case .object(let o as EnumCase) where o.name == "true": normalize = .true
    case .object(let o as EnumCase) where o.name == "pred": normalize = .pred
    case .object(let o as EnumCase) where o.name == "all": normalize = .all
    default: throw Fault(.value, "normalize must be .true, .pred, .all or nil")
    }
    let (labels, m) = try confusionMatrix(yTrue: yTrue, yPred: yPred, normalize: normalize)
    let names = labels.map(\.description)
    var figure = try Figure.heatmap(m, rowLabels: names, columnLabels: names, annotate: true)
    figure.title = "Confusion matrix"
    figure.xLabel = "predicted"
    figure.yLabel = "true"
    let matrix = Value.array(m.map { row in .array(row.map { .double($0) }) })
    let labelValues = Value.array(labels.map { l -> Value in
        if case .int(let i) = l { return .int(i) }
        return .string(l.description)
    })
    return .object(FigureObject(figure, values: ["matrix": matrix, "labels": labelValues]))
}

/// Numbers from an array or a tensor (flattened).
private func numbers(_ v: Value) throws -> [Double] {
    if let t = v.tensorValue { return t.data.doubles() }
    return try v.elements().map { try $0.asDouble() }
}

private func matrix(_ v: Value) throws -> [[Double]] {
    if let t = v.tensorValue {
        guard t.shape.count == 2 else { throw Fault(.value, "heatmap needs a 2-D tensor, got shape \(t.shape)") }
        let flat = t.data.doubles(), cols = t.shape[1]
        return (0..<t.shape[0]).map { Array(flat[$0 * cols..<($0 + 1) * cols]) }
    }
    return try v.elements().map { try numbers($0) }
}
