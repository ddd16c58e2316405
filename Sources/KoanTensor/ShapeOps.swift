/// Python's slice.indices + length: clamped start and element count for `start:end:step` on `length`.
@inline(__always)
func pythonSlice(start: Int?, end: Int?, step: Int, length: Int) -> (start: Int, count: Int) {
    let lower = step > 0 ? 0 : -1
    let upper = step > 0 ? length : length - 1
    func adjust(_ v: Int?, _ def: Int) -> Int {
        guard var v else { return def }
        if v < 0 { v += length; if v < lower { v = lower } } else if v > upper { v = upper }
        return v
    }
    let s = adjust(start, step < 0 ? upper : lower)
    let e = adjust(end, step < 0 ? lower : upper)
    let n: Int
    if step > 0 { n = e > s ? (e - s - 1) / step + 1 : 0 } else { n = s > e ? (s - e - 1) / step.magnitude.clampedToInt + 1 : 0 }
    return (s, n)
}

/// The stride of a sliced axis: `stride * step`, which only matters when the slice has two
/// or more elements (then it stays inside the array, so it fits Int).
@inline(__always)
func sliceStride(_ stride: Int, step: Int, count: Int) -> Int {
    count > 1 ? stride &* step : stride
}

extension UInt {
    /// This magnitude as an Int, Int.max for |Int.min|.
    var clampedToInt: Int { self > UInt(Int.max) ? Int.max : Int(self) }
}

/// Copies `src` (broadcast to `dst.shape`, converted to `dst.dtype`) into the possibly strided view `dst`.
func copyElements(from src: NDArray, into dst: NDArray) throws {
    var s = try src.converted(dst.dtype)
    if s.shape != dst.shape { s = try s.broadcast(to: dst.shape) }
    if dst.count == 0 { return }
    let size = dst.dtype.byteSize
    if s.isContiguous && dst.isContiguous {
        dst.baseAddress.copyMemory(from: s.baseAddress, byteCount: dst.count * size)
        return
    }
    let plan = StridedPlan(shape: dst.shape, strides: [s.strides, dst.strides])
    let inner = plan.inner, ss = plan.innerStride(0), ds = plan.innerStride(1)
    @inline(__always) func run<T>(_: T.Type) {
        let ps = s.pointer(as: T.self), pd = dst.pointer(as: T.self)
        plan.parallelRows { _, o in
            let a = ps + o[0], b = pd + o[1]
            if ss == 1 && ds == 1 { for i in 0..<inner { b[i] = a[i] } } else { for i in 0..<inner { b[i * ds] = a[i * ss] } }
        }
    }
    switch size {
    case 8: run(UInt64.self)
    case 4: run(UInt32.self)
    case 2: run(UInt16.self)
    default: run(UInt8.self)
    }
}

extension NDArray {
    /// Same elements in a new shape (one `-1` is inferred); a view when contiguous.
    ///
    ///     let m = try NDArray.arange(start: 0, end: 6, dtype: .float32).reshaped([2, -1])   // [2, 3]
    public func reshaped(_ newShape: [Int]) throws -> NDArray {
        var target = newShape
        let inferred = target.indices.filter { target[$0] == -1 }
        guard inferred.count <= 1, !target.contains(where: { $0 < -1 }) else {
            throw TensorError.invalidArgument(op: "reshape", message: "invalid target shape \(newShape)")
        }
        if let i = inferred.first {
            let known = ShapeArithmetic.productIfRepresentable(target.enumerated().filter { $0.offset != i }.map(\.element))
            guard let known, known != 0, count % known == 0 else {
                throw TensorError.shapeMismatch(op: "reshape", lhs: shape, rhs: newShape, detail: "cannot infer the size of dimension \(i)")
            }
            target[i] = count / known
        }
        guard ShapeArithmetic.productIfRepresentable(target) == count else {
            throw TensorError.shapeMismatch(op: "reshape", lhs: shape, rhs: newShape, detail: "\(count) elements cannot take shape \(newShape)")
        }
        if target == shape { return self }
        let src = try contiguous()
        return NDArray(storage: src.storage, dtype: dtype, shape: target, strides: contiguousStrides(target), offset: src.offset)
    }

