extension Figure: CustomStringConvertible {
    /// One line describing the figure for text-only front ends and screen readers, e.g.
    /// `line chart 'loss' (2 series, 20 points each; x 0…19, y 0.12…2.3)`. Points that are not drawn
    /// (NaN/±inf, or ≤ 0 on a log axis) are counted.
    ///
    /// ```swift
    /// try Figure.line(x: nil, y: [1, 2, 3], name: "loss").description
    /// // "line chart 'loss' (1 series, 3 points; x 0…2, y 1…3)"
    /// ```
    public var description: String {
        if let h = heatmap { return heatmapDescription(h) }
        let prepared = prepared()
        let histogram = series.contains { $0.kind == .bar && $0.binEdges != nil }
        let kinds = Set(series.map { $0.kind })
        let kind: String
        if series.isEmpty { kind = "empty chart" }
        else if histogram { kind = "histogram" }
        else if kinds.count > 1 { kind = "chart" }
        else {
            switch series[0].kind {
            case .line: kind = "line chart"
            case .scatter: kind = "scatter plot"
            case .bar: kind = "bar chart"
            }
        }
        var head = kind
        if let label = title ?? (series.count == 1 && !["y", "value", "count"].contains(series[0].name) ? series[0].name : nil) {
            head += " '\(oneLine(label))'"
        }
        if series.isEmpty { return head + " (no data)" }

        var parts: [String] = []
        let counts = series.map { min($0.x.count, $0.y.count) }
        let seriesPart = "\(series.count) series"
        if histogram {
            let total = prepared.flatMap { $0.points }.reduce(0) { $0 + $1.y }
            parts.append("\(counts.reduce(0, +)) bins, \(formatNumber(total)) values")
        } else if isCategorical && kinds == [.bar] && series.count == 1 {
            parts.append("\(counts[0]) bar\(counts[0] == 1 ? "" : "s")")
        } else if counts.count > 1 && Set(counts).count == 1 {
            parts.append("\(seriesPart), \(counts[0]) points each")
        } else {
            let total = counts.reduce(0, +)
            parts.append("\(seriesPart), \(total) point\(total == 1 ? "" : "s")")
        }
        if facetBySeries && series.count > 1 { parts[0] += ", one panel per series" }

        var ranges: [String] = []
        let points = prepared.flatMap { $0.points }
        if let c = categories {
            ranges.append("x \(c.count) categor\(c.count == 1 ? "y" : "ies")")
        } else if histogram {
            let edges = prepared.flatMap { p in p.points.compactMap { p.bin($0.index) }.flatMap { [$0.0, $0.1] } }
            if let lo = edges.min(), let hi = edges.max() { ranges.append("x \(formatNumber(lo))…\(formatNumber(hi))") }
        } else if let lo = points.map({ $0.x }).min(), let hi = points.map({ $0.x }).max() {
            ranges.append("x \(formatNumber(lo))…\(formatNumber(hi))\(xIsLog ? " (log)" : "")")
        }
        if !histogram, let lo = points.map({ $0.y }).min(), let hi = points.map({ $0.y }).max() {
            ranges.append("y \(formatNumber(lo))…\(formatNumber(hi))\(yScale == .log ? " (log)" : "")")
        }
        if !ranges.isEmpty { parts.append(ranges.joined(separator: ", ")) }

        var nonFinite = droppedInputs, nonPositive = 0
        for s in series {
            for i in 0..<min(s.x.count, s.y.count) {
                if !s.x[i].isFinite || !s.y[i].isFinite { nonFinite += 1 }
                else if (xIsLog && s.x[i] <= 0) || (yScale == .log && s.y[i] <= 0) { nonPositive += 1 }
            }
        }
        if nonFinite > 0 { parts.append("\(nonFinite) non-finite value\(nonFinite == 1 ? "" : "s") dropped") }
        if nonPositive > 0 { parts.append("\(nonPositive) non-positive value\(nonPositive == 1 ? "" : "s") not drawn on log axis") }
        return head + " (" + parts.joined(separator: "; ") + ")"
    }

    private func heatmapDescription(_ h: Heatmap) -> String {
        var head = "heatmap"
        if let t = title { head += " '\(oneLine(t))'" }
        let rows = h.matrix.count, cols = h.matrix.first?.count ?? 0
        if rows == 0 || cols == 0 { return head + " (no data)" }
        let values = h.matrix.flatMap { $0 }
        let finite = values.filter { $0.isFinite }
        var parts = ["\(rows)×\(cols) cells"]
        if let lo = finite.min(), let hi = finite.max() { parts.append("values \(formatNumber(lo))…\(formatNumber(hi))") }
        let dropped = values.count - finite.count
        if dropped > 0 { parts.append("\(dropped) non-finite value\(dropped == 1 ? "" : "s") dropped") }
        return head + " (" + parts.joined(separator: "; ") + ")"
    }
}

/// `s` with line breaks turned into spaces, so a description stays on one line.
private func oneLine(_ s: String) -> String {
    String(s.map { $0.isNewline ? " " : $0 })
}
