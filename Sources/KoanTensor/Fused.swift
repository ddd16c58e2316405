// Fused network kernels with their backward passes: softmax, logSoftmax, layerNorm, gelu,
// silu and the cross-entropy forward. float32 and float64 compute natively; float16 and
// bfloat16 compute in float32 and round once; integer and bool inputs compute (and return)
// float32. Every reduction along an axis runs sequentially per lane, so results do not depend
// on the thread count.

#if canImport(Glibc)
import Glibc
#endif

/// The float types of the fused kernels with their libm functions.
fileprivate protocol FusedFloat: NNBLASScalar {
    static func fexp(_ x: Self) -> Self
    static func flog(_ x: Self) -> Self
    static func ferf(_ x: Self) -> Self
    static func ftanh(_ x: Self) -> Self
}

extension Float: FusedFloat {
    @inline(__always) fileprivate static func fexp(_ x: Float) -> Float { expf(x) }
    @inline(__always) fileprivate static func flog(_ x: Float) -> Float { logf(x) }
    @inline(__always) fileprivate static func ferf(_ x: Float) -> Float { erff(x) }
    @inline(__always) fileprivate static func ftanh(_ x: Float) -> Float { tanhf(x) }
}

extension Double: FusedFloat {
    @inline(__always) fileprivate static func fexp(_ x: Double) -> Double { Glibc.exp(x) }
    @inline(__always) fileprivate static func flog(_ x: Double) -> Double { Glibc.log(x) }
    @inline(__always) fileprivate static func ferf(_ x: Double) -> Double { Glibc.erf(x) }
    @inline(__always) fileprivate static func ftanh(_ x: Double) -> Double { Glibc.tanh(x) }
}

/// Working dtype (float32/float64) and result dtype of a fused op over `dtypes`.
fileprivate func fusedDTypes(_ dtypes: [DType]) -> (work: DType, result: DType) {
    var d = dtypes[0]
    for t in dtypes.dropFirst() { d = DType.promote(d, t) }
    if !d.isFloatingPoint { d = .float32 }
    return (d == .float64 ? .float64 : .float32, d)
}

/// Splits a shape around `axis` into (outer, len, inner) for a contiguous layout.
fileprivate func axisSplit(_ shape: [Int], axis: Int) throws -> (outer: Int, len: Int, inner: Int) {
    if shape.isEmpty {
        _ = try normalizeAxis(axis, rank: 0)
        return (1, 1, 1)
    }
    let a = try normalizeAxis(axis, rank: shape.count)
    return (shape[..<a].reduce(1, *), shape[a], shape[(a + 1)...].reduce(1, *))
}

/// Runs `body(base, columns)` over lanes along the middle axis of an (outer, len, inner)
/// layout: `columns` adjacent lanes starting at element `base`, each `len` long with stride `inner`.
fileprivate func forEachLaneBlock(outer: Int, len: Int, inner: Int, _ body: (Int, Int) -> Void) {
    let block = inner == 1 ? 1 : 64
    let blocks = (inner + block - 1) / block
    let tasks = outer * blocks
    parallelFor(tasks, grain: max(1, 16_384 / max(1, len * min(inner, block)))) { r in
        for t in r {
            let o = t / blocks, b = t % blocks
            let j0 = b * block
            body(o * len * inner + j0, min(block, inner - j0))
        }
    }
}

fileprivate func sameShape(_ op: String, _ a: NDArray, _ b: NDArray) throws {
    guard a.shape == b.shape else {
        throw TensorError.shapeMismatch(op: op, lhs: a.shape, rhs: b.shape, detail: "the gradient must have the same shape as the tensor")
    }
}

// MARK: - softmax / logSoftmax