    /// Rank-1 view (or copy) of all elements.
    ///
    ///     try NDArray.zeros([2, 3]).flattened().shape   // [6]
    public func flattened() throws -> NDArray { try reshaped([count]) }

    /// All axes reversed (NumPy `.T`), a view.
    ///
    ///     try NDArray.zeros([2, 3]).transposed().shape  // [3, 2]
    public func transposed() -> NDArray {
        NDArray(storage: storage, dtype: dtype, shape: shape.reversed(), strides: strides.reversed(), offset: offset)
    }

    /// Two axes swapped, a view.
    ///
    ///     try x.transposed(-1, -2)
    public func transposed(_ a: Int, _ b: Int) throws -> NDArray {
        let i = try normalizeAxis(a, rank: rank), j = try normalizeAxis(b, rank: rank)
        if rank == 0 { return self }
        var sh = shape, st = strides
        sh.swapAt(i, j); st.swapAt(i, j)
        return NDArray(storage: storage, dtype: dtype, shape: sh, strides: st, offset: offset)
    }

    /// Axes reordered: result axis k is input axis `axes[k]`, a view.
    ///
    ///     try NDArray.zeros([2, 3, 4]).permuted([2, 0, 1]).shape   // [4, 2, 3]
    public func permuted(_ axes: [Int]) throws -> NDArray {
        guard axes.count == rank else {
            throw TensorError.invalidArgument(op: "permute", message: "axes \(axes) do not match a tensor of rank \(rank)")
        }
        let norm = try axes.map { try normalizeAxis($0, rank: rank) }
        guard Set(norm).count == rank else {
            throw TensorError.invalidArgument(op: "permute", message: "axes \(axes) are not a permutation")
        }
        return NDArray(storage: storage, dtype: dtype, shape: norm.map { shape[$0] }, strides: norm.map { strides[$0] }, offset: offset)
    }

    /// Removes size-1 axes (all of them, or just `axis`, which must have size 1), a view.
    ///
    ///     try NDArray.zeros([1, 3, 1]).squeezed().shape   // [3]
    public func squeezed(axis: Int? = nil) throws -> NDArray {
        var keep = Array(0..<rank)
        if let axis {
            let a = try normalizeAxis(axis, rank: rank)
            if rank == 0 { return self }
            guard shape[a] == 1 else {
                throw TensorError.invalidArgument(op: "squeeze", message: "cannot squeeze axis \(axis) of size \(shape[a]) in shape \(shape)")
            }
            keep.remove(at: a)
        } else {
            keep = keep.filter { shape[$0] != 1 }
        }
        return NDArray(storage: storage, dtype: dtype, shape: keep.map { shape[$0] }, strides: keep.map { strides[$0] }, offset: offset)
    }

    /// Inserts a size-1 axis at `axis` (in `-(rank+1)...rank`), a view.
    ///
    ///     try NDArray.zeros([3]).unsqueezed(axis: 0).shape   // [1, 3]
    public func unsqueezed(axis: Int) throws -> NDArray {
        let a = try normalizeAxis(axis, rank: rank + 1)
        var sh = shape, st = strides
        let s = a < rank ? strides[a] * shape[a] : 1
        sh.insert(1, at: a); st.insert(s, at: a)
        return NDArray(storage: storage, dtype: dtype, shape: sh, strides: st, offset: offset)
    }

