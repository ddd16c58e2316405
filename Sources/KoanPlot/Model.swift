/// How a series is drawn.
///
/// ```swift
/// let s = Series(name: "loss", x: [0, 1], y: [2, 1], kind: .scatter)
/// ```
public enum Mark: String, Sendable, Equatable {
    /// Points joined by straight segments.
    case line
    /// Unjoined dots.
    case scatter
    /// Vertical bars from zero (or the bottom of a log axis) to each value.
    case bar
}

/// How an axis maps data to position.
///
/// ```swift
/// var f = try Figure.line(x: nil, y: [1, 10, 100]); f.yScale = .log
/// ```
public enum Scale: String, Sendable, Equatable {
    /// Evenly spaced values.
    case linear
    /// Evenly spaced powers of ten; every value must be > 0.
    case log
}

/// One named set of (x, y) points.
///
/// ```swift
/// let s = Series(name: "val_loss", x: [0, 1, 2], y: [0.9, 0.7, 0.6])
/// ```
public struct Series: Sendable, Equatable {
    /// Legend / facet name.
    public var name: String
    /// Horizontal positions (bar charts with categories use 0, 1, 2, …).
    public var x: [Double]
    /// Vertical values; non-finite values are dropped from drawing.
    public var y: [Double]
    /// How the series is drawn.
    public var kind: Mark
    /// Optional colour override as `#rgb` or `#rrggbb`; otherwise the fixed palette is used.
    public var colour: String?
    /// For histograms: `x.count + 1` bin edges; bar `i` spans `binEdges[i]...binEdges[i+1]`.
    public var binEdges: [Double]?

    /// Makes a series.
    ///
    /// ```swift
    /// let s = Series(name: "y", x: [0, 1], y: [0.5, 0.5], kind: .line, colour: "#ff0000")
    /// ```
    public init(name: String, x: [Double], y: [Double], kind: Mark = .line,
                colour: String? = nil, binEdges: [Double]? = nil) {
        self.name = name
        self.x = x
        self.y = y
        self.kind = kind
        self.colour = colour
        self.binEdges = binEdges
    }
}

/// Colour ramps for heatmaps, from low to high values.
///
/// ```swift
/// var f = try Figure.heatmap([[1, 2], [3, 4]]); f.heatmap?.colourScale = .blues
/// ```
public enum ColourScale: String, Sendable, Equatable {
    /// Dark purple → yellow (perceptually uniform).
    case viridis
    /// Near white → dark blue.
    case blues
}

/// A matrix drawn as coloured cells.
///
/// ```swift
/// let h = Heatmap(matrix: [[1, 0], [0, 1]], rowLabels: ["a", "b"], columnLabels: ["p", "q"])
/// ```
public struct Heatmap: Sendable, Equatable {
    /// Row-major values; row 0 is drawn at the top.
    public var matrix: [[Double]]
    /// One label per row.
    public var rowLabels: [String]
    /// One label per column.
    public var columnLabels: [String]
    /// Print each value inside its cell, in black or white, whichever contrasts better.
    public var annotate: Bool
    /// The colour ramp mapping the smallest value to its first colour and the largest to its last.
    public var colourScale: ColourScale

    /// Makes a heatmap description (use ``Figure/heatmap(_:rowLabels:columnLabels:annotate:)`` for checked input).
    ///
    /// ```swift
    /// let h = Heatmap(matrix: [[1, 2]], rowLabels: ["r"], columnLabels: ["a", "b"], annotate: false)
    /// ```
    public init(matrix: [[Double]], rowLabels: [String], columnLabels: [String],
                annotate: Bool = true, colourScale: ColourScale = .viridis) {
        self.matrix = matrix
        self.rowLabels = rowLabels
        self.columnLabels = columnLabels
        self.annotate = annotate
        self.colourScale = colourScale
    }
}

/// A figure: one or more series (or a heatmap) plus titles, scales and size.
///
/// Render it with ``vegaLite()``, ``svg()``, ``png(scale:)`` or ``description``, or write it with ``save(_:)``.
///
/// ```swift
/// var f = try Figure.lines([("loss", [2.3, 1.1, 0.5]), ("val_loss", [2.4, 1.3, 0.8])])
/// f.title = "training"
/// let svg = f.svg()
/// ```
public struct Figure: Sendable, Equatable {
    /// Title drawn above the plot.
    public var title: String?
    /// Label under the x axis.
    public var xLabel: String?
    /// Label beside the y axis.
    public var yLabel: String?
    /// Horizontal scale.
    public var xScale: Scale = .linear
    /// Vertical scale.
    public var yScale: Scale = .linear
    /// The data; empty gives an empty frame with axes.
    public var series: [Series]
    /// Small multiples: one panel per series, sharing both axes.
    public var facetBySeries: Bool = false
    /// When set, the figure is a heatmap and `series` is ignored.
    public var heatmap: Heatmap?
    /// Category names for the x axis (bar charts); series x values are then indices 0, 1, 2, ….
    public var categories: [String]?
    /// Width in pixels (per panel when faceted).
    public var width: Int = 480
    /// Height in pixels (per panel when faceted).
    public var height: Int = 300
    /// Non-finite inputs a constructor (histogram) had to leave out; reported by `description`.
    var droppedInputs: Int = 0

