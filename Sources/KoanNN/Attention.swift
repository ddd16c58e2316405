import KoanAutograd
import KoanTensor

// Scaled dot-product attention with selectable kernels, on [B, H, T, D] tensors.
//
// Conventions (shared by every kernel):
// - scores = q·kᵀ / √D + bias; a key is hidden by `causal`, the local band, `keyPadding`
//   (false/0 = padding) or `mask` (false = hidden).
// - Causal attention is aligned bottom-right: query row i sits at position Tk − Tq + i, so a
//   single new token attends to the whole KV cache. With Tq == Tk this is the usual lower
//   triangle (torch's `is_causal`).
// - A query row with no visible key outputs zeros (and passes no gradient), in every kernel.

/// How attention weights are computed (see `attention(_:_:_:kernel:causal:keyPadding:bias:mask:)`).
///
///     let y = try attention(q, k, v, kernel: .tiled(block: 64), causal: true)
public enum AttentionKernel: Sendable, Equatable {
    /// softmax(q·kᵀ/√D + bias, masked)·v with recorded ops: the reference, O(T²) memory.
    case full
    /// Longformer-style local attention: each query sees keys within ±window/2 (causal: the
    /// `window` most recent keys, itself included), and the first `globalTokens` tokens see
    /// and are seen by all. Runs the tiled kernel with whole tiles outside the band skipped:
    /// O(T·window) time, O(T·D) memory.
    case local(window: Int, globalTokens: Int = 0)
    /// Linear attention with φ(x) = elu(x) + 1: φ(q)(φ(k)ᵀv) / (φ(q)·Σφ(k) + 1e-6), or the
    /// causal prefix-sum form. Not softmax attention; O(T) memory. No bias or mask.
    case linear
    /// FlashAttention-style tiles of `block` queries × `block` keys with an online softmax;
    /// the backward pass recomputes tiles from the saved output and log-sum-exp.
    /// Same values as `.full`, O(T·D) activation memory.
    case tiled(block: Int = 64)
}

/// The denominator offset of `.linear` attention.
public let linearAttentionEpsilon = 1e-6

/// Scaled dot-product attention on q [B, H, Tq, D], k [B, H, Tk, D], v [B, H, Tk, Dv] with
/// scale 1/√D; returns [B, H, Tq, Dv].
///
/// - `keyPadding`: [B, Tk], bool or 0/1, true = a real token (padding keys are hidden).
/// - `bias`: additive scores broadcastable to [B, H, Tq, Tk], e.g. ALiBi's [H, Tq, Tk].
///   Gradients flow into it only with `.full`.
/// - `mask`: boolean broadcastable to [B, H, Tq, Tk], true = may attend (as torch's boolean
///   `attn_mask`). Not supported by `.linear`.
/// - `dropout`: drops attention probabilities (scaling the kept ones by 1/(1−p)); the mask
///   depends only on the key and the (b, h, i, j) index, so `.full`, `.tiled` and `.local`
///   drop the same entries. Not supported by `.linear`.
///
///     let y = try attention(q, k, v, kernel: .full, causal: true, keyPadding: pad)
///     let z = try attention(q, k, v, kernel: .local(window: 128, globalTokens: 1), causal: false)
public func attention(_ q: Tensor, _ k: Tensor, _ v: Tensor, kernel: AttentionKernel = .full, causal: Bool = false,
                      keyPadding: Tensor? = nil, bias: Tensor? = nil, mask: Tensor? = nil,
                      dropout: AttentionDropout? = nil) throws -> Tensor {
    let (_, _, tq, tk, d) = try checkAttentionInputs(q, k, v, keyPadding: keyPadding, bias: bias, mask: mask)
    if let dropout, !(0...1).contains(dropout.p) {
        throw NNError.invalidArgument(layer: "attention", message: "dropout probability has to be between 0 and 1, got \(dropout.p)")
    }
    let dropout = dropout.flatMap { $0.p > 0 ? $0 : nil }
    let scale = 1 / Double(d).squareRoot()
    var pattern = AttentionPattern(causal: causal, queryOffset: tk - tq)
    switch kernel {
    case .full:
        return try fullAttention(q, k, v, pattern: pattern, scale: scale, keyPadding: keyPadding, bias: bias, mask: mask,
                                 dropout: dropout)
    case .tiled(let block):
        guard block > 0 else { throw NNError.invalidArgument(layer: "attention", message: "tiled block must be positive, got \(block)") }
        return try tiledAttention(q, k, v, pattern: pattern, scale: scale, keyPadding: keyPadding, bias: bias, mask: mask,
                                  dropout: dropout, block: block, name: "tiled")
    case .local(let window, let globalTokens):
        guard window > 0, globalTokens >= 0 else {
            throw NNError.invalidArgument(layer: "attention", message:
                "local attention needs window > 0 and globalTokens >= 0, got window \(window), globalTokens \(globalTokens)")
        }
        pattern.window = window
        pattern.globalTokens = globalTokens
        // Tiles no larger than the band keep the skipped area large.
        let block = Swift.max(16, Swift.min(64, window))
        return try tiledAttention(q, k, v, pattern: pattern, scale: scale, keyPadding: keyPadding, bias: bias, mask: mask,
                                  dropout: dropout, block: block, name: "local")
    case .linear:
        guard bias == nil, mask == nil, dropout == nil else {
            throw NNError.invalidArgument(layer: "attention", message:
                "linear attention has no score matrix: bias, mask and dropout are not supported (use keyPadding and causal)")
        }
        return try linearAttention(q, k, v, causal: causal, keyPadding: keyPadding)
    }
}

