#if canImport(Glibc)
import Glibc
#endif

// Tiled ("FlashAttention-style") attention on NDArrays: the forward pass walks key blocks
// with a running row maximum and row sum (online softmax) and never holds more than one
// [blockQ, blockK] score tile; the backward pass recomputes each tile from q, k and the
// saved log-sum-exp. Uses only NDArray's public API (`gemm`, views, typed pointers), so the
// integrator may move this file into KoanTensor.
//
// Which (query, key) pairs may attend is described by `AttentionPattern` (causal, a local
// band with global tokens, key padding, an explicit boolean mask) plus an optional additive
// bias; whole tiles that the pattern rules out are skipped, which makes the local (band)
// pattern cost O(T·window) instead of O(T²).

/// The structural part of an attention mask, evaluated per (query, key) pair without
/// materialising a [Tq, Tk] matrix. Query row i sits at absolute position
/// `i + queryOffset` (the KV-cache case: `queryOffset = Tk - Tq`, so causal attention is
/// aligned bottom-right).
///
///     let p = AttentionPattern(causal: true, window: nil, globalTokens: 0, queryOffset: 0)
///     p.allows(query: 3, key: 2)   // true
public struct AttentionPattern: Sendable, Equatable {
    /// Keys after the query's position are hidden.
    public var causal: Bool
    /// Local band: non-causal |p − j| ≤ window/2; causal p − window < j ≤ p. nil = no band.
    public var window: Int?
    /// Tokens 0..<globalTokens attend to every key and are attended by every query (a
    /// causal pattern still hides later keys from them).
    public var globalTokens: Int
    /// Absolute position of query row 0.
    public var queryOffset: Int

    public init(causal: Bool = false, window: Int? = nil, globalTokens: Int = 0, queryOffset: Int = 0) {
        self.causal = causal
        self.window = window
        self.globalTokens = globalTokens
        self.queryOffset = queryOffset
    }

    /// Whether query row `i` may attend to key `j` (ignoring padding, masks and bias).
    @inline(__always)
    public func allows(query i: Int, key j: Int) -> Bool {
        let p = i + queryOffset
        if causal && j > p { return false }
        guard let w = window else { return true }
        if p < globalTokens || j < globalTokens { return true }
        return causal ? p - j < w : abs(p - j) <= w / 2
    }

    /// True only when every pair of the tile [i0, i1) × [j0, j1) is allowed (conservative).
    @inline(__always)
    func tileFullyVisible(_ i0: Int, _ i1: Int, _ j0: Int, _ j1: Int) -> Bool {
        let p0 = i0 + queryOffset, p1 = i1 - 1 + queryOffset
        if causal && j1 - 1 > p0 { return false }
        guard let w = window else { return true }
        if causal { return p1 - j0 < w }
        return Swift.max(abs(p1 - j0), abs(j1 - 1 - p0)) <= w / 2
    }

    /// False only when no pair of the tile [i0, i1) × [j0, j1) is allowed (conservative).
    @inline(__always)
    func tileMayAttend(_ i0: Int, _ i1: Int, _ j0: Int, _ j1: Int) -> Bool {
        let p0 = i0 + queryOffset, p1 = i1 - 1 + queryOffset
        if causal && j0 > p1 { return false }
        guard let w = window else { return true }
        if p0 < globalTokens || j0 < globalTokens { return true }
        if causal { return p0 - (j1 - 1) < w }
        let gap = Swift.max(0, j0 - p1, p0 - (j1 - 1))
        return gap <= w / 2
    }
}

/// Float types of the tiled kernels.
protocol AttentionFloat: BinaryFloatingPoint {
    static func aexp(_ x: Self) -> Self
    static func alog(_ x: Self) -> Self
}
extension Float: AttentionFloat {
    @inline(__always) static func aexp(_ x: Float) -> Float { expf(x) }
    @inline(__always) static func alog(_ x: Float) -> Float { logf(x) }
}
extension Double: AttentionFloat {
    @inline(__always) static func aexp(_ x: Double) -> Double { Glibc.exp(x) }
    @inline(__always) static func alog(_ x: Double) -> Double { Glibc.log(x) }
}