    /// Makes a figure from parts.
    ///
    /// ```swift
    /// let f = Figure(series: [Series(name: "a", x: [0, 1], y: [1, 2])], title: "a")
    /// ```
    public init(series: [Series] = [], title: String? = nil, xLabel: String? = nil, yLabel: String? = nil,
                xScale: Scale = .linear, yScale: Scale = .linear, facetBySeries: Bool = false,
                heatmap: Heatmap? = nil, categories: [String]? = nil, width: Int = 480, height: Int = 300) {
        self.series = series
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.xScale = xScale
        self.yScale = yScale
        self.facetBySeries = facetBySeries
        self.heatmap = heatmap
        self.categories = categories
        self.width = width
        self.height = height
    }

    /// A line chart; `x` nil means 0, 1, 2, ….
    ///
    /// ```swift
    /// let f = try Figure.line(x: nil, y: [3, 1, 2], name: "loss")
    /// ```
    public static func line(x: [Double]?, y: [Double], name: String = "y") throws -> Figure {
        let xs = try checkedX(x, count: y.count, name: name)
        return Figure(series: [Series(name: name, x: xs, y: y, kind: .line)])
    }

    /// Several line series sharing one x (default 0, 1, 2, … per column), e.g. a training history.
    ///
    /// ```swift
    /// let f = try Figure.lines([("loss", [2, 1]), ("val_loss", [2.5, 1.5])])
    /// ```
    public static func lines(_ columns: [(name: String, values: [Double])], x: [Double]? = nil) throws -> Figure {
        var out: [Series] = []
        for column in columns {
            let xs = try checkedX(x, count: column.values.count, name: column.name)
            out.append(Series(name: column.name, x: xs, y: column.values, kind: .line))
        }
        return Figure(series: out)
    }

    /// A scatter plot.
    ///
    /// ```swift
    /// let f = try Figure.scatter(x: [1, 2, 3], y: [2, 4, 1])
    /// ```
    public static func scatter(x: [Double], y: [Double], name: String = "y") throws -> Figure {
        let xs = try checkedX(x, count: y.count, name: name)
        return Figure(series: [Series(name: name, x: xs, y: y, kind: .scatter)])
    }

    /// A bar chart with one bar per label.
    ///
    /// ```swift
    /// let f = try Figure.bar(labels: ["cat", "dog"], values: [3, 5])
    /// ```
    public static func bar(labels: [String], values: [Double]) throws -> Figure {
        guard labels.count == values.count else {
            throw PlotError.labelCountMismatch(what: "bar chart with \(values.count) values", expected: values.count, found: labels.count)
        }
        let xs = (0..<values.count).map(Double.init)
        return Figure(series: [Series(name: "value", x: xs, y: values, kind: .bar)], categories: labels)
    }

    /// A histogram with `bins` equal-width bins over the finite values' range, like `numpy.histogram`:
    /// every bin is half-open `[a, b)` except the last, which is closed `[a, b]`. Equal values get the range
    /// `v-0.5...v+0.5`; no values get `0...1`. Non-finite values are left out and counted in `description`.
    ///
    /// ```swift
    /// let f = try Figure.histogram([1, 2, 2, 3, 4], bins: 3)   // counts [1, 2, 2]
    /// ```
    public static func histogram(_ values: [Double], bins: Int = 10) throws -> Figure {
        guard bins >= 1 && bins <= maxBins else { throw PlotError.invalidBinCount(bins) }
        let finite = values.filter { $0.isFinite }
        let (edges, counts) = histogramCounts(finite, bins: bins)
        let centres = (0..<bins).map { (edges[$0] + edges[$0 + 1]) / 2 }
        var f = Figure(series: [Series(name: "count", x: centres, y: counts, kind: .bar, binEdges: edges)])
        f.yLabel = "count"
        f.droppedInputs = values.count - finite.count
        return f
    }