fileprivate func softmaxKernel<T: FusedFloat>(_: T.Type, _ xa: NDArray, _ ya: NDArray, outer: Int, len: Int, inner: Int, log: Bool) {
    let x = xa.pointer(as: T.self), y = ya.pointer(as: T.self)
    forEachLaneBlock(outer: outer, len: len, inner: inner) { base, cols in
        withUnsafeTemporaryAllocation(of: T.self, capacity: 2 * cols) { buf in
            let m = buf.baseAddress!, s = m + cols
            let xp = x + base, yp = y + base
            for c in 0..<cols { m[c] = -T.infinity; s[c] = 0 }
            for a in 0..<len {
                let row = xp + a * inner
                for c in 0..<cols { let v = row[c]; if v > m[c] || v.isNaN { m[c] = v } }
            }
            for a in 0..<len {
                let row = xp + a * inner, out = yp + a * inner
                for c in 0..<cols {
                    let e = T.fexp(row[c] - m[c])
                    s[c] += e
                    if !log { out[c] = e }
                }
            }
            if log {
                for c in 0..<cols { s[c] = T.flog(s[c]) }
                for a in 0..<len {
                    let row = xp + a * inner, out = yp + a * inner
                    for c in 0..<cols { out[c] = (row[c] - m[c]) - s[c] }
                }
            } else {
                for c in 0..<cols { s[c] = 1 / s[c] }
                for a in 0..<len {
                    let out = yp + a * inner
                    for c in 0..<cols { out[c] *= s[c] }
                }
            }
        }
    }
}

/// Softmax over the last axis of float32 rows (attention scores, class logits): the row max,
/// then the vectorised `vexp` of the shifted row, its sum in row order, and a scale. Each row
/// is one task, so results do not depend on the thread count.
fileprivate func softmaxRows(_ xa: NDArray, _ ya: NDArray, rows: Int, len: Int) {
    let x = xa.pointer(as: Float.self), y = ya.pointer(as: Float.self)
    let xBox = UnsafeSendableBox(x), yBox = UnsafeSendableBox(y)
    parallelFor(rows, grain: max(1, 16_384 / max(1, len))) { r in
        let x = xBox.value, y = yBox.value
        for row in r {
            let xp = x + row * len, yp = y + row * len
            var m = -Float.infinity
            for i in 0..<len { let v = xp[i]; if v > m || v.isNaN { m = v } }
            vectorMap(xp, yp, 0..<len) { vexp($0 - VFloat(repeating: m)) }
            var sum: Float = 0
            for i in 0..<len { sum += yp[i] }
            let inv = 1 / sum
            for i in 0..<len { yp[i] *= inv }
        }
    }
}

fileprivate func softmaxForward(_ op: String, _ x: NDArray, axis: Int, log: Bool) throws -> NDArray {
    let (outer, len, inner) = try axisSplit(x.shape, axis: axis)
    let (work, result) = fusedDTypes([x.dtype])
    let xc = try x.to(work).contiguous()
    let y = try NDArray(shape: x.shape, dtype: work)
    if work == .float32 && inner == 1 && !log {
        softmaxRows(xc, y, rows: outer, len: len)
    } else if work == .float32 {
        softmaxKernel(Float.self, xc, y, outer: outer, len: len, inner: inner, log: log)
    } else {
        softmaxKernel(Double.self, xc, y, outer: outer, len: len, inner: inner, log: log)
    }
    return try y.to(result)
}

/// Softmax along `axis` (numerically stable: the lane maximum is subtracted before `exp`).
///
///     let p = try softmax(logits, axis: -1)     // each row sums to 1
public func softmax(_ x: NDArray, axis: Int) throws -> NDArray {
    try softmaxForward("softmax", x, axis: axis, log: false)
}

/// Log of the softmax along `axis`: `x − max − log Σ exp(x − max)`.
///
///     let lp = try logSoftmax(logits, axis: 1)
public func logSoftmax(_ x: NDArray, axis: Int) throws -> NDArray {
    try softmaxForward("logSoftmax", x, axis: axis, log: true)
}

fileprivate func softmaxBackwardKernel<T: FusedFloat>(_: T.Type, _ ya: NDArray, _ dya: NDArray, _ dxa: NDArray,
                                                      outer: Int, len: Int, inner: Int, log: Bool) {
    let y = ya.pointer(as: T.self), dy = dya.pointer(as: T.self), dx = dxa.pointer(as: T.self)
    forEachLaneBlock(outer: outer, len: len, inner: inner) { base, cols in
        withUnsafeTemporaryAllocation(of: T.self, capacity: cols) { buf in
            let s = buf.baseAddress!
            for c in 0..<cols { s[c] = 0 }
            for a in 0..<len {
                let o = base + a * inner
                for c in 0..<cols { s[c] += log ? dy[o + c] : dy[o + c] * y[o + c] }
            }
            for a in 0..<len {
                let o = base + a * inner
                for c in 0..<cols {
                    dx[o + c] = log ? dy[o + c] - T.fexp(y[o + c]) * s[c] : y[o + c] * (dy[o + c] - s[c])
                }
            }
        }
    }
}

