import Foundation

extension Figure {
    /// A standalone SVG document: white background, title, axes with nice ticks and labels, gridlines,
    /// a legend when there are several series, one panel per series when faceted, or heatmap cells with
    /// a colour bar. All text is XML-escaped. Points that cannot be drawn (NaN, ±inf, ≤ 0 on a log axis)
    /// are left out.
    ///
    /// ```swift
    /// let svg = try Figure.line(x: nil, y: [1, 3, 2]).svg()   // "<svg xmlns=…"
    /// ```
    public func svg() -> String {
        var r = SVGRenderer(figure: self)
        return r.render()
    }
}

/// A rectangle in SVG pixels.
struct Rect { var x, y, w, h: Double }

private let fontFamily = "DejaVu Sans, Helvetica, Arial, sans-serif"
private let tickFont = 11.0
private let maxLabelChars = 32

/// Draws a ``Figure`` into SVG text.
struct SVGRenderer {
    let figure: Figure
    private var out = ""
    private var clipCount = 0
    /// Each drawn panel's plot area and axes (heatmaps: the cell grid and nil axes), for tests.
    private(set) var panels: [(plot: Rect, x: Axis?, y: Axis?)] = []

    init(figure: Figure) { self.figure = figure }

    mutating func render() -> String {
        let cellW = Double(min(max(figure.width, 100), 8000))
        let cellH = Double(min(max(figure.height, 80), 8000))
        let prepared = figure.prepared()
        let facets = figure.heatmap == nil && figure.facetBySeries && prepared.count > 1
        let columns = facets ? min(prepared.count, 3) : 1
        let rows = facets ? (prepared.count + columns - 1) / columns : 1
        let titleH = (figure.title != nil && facets) ? 30.0 : 0
        let W = cellW * Double(columns), H = cellH * Double(rows) + titleH

        out.reserveCapacity(4096)
        out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(n(W))\" height=\"\(n(H))\" viewBox=\"0 0 \(n(W)) \(n(H))\" font-family=\"\(fontFamily)\">\n"
        out += "<rect x=\"0\" y=\"0\" width=\"\(n(W))\" height=\"\(n(H))\" fill=\"#ffffff\"/>\n"

        if let h = figure.heatmap {
            drawHeatmap(h, in: Rect(x: 0, y: 0, w: W, h: H))
        } else {
            let (xAxis, yAxis) = axes(for: prepared)
            if facets {
                if let t = figure.title { text(t, x: W / 2, y: 20, size: 14, anchor: "middle", bold: true) }
                for (i, p) in prepared.enumerated() {
                    let frame = Rect(x: Double(i % columns) * cellW, y: titleH + Double(i / columns) * cellH, w: cellW, h: cellH)
                    drawPanel([p], xAxis: xAxis, yAxis: yAxis, in: frame, title: p.key, titleSize: 12, legend: false)
                }
            } else {
                drawPanel(prepared, xAxis: xAxis, yAxis: yAxis, in: Rect(x: 0, y: 0, w: W, h: H),
                          title: figure.title, titleSize: 14, legend: prepared.count > 1)
            }
        }
        out += "</svg>\n"
        return out
    }

    // MARK: - Axes

    /// Shared x and y axes for all drawable points.
    private func axes(for prepared: [PreparedSeries]) -> (Axis, Axis) {
        var xs: [Double] = [], ys: [Double] = []
        var hasBars = false
        for p in prepared {
            if p.series.kind == .bar { hasBars = true }
            let half = p.series.kind == .bar && p.series.binEdges == nil ? barWidth(p) / 2 : 0
            for pt in p.points {
                ys.append(pt.y)
                if let (a, b) = p.bin(pt.index) { xs.append(a); xs.append(b) }
                else if half > 0 && !figure.xIsLog { xs.append(pt.x - half); xs.append(pt.x + half) }
                else { xs.append(pt.x) }
            }
        }
        let xAxis: Axis
        if let c = figure.categories {
            let n = max(c.count, prepared.map { $0.series.x.count }.max() ?? 0)
            xAxis = .band((0..<n).map { $0 < c.count ? c[$0] : "" })
        } else if figure.xIsLog {
            xAxis = .logarithmic(xs)
        } else {
            let histogram = prepared.contains { $0.series.binEdges != nil }
            xAxis = .linear(xs, includeZero: false, count: histogram ? 6 : 5)
        }
        let yAxis: Axis = figure.yScale == .log ? .logarithmic(ys) : .linear(ys, includeZero: hasBars)
        return (xAxis, yAxis)
    }

