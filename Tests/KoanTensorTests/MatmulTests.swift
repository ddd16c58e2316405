import CBLAS
import Foundation
import KoanTensor
import XCTest

// MARK: - shared helpers of the Area 2 tests (prefixed `nn` so nothing clashes)

/// A contiguous array from row-major values.
func nnArray(_ values: [Double], _ shape: [Int], _ dtype: DType = .float32) throws -> NDArray {
    let a = try NDArray(shape: shape, dtype: dtype)
    for (i, v) in values.enumerated() { a.storeDouble(v, at: i) }
    return a
}

/// Deterministic pseudo-random values in [-1, 1) (64-bit LCG).
func nnRandom(_ count: Int, seed: UInt64) -> [Double] {
    var s = seed &* 6364136223846793005 &+ 1442695040888963407
    return (0..<count).map { _ in
        s = s &* 6364136223846793005 &+ 1442695040888963407
        return Double(s >> 11) / Double(1 << 53) * 2 - 1
    }
}

func nnRandomArray(_ shape: [Int], seed: UInt64, _ dtype: DType = .float32, scale: Double = 1) throws -> NDArray {
    try nnArray(nnRandom(shape.reduce(1, *), seed: seed).map { $0 * scale }, shape, dtype)
}

/// A view with axes `a` and `b` swapped (no copy).
func nnSwapAxes(_ x: NDArray, _ a: Int, _ b: Int) -> NDArray {
    var s = x.shape, st = x.strides
    s.swapAt(a, b)
    st.swapAt(a, b)
    return NDArray(storage: x.storage, dtype: x.dtype, shape: s, strides: st, offset: x.offset)
}

/// The golden case's inputs with their `views` applied (stored transposed → swapped back).
func nnInputs(_ c: GoldenCase) -> [NDArray] {
    let views = c.args["views"] as? [Any] ?? []
    return c.inputs.enumerated().map { i, x in
        if i < views.count, let v = views[i] as? [NSNumber], v.count == 2 {
            return nnSwapAxes(x, v[0].intValue, v[1].intValue)
        }
        return x
    }
}

/// Relative error ‖a − b‖ / max(‖b‖, 1e-12).
func nnRelativeError(_ a: [Double], _ b: [Double]) -> Double {
    var d = 0.0, n = 0.0
    for i in 0..<min(a.count, b.count) { d += (a[i] - b[i]) * (a[i] - b[i]); n += b[i] * b[i] }
    return (d.squareRoot()) / max(n.squareRoot(), 1e-12)
}

/// Numerical gradient of `sum(f(x) · dy)` with respect to `x` (float64, central differences).
func nnNumericGrad(_ x: NDArray, dy: NDArray, h: Double = 1e-6, _ f: (NDArray) throws -> NDArray) throws -> [Double] {
    let base = x.doubles(), w = dy.doubles()
    var g = [Double](repeating: 0, count: base.count)
    for i in 0..<base.count {
        var p = base, m = base
        p[i] += h
        m[i] -= h
        let fp = try f(nnArray(p, x.shape, .float64)).doubles(), fm = try f(nnArray(m, x.shape, .float64)).doubles()
        var s = 0.0
        for j in 0..<fp.count { s += (fp[j] - fm[j]) * w[j] }
        g[i] = s / (2 * h)
    }
    return g
}

func nnSeconds(_ body: () throws -> Void) rethrows -> Double {
    let t0 = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
}

// MARK: - matmul

final class MatmulTests: XCTestCase {
    func testGoldens() throws {
        let cases = try GoldenFixture.load("nn").filter { $0.op == "matmul" }
        XCTAssertGreaterThan(cases.count, 15)
        for c in cases {
            let x = nnInputs(c)
            let y = try matmul(x[0], x[1])
            let tol = c.outputs[0].dtype == .float16 || c.outputs[0].dtype == .bfloat16 ? 0.0 : 1e-5
            assertClose(y, c.outputs[0], rtol: tol, atol: tol, c.name)
        }
    }

