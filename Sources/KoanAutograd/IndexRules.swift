import KoanTensor

// Forward calls and gradient rules of indexing, gather and scatter, side by side.

extension Tensor {
    /// NumPy-style indexing (same items as `NDArray.index`); the gradient is scattered into
    /// zeros of the source shape (accumulating repeated positions of a gather index).
    ///
    ///     let col = try x.index([.all, .index(2)])
    ///     let picked = try x.index([.gather(ids)])
    public func index(_ items: [IndexItem]) throws -> Tensor {
        let out = try data.index(items)
        guard let parents = recording(out, self) else { return Tensor(out, node: nil) }
        let s = shape
        let hasGather = items.contains { if case .gather = $0 { return true } else { return false } }
        if hasGather {
            // Positions may repeat: index a tensor of flat positions the same way, then scatter-add.
            return Tensor(out, parents: parents, op: "index") { g in
                let count = s.reduce(1, *)
                let positions = try NDArray.arange(start: 0, end: Double(count), dtype: .int64).reshaped(s).index(items)
                let flat = try NDArray.scatterAdd(into: [count], axis: 0, indices: positions.flattened(),
                                                  source: g.flattened())
                return [try flat.reshaped(s)]
            }
        }
        return Tensor(out, parents: parents, op: "index") { g in
            var z = try NDArray.zeros(s, dtype: g.dtype)
            try z.assign(items, g)
            return [z]
        }
    }

    /// `x[items]` (same as `index`).
    public subscript(_ items: [IndexItem]) -> Tensor {
        get throws { try index(items) }
    }

    /// Writes `value` (broadcast) into the indexed positions. The result is recorded: the
    /// old values' gradient is zero at the written positions, `value` gets the gradient of
    /// those positions summed back to its shape.
    ///
    ///     try x.assign([.index(0)], Tensor(try NDArray.zeros([3])))
    public mutating func assign(_ items: [IndexItem], _ value: Tensor) throws {
        var out = data
        try out.assign(items, value.data)
        guard let parents = recording(out, self, value) else {
            self = Tensor(out, node: nil)
            return
        }
        let vs = value.shape
        let needSelf = node != nil, needValue = value.node != nil
        self = Tensor(out, parents: parents, op: "assign") { g in
            var gs: NDArray? = nil
            if needSelf {
                var c = try g.contiguousCopy()
                try c.assign(items, NDArray.scalar(0, dtype: g.dtype))
                gs = c
            }
            let gv = needValue ? try unbroadcast(g.index(items), to: vs) : nil
            return [gs, gv]
        }
    }

    /// torch.gather along `axis`; the gradient is scatter-added back.
    ///
    ///     let picked = try logp.gather(axis: 1, indices: targets2d)
    public func gather(axis: Int, indices: Tensor) throws -> Tensor {
        let out = try data.gather(axis: axis, indices: indices.data)
        guard let parents = recording(out, self) else { return Tensor(out, node: nil) }
        let s = shape, idx = indices.data
        let a = try normalizeAxis(axis, rank: rank)
        return Tensor(out, parents: parents, op: "gather") { g in
            [try NDArray.scatterAdd(into: s, axis: a, indices: idx, source: g)]
        }
    }

    /// torch.index_select along `axis` (embedding lookup); repeated indices accumulate.
    ///
    ///     let vectors = try table.indexSelect(axis: 0, indices: tokenIds)
    public func indexSelect(axis: Int, indices: Tensor) throws -> Tensor {
        let out = try data.indexSelect(axis: axis, indices: indices.data)
        guard let parents = recording(out, self) else { return Tensor(out, node: nil) }
        let s = shape, idx = indices.data
        let a = try normalizeAxis(axis, rank: rank)
        return Tensor(out, parents: parents, op: "indexSelect") { g in
            var view = [Int](repeating: 1, count: g.rank)
            view[a] = idx.count
            let full = try idx.reshaped(view).broadcast(to: g.shape).contiguous()
            return [try NDArray.scatterAdd(into: s, axis: a, indices: full, source: g)]
        }
    }

    /// torch.scatter_add into zeros of `shape`; `source` gets the gathered gradient.
    ///
    ///     let counts = try Tensor.scatterAdd(into: [5], axis: 0, indices: ids, source: ones)
    public static func scatterAdd(into shape: [Int], axis: Int, indices: Tensor, source: Tensor) throws -> Tensor {
        let out = try NDArray.scatterAdd(into: shape, axis: axis, indices: indices.data, source: source.data)
        guard let parents = recording(out, source) else { return Tensor(out, node: nil) }
        let idx = indices.data
        let a = try normalizeAxis(axis, rank: shape.count)
        return Tensor(out, parents: parents, op: "scatterAdd") { g in
            [try g.gather(axis: a, indices: idx)]
        }
    }
}
