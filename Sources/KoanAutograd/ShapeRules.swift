import KoanTensor

// Forward calls and gradient rules of the shape ops (views and copies), side by side.

extension Tensor {
    /// Broadcasts to `shape` (a view); the gradient is summed back (`unbroadcast`).
    ///
    ///     let b = try x.broadcast(to: [4, 3])
    public func broadcast(to target: [Int]) throws -> Tensor {
        let out = try data.broadcast(to: target)
        guard let parents = recording(out, self) else { return Tensor(out, node: nil) }
        let s = shape
        return Tensor(out, parents: parents, op: "broadcast") { g in [try unbroadcast(g, to: s)] }
    }

    /// Same as `broadcast(to:)` (torch's `expand`).
    public func expanded(to target: [Int]) throws -> Tensor {
        let out = try data.expanded(to: target)
        guard let parents = recording(out, self) else { return Tensor(out, node: nil) }
        let s = shape
        return Tensor(out, parents: parents, op: "expanded") { g in [try unbroadcast(g, to: s)] }
    }

    /// Reshapes (one -1 allowed); a view when the data is contiguous.
    ///
    ///     let y = try x.reshaped([2, -1])
    public func reshaped(_ target: [Int]) throws -> Tensor {
        let out = try data.reshaped(target)
        return reshapeResult(out, op: "reshaped")
    }

    /// Flattens to one dimension.
    public func flattened() throws -> Tensor {
        let out = try data.flattened()
        return reshapeResult(out, op: "flattened")
    }

    /// Removes size-1 axes (all of them for nil).
    public func squeezed(axis: Int? = nil) throws -> Tensor {
        let out = try data.squeezed(axis: axis)
        return reshapeResult(out, op: "squeezed")
    }

    /// Inserts a size-1 axis.
    ///
    ///     let row = try x.unsqueezed(axis: 0)
    public func unsqueezed(axis: Int) throws -> Tensor {
        let out = try data.unsqueezed(axis: axis)
        return reshapeResult(out, op: "unsqueezed")
    }

    /// Any op that only changes the shape, not the order of the elements: the gradient is
    /// reshaped back.
    private func reshapeResult(_ out: NDArray, op: String) -> Tensor {
        guard let parents = recording(out, self) else { return Tensor(out, node: nil) }
        let s = shape
        return Tensor(out, parents: parents, op: op) { g in [try g.reshaped(s)] }
    }

    /// Reverses all axes (NumPy `.T`), a view.
    ///
    ///     let xt = x.transposed()
    public func transposed() -> Tensor {
        let out = data.transposed()
        guard let parents = recording(out, self) else { return Tensor(out, node: nil) }
        return Tensor(out, parents: parents, op: "transposed") { g in [g.transposed()] }
    }

    /// Swaps two axes, a view.
    ///
    ///     let y = try x.transposed(-1, -2)
    public func transposed(_ a: Int, _ b: Int) throws -> Tensor {
        let out = try data.transposed(a, b)
        guard let parents = recording(out, self) else { return Tensor(out, node: nil) }
        return Tensor(out, parents: parents, op: "transposed") { g in [try g.transposed(a, b)] }
    }

    /// Permutes the axes, a view; the gradient is permuted back.
    ///
    ///     let y = try x.permuted([0, 2, 1])
    public func permuted(_ axes: [Int]) throws -> Tensor {
        let out = try data.permuted(axes)
        guard let parents = recording(out, self) else { return Tensor(out, node: nil) }
        var inverse = [Int](repeating: 0, count: axes.count)
        for (i, p) in axes.enumerated() { inverse[try normalizeAxis(p, rank: axes.count)] = i }
        return Tensor(out, parents: parents, op: "permuted") { g in [try g.permuted(inverse)] }
    }

    /// Concatenates along `axis` (dtype promotion); each input gets its slice of the gradient.
    ///
    ///     let z = try Tensor.concat([x, y], axis: 1)
    public static func concat(_ xs: [Tensor], axis: Int = 0) throws -> Tensor {
        let out = try NDArray.concat(xs.map(\.data), axis: axis)
        guard let parents = recording(out, xs) else { return Tensor(out, node: nil) }
        let a = try normalizeAxis(axis, rank: out.rank)
        let sizes = xs.map { $0.rank > a ? $0.shape[a] : 0 }
        let needs = xs.map { $0.node != nil }
        return Tensor(out, parents: parents, op: "concat") { g in
            let parts = try g.split(sizes: sizes, axis: a)
            return zip(parts, needs).map { $1 ? $0 : nil }
        }
    }

