/// One entry of an index expression, as in NumPy: `x[0, 1:3, :, None, mask]`.
///
///     let row = try x.index([.index(0)])                               // x[0]
///     let cols = try x.index([.all, .range(start: 1, end: nil, step: 2)]) // x[:, 1::2]
///     let pos = try x.index([.mask(try NDArray.binary(.gt, x, scalar: 0, scalarIsFloat: false))])
public enum IndexItem: Sendable {
    /// One position (negative counts from the end); removes the axis.
    case index(Int)
    /// Python slice `start:end:step` (clamped), `step != 0`.
    case range(start: Int?, end: Int?, step: Int)
    /// The whole axis (`:`).
    case all
    /// Inserts a size-1 axis (`None`).
    case newAxis
    /// A bool array whose shape equals the axes it covers; keeps the true positions.
    case mask(NDArray)
    /// An integer array of positions along one axis; its shape replaces the axis.
    case gather(NDArray)
}

extension NDArray {
    /// Reads `self[items]`; see `index(_:)`.
    ///
    ///     let first = try x[[.index(0)]]
    public subscript(_ items: [IndexItem]) -> NDArray {
        get throws { try index(items) }
    }

    /// The basic part of an index expression as a view, plus where the (at most one)
    /// advanced item lands in the view: (dimension, covered axis count, item).
    private func basicIndex(_ items: [IndexItem], op: String) throws -> (view: NDArray, advanced: (dim: Int, span: Int, item: IndexItem)?) {
        var consumed = 0
        var advancedCount = 0
        for item in items {
            switch item {
            case .index, .range, .all: consumed += 1
            case .newAxis: break
            case .mask(let m): consumed += m.rank; advancedCount += 1
            case .gather: consumed += 1; advancedCount += 1
            }
        }
        guard consumed <= rank else {
            throw TensorError.invalidArgument(op: op, message: "too many indices (\(consumed)) for a tensor of shape \(shape)")
        }
        guard advancedCount <= 1 else {
            throw TensorError.invalidArgument(op: op, message: "at most one mask or gather index is supported, got \(advancedCount)")
        }
        var sh = [Int](), st = [Int]()
        var off = offset
        var axis = 0
        var advanced: (dim: Int, span: Int, item: IndexItem)?
        for item in items {
            switch item {
            case .index(let i):
                let n = shape[axis]
                let j = i < 0 ? i + n : i
                guard j >= 0 && j < n else { throw TensorError.indexOutOfRange(axis: axis, index: i, size: n) }
                off += j * strides[axis]
                axis += 1
            case let .range(start, end, step):
                guard step != 0 else { throw TensorError.invalidArgument(op: op, message: "slice step cannot be zero") }
                let (s, n) = pythonSlice(start: start, end: end, step: step, length: shape[axis])
                if n > 0 { off += s * strides[axis] }
                sh.append(n); st.append(sliceStride(strides[axis], step: step, count: n))
                axis += 1
            case .all:
                sh.append(shape[axis]); st.append(strides[axis])
                axis += 1
            case .newAxis:
                sh.append(1); st.append(0)
            case .mask(let m):
                advanced = (sh.count, m.rank, item)
                for d in axis..<(axis + m.rank) { sh.append(shape[d]); st.append(strides[d]) }
                axis += m.rank
            case .gather:
                advanced = (sh.count, 1, item)
                sh.append(shape[axis]); st.append(strides[axis])
                axis += 1
            }
        }
        while axis < rank { sh.append(shape[axis]); st.append(strides[axis]); axis += 1 }
        return (NDArray(storage: storage, dtype: dtype, shape: sh, strides: st, offset: off), advanced)
    }

    /// NumPy indexing: basic items give a view; one `.mask` or `.gather` item gives a copy
    /// (its result axes stay where the item was). Items after the last cover whole axes.
    ///
    ///     let x = try NDArray.arange(start: 0, end: 12, dtype: .float32).reshaped([3, 4])
    ///     try x.index([.index(-1), .range(start: nil, end: nil, step: -1)])   // last row reversed
    public func index(_ items: [IndexItem]) throws -> NDArray {
        let (view, advanced) = try basicIndex(items, op: "index")
        guard let advanced else { return view }
        return try NDArray.applyAdvanced(view, advanced, original: shape)
    }

    private static func applyAdvanced(_ view: NDArray, _ adv: (dim: Int, span: Int, item: IndexItem), original: [Int]) throws -> NDArray {
        switch adv.item {
        case .gather(let idx):
            return try view.indexSelect(axis: adv.dim, indices: idx)
        case .mask(let m):
            let covered = Array(view.shape[adv.dim..<(adv.dim + adv.span)])
            guard m.shape == covered else {
                throw TensorError.shapeMismatch(op: "index", lhs: original, rhs: m.shape,
                                                detail: "the mask shape must match the indexed axes \(covered)")
            }
            guard m.dtype == .bool else { throw TensorError.unsupportedDType(op: "index mask", dtype: m.dtype) }
            var positions = [Int64]()
            var i: Int64 = 0
            m.forEachOffset { off in
                if m.baseAddress.load(fromByteOffset: off, as: UInt8.self) != 0 { positions.append(i) }
                i += 1
            }
            let merged = Array(view.shape[..<adv.dim]) + [covered.reduce(1, *)] + Array(view.shape[(adv.dim + adv.span)...])
            let v2 = try view.reshaped(merged)
            return try v2.indexSelect(axis: adv.dim, indices: try NDArray(ints: positions, shape: [positions.count]))
        default:
            return view
        }
    }

