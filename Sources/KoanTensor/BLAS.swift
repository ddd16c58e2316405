import CBLAS

// Thin, typed access to OpenBLAS's GEMM for the network kernels (matmul, conv2d).
// Everything here is internal to KoanTensor except `gemm(_:transA:_:transB:alpha:beta:into:)`.

/// The float types with a BLAS GEMM: Float (sgemm) and Double (dgemm).
protocol NNBLASScalar: BinaryFloatingPoint, Sendable {
    static var nnDType: DType { get }
    /// Row-major C[m×n] = alpha·op(A)·op(B) + beta·C with raw leading dimensions.
    static func nnGemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Self,
                       a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
                       beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)
}

extension Float: NNBLASScalar {
    static var nnDType: DType { .float32 }
    @inline(__always)
    static func nnGemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                       a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                       beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        if m == 1 {
            // One output row (a token of cached generation): read B once instead of packing
            // it, which dominates for a single row.
            nnRowTimesMatrix(transA ? lda : 1, transB: transB, n: n, k: k, alpha: alpha, a: a, b: b, ldb: ldb, beta: beta, c: c)
            return
        }
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }
}

extension Double: NNBLASScalar {
    static var nnDType: DType { .float64 }
    @inline(__always)
    static func nnGemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Double,
                       a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
                       beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int) {
        cblas_dgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }
}

/// How a 2-D strided matrix view can be handed to BLAS without a copy.
struct NNBLASOperand {
    /// The stored matrix is the transpose of the logical one (column-major view).
    var trans: Bool
    /// Leading dimension of the stored row-major matrix.
    var ld: Int

    /// `nil` when the strides are not BLAS compatible (needs a contiguous copy first).
    /// Logical shape rows×cols, element (i, j) at i*s0 + j*s1.
    static func make(rows: Int, cols: Int, s0: Int, s1: Int) -> NNBLASOperand? {
        // Row-major: unit stride along columns, rows ld apart (ld ≥ cols).
        if (cols <= 1 || s1 == 1) && (rows <= 1 || s0 >= max(1, cols)) {
            return NNBLASOperand(trans: false, ld: rows <= 1 ? max(1, cols) : s0)
        }
        // Column-major: unit stride along rows, columns ld apart (ld ≥ rows) → CblasTrans.
        if (rows <= 1 || s0 == 1) && (cols <= 1 || s1 >= max(1, rows)) {
            return NNBLASOperand(trans: true, ld: cols <= 1 ? max(1, rows) : s1)
        }
        return nil
    }
}

/// BLAS takes 32-bit sizes: reject anything larger with a clear error.
@inline(__always)
func nnCheckBLASSize(_ op: String, _ sizes: Int...) throws {
    for s in sizes where s > Int(Int32.max) {
        throw TensorError.invalidArgument(op: op, message: "dimension \(s) is too large for BLAS (at most \(Int32.max))")
    }
}

/// General matrix multiply on 2-D float32 (or float64) arrays, in place on `c`:
/// `c = alpha · op(a) · op(b) + beta · c`, where `op` transposes when `transA`/`transB`.
/// Transposed and row-strided views of `a` and `b` are passed to BLAS without copies;
/// `c` is made unique (and contiguous when its strides do not suit BLAS) before the write.
///
///     var c = try NDArray(shape: [2, 2], zeroed: true)
///     try gemm(a, transA: false, b, transB: true, alpha: 1, beta: 0, into: &c)   // c = a · bᵀ
public func gemm(_ a: NDArray, transA: Bool, _ b: NDArray, transB: Bool, alpha: Float, beta: Float, into c: inout NDArray) throws {
    guard a.rank == 2, b.rank == 2, c.rank == 2 else {
        throw TensorError.invalidArgument(op: "gemm", message: "expected 2-D operands, got shapes \(a.shape), \(b.shape) and \(c.shape)")
    }
    let dtype = a.dtype
    guard dtype == .float32 || dtype == .float64 else { throw TensorError.unsupportedDType(op: "gemm", dtype: dtype) }
    guard b.dtype == dtype, c.dtype == dtype else {
        throw TensorError.invalidArgument(op: "gemm", message: "operands must share one dtype, got \(a.dtype), \(b.dtype) and \(c.dtype)")
    }
    let m = transA ? a.shape[1] : a.shape[0]
    let k = transA ? a.shape[0] : a.shape[1]
    let kb = transB ? b.shape[1] : b.shape[0]
    let n = transB ? b.shape[0] : b.shape[1]
    guard k == kb else {
        throw TensorError.shapeMismatch(op: "gemm", lhs: a.shape, rhs: b.shape, detail: "inner dimensions \(k) and \(kb) differ")
    }
    guard c.shape == [m, n] else {
        throw TensorError.shapeMismatch(op: "gemm", lhs: [m, n], rhs: c.shape, detail: "the output must have shape \([m, n])")
    }
    try nnCheckBLASSize("gemm", m, n, k, a.strides[0], a.strides[1], b.strides[0], b.strides[1])
    // Output: row-major with unit column stride.
    if NNBLASOperand.make(rows: m, cols: n, s0: c.strides[0], s1: c.strides[1]).map({ !$0.trans }) != true {
        c = try c.contiguousCopy()
    } else {
        try c.makeUnique()
    }
    if m == 0 || n == 0 { return }
    let ldc = m <= 1 ? max(1, n) : c.strides[0]
    if dtype == .float32 {
        try nnGemmViews(Float.self, a, transA: transA, b, transB: transB, m: m, n: n, k: k,
                        alpha: alpha, beta: beta, c: c.pointer(as: Float.self), ldc: ldc)
    } else {
        try nnGemmViews(Double.self, a, transA: transA, b, transB: transB, m: m, n: n, k: k,
                        alpha: Double(alpha), beta: Double(beta), c: c.pointer(as: Double.self), ldc: ldc)
    }
}

