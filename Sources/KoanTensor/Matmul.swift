// Matrix product with NumPy `matmul` semantics on top of OpenBLAS.

/// Matrix product with NumPy's `matmul` semantics: a 1-D left operand is a row vector and a
/// 1-D right operand a column vector (the added axis is removed from the result); operands
/// of rank > 2 are stacks of matrices whose batch dimensions broadcast.
///
/// float32 runs `cblas_sgemm` and float64 `cblas_dgemm` directly on the operands' memory:
/// a transposed view (last two strides `(1, rows)`) is passed with `CblasTrans`, so
/// `matmul(x, w.transposed())` copies nothing. float16/bfloat16 compute in float32 and round
/// once; integer and bool operands multiply exactly in Int64 (wrapping like NumPy) and the
/// result has the promoted dtype.
///
///     let a = try NDArray(values: [1, 2, 3, 4, 5, 6], shape: [2, 3])
///     let b = try NDArray(values: [1, 0, 0, 1, 1, 1], shape: [3, 2])
///     try matmul(a, b).doubles()        // [4, 5, 10, 11]
///
/// Throws `TensorError.shapeMismatch(op: "matmul", ...)` when the inner dimensions differ
/// ("cannot multiply tensors of shape [4, 3] and [4, 3]: inner dimensions 3 and 4 differ")
/// or the batch dimensions do not broadcast.
public func matmul(_ a: NDArray, _ b: NDArray) throws -> NDArray {
    guard a.rank >= 1, b.rank >= 1 else {
        throw TensorError.invalidArgument(
            op: "matmul",
            message: "operands must have at least one dimension, got shapes \(a.shape) and \(b.shape) (use mul for scalars)")
    }
    let ka = a.shape[a.rank - 1]
    let kb = b.rank == 1 ? b.shape[0] : b.shape[b.rank - 2]
    guard ka == kb else {
        throw TensorError.shapeMismatch(op: "matmul", lhs: a.shape, rhs: b.shape, detail: "inner dimensions \(ka) and \(kb) differ")
    }
    let aBatch = a.rank > 2 ? Array(a.shape.dropLast(2)) : []
    let bBatch = b.rank > 2 ? Array(b.shape.dropLast(2)) : []
    guard let batch = mmBroadcast(aBatch, bBatch) else {
        throw TensorError.shapeMismatch(op: "matmul", lhs: a.shape, rhs: b.shape,
                                        detail: "batch dimensions \(aBatch) and \(bBatch) cannot be broadcast")
    }
    let m = a.rank == 1 ? 1 : a.shape[a.rank - 2]
    let n = b.rank == 1 ? 1 : b.shape[b.rank - 1]
    var finalShape = batch
    if a.rank > 1 { finalShape.append(m) }
    if b.rank > 1 { finalShape.append(n) }

    let dtype = DType.promote(a.dtype, b.dtype)
    switch dtype {
    case .float32, .float64, .float16, .bfloat16:
        let work: DType = dtype == .float64 ? .float64 : .float32
        let aw = try a.to(work), bw = try b.to(work)
        let out = try NDArray(shape: batch + [m, n], dtype: work, zeroed: ka == 0)
        if work == .float32 {
            try mmFloat(Float.self, mmMatrixView(aw, left: true), mmMatrixView(bw, left: false), batch: batch, m: m, n: n, k: ka, out: out)
        } else {
            try mmFloat(Double.self, mmMatrixView(aw, left: true), mmMatrixView(bw, left: false), batch: batch, m: m, n: n, k: ka, out: out)
        }
        let shaped = NDArray(storage: out.storage, dtype: work, shape: finalShape, strides: contiguousStrides(finalShape), offset: 0)
        return try shaped.to(dtype)
    case .int8, .int32, .int64, .bool:
        let out = try mmInteger(mmMatrixView(a.to(.int64).contiguous(), left: true),
                                mmMatrixView(b.to(.int64).contiguous(), left: false),
                                batch: batch, m: m, n: n, k: ka)
        let shaped = NDArray(storage: out.storage, dtype: .int64, shape: finalShape, strides: contiguousStrides(finalShape), offset: 0)
        return try shaped.to(dtype)
    }
}

/// NumPy broadcast of two shapes (nil when incompatible).
fileprivate func mmBroadcast(_ a: [Int], _ b: [Int]) -> [Int]? {
    let r = max(a.count, b.count)
    var out = [Int](repeating: 1, count: r)
    for i in 0..<r {
        let x = i < r - a.count ? 1 : a[i - (r - a.count)]
        let y = i < r - b.count ? 1 : b[i - (r - b.count)]
        if x == y || y == 1 { out[i] = x } else if x == 1 { out[i] = y } else { return nil }
    }
    return out
}

/// A view with at least two dimensions: 1-D `left` operands become [1, k], 1-D right ones [k, 1].
fileprivate func mmMatrixView(_ x: NDArray, left: Bool) -> NDArray {
    guard x.rank == 1 else { return x }
    let k = x.shape[0], s = x.strides[0]
    if left {
        return NDArray(storage: x.storage, dtype: x.dtype, shape: [1, k], strides: [s * k, s], offset: x.offset)
    }
    return NDArray(storage: x.storage, dtype: x.dtype, shape: [k, 1], strides: [s, s * k], offset: x.offset)
}

