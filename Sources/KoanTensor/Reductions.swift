#if canImport(Glibc)
import Glibc
#endif

/// Reductions over axes (`reduce(_:axes:keepdims:)`).
///
///     let total = try x.reduce(.sum)                          // all axes
///     let rowMax = try x.reduce(.max, axes: [-1], keepdims: true)
public enum ReduceOp: String, Sendable {
    case sum, mean, prod, max, min, argmax, argmin, any, all, logsumexp
}

/// Elements per fixed summation block: float sums add blocks (SIMD, float64 accumulators),
/// then add the block sums in order, so results never depend on the thread count.
let reduceBlock = 8192

@inline(__always)
func simdSumBlock<T: KFloat & SIMDScalar>(_ p: UnsafePointer<T>, _ n: Int) -> Double {
    var acc0 = SIMD8<Double>(), acc1 = SIMD8<Double>()
    var i = 0
    let raw = UnsafeRawPointer(p)
    let size = MemoryLayout<T>.stride
    while i + 16 <= n {
        let v0 = raw.loadUnaligned(fromByteOffset: i * size, as: SIMD8<T>.self)
        let v1 = raw.loadUnaligned(fromByteOffset: (i + 8) * size, as: SIMD8<T>.self)
        acc0 += SIMD8<Double>(v0)
        acc1 += SIMD8<Double>(v1)
        i += 16
    }
    var s = (acc0 + acc1).sum()
    while i < n { s += Double(p[i]); i += 1 }
    return s
}

/// Sum of `n` contiguous values in float64: fixed blocks, combined in order; `parallel` splits blocks over threads.
func blockedSum<T: KFloat & SIMDScalar>(_ p: UnsafePointer<T>, _ n: Int, parallel: Bool) -> Double {
    if n <= reduceBlock { return simdSumBlock(p, n) }
    let blocks = (n + reduceBlock - 1) / reduceBlock
    var partial = [Double](repeating: 0, count: blocks)
    partial.withUnsafeMutableBufferPointer { pb in
        let out = pb.baseAddress!
        let body: (Range<Int>) -> Void = { r in
            for b in r {
                let lo = b * reduceBlock
                out[b] = simdSumBlock(p + lo, Swift.min(reduceBlock, n - lo))
            }
        }
        if parallel { parallelFor(blocks, grain: 4, body) } else { body(0..<blocks) }
    }
    var s = 0.0
    for v in partial { s += v }
    return s
}

/// Max (or min) of `n` contiguous values, NaN if any is NaN (SIMD on concrete types).
@inline(__always)
func simdExtreme<T: KFloat & SIMDScalar>(_ p: UnsafePointer<T>, _ n: Int, max isMax: Bool) -> T {
    if T.self == Float.self {
        return unsafeBitCast(extremeF32(UnsafeRawPointer(p).assumingMemoryBound(to: Float.self), n, isMax), to: T.self)
    }
    if T.self == Double.self {
        return unsafeBitCast(extremeF64(UnsafeRawPointer(p).assumingMemoryBound(to: Double.self), n, isMax), to: T.self)
    }
    var m = isMax ? -T.infinity : T.infinity
    for i in 0..<n {
        let v = p[i]
        if v.isNaN { return T.nan }
        if isMax ? v > m : v < m { m = v }
    }
    return m
}

func extremeF32(_ p: UnsafePointer<Float>, _ n: Int, _ isMax: Bool) -> Float {
    extremeSIMD(p, n, isMax, SIMD8<Float>.self)
}

func extremeF64(_ p: UnsafePointer<Double>, _ n: Int, _ isMax: Bool) -> Double {
    extremeSIMD(p, n, isMax, SIMD4<Double>.self)
}