fileprivate func softmaxBackwardImpl(_ op: String, _ y: NDArray, _ dy: NDArray, axis: Int, log: Bool) throws -> NDArray {
    try sameShape(op, y, dy)
    let (outer, len, inner) = try axisSplit(y.shape, axis: axis)
    let (work, result) = fusedDTypes([y.dtype, dy.dtype])
    let yc = try y.to(work).contiguous(), dyc = try dy.to(work).contiguous()
    let dx = try NDArray(shape: y.shape, dtype: work)
    if work == .float32 {
        softmaxBackwardKernel(Float.self, yc, dyc, dx, outer: outer, len: len, inner: inner, log: log)
    } else {
        softmaxBackwardKernel(Double.self, yc, dyc, dx, outer: outer, len: len, inner: inner, log: log)
    }
    return try dx.to(result)
}

/// Gradient of `softmax` from its output `y`: `dx = y · (dy − Σ dy·y)` along `axis`.
///
///     let dx = try softmaxBackward(output: y, gradOutput: dy, axis: -1)
public func softmaxBackward(output y: NDArray, gradOutput dy: NDArray, axis: Int) throws -> NDArray {
    try softmaxBackwardImpl("softmaxBackward", y, dy, axis: axis, log: false)
}

/// Gradient of `logSoftmax` from its output `y`: `dx = dy − exp(y) · Σ dy` along `axis`.
///
///     let dx = try logSoftmaxBackward(output: y, gradOutput: dy, axis: -1)
public func logSoftmaxBackward(output y: NDArray, gradOutput dy: NDArray, axis: Int) throws -> NDArray {
    try softmaxBackwardImpl("logSoftmaxBackward", y, dy, axis: axis, log: true)
}

// MARK: - layerNorm

/// Number of trailing dims whose product is `count` (the smallest such number ≥ 1).
fileprivate func normalizedDims(_ op: String, _ shape: [Int], _ count: Int) throws -> Int {
    guard count >= 0 else { throw TensorError.invalidArgument(op: op, message: "normalizedCount must be non-negative, got \(count)") }
    var p = 1
    for k in 1...max(1, shape.count) where k <= shape.count {
        p *= shape[shape.count - k]
        if p == count { return k }
    }
    if count == 1 { return 0 }
    throw TensorError.invalidArgument(op: op, message: "normalizedCount \(count) is not the size of trailing dimensions of shape \(shape)")
}

fileprivate func checkAffine(_ op: String, _ p: NDArray?, _ n: Int, _ name: String) throws {
    if let p, p.count != n {
        throw TensorError.shapeMismatch(op: op, lhs: p.shape, rhs: [n], detail: "the \(name) must have \(n) elements")
    }
}

