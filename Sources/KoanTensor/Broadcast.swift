/// The NumPy broadcast of two shapes (align on the right; sizes equal or one of them 1).
///
///     try broadcastShapes([2, 1, 3], [4, 1], op: "add")   // [2, 4, 3]
public func broadcastShapes(_ a: [Int], _ b: [Int], op: String) throws -> [Int] {
    if a == b { return a }
    let r = Swift.max(a.count, b.count)
    var out = [Int](repeating: 1, count: r)
    for i in 0..<r {
        let x = i < r - a.count ? 1 : a[i - (r - a.count)]
        let y = i < r - b.count ? 1 : b[i - (r - b.count)]
        if x == y || y == 1 { out[i] = x } else if x == 1 { out[i] = y } else {
            throw TensorError.shapeMismatch(op: op, lhs: a, rhs: b)
        }
    }
    return out
}

extension NDArray {
    /// A view of this array broadcast to `shape` (stride 0 on new and expanded axes).
    ///
    ///     let row = try NDArray(values: [1, 2, 3], shape: [3])
    ///     let m = try row.broadcast(to: [2, 3])    // no copy
    public func broadcast(to target: [Int]) throws -> NDArray {
        if target == shape { return self }
        guard target.count >= rank else {
            throw TensorError.shapeMismatch(op: "broadcast", lhs: shape, rhs: target, detail: "cannot broadcast to fewer dimensions")
        }
        // A view holds no new storage, but its element count must still be countable.
        try ShapeArithmetic.elementCount(target, dtype: dtype, op: "broadcast")
        let lead = target.count - rank
        var newStrides = [Int](repeating: 0, count: target.count)
        for i in 0..<target.count {
            if i < lead { continue }
            let s = shape[i - lead]
            if s == target[i] { newStrides[i] = strides[i - lead] } else if s == 1 { newStrides[i] = 0 } else {
                throw TensorError.shapeMismatch(op: "broadcast", lhs: shape, rhs: target)
            }
        }
        return NDArray(storage: storage, dtype: dtype, shape: target, strides: newStrides, offset: offset)
    }

    /// Same as `broadcast(to:)` (torch's `expand`).
    ///
    ///     let m = try NDArray.ones([1, 3]).expanded(to: [4, 3])
    public func expanded(to shape: [Int]) throws -> NDArray { try broadcast(to: shape) }
}

/// Iteration plan over a shape for several operands (strides in elements), with adjacent
/// axes merged where every operand allows it and size-1 axes dropped. Rows are the
/// innermost axis; `visit` hands each row's starting offsets to the body.
struct StridedPlan {
    var shape: [Int]
    var strides: [[Int]]

    init(shape fullShape: [Int], strides fullStrides: [[Int]]) {
        var sh = [Int]()
        var st = [[Int]](repeating: [], count: fullStrides.count)
        for d in 0..<fullShape.count where fullShape[d] != 1 {
            if let last = sh.last {
                var mergeable = true
                for k in 0..<fullStrides.count where st[k].last! != fullStrides[k][d] * fullShape[d] { mergeable = false; break }
                if mergeable {
                    sh[sh.count - 1] = last * fullShape[d]
                    for k in 0..<fullStrides.count { st[k][st[k].count - 1] = fullStrides[k][d] }
                    continue
                }
            }
            sh.append(fullShape[d])
            for k in 0..<fullStrides.count { st[k].append(fullStrides[k][d]) }
        }
        if sh.isEmpty {
            sh = [fullShape.contains(0) ? 0 : 1]
            for k in 0..<fullStrides.count { st[k] = [1] }
        }
        shape = sh
        strides = st
    }

    var inner: Int { shape[shape.count - 1] }
    var rows: Int { shape.dropLast().reduce(1, *) }
    func innerStride(_ k: Int) -> Int { strides[k][shape.count - 1] }

    /// Odometer state (outer index, per-operand offsets) at the start of `row`.
    @inline(__always)
    func start(row: Int) -> (index: [Int], offsets: [Int]) {
        let outer = shape.count - 1
        var index = [Int](repeating: 0, count: Swift.max(outer, 1))
        var offs = [Int](repeating: 0, count: strides.count)
        var rem = row
        for d in stride(from: outer - 1, through: 0, by: -1) {
            index[d] = rem % shape[d]
            rem /= shape[d]
            for k in 0..<strides.count { offs[k] += index[d] * strides[k][d] }
        }
        return (index, offs)
    }

    /// Moves the odometer to the next row.
    @inline(__always)
    func advance(_ index: inout [Int], _ offs: inout [Int]) {
        var d = shape.count - 2
        while d >= 0 {
            index[d] += 1
            for k in 0..<strides.count { offs[k] += strides[k][d] }
            if index[d] < shape[d] { return }
            for k in 0..<strides.count { offs[k] -= strides[k][d] * shape[d] }
            index[d] = 0
            d -= 1
        }
    }

    /// Calls `body(row, offsets)` for rows in `range`, where offsets[k] is operand k's offset of the row start.
    @inline(__always)
    func visit(_ range: Range<Int>, _ body: (Int, [Int]) -> Void) {
        var (index, offs) = start(row: range.lowerBound)
        for row in range {
            body(row, offs)
            advance(&index, &offs)
        }
    }

    /// Runs rows in parallel (each row is independent), `grain` in elements.
    @inline(__always)
    func parallelRows(grain: Int = 32_768, _ body: (Int, [Int]) -> Void) {
        let n = rows
        let inner = self.inner
        if inner == 0 || n == 0 { return }
        let rowGrain = Swift.max(1, grain / Swift.max(inner, 1))
        parallelFor(n, grain: rowGrain) { r in visit(r, body) }
    }
}