/// Validates shapes and dtypes; returns (B, H, Tq, Tk, D).
func checkAttentionInputs(_ q: Tensor, _ k: Tensor, _ v: Tensor, keyPadding: Tensor?, bias: Tensor?, mask: Tensor?) throws
    -> (Int, Int, Int, Int, Int) {
    guard q.rank == 4 else {
        throw NNError.shapeMismatch(path: "", layer: "attention (q)", expected: "[B, H, Tq, D]", got: q.shape)
    }
    let (bn, hn, tq, d) = (q.shape[0], q.shape[1], q.shape[2], q.shape[3])
    guard k.rank == 4, k.shape[0] == bn, k.shape[1] == hn, k.shape[3] == d else {
        throw NNError.shapeMismatch(path: "", layer: "attention (k)", expected: "[\(bn), \(hn), Tk, \(d)]", got: k.shape)
    }
    let tk = k.shape[2]
    guard v.rank == 4, v.shape[0] == bn, v.shape[1] == hn, v.shape[2] == tk else {
        throw NNError.shapeMismatch(path: "", layer: "attention (v)", expected: "[\(bn), \(hn), \(tk), Dv]", got: v.shape)
    }
    guard q.dtype.isFloatingPoint, q.dtype == k.dtype, k.dtype == v.dtype else {
        throw NNError.invalidArgument(layer: "attention", message:
            "q, k and v must share one floating-point dtype, got \(q.dtype), \(k.dtype), \(v.dtype)")
    }
    guard d > 0 else { throw NNError.invalidArgument(layer: "attention", message: "head dimension must be positive, got shape \(q.shape)") }
    if let kp = keyPadding, kp.shape != [bn, tk] {
        throw NNError.shapeMismatch(path: "", layer: "attention (keyPadding)", expected: "[\(bn), \(tk)]", got: kp.shape)
    }
    let full = [bn, hn, tq, tk]
    for (name, t) in [("bias", bias), ("mask", mask)] {
        guard let t else { continue }
        guard t.rank <= 4, (try? broadcastShapes(t.shape, full, op: "attention")) == full else {
            throw NNError.shapeMismatch(path: "", layer: "attention (\(name))", expected: "broadcastable to \(full)", got: t.shape)
        }
    }
    return (bn, hn, tq, tk, d)
}

/// The boolean [Tq, Tk] matrix of `pattern` (true = may attend).
func patternMask(_ pattern: AttentionPattern, queryLength tq: Int, keyLength tk: Int) throws -> NDArray {
    let m = try NDArray(shape: [tq, tk], dtype: .bool)
    let p = m.pointer(as: UInt8.self)
    for i in 0..<tq {
        for j in 0..<tk { p[i * tk + j] = pattern.allows(query: i, key: j) ? 1 : 0 }
    }
    return m
}

