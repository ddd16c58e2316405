#if canImport(Glibc)
import Glibc
#endif

extension NDArray {
    /// A NumPy-`repr`-style text of the tensor, in Koan's words:
    ///
    ///     Tensor([[ 1.0000, -0.5000,  2.2500],
    ///             [ 0.0000,  3.1416, -1.0000]], shape: [2, 3], dtype: float32)
    ///
    /// Follows `np.array2string(a, precision:, floatmode: "fixed", separator: ", ",
    /// threshold: maxElements, edgeitems: edgeItems, linewidth: 75)`: floats get exactly
    /// `precision` digits after the point (rounded half to even from the exact binary
    /// value), and switch to scientific notation as NumPy 2.2+ does: when a non-zero
    /// magnitude is ≥ 10^min(8, digits of the dtype) — 1e8 for float64, 1e6 for float32,
    /// 1e3 for float16, and Koan's choice of 1e6 for bfloat16 (ml_dtypes does not use
    /// NumPy's float formatter) — or < 1e-4, or the largest is more than 1000 times the
    /// smallest (compared in the dtype's own precision); integers are plain,
    /// bools `true`/`false`, non-finite values `nan`/`inf`/`-inf`. Columns are aligned;
    /// with more than `maxElements` elements only `edgeItems` items at each end of every
    /// axis are shown, with `...` between. 0-d tensors read `Tensor(3.5000, dtype: float32)`,
    /// empty ones `Tensor([], shape: [0, 3], dtype: float32)`.
    public func formatted(maxElements: Int = 1000, edgeItems: Int = 3, precision: Int = 4) -> String {
        let dtypeText = "dtype: \(dtype)"
        if shape.isEmpty {
            let f = ElementFormatter(self, offsets: [0], precision: precision)
            return "Tensor(\(f.format(at: 0)), \(dtypeText))"
        }
        let shapeText = "shape: \(shape)"
        if count == 0 { return "Tensor([], \(shapeText), \(dtypeText))" }
        let prefix = "Tensor("
        let suffix = ","
        let lineWidth = 75 - suffix.count
        let layout = SummaryLayout(self, summarize: count > maxElements, edgeItems: edgeItems)
        let formatter = ElementFormatter(self, offsets: layout.shownOffsets(), precision: precision)
        let hanging = String(repeating: " ", count: 1 + prefix.count)
        let body = layout.render(axis: 0, base: 0, hanging: hanging, width: lineWidth, formatter: formatter)
        return prefix + body + suffix + " \(shapeText), \(dtypeText))"
    }

