import KoanAutograd
import KoanTensor

/// One recurrent layer as ordinary differentiable tensor ops (matmul, split, sigmoid, tanh,
/// mul, add, stack): the reference the fused kernel is checked against. `x` [B, T, I],
/// `h0`/`c0` [B, H]; returns the output sequence [B, T, H], h_T and (LSTM) c_T, each [B, H].
func compositeRecurrentLayer(mode: RecurrentMode, x: Tensor, wih: Tensor, whh: Tensor, bih: Tensor?, bhh: Tensor?,
                             h0: Tensor, c0: Tensor?) throws -> (output: Tensor, h: Tensor, c: Tensor?) {
    let B = x.shape[0], T = x.shape[1], I = x.shape[2], H = whh.shape[1], GH = mode.gateCount * H
    var xp = try matmul(x.reshaped([B * T, I]), wih.transposed())       // [B·T, G·H]
    if let bih { xp = try xp + bih }
    // Time-major and contiguous, so each step's slice is a dense [B, G·H] block.
    xp = try xp.reshaped([B, T, GH]).transposed(0, 1).contiguous()       // [T, B, G·H]
    var h = h0
    var c = try c0 ?? Tensor.zeros([B, H], dtype: x.dtype)
    var outs: [Tensor] = []
    outs.reserveCapacity(T)
    for t in 0..<T {
        let xt = try xp.index([.index(t)])                                // [B, G·H]
        var hp = try matmul(h, whh.transposed())                          // [B, G·H]
        if let bhh { hp = try hp + bhh }
        switch mode {
        case .rnnTanh:
            h = try (xt + hp).unary(.tanh)
        case .rnnRelu:
            h = try (xt + hp).unary(.relu)
        case .lstm:
            let s = try (xt + hp).split(sizes: [H, H, H, H], axis: 1)     // 4 × [B, H]
            let i = try s[0].unary(.sigmoid), f = try s[1].unary(.sigmoid)
            let g = try s[2].unary(.tanh), o = try s[3].unary(.sigmoid)
            c = try f * c + i * g
            h = try o * c.unary(.tanh)
        case .gru:
            let xs = try xt.split(sizes: [H, H, H], axis: 1)
            let hs = try hp.split(sizes: [H, H, H], axis: 1)
            let r = try (xs[0] + hs[0]).unary(.sigmoid)
            let z = try (xs[1] + hs[1]).unary(.sigmoid)
            let n = try (xs[2] + r * hs[2]).unary(.tanh)
            h = try (1 - z) * n + z * h
        }
        outs.append(h)
    }
    return (try Tensor.stack(outs, axis: 1), h, mode == .lstm ? c : nil)  // [B, T, H]
}