/// The explicit boolean mask [Tq, Tk] of `.local(window:globalTokens:)` (true = may
/// attend), for use as `mask:` of the `.full` kernel; causal masks are bottom-right aligned.
///
///     let m = try localAttentionMask(queryLength: 8, keyLength: 8, window: 2, globalTokens: 1, causal: false)
///     let y = try attention(q, k, v, kernel: .full, mask: m)   // == kernel: .local(window: 2, globalTokens: 1)
public func localAttentionMask(queryLength: Int, keyLength: Int, window: Int, globalTokens: Int = 0, causal: Bool) throws -> Tensor {
    guard queryLength >= 0, keyLength >= 0, window > 0, globalTokens >= 0 else {
        throw NNError.invalidArgument(layer: "localAttentionMask", message:
            "lengths must be >= 0, window > 0 and globalTokens >= 0, got \(queryLength), \(keyLength), \(window), \(globalTokens)")
    }
    let p = AttentionPattern(causal: causal, window: window, globalTokens: globalTokens, queryOffset: keyLength - queryLength)
    return Tensor(try patternMask(p, queryLength: queryLength, keyLength: keyLength))
}

/// The combined boolean visibility [B|1, H|1, Tq, Tk] (nil when everything is visible).
func visibility(_ pattern: AttentionPattern, tq: Int, tk: Int, keyPadding: Tensor?, mask: Tensor?) throws -> NDArray? {
    var m: NDArray? = nil
    func and(_ x: NDArray) throws {
        let b = try NDArray.binary(.ne, x, scalar: 0, scalarIsFloat: false)
        m = try m.map { try NDArray.binary(.logicalAnd, $0, b) } ?? b
    }
    if pattern.causal || pattern.window != nil { try and(patternMask(pattern, queryLength: tq, keyLength: tk)) }
    if let kp = keyPadding { try and(kp.data.reshaped([kp.shape[0], 1, 1, kp.shape[1]])) }
    if let mk = mask { try and(mk.data) }
    return m
}

/// The `.full` kernel: recorded ops only.
func fullAttention(_ q: Tensor, _ k: Tensor, _ v: Tensor, pattern: AttentionPattern, scale: Double,
                   keyPadding: Tensor?, bias: Tensor?, mask: Tensor?, dropout: AttentionDropout?) throws -> Tensor {
    let tq = q.shape[2], tk = k.shape[2]
    var scores = try matmul(q, k.transposed(-1, -2)) * scale               // [B, H, Tq, Tk]
    if let bias { scores = try scores + bias.to(q.dtype) }
    var p: Tensor
    if let vis = try visibility(pattern, tq: tq, tk: tk, keyPadding: keyPadding, mask: mask) {
        // A large finite fill instead of -inf keeps fully hidden rows finite (uniform), and
        // the row factor below zeroes them.
        let fill = Tensor(try NDArray.scalar(-1e30, dtype: q.dtype))
        p = try softmax(Tensor.where(Tensor(vis), scores, fill), axis: -1)  // [B, H, Tq, Tk]
        let rowAny = try vis.to(.int64).reduce(.max, axes: [vis.rank - 1], keepdims: true)   // [.., Tq, 1]
        if rowAny.ints().contains(0) { p = try p * Tensor(rowAny.to(q.dtype)) }
    } else {
        p = try softmax(scores, axis: -1)
    }
    if let dropout {
        let keep = try NDArray.bernoulli(p.shape, p: 1 - dropout.p, key: dropout.key, dtype: q.dtype)
        p = try p * Tensor(keep * dropout.keptScale)
    }
    return try matmul(p, v)                                                // [B, H, Tq, Dv]
}

/// The `.tiled` and `.local` kernels: one custom op over q, k, v.
func tiledAttention(_ q: Tensor, _ k: Tensor, _ v: Tensor, pattern: AttentionPattern, scale: Double,
                    keyPadding: Tensor?, bias: Tensor?, mask: Tensor?, dropout: AttentionDropout?,
                    block: Int, name: String) throws -> Tensor {
    guard q.dtype == .float32 || q.dtype == .float64 else {
        throw NNError.invalidArgument(layer: "attention", message: "the \(name) kernel computes in float32 or float64, got \(q.dtype)")
    }
    if let bias, bias.requiresGrad, GradMode.isEnabled {
        throw NNError.invalidArgument(layer: "attention", message:
            "the \(name) kernel gives no gradient for a bias that requires grad; use kernel .full (or pass bias.detached())")
    }
    let qd = q.data, kd = k.data, vd = v.data
    let kp = keyPadding?.data, mk = mask?.data, bs = bias?.data
    let (out, lse) = try tiledAttentionForward(q: qd, k: kd, v: vd, pattern: pattern, scale: scale,
                                               keyPadding: kp, mask: mk, bias: bs, dropout: dropout, block: block)
    let needs = [q.requiresGrad, k.requiresGrad, v.requiresGrad]
    return Tensor.custom("\(name)Attention", inputs: [q, k, v], output: out) { g in
        let r = try tiledAttentionBackward(q: qd, k: kd, v: vd, output: out, logSumExp: lse, gradOutput: g,
                                           pattern: pattern, scale: scale, keyPadding: kp, mask: mk, bias: bs,
                                           dropout: dropout, block: block)
        return [needs[0] ? r.dq : nil, needs[1] ? r.dk : nil, needs[2] ? r.dv : nil]
    }
}