    private func barWidth(_ p: PreparedSeries) -> Double { p.barWidth }

    // MARK: - Panels

    private mutating func drawPanel(_ series: [PreparedSeries], xAxis: Axis, yAxis: Axis, in frame: Rect,
                                    title: String?, titleSize: Double, legend: Bool) {
        var xLabels = xAxis.labels.map(truncate)
        let yLabels = yAxis.labels.map(truncate)
        let yLabelW = yLabels.map { textWidth($0, size: tickFont) }.max() ?? 0
        let top = frame.y + (title != nil ? titleSize + 20 : 14)
        var left = frame.x + 12 + (figure.effectiveYLabel != nil ? 18 : 0) + yLabelW + 9
        let legendW = legend ? 34 + (series.map { textWidth(truncate($0.key), size: tickFont) }.max() ?? 0) : 0
        let right = frame.x + frame.w - 16 - legendW
        var plotW = max(20, right - left)
        var rotate = false
        var labelDrop = 18.0
        if xAxis.categories != nil {
            let band = plotW / Double(max(xLabels.count, 1))
            if (xLabels.map { textWidth($0, size: tickFont) }.max() ?? 0) > band * 0.9 {
                // rotated 45°: shorter labels, and room on the left for the first one
                rotate = true
                xLabels = xAxis.labels.map { truncate($0, to: 20) }
                let widest = xLabels.map { textWidth($0, size: tickFont) }.max() ?? 0
                labelDrop = 10 + widest * 0.71
                left = max(left, frame.x + 4 + widest * 0.71 - band / 2)
                plotW = max(20, right - left)
            }
        }
        let bottom = frame.y + frame.h - 8 - labelDrop - 6 - (figure.xLabel != nil ? 20 : 0)
        let plot = Rect(x: left, y: top, w: plotW, h: max(20, bottom - top))
        panels.append((plot, xAxis, yAxis))

        if let title {
            text(title, x: frame.x + frame.w / 2, y: frame.y + titleSize + 6, size: titleSize, anchor: "middle", bold: true)
        }
        func px(_ v: Double) -> Double { plot.x + xAxis.unit(v) * plot.w }
        func py(_ v: Double) -> Double { plot.y + plot.h - yAxis.unit(v) * plot.h }

        // gridlines and ticks
        for (t, label) in zip(yAxis.ticks, yLabels) {
            let y = py(t)
            line(plot.x, y, plot.x + plot.w, y, colour: "#e6e6e6")
            line(plot.x - 5, y, plot.x, y, colour: "#888888")
            text(label, x: plot.x - 8, y: y + tickFont * 0.35, size: tickFont, anchor: "end")
        }
        let every = xAxis.categories == nil || rotate ? 1 : labelStride(xLabels, band: plot.w / Double(max(xLabels.count, 1)))
        for (i, (t, label)) in zip(xAxis.ticks, xLabels).enumerated() {
            let x = px(t)
            if xAxis.categories == nil { line(x, plot.y, x, plot.y + plot.h, colour: "#e6e6e6") }
            line(x, plot.y + plot.h, x, plot.y + plot.h + 5, colour: "#888888")
            guard i % every == 0 else { continue }
            if rotate {
                let ty = plot.y + plot.h + 12
                out += "<text x=\"\(n(x))\" y=\"\(n(ty))\" font-size=\"\(n(tickFont))\" text-anchor=\"end\" fill=\"#333333\" transform=\"rotate(-45 \(n(x)) \(n(ty)))\">\(xmlEscape(label))</text>\n"
            } else {
                text(label, x: x, y: plot.y + plot.h + 18, size: tickFont, anchor: "middle")
            }
        }
        line(plot.x, plot.y, plot.x, plot.y + plot.h, colour: "#888888")
        line(plot.x, plot.y + plot.h, plot.x + plot.w, plot.y + plot.h, colour: "#888888")
        if let xl = figure.xLabel {
            text(xl, x: plot.x + plot.w / 2, y: frame.y + frame.h - 10, size: 12, anchor: "middle")
        }
        if let yl = figure.effectiveYLabel {
            let x = max(frame.x + 16, plot.x - yLabelW - 22), y = plot.y + plot.h / 2
            out += "<text x=\"\(n(x))\" y=\"\(n(y))\" font-size=\"12\" text-anchor=\"middle\" fill=\"#333333\" transform=\"rotate(-90 \(n(x)) \(n(y)))\">\(xmlEscape(yl))</text>\n"
        }

        // data, clipped to the plot area
        let clip = "clip\(clipCount)"
        clipCount += 1
        out += "<clipPath id=\"\(clip)\"><rect x=\"\(n(plot.x - 5))\" y=\"\(n(plot.y - 5))\" width=\"\(n(plot.w + 10))\" height=\"\(n(plot.h + 10))\"/></clipPath>\n"
        out += "<g clip-path=\"url(#\(clip))\">\n"
        let barSeries = series.filter { $0.series.kind == .bar }
        let baseY = yAxis.log ? plot.y + plot.h : py(min(max(0, yAxis.lo), yAxis.hi))
        for p in series {
            switch p.series.kind {
            case .line: drawLine(p, px: px, py: py)
            case .scatter:
                for pt in p.points {
                    out += "<circle cx=\"\(n(px(pt.x)))\" cy=\"\(n(py(pt.y)))\" r=\"3.5\" fill=\"\(p.colour)\" fill-opacity=\"0.85\"/>\n"
                }
            case .bar:
                let k = Double(barSeries.firstIndex { $0.key == p.key } ?? 0), m = Double(max(barSeries.count, 1))
                let numericW = barWidth(p)
                for pt in p.points {
                    var x0: Double, x1: Double
                    if let (a, b) = p.bin(pt.index) {
                        x0 = px(a); x1 = px(b)
                    } else if xAxis.categories != nil {
                        let band = plot.w / Double(max(xAxis.labels.count, 1))
                        let inner = band * 0.8
                        x0 = px(pt.x) - inner / 2 + k * inner / m; x1 = x0 + inner / m
                    } else if figure.xIsLog {
                        x0 = px(pt.x) - 4; x1 = px(pt.x) + 4
                    } else {
                        x0 = px(pt.x - numericW / 2) + (px(pt.x + numericW / 2) - px(pt.x - numericW / 2)) * k / m
                        x1 = x0 + (px(pt.x + numericW / 2) - px(pt.x - numericW / 2)) / m
                    }
                    if x1 < x0 { swap(&x0, &x1) }
                    let y = py(pt.y)
                    out += "<rect x=\"\(n(x0))\" y=\"\(n(min(y, baseY)))\" width=\"\(n(x1 - x0))\" height=\"\(n(abs(baseY - y)))\" fill=\"\(p.colour)\""
                    out += p.series.binEdges != nil ? " stroke=\"#ffffff\" stroke-width=\"0.5\"/>\n" : "/>\n"
                }
            }
        }
        out += "</g>\n"
        if legend { drawLegend(series, x: right + 14, y: plot.y) }
    }

