import Glibc
import KoanAutograd
import KoanTensor

/// Scales gradients so that their joint norm is at most `maxNorm`, as
/// `torch.nn.utils.clip_grad_norm_`:
///
///     total = norm([norm(g, p) for g in grads], p)        (p = normType; .infinity: max |g|)
///     scale = min(1, maxNorm / (total + 1e-6))
///     grads = grads * scale                                (only when scale < 1; scale 1 is the identity)
///
/// Norms are accumulated in Double over paths in sorted order (deterministic); the scale is
/// rounded to each gradient's dtype before multiplying, as PyTorch does. A NaN/infinite total
/// gives a NaN/0 scale that is applied anyway (as PyTorch) unless `errorIfNonfinite`, which
/// throws `OptimError.nonFiniteNorm`. No graph is recorded.
///
///     let (clipped, norm) = try clipGradNorm(grads, maxNorm: 1.0)
public func clipGradNorm(_ grads: [String: Tensor], maxNorm: Double, normType: Double = 2,
                         errorIfNonfinite: Bool = false) throws -> (grads: [String: Tensor], totalNorm: Double) {
    if !maxNorm.isFinite || maxNorm < 0 {
        throw OptimError.invalidHyperparameter(name: "maxNorm", value: maxNorm, reason: "must be finite and >= 0")
    }
    if normType.isNaN || normType <= 0 {
        throw OptimError.invalidHyperparameter(name: "normType", value: normType, reason: "must be > 0 (or .infinity)")
    }
    for (path, g) in grads where !g.dtype.isFloatingPoint {
        throw OptimError.unsupportedDType(path: path, dtype: g.dtype)
    }
    if grads.isEmpty { return (grads, 0) }
    let total = try globalNorm(grads, normType: normType)
    if errorIfNonfinite && !total.isFinite { throw OptimError.nonFiniteNorm(total) }
    let scale = min(1, maxNorm / (total + 1e-6))
    if scale == 1 { return (grads, total) }
    var out: [String: Tensor] = [:]
    out.reserveCapacity(grads.count)
    for (path, g) in grads {
        out[path] = Tensor(try scaled(g.data, by: scale))
    }
    return (out, total)
}

/// The joint `normType`-norm of all gradients (sorted by path, accumulated in Double).
///
///     let n = try globalNorm(["w": gw, "b": gb])
public func globalNorm(_ grads: [String: Tensor], normType: Double = 2) throws -> Double {
    var acc = 0.0
    for path in grads.keys.sorted() {
        let a = try grads[path]!.data.contiguous()
        let n = a.count
        var local = 0.0
        switch a.dtype {
        case .float32:
            let p = a.pointer(as: Float.self)
            if normType == 2 { for i in 0..<n { let x = Double(p[i]); local += x * x } }
            else if normType == .infinity { for i in 0..<n { local = maxNaN(local, Double(abs(p[i]))) } }
            else if normType == 1 { for i in 0..<n { local += Double(abs(p[i])) } }
            else { for i in 0..<n { local += pow(Double(abs(p[i])), normType) } }
        default:
            let xs = a.doubles()
            if normType == 2 { for x in xs { local += x * x } }
            else if normType == .infinity { for x in xs { local = maxNaN(local, abs(x)) } }
            else if normType == 1 { for x in xs { local += abs(x) } }
            else { for x in xs { local += pow(abs(x), normType) } }
        }
        acc = normType == .infinity ? maxNaN(acc, local) : acc + local
    }
    if normType == .infinity || normType == 1 { return acc }
    if normType == 2 { return acc.squareRoot() }
    return pow(acc, 1 / normType)
}

@inline(__always)
private func maxNaN(_ a: Double, _ b: Double) -> Double { a.isNaN || b.isNaN ? .nan : Swift.max(a, b) }

private func scaled(_ a: NDArray, by scale: Double) throws -> NDArray {
    let src = try a.contiguous()
    let out = try NDArray(shape: src.shape, dtype: src.dtype)
    let n = src.count
    switch src.dtype {
    case .float32:
        let s = Float(scale), p = src.pointer(as: Float.self), q = out.pointer(as: Float.self)
        for i in 0..<n { q[i] = p[i] * s }
    case .float64:
        let p = src.pointer(as: Double.self), q = out.pointer(as: Double.self)
        for i in 0..<n { q[i] = p[i] * scale }
    default:
        let s = Double(Float(scale))
        for i in 0..<n { out.storeDouble(Double(Float(src.loadDouble(at: i)) * Float(s)), at: i) }
    }
    return out
}