/// Dropout of attention probabilities inside a kernel: probability `p` of dropping, and
/// the key of the mask. The mask is element-for-element that of
/// `NDArray.bernoulli([B, H, Tq, Tk], p: 1 - p, key: key)` (Philox counter = flat index),
/// so every kernel and block size drops the same entries.
///
///     let y = try attention(q, k, v, kernel: .tiled(), dropout: AttentionDropout(p: 0.1, key: RandomKey(seed: 3)))
public struct AttentionDropout: Sendable, Equatable {
    public var p: Double
    public var key: RandomKey
    public init(p: Double, key: RandomKey) {
        self.p = p
        self.key = key
    }

    /// Whether entry `index` of the flattened [B, H, Tq, Tk] probabilities is kept.
    @inline(__always)
    func keeps(_ index: Int) -> Bool {
        let i = UInt64(bitPattern: Int64(index))
        let w = Philox.block(counter: (UInt32(truncatingIfNeeded: i), UInt32(truncatingIfNeeded: i >> 32),
                                       UInt32(truncatingIfNeeded: key.stream), UInt32(truncatingIfNeeded: key.stream >> 32)),
                             key: (UInt32(truncatingIfNeeded: key.seed), UInt32(truncatingIfNeeded: key.seed >> 32)))
        let u = Double((UInt64(w.0) << 32 | UInt64(w.1)) >> 11) * 0x1p-53
        return u < 1 - p
    }

    /// The factor of a kept entry, 1/(1 − p) (0 when p = 1).
    public var keptScale: Double { p < 1 ? 1 / (1 - p) : 0 }
}

/// Everything that decides the score of one (b, h, i, j): pattern, key padding, boolean
/// mask and additive bias (the last two as [B, H, Tq, Tk] broadcast views), and dropout.
struct TileScoring {
    let pattern: AttentionPattern
    let scale: Double
    let keyPadding: NDArray?     // bool [B, Tk], contiguous
    let mask: NDArray?           // bool, broadcast view [B, H, Tq, Tk]
    let bias: NDArray?           // work dtype, broadcast view [B, H, Tq, Tk]
    let dropout: AttentionDropout?
}

/// The dropout factors (0 or 1/(1−p)) of a tile, row-major [qn, kn]: written into `f`, or
/// multiplied into it when `multiply`.
@inline(__always)
func dropoutFactors<T: AttentionFloat>(_ f: UnsafeMutablePointer<T>, _ d: AttentionDropout, bh: Int, tq: Int, tk: Int,
                                       i0: Int, qn: Int, j0: Int, kn: Int, multiply: Bool) {
    let kept = T(d.keptScale)
    for r in 0..<qn {
        let base = (bh * tq + i0 + r) * tk + j0
        for c in 0..<kn {
            let factor = d.keeps(base + c) ? kept : 0
            f[r * kn + c] = multiply ? f[r * kn + c] * factor : factor
        }
    }
}

/// Checks the shapes shared by the forward and backward kernels; returns (B, H, Tq, Tk, D, Dv).
func tiledShapes(_ q: NDArray, _ k: NDArray, _ v: NDArray) throws -> (Int, Int, Int, Int, Int, Int) {
    guard q.rank == 4, k.rank == 4, v.rank == 4, q.shape[0] == k.shape[0], q.shape[1] == k.shape[1],
          q.shape[3] == k.shape[3], v.shape[0] == k.shape[0], v.shape[1] == k.shape[1], v.shape[2] == k.shape[2] else {
        throw TensorError.shapeMismatch(op: "tiledAttention", lhs: q.shape, rhs: k.shape,
                                        detail: "expected q [B, H, Tq, D], k [B, H, Tk, D], v [B, H, Tk, Dv], got v \(v.shape)")
    }
    guard q.dtype == k.dtype, k.dtype == v.dtype, q.dtype == .float32 || q.dtype == .float64 else {
        throw TensorError.invalidArgument(op: "tiledAttention",
                                          message: "q, k, v must share dtype float32 or float64, got \(q.dtype), \(k.dtype), \(v.dtype)")
    }
    return (q.shape[0], q.shape[1], q.shape[2], k.shape[2], q.shape[3], v.shape[3])
}