    /// Draws a line series as path segments, broken where points were dropped; lone points get a dot.
    private mutating func drawLine(_ p: PreparedSeries, px: (Double) -> Double, py: (Double) -> Double) {
        var segment: [(Double, Double)] = []
        var last = -2
        func flush(_ r: inout SVGRenderer) {
            if segment.count == 1 {
                r.out += "<circle cx=\"\(n(segment[0].0))\" cy=\"\(n(segment[0].1))\" r=\"2\" fill=\"\(p.colour)\"/>\n"
            } else if segment.count > 1 {
                var d = "M\(n(segment[0].0)) \(n(segment[0].1))"
                for s in segment.dropFirst() { d += " L\(n(s.0)) \(n(s.1))" }
                r.out += "<path d=\"\(d)\" fill=\"none\" stroke=\"\(p.colour)\" stroke-width=\"2\" stroke-linejoin=\"round\" stroke-linecap=\"round\"/>\n"
            }
            segment.removeAll()
        }
        for pt in p.points {
            if pt.index != last + 1 { flush(&self) }
            segment.append((px(pt.x), py(pt.y)))
            last = pt.index
        }
        flush(&self)
    }

    private mutating func drawLegend(_ series: [PreparedSeries], x: Double, y: Double) {
        for (i, p) in series.enumerated() {
            let cy = y + 8 + Double(i) * 18
            switch p.series.kind {
            case .line: out += "<line x1=\"\(n(x))\" y1=\"\(n(cy))\" x2=\"\(n(x + 16))\" y2=\"\(n(cy))\" stroke=\"\(p.colour)\" stroke-width=\"2\"/>\n"
            case .scatter: out += "<circle cx=\"\(n(x + 8))\" cy=\"\(n(cy))\" r=\"4\" fill=\"\(p.colour)\"/>\n"
            case .bar: out += "<rect x=\"\(n(x + 2))\" y=\"\(n(cy - 6))\" width=\"12\" height=\"12\" fill=\"\(p.colour)\"/>\n"
            }
            text(truncate(p.key), x: x + 22, y: cy + tickFont * 0.35, size: tickFont, anchor: "start")
        }
    }

