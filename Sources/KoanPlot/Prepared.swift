/// A series made ready for drawing: a unique key, its colour, and only the points that can be drawn.
struct PreparedSeries {
    /// Unique name ("y", "y (2)", …) used for legends, colour domains and facets.
    var key: String
    var series: Series
    var colour: String
    /// Drawable points: finite, and > 0 on a log axis. `index` is the position in the original arrays.
    var points: [(x: Double, y: Double, index: Int)]
    /// Pairs that were left out (non-finite, or not positive on a log axis).
    var dropped: Int

    /// Bar width in data units for numeric (non-histogram) bars: 80% of the closest spacing of x values.
    var barWidth: Double {
        let xs = Array(Set(points.map { $0.x })).sorted()
        var gap = Double.infinity
        for i in 1..<max(xs.count, 1) { gap = min(gap, xs[i] - xs[i - 1]) }
        return gap.isFinite && gap > 0 ? gap * 0.8 : 0.8
    }

    /// Bin edges for point `index` when this is a histogram with consistent edges.
    func bin(_ index: Int) -> (Double, Double)? {
        guard let e = series.binEdges, e.count == series.x.count + 1, index + 1 < e.count,
              e[index].isFinite, e[index + 1].isFinite else { return nil }
        return (e[index], e[index + 1])
    }
}

extension Figure {
    /// Whether x positions are category slots rather than numbers.
    var isCategorical: Bool { categories != nil }

    /// Whether the x axis is logarithmic (ignored for categories).
    var xIsLog: Bool { xScale == .log && !isCategorical }

    /// The series ready for drawing, with unique keys and colours.
    func prepared() -> [PreparedSeries] {
        var used = Set<String>()
        return series.enumerated().map { index, s in
            var key = s.name
            var k = 2
            while used.contains(key) { key = "\(s.name) (\(k))"; k += 1 }
            used.insert(key)
            var points: [(x: Double, y: Double, index: Int)] = []
            let n = min(s.x.count, s.y.count)
            points.reserveCapacity(n)
            for i in 0..<n {
                let x = s.x[i], y = s.y[i]
                guard x.isFinite, y.isFinite else { continue }
                if xIsLog && x <= 0 { continue }
                if yScale == .log && y <= 0 { continue }
                points.append((x, y, i))
            }
            return PreparedSeries(key: key, series: s, colour: seriesColour(s, index: index),
                                  points: points, dropped: n - points.count)
        }
    }

    /// The y label to show: the explicit one, else a lone series' name (unless it is the default "y").
    var effectiveYLabel: String? {
        if let yLabel { return yLabel }
        if heatmap == nil, series.count == 1, series[0].name != "y", !facetBySeries { return series[0].name }
        return nil
    }
}