/// Prepares padding/mask/bias views for the tiles.
func makeScoring(pattern: AttentionPattern, scale: Double, dtype: DType, shape: [Int],
                 keyPadding: NDArray?, mask: NDArray?, bias: NDArray?, dropout: AttentionDropout?) throws -> TileScoring {
    if let dropout, !(0...1).contains(dropout.p) {
        throw TensorError.invalidArgument(op: "tiledAttention", message: "dropout probability must be in [0, 1], got \(dropout.p)")
    }
    let (b, tk) = (shape[0], shape[3])
    var pad: NDArray? = nil
    if let kp = keyPadding {
        guard kp.shape == [b, tk] else {
            throw TensorError.shapeMismatch(op: "tiledAttention", lhs: kp.shape, rhs: [b, tk],
                                            detail: "key padding must have shape [B, Tk] = \([b, tk])")
        }
        pad = try NDArray.binary(.ne, kp, scalar: 0, scalarIsFloat: false).contiguous()
    }
    let m = try mask.map { try NDArray.binary(.ne, $0, scalar: 0, scalarIsFloat: false).broadcast(to: shape) }
    let bs = try bias.map { try $0.to(dtype).broadcast(to: shape) }
    let drop = dropout.flatMap { $0.p > 0 ? $0 : nil }
    return TileScoring(pattern: pattern, scale: scale, keyPadding: pad, mask: m, bias: bs, dropout: drop)
}

/// A [rows, cols] row-major view of `a`'s storage at element `start` with row stride `ld`.
@inline(__always)
func matrixView(_ a: NDArray, start: Int, rows: Int, cols: Int) -> NDArray {
    NDArray(storage: a.storage, dtype: a.dtype, shape: [rows, cols], strides: [cols, 1], offset: a.offset + start)
}

/// Turns the raw tile s = q·kᵀ (in place) into masked, scaled, biased scores; masked
/// entries become -∞. Returns the row maxima in `rowMax`.
@inline(__always)
func scoreTile<T: AttentionFloat>(_: T.Type, _ s: UnsafeMutablePointer<T>, _ sc: TileScoring, b: Int, h: Int,
                                  i0: Int, qn: Int, j0: Int, kn: Int) {
    let scale = T(sc.scale)
    let pad = sc.keyPadding.map { $0.pointer(as: UInt8.self) + b * $0.strides[0] }
    let mp = sc.mask.map { $0.pointer(as: UInt8.self) + b * $0.strides[0] + h * $0.strides[1] }
    let ms = sc.mask.map { ($0.strides[2], $0.strides[3]) } ?? (0, 0)
    let bp = sc.bias.map { $0.pointer(as: T.self) + b * $0.strides[0] + h * $0.strides[1] }
    let bst = sc.bias.map { ($0.strides[2], $0.strides[3]) } ?? (0, 0)
    if pad == nil && mp == nil && sc.pattern.tileFullyVisible(i0, i0 + qn, j0, j0 + kn) {
        // Interior tile: nothing to hide, only scale and bias.
        for r in 0..<qn {
            let i = i0 + r
            let row = s + r * kn
            if let bp {
                for c in 0..<kn { row[c] = row[c] * scale + bp[i * bst.0 + (j0 + c) * bst.1] }
            } else {
                for c in 0..<kn { row[c] *= scale }
            }
        }
        return
    }
    for r in 0..<qn {
        let i = i0 + r
        let row = s + r * kn
        for c in 0..<kn {
            let j = j0 + c
            var ok = sc.pattern.allows(query: i, key: j)
            if ok, let pad, pad[j] == 0 { ok = false }
            if ok, let mp, mp[i * ms.0 + j * ms.1] == 0 { ok = false }
            if ok {
                var v = row[c] * scale
                if let bp { v += bp[i * bst.0 + j * bst.1] }
                row[c] = v
            } else {
                row[c] = -T.infinity
            }
        }
    }
}