    func testInnerMismatchMessage() throws {
        let a = try NDArray(shape: [4, 3], zeroed: true)
        XCTAssertThrowsError(try matmul(a, a)) { e in
            XCTAssertEqual(e as? TensorError, .shapeMismatch(op: "matmul", lhs: [4, 3], rhs: [4, 3], detail: "inner dimensions 3 and 4 differ"))
            XCTAssertEqual("\(e)", "cannot multiply tensors of shape [4, 3] and [4, 3]: inner dimensions 3 and 4 differ")
        }
        let v = try NDArray(shape: [5], zeroed: true)
        XCTAssertThrowsError(try matmul(a, v)) { e in
            XCTAssertEqual("\(e)", "cannot multiply tensors of shape [4, 3] and [5]: inner dimensions 3 and 5 differ")
        }
    }

    func testBatchMismatchAndScalars() throws {
        let a = try NDArray(shape: [2, 3, 4], zeroed: true), b = try NDArray(shape: [3, 4, 5], zeroed: true)
        XCTAssertThrowsError(try matmul(a, b)) { e in
            guard case let .shapeMismatch(op, lhs, rhs, detail)? = e as? TensorError else { return XCTFail("\(e)") }
            XCTAssertEqual(op, "matmul")
            XCTAssertEqual(lhs, [2, 3, 4])
            XCTAssertEqual(rhs, [3, 4, 5])
            XCTAssertEqual(detail, "batch dimensions [2] and [3] cannot be broadcast")
        }
        let s = try NDArray(shape: [], zeroed: true)
        XCTAssertThrowsError(try matmul(s, a)) { e in
            guard case .invalidArgument(op: "matmul", message: _)? = e as? TensorError else { return XCTFail("\(e)") }
        }
    }

    /// Naive float64 reference on arbitrary strided views, with NumPy's rules.
    private func reference(_ a: NDArray, _ b: NDArray) -> (shape: [Int], values: [Double]) {
        let A = a.rank == 1 ? [1] + a.shape : a.shape, B = b.rank == 1 ? b.shape + [1] : b.shape
        let av = a.doubles(), bv = b.doubles()
        let m = A[A.count - 2], k = A[A.count - 1], n = B[B.count - 1]
        let ab = Array(A.dropLast(2)), bb = Array(B.dropLast(2))
        let r = max(ab.count, bb.count)
        let pa = [Int](repeating: 1, count: r - ab.count) + ab, pb = [Int](repeating: 1, count: r - bb.count) + bb
        let batch = zip(pa, pb).map { max($0, $1) }
        let count = batch.reduce(1, *)
        var out = [Double]()
        for t in 0..<count {
            var rem = t, ia = 0, ib = 0, sa = 1, sb = 1
            for d in stride(from: r - 1, through: 0, by: -1) {
                let i = rem % batch[d]; rem /= batch[d]
                ia += (pa[d] == 1 ? 0 : i) * sa; sa *= pa[d]
                ib += (pb[d] == 1 ? 0 : i) * sb; sb *= pb[d]
            }
            for i in 0..<m { for j in 0..<n {
                var s = 0.0
                for p in 0..<k { s += av[ia * m * k + i * k + p] * bv[ib * k * n + p * n + j] }
                out.append(s)
            } }
        }
        var shape = batch
        if a.rank > 1 { shape.append(m) }
        if b.rank > 1 { shape.append(n) }
        return (shape, out)
    }

