import KoanTensor

// Forward calls and gradient rules of the network kernels (Area 2's fused kernels and
// their backward kernels), side by side.

/// 2-D convolution, NCHW input and OIHW weight (as `KoanTensor.conv2d`).
///
///     let y = try conv2d(x, w, bias: b, Conv2dOptions(padding: (1, 1)))
public func conv2d(_ input: Tensor, _ weight: Tensor, bias: Tensor?, _ o: Conv2dOptions) throws -> Tensor {
    let out = try KoanTensor.conv2d(input.data, weight.data, bias: bias?.data, o)
    let biasT = bias ?? Tensor(out, node: nil)
    guard let parents = recording(out, input, weight, biasT) else { return Tensor(out, node: nil) }
    let x = input.data, w = weight.data
    let hasBias = bias != nil
    let needX = input.node != nil, needW = weight.node != nil
    return Tensor(out, parents: parents, op: "conv2d") { g in
        let r = try conv2dBackward(gradOutput: g, input: x, weight: w, hasBias: hasBias,
                                   inputGradient: needX, weightGradient: needW, o)
        return [r.input, r.weight, r.bias]
    }
}

/// Max pooling; `values` carries the gradient to the argmax positions, `indices` has none.
///
///     let (y, _) = try maxPool2d(x, kernel: (2, 2), stride: nil)
public func maxPool2d(_ input: Tensor, kernel: (Int, Int), stride: (Int, Int)?, padding: (Int, Int) = (0, 0)) throws
    -> (values: Tensor, indices: Tensor) {
    let (v, i) = try KoanTensor.maxPool2d(input.data, kernel: kernel, stride: stride, padding: padding)
    let indices = Tensor(i, node: nil)
    guard let parents = recording(v, input) else { return (Tensor(v, node: nil), indices) }
    let s = input.shape
    let values = Tensor(v, parents: parents, op: "maxPool2d") { g in
        [try maxPool2dBackward(gradOutput: g, indices: i, inputShape: s)]
    }
    return (values, indices)
}

/// Average pooling (count_include_pad, torch's default).
///
///     let y = try avgPool2d(x, kernel: (2, 2), stride: nil)
public func avgPool2d(_ input: Tensor, kernel: (Int, Int), stride: (Int, Int)?, padding: (Int, Int) = (0, 0)) throws -> Tensor {
    let out = try KoanTensor.avgPool2d(input.data, kernel: kernel, stride: stride, padding: padding)
    guard let parents = recording(out, input) else { return Tensor(out, node: nil) }
    let s = input.shape
    return Tensor(out, parents: parents, op: "avgPool2d") { g in
        [try avgPool2dBackward(gradOutput: g, inputShape: s, kernel: kernel, stride: stride, padding: padding)]
    }
}

/// Softmax along `axis`; the rule saves only the output.
///
///     let p = try softmax(logits, axis: -1)
public func softmax(_ x: Tensor, axis: Int) throws -> Tensor {
    let out = try KoanTensor.softmax(x.data, axis: axis)
    guard let parents = recording(out, x) else { return Tensor(out, node: nil) }
    return Tensor(out, parents: parents, op: "softmax") { g in
        [try softmaxBackward(output: out, gradOutput: g, axis: axis)]
    }
}

/// Log-softmax along `axis`; the rule saves only the output.
///
///     let lp = try logSoftmax(logits, axis: -1)
public func logSoftmax(_ x: Tensor, axis: Int) throws -> Tensor {
    let out = try KoanTensor.logSoftmax(x.data, axis: axis)
    guard let parents = recording(out, x) else { return Tensor(out, node: nil) }
    return Tensor(out, parents: parents, op: "logSoftmax") { g in
        [try logSoftmaxBackward(output: out, gradOutput: g, axis: axis)]
    }
}

