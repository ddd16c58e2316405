import KoanTensor

// Forward call and gradient rule of matmul.

/// Matrix product with NumPy semantics (1-D promotion, batch broadcasting), as
/// `KoanTensor.matmul`. Gradients: `g·bᵀ` and `aᵀ·g`, summed over broadcast batch axes.
///
///     let y = try matmul(x, w)   // [n, k] · [k, m] → [n, m]
public func matmul(_ a: Tensor, _ b: Tensor) throws -> Tensor {
    let out = try KoanTensor.matmul(a.data, b.data)
    guard let parents = recording(out, a, b) else { return Tensor(out, node: nil) }
    let ad: NDArray? = b.node != nil ? a.data : nil
    let bd: NDArray? = a.node != nil ? b.data : nil
    let sa = a.shape, sb = b.shape
    return Tensor(out, parents: parents, op: "matmul") { g in
        // Undo the 1-D promotion on the gradient: [.., m, n] with m or n restored.
        var g2 = g
        if sb.count == 1 { g2 = try g2.unsqueezed(axis: g2.rank) }
        if sa.count == 1 { g2 = try g2.unsqueezed(axis: g2.rank - 1) }
        var ga: NDArray? = nil, gb: NDArray? = nil
        if let bd {
            let b2 = sb.count == 1 ? try bd.unsqueezed(axis: 1) : bd          // [k] → [k, 1]
            let full = try KoanTensor.matmul(g2, b2.transposed(-1, -2))       // [.., m, k]
            let a2Shape = sa.count == 1 ? [1] + sa : sa
            ga = try unbroadcast(full, to: a2Shape).reshaped(sa)
        }
        if let ad {
            let a2 = sa.count == 1 ? try ad.unsqueezed(axis: 0) : ad          // [k] → [1, k]
            let full = try KoanTensor.matmul(a2.transposed(-1, -2), g2)       // [.., k, n]
            let b2Shape = sb.count == 1 ? sb + [1] : sb
            gb = try unbroadcast(full, to: b2Shape).reshaped(sb)
        }
        return [ga, gb]
    }
}