    func testAgainstLoopsWithStridedViews() throws {
        var seed: UInt64 = 1
        func check(_ a: NDArray, _ b: NDArray, _ label: String) throws {
            let y = try matmul(a, b)
            let (shape, values) = reference(a, b)
            XCTAssertEqual(y.shape, shape, label)
            let tol = a.dtype == .float64 ? 1e-12 : 1e-5
            let ref = try nnArray(values, shape, .float64)
            assertClose(y, ref, rtol: tol, atol: tol, checkDType: false, label)
        }
        for dtype in [DType.float32, .float64] {
            for (sa, sb) in [([7, 5], [5, 9]), ([3, 4, 6], [6, 2]), ([2, 1, 3, 4], [5, 4, 3]), ([1, 8], [8, 1]),
                             ([6], [6, 3]), ([2, 3, 6], [6]), ([6], [6]), ([4, 3, 5], [1, 5, 2])] {
                seed += 1
                let a = try nnRandomArray(sa, seed: seed, dtype), b = try nnRandomArray(sb, seed: seed + 100, dtype)
                try check(a, b, "\(dtype) \(sa)x\(sb)")
            }
            // Transposed views (CblasTrans path) and a batch of transposed matrices.
            let at = nnSwapAxes(try nnRandomArray([5, 7], seed: 3, dtype), 0, 1)       // [7, 5], strides (1, 7)
            let bt = nnSwapAxes(try nnRandomArray([9, 5], seed: 4, dtype), 0, 1)       // [5, 9]
            try check(at, bt, "\(dtype) transposed both")
            let abt = nnSwapAxes(try nnRandomArray([3, 6, 4], seed: 5, dtype), 1, 2)   // [3, 4, 6]
            try check(abt, try nnRandomArray([6, 2], seed: 6, dtype), "\(dtype) batched transposed")
            // Not BLAS compatible: every other column (stride 2) → copied first.
            let wide = try nnRandomArray([4, 10], seed: 7, dtype)
            let stepped = NDArray(storage: wide.storage, dtype: dtype, shape: [4, 5], strides: [10, 2], offset: 1)
            try check(stepped, try nnRandomArray([5, 3], seed: 8, dtype), "\(dtype) step-2 columns")
            // Broadcast (stride 0) rows.
            let row = try nnRandomArray([6], seed: 9, dtype)
            let rows = NDArray(storage: row.storage, dtype: dtype, shape: [3, 6], strides: [0, 1], offset: 0)
            try check(rows, try nnRandomArray([6, 4], seed: 10, dtype), "\(dtype) broadcast rows")
            // Batch dims broadcast by stride 0 on the right operand.
            let bb = try nnRandomArray([4, 2], seed: 11, dtype)
            let bbb = NDArray(storage: bb.storage, dtype: dtype, shape: [3, 4, 2], strides: [0, 2, 1], offset: 0)
            try check(try nnRandomArray([3, 5, 4], seed: 12, dtype), bbb, "\(dtype) stride-0 batch")
        }
    }

    func testIntegerExactAndHalf() throws {
        let big = try nnArray([3_000_000_000, 1, 2, 3], [2, 2], .int64)
        let y = try matmul(big, big)
        XCTAssertEqual(y.dtype, .int64)
        XCTAssertEqual(y.ints(), [9_000_000_000_000_000_002, 3_000_000_003, 6_000_000_006, 11])
        let bools = try nnArray([1, 0, 0, 0], [2, 2], .bool)
        let yb = try matmul(bools, bools)
        XCTAssertEqual(yb.dtype, .bool)
        XCTAssertEqual(yb.ints(), [1, 0, 0, 0])
        let h = try nnArray([0.1, 0.2, 0.3, 0.4], [2, 2], .bfloat16)
        XCTAssertEqual(try matmul(h, h).dtype, .bfloat16)
    }

    /// A transposed operand must reach BLAS without a copy: with the memory limit just above
    /// what the output needs, any copy of an operand would throw.
    func testTransposedViewIsNotCopied() throws {
        let n = 256
        let a = try nnRandomArray([n, n], seed: 1), b = nnSwapAxes(try nnRandomArray([n, n], seed: 2), 0, 1)
        let old = TensorRuntime.memoryLimit
        try TensorRuntime.setMemoryLimit(TensorRuntime.liveBytes + n * n * 4 + 1024)
        defer { try? TensorRuntime.setMemoryLimit(old) }
        do {
            let y = try matmul(nnSwapAxes(a, 0, 1), b)
            XCTAssertEqual(y.shape, [n, n])
        }
        let batched = NDArray(storage: a.storage, dtype: .float32, shape: [4, 64, n], strides: [64 * n, n, 1], offset: 0)
        let yb = try matmul(batched, b)   // one folded GEMM, b transposed: no copy either
        XCTAssertThrowsError(try matmul(a, b))   // no room for a second output
        try TensorRuntime.setMemoryLimit(old)
        let ref = try matmul(NDArray(storage: a.storage, dtype: .float32, shape: [n, n], strides: [n, 1], offset: 0), b)
        assertClose(yb, NDArray(storage: ref.storage, dtype: .float32, shape: [4, 64, n], strides: [64 * n, n, 1], offset: 0), "fold")
    }