    /// Joins arrays along an existing axis (dtypes promoted).
    ///
    ///     let c = try NDArray.concat([a, b], axis: 1)
    public static func concat(_ xs: [NDArray], axis: Int = 0) throws -> NDArray {
        guard let first = xs.first else { throw TensorError.invalidArgument(op: "concat", message: "needs at least one array") }
        guard first.rank > 0 else { throw TensorError.invalidArgument(op: "concat", message: "cannot concatenate rank-0 arrays") }
        let ax = try normalizeAxis(axis, rank: first.rank)
        var dt = first.dtype
        for x in xs {
            guard x.rank == first.rank else {
                throw TensorError.shapeMismatch(op: "concat", lhs: first.shape, rhs: x.shape, detail: "ranks differ")
            }
            for d in 0..<x.rank where d != ax && x.shape[d] != first.shape[d] {
                throw TensorError.shapeMismatch(op: "concat", lhs: first.shape, rhs: x.shape, detail: "sizes differ on axis \(d)")
            }
            dt = DType.promote(dt, x.dtype)
        }
        let total = try ShapeArithmetic.sum(xs.map { $0.shape[ax] }, op: "concat", what: "the sizes on axis \(ax)")
        var shape = first.shape
        shape[ax] = total
        let out = try NDArray(shape: shape, dtype: dt)
        var start = 0
        for x in xs {
            let n = x.shape[ax]
            if n > 0 { try copyElements(from: x, into: try out.sliced(axis: ax, start: start, end: start + n)) }
            start += n
        }
        return out
    }

    /// Joins equally shaped arrays along a new axis.
    ///
    ///     try NDArray.stack([a, b]).shape   // [2] + a.shape
    public static func stack(_ xs: [NDArray], axis: Int = 0) throws -> NDArray {
        guard let first = xs.first else { throw TensorError.invalidArgument(op: "stack", message: "needs at least one array") }
        for x in xs where x.shape != first.shape {
            throw TensorError.shapeMismatch(op: "stack", lhs: first.shape, rhs: x.shape)
        }
        let ax = try normalizeAxis(axis, rank: first.rank + 1)
        return try concat(xs.map { try $0.unsqueezed(axis: ax) }, axis: ax)
    }

    /// Views of consecutive pieces with the given sizes along `axis` (sizes must add up).
    ///
    ///     let parts = try x.split(sizes: [2, 3], axis: 0)
    public func split(sizes: [Int], axis: Int = 0) throws -> [NDArray] {
        let ax = try normalizeAxis(axis, rank: rank)
        guard rank > 0 else { throw TensorError.invalidArgument(op: "split", message: "cannot split a rank-0 array") }
        guard sizes.allSatisfy({ $0 >= 0 }), (try? ShapeArithmetic.sum(sizes, op: "split", what: "")) == shape[ax] else {
            throw TensorError.invalidArgument(op: "split", message: "sizes \(sizes) do not add up to \(shape[ax]) on axis \(axis) of shape \(shape)")
        }
        var start = 0
        return try sizes.map { n in
            defer { start += n }
            return try sliced(axis: ax, start: start, end: start + n)
        }
    }

    /// Pieces of `size` along `axis`, the last one smaller (torch.split).
    ///
    ///     try NDArray.zeros([5]).split(size: 2).map(\.shape)   // [[2], [2], [1]]
    public func split(size: Int, axis: Int = 0) throws -> [NDArray] {
        let ax = try normalizeAxis(axis, rank: rank)
        guard rank > 0 else { throw TensorError.invalidArgument(op: "split", message: "cannot split a rank-0 array") }
        guard size > 0 else { throw TensorError.invalidArgument(op: "split", message: "size must be positive, got \(size)") }
        let n = shape[ax]
        if n == 0 { return [self] }
        var pieces: [NDArray] = []
        var start = 0
        while start < n {
            let piece = Swift.min(size, n - start)   // not start + size: size may be huge
            pieces.append(try sliced(axis: ax, start: start, end: start + piece))
            start += piece
        }
        return pieces
    }

    /// At most `n` pieces of size `ceil(dim / n)` (torch.chunk).
    ///
    ///     try NDArray.zeros([5]).chunk(2).map(\.shape)   // [[3], [2]]
    public func chunk(_ n: Int, axis: Int = 0) throws -> [NDArray] {
        guard n > 0 else { throw TensorError.invalidArgument(op: "chunk", message: "number of chunks must be positive, got \(n)") }
        let ax = try normalizeAxis(axis, rank: rank)
        guard rank > 0 else { throw TensorError.invalidArgument(op: "chunk", message: "cannot chunk a rank-0 array") }
        let dim = shape[ax]
        return try split(size: Swift.max(1, dim / n + (dim % n == 0 ? 0 : 1)), axis: ax)
    }