/// Layer normalisation over the trailing `normalizedCount` elements, as
/// `KoanTensor.layerNorm`; `mean` and `rstd` are returned without history.
///
///     let y = try layerNorm(x, normalizedCount: 64, weight: gamma, bias: beta, eps: 1e-5).output
public func layerNorm(_ x: Tensor, normalizedCount: Int, weight: Tensor?, bias: Tensor?, eps: Double) throws
    -> (output: Tensor, mean: Tensor, rstd: Tensor) {
    let r = try KoanTensor.layerNorm(x.data, normalizedCount: normalizedCount, weight: weight?.data, bias: bias?.data, eps: eps)
    let mean = Tensor(r.mean, node: nil), rstd = Tensor(r.rstd, node: nil)
    let none = Tensor(r.output, node: nil)
    guard let parents = recording(r.output, x, weight ?? none, bias ?? none) else {
        return (Tensor(r.output, node: nil), mean, rstd)
    }
    let xd = x.data, wd = weight?.data, m = r.mean, rs = r.rstd
    let needX = x.node != nil, needW = weight?.node != nil, needB = bias?.node != nil
    let output = Tensor(r.output, parents: parents, op: "layerNorm") { g in
        let b = try layerNormBackward(gradOutput: g, input: xd, mean: m, rstd: rs, weight: wd, normalizedCount: normalizedCount)
        return [needX ? b.input : nil, needW ? b.weight : nil, needB ? b.bias : nil]
    }
    return (output, mean, rstd)
}

/// GELU, exact (erf) or tanh-approximated.
///
///     let y = try gelu(x)
public func gelu(_ x: Tensor, approximate: Bool = false) throws -> Tensor {
    let out = try KoanTensor.gelu(x.data, approximate: approximate)
    guard let parents = recording(out, x) else { return Tensor(out, node: nil) }
    let xd = x.data
    return Tensor(out, parents: parents, op: "gelu") { g in
        [try geluBackward(input: xd, gradOutput: g, approximate: approximate)]
    }
}

/// SiLU (x·sigmoid(x)).
///
///     let y = try silu(x)
public func silu(_ x: Tensor) throws -> Tensor {
    let out = try KoanTensor.silu(x.data)
    guard let parents = recording(out, x) else { return Tensor(out, node: nil) }
    let xd = x.data
    return Tensor(out, parents: parents, op: "silu") { g in
        [try siluBackward(input: xd, gradOutput: g)]
    }
}

/// Mean softmax cross-entropy of `logits` ([..., classes]) against int64 class ids
/// (shape = logits' shape minus the last axis), as `KoanTensor.crossEntropyForward`: the
/// loss as a rank-0 tensor in the logits' dtype and the probabilities (no history).
/// The loss's gradient is `(probabilities - onehot(targets)) / rows`.
///
///     let (loss, probs) = try crossEntropyForward(logits: logits, targets: labels)
public func crossEntropyForward(logits: Tensor, targets: Tensor) throws -> (loss: Tensor, probabilities: Tensor) {
    let (value, probs) = try KoanTensor.crossEntropyForward(logits: logits.data, targets: targets.data)
    let lossData = try NDArray.scalar(value, dtype: logits.dtype.isFloatingPoint ? logits.dtype : .float32)
    let probabilities = Tensor(probs, node: nil)
    guard let parents = recording(lossData, logits) else { return (Tensor(lossData, node: nil), probabilities) }
    let t = targets.data, ls = logits.shape, dt = logits.dtype
    let rows = Swift.max(t.count, 1)
    let loss = Tensor(lossData, parents: parents, op: "crossEntropy") { g in
        let p = probs.dtype == dt ? probs : try probs.to(dt)
        let ids = try t.to(.int64).reshaped(t.shape + [1])
        let ones = try NDArray.ones(ids.shape, dtype: p.dtype)
        let onehot = try NDArray.scatterAdd(into: ls, axis: ls.count - 1, indices: ids, source: ones)
        let scale = try g.item() / Double(rows)
        return [try (p - onehot) * scale]
    }
    return (loss, probabilities)
}

/// The mean softmax cross-entropy loss (rank-0, differentiable in `logits`).
///
///     let loss = try crossEntropy(logits, targets: labels)
public func crossEntropy(_ logits: Tensor, targets: Tensor) throws -> Tensor {
    try crossEntropyForward(logits: logits, targets: targets).loss
}