/// Layer normalisation over the trailing `normalizedCount` elements (a suffix of the
/// dimensions, e.g. the last axis of [B, T, D] with `normalizedCount: D`), with optional
/// affine `weight` and `bias` of `normalizedCount` elements: `y = (x − mean) · rstd · w + b`,
/// `rstd = 1 / sqrt(var + eps)` with the biased variance (as torch). Also returns `mean`
/// and `rstd` (shape: leading dims then 1s, working dtype float32/float64) for the backward.
///
///     let (y, mean, rstd) = try layerNorm(x, normalizedCount: 768, weight: g, bias: b, eps: 1e-5)
public func layerNorm(_ x: NDArray, normalizedCount: Int, weight: NDArray?, bias: NDArray?, eps: Double) throws
    -> (output: NDArray, mean: NDArray, rstd: NDArray) {
    let op = "layerNorm"
    let k = try normalizedDims(op, x.shape, normalizedCount)
    try checkAffine(op, weight, normalizedCount, "weight")
    try checkAffine(op, bias, normalizedCount, "bias")
    let n = normalizedCount
    let rows = x.shape.dropLast(k).reduce(1, *)
    let statShape = Array(x.shape.dropLast(k)) + [Int](repeating: 1, count: k)
    let (work, result) = fusedDTypes([x.dtype] + (weight.map { [$0.dtype] } ?? []) + (bias.map { [$0.dtype] } ?? []))
    let xc = try x.to(work).contiguous()
    let wc = try weight.map { try $0.to(work).contiguous() }, bc = try bias.map { try $0.to(work).contiguous() }
    let y = try NDArray(shape: x.shape, dtype: work)
    let mean = try NDArray(shape: statShape, dtype: work), rstd = try NDArray(shape: statShape, dtype: work)
    func run<T: FusedFloat>(_: T.Type) {
        let px = xc.pointer(as: T.self), py = y.pointer(as: T.self)
        let pm = mean.pointer(as: T.self), pr = rstd.pointer(as: T.self)
        let pw = wc?.pointer(as: T.self), pb = bc?.pointer(as: T.self)
        parallelFor(rows, grain: max(1, 16_384 / max(1, n))) { r in
            for row in r {
                let xr = px + row * n, yr = py + row * n
                var s = 0.0
                for j in 0..<n { s += Double(xr[j]) }
                let mu = s / Double(n)
                var v = 0.0
                for j in 0..<n { let d = Double(xr[j]) - mu; v += d * d }
                let rs = 1 / (v / Double(n) + eps).squareRoot()
                pm[row] = T(mu)
                pr[row] = T(rs)
                let m = T(mu), q = T(rs)
                switch (pw, pb) {
                case let (w?, b?): for j in 0..<n { yr[j] = (xr[j] - m) * q * w[j] + b[j] }
                case let (w?, nil): for j in 0..<n { yr[j] = (xr[j] - m) * q * w[j] }
                case let (nil, b?): for j in 0..<n { yr[j] = (xr[j] - m) * q + b[j] }
                case (nil, nil): for j in 0..<n { yr[j] = (xr[j] - m) * q }
                }
            }
        }
    }
    if work == .float32 { run(Float.self) } else { run(Double.self) }
    return (try y.to(result), mean, rstd)
}