/// GEMM on two 2-D views (copying a view only when its strides do not suit BLAS).
func nnGemmViews<T: NNBLASScalar>(_: T.Type, _ a: NDArray, transA: Bool, _ b: NDArray, transB: Bool,
                                  m: Int, n: Int, k: Int, alpha: T, beta: T,
                                  c: UnsafeMutablePointer<T>, ldc: Int) throws {
    if k == 0 {
        // alpha·(empty product) = 0: only the beta scaling remains.
        for i in 0..<m { for j in 0..<n { c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j] } }
        return
    }
    var a = a, b = b
    // Logical op(A) is m×k: element (i, p).
    var opA = NNBLASOperand.make(rows: a.shape[0], cols: a.shape[1], s0: a.strides[0], s1: a.strides[1])
    if opA == nil { a = try a.contiguousCopy(); opA = NNBLASOperand(trans: false, ld: max(1, a.shape[1])) }
    var opB = NNBLASOperand.make(rows: b.shape[0], cols: b.shape[1], s0: b.strides[0], s1: b.strides[1])
    if opB == nil { b = try b.contiguousCopy(); opB = NNBLASOperand(trans: false, ld: max(1, b.shape[1])) }
    guard let oa = opA, let ob = opB else { return }
    T.nnGemm(transA: oa.trans != transA, transB: ob.trans != transB, m: m, n: n, k: k, alpha: alpha,
             a: UnsafePointer(a.pointer(as: T.self)), lda: oa.ld, b: UnsafePointer(b.pointer(as: T.self)), ldb: ob.ld,
             beta: beta, c: c, ldc: ldc)
    withExtendedLifetime((a, b)) {}
}

/// `c[0..<n] = alpha · x · op(B) + beta · c` for one row `x` (element p at `a[p * incx]`), with
/// B row-major (k×n, or n×k when `transB`). Written here rather than with `cblas_sgemv`, whose
/// threaded kernels give different bits at different thread counts; this splits the outputs
/// across threads, and each output is summed in the same order whatever the split.
func nnRowTimesMatrix(_ incx: Int, transB: Bool, n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>,
                      b: UnsafePointer<Float>, ldb: Int, beta: Float, c: UnsafeMutablePointer<Float>) {
    let cBox = UnsafeSendableBox(c), aBox = UnsafeSendableBox(a), bBox = UnsafeSendableBox(b)
    // Grain in multiply-adds: split only when each part has real work.
    parallelFor(n, grain: max(64, 32_768 / max(k, 1))) { range in
        let c = cBox.value, a = aBox.value, b = bBox.value
        if transB {
            // Output j is the dot product of B's row j with x.
            for j in range {
                let row = b + j * ldb
                var acc = SIMD8<Float>(repeating: 0)
                var p = 0
                if incx == 1 {
                    while p + 8 <= k {
                        acc += UnsafeRawPointer(row + p).loadUnaligned(as: SIMD8<Float>.self)
                            * UnsafeRawPointer(a + p).loadUnaligned(as: SIMD8<Float>.self)
                        p += 8
                    }
                }
                var sum = acc.sum()
                while p < k { sum += row[p] * a[p * incx]; p += 1 }
                c[j] = alpha * sum + (beta == 0 ? 0 : beta * c[j])
            }
        } else {
            // Outputs accumulate x[p] · B[p, range] over p, sixteen (then eight) columns at a
            // time: a whole cache line of each row of B per pass.
            let lo = range.lowerBound, hi = range.upperBound
            var j = lo
            while j + 16 <= hi {
                var acc0 = SIMD8<Float>(repeating: 0), acc1 = SIMD8<Float>(repeating: 0)
                for p in 0..<k {
                    let x = SIMD8<Float>(repeating: a[p * incx])
                    let row = UnsafeRawPointer(b + p * ldb + j)
                    acc0 += x * row.loadUnaligned(as: SIMD8<Float>.self)
                    acc1 += x * row.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
                }
                for t in 0..<8 {
                    c[j + t] = alpha * acc0[t] + (beta == 0 ? 0 : beta * c[j + t])
                    c[j + 8 + t] = alpha * acc1[t] + (beta == 0 ? 0 : beta * c[j + 8 + t])
                }
                j += 16
            }
            while j + 8 <= hi {
                var acc = SIMD8<Float>(repeating: 0)
                for p in 0..<k {
                    acc += SIMD8<Float>(repeating: a[p * incx]) * UnsafeRawPointer(b + p * ldb + j).loadUnaligned(as: SIMD8<Float>.self)
                }
                for t in 0..<8 { c[j + t] = alpha * acc[t] + (beta == 0 ? 0 : beta * c[j + t]) }
                j += 8
            }
            while j < hi {
                var sum: Float = 0
                for p in 0..<k { sum += a[p * incx] * b[p * ldb + j] }
                c[j] = alpha * sum + (beta == 0 ? 0 : beta * c[j])
                j += 1
            }
        }
    }
}
