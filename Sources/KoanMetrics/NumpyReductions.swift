/// NumPy-compatible floating-point reductions, reproducing `np.add.reduce`'s pairwise
/// summation so that averages are bit-identical to scikit-learn/seqeval.
enum Numpy {
    /// `np.sum` of a contiguous float64 array (pairwise summation, blocks of 128, 8 accumulators).
    static func sum(_ values: [Double]) -> Double {
        values.withUnsafeBufferPointer { pairwise($0[...]) }
    }

    private static func pairwise(_ a: Slice<UnsafeBufferPointer<Double>>) -> Double {
        let n = a.count
        let s = a.startIndex
        if n < 8 {
            var result = -0.0
            for i in a.indices { result += a[i] }
            return result
        } else if n <= 128 {
            var r = (a[s], a[s + 1], a[s + 2], a[s + 3], a[s + 4], a[s + 5], a[s + 6], a[s + 7])
            var i = 8
            while i < n - (n % 8) {
                r.0 += a[s + i]; r.1 += a[s + i + 1]; r.2 += a[s + i + 2]; r.3 += a[s + i + 3]
                r.4 += a[s + i + 4]; r.5 += a[s + i + 5]; r.6 += a[s + i + 6]; r.7 += a[s + i + 7]
                i += 8
            }
            var result = ((r.0 + r.1) + (r.2 + r.3)) + ((r.4 + r.5) + (r.6 + r.7))
            while i < n {
                result += a[s + i]
                i += 1
            }
            return result
        } else {
            var n2 = n / 2
            n2 -= n2 % 8
            return pairwise(a[s..<(s + n2)]) + pairwise(a[(s + n2)...])
        }
    }

    /// `np.mean`.
    static func mean(_ values: [Double]) -> Double {
        if values.isEmpty { return .nan }
        return sum(values) / Double(values.count)
    }

    /// `np.average(a, weights=w)` with integer weights; `nil` when the weights sum to zero
    /// (NumPy raises `ZeroDivisionError`).
    static func average(_ values: [Double], weights: [Int]) -> Double? {
        let scale = sum(weights.map(Double.init))
        if scale == 0 { return nil }
        return sum(zip(values, weights).map { $0 * Double($1) }) / scale
    }

    /// scikit-learn's `_nanaverage`: weighted average ignoring NaNs; NaN when empty/all-NaN;
    /// unweighted when the remaining weights sum to zero.
    static func nanAverage(_ values: [Double], weights: [Int]? = nil) -> Double {
        if values.isEmpty { return .nan }
        let keep = values.indices.filter { !values[$0].isNaN }
        if keep.isEmpty { return .nan }
        let kept = keep.map { values[$0] }
        guard let weights else {
            // np.nanmean: NaNs replaced by 0 in place, then divided by the non-NaN count.
            return sum(values.map { $0.isNaN ? 0 : $0 }) / Double(kept.count)
        }
        return average(kept, weights: keep.map { weights[$0] }) ?? mean(kept)
    }
}