    /// Tiles the array `reps[i]` times along each axis (torch.repeat; fewer reps than axes as np.tile).
    ///
    ///     try NDArray.zeros([2, 3]).repeated([2, 1]).shape   // [4, 3]
    public func repeated(_ reps: [Int]) throws -> NDArray {
        guard reps.allSatisfy({ $0 >= 0 }) else {
            throw TensorError.invalidArgument(op: "repeat", message: "repeats must be non-negative, got \(reps)")
        }
        let r = Swift.max(reps.count, rank)
        let rp = [Int](repeating: 1, count: r - reps.count) + reps
        let base = try reshaped([Int](repeating: 1, count: r - rank) + shape)
        var inter = [Int](), interStrides = [Int](), finalShape = [Int]()
        for i in 0..<r {
            inter += [rp[i], base.shape[i]]
            interStrides += [0, base.strides[i]]
            finalShape.append(try ShapeArithmetic.product([rp[i], base.shape[i]], op: "repeat",
                                                          what: "axis \(i) of shape \(shape) repeated \(reps)"))
        }
        try ShapeArithmetic.elementCount(finalShape, dtype: dtype, op: "repeat")
        let view = NDArray(storage: base.storage, dtype: dtype, shape: inter, strides: interStrides, offset: base.offset)
        let out = try NDArray(shape: inter, dtype: dtype)
        try copyElements(from: view, into: out)
        return try out.reshaped(finalShape)
    }

    /// Pads with `value`: `widths[i] = (before, after)` for axis i from the first axis; axes
    /// without an entry are not padded.
    ///
    ///     try NDArray.ones([2, 2]).padded([(1, 1), (0, 2)]).shape   // [4, 4]
    public func padded(_ widths: [(Int, Int)], value: Double = 0) throws -> NDArray {
        guard widths.count <= rank else {
            throw TensorError.invalidArgument(op: "pad", message: "\(widths.count) pad widths for a tensor of rank \(rank)")
        }
        guard widths.allSatisfy({ $0.0 >= 0 && $0.1 >= 0 }) else {
            throw TensorError.invalidArgument(op: "pad", message: "pad widths must be non-negative")
        }
        var outShape = shape
        for (i, w) in widths.enumerated() {
            outShape[i] = try ShapeArithmetic.sum([shape[i], w.0, w.1], op: "pad", what: "axis \(i) of shape \(shape) padded by \(w)")
        }
        let out = try NDArray.full(outShape, value: value, dtype: dtype)
        var view = out
        for (i, w) in widths.enumerated() { view = try view.sliced(axis: i, start: w.0, end: w.0 + shape[i]) }
        try copyElements(from: self, into: view)
        return out
    }

    /// `start:end:step` on one axis with Python's clamping (negative values count from the end;
    /// a negative step walks backwards), a view.
    ///
    ///     try x.sliced(axis: 0, start: 1, end: -1)
    public func sliced(axis: Int, start: Int, end: Int, step: Int = 1) throws -> NDArray {
        guard step != 0 else { throw TensorError.invalidArgument(op: "slice", message: "slice step cannot be zero") }
        let ax = try normalizeAxis(axis, rank: rank)
        guard rank > 0 else { throw TensorError.invalidArgument(op: "slice", message: "cannot slice a rank-0 array") }
        let (s, n) = pythonSlice(start: start, end: end, step: step, length: shape[ax])
        var sh = shape, st = strides
        sh[ax] = n
        st[ax] = sliceStride(strides[ax], step: step, count: n)
        return NDArray(storage: storage, dtype: dtype, shape: sh, strides: st, offset: offset + (n > 0 ? s * strides[ax] : 0))
    }
}
