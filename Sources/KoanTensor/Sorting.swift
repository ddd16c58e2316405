extension NDArray {
    /// Row-wise stable sort orders along `axis` (NaN is the largest value: last ascending,
    /// first descending). Returns the arranged layout info and the per-row index orders.
    private func sortOrders(axis: Int, descending: Bool, op: String) throws -> (perm: [Int], arranged: NDArray, k: Int, orders: [Int]) {
        let ax = try normalizeAxis(axis, rank: rank)
        var perm = Array(0..<rank)
        if rank > 0 { perm.remove(at: ax); perm.append(ax) }
        let arranged = try permuted(perm).contiguous()
        let k = rank == 0 ? 1 : shape[ax]
        let m = count / Swift.max(k, 1)
        var orders = [Int](repeating: 0, count: m * k)
        let src = try arranged.converted(dtype == .float64 ? .float64 : (dtype.isFloatingPoint ? .float32 : .int64))
        orders.withUnsafeMutableBufferPointer { ob in
            let o = ob.baseAddress!
            switch src.dtype {
            case .float32: NDArray.sortRows(src.pointer(as: Float.self), m, k, o, descending)
            case .float64: NDArray.sortRows(src.pointer(as: Double.self), m, k, o, descending)
            default: NDArray.sortRowsInt(src.pointer(as: Int64.self), m, k, o, descending)
            }
        }
        return (perm, arranged, k, orders)
    }

    static func sortRows<T: BinaryFloatingPoint>(_ p: UnsafeMutablePointer<T>, _ m: Int, _ k: Int, _ o: UnsafeMutablePointer<Int>, _ desc: Bool) {
        parallelFor(m, grain: Swift.max(1, 4096 / Swift.max(k, 1))) { r in
            var idx = [Int](repeating: 0, count: k)
            for row in r {
                let b = p + row * k
                for i in 0..<k { idx[i] = i }
                if desc {
                    idx.sort { x, y in
                        let a = b[x], c = b[y]
                        if a.isNaN { return c.isNaN ? x < y : true }
                        if c.isNaN { return false }
                        return a != c ? a > c : x < y
                    }
                } else {
                    idx.sort { x, y in
                        let a = b[x], c = b[y]
                        if a.isNaN { return c.isNaN ? x < y : false }
                        if c.isNaN { return true }
                        return a != c ? a < c : x < y
                    }
                }
                for i in 0..<k { o[row * k + i] = idx[i] }
            }
        }
    }

    static func sortRowsInt(_ p: UnsafeMutablePointer<Int64>, _ m: Int, _ k: Int, _ o: UnsafeMutablePointer<Int>, _ desc: Bool) {
        parallelFor(m, grain: Swift.max(1, 4096 / Swift.max(k, 1))) { r in
            var idx = [Int](repeating: 0, count: k)
            for row in r {
                let b = p + row * k
                for i in 0..<k { idx[i] = i }
                if desc { idx.sort { b[$0] != b[$1] ? b[$0] > b[$1] : $0 < $1 } } else {
                    idx.sort { b[$0] != b[$1] ? b[$0] < b[$1] : $0 < $1 }
                }
                for i in 0..<k { o[row * k + i] = idx[i] }
            }
        }
    }

    /// Builds (values, indices) in the arranged layout from the first `keep` entries of each row order.
    private func takeOrders(_ arranged: NDArray, _ k: Int, _ orders: [Int], keep: Int, perm: [Int], values wantValues: Bool) throws -> (NDArray?, NDArray) {
        let m = arranged.count / Swift.max(k, 1)
        var shape = arranged.shape
        if !shape.isEmpty { shape[shape.count - 1] = keep }
        let idx = try NDArray(shape: shape, dtype: .int64)
        let ip = idx.pointer(as: Int64.self)
        var vals: NDArray?
        if wantValues {
            let v = try NDArray(shape: shape, dtype: dtype)
            let size = dtype.byteSize
            let sp = arranged.baseAddress, dp = v.baseAddress
            for row in 0..<m { for j in 0..<keep {
                (dp + (row * keep + j) * size).copyMemory(from: sp + (row * k + orders[row * k + j]) * size, byteCount: size)
            } }
            vals = v
        }
        for row in 0..<m { for j in 0..<keep { ip[row * keep + j] = Int64(orders[row * k + j]) } }
        var inverse = [Int](repeating: 0, count: perm.count)
        for (i, p) in perm.enumerated() { inverse[p] = i }
        return (try vals?.permuted(inverse).contiguous(), try idx.permuted(inverse).contiguous())
    }

    /// Values sorted along `axis` (stable; NaN sorts as the largest value).
    ///
    ///     try NDArray(values: [3, 1, 2], shape: [3]).sorted()   // [1, 2, 3]
    public func sorted(axis: Int = -1, descending: Bool = false) throws -> NDArray {
        let (perm, arranged, k, orders) = try sortOrders(axis: axis, descending: descending, op: "sort")
        return try takeOrders(arranged, k, orders, keep: k, perm: perm, values: true).0!
    }

    /// Indices (int64) that sort along `axis` (stable).
    ///
    ///     try NDArray(values: [3, 1, 2], shape: [3]).argsort()  // [1, 2, 0]
    public func argsort(axis: Int = -1, descending: Bool = false) throws -> NDArray {
        let (perm, arranged, k, orders) = try sortOrders(axis: axis, descending: descending, op: "argsort")
        return try takeOrders(arranged, k, orders, keep: k, perm: perm, values: false).1
    }

    /// The `k` largest (or smallest) entries along `axis`, sorted, ties by lower index.
    ///
    ///     let (v, i) = try logits.topk(5)
    public func topk(_ k: Int, axis: Int = -1, largest: Bool = true) throws -> (values: NDArray, indices: NDArray) {
        let ax = try normalizeAxis(axis, rank: rank)
        let dim = rank == 0 ? 1 : shape[ax]
        guard k >= 0 && k <= dim else {
            throw TensorError.invalidArgument(op: "topk", message: "k = \(k) is out of range for axis \(axis) of size \(dim)")
        }
        let (perm, arranged, n, orders) = try sortOrders(axis: axis, descending: largest, op: "topk")
        let (v, i) = try takeOrders(arranged, n, orders, keep: k, perm: perm, values: true)
        return (v!, i)
    }
}