    /// A compact HTML rendering for notebooks: a `<table>` for 0-, 1- and 2-D tensors
    /// (rows beyond `maxRows` and columns beyond `maxColumns` elided with `⋮`/`⋯` cells),
    /// and for higher ranks tables of the last two dims of the first few leading slices.
    /// The caption names the shape and dtype; everything sits in `<div class="koan-tensor">`
    /// with a small scoped style.
    ///
    ///     let html = x.html()   // "<div class=\"koan-tensor\"><style>…</style><table>…"
    public func html(maxRows: Int = 10, maxColumns: Int = 10) -> String {
        let maxRows = max(maxRows, 2), maxColumns = max(maxColumns, 2)
        let style = "<style>.koan-tensor table{border-collapse:collapse;font-family:monospace;font-size:12px;margin:2px 0}"
            + ".koan-tensor td,.koan-tensor th{padding:1px 6px;text-align:right;border:1px solid #ddd}"
            + ".koan-tensor th{color:#888;font-weight:normal;background:#fafafa}"
            + ".koan-tensor caption{caption-side:bottom;color:#888;text-align:left;font-size:11px}</style>"
        let caption = "shape: \(shape), dtype: \(dtype)"
        var out = "<div class=\"koan-tensor\">" + style
        if count == 0 {
            out += "<table><caption>\(caption) (empty)</caption></table></div>"
            return out
        }
        let rowsAll = rank >= 2 ? shape[rank - 2] : 1
        let colsAll = rank >= 1 ? shape[rank - 1] : 1
        let rowIdx = Self.elide(rowsAll, maxRows)
        let colIdx = Self.elide(colsAll, maxColumns)
        // Leading slices (rank > 2): the first few in row-major order.
        let lead = Array(shape.dropLast(2))
        let sliceCount = rank > 2 ? lead.reduce(1, *) : 1
        let maxSlices = 3
        let shownSlices = min(sliceCount, maxSlices)
        var bases = [Int]()
        var labels = [String]()
        for s in 0..<shownSlices {
            var rem = s, base = 0
            var idx = [Int](repeating: 0, count: lead.count)
            for a in stride(from: lead.count - 1, through: 0, by: -1) {
                idx[a] = rem % lead[a]; rem /= lead[a]
                base += idx[a] * strides[a]
            }
            bases.append(base)
            labels.append("[" + (idx.map(String.init) + [":", ":"]).joined(separator: ", ") + "]")
        }
        let rowStride = rank >= 2 ? strides[rank - 2] : 0
        let colStride = rank >= 1 ? strides[rank - 1] : 0
        var offsets = [Int]()
        for b in bases {
            for r in rowIdx.compactMap({ $0 }) {
                for c in colIdx.compactMap({ $0 }) { offsets.append(b + r * rowStride + c * colStride) }
            }
        }
        let f = ElementFormatter(self, offsets: offsets, precision: 4)
        func cell(_ off: Int) -> String {
            "<td>" + f.format(at: off).trimmingSpaces() + "</td>"
        }
        for (k, base) in bases.enumerated() {
            out += "<table>"
            out += "<caption>" + (rank > 2 ? "\(labels[k]) of \(caption)" : caption) + "</caption>"
            if rank == 0 {
                out += "<tr>" + cell(0) + "</tr>"
            } else {
                out += "<tr>" + (rank >= 2 ? "<th></th>" : "")
                for c in colIdx { out += c.map { "<th>\($0)</th>" } ?? "<th>⋯</th>" }
                out += "</tr>"
                for r in rowIdx {
                    out += "<tr>"
                    if rank >= 2 { out += r.map { "<th>\($0)</th>" } ?? "<th>⋮</th>" }
                    for c in colIdx {
                        switch (r, c) {
                        case let (r?, c?): out += cell(base + r * rowStride + c * colStride)
                        case (nil, nil): out += "<td>⋱</td>"
                        case (nil, _): out += "<td>⋮</td>"
                        case (_, nil): out += "<td>⋯</td>"
                        }
                    }
                    out += "</tr>"
                }
            }
            out += "</table>"
        }
        if sliceCount > shownSlices {
            out += "<div style=\"color:#888;font-size:11px\">⋮ \(sliceCount - shownSlices) more slices of shape \(Array(shape.suffix(2)))</div>"
        }
        return out + "</div>"
    }

    /// The indices to show of an axis of `n` items, `nil` marking the elision.
    static func elide(_ n: Int, _ limit: Int) -> [Int?] {
        if n <= limit { return Array(0..<n) }
        let head = (limit + 1) / 2, tail = limit / 2
        return Array(0..<head) + [nil] + Array((n - tail)..<n)
    }
}

extension String {
    fileprivate func trimmingSpaces() -> String {
        var s = Substring(self)
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}

/// NumPy's summarisation and `_formatArray` line layout.
private struct SummaryLayout {
    let array: NDArray
    let summarize: Bool
    let edge: Int

    init(_ array: NDArray, summarize: Bool, edgeItems: Int) {
        self.array = array
        self.summarize = summarize
        self.edge = max(edgeItems, 1)
    }

    func showSummary(_ axis: Int) -> Bool { summarize && 2 * edge < array.shape[axis] }

    /// The shown indices of `axis`; `nil` is the `...` marker.
    func indices(_ axis: Int) -> [Int?] {
        let n = array.shape[axis]
        if showSummary(axis) { return Array(0..<edge) + [nil] + Array((n - edge)..<n) }
        return Array(0..<n)
    }

