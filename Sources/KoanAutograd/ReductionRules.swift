import KoanTensor

// Forward calls and gradient rules of reductions, scans and sorting, side by side.

/// Normalised, sorted, unique reduction axes (all axes for nil).
func reductionAxes(_ axes: [Int]?, rank: Int) throws -> [Int] {
    guard let axes else { return Array(0..<rank) }
    if rank == 0 {
        for a in axes where a != 0 && a != -1 { throw TensorError.axisOutOfRange(axis: a, rank: 0) }
        return []
    }
    return Array(Set(try axes.map { try normalizeAxis($0, rank: rank) })).sorted()
}

/// The shape of a reduction's result with keepdims (reduced axes set to 1).
func keptShape(_ shape: [Int], axes: [Int]) -> [Int] {
    var s = shape
    for a in axes { s[a] = 1 }
    return s
}

/// The output gradient of a reduction broadcast back over the input shape.
func expandReduced(_ g: NDArray, inputShape: [Int], axes: [Int]) throws -> NDArray {
    try g.reshaped(keptShape(inputShape, axes: axes)).broadcast(to: inputShape)
}

extension Tensor {
    /// Reduction over `axes` (nil = all), as `NDArray.reduce`. Gradients: sum, mean, prod,
    /// max/min (shared equally among ties, as torch's amax), logsumexp; argmax, argmin, any,
    /// all have none.
    ///
    ///     let s = try x.reduce(.sum, axes: [1], keepdims: true)
    public func reduce(_ op: ReduceOp, axes: [Int]? = nil, keepdims: Bool = false) throws -> Tensor {
        let out = try data.reduce(op, axes: axes, keepdims: keepdims)
        guard let parents = recording(out, self) else { return Tensor(out, node: nil) }
        let inShape = shape
        let ax = try reductionAxes(axes, rank: rank)
        let n = ax.reduce(1) { $0 * inShape[$1] }
        let rule: Node.Backward
        switch op {
        case .sum:
            rule = { g in [try expandReduced(g, inputShape: inShape, axes: ax)] }
        case .mean:
            rule = { g in [try expandReduced(g / Double(Swift.max(n, 1)), inputShape: inShape, axes: ax)] }
        case .max, .min:
            let x = data
            rule = { g in
                let o = try expandReduced(out, inputShape: inShape, axes: ax)
                let hit = try NDArray.binary(.eq, x, o).to(g.dtype)
                let ties = try hit.sum(axes: ax, keepdims: true)
                return [try expandReduced(g, inputShape: inShape, axes: ax) * hit / ties]
            }
        case .logsumexp:
            let x = data
            rule = { g in
                let o = try expandReduced(out, inputShape: inShape, axes: ax)
                return [try expandReduced(g, inputShape: inShape, axes: ax) * (x - o).unary(.exp)]
            }
        case .prod:
            let x = data
            rule = { g in [try expandReduced(g, inputShape: inShape, axes: ax) * productOfOthers(x, axes: ax)] }
        case .argmax, .argmin, .any, .all:
            return Tensor(out, node: nil)
        }
        return Tensor(out, parents: parents, op: op.rawValue, backward: rule)
    }

    /// Sum over `axes` (nil = all).
    ///
    ///     let total = try x.sum()
    public func sum(axes: [Int]? = nil, keepdims: Bool = false) throws -> Tensor {
        try reduce(.sum, axes: axes, keepdims: keepdims)
    }

    /// Mean over `axes` (nil = all).
    ///
    ///     let m = try x.mean(axes: [0])
    public func mean(axes: [Int]? = nil, keepdims: Bool = false) throws -> Tensor {
        try reduce(.mean, axes: axes, keepdims: keepdims)
    }

    /// Variance with NumPy's ddof semantics (`correction`), as `NDArray.variance`.
    ///
    ///     let v = try x.variance(axes: [-1], correction: 1)
    public func variance(axes: [Int]? = nil, correction: Int = 0, keepdims: Bool = false) throws -> Tensor {
        let out = try data.variance(axes: axes, correction: correction, keepdims: keepdims)
        guard let parents = recording(out, self) else { return Tensor(out, node: nil) }
        let x = data, inShape = shape
        let ax = try reductionAxes(axes, rank: rank)
        let n = ax.reduce(1) { $0 * inShape[$1] }
        return Tensor(out, parents: parents, op: "variance") { g in
            let m = try x.mean(axes: ax, keepdims: true)
            let scale = 2 / Double(n - correction)
            return [try expandReduced(g, inputShape: inShape, axes: ax) * (x - m) * scale]
        }
    }