    func testGemmHelper() throws {
        let a = try nnRandomArray([3, 4], seed: 1), b = try nnRandomArray([5, 4], seed: 2)
        var c = try nnRandomArray([3, 5], seed: 3)
        let c0 = c.doubles()
        let shared = c
        try gemm(a, transA: false, b, transB: true, alpha: 2, beta: 0.5, into: &c)
        XCTAssertEqual(shared.doubles(), c0, "copy on write")
        let av = a.doubles(), bv = b.doubles(), cv = c.doubles()
        for i in 0..<3 { for j in 0..<5 {
            var s = 0.0
            for p in 0..<4 { s += av[i * 4 + p] * bv[j * 4 + p] }
            XCTAssertEqual(cv[i * 5 + j], 2 * s + 0.5 * c0[i * 5 + j], accuracy: 1e-5)
        } }
        // A column-major output view is replaced by a contiguous result.
        var ct = nnSwapAxes(try NDArray(shape: [5, 3], zeroed: true), 0, 1)
        try gemm(a, transA: false, b, transB: true, alpha: 1, beta: 0, into: &ct)
        for i in 0..<3 { for j in 0..<5 { XCTAssertEqual(ct.doubles()[i * 5 + j], (cv[i * 5 + j] - 0.5 * c0[i * 5 + j]) / 2, accuracy: 1e-5) } }
        var bad = try NDArray(shape: [3, 3], zeroed: true)
        XCTAssertThrowsError(try gemm(a, transA: false, b, transB: true, alpha: 1, beta: 0, into: &bad))
        XCTAssertThrowsError(try gemm(a, transA: false, b, transB: false, alpha: 1, beta: 0, into: &c))
    }

    /// Information only: GFLOP/s through `matmul` vs a direct `cblas_sgemm` call.
    func testTimingInformation() throws {
        let old = TensorRuntime.threads
        defer { try? TensorRuntime.setThreads(old) }
        for threads in [1, 2] {
            try TensorRuntime.setThreads(threads)
            #if DEBUG
            let sizes = [256, 512]
            #else
            let sizes = [256, 512, 1024, 2048]
            #endif
            for n in sizes {
                let a = try nnRandomArray([n, n], seed: 1), b = try nnRandomArray([n, n], seed: 2)
                let c = try NDArray(shape: [n, n])
                let reps = max(1, 200_000_000 / (n * n * n))
                _ = try matmul(a, b)
                var tm = Double.infinity, tb = Double.infinity, tf = Double.infinity
                for _ in 0..<3 {
                    tf = min(tf, try nnSeconds {
                        for _ in 0..<reps {
                            let fresh = try NDArray(shape: [n, n])
                            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n), 1,
                                        a.pointer(as: Float.self), Int32(n), b.pointer(as: Float.self), Int32(n), 0,
                                        fresh.pointer(as: Float.self), Int32(n))
                        }
                    })
                    tm = min(tm, try nnSeconds { for _ in 0..<reps { _ = try matmul(a, b) } })
                    tb = min(tb, nnSeconds {
                        for _ in 0..<reps {
                            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n), 1,
                                        a.pointer(as: Float.self), Int32(n), b.pointer(as: Float.self), Int32(n), 0,
                                        c.pointer(as: Float.self), Int32(n))
                        }
                    })
                }
                let flop = 2.0 * Double(n * n * n) * Double(reps)
                print(String(format: "sgemm n=%d threads=%d: matmul %.1f GFLOP/s, cblas_sgemm %.1f GFLOP/s (ratio %.3f), cblas_sgemm into a fresh output %.1f GFLOP/s",
                             n, threads, flop / tm / 1e9, flop / tb / 1e9, tb / tm, flop / tf / 1e9))
            }
        }
    }
}