/// φ(x) = elu(x) + 1 (x + 1 for x > 0, eˣ otherwise), recorded.
///
///     let f = try eluPlusOne(x)   // > 0 everywhere
public func eluPlusOne(_ x: Tensor) throws -> Tensor {
    let positive = try Tensor.binary(.gt, x, scalar: 0, scalarIsFloat: false)
    return try Tensor.where(positive, x + 1, x.clamp(min: nil, max: 0).unary(.exp))
}

/// The `.linear` kernel: composite matmuls (non-causal) or the prefix-sum custom op (causal).
func linearAttention(_ q: Tensor, _ k: Tensor, _ v: Tensor, causal: Bool, keyPadding: Tensor?) throws -> Tensor {
    let fq = try eluPlusOne(q)                                             // [B, H, Tq, D]
    var fk = try eluPlusOne(k)                                             // [B, H, Tk, D]
    if let kp = keyPadding {
        let keep = try NDArray.binary(.ne, kp.data, scalar: 0, scalarIsFloat: false).to(q.dtype)
        fk = try fk * Tensor(keep.reshaped([kp.shape[0], 1, kp.shape[1], 1]))
    }
    if !causal {
        let kv = try matmul(fk.transposed(-1, -2), v)                       // [B, H, D, Dv]
        let z = try fk.sum(axes: [2], keepdims: true).transposed(-1, -2)   // [B, H, D, 1]
        let num = try matmul(fq, kv)                                       // [B, H, Tq, Dv]
        let den = try matmul(fq, z) + linearAttentionEpsilon               // [B, H, Tq, 1]
        return try num / den
    }
    if q.shape[2] != k.shape[2] {
        // Decoding after a KV cache: Tq new queries see all earlier keys; the direct form
        // costs O(Tq·Tk), small for the usual Tq = 1.
        return try linearAttentionReference(q, k, v, causal: true, keyPadding: keyPadding)
    }
    guard q.dtype == .float32 || q.dtype == .float64 else {
        throw NNError.invalidArgument(layer: "attention", message: "the linear kernel computes in float32 or float64, got \(q.dtype)")
    }
    let fqd = fq.data, fkd = fk.data, vd = v.data
    let (out, den) = try causalLinearAttentionForward(fq: fqd, fk: fkd, v: vd, eps: linearAttentionEpsilon)
    return Tensor.custom("causalLinearAttention", inputs: [fq, fk, v], output: out) { g in
        let r = try causalLinearAttentionBackward(fq: fqd, fk: fkd, v: vd, output: out, denominator: den, gradOutput: g)
        return [r.dfq, r.dfk, r.dv]
    }
}

/// The linear-attention formula written directly with recorded ops and an explicit
/// [Tq, Tk] matrix (O(T²)): the reference the `.linear` kernel is tested against.
///
///     let ref = try linearAttentionReference(q, k, v, causal: true, keyPadding: nil)
public func linearAttentionReference(_ q: Tensor, _ k: Tensor, _ v: Tensor, causal: Bool, keyPadding: Tensor?) throws -> Tensor {
    let fq = try eluPlusOne(q), fk = try eluPlusOne(k)
    var a = try matmul(fq, fk.transposed(-1, -2))                          // [B, H, Tq, Tk]
    if let vis = try visibility(AttentionPattern(causal: causal, queryOffset: k.shape[2] - q.shape[2]),
                                tq: q.shape[2], tk: k.shape[2], keyPadding: keyPadding, mask: nil) {
        a = try a * Tensor(vis.to(q.dtype))
    }
    let num = try matmul(a, v)
    let den = try a.sum(axes: [3], keepdims: true) + linearAttentionEpsilon
    return try num / den
}