    /// Standard deviation with NumPy's ddof semantics, as `NDArray.std`.
    ///
    ///     let s = try x.std(axes: [0])
    public func std(axes: [Int]? = nil, correction: Int = 0, keepdims: Bool = false) throws -> Tensor {
        let out = try data.std(axes: axes, correction: correction, keepdims: keepdims)
        guard let parents = recording(out, self) else { return Tensor(out, node: nil) }
        let x = data, inShape = shape
        let ax = try reductionAxes(axes, rank: rank)
        let n = ax.reduce(1) { $0 * inShape[$1] }
        return Tensor(out, parents: parents, op: "std") { g in
            let m = try x.mean(axes: ax, keepdims: true)
            let s = try expandReduced(out, inputShape: inShape, axes: ax)
            let gg = try expandReduced(g, inputShape: inShape, axes: ax)
            return [try gg * (x - m) / (s * Double(n - correction))]
        }
    }

    /// Cumulative sum along `axis`; the gradient is the reversed cumulative sum.
    ///
    ///     let c = try x.cumsum(axis: 0)
    public func cumsum(axis: Int) throws -> Tensor {
        let out = try data.cumsum(axis: axis)
        guard let parents = recording(out, self) else { return Tensor(out, node: nil) }
        let a = try normalizeAxis(axis, rank: rank)
        return Tensor(out, parents: parents, op: "cumsum") { g in
            [try flip(flip(g, axis: a).cumsum(axis: a), axis: a)]
        }
    }

    /// Sorted values along `axis` (stable); the gradient goes back to each value's position.
    ///
    ///     let s = try x.sorted(axis: -1, descending: true)
    public func sorted(axis: Int = -1, descending: Bool = false) throws -> Tensor {
        let out = try data.sorted(axis: axis, descending: descending)
        guard let parents = recording(out, self) else { return Tensor(out, node: nil) }
        let idx = try data.argsort(axis: axis, descending: descending)
        let inShape = shape, a = try normalizeAxis(axis, rank: rank)
        return Tensor(out, parents: parents, op: "sorted") { g in
            [try NDArray.scatterAdd(into: inShape, axis: a, indices: idx, source: g)]
        }
    }

    /// Indices that sort along `axis` (int64, stable; no gradient).
    public func argsort(axis: Int = -1, descending: Bool = false) throws -> Tensor {
        Tensor(try data.argsort(axis: axis, descending: descending), node: nil)
    }

    /// The `k` largest (or smallest) values along `axis` and their indices; values carry
    /// the gradient back to their positions, indices have none.
    ///
    ///     let (v, i) = try x.topk(3)
    public func topk(_ k: Int, axis: Int = -1, largest: Bool = true) throws -> (values: Tensor, indices: Tensor) {
        let (v, i) = try data.topk(k, axis: axis, largest: largest)
        let indices = Tensor(i, node: nil)
        guard let parents = recording(v, self) else { return (Tensor(v, node: nil), indices) }
        let inShape = shape, a = try normalizeAxis(axis, rank: rank)
        let values = Tensor(v, parents: parents, op: "topk") { g in
            [try NDArray.scatterAdd(into: inShape, axis: a, indices: i, source: g)]
        }
        return (values, indices)
    }
}

/// Reverses `x` along `axis` (a view).
func flip(_ x: NDArray, axis: Int) throws -> NDArray {
    var items = [IndexItem](repeating: .all, count: x.rank)
    items[axis] = .range(start: nil, end: nil, step: -1)
    return try x.index(items)
}

/// For each element, the product of the other elements of its reduction group (exact with
/// zeros: prefix and suffix products, computed in Double).
func productOfOthers(_ x: NDArray, axes: [Int]) throws -> NDArray {
    let kept = (0..<x.rank).filter { !axes.contains($0) }
    let perm = kept + axes
    let k = axes.reduce(1) { $0 * x.shape[$1] }
    let moved = try x.permuted(perm)
    let vals = moved.doubles()
    var res = [Double](repeating: 0, count: vals.count)
    if k > 0 {
        var row = 0
        while row < vals.count {
            var prefix = 1.0
            for j in 0..<k { res[row + j] = prefix; prefix *= vals[row + j] }
            var suffix = 1.0
            for j in stride(from: k - 1, through: 0, by: -1) { res[row + j] *= suffix; suffix *= vals[row + j] }
            row += k
        }
    }
    var inverse = [Int](repeating: 0, count: perm.count)
    for (i, p) in perm.enumerated() { inverse[p] = i }
    return try NDArray(values: res, shape: moved.shape, dtype: x.dtype).permuted(inverse)
}
