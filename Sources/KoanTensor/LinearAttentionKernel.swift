
// Causal linear attention (Katharopoulos et al. 2020) as a prefix-sum kernel on NDArrays:
// out_i = φq_i·S_i / (φq_i·z_i + eps) with S_i = Σ_{j≤i} φk_j ⊗ v_j and z_i = Σ_{j≤i} φk_j.
// The feature map φ is applied by the caller; this kernel sees φ(Q) and φ(K). State is one
// [D, Dv] matrix per (batch, head): memory O(T·(D + Dv)), never [T, T]. Uses only
// NDArray's public API, so it may move to KoanTensor.

/// Causal linear attention forward on feature-mapped queries/keys `fq`, `fk` [B, H, T, D]
/// and values `v` [B, H, T, Dv] (float32 or float64, one dtype). Returns the output
/// [B, H, T, Dv] and the denominators [B, H, T] (saved for the backward pass).
///
///     let (out, den) = try causalLinearAttentionForward(fq: fq, fk: fk, v: v, eps: 1e-6)
public func causalLinearAttentionForward(fq: NDArray, fk: NDArray, v: NDArray, eps: Double) throws
    -> (output: NDArray, denominator: NDArray) {
    let (bn, hn, t, _, d, dv) = try tiledShapes(fq, fk, v)
    guard fq.shape[2] == t, fk.shape[2] == t else {
        throw TensorError.shapeMismatch(op: "causalLinearAttention", lhs: fq.shape, rhs: fk.shape,
                                        detail: "causal linear attention needs as many queries as keys")
    }
    let q = try fq.contiguous(), k = try fk.contiguous(), vc = try v.contiguous()
    let out = try NDArray(shape: [bn, hn, t, dv], dtype: fq.dtype)
    let den = try NDArray(shape: [bn, hn, t], dtype: fq.dtype)
    if fq.dtype == .float32 {
        linearForward(Float.self, q, k, vc, out, den, bn * hn, t, d, dv, Float(eps))
    } else {
        linearForward(Double.self, q, k, vc, out, den, bn * hn, t, d, dv, eps)
    }
    return (out, den)
}

private func linearForward<T: AttentionFloat>(_: T.Type, _ q: NDArray, _ k: NDArray, _ v: NDArray, _ out: NDArray, _ den: NDArray,
                                              _ bh: Int, _ t: Int, _ d: Int, _ dv: Int, _ eps: T) {
    let pq = q.pointer(as: T.self), pk = k.pointer(as: T.self), pv = v.pointer(as: T.self)
    let po = out.pointer(as: T.self), pd = den.pointer(as: T.self)
    var s = [T](repeating: 0, count: d * dv), z = [T](repeating: 0, count: d)
    for n in 0..<bh {
        for e in 0..<(d * dv) { s[e] = 0 }
        for e in 0..<d { z[e] = 0 }
        for i in 0..<t {
            let qi = pq + (n * t + i) * d, ki = pk + (n * t + i) * d, vi = pv + (n * t + i) * dv
            let oi = po + (n * t + i) * dv
            for a in 0..<d {
                let ka = ki[a]
                z[a] += ka
                for c in 0..<dv { s[a * dv + c] += ka * vi[c] }
            }
            var dn: T = eps
            for a in 0..<d { dn += qi[a] * z[a] }
            pd[n * t + i] = dn
            for c in 0..<dv { oi[c] = 0 }
            for a in 0..<d {
                let qa = qi[a] / dn
                for c in 0..<dv { oi[c] += qa * s[a * dv + c] }
            }
        }
    }
}

