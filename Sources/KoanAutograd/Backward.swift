import KoanTensor

/// Sums a broadcast gradient back to the shape of the input it came from. The one place
/// where broadcasting is undone: every broadcasting op's rule calls it.
///
///     // x: [3, 1] broadcast with y: [4] gives [3, 4]; x's gradient is unbroadcast(g, to: [3, 1])
func unbroadcast(_ g: NDArray, to shape: [Int]) throws -> NDArray {
    if g.shape == shape { return g }
    let extra = g.rank - shape.count
    guard extra >= 0 else {
        throw TensorError.shapeMismatch(op: "backward", lhs: g.shape, rhs: shape,
                                        detail: "a gradient cannot have lower rank than its input")
    }
    var axes = Array(0..<extra)
    for i in 0..<shape.count where shape[i] != g.shape[i + extra] {
        guard shape[i] == 1 else {
            throw TensorError.shapeMismatch(op: "backward", lhs: g.shape, rhs: shape,
                                            detail: "the gradient does not broadcast to the input")
        }
        axes.append(i + extra)
    }
    let summed = axes.isEmpty ? g : try g.sum(axes: axes, keepdims: true)
    return try summed.reshaped(shape)
}

/// Runs the backward pass from `root` (gradient `seed`) and returns the gradients of
/// `targets` (nil where no gradient arrived). Iterative: nodes are processed once all
/// their consumers have been, in reverse topological order, with no recursion.
func runBackward(root: Node, seed: NDArray, targets: [Node?], retainGraph: Bool) throws -> [NDArray?] {
    // 1. Count, for every node reachable from the root, how many edges lead into it.
    var pending: [ObjectIdentifier: Int] = [ObjectIdentifier(root): 0]
    var stack: [Node] = [root]
    while let n = stack.popLast() {
        for p in n.parents {
            guard let p else { continue }
            let id = ObjectIdentifier(p)
            if let c = pending[id] {
                pending[id] = c + 1
            } else {
                pending[id] = 1
                stack.append(p)
            }
        }
    }
    var wanted: [ObjectIdentifier: Int] = [:]
    for (i, t) in targets.enumerated() {
        if let t { wanted[ObjectIdentifier(t)] = i }
    }
    var results = [NDArray?](repeating: nil, count: targets.count)

    // 2. Propagate.
    var grads: [ObjectIdentifier: NDArray] = [ObjectIdentifier(root): seed]
    var ready: [Node] = [root]
    while let n = ready.popLast() {
        let id = ObjectIdentifier(n)
        let g = grads.removeValue(forKey: id)
        if let g, let i = wanted[id] { results[i] = g }
        if n.isLeaf { continue }
        var inputGrads: [NDArray?] = []
        if let g {
            guard let rule = n.backward else {
                throw TensorError.invalidArgument(
                    op: "backward",
                    message: "the graph through '\(n.op)' was already freed by an earlier backward pass; pass retainGraph: true to the first one")
            }
            inputGrads = try rule(g)
        }
        let parents = n.parents
        for (k, p) in parents.enumerated() {
            guard let p else { continue }
            let pid = ObjectIdentifier(p)
            if k < inputGrads.count, let gi = inputGrads[k] {
                var gp = gi
                if gp.shape != p.shape {
                    throw TensorError.shapeMismatch(op: "backward of \(n.op)", lhs: gp.shape, rhs: p.shape,
                                                    detail: "internal error: the gradient shape differs from the input shape")
                }
                if gp.dtype != p.dtype { gp = try gp.to(p.dtype) }
                if let acc = grads[pid] {
                    grads[pid] = try acc + gp
                } else {
                    grads[pid] = gp
                }
            }
            let c = (pending[pid] ?? 1) - 1
            pending[pid] = c
            if c == 0 { ready.append(p) }
        }
        if !retainGraph {
            n.backward = nil
            n.parents = []
        }
    }
    return results
}