/// Tiled attention forward: returns the output [B, H, Tq, Dv] and the row log-sum-exp
/// [B, H, Tq] of the (masked, scaled, biased) scores, +∞ for rows with no visible key
/// (whose output is 0). Inputs must be float32 or float64 and share a dtype.
///
///     let (out, lse) = try tiledAttentionForward(q: q, k: k, v: v, pattern: AttentionPattern(causal: true),
///                                                scale: 0.125, keyPadding: nil, mask: nil, bias: nil, block: 64)
public func tiledAttentionForward(q: NDArray, k: NDArray, v: NDArray, pattern: AttentionPattern, scale: Double,
                                  keyPadding: NDArray?, mask: NDArray?, bias: NDArray?, dropout: AttentionDropout? = nil,
                                  block: Int) throws -> (output: NDArray, logSumExp: NDArray) {
    let (bn, hn, tq, tk, d, dv) = try tiledShapes(q, k, v)
    guard block > 0 else { throw TensorError.invalidArgument(op: "tiledAttention", message: "block must be positive, got \(block)") }
    let sc = try makeScoring(pattern: pattern, scale: scale, dtype: q.dtype, shape: [bn, hn, tq, tk],
                             keyPadding: keyPadding, mask: mask, bias: bias, dropout: dropout)
    let qc = try q.contiguous(), kc = try k.contiguous(), vc = try v.contiguous()
    let out = try NDArray(shape: [bn, hn, tq, dv], dtype: q.dtype)
    let lse = try NDArray(shape: [bn, hn, tq], dtype: q.dtype)
    if q.dtype == .float32 {
        try tiledForward(Float.self, qc, kc, vc, out, lse, sc, bn, hn, tq, tk, d, dv, block)
    } else {
        try tiledForward(Double.self, qc, kc, vc, out, lse, sc, bn, hn, tq, tk, d, dv, block)
    }
    return (out, lse)
}

private func tiledForward<T: AttentionFloat>(_: T.Type, _ q: NDArray, _ k: NDArray, _ v: NDArray, _ out: NDArray, _ lse: NDArray,
                                             _ sc: TileScoring, _ bn: Int, _ hn: Int, _ tq: Int, _ tk: Int,
                                             _ d: Int, _ dv: Int, _ block: Int) throws {
    let po = out.pointer(as: T.self), pl = lse.pointer(as: T.self)
    var rowMax = [T](repeating: 0, count: block), rowSum = [T](repeating: 0, count: block)
    for b in 0..<bn {
        for h in 0..<hn {
            let bh = b * hn + h
            for i0 in stride(from: 0, to: tq, by: block) {
                let qn = Swift.min(block, tq - i0)
                let qv = matrixView(q, start: (bh * tq + i0) * d, rows: qn, cols: d)
                var acc = try NDArray(shape: [qn, dv], dtype: q.dtype, zeroed: true)
                for r in 0..<qn { rowMax[r] = -T.infinity; rowSum[r] = 0 }
                for j0 in stride(from: 0, to: tk, by: block) {
                    let kn = Swift.min(block, tk - j0)
                    guard sc.pattern.tileMayAttend(i0, i0 + qn, j0, j0 + kn) else { continue }
                    var s = try NDArray(shape: [qn, kn], dtype: q.dtype)
                    try gemm(qv, transA: false, matrixView(k, start: (bh * tk + j0) * d, rows: kn, cols: d), transB: true,
                             alpha: 1, beta: 0, into: &s)
                    let ps = s.pointer(as: T.self)
                    scoreTile(T.self, ps, sc, b: b, h: h, i0: i0, qn: qn, j0: j0, kn: kn)
                    let pa = acc.pointer(as: T.self)
                    var any = false
                    for r in 0..<qn {
                        let row = ps + r * kn
                        var m = rowMax[r]
                        for c in 0..<kn where row[c] > m { m = row[c] }
                        if m == -T.infinity {                       // nothing visible yet in this row
                            for c in 0..<kn { row[c] = 0 }
                            continue
                        }
                        any = true
                        let alpha = rowMax[r] == -T.infinity ? 0 : T.aexp(rowMax[r] - m)
                        var sum: T = 0
                        for c in 0..<kn {
                            let e = T.aexp(row[c] - m)
                            row[c] = e
                            sum += e
                        }
                        rowSum[r] = rowSum[r] * alpha + sum
                        rowMax[r] = m
                        if alpha != 1 {
                            let ar = pa + r * dv
                            for c in 0..<dv { ar[c] *= alpha }
                        }
                    }
                    if any, let drop = sc.dropout {
                        dropoutFactors(ps, drop, bh: bh, tq: tq, tk: tk, i0: i0, qn: qn, j0: j0, kn: kn, multiply: true)
                    }
                    if any {
                        try gemm(s, transA: false, matrixView(v, start: (bh * tk + j0) * dv, rows: kn, cols: dv), transB: false,
                                 alpha: 1, beta: 1, into: &acc)
                    }
                    withExtendedLifetime(s) {}                      // ps points into s
                }
                let pa = acc.pointer(as: T.self)
                for r in 0..<qn {
                    let dst = po + (bh * tq + i0 + r) * dv, src = pa + r * dv
                    let l = rowSum[r]
                    if l > 0 {
                        let inv = 1 / l
                        for c in 0..<dv { dst[c] = src[c] * inv }
                        pl[bh * tq + i0 + r] = rowMax[r] + T.alog(l)
                    } else {
                        for c in 0..<dv { dst[c] = 0 }
                        pl[bh * tq + i0 + r] = T.infinity
                    }
                }
                withExtendedLifetime(acc) {}                        // pa points into acc
            }
        }
    }
}