    /// Show every k-th category label so they do not overlap.
    private func labelStride(_ labels: [String], band: Double) -> Int {
        let widest = labels.map { textWidth($0, size: tickFont) }.max() ?? 0
        return max(1, Int((widest + 6) / max(band, 1)) + 1)
    }

    // MARK: - Heatmap

    private mutating func drawHeatmap(_ h: Heatmap, in frame: Rect) {
        let rows = h.matrix.count
        let cols = h.matrix.map { $0.count }.min() ?? 0
        let rowLabels = (0..<rows).map { truncate($0 < h.rowLabels.count ? h.rowLabels[$0] : "") }
        let colLabels = (0..<cols).map { truncate($0 < h.columnLabels.count ? h.columnLabels[$0] : "") }
        var lo = Double.infinity, hi = -Double.infinity
        for row in h.matrix { for v in row where v.isFinite { lo = min(lo, v); hi = max(hi, v) } }
        let hasValues = lo <= hi

        let top = frame.y + (figure.title != nil ? 34 : 14)
        let rowLabelW = rowLabels.map { textWidth($0, size: tickFont) }.max() ?? 0
        let left = frame.x + 12 + (figure.yLabel != nil ? 18 : 0) + rowLabelW + 8
        let barLabels = hasValues ? [formatNumber(hi), formatNumber(lo)] : []
        let right = frame.x + frame.w - 16 - (hasValues ? 14 + 6 + (barLabels.map { textWidth($0, size: tickFont) }.max() ?? 0) + 10 : 0)
        let plotW = max(20, right - left)
        let cellW = plotW / Double(max(cols, 1))
        let widest = colLabels.map { textWidth($0, size: tickFont) }.max() ?? 0
        let rotate = widest > cellW * 0.9
        let labelDrop = rotate ? 10 + widest * 0.71 : 18
        let bottom = frame.y + frame.h - 8 - labelDrop - (figure.xLabel != nil ? 20 : 0)
        let plot = Rect(x: left, y: top, w: plotW, h: max(20, bottom - top))
        let cellH = plot.h / Double(max(rows, 1))
        panels.append((plot, nil, nil))

        if let t = figure.title { text(t, x: frame.x + frame.w / 2, y: frame.y + 20, size: 14, anchor: "middle", bold: true) }
        for r in 0..<rows {
            let cy = plot.y + (Double(r) + 0.5) * cellH
            text(rowLabels[r], x: plot.x - 6, y: cy + tickFont * 0.35, size: tickFont, anchor: "end")
            for c in 0..<cols {
                let v = h.matrix[r][c]
                guard v.isFinite else { continue }
                let t = hi > lo ? (v - lo) / (hi - lo) : 0.5
                let colour = h.colourScale.colour(at: t)
                let x = plot.x + Double(c) * cellW, y = plot.y + Double(r) * cellH
                out += "<rect x=\"\(n(x))\" y=\"\(n(y))\" width=\"\(n(cellW))\" height=\"\(n(cellH))\" fill=\"\(colour.hex)\"/>\n"
                if h.annotate {
                    let label = formatNumber(v)
                    let size = min(tickFont, cellH * 0.6)
                    if size >= 6 && textWidth(label, size: size) <= cellW - 2 {
                        out += "<text x=\"\(n(x + cellW / 2))\" y=\"\(n(y + cellH / 2 + size * 0.35))\" font-size=\"\(n(size))\" text-anchor=\"middle\" fill=\"\(colour.contrastingText.hex)\">\(xmlEscape(label))</text>\n"
                    }
                }
            }
        }
        out += "<rect x=\"\(n(plot.x))\" y=\"\(n(plot.y))\" width=\"\(n(plot.w))\" height=\"\(n(plot.h))\" fill=\"none\" stroke=\"#888888\"/>\n"
        for c in 0..<cols {
            let cx = plot.x + (Double(c) + 0.5) * cellW
            if rotate {
                let ty = plot.y + plot.h + 12
                out += "<text x=\"\(n(cx))\" y=\"\(n(ty))\" font-size=\"\(n(tickFont))\" text-anchor=\"end\" fill=\"#333333\" transform=\"rotate(-45 \(n(cx)) \(n(ty)))\">\(xmlEscape(colLabels[c]))</text>\n"
            } else {
                text(colLabels[c], x: cx, y: plot.y + plot.h + 16, size: tickFont, anchor: "middle")
            }
        }
        if let xl = figure.xLabel { text(xl, x: plot.x + plot.w / 2, y: frame.y + frame.h - 10, size: 12, anchor: "middle") }
        if let yl = figure.yLabel {
            let x = frame.x + 16, y = plot.y + plot.h / 2
            out += "<text x=\"\(n(x))\" y=\"\(n(y))\" font-size=\"12\" text-anchor=\"middle\" fill=\"#333333\" transform=\"rotate(-90 \(n(x)) \(n(y)))\">\(xmlEscape(yl))</text>\n"
        }
        if hasValues {
            // colour bar: top = highest value
            let bx = right + 14, steps = 32
            let stepH = plot.h / Double(steps)
            for i in 0..<steps {
                let t = 1 - (Double(i) + 0.5) / Double(steps)
                out += "<rect x=\"\(n(bx))\" y=\"\(n(plot.y + Double(i) * stepH))\" width=\"14\" height=\"\(n(stepH + 0.5))\" fill=\"\(h.colourScale.colour(at: t).hex)\"/>\n"
            }
            text(barLabels[0], x: bx + 20, y: plot.y + tickFont * 0.7, size: tickFont, anchor: "start")
            text(barLabels[1], x: bx + 20, y: plot.y + plot.h, size: tickFont, anchor: "start")
        }
    }

