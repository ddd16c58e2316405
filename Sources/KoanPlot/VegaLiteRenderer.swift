import KoanJSON

extension Figure {
    /// A complete Vega-Lite v5 spec (MIME type `application/vnd.vegalite.v5+json`) with the data inline:
    /// one row per drawable point (`series`, `x`, `y`, and `label` or `bin_start`/`bin_end` for bars and
    /// histograms), the palette's colours with a legend when there are several series, log scales, and
    /// a facet per series when ``facetBySeries`` is set. Heatmaps use `rect` marks with an optional text layer.
    ///
    /// ```swift
    /// let spec = try Figure.scatter(x: [1, 2], y: [3, 4]).vegaLite()   // {"$schema":"https://vega.github.io/schema/vega-lite/v5.json",…
    /// ```
    public func vegaLite() -> String {
        VegaLiteRenderer(figure: self).spec().text()
    }
}

/// Builds the Vega-Lite JSON for a ``Figure``.
struct VegaLiteRenderer {
    let figure: Figure

    func spec() -> JSONValue {
        var top: [(String, JSONValue)] = [("$schema", "https://vega.github.io/schema/vega-lite/v5.json")]
        if let t = figure.title { top.append(("title", .string(t))) }
        if let h = figure.heatmap {
            top += heatmap(h)
            return .object(top)
        }
        let prepared = figure.prepared()
        top.append(("data", ["values": .array(rows(prepared))]))
        let facets = figure.facetBySeries && prepared.count > 1
        let legend = prepared.count > 1 && !facets
        let size: [(String, JSONValue)] = [
            ("width", JSONValue(max(60, clampedWidth - 90 - (legend ? 80 : 0)))),
            ("height", JSONValue(max(60, clampedHeight - 70))),
        ]
        let body = view(prepared, facets: facets)
        if facets {
            top.append(("facet", ["field": "series", "type": "nominal",
                                  "sort": .array(prepared.map { .string($0.key) }), "header": ["title": .null]]))
            top.append(("columns", JSONValue(min(prepared.count, 3))))
            top.append(("spec", .object(size + body)))
        } else {
            top += size + body
        }
        return .object(top)
    }

    /// An axis title on one line (Vega-Lite builds tooltip expressions from titles and breaks on line breaks), or null.
    private func title(_ s: String?) -> JSONValue {
        guard let s else { return .null }
        return .string(String(s.map { $0.isNewline ? " " : $0 }))
    }

    private var clampedWidth: Int { min(max(figure.width, 100), 8000) }
    private var clampedHeight: Int { min(max(figure.height, 80), 8000) }

    /// One data row per drawable point.
    private func rows(_ prepared: [PreparedSeries]) -> [JSONValue] {
        var out: [JSONValue] = []
        for p in prepared {
            for pt in p.points {
                var row: [(String, JSONValue)] = [("series", .string(p.key)), ("i", JSONValue(pt.index)),
                                                  ("x", number(pt.x)), ("y", number(pt.y))]
                if let c = figure.categories {
                    let slot = pt.x >= 0 && pt.x < Double(c.count) && pt.x == pt.x.rounded() ? Int(pt.x) : -1
                    row.append(("label", .string(slot >= 0 ? c[slot] : "")))
                }
                if let (a, b) = p.bin(pt.index) {
                    row.append(("bin_start", number(a)))
                    row.append(("bin_end", number(b)))
                } else if numericBars(p) {
                    let w = p.barWidth
                    row.append(("bin_start", number(pt.x - w / 2)))
                    row.append(("bin_end", number(pt.x + w / 2)))
                }
                out.append(.object(row))
            }
        }
        return out
    }

    /// Bars at numeric x positions, drawn from `bin_start` to `bin_end` like the SVG's.
    private func numericBars(_ p: PreparedSeries) -> Bool {
        p.series.kind == .bar && p.series.binEdges == nil && figure.categories == nil && !figure.xIsLog
    }

    /// Label angle for category labels: level when short, slanted when long.
    private func labelAngle(_ labels: [String]) -> JSONValue {
        JSONValue((labels.map(\.count).max() ?? 0) <= 8 ? 0 : -45)
    }

    /// The mark(s) and encodings: one unit spec when all series share a mark, else one layer per mark.
    private func view(_ prepared: [PreparedSeries], facets: Bool) -> [(String, JSONValue)] {
        let kinds = [Mark.bar, .line, .scatter].filter { k in prepared.contains { $0.series.kind == k } }
        if kinds.count <= 1 {
            let kind = kinds.first ?? (figure.series.first?.kind ?? .line)
            return [("mark", mark(kind, prepared)), ("encoding", encoding(kind, prepared, facets: facets))]
        }
        let layers: [JSONValue] = kinds.map { kind in
            let keys = prepared.filter { $0.series.kind == kind }.map { JSONValue.string($0.key) }
            return ["transform": [["filter": ["field": "series", "oneOf": .array(keys)]]],
                    "mark": mark(kind, prepared),
                    "encoding": encoding(kind, prepared, facets: facets)]
        }
        return [("layer", .array(layers))]
    }

    private func mark(_ kind: Mark, _ prepared: [PreparedSeries]) -> JSONValue {
        var m: [(String, JSONValue)]
        switch kind {
        case .line: m = [("type", "line"), ("strokeWidth", 2)]
        case .scatter: m = [("type", "point"), ("filled", true), ("size", 40)]
        case .bar: m = [("type", "bar"), ("orient", "vertical")]
        }
        if prepared.count == 1 { m.append(("color", .string(prepared[0].colour))) }
        return .object(m)
    }