    /// Stacks along a new axis; each input gets its slice of the gradient.
    ///
    ///     let s = try Tensor.stack([x, y])   // [2, ...]
    public static func stack(_ xs: [Tensor], axis: Int = 0) throws -> Tensor {
        let out = try NDArray.stack(xs.map(\.data), axis: axis)
        guard let parents = recording(out, xs) else { return Tensor(out, node: nil) }
        let a = try normalizeAxis(axis, rank: out.rank)
        let needs = xs.map { $0.node != nil }
        return Tensor(out, parents: parents, op: "stack") { g in
            try needs.enumerated().map { i, need in
                guard need else { return nil }
                var items = [IndexItem](repeating: .all, count: a)
                items.append(.index(i))
                return try g.index(items)
            }
        }
    }

    /// Splits into pieces of the given sizes along `axis` (views).
    ///
    ///     let parts = try x.split(sizes: [2, 3], axis: 1)
    public func split(sizes: [Int], axis: Int = 0) throws -> [Tensor] {
        try pieces(data.split(sizes: sizes, axis: axis), axis: axis, op: "split")
    }

    /// Splits into chunks of `size` along `axis`, the last smaller (torch.split).
    public func split(size: Int, axis: Int = 0) throws -> [Tensor] {
        try pieces(data.split(size: size, axis: axis), axis: axis, op: "split")
    }

    /// Splits into `n` chunks along `axis` (torch.chunk).
    ///
    ///     let (q, k, v) = ... try x.chunk(3, axis: -1)
    public func chunk(_ n: Int, axis: Int = 0) throws -> [Tensor] {
        try pieces(data.chunk(n, axis: axis), axis: axis, op: "chunk")
    }

    /// Consecutive pieces along `axis`: piece i's gradient is padded with zeros back to
    /// the input's shape.
    private func pieces(_ parts: [NDArray], axis: Int, op: String) throws -> [Tensor] {
        guard recordingEnabled(self), let node else { return parts.map { Tensor($0, node: nil) } }
        let a = try normalizeAxis(axis, rank: rank)
        let total = shape[a], r = rank
        var start = 0
        var result: [Tensor] = []
        result.reserveCapacity(parts.count)
        for p in parts {
            let before = start, after = total - start - p.shape[a]
            start += p.shape[a]
            result.append(Tensor(p, parents: [node], op: op) { g in
                var widths = [(Int, Int)](repeating: (0, 0), count: r)
                widths[a] = (before, after)
                return [try g.padded(widths)]
            })
        }
        return result
    }

    /// Tiles the tensor (torch.repeat / np.tile); the gradient sums over the copies.
    ///
    ///     let y = try x.repeated([2, 1])
    public func repeated(_ reps: [Int]) throws -> Tensor {
        let out = try data.repeated(reps)
        guard let parents = recording(out, self) else { return Tensor(out, node: nil) }
        let s = shape
        let n = Swift.max(reps.count, s.count)
        let fullReps = [Int](repeating: 1, count: n - reps.count) + reps
        let fullShape = [Int](repeating: 1, count: n - s.count) + s
        return Tensor(out, parents: parents, op: "repeated") { g in
            // out axis i has size reps[i] * shape[i], laid out as [reps[i], shape[i]]
            var split: [Int] = []
            for i in 0..<n { split.append(fullReps[i]); split.append(fullShape[i]) }
            let summed = try g.reshaped(split).sum(axes: Array(stride(from: 0, to: 2 * n, by: 2)))
            return [try summed.reshaped(s)]
        }
    }

    /// Pads with a constant (widths per axis from the first axis); the gradient is the
    /// inner slice.
    ///
    ///     let y = try x.padded([(0, 0), (1, 1)])
    public func padded(_ widths: [(Int, Int)], value: Double = 0) throws -> Tensor {
        let out = try data.padded(widths, value: value)
        guard let parents = recording(out, self) else { return Tensor(out, node: nil) }
        let s = shape
        let items: [IndexItem] = s.indices.map { i in
            let before = i < widths.count ? widths[i].0 : 0
            return .range(start: before, end: before + s[i], step: 1)
        }
        return Tensor(out, parents: parents, op: "padded") { g in [try g.index(items)] }
    }

    /// A strided slice along one axis (a view, python slice semantics); the gradient is
    /// written into zeros of the input shape.
    ///
    ///     let evens = try x.sliced(axis: 0, start: 0, end: 10, step: 2)
    public func sliced(axis: Int, start: Int, end: Int, step: Int = 1) throws -> Tensor {
        let out = try data.sliced(axis: axis, start: start, end: end, step: step)
        guard let parents = recording(out, self) else { return Tensor(out, node: nil) }
        let a = try normalizeAxis(axis, rank: rank)
        var items = [IndexItem](repeating: .all, count: a)
        items.append(.range(start: start, end: end, step: step))
        let s = shape
        return Tensor(out, parents: parents, op: "sliced") { g in
            var z = try NDArray.zeros(s, dtype: g.dtype)
            try z.assign(items, g)
            return [z]
        }
    }
}
