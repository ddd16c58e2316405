import XCTest
import Foundation
@testable import KoanTensor

/// Accuracy of the float32 SIMD kernels (VectorMath.swift) against float64 libm over a
/// dense sweep (every 1e-3 in [-20, 20], plus a log-spaced sweep of magnitudes and the
/// specials), and the float32 paths of the ops that use them.
final class VectorMathTests: XCTestCase {
    /// Inputs: every 1e-3 in [-20, 20], ±(2^-149 ... 2^127) in steps of 2^(1/8), specials.
    private static let inputs: [Float] = {
        var xs: [Float] = []
        for i in -20_000...20_000 { xs.append(Float(Double(i) * 1e-3)) }
        var e = -149.0
        while e < 128 { let v = Float(Foundation.pow(2.0, e)); xs.append(v); xs.append(-v); e += 0.125 }
        xs += [0, -0.0, .infinity, -.infinity, .nan, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
               .leastNonzeroMagnitude, -.leastNonzeroMagnitude, .leastNormalMagnitude, -.leastNormalMagnitude,
               88.72283, 88.72284, -87.33654, -103.97, -104, 0.921875, -0.921875, 0.625, -0.625, 3.9375, 9, -9]
        return xs
    }()

    /// Applies a vector function to `xs` through `vectorMap` (whole vectors and a padded tail).
    private func apply(_ xs: [Float], _ f: (VFloat) -> VFloat) -> [Float] {
        var out = [Float](repeating: 0, count: xs.count)
        xs.withUnsafeBufferPointer { s in
            out.withUnsafeMutableBufferPointer { o in vectorMap(s.baseAddress!, o.baseAddress!, 0..<xs.count, f) }
        }
        return out
    }

    /// Max error in float32 ulps of the reference (subnormal results: ulps of the subnormal
    /// grid) and max absolute error; fails on a NaN/inf/sign mismatch.
    private func measure(_ name: String, _ f: (VFloat) -> VFloat, _ ref: (Double) -> Double,
                         file: StaticString = #filePath, line: UInt = #line) -> (ulp: Double, abs: Double) {
        let xs = Self.inputs
        let ys = apply(xs, f)
        var maxUlp = 0.0, maxAbs = 0.0
        for (x, y) in zip(xs, ys) {
            let r = ref(Double(x))
            let rf = Float(r)
            if r.isNaN || rf.isInfinite || y.isNaN || y.isInfinite {
                XCTAssertTrue(y.isNaN == r.isNaN && (r.isNaN || y == rf), "\(name)(\(x)) = \(y), expected \(r)", file: file, line: line)
                continue
            }
            if r == 0 || y == 0 {
                // sigmoid below −88.7 underflows to 0 (as 1 / (1 + expf(−x)) does)
                XCTAssertLessThanOrEqual(Swift.abs(Double(y) - r), Double(Float.leastNormalMagnitude), "\(name)(\(x))", file: file, line: line)
                if r == 0 { XCTAssertEqual(y.sign, rf.sign, "\(name)(\(x)) sign", file: file, line: line) }
                continue
            }
            let err = Swift.abs(Double(y) - r)
            let ulp = Double(Swift.max(rf.magnitude.ulp, Float.leastNonzeroMagnitude))
            maxUlp = Swift.max(maxUlp, err / ulp)
            maxAbs = Swift.max(maxAbs, err)
        }
        print("VectorMath \(name): max error \(maxUlp) ulp, \(maxAbs) absolute over \(xs.count) inputs")
        return (maxUlp, maxAbs)
    }

    func testExpAccuracy() {
        let e = measure("exp", { vexp($0) }, { Foundation.exp($0) })
        XCTAssertLessThanOrEqual(e.ulp, 1.5)
    }

    func testErfAccuracy() {
        let e = measure("erf", { verf($0) }, { Foundation.erf($0) })
        XCTAssertLessThanOrEqual(e.ulp, 2.5)
        XCTAssertLessThanOrEqual(e.abs, 2e-7)
    }

    func testTanhAccuracy() {
        let e = measure("tanh", { vtanh($0) }, { Foundation.tanh($0) })
        XCTAssertLessThanOrEqual(e.ulp, 2.5)
    }

    func testSigmoidAccuracy() {
        let e = measure("sigmoid", { vsigmoid($0) }, { 1 / (1 + Foundation.exp(-$0)) })
        XCTAssertLessThanOrEqual(e.ulp, 2.5)
    }