    // MARK: - Primitives

    private mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, colour: String) {
        out += "<line x1=\"\(n(x1))\" y1=\"\(n(y1))\" x2=\"\(n(x2))\" y2=\"\(n(y2))\" stroke=\"\(colour)\" stroke-width=\"1\"/>\n"
    }

    private mutating func text(_ s: String, x: Double, y: Double, size: Double, anchor: String, bold: Bool = false) {
        out += "<text x=\"\(n(x))\" y=\"\(n(y))\" font-size=\"\(n(size))\" text-anchor=\"\(anchor)\" fill=\"#333333\"\(bold ? " font-weight=\"bold\"" : "")>\(xmlEscape(s))</text>\n"
    }

    private func truncate(_ s: String) -> String { truncate(s, to: maxLabelChars) }

    private func truncate(_ s: String, to limit: Int) -> String {
        s.count <= limit ? s : String(s.prefix(limit - 1)) + "…"
    }
}

/// An SVG coordinate: clamped to ±1e6, two decimals.
private func n(_ v: Double) -> String {
    let c = v.isFinite ? min(max(v, -1e6), 1e6) : 0
    let r = (c * 100).rounded() / 100
    if r == r.rounded() { return String(Int(r)) }
    return String(format: "%.2f", r)
}

/// Escapes text for XML content and attributes, dropping characters XML 1.0 forbids and turning line
/// breaks and tabs into spaces.
///
/// ```swift
/// xmlEscape("a<&>b")   // "a&lt;&amp;&gt;b"
/// ```
func xmlEscape(_ s: String) -> String {
    var out = ""
    out.reserveCapacity(s.utf8.count)
    for u in s.unicodeScalars {
        switch u {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&apos;"
        case "\n", "\r", "\t": out += " "
        default:
            let v = u.value
            if v < 0x20 || v == 0xFFFE || v == 0xFFFF { continue }
            out.unicodeScalars.append(u)
        }
    }
    return out
}