/// Strides of `x`'s batch dimensions aligned to `batch` (0 for broadcast dimensions).
fileprivate func mmBatchStrides(_ x: NDArray, batch: [Int]) -> [Int] {
    let own = x.rank - 2
    var out = [Int](repeating: 0, count: batch.count)
    for i in 0..<own {
        let j = batch.count - own + i
        out[j] = x.shape[i] == 1 ? 0 : x.strides[i]
    }
    return out
}

/// Element offsets of every batch in row-major batch order.
fileprivate func mmBatchOffsets(_ strides: [Int], batch: [Int]) -> [Int] {
    let count = batch.reduce(1, *)
    var offs = [Int](repeating: 0, count: count)
    if count == 0 { return offs }
    var index = [Int](repeating: 0, count: batch.count)
    var cur = 0
    for t in 0..<count {
        offs[t] = cur
        var ax = batch.count - 1
        while ax >= 0 {
            index[ax] += 1
            cur += strides[ax]
            if index[ax] < batch[ax] { break }
            cur -= strides[ax] * batch[ax]
            index[ax] = 0
            ax -= 1
        }
    }
    return offs
}

fileprivate func mmFloat<T: NNBLASScalar>(_: T.Type, _ a0: NDArray, _ b0: NDArray, batch: [Int],
                                          m: Int, n: Int, k: Int, out: NDArray) throws {
    let batchCount = batch.reduce(1, *)
    if batchCount == 0 || m == 0 || n == 0 || k == 0 { return }   // out is empty or already zero
    try nnCheckBLASSize("matmul", m, n, k)
    var a = a0, b = b0
    let ra = a.rank, rb = b.rank
    var opA = NNBLASOperand.make(rows: m, cols: k, s0: a.strides[ra - 2], s1: a.strides[ra - 1])
    if opA == nil || a.strides.contains(where: { $0 < 0 }) {
        a = try a.contiguousCopy()
        opA = NNBLASOperand(trans: false, ld: k)
    }
    var opB = NNBLASOperand.make(rows: k, cols: n, s0: b.strides[rb - 2], s1: b.strides[rb - 1])
    if opB == nil || b.strides.contains(where: { $0 < 0 }) {
        b = try b.contiguousCopy()
        opB = NNBLASOperand(trans: false, ld: n)
    }
    guard let oa = opA, let ob = opB else { return }
    try nnCheckBLASSize("matmul", oa.ld, ob.ld)
    let pa = UnsafePointer(a.pointer(as: T.self)), pb = UnsafePointer(b.pointer(as: T.self))
    let pc = out.pointer(as: T.self)
    let sa = mmBatchStrides(a, batch: batch), sb = mmBatchStrides(b, batch: batch)

    // One big GEMM when B is shared by every batch and A's batches are stacked rows
    // (e.g. [B, T, D] · [D, E]): M = batches·m.
    if batchCount > 1 && !oa.trans && sb.allSatisfy({ $0 == 0 }) {
        var expected = m * oa.ld
        var collapses = true
        for i in stride(from: batch.count - 1, through: 0, by: -1) where batch[i] != 1 {
            if sa[i] != expected { collapses = false; break }
            expected *= batch[i]
        }
        if collapses && batchCount * m <= Int(Int32.max) {
            T.nnGemm(transA: false, transB: ob.trans, m: batchCount * m, n: n, k: k, alpha: 1,
                     a: pa, lda: oa.ld, b: pb, ldb: ob.ld, beta: 0, c: pc, ldc: n)
            withExtendedLifetime((a, b)) {}
            return
        }
    }
    let offA = mmBatchOffsets(sa, batch: batch), offB = mmBatchOffsets(sb, batch: batch)
    for t in 0..<batchCount {
        T.nnGemm(transA: oa.trans, transB: ob.trans, m: m, n: n, k: k, alpha: 1,
                 a: pa + offA[t], lda: oa.ld, b: pb + offB[t], ldb: ob.ld, beta: 0, c: pc + t * m * n, ldc: n)
    }
    withExtendedLifetime((a, b)) {}
}

/// Exact Int64 product (wrapping on overflow, like NumPy); operands are contiguous int64.
fileprivate func mmInteger(_ a: NDArray, _ b: NDArray, batch: [Int], m: Int, n: Int, k: Int) throws -> NDArray {
    let out = try NDArray(shape: batch + [m, n], dtype: .int64, zeroed: true)
    let batchCount = batch.reduce(1, *)
    if batchCount == 0 || m == 0 || n == 0 || k == 0 { return out }
    let offA = mmBatchOffsets(mmBatchStrides(a, batch: batch), batch: batch)
    let offB = mmBatchOffsets(mmBatchStrides(b, batch: batch), batch: batch)
    let pa = a.pointer(as: Int64.self), pb = b.pointer(as: Int64.self), pc = out.pointer(as: Int64.self)
    let sa0 = a.strides[a.rank - 2], sa1 = a.strides[a.rank - 1]
    let sb0 = b.strides[b.rank - 2], sb1 = b.strides[b.rank - 1]
    let rows = batchCount * m
    parallelFor(rows, grain: max(1, 32_768 / max(1, k * n))) { range in
        for r in range {
            let t = r / m, i = r % m
            let arow = pa + offA[t] + i * sa0
            let crow = pc + r * n
            for p in 0..<k {
                let v = arow[p * sa1]
                if v == 0 { continue }
                let brow = pb + offB[t] + p * sb0
                for j in 0..<n { crow[j] = crow[j] &+ v &* brow[j * sb1] }
            }
        }
    }
    withExtendedLifetime((a, b)) {}
    return out
}