/// Max or min of `n` contiguous floats with two SIMD accumulators; NaN wins (NumPy).
@inline(__always)
private func extremeSIMD<V: SIMD>(_ p: UnsafePointer<V.Scalar>, _ n: Int, _ isMax: Bool, _: V.Type) -> V.Scalar
where V.Scalar: BinaryFloatingPoint {
    var acc0 = V(repeating: isMax ? -.infinity : .infinity), acc1 = acc0
    var nan = V(repeating: 0)
    var i = 0
    let raw = UnsafeRawPointer(p)
    let width = V.scalarCount, size = MemoryLayout<V.Scalar>.stride
    while i + 2 * width <= n {
        let v0 = raw.loadUnaligned(fromByteOffset: i * size, as: V.self)
        let v1 = raw.loadUnaligned(fromByteOffset: (i + width) * size, as: V.self)
        if isMax { acc0.replace(with: v0, where: v0 .> acc0); acc1.replace(with: v1, where: v1 .> acc1) } else {
            acc0.replace(with: v0, where: v0 .< acc0); acc1.replace(with: v1, where: v1 .< acc1)
        }
        // x - x is NaN exactly for NaN and infinities; the sum tracks NaN inputs
        nan += (v0 - v0) + (v1 - v1)
        i += 2 * width
    }
    var m = isMax ? pointwiseMax(acc0, acc1).max() : pointwiseMin(acc0, acc1).min()
    if nan.sum().isNaN {
        for j in 0..<i where p[j].isNaN { return .nan }
    }
    while i < n {
        let v = p[i]
        if v.isNaN { return .nan }
        if isMax ? v > m : v < m { m = v }
        i += 1
    }
    return m
}

extension NDArray {
    /// Normalised, sorted, de-duplicated axes (nil = all).
    func reductionAxes(_ axes: [Int]?, op: String) throws -> [Int] {
        guard let axes else { return Array(0..<rank) }
        if rank == 0 {
            for a in axes where a != 0 && a != -1 { throw TensorError.axisOutOfRange(axis: a, rank: 0) }
            return []
        }
        let n = try axes.map { try normalizeAxis($0, rank: rank) }
        guard Set(n).count == n.count else {
            throw TensorError.invalidArgument(op: op, message: "duplicate axes \(axes)")
        }
        return n.sorted()
    }

    /// `self` laid out as contiguous rows: kept axes first, reduced axes last.
    /// Returns the row-major array and (rows M, row length K, output shape).
    func rowsForReduction(_ axes: [Int], keepdims: Bool) throws -> (NDArray, Int, Int, [Int]) {
        let kept = (0..<rank).filter { !axes.contains($0) }
        let m = kept.reduce(1) { $0 * shape[$1] }
        let k = axes.reduce(1) { $0 * shape[$1] }
        let outShape = keepdims ? (0..<rank).map { axes.contains($0) ? 1 : shape[$0] } : kept.map { shape[$0] }
        let perm = kept + axes
        let arranged = perm == Array(0..<rank) ? self : try permuted(perm)
        return (try arranged.contiguous(), m, k, outShape)
    }

