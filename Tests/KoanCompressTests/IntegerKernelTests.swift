import XCTest
@testable import KoanTensor

/// The integer kernels on every path this CPU runs: dynamic int8 products identical to the
/// portable path (integers are exact) and independent of the thread count; weight-only
/// products equal to the float product with the dequantised weights.
final class IntegerKernelTests: XCTestCase {
    override func setUp() {
        let paths = IntegerPath.supported.map(\.description).joined(separator: ", ")
        print("integer kernel paths on this CPU: \(paths); default \(IntegerKernels.path)")
    }

    private func random(_ shape: [Int], seed: UInt64, scale: Double = 1) throws -> NDArray {
        try NDArray.randn(shape, key: RandomKey(seed: seed)) * scale
    }

    func testDynamicInt8IsIdenticalOnEveryPathAndThreadCount() throws {
        for (m, k, n) in [(1, 1, 1), (3, 5, 17), (5, 64, 48), (17, 100, 33), (64, 256, 160), (2, 1024, 4096)] {
            let x = try random([m, k], seed: UInt64(m * 7 + k)), w = try random([n, k], seed: UInt64(n + 3), scale: 0.1)
            let b = try random([n], seed: 9)
            let q = try Int8ChannelWeights.quantize(w)
            // Activations 0…127 (reduce_range) and 0…255 (AVX2 then splits each byte).
            for reduceRange in [true, false] {
                let reference = try dynamicQuantizedLinear(x, q, bias: b, reduceRange: reduceRange, path: .portable)
                for path in IntegerPath.supported {
                    for threads in [1, 2] {
                        let before = TensorRuntime.threads
                        try TensorRuntime.setThreads(threads)
                        defer { try? TensorRuntime.setThreads(before) }
                        let y = try dynamicQuantizedLinear(x, q, bias: b, reduceRange: reduceRange, path: path)
                        XCTAssertEqual(y.doubles(), reference.doubles(),
                                       "\(path), \(threads) threads, m \(m) k \(k) n \(n), reduceRange \(reduceRange)")
                    }
                }
                // And the portable result is the exact integer formula.
                let act = try dynamicReference(x, q, bias: b, reduceRange: reduceRange)
                XCTAssertEqual(reference.doubles(), act, "m \(m) k \(k) n \(n), reduceRange \(reduceRange)")
            }
        }
    }

    /// The dynamic Linear from its definition in Swift integers.
    private func dynamicReference(_ x: NDArray, _ q: Int8ChannelWeights, bias: NDArray, reduceRange: Bool) throws -> [Double] {
        let (m, k, n) = (x.shape[0], x.shape[1], q.outFeatures)
        let xs = x.doubles().map(Float.init)
        let a = ActivationQuantization.choose(min: xs.min()!, max: xs.max()!, reduceRange: reduceRange)
        let qa = xs.map { Int32(Swift.min(Float(a.qmax), Swift.max(0, ($0 * (1 / a.scale)).rounded(.toNearestOrEven) + Float(a.zeroPoint)))) }
        let w = q.values.ints().map(Int32.init), s = q.scales.doubles().map(Float.init), bs = bias.doubles().map(Float.init)
        var out: [Double] = []
        for i in 0..<m {
            for j in 0..<n {
                var acc: Int32 = 0, colSum: Int32 = 0
                for t in 0..<k { acc += qa[i * k + t] * w[j * k + t]; colSum += w[j * k + t] }
                let scale = a.scale * s[j]
                // One rounding (fma), as the kernels and fbgemm compute it.
                out.append(Double(bs[j].addingProduct(Float(acc - a.zeroPoint * colSum), scale)))
            }
        }
        return out
    }

    func testWeightOnlyMatchesTheDequantisedProduct() throws {
        for (m, k, n) in [(1, 64, 48), (1, 256, 1000), (3, 96, 17), (7, 1024, 64)] {
            let x = try random([m, k], seed: UInt64(k)), w = try random([n, k], seed: UInt64(n), scale: 0.05)
            let b = try random([n], seed: 4)
            for format in [WeightOnlyWeights.Format.int8, .int4(groupSize: 32)] {
                let q = try WeightOnlyWeights.quantize(w, format)
                let expected = try matmul(x.to(.float64), q.dequantized().to(.float64).transposed()) + b.to(.float64)
                for path in IntegerPath.supported {
                    let y = try weightOnlyLinear(x, q, bias: b, path: path)
                    let err = zip(y.doubles(), expected.doubles()).map { abs($0 - $1) }.max() ?? 0
                    XCTAssertLessThan(err, 1e-4, "\(format) on \(path), m \(m) k \(k) n \(n)")
                }
            }
        }
    }

    func testQuantizationErrorIsBounded() throws {
        let w = try random([32, 64], seed: 1)
        let w4 = try WeightOnlyWeights.quantize(w, .int4(groupSize: 32)), w8 = try WeightOnlyWeights.quantize(w, .int8)
        let d8 = try Int8ChannelWeights.quantize(w)
        let amax = w.doubles().map(abs).max()!
        for (name, dq, step) in [("int4", try w4.dequantized(), amax / 7), ("int8", try w8.dequantized(), amax / 127),
                                 ("int8 dynamic", try d8.dequantized(), amax / 127.5)] {
            let err = zip(dq.doubles(), w.doubles()).map { abs($0 - $1) }.max()!
            XCTAssertLessThanOrEqual(err, step / 2 + 1e-6, name)
        }
        XCTAssertEqual(w4.byteCount, 32 * 32 + 32 * 2 * 4)   // half a byte per weight, a scale per 32
    }

    func testActivationParameters() {
        let a = ActivationQuantization.choose(min: -1, max: 3)
        XCTAssertEqual(a.qmax, 127)
        XCTAssertEqual(Double(a.scale), 4.0 / 127, accuracy: 1e-7)
        XCTAssertEqual(a.zeroPoint, 32)   // 0 − (−1)/(4/127) = 31.75 → 32
        let positive = ActivationQuantization.choose(min: 0.5, max: 2)   // the range always holds 0
        XCTAssertEqual(positive.zeroPoint, 0)
        let zeros = ActivationQuantization.choose(min: 0, max: 0)
        XCTAssertEqual(zeros.scale, 0.1)
    }

    func testBadInputsThrow() throws {
        let q = try Int8ChannelWeights.quantize(try random([4, 8], seed: 1))
        XCTAssertThrowsError(try dynamicQuantizedLinear(try random([2, 7], seed: 2), q, bias: nil))
        let nan = try NDArray(values: [.nan, 1, 2, 3, 4, 5, 6, 7], shape: [1, 8])
        XCTAssertThrowsError(try dynamicQuantizedLinear(nan, q, bias: nil))
        XCTAssertThrowsError(try WeightOnlyWeights.quantize(try random([4, 40], seed: 1), .int4(groupSize: 32)))
    }
}