/// Gradients of `causalLinearAttentionForward` with respect to `fq`, `fk` and `v`, from
/// the forward's output and denominators: a forward prefix pass (for dφq) and a reverse
/// suffix pass (for dφk, dv), each with one [D, Dv] state.
///
///     let (dfq, dfk, dv) = try causalLinearAttentionBackward(fq: fq, fk: fk, v: v, output: out,
///                                                            denominator: den, gradOutput: g)
public func causalLinearAttentionBackward(fq: NDArray, fk: NDArray, v: NDArray, output: NDArray, denominator: NDArray,
                                          gradOutput: NDArray) throws -> (dfq: NDArray, dfk: NDArray, dv: NDArray) {
    let (bn, hn, t, _, d, dv) = try tiledShapes(fq, fk, v)
    guard output.shape == [bn, hn, t, dv], gradOutput.shape == output.shape, denominator.shape == [bn, hn, t] else {
        throw TensorError.shapeMismatch(op: "causalLinearAttentionBackward", lhs: gradOutput.shape, rhs: [bn, hn, t, dv],
                                        detail: "output and its gradient must be [B, H, T, Dv], the denominator [B, H, T]")
    }
    let q = try fq.contiguous(), k = try fk.contiguous(), vc = try v.contiguous()
    let o = try output.to(fq.dtype).contiguous(), g = try gradOutput.to(fq.dtype).contiguous()
    let dn = try denominator.to(fq.dtype).contiguous()
    let dq = try NDArray(shape: q.shape, dtype: q.dtype), dk = try NDArray(shape: k.shape, dtype: q.dtype)
    let dvv = try NDArray(shape: v.shape, dtype: q.dtype)
    if q.dtype == .float32 {
        linearBackward(Float.self, q, k, vc, o, g, dn, dq, dk, dvv, bn * hn, t, d, dv)
    } else {
        linearBackward(Double.self, q, k, vc, o, g, dn, dq, dk, dvv, bn * hn, t, d, dv)
    }
    return (dq, dk, dvv)
}

private func linearBackward<T: AttentionFloat>(_: T.Type, _ q: NDArray, _ k: NDArray, _ v: NDArray, _ o: NDArray, _ g: NDArray,
                                               _ den: NDArray, _ dq: NDArray, _ dk: NDArray, _ dvOut: NDArray,
                                               _ bh: Int, _ t: Int, _ d: Int, _ dv: Int) {
    let pq = q.pointer(as: T.self), pk = k.pointer(as: T.self), pv = v.pointer(as: T.self)
    let po = o.pointer(as: T.self), pg = g.pointer(as: T.self), pd = den.pointer(as: T.self)
    let pdq = dq.pointer(as: T.self), pdk = dk.pointer(as: T.self), pdv = dvOut.pointer(as: T.self)
    var s = [T](repeating: 0, count: d * dv), z = [T](repeating: 0, count: d)
    var dnum = [T](repeating: 0, count: dv)
    for n in 0..<bh {
        // Prefix pass: dφq_i = S_i·dnum_i + dden_i·z_i, with dnum_i = g_i/den_i, dden_i = -(g_i·o_i)/den_i.
        for e in 0..<(d * dv) { s[e] = 0 }
        for e in 0..<d { z[e] = 0 }
        for i in 0..<t {
            let row = n * t + i
            let ki = pk + row * d, vi = pv + row * dv, gi = pg + row * dv, oi = po + row * dv
            for a in 0..<d {
                let ka = ki[a]
                z[a] += ka
                for c in 0..<dv { s[a * dv + c] += ka * vi[c] }
            }
            let inv = 1 / pd[row]
            var go: T = 0
            for c in 0..<dv { dnum[c] = gi[c] * inv; go += gi[c] * oi[c] }
            let dden = -go * inv
            let dqi = pdq + row * d
            for a in 0..<d {
                var acc = dden * z[a]
                for c in 0..<dv { acc += s[a * dv + c] * dnum[c] }
                dqi[a] = acc
            }
        }
        // Suffix pass: R = Σ_{i≥j} φq_i ⊗ dnum_i, r = Σ_{i≥j} dden_i·φq_i; dφk_j = R·v_j + r, dv_j = Rᵀ·φk_j.
        for e in 0..<(d * dv) { s[e] = 0 }
        for e in 0..<d { z[e] = 0 }
        for i in stride(from: t - 1, through: 0, by: -1) {
            let row = n * t + i
            let qi = pq + row * d, ki = pk + row * d, vi = pv + row * dv, gi = pg + row * dv, oi = po + row * dv
            let inv = 1 / pd[row]
            var go: T = 0
            for c in 0..<dv { dnum[c] = gi[c] * inv; go += gi[c] * oi[c] }
            let dden = -go * inv
            for a in 0..<d {
                let qa = qi[a]
                z[a] += dden * qa
                for c in 0..<dv { s[a * dv + c] += qa * dnum[c] }
            }
            let dki = pdk + row * d, dvi = pdv + row * dv
            for a in 0..<d {
                var acc = z[a]
                for c in 0..<dv { acc += s[a * dv + c] * vi[c] }
                dki[a] = acc
            }
            for c in 0..<dv {
                var acc: T = 0
                for a in 0..<d { acc += s[a * dv + c] * ki[a] }
                dvi[c] = acc
            }
        }
    }
}