    /// Reduces over `axes` (nil = all, negative allowed). `sum`/`prod` of integers and bools
    /// give int64, `mean`/`logsumexp` of integers give float32, `any`/`all` give bool,
    /// `argmax`/`argmin` take at most one axis (nil = flattened) and give int64 (first
    /// occurrence; NaN wins as in NumPy). Float32 accumulates in float64.
    ///
    ///     let x = try NDArray(values: [1, 5, 3, 2], shape: [2, 2])
    ///     try x.reduce(.max, axes: [1])        // [5, 3]
    ///     try x.reduce(.argmax)                // 1 (flattened)
    public func reduce(_ op: ReduceOp, axes: [Int]? = nil, keepdims: Bool = false) throws -> NDArray {
        if op == .argmax || op == .argmin {
            guard let axes else {
                let flat = try flattened()
                let r = try flat.reduce(op, axes: [0], keepdims: false)
                return keepdims ? try r.reshaped([Int](repeating: 1, count: rank)) : r
            }
            guard axes.count == 1 else {
                throw TensorError.invalidArgument(op: op.rawValue, message: "takes one axis, got \(axes)")
            }
        }
        let ax = try reductionAxes(axes, op: op.rawValue)
        // Fast path: leading axes reduced over a contiguous float tensor (e.g. bias gradients).
        if (op == .sum || op == .mean) && (dtype == .float32 || dtype == .float64) && isContiguous
            && !ax.isEmpty && ax == Array(0..<ax.count) && ax.count < rank {
            let k = ax.reduce(1) { $0 * shape[$1] }
            let m = count / Swift.max(k, 1)
            if m >= 16 && k > 0 {
                let outShape = keepdims ? (0..<rank).map { $0 < ax.count ? 1 : shape[$0] } : Array(shape[ax.count...])
                let out = try NDArray(shape: outShape, dtype: dtype)
                let scale = op == .mean ? 1 / Double(k) : 1
                if dtype == .float32 { columnSum(pointer(as: Float.self), k, m, out.pointer(as: Float.self), scale) } else {
                    columnSum(pointer(as: Double.self), k, m, out.pointer(as: Double.self), scale)
                }
                return out
            }
        }
        let (rowsArray, m, k, outShape) = try rowsForReduction(ax, keepdims: keepdims)
        if k == 0 && m > 0 {
            switch op {
            case .max, .min, .argmax, .argmin:
                throw TensorError.invalidArgument(op: op.rawValue, message: "cannot reduce an empty axis of a tensor of shape \(shape)")
            default: break
            }
        }
        switch op {
        case .any, .all:
            let src = try rowsArray.converted(.bool).contiguous()
            let out = try NDArray(shape: outShape, dtype: .bool)
            let sp = src.pointer(as: UInt8.self), op8 = out.pointer(as: UInt8.self)
            let wantAll = op == .all
            NDArray.parallelRows(m, k) { r in
                for row in r {
                    let base = sp + row * k
                    var found = false
                    if wantAll { for i in 0..<k where base[i] == 0 { found = true; break } } else {
                        for i in 0..<k where base[i] != 0 { found = true; break }
                    }
                    op8[row] = (wantAll ? !found : found) ? 1 : 0
                }
            }
            return out
        case .argmax, .argmin:
            let out = try NDArray(shape: outShape, dtype: .int64)
            let o = out.pointer(as: Int64.self)
            let isMax = op == .argmax
            if dtype.isFloatingPoint {
                let src = try rowsArray.converted(dtype == .float64 ? .float64 : .float32)
                if src.dtype == .float32 { NDArray.argExtremeRows(src.pointer(as: Float.self), m, k, o, isMax) } else {
                    NDArray.argExtremeRows(src.pointer(as: Double.self), m, k, o, isMax)
                }
            } else {
                let src = try rowsArray.converted(.int64)
                let sp = src.pointer(as: Int64.self)
                NDArray.parallelRows(m, k) { r in
                    for row in r {
                        let b = sp + row * k
                        var best = 0
                        for i in 1..<Swift.max(k, 1) where isMax ? b[i] > b[best] : b[i] < b[best] { best = i }
                        o[row] = Int64(best)
                    }
                }
            }
            return out
        default: break
        }
        // integer sum / prod / max / min
        if !dtype.isFloatingPoint && (op == .sum || op == .prod || op == .max || op == .min) {
            let src = try rowsArray.converted(.int64)
            let sp = src.pointer(as: Int64.self)
            let out = try NDArray(shape: outShape, dtype: .int64)
            let o = out.pointer(as: Int64.self)
            NDArray.parallelRows(m, k) { r in
                for row in r {
                    let b = sp + row * k
                    var acc: Int64
                    switch op {
                    case .sum: acc = 0; for i in 0..<k { acc = acc &+ b[i] }
                    case .prod: acc = 1; for i in 0..<k { acc = acc &* b[i] }
                    case .max: acc = b[0]; for i in 0..<k { acc = Swift.max(acc, b[i]) }
                    default: acc = b[0]; for i in 0..<k { acc = Swift.min(acc, b[i]) }
                    }
                    o[row] = acc
                }
            }
            return (op == .max || op == .min) ? try out.converted(dtype) : out
        }
        // float paths: f32/f64 directly, f16/bf16 via f32, ints via f64 (mean, logsumexp)
        let resultDType: DType = dtype.isFloatingPoint ? dtype : .float32
        let computeDType: DType = dtype == .float64 ? .float64 : (dtype.isFloatingPoint ? .float32 : .float64)
        let src = try rowsArray.converted(computeDType)
        let outCompute = try NDArray(shape: outShape, dtype: computeDType)
        if computeDType == .float32 {
            NDArray.floatRows(op, src.pointer(as: Float.self), m, k, outCompute.pointer(as: Float.self))
        } else {
            NDArray.floatRows(op, src.pointer(as: Double.self), m, k, outCompute.pointer(as: Double.self))
        }
        return try outCompute.converted(resultDType)
    }

