import Foundation

/// Round tick values between `min` and `max` (inclusive), spaced by 1, 2 or 5 × 10ⁿ so that there are
/// roughly `count` intervals. Used for the SVG axes. Non-finite input gives `[]`; `min == max` gives `[min]`.
///
/// ```swift
/// niceTicks(min: 0, max: 1, count: 5)      // [0, 0.2, 0.4, 0.6, 0.8, 1]
/// niceTicks(min: 0.12, max: 2.3, count: 5) // [0.5, 1, 1.5, 2]
/// ```
public func niceTicks(min: Double, max: Double, count: Int) -> [Double] {
    guard min.isFinite, max.isFinite else { return [] }
    let lo = Swift.min(min, max), hi = Swift.max(min, max)
    if lo == hi { return [lo] }
    guard let step = niceStep(lo: lo, hi: hi, count: count) else { return [] }
    let first = (lo / step - 1e-9).rounded(.up)
    let last = (hi / step + 1e-9).rounded(.down)
    return tickValues(from: first, to: last, step: step)
}

/// The 1-2-5 step giving about `count` intervals over `lo...hi`, or nil if none can be computed.
func niceStep(lo: Double, hi: Double, count: Int) -> Double? {
    let range = hi - lo
    guard range.isFinite, range > 0 else { return nil }
    let raw = range / Double(Swift.max(1, count))
    let magnitude = pow(10, (log10(raw)).rounded(.down))
    let ratio = raw / magnitude
    let factor: Double = ratio >= 50.0.squareRoot() ? 10 : ratio >= 10.0.squareRoot() ? 5 : ratio >= 2.0.squareRoot() ? 2 : 1
    let step = factor * magnitude
    return step.isFinite && step > 0 ? step : nil
}

/// `i * step` for integer `i` in `first...last`, rounded to the step's decimals to avoid 0.30000000000000004.
private func tickValues(from first: Double, to last: Double, step: Double) -> [Double] {
    guard first <= last, last - first <= 10_000 else { return [] }
    let decimals = Swift.max(0, Int((-log10(step)).rounded(.up)))
    let p = decimals <= 15 ? pow(10, Double(decimals)) : 1
    var out: [Double] = []
    var i = first
    while i <= last {
        var v = i * step
        if decimals > 0 && decimals <= 15 { v = (v * p).rounded() / p }
        out.append(v == 0 ? 0 : v)   // no -0
        i += 1
    }
    return out
}

/// One axis: a data domain, its ticks and labels, mapping data to 0…1.
struct Axis {
    var lo: Double
    var hi: Double
    var log: Bool
    var ticks: [Double]
    var labels: [String]
    /// Category names when the axis is a band of categories at 0, 1, 2, ….
    var categories: [String]? = nil

    /// Position 0…1 of a data value (may fall outside for values outside the domain).
    func unit(_ v: Double) -> Double {
        if let categories {
            return (v + 0.5) / Double(Swift.max(categories.count, 1))
        }
        if log {
            let a = log10(lo), b = log10(hi)
            return (log10(v) - a) / (b - a)
        }
        return (v - lo) / (hi - lo)
    }

    /// A linear axis over finite values, widened to whole ticks; `includeZero` for bars.
    static func linear(_ values: [Double], includeZero: Bool, count: Int = 5) -> Axis {
        var lo = values.min() ?? 0, hi = values.max() ?? 1
        if values.isEmpty { lo = 0; hi = 1 }
        if includeZero { lo = Swift.min(lo, 0); hi = Swift.max(hi, 0) }
        if lo == hi {
            let pad = lo == 0 ? 1 : abs(lo) * 0.1
            lo -= pad; hi += pad
        }
        guard let step = niceStep(lo: lo, hi: hi, count: count) else {
            return Axis(lo: lo, hi: hi, log: false, ticks: [lo, hi], labels: [formatNumber(lo), formatNumber(hi)])
        }
        let first = (lo / step + 1e-9).rounded(.down), last = (hi / step - 1e-9).rounded(.up)
        var t = tickValues(from: first, to: last, step: step)
        if t.count < 2 { t = [lo, hi] }
        return Axis(lo: t.first ?? lo, hi: t.last ?? hi, log: false, ticks: t, labels: t.map { formatTick($0, step: step) })
    }

    /// A log₁₀ axis over the positive finite values, widened to whole decades.
    static func logarithmic(_ values: [Double]) -> Axis {
        let positive = values.filter { $0 > 0 && $0.isFinite }
        var a = (log10(positive.min() ?? 1)).rounded(.down)
        var b = (log10(positive.max() ?? 10)).rounded(.up)
        if a == b { b += 1 }
        a = Swift.max(a, -300); b = Swift.min(b, 300)
        let decades = Int(b - a)
        let every = Swift.max(1, (decades + 5) / 6)
        var t: [Double] = []
        var e = a
        while e <= b {
            if Int(e - a) % every == 0 { t.append(pow(10, e)) }
            if decades == 1 && e < b { t.append(2 * pow(10, e)); t.append(5 * pow(10, e)) }
            e += 1
        }
        t.sort()
        return Axis(lo: pow(10, a), hi: pow(10, b), log: true, ticks: t, labels: t.map { formatNumber($0) })
    }

    /// A band axis with one slot per category.
    static func band(_ categories: [String]) -> Axis {
        let t = (0..<categories.count).map(Double.init)
        return Axis(lo: -0.5, hi: Double(categories.count) - 0.5, log: false, ticks: t, labels: categories,
                    categories: categories)
    }
}

/// A tick label: as many decimals as the step needs, exponent form for very large or small numbers.
func formatTick(_ value: Double, step: Double) -> String {
    let v = value == 0 ? 0 : value   // no "-0"
    if abs(v) >= 1e6 || step < 1e-4 { return formatNumber(v) }
    let decimals = Swift.max(0, Int((-log10(step) - 1e-9).rounded(.up)))
    return String(format: "%.\(decimals)f", v)
}

/// A short number: integers as-is below a million, otherwise 3 significant digits ("0.12", "2.3", "1.23e+06").
///
/// Non-finite values print as "NaN", "inf" and "-inf".
func formatNumber(_ v: Double, significant: Int = 3) -> String {
    if v.isNaN { return "NaN" }
    if v.isInfinite { return v > 0 ? "inf" : "-inf" }
    if v == 0 { return "0" }
    if v == v.rounded() && abs(v) < 1e6 { return String(format: "%.0f", v) }
    return String(format: "%.\(significant)g", v)
}