    func testSpecials() {
        let xs: [Float] = [.nan, .infinity, -.infinity, 0, -0.0]
        let e = apply(xs, { vexp($0) }), r = apply(xs, { verf($0) }), t = apply(xs, { vtanh($0) })
        XCTAssertTrue(e[0].isNaN && r[0].isNaN && t[0].isNaN)
        XCTAssertEqual(e[1], .infinity); XCTAssertEqual(e[2], 0); XCTAssertEqual(e[3], 1); XCTAssertEqual(e[4], 1)
        XCTAssertEqual(r[1], 1); XCTAssertEqual(r[2], -1); XCTAssertEqual(r[4].sign, .minus)
        XCTAssertEqual(t[1], 1); XCTAssertEqual(t[2], -1); XCTAssertEqual(t[4].sign, .minus)
    }

    /// The float32 ops that use the kernels, against float64 references, and the same
    /// values whatever the thread count (tails are padded vectors, so chunking does not matter).
    func testFloat32OpsAgainstFloat64() throws {
        let n = 40_003
        let values = (0..<n).map { Double($0 - n / 2) * 7e-4 }
        let x32 = try NDArray(values: values, shape: [n], dtype: .float32)
        let x64 = try x32.to(.float64)
        let dy32 = try NDArray(values: values.map { 1 + 0.1 * $0 }, shape: [n], dtype: .float32)
        let dy64 = try dy32.to(.float64)
        let ops: [(String, (NDArray, NDArray) throws -> NDArray, Double)] = [
            ("gelu", { x, _ in try gelu(x) }, 3e-7),
            ("geluTanh", { x, _ in try gelu(x, approximate: true) }, 3e-7),
            ("geluBackward", { x, d in try geluBackward(input: x, gradOutput: d) }, 5e-7),
            ("geluBackwardTanh", { x, d in try geluBackward(input: x, gradOutput: d, approximate: true) }, 1e-6),
            ("silu", { x, _ in try silu(x) }, 3e-7),
            ("siluBackward", { x, d in try siluBackward(input: x, gradOutput: d) }, 1e-6),
            ("exp", { x, _ in try x.unary(.exp) }, 3e-7),
            ("tanh", { x, _ in try x.unary(.tanh) }, 3e-7),
            ("sigmoid", { x, _ in try x.unary(.sigmoid) }, 3e-7),
        ]
        let threads = TensorRuntime.threads
        defer { try? TensorRuntime.setThreads(threads) }
        for (name, f, tol) in ops {
            try TensorRuntime.setThreads(2)
            let y = try f(x32, dy32)
            let ref = try f(x64, dy64).doubles()
            var worst = 0.0
            for (a, b) in zip(y.doubles(), ref) { worst = Swift.max(worst, Swift.abs(a - b) / Swift.max(1, Swift.abs(b))) }
            print("VectorMath op \(name): max error \(worst) (relative above 1, absolute below)")
            XCTAssertLessThanOrEqual(worst, tol, name)
            for t in [1, 3] {
                try TensorRuntime.setThreads(t)
                XCTAssertEqual(try f(x32, dy32).doubles(), y.doubles(), "\(name) with \(t) threads")
            }
        }
    }

    func testBufferCacheReuseAndAccounting() throws {
        let live = TensorRuntime.liveBytes
        do {
            let a = try NDArray(shape: [1 << 20], dtype: .float32)
            XCTAssertEqual(TensorRuntime.liveBytes, live + (4 << 20))
            _ = a
        }
        XCTAssertEqual(TensorRuntime.liveBytes, live)
        XCTAssertGreaterThanOrEqual(BufferCache.cachedBytes, 4 << 20)
        XCTAssertLessThanOrEqual(BufferCache.cachedBytes, BufferCache.maximumCachedBytes)
        let x = try NDArray.randn([300_000], key: RandomKey(seed: 3))
        for _ in 0..<5 {
            let y = try NDArray.binary(.add, x, x)
            XCTAssertEqual(y.doubles()[7], 2 * x.doubles()[7])
        }
        XCTAssertEqual(BufferCache.sizeClass(1 << 20), 1 << 20)
        XCTAssertEqual(BufferCache.sizeClass((1 << 20) + 1), (1 << 20) + (1 << 17))
        XCTAssertGreaterThanOrEqual(BufferCache.sizeClass(40_000_000), 40_000_000)
        XCTAssertLessThanOrEqual(BufferCache.sizeClass(40_000_000), 45_000_000)
        BufferCache.trim()
        XCTAssertEqual(BufferCache.cachedBytes, 0)
    }
}