    /// Writes `value` (broadcast, converted to this dtype) into `self[items]`; copies shared storage first.
    ///
    ///     var x = try NDArray.zeros([3, 3])
    ///     try x.assign([.index(1)], try NDArray.scalar(5))     // x[1] = 5
    public mutating func assign(_ items: [IndexItem], _ value: NDArray) throws {
        if zip(shape, strides).contains(where: { $0.0 > 1 && $0.1 == 0 }) {
            self = try contiguousCopy()
        } else {
            try makeUnique()
        }
        let src = value.storage === storage ? try value.contiguousCopy() : value
        let (view, advanced) = try basicIndex(items, op: "assign")
        guard let advanced else {
            if src.shape != view.shape { _ = try broadcastShapes(src.shape, view.shape, op: "assign") }
            do { try copyElements(from: src, into: view) } catch let e as TensorError {
                if case .shapeMismatch = e { throw TensorError.shapeMismatch(op: "assign", lhs: view.shape, rhs: value.shape) }
                throw e
            }
            return
        }
        // Offsets of the view's elements, indexed the same way, give the target offsets.
        let table = try NDArray(shape: view.shape, dtype: .int64)
        let tp = table.pointer(as: Int64.self)
        var k = 0
        let base = view.offset - offset
        view.forEachOffset { tp[k] = Int64($0 + base); k += 1 }
        let targets = try NDArray.applyAdvanced(table, advanced, original: shape).contiguous()
        let vals: NDArray
        do { vals = try src.converted(dtype).broadcast(to: targets.shape).contiguous() } catch {
            throw TensorError.shapeMismatch(op: "assign", lhs: targets.shape, rhs: value.shape)
        }
        let size = dtype.byteSize
        let dst = baseAddress, from = vals.baseAddress
        let op = targets.pointer(as: Int64.self)
        for i in 0..<targets.count {
            (dst + Int(op[i]) * size).copyMemory(from: from + i * size, byteCount: size)
        }
    }

    /// Validated, wrapped integer indices as Int (throws for out-of-range entries).
    private func checkedIndices(_ indices: NDArray, axis: Int, size: Int, op: String) throws -> [Int] {
        guard indices.dtype.isInteger else { throw TensorError.unsupportedDType(op: op, dtype: indices.dtype) }
        var out = [Int]()
        out.reserveCapacity(indices.count)
        var bad: Int64?
        indices.forEachOffset { off in
            let v = indices.loadInt(at: off)
            let w = v < 0 ? v + Int64(size) : v
            if w < 0 || w >= Int64(size) { if bad == nil { bad = v } }
            out.append(Int(truncatingIfNeeded: w))
        }
        if let bad { throw TensorError.indexOutOfRange(axis: axis, index: Int(truncatingIfNeeded: bad), size: size) }
        return out
    }

    /// Picks entries along `axis` (torch.index_select, embedding lookup); the indices' shape
    /// replaces the axis: result shape = shape[..<axis] + indices.shape + shape[(axis+1)...].
    ///
    ///     let rows = try table.indexSelect(axis: 0, indices: try NDArray(ints: [2, 0], shape: [2]))
    public func indexSelect(axis: Int, indices: NDArray) throws -> NDArray {
        let ax = try normalizeAxis(axis, rank: rank)
        guard rank > 0 else { throw TensorError.invalidArgument(op: "indexSelect", message: "cannot index a rank-0 array") }
        let dim = shape[ax]
        let idx = try checkedIndices(indices, axis: ax, size: dim, op: "indexSelect")
        let outer = shape[..<ax].reduce(1, *), inner = shape[(ax + 1)...].reduce(1, *)
        let out = try NDArray(shape: Array(shape[..<ax]) + indices.shape + Array(shape[(ax + 1)...]), dtype: dtype)
        if out.count == 0 { return out }
        let src = try contiguous()
        let size = dtype.byteSize
        let rowBytes = inner * size
        let sp = src.baseAddress, dp = out.baseAddress
        let k = idx.count
        idx.withUnsafeBufferPointer { ib in
            parallelFor(outer * k, grain: Swift.max(1, 32_768 / Swift.max(inner, 1))) { r in
                for t in r {
                    let o = t / k, j = t % k
                    (dp + t * rowBytes).copyMemory(from: sp + ((o * dim + ib[j]) * inner) * size, byteCount: rowBytes)
                }
            }
        }
        return out
    }