    private func encoding(_ kind: Mark, _ prepared: [PreparedSeries], facets: Bool) -> JSONValue {
        var e: [(String, JSONValue)] = []
        let histogram = kind == .bar && prepared.contains { $0.series.binEdges != nil }
        let xTitle = title(figure.xLabel)
        if figure.categories != nil {
            e.append(("x", ["field": "label", "type": "nominal", "sort": .null, "title": xTitle,
                            "axis": ["labelAngle": labelAngle(figure.categories ?? [])]]))
            if kind == .bar && prepared.filter({ $0.series.kind == .bar }).count > 1 {
                e.append(("xOffset", ["field": "series", "type": "nominal", "sort": .null]))
            }
        } else if kind == .bar && prepared.contains(where: numericBars) {
            e.append(("x", ["field": "bin_start", "type": "quantitative", "title": xTitle, "scale": ["zero": false]]))
            e.append(("x2", ["field": "bin_end"]))
        } else if histogram {
            var x: [(String, JSONValue)] = [("field", "bin_start"), ("type", "quantitative"),
                                            ("bin", ["binned": true]), ("title", xTitle)]
            if figure.xIsLog { x.append(("scale", ["type": "log"])) }
            e.append(("x", .object(x)))
            e.append(("x2", ["field": "bin_end"]))
        } else {
            e.append(("x", ["field": "x", "type": "quantitative", "title": xTitle,
                            "scale": figure.xIsLog ? ["type": "log"] : ["zero": false]]))
        }
        let yScale: JSONValue = figure.yScale == .log ? ["type": "log"] : (kind == .bar ? ["zero": true] : ["zero": false])
        e.append(("y", ["field": "y", "type": "quantitative", "title": title(figure.effectiveYLabel), "scale": yScale]))
        if prepared.count > 1 {
            e.append(("color", ["field": "series", "type": "nominal",
                                "scale": ["domain": .array(prepared.map { .string($0.key) }),
                                          "range": .array(prepared.map { .string($0.colour) })],
                                "legend": facets ? .null : ["title": .null]]))
        }
        if kind == .line { e.append(("order", ["field": "i", "type": "quantitative"])) }
        var tooltip: [JSONValue] = [["field": "series", "type": "nominal"]]
        tooltip.append(figure.categories != nil ? ["field": "label", "type": "nominal"] : ["field": "x", "type": "quantitative"])
        tooltip.append(["field": "y", "type": "quantitative"])
        e.append(("tooltip", .array(tooltip)))
        return .object(e)
    }

    /// Top-level entries for a heatmap: data, size, shared x/y encodings, a rect layer and an optional text layer.
    private func heatmap(_ h: Heatmap) -> [(String, JSONValue)] {
        var lo = Double.infinity, hi = -Double.infinity
        for row in h.matrix { for v in row where v.isFinite { lo = min(lo, v); hi = max(hi, v) } }
        var values: [JSONValue] = []
        for (r, row) in h.matrix.enumerated() {
            for (c, v) in row.enumerated() where v.isFinite {
                let t = hi > lo ? (v - lo) / (hi - lo) : 0.5
                values.append(["row": .string(r < h.rowLabels.count ? h.rowLabels[r] : String(r)),
                               "column": .string(c < h.columnLabels.count ? h.columnLabels[c] : String(c)),
                               "value": number(v), "label": .string(formatNumber(v)),
                               "textColour": .string(h.colourScale.colour(at: t).contrastingText.hex)])
            }
        }
        func unique(_ a: [String]) -> JSONValue {
            var seen = Set<String>()
            return .array(a.filter { seen.insert($0).inserted }.map { .string($0) })
        }
        var layers: [JSONValue] = [["mark": "rect",
                                    "encoding": ["color": ["field": "value", "type": "quantitative",
                                                           "scale": ["scheme": .string(h.colourScale.vegaScheme)],
                                                           "title": .null]]]]
        if h.annotate {
            layers.append(["mark": ["type": "text", "fontSize": 11],
                           "encoding": ["text": ["field": "label", "type": "nominal"],
                                        "color": ["condition": ["test": "datum.textColour === '#000000'", "value": "#000000"],
                                                  "value": "#ffffff"]]])
        }
        return [
            ("data", ["values": .array(values)]),
            ("width", JSONValue(max(60, clampedWidth - 140))),
            ("height", JSONValue(max(60, clampedHeight - 70))),
            ("encoding", ["x": ["field": "column", "type": "ordinal", "sort": unique(h.columnLabels), "title": title(figure.xLabel),
                               "axis": ["labelAngle": labelAngle(h.columnLabels)]],
                          "y": ["field": "row", "type": "ordinal", "sort": unique(h.rowLabels), "title": title(figure.yLabel)],
                          "tooltip": [["field": "row", "type": "ordinal"], ["field": "column", "type": "ordinal"],
                                      ["field": "value", "type": "quantitative"]]]),
            ("layer", .array(layers)),
        ]
    }

    /// A data value as the spec writes it: whole numbers below 1e15 as integers, NaN and
    /// infinities as null (Vega-Lite skips them), others in shortest round-trip form.
    private func number(_ v: Double) -> JSONValue {
        guard v.isFinite else { return .null }
        return v == v.rounded() && abs(v) < 1e15 ? .number(.int(Int64(v))) : .number(.double(v))
    }
}