/// Tiled attention backward by recomputation: from q, k, v, the forward's output and
/// log-sum-exp and the output gradient, the gradients of q, k and v. Memory beyond the
/// results is one [block, block] tile and a few [block, D] accumulators.
///
///     let (dq, dk, dv) = try tiledAttentionBackward(q: q, k: k, v: v, output: out, logSumExp: lse,
///                                                   gradOutput: g, pattern: p, scale: 0.125,
///                                                   keyPadding: nil, mask: nil, bias: nil, block: 64)
public func tiledAttentionBackward(q: NDArray, k: NDArray, v: NDArray, output: NDArray, logSumExp: NDArray,
                                   gradOutput: NDArray, pattern: AttentionPattern, scale: Double,
                                   keyPadding: NDArray?, mask: NDArray?, bias: NDArray?, dropout: AttentionDropout? = nil,
                                   block: Int) throws -> (dq: NDArray, dk: NDArray, dv: NDArray) {
    let (bn, hn, tq, tk, d, dv) = try tiledShapes(q, k, v)
    guard block > 0 else { throw TensorError.invalidArgument(op: "tiledAttention", message: "block must be positive, got \(block)") }
    guard output.shape == [bn, hn, tq, dv], gradOutput.shape == output.shape, logSumExp.shape == [bn, hn, tq] else {
        throw TensorError.shapeMismatch(op: "tiledAttentionBackward", lhs: gradOutput.shape, rhs: [bn, hn, tq, dv],
                                        detail: "output and its gradient must be [B, H, Tq, Dv], log-sum-exp [B, H, Tq]")
    }
    let sc = try makeScoring(pattern: pattern, scale: scale, dtype: q.dtype, shape: [bn, hn, tq, tk],
                             keyPadding: keyPadding, mask: mask, bias: bias, dropout: dropout)
    let qc = try q.contiguous(), kc = try k.contiguous(), vc = try v.contiguous()
    let oc = try output.to(q.dtype).contiguous(), gc = try gradOutput.to(q.dtype).contiguous()
    let lc = try logSumExp.to(q.dtype).contiguous()
    let dq = try NDArray(shape: q.shape, dtype: q.dtype, zeroed: true)
    let dk = try NDArray(shape: k.shape, dtype: q.dtype)
    let dvv = try NDArray(shape: v.shape, dtype: q.dtype)
    if q.dtype == .float32 {
        try tiledBackward(Float.self, qc, kc, vc, oc, gc, lc, dq, dk, dvv, sc, bn, hn, tq, tk, d, dv, block)
    } else {
        try tiledBackward(Double.self, qc, kc, vc, oc, gc, lc, dq, dk, dvv, sc, bn, hn, tq, tk, d, dv, block)
    }
    return (dq, dk, dvv)
}