/// Gradients of `layerNorm` given the saved `mean` and `rstd`: with `x̂ = (x − mean)·rstd`
/// and `g = dy·w`, `dx = rstd · (g − mean(g) − x̂ · mean(g·x̂))`, `dw = Σ_rows dy·x̂`,
/// `db = Σ_rows dy`. The weight gradient is nil without a weight; the bias gradient is
/// always returned (shape of `weight`, else of the normalised trailing dims).
///
///     let (dx, dw, db) = try layerNormBackward(gradOutput: dy, input: x, mean: m, rstd: r, weight: g, normalizedCount: 768)
public func layerNormBackward(gradOutput: NDArray, input: NDArray, mean: NDArray, rstd: NDArray, weight: NDArray?, normalizedCount: Int) throws
    -> (input: NDArray, weight: NDArray?, bias: NDArray?) {
    let op = "layerNormBackward"
    try sameShape(op, input, gradOutput)
    let k = try normalizedDims(op, input.shape, normalizedCount)
    try checkAffine(op, weight, normalizedCount, "weight")
    let n = normalizedCount
    let rows = input.shape.dropLast(k).reduce(1, *)
    guard mean.count == rows, rstd.count == rows else {
        throw TensorError.shapeMismatch(op: op, lhs: mean.shape, rhs: rstd.shape, detail: "mean and rstd must have \(rows) elements, one per normalised row")
    }
    let paramShape = weight?.shape ?? Array(input.shape.suffix(k))
    let (work, result) = fusedDTypes([input.dtype, gradOutput.dtype] + (weight.map { [$0.dtype] } ?? []))
    let xc = try input.to(work).contiguous(), dyc = try gradOutput.to(work).contiguous()
    let mc = try mean.to(work).contiguous(), rc = try rstd.to(work).contiguous()
    let wc = try weight.map { try $0.to(work).contiguous() }
    let dx = try NDArray(shape: input.shape, dtype: work)
    let dw = weight == nil ? nil : try NDArray(shape: paramShape, dtype: work)
    let db = try NDArray(shape: paramShape, dtype: work)
    func run<T: FusedFloat>(_: T.Type) {
        let px = xc.pointer(as: T.self), pdy = dyc.pointer(as: T.self), pdx = dx.pointer(as: T.self)
        let pm = mc.pointer(as: T.self), pr = rc.pointer(as: T.self), pw = wc?.pointer(as: T.self)
        parallelFor(rows, grain: max(1, 16_384 / max(1, n))) { r in
            for row in r {
                let xr = px + row * n, dyr = pdy + row * n, dxr = pdx + row * n
                let mu = pm[row], rs = pr[row]
                var sg = 0.0, sgx = 0.0
                for j in 0..<n {
                    let g = Double(pw.map { dyr[j] * $0[j] } ?? dyr[j])
                    sg += g
                    sgx += g * Double((xr[j] - mu) * rs)
                }
                let mg = T(sg / Double(n)), mgx = T(sgx / Double(n))
                for j in 0..<n {
                    let g = pw.map { dyr[j] * $0[j] } ?? dyr[j]
                    let xhat = (xr[j] - mu) * rs
                    dxr[j] = rs * (g - mg - xhat * mgx)
                }
            }
        }
        // Parameter gradients: columns in blocks, rows summed in order.
        let pdw = dw?.pointer(as: T.self), pdb = db.pointer(as: T.self)
        let block = 256
        let blocks = (n + block - 1) / block
        parallelFor(blocks, grain: max(1, 16_384 / max(1, rows * block))) { r in
            for b in r {
                let j0 = b * block, cnt = min(block, n - j0)
                withUnsafeTemporaryAllocation(of: Double.self, capacity: 2 * cnt) { buf in
                    let aw = buf.baseAddress!, ab = aw + cnt
                    for c in 0..<cnt { aw[c] = 0; ab[c] = 0 }
                    for row in 0..<rows {
                        let mu = pm[row], rs = pr[row]
                        let xr = px + row * n + j0, dyr = pdy + row * n + j0
                        for c in 0..<cnt {
                            ab[c] += Double(dyr[c])
                            aw[c] += Double(dyr[c] * ((xr[c] - mu) * rs))
                        }
                    }
                    for c in 0..<cnt {
                        pdb[j0 + c] = T(ab[c])
                        pdw?[j0 + c] = T(aw[c])
                    }
                }
            }
        }
    }
    if work == .float32 { run(Float.self) } else { run(Double.self) }
    return (try dx.to(result), try dw.map { try $0.to(result) }, try db.to(result))
}

// MARK: - gelu / silu

fileprivate func elementwise(_ op: String, _ inputs: [NDArray],
                             _ f32: (UnsafePointer<Float>, UnsafePointer<Float>?, UnsafeMutablePointer<Float>, Range<Int>) -> Void,
                             _ f64: (UnsafePointer<Double>, UnsafePointer<Double>?, UnsafeMutablePointer<Double>, Range<Int>) -> Void) throws -> NDArray {
    if inputs.count == 2 { try sameShape(op, inputs[0], inputs[1]) }
    let (work, result) = fusedDTypes(inputs.map(\.dtype))
    let xs = try inputs.map { try $0.to(work).contiguous() }
    let out = try NDArray(shape: inputs[0].shape, dtype: work)
    let n = out.count
    if work == .float32 {
        let a = UnsafePointer(xs[0].pointer(as: Float.self)), b = xs.count > 1 ? UnsafePointer(xs[1].pointer(as: Float.self)) : nil
        let o = out.pointer(as: Float.self)
        parallelFor(n, grain: 8_192) { r in f32(a, b, o, r) }
    } else {
        let a = UnsafePointer(xs[0].pointer(as: Double.self)), b = xs.count > 1 ? UnsafePointer(xs[1].pointer(as: Double.self)) : nil
        let o = out.pointer(as: Double.self)
        parallelFor(n, grain: 8_192) { r in f64(a, b, o, r) }
    }
    withExtendedLifetime(xs) {}
    return try out.to(result)
}