    /// Offsets of every shown element (what NumPy's formatters are fitted on).
    func shownOffsets() -> [Int] {
        var offsets = [0]
        for axis in 0..<array.rank {
            let idx = indices(axis).compactMap { $0 }
            var next = [Int]()
            next.reserveCapacity(offsets.count * idx.count)
            for o in offsets { for i in idx { next.append(o + i * array.strides[axis]) } }
            offsets = next
        }
        return offsets
    }

    func render(axis: Int, base: Int, hanging: String, width: Int, formatter: ElementFormatter) -> String {
        let rank = array.rank
        if axis == rank { return formatter.format(at: base) }
        let axesLeft = rank - axis
        let nextHanging = hanging + " "
        let nextWidth = width - 1
        let stride = array.strides[axis]
        let items = indices(axis)
        var s = ""
        if axesLeft == 1 {
            let elemWidth = width - 1
            var line = hanging
            func extend(_ word: String) {
                var needsWrap = line.utf8.count + word.utf8.count > elemWidth
                if line.utf8.count <= hanging.utf8.count { needsWrap = false }
                if needsWrap {
                    while line.last == " " { line.removeLast() }
                    s += line + "\n"
                    line = hanging
                }
                line += word
            }
            for (k, i) in items.enumerated() {
                let word = i.map { render(axis: axis + 1, base: base + $0 * stride, hanging: nextHanging, width: nextWidth, formatter: formatter) } ?? "..."
                extend(word)
                if k < items.count - 1 { line += ", " }
            }
            s += line
        } else {
            let lineSep = "," + String(repeating: "\n", count: axesLeft - 1)
            for (k, i) in items.enumerated() {
                let nested = i.map { render(axis: axis + 1, base: base + $0 * stride, hanging: nextHanging, width: nextWidth, formatter: formatter) } ?? "..."
                s += hanging + nested
                if k < items.count - 1 { s += lineSep }
            }
        }
        return "[" + s.dropFirst(hanging.count) + "]"
    }
}

/// Formats single elements the way NumPy's `FloatingFormat` (floatmode "fixed"),
/// `IntegerFormat` and `BoolFormat` do, fitted on the elements that will be shown.
struct ElementFormatter {
    enum Mode { case bool(scalar: Bool), int(width: Int), float(FloatLayout) }
    struct FloatLayout {
        var exponential: Bool
        var precision: Int
        var padLeft: Int
        var padRight: Int
        var expDigits: Int
    }

    let array: NDArray
    let mode: Mode

    init(_ array: NDArray, offsets: [Int], precision: Int) {
        self.array = array
        let precision = min(max(precision, 0), 40)
        switch array.dtype {
        case .bool:
            mode = .bool(scalar: array.shape.isEmpty)
        case .int8, .int32, .int64:
            var width = 0
            for o in offsets { width = max(width, String(array.loadInt(at: o)).utf8.count) }
            mode = .int(width: width)
        default:
            mode = .float(Self.fit(offsets.map(array.loadDouble(at:)), dtype: array.dtype, precision: precision))
        }
    }