    /// torch.gather: `out[i][j] = self[indices[i][j]][j]` for axis 0 (any rank); `indices` has
    /// this rank, and is no larger than `self` on the other axes. Result shape = indices.shape.
    ///
    ///     let picked = try logits.gather(axis: 1, indices: labels.unsqueezed(axis: 1))
    public func gather(axis: Int, indices: NDArray) throws -> NDArray {
        let ax = try normalizeAxis(axis, rank: rank)
        guard indices.rank == rank, rank > 0 else {
            throw TensorError.shapeMismatch(op: "gather", lhs: shape, rhs: indices.shape, detail: "index must have the same rank")
        }
        for d in 0..<rank where d != ax && indices.shape[d] > shape[d] {
            throw TensorError.shapeMismatch(op: "gather", lhs: shape, rhs: indices.shape, detail: "index is larger than the input on axis \(d)")
        }
        let idx = try checkedIndices(indices, axis: ax, size: shape[ax], op: "gather")
        let out = try NDArray(shape: indices.shape, dtype: dtype)
        var st = strides
        st[ax] = 0
        let view = NDArray(storage: storage, dtype: dtype, shape: indices.shape, strides: st, offset: offset)
        let size = dtype.byteSize, axStride = strides[ax]
        let sp = baseAddress, dp = out.baseAddress
        var i = 0
        view.forEachOffset { off in
            (dp + i * size).copyMemory(from: sp + (off + idx[i] * axStride) * size, byteCount: size)
            i += 1
        }
        return out
    }

    /// Accumulates `source` into zeros of `shape` at `indices` along `axis`: the backward of
    /// `gather` (indices shaped like source, torch.scatter_add) or of `indexSelect`
    /// (source shaped `shape[..<axis] + indices.shape + shape[(axis+1)...]`, torch.index_add).
    ///
    ///     let g = try NDArray.scatterAdd(into: [10, 4], axis: 0, indices: ids, source: gradRows)
    public static func scatterAdd(into shape: [Int], axis: Int, indices: NDArray, source: NDArray) throws -> NDArray {
        let ax = try normalizeAxis(axis, rank: shape.count)
        guard !shape.isEmpty else { throw TensorError.invalidArgument(op: "scatterAdd", message: "cannot scatter into a rank-0 shape") }
        let out = try NDArray.zeros(shape, dtype: source.dtype)
        let outer = shape[..<ax].reduce(1, *), inner = shape[(ax + 1)...].reduce(1, *), dim = shape[ax]
        let useInts = !source.dtype.isFloatingPoint
        let gatherForm = indices.shape == source.shape && indices.rank == shape.count
        if gatherForm {
            for d in 0..<shape.count where d != ax && indices.shape[d] > shape[d] {
                throw TensorError.shapeMismatch(op: "scatterAdd", lhs: shape, rhs: indices.shape, detail: "index is larger than the output on axis \(d)")
            }
            let idx = try out.checkedIndices(indices, axis: ax, size: dim, op: "scatterAdd")
            var st = out.strides
            st[ax] = 0
            let view = NDArray(storage: out.storage, dtype: out.dtype, shape: indices.shape, strides: st, offset: 0)
            let src = try source.contiguous()
            var i = 0
            let axStride = out.strides[ax]
            view.forEachOffset { off in
                let t = off + idx[i] * axStride
                if useInts { out.storeInt(out.loadInt(at: t) &+ src.loadInt(at: i), at: t) } else {
                    out.storeDouble(out.loadDouble(at: t) + src.loadDouble(at: i), at: t)
                }
                i += 1
            }
            return out
        }
        let expected = Array(shape[..<ax]) + indices.shape + Array(shape[(ax + 1)...])
        guard source.shape == expected else {
            throw TensorError.shapeMismatch(op: "scatterAdd", lhs: shape, rhs: source.shape,
                                            detail: "source must have the indices' shape or shape \(expected)")
        }
        let idx = try out.checkedIndices(indices, axis: ax, size: dim, op: "scatterAdd")
        let src = try source.contiguous()
        let k = idx.count
        if source.dtype == .float32 {
            let sp = src.pointer(as: Float.self), dp = out.pointer(as: Float.self)
            for o in 0..<outer { for j in 0..<k {
                let s = sp + (o * k + j) * inner, d = dp + (o * dim + idx[j]) * inner
                for e in 0..<inner { d[e] += s[e] }
            } }
            return out
        }
        for o in 0..<outer { for j in 0..<k { for e in 0..<inner {
            let s = (o * k + j) * inner + e, d = (o * dim + idx[j]) * inner + e
            if useInts { out.storeInt(out.loadInt(at: d) &+ src.loadInt(at: s), at: d) } else {
                out.storeDouble(out.loadDouble(at: d) + src.loadDouble(at: s), at: d)
            }
        } } }
        return out
    }
}