@inline(__always) fileprivate func geluValue<T: FusedFloat>(_ x: T, _ approximate: Bool) -> T {
    if approximate {
        let beta = T(0.7978845608028654), kappa = T(0.044715)
        return T(0.5) * x * (1 + T.ftanh(beta * (x + kappa * x * x * x)))
    }
    return T(0.5) * x * (1 + T.ferf(x * T(0.7071067811865476)))
}

@inline(__always) fileprivate func geluGrad<T: FusedFloat>(_ x: T, _ approximate: Bool) -> T {
    if approximate {
        let beta = T(0.7978845608028654), kappa = T(0.044715)
        let x2 = x * x
        let t = T.ftanh(beta * (x + kappa * x2 * x))
        return T(0.5) * (1 + t) + T(0.5) * x * (1 - t * t) * beta * (1 + 3 * kappa * x2)
    }
    let cdf = T(0.5) * (1 + T.ferf(x * T(0.7071067811865476)))
    let pdf = T.fexp(T(-0.5) * x * x) * T(0.3989422804014327)
    return cdf + x * pdf
}

// float32 (SIMD) forms of the same formulas, on VectorMath's vexp/verf/vtanh.
@inline(__always) fileprivate func vgelu(_ x: VFloat) -> VFloat { 0.5 * x * (1 + verf(x * 0.7071067811865476)) }

@inline(__always) fileprivate func vgeluTanh(_ x: VFloat) -> VFloat {
    0.5 * x * (1 + vtanh(0.7978845608028654 * (x + 0.044715 * x * x * x)))
}

@inline(__always) fileprivate func vgeluGrad(_ x: VFloat) -> VFloat {
    let cdf = 0.5 * (1 + verf(x * 0.7071067811865476))
    let pdf = vexp(-0.5 * x * x) * 0.3989422804014327
    return cdf + x * pdf
}

@inline(__always) fileprivate func vgeluTanhGrad(_ x: VFloat) -> VFloat {
    let beta: Float = 0.7978845608028654, kappa: Float = 0.044715
    let x2 = x * x
    let t = vtanh(beta * (x + kappa * x2 * x))
    let dt: VFloat = (1 - t * t) * ((3 * kappa) * x2 + 1)
    let half: VFloat = 0.5 * (1 + t)
    return half + (0.5 * beta) * x * dt
}

@inline(__always) fileprivate func sigmoidValue<T: FusedFloat>(_ x: T) -> T { 1 / (1 + T.fexp(-x)) }

/// GELU: `x · Φ(x)` with the exact erf form (torch's default) or, when `approximate`,
/// the tanh form `0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))`.
///
///     let y = try gelu(x)                       // exact
///     let z = try gelu(x, approximate: true)    // tanh
public func gelu(_ x: NDArray, approximate: Bool = false) throws -> NDArray {
    try elementwise("gelu", [x],
        { a, _, o, r in if approximate { vectorMap(a, o, r, vgeluTanh) } else { vectorMap(a, o, r, vgelu) } },
        { a, _, o, r in for i in r { o[i] = geluValue(a[i], approximate) } })
}

/// Gradient of `gelu` at input `x`: `dy · gelu'(x)`.
///
///     let dx = try geluBackward(input: x, gradOutput: dy)
public func geluBackward(input x: NDArray, gradOutput dy: NDArray, approximate: Bool = false) throws -> NDArray {
    try elementwise("geluBackward", [x, dy],
        { a, b, o, r in
            guard let b else { return }
            if approximate { vectorMap2(a, b, o, r) { x, dy in dy * vgeluTanhGrad(x) } } else { vectorMap2(a, b, o, r) { x, dy in dy * vgeluGrad(x) } }
        },
        { a, b, o, r in if let b { for i in r { o[i] = b[i] * geluGrad(a[i], approximate) } } })
}

/// SiLU (swish): `x · sigmoid(x)`.
///
///     let y = try silu(x)
public func silu(_ x: NDArray) throws -> NDArray {
    try elementwise("silu", [x],
        { a, _, o, r in vectorMap(a, o, r) { $0 / (1 + vexp(-$0)) } },
        { a, _, o, r in for i in r { o[i] = a[i] * sigmoidValue(a[i]) } })
}