/// Gradients of `output` with respect to `wrt` (leaves or intermediate tensors), as
/// NDArrays in the dtypes and shapes of `wrt`; zeros where `output` does not depend on one.
/// `seed` is the gradient of the output (default: ones, which requires a one-element
/// output). Without `retainGraph` the graph's saved arrays are freed as the pass goes.
///
///     let w = Tensor(try NDArray.randn([3, 2], key: RandomKey(seed: 0)), requiresGrad: true)
///     let loss = try matmul(x, w).sum()
///     let gw = try backward(loss, wrt: [w])[0]
public func backward(_ output: Tensor, seed: NDArray? = nil, wrt: [Tensor], retainGraph: Bool = false) throws -> [NDArray] {
    let s: NDArray
    if let seed {
        guard seed.shape == output.shape else {
            throw TensorError.shapeMismatch(op: "backward", lhs: seed.shape, rhs: output.shape,
                                            detail: "the seed gradient must have the output's shape")
        }
        s = seed.dtype == output.dtype ? seed : try seed.to(output.dtype)
    } else {
        guard output.count == 1 else {
            throw TensorError.invalidArgument(
                op: "backward",
                message: "a seed gradient is implicit only for a one-element output, got shape \(output.shape); pass seed:")
        }
        s = try NDArray.ones(output.shape, dtype: output.dtype)
    }
    var found: [NDArray?] = Array(repeating: nil, count: wrt.count)
    if let root = output.node, output.dtype.isFloatingPoint {
        found = try runBackward(root: root, seed: s, targets: wrt.map(\.node), retainGraph: retainGraph)
    }
    var out: [NDArray] = []
    out.reserveCapacity(wrt.count)
    for (t, g) in zip(wrt, found) {
        if let g {
            out.append(try g.contiguous())
        } else {
            out.append(try NDArray.zeros(t.shape, dtype: t.dtype))
        }
    }
    return out
}

/// Evaluates `f` at `inputs` and its gradient with respect to every input. `f` must
/// return a one-element tensor. The inputs are copied as fresh leaves (their own history
/// is ignored); gradients come back in the inputs' dtypes and shapes, zeros for inputs
/// that do not influence the value (and for integer inputs). Grad mode is on inside `f`.
///
///     let (v, gs) = try valueAndGrad({ xs in try (xs[0] * xs[1]).sum() }, at: [a, b])
///     // gs[0] == b, gs[1] == a
public func valueAndGrad(_ f: ([Tensor]) throws -> Tensor, at inputs: [Tensor]) throws -> (value: Tensor, grads: [Tensor]) {
    let leaves = inputs.map { Tensor($0.data, requiresGrad: true) }
    let value = try withGrad { try f(leaves) }
    guard value.count == 1 else {
        throw TensorError.invalidArgument(
            op: "valueAndGrad",
            message: "the function must return a scalar (one element), got a tensor of shape \(value.shape)")
    }
    let grads = try backward(value, wrt: leaves)
    return (value.detached(), grads.map { Tensor($0) })
}

/// `valueAndGrad` for a function of one tensor.
///
///     let (v, g) = try valueAndGrad({ x in try x.unary(.square).sum() }, at: x)   // g == 2x
public func valueAndGrad(_ f: (Tensor) throws -> Tensor, at x: Tensor) throws -> (value: Tensor, grad: Tensor) {
    let (v, gs) = try valueAndGrad({ xs in try f(xs[0]) }, at: [x])
    return (v, gs[0])
}

/// The gradients of a scalar function at `inputs` (see `valueAndGrad`).
///
///     let gs = try grad({ xs in try (xs[0] * xs[0]).sum() }, at: [x])   // [2x]
public func grad(_ f: ([Tensor]) throws -> Tensor, at inputs: [Tensor]) throws -> [Tensor] {
    try valueAndGrad(f, at: inputs).grads
}

/// The gradient of a scalar function of one tensor.
///
///     let g = try grad({ x in try x.unary(.exp).sum() }, at: x)   // exp(x)
public func grad(_ f: (Tensor) throws -> Tensor, at x: Tensor) throws -> Tensor {
    try valueAndGrad(f, at: x).grad
}