private func tiledBackward<T: AttentionFloat>(_: T.Type, _ q: NDArray, _ k: NDArray, _ v: NDArray, _ o: NDArray, _ g: NDArray,
                                              _ lse: NDArray, _ dq: NDArray, _ dk: NDArray, _ dvOut: NDArray,
                                              _ sc: TileScoring, _ bn: Int, _ hn: Int, _ tq: Int, _ tk: Int,
                                              _ d: Int, _ dv: Int, _ block: Int) throws {
    let pg = g.pointer(as: T.self), po = o.pointer(as: T.self), pl = lse.pointer(as: T.self)
    let pdq = dq.pointer(as: T.self), pdk = dk.pointer(as: T.self), pdv = dvOut.pointer(as: T.self)
    let scale = T(sc.scale)
    var delta = [T](repeating: 0, count: tq)
    for b in 0..<bn {
        for h in 0..<hn {
            let bh = b * hn + h
            // D_i = Σ_c dO[i, c]·O[i, c]  (= Σ_j P_ij dP_ij)
            for i in 0..<tq {
                let gr = pg + (bh * tq + i) * dv, orow = po + (bh * tq + i) * dv
                var s: T = 0
                for c in 0..<dv { s += gr[c] * orow[c] }
                delta[i] = s
            }
            for j0 in stride(from: 0, to: tk, by: block) {
                let kn = Swift.min(block, tk - j0)
                let kv = matrixView(k, start: (bh * tk + j0) * d, rows: kn, cols: d)
                let vv = matrixView(v, start: (bh * tk + j0) * dv, rows: kn, cols: dv)
                var dkAcc = try NDArray(shape: [kn, d], dtype: q.dtype, zeroed: true)
                var dvAcc = try NDArray(shape: [kn, dv], dtype: q.dtype, zeroed: true)
                for i0 in stride(from: 0, to: tq, by: block) {
                    let qn = Swift.min(block, tq - i0)
                    guard sc.pattern.tileMayAttend(i0, i0 + qn, j0, j0 + kn) else { continue }
                    let qv = matrixView(q, start: (bh * tq + i0) * d, rows: qn, cols: d)
                    let gv = matrixView(g, start: (bh * tq + i0) * dv, rows: qn, cols: dv)
                    var s = try NDArray(shape: [qn, kn], dtype: q.dtype)
                    try gemm(qv, transA: false, kv, transB: true, alpha: 1, beta: 0, into: &s)
                    let ps = s.pointer(as: T.self)
                    scoreTile(T.self, ps, sc, b: b, h: h, i0: i0, qn: qn, j0: j0, kn: kn)
                    var any = false
                    for r in 0..<qn {
                        let l = pl[bh * tq + i0 + r]
                        let row = ps + r * kn
                        for c in 0..<kn {
                            let e = row[c] == -T.infinity ? 0 : T.aexp(row[c] - l)
                            row[c] = e
                            if e != 0 { any = true }
                        }
                    }
                    guard any else { continue }
                    var dp = try NDArray(shape: [qn, kn], dtype: q.dtype)
                    try gemm(gv, transA: false, vv, transB: true, alpha: 1, beta: 0, into: &dp)        // dP = dO Vᵀ
                    let pdp = dp.pointer(as: T.self)
                    if let drop = sc.dropout {
                        // Dropped probabilities P∘M/(1−p) feed V; dP passes the same factors back.
                        let pd = try NDArray(shape: [qn, kn], dtype: q.dtype)
                        let ppd = pd.pointer(as: T.self)
                        dropoutFactors(ppd, drop, bh: bh, tq: tq, tk: tk, i0: i0, qn: qn, j0: j0, kn: kn, multiply: false)
                        for e in 0..<(qn * kn) { pdp[e] *= ppd[e]; ppd[e] *= ps[e] }
                        try gemm(pd, transA: true, gv, transB: false, alpha: 1, beta: 1, into: &dvAcc)  // dV += (P∘M)ᵀ dO
                        withExtendedLifetime(pd) {}
                    } else {
                        try gemm(s, transA: true, gv, transB: false, alpha: 1, beta: 1, into: &dvAcc)   // dV += Pᵀ dO
                    }
                    for r in 0..<qn {
                        let dlt = delta[i0 + r]
                        let prow = ps + r * kn, drow = pdp + r * kn
                        for c in 0..<kn { drow[c] = prow[c] * (drow[c] - dlt) * scale }              // dS·scale
                    }
                    var dqTile = try NDArray(shape: [qn, d], dtype: q.dtype)
                    try gemm(dp, transA: false, kv, transB: false, alpha: 1, beta: 0, into: &dqTile)   // dQ_i += dS K
                    let pt = dqTile.pointer(as: T.self)
                    let dst = pdq + (bh * tq + i0) * d
                    for e in 0..<(qn * d) { dst[e] += pt[e] }
                    try gemm(dp, transA: true, qv, transB: false, alpha: 1, beta: 1, into: &dkAcc)     // dK += dSᵀ Q
                    withExtendedLifetime((s, dp, dqTile)) {}        // ps, pdp, pt point into them
                }
                let pka = dkAcc.pointer(as: T.self), pva = dvAcc.pointer(as: T.self)
                let dkDst = pdk + (bh * tk + j0) * d, dvDst = pdv + (bh * tk + j0) * dv
                for e in 0..<(kn * d) { dkDst[e] = pka[e] }
                for e in 0..<(kn * dv) { dvDst[e] = pva[e] }
                withExtendedLifetime((dkAcc, dvAcc)) {}
            }
        }
    }
}