    /// A heatmap of a matrix; labels default to "0", "1", …; `annotate` prints values in the cells.
    ///
    /// ```swift
    /// let f = try Figure.heatmap([[5, 1], [2, 7]], rowLabels: ["cat", "dog"], columnLabels: ["cat", "dog"])
    /// ```
    public static func heatmap(_ matrix: [[Double]], rowLabels: [String]? = nil, columnLabels: [String]? = nil,
                               annotate: Bool = true) throws -> Figure {
        let columns = matrix.first?.count ?? 0
        for (i, row) in matrix.enumerated() where row.count != columns {
            throw PlotError.raggedHeatmap(row: i, expected: columns, found: row.count)
        }
        let rows = rowLabels ?? (0..<matrix.count).map { String($0) }
        let cols = columnLabels ?? (0..<columns).map { String($0) }
        guard rows.count == matrix.count else {
            throw PlotError.labelCountMismatch(what: "heatmap rows", expected: matrix.count, found: rows.count)
        }
        guard cols.count == columns else {
            throw PlotError.labelCountMismatch(what: "heatmap columns", expected: columns, found: cols.count)
        }
        return Figure(heatmap: Heatmap(matrix: matrix, rowLabels: rows, columnLabels: cols, annotate: annotate))
    }

    /// This figure with new axis scales, checked: every finite value on a log axis must be > 0.
    ///
    /// ```swift
    /// let f = try Figure.line(x: nil, y: [1, 10, 100]).scaled(y: .log)
    /// ```
    public func scaled(x: Scale? = nil, y: Scale? = nil) throws -> Figure {
        var f = self
        if let x { f.xScale = x }
        if let y { f.yScale = y }
        try f.validate()
        return f
    }

    /// Checks what a caller may have set by hand: equal x/y lengths, histogram edges, positive values on
    /// log axes, rectangular heatmaps with matching labels. `png` and `save` call it; `svg` and `vegaLite`
    /// never fail and simply leave out what cannot be drawn.
    ///
    /// ```swift
    /// var f = try Figure.line(x: nil, y: [0, 1]); f.yScale = .log
    /// try f.validate()   // throws PlotError.nonPositiveOnLogAxis
    /// ```
    public func validate() throws {
        if let h = heatmap {
            let columns = h.matrix.first?.count ?? 0
            for (i, row) in h.matrix.enumerated() where row.count != columns {
                throw PlotError.raggedHeatmap(row: i, expected: columns, found: row.count)
            }
            guard h.rowLabels.count == h.matrix.count else {
                throw PlotError.labelCountMismatch(what: "heatmap rows", expected: h.matrix.count, found: h.rowLabels.count)
            }
            guard h.columnLabels.count == columns else {
                throw PlotError.labelCountMismatch(what: "heatmap columns", expected: columns, found: h.columnLabels.count)
            }
            return
        }
        for s in series {
            guard s.x.count == s.y.count else {
                throw PlotError.lengthMismatch(series: s.name, xCount: s.x.count, yCount: s.y.count)
            }
            if let e = s.binEdges, e.count != s.x.count + 1 {
                throw PlotError.labelCountMismatch(what: "histogram '\(s.name)' bin edges", expected: s.x.count + 1, found: e.count)
            }
            if xScale == .log && categories == nil {
                for v in (s.binEdges ?? s.x) where v.isFinite && v <= 0 {
                    throw PlotError.nonPositiveOnLogAxis(axis: "x", series: s.name, value: v)
                }
            }
            if yScale == .log {
                for v in s.y where v.isFinite && v <= 0 {
                    throw PlotError.nonPositiveOnLogAxis(axis: "y", series: s.name, value: v)
                }
            }
        }
        if let c = categories, let n = series.map({ $0.x.count }).max(), c.count < n {
            throw PlotError.labelCountMismatch(what: "x categories", expected: n, found: c.count)
        }
    }

    private static func checkedX(_ x: [Double]?, count: Int, name: String) throws -> [Double] {
        guard let x else { return (0..<count).map(Double.init) }
        guard x.count == count else { throw PlotError.lengthMismatch(series: name, xCount: x.count, yCount: count) }
        return x
    }
}

/// The most bins a histogram may have.
let maxBins = 1_000_000

/// numpy.histogram with `bins` equal bins over the values' range (values must be finite).
func histogramCounts(_ values: [Double], bins: Int) -> (edges: [Double], counts: [Double]) {
    var lo = values.min() ?? 0
    var hi = values.max() ?? 1
    if lo == hi { let pad = Swift.max(0.5, abs(lo) * 1e-12); lo -= pad; hi += pad }
    let width = hi - lo
    let half = hi / 2 - lo / 2   // finite even when `width` overflows
    var edges = (0...bins).map { k -> Double in
        let t = Double(k) / Double(bins)
        return width.isFinite ? lo + width * t : lo * (1 - t) + hi * t
    }
    edges[bins] = hi
    var counts = [Double](repeating: 0, count: bins)
    for v in values {
        let f = ((v / 2 - lo / 2) / half * Double(bins)).rounded(.down)
        var i = f.isFinite ? Int(Swift.min(Swift.max(f, 0), Double(bins - 1))) : 0
        // numpy's correction for rounding at the edges
        if v < edges[i] && i > 0 { i -= 1 } else if i < bins - 1 && v >= edges[i + 1] { i += 1 }
        counts[i] += 1
    }
    return (edges, counts)
}