    static func fit(_ values: [Double], dtype: DType, precision: Int) -> FloatLayout {
        let finite = values.filter { $0.isFinite }
        let nonZero = finite.filter { $0 != 0 }.map { Swift.abs($0) }
        var exponential = false
        if let maxV = nonZero.max(), let minV = nonZero.min() {
            // NumPy compares in the array's own precision (Python floats are "weak").
            // The large cutoff is 10^min(8, np.finfo(dtype).precision) (NumPy ≥ 2.2).
            switch dtype {
            case .float64:
                exponential = maxV >= 1e8 || minV < 0.0001 || maxV / minV > 1000
            case .float16:
                let mx = Float16(maxV), mn = Float16(minV)
                exponential = mx >= Float16(1e3) || mn < Float16(0.0001) || mx / mn > Float16(1000)
            default:  // float32, and bfloat16 formatted like float32
                let mx = Float(maxV), mn = Float(minV)
                exponential = mx >= Float(1e6) || mn < Float(0.0001) || mx / mn > Float(1000)
            }
        }
        var layout = FloatLayout(exponential: exponential, precision: precision, padLeft: 0, padRight: 0, expDigits: -1)
        if finite.isEmpty {
            layout.exponential = false
        } else if exponential {
            var intWidth = 0, expWidth = 0
            for v in finite {
                let (mantissa, exp) = splitExponent(cFormat(v, precision: precision, conversion: "e"))
                intWidth = max(intWidth, mantissa.prefix { $0 != "." }.count)
                expWidth = max(expWidth, exp.count - 1)
            }
            layout.padLeft = intWidth
            layout.expDigits = expWidth
            layout.padRight = expWidth + 2 + precision
        } else {
            var intWidth = 0
            for v in finite {
                intWidth = max(intWidth, cFormat(v, precision: precision, conversion: "f").prefix { $0 != "." }.count)
            }
            layout.padLeft = intWidth
            layout.padRight = precision
        }
        if finite.count != values.count {
            let negInf = values.contains { $0 == -.infinity } ? 1 : 0
            let offset = layout.padRight + 1
            layout.padLeft = max(layout.padLeft, 3 - offset, 3 + negInf - offset)
        }
        return layout
    }

    func format(at offset: Int) -> String {
        switch mode {
        case let .bool(scalar):
            let v = array.loadInt(at: offset) != 0
            return v ? (scalar ? "true" : " true") : "false"
        case let .int(width):
            return Self.padLeft(String(array.loadInt(at: offset)), width)
        case let .float(layout):
            return Self.format(array.loadDouble(at: offset), layout)
        }
    }

    static func format(_ v: Double, _ l: FloatLayout) -> String {
        if !v.isFinite {
            let text = v.isNaN ? "nan" : (v < 0 ? "-inf" : "inf")
            return padLeft(text, l.padLeft + l.padRight + 1)
        }
        if l.exponential {
            let (mantissa, exp) = splitExponent(cFormat(v, precision: l.precision, conversion: "e"))
            let point = mantissa.firstIndex(of: ".") ?? mantissa.endIndex
            let intPart = String(mantissa[..<point]), rest = String(mantissa[point...])
            let sign = exp.first.map(String.init) ?? "+"
            let digits = String(exp.dropFirst())
            let paddedDigits = String(repeating: "0", count: max(0, l.expDigits - digits.count)) + digits
            return padLeft(intPart, l.padLeft) + rest + "e" + sign + paddedDigits
        }
        let text = cFormat(v, precision: l.precision, conversion: "f")
        let point = text.firstIndex(of: ".") ?? text.endIndex
        return padLeft(String(text[..<point]), l.padLeft) + String(text[point...])
    }

    static func padLeft(_ s: String, _ width: Int) -> String {
        let n = s.utf8.count
        return n >= width ? s : String(repeating: " ", count: width - n) + s
    }

    /// "1.2346e+08" → ("1.2346", "+08").
    static func splitExponent(_ s: String) -> (String, String) {
        guard let e = s.firstIndex(of: "e") else { return (s, "+00") }
        return (String(s[..<e]), String(s[s.index(after: e)...]))
    }

    /// C's `%.Nf` / `%.Ne` (correctly rounded, ties to even, like NumPy's Dragon4 with a
    /// cutoff); precision 0 keeps the point ("1." as NumPy prints).
    static func cFormat(_ v: Double, precision: Int, conversion: Character) -> String {
        let fmt = precision == 0 ? "%#.0\(conversion)" : "%.\(precision)\(conversion)"
        var buffer = [CChar](repeating: 0, count: 400 + precision)
        let capacity = buffer.count
        let n = buffer.withUnsafeMutableBufferPointer { buf in
            withVaList([v]) { vsnprintf(buf.baseAddress, capacity, fmt, $0) }
        }
        guard n > 0 else { return "\(v)" }
        return String(decoding: buffer.prefix(Int(n)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