/// Gradient of `silu` at input `x`: `dy · s · (1 + x · (1 − s))` with `s = sigmoid(x)`.
///
///     let dx = try siluBackward(input: x, gradOutput: dy)
public func siluBackward(input x: NDArray, gradOutput dy: NDArray) throws -> NDArray {
    try elementwise("siluBackward", [x, dy],
        { a, b, o, r in if let b { vectorMap2(a, b, o, r) { x, dy in let s = vsigmoid(x); return dy * s * (1 + x * (1 - s)) } } },
        { a, b, o, r in if let b { for i in r { let s = sigmoidValue(a[i]); o[i] = b[i] * s * (1 + a[i] * (1 - s)) } } })
}

// MARK: - relu

/// Gradient of `relu` at input `x`: `dy` where `x > 0` and 0 elsewhere (NaN inputs included),
/// in one pass without a mask array. `x` and `dy` have the same shape.
///
///     let dx = try reluBackward(input: x, gradOutput: dy)
public func reluBackward(input x: NDArray, gradOutput dy: NDArray) throws -> NDArray {
    try elementwise("reluBackward", [x, dy],
        { a, b, o, r in
            guard let b else { return }
            vectorMap2(a, b, o, r) { x, dy in VFloat(repeating: 0).replacing(with: dy, where: x .> 0) }
        },
        { a, b, o, r in if let b { for i in r { o[i] = a[i] > 0 ? b[i] : 0 } } })
}

// MARK: - cross entropy

/// Mean cross-entropy of `logits` (classes on the last axis) against integer class ids
/// `targets` (shape = logits' shape without the last axis): the mean over rows of
/// `logsumexp(row) − row[target]`, computed stably. Also returns the softmax probabilities
/// (for the backward: `(p − onehot) / rows`). Throws when a target is outside `0..<classes`.
///
///     let (loss, p) = try crossEntropyForward(logits: z, targets: y)   // z [B, C], y [B] int64
public func crossEntropyForward(logits: NDArray, targets: NDArray) throws -> (loss: Double, probabilities: NDArray) {
    let op = "crossEntropy"
    guard logits.rank >= 1 else {
        throw TensorError.invalidArgument(op: op, message: "logits must have a class axis, got shape \(logits.shape)")
    }
    guard targets.dtype.isInteger else { throw TensorError.unsupportedDType(op: op, dtype: targets.dtype) }
    guard targets.shape == Array(logits.shape.dropLast()) else {
        throw TensorError.shapeMismatch(op: op, lhs: logits.shape, rhs: targets.shape,
                                        detail: "the targets must have the logits' shape without the class axis")
    }
    let classes = logits.shape[logits.rank - 1]
    let rows = targets.count
    let t = targets.ints()
    for (i, c) in t.enumerated() where c < 0 || c >= Int64(classes) {
        throw TensorError.invalidArgument(op: op, message: "target \(c) at position \(i) is out of range for \(classes) classes")
    }
    let (work, result) = fusedDTypes([logits.dtype])
    let xc = try logits.to(work).contiguous()
    let p = try NDArray(shape: logits.shape, dtype: work)
    var losses = [Double](repeating: 0, count: rows)
    func run<T: FusedFloat>(_: T.Type) {
        softmaxKernel(T.self, xc, p, outer: rows, len: classes, inner: 1, log: false)
        let px = xc.pointer(as: T.self)
        losses.withUnsafeMutableBufferPointer { lb in
            let l = lb.baseAddress!
            parallelFor(rows, grain: max(1, 16_384 / max(1, classes))) { r in
                for row in r {
                    let xr = px + row * classes
                    var m = -Double.infinity
                    for j in 0..<classes { let v = Double(xr[j]); if v > m || v.isNaN { m = v } }
                    var s = 0.0
                    for j in 0..<classes { s += Glibc.exp(Double(xr[j]) - m) }
                    l[row] = m + Glibc.log(s) - Double(xr[Int(t[row])])
                }
            }
        }
    }
    if work == .float32 { run(Float.self) } else { run(Double.self) }
    var total = 0.0
    for v in losses { total += v }
    return (total / Double(rows), try p.to(result))
}