    static func parallelRows(_ m: Int, _ k: Int, _ body: (Range<Int>) -> Void) {
        parallelFor(m, grain: Swift.max(1, 32_768 / Swift.max(k, 1)), body)
    }

    static func floatRows<T: KFloat & SIMDScalar>(_ op: ReduceOp, _ sp: UnsafeMutablePointer<T>, _ m: Int, _ k: Int, _ o: UnsafeMutablePointer<T>) {
        let p = UnsafePointer(sp)
        if m == 1 && (op == .sum || op == .mean) {
            let s = blockedSum(p, k, parallel: true)
            o[0] = T(op == .mean ? s / Double(k) : s)
            return
        }
        parallelRows(m, k) { r in
            for row in r {
                let b = p + row * k
                switch op {
                case .sum: o[row] = T(blockedSum(b, k, parallel: false))
                case .mean: o[row] = T(blockedSum(b, k, parallel: false) / Double(k))
                case .max: o[row] = simdExtreme(b, k, max: true)
                case .min: o[row] = simdExtreme(b, k, max: false)
                case .prod:
                    var acc = 1.0
                    for i in 0..<k { acc *= Double(b[i]) }
                    o[row] = T(acc)
                case .logsumexp:
                    if k == 0 { o[row] = -T.infinity; continue }
                    let mx = Double(simdExtreme(b, k, max: true))
                    if mx.isNaN || mx.isInfinite { o[row] = T(mx); continue }
                    var acc = 0.0
                    for i in 0..<k { acc += Glibc.exp(Double(b[i]) - mx) }
                    o[row] = T(mx + Glibc.log(acc))
                default: break
                }
            }
        }
    }

    static func argExtremeRows<T: KFloat>(_ sp: UnsafeMutablePointer<T>, _ m: Int, _ k: Int, _ o: UnsafeMutablePointer<Int64>, _ isMax: Bool) {
        parallelRows(m, k) { r in
            for row in r {
                let b = sp + row * k
                var best = 0
                var bv = b[0]
                if !bv.isNaN {
                    for i in 1..<Swift.max(k, 1) {
                        let v = b[i]
                        if v.isNaN { best = i; break }
                        if isMax ? v > bv : v < bv { best = i; bv = v }
                    }
                }
                o[row] = Int64(best)
            }
        }
    }

    /// out[j] = scale * sum_i x[i * m + j] (float64 accumulators, in order of i).
    func columnSum<T: KFloat>(_ x: UnsafeMutablePointer<T>, _ k: Int, _ m: Int, _ out: UnsafeMutablePointer<T>, _ scale: Double) {
        parallelFor(m, grain: Swift.max(16, 32_768 / Swift.max(k, 1))) { r in
            let width = r.count
            let acc = UnsafeMutablePointer<Double>.allocate(capacity: width)
            defer { acc.deallocate() }
            acc.initialize(repeating: 0, count: width)
            for i in 0..<k {
                let row = x + i * m + r.lowerBound
                for j in 0..<width { acc[j] += Double(row[j]) }
            }
            for j in 0..<width { out[r.lowerBound + j] = T(acc[j] * scale) }
        }
    }

    /// Variance with NumPy's `ddof` (`correction`), two-pass in float64; integers give float32.
    ///
    ///     try x.variance(axes: [0], correction: 1)   // unbiased
    public func variance(axes: [Int]? = nil, correction: Int = 0, keepdims: Bool = false) throws -> NDArray {
        let ax = try reductionAxes(axes, op: "variance")
        let (rowsArray, m, k, outShape) = try rowsForReduction(ax, keepdims: keepdims)
        let src = try rowsArray.converted(.float64)
        let out = try NDArray(shape: outShape, dtype: .float64)
        let sp = src.pointer(as: Double.self), o = out.pointer(as: Double.self)
        let denom = Swift.max(Double(k) - Double(correction), 0)   // in Double: any correction, no overflow
        NDArray.parallelRows(m, k) { r in
            for row in r {
                let b = sp + row * k
                var s = 0.0
                for i in 0..<k { s += b[i] }
                let mean = s / Double(k)
                var ss = 0.0
                for i in 0..<k { let d = b[i] - mean; ss += d * d }
                o[row] = ss / denom
            }
        }
        return try out.converted(dtype.isFloatingPoint ? dtype : .float32)
    }

    /// Standard deviation: `sqrt(variance)`.
    ///
    ///     try x.std(axes: [-1], keepdims: true)
    public func std(axes: [Int]? = nil, correction: Int = 0, keepdims: Bool = false) throws -> NDArray {
        try variance(axes: axes, correction: correction, keepdims: keepdims).unary(.sqrt)
    }

    /// Running sum along `axis` (integers and bools give int64; float32 accumulates in float32 as NumPy).
    ///
    ///     try NDArray(values: [1, 2, 3], shape: [3]).cumsum(axis: 0)   // [1, 3, 6]
    public func cumsum(axis: Int) throws -> NDArray {
        let ax = try normalizeAxis(axis, rank: rank)
        if rank == 0 { return try converted(dtype.isFloatingPoint ? dtype : .int64).contiguousCopy() }
        var perm = Array(0..<rank)
        perm.remove(at: ax); perm.append(ax)
        let arranged = try permuted(perm)
        let k = shape[ax], m = count / Swift.max(k, 1)
        var inverse = [Int](repeating: 0, count: rank)
        for (i, p) in perm.enumerated() { inverse[p] = i }
        if !dtype.isFloatingPoint {
            let src = try arranged.converted(.int64).contiguous()
            let out = try NDArray(shape: arranged.shape, dtype: .int64)
            let sp = src.pointer(as: Int64.self), o = out.pointer(as: Int64.self)
            NDArray.parallelRows(m, k) { r in
                for row in r {
                    var acc: Int64 = 0
                    for i in 0..<k { acc = acc &+ sp[row * k + i]; o[row * k + i] = acc }
                }
            }
            return try out.permuted(inverse).contiguous()
        }
        let cd: DType = dtype == .float64 ? .float64 : .float32
        let src = try arranged.converted(cd).contiguous()
        let out = try NDArray(shape: arranged.shape, dtype: cd)
        @inline(__always) func run<T: KFloat>(_: T.Type) {
            let sp = src.pointer(as: T.self), o = out.pointer(as: T.self)
            NDArray.parallelRows(m, k) { r in
                for row in r {
                    var acc: T = 0
                    for i in 0..<k { acc += sp[row * k + i]; o[row * k + i] = acc }
                }
            }
        }
        if cd == .float32 { run(Float.self) } else { run(Double.self) }
        return try out.permuted(inverse).contiguous().converted(dtype)
    }

    /// `reduce(.sum, ...)`.
    ///
    ///     try x.sum(axes: [0])
    public func sum(axes: [Int]? = nil, keepdims: Bool = false) throws -> NDArray {
        try reduce(.sum, axes: axes, keepdims: keepdims)
    }

    /// `reduce(.mean, ...)`.
    ///
    ///     try x.mean(axes: [-1], keepdims: true)
    public func mean(axes: [Int]? = nil, keepdims: Bool = false) throws -> NDArray {
        try reduce(.mean, axes: axes, keepdims: keepdims)
    }
}
