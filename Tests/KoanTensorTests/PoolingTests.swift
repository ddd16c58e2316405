import Foundation
import KoanTensor
import XCTest

final class PoolingTests: XCTestCase {
    private func geometry(_ c: GoldenCase) -> (kernel: (Int, Int), stride: (Int, Int)?, padding: (Int, Int)) {
        let k = c.ints("kernel") ?? [1, 1], p = c.ints("padding") ?? [0, 0]
        let s = c.ints("stride")
        return ((k[0], k[1]), s.map { ($0[0], $0[1]) }, (p[0], p[1]))
    }

    func testGoldens() throws {
        let cases = try GoldenFixture.load("nn").filter { $0.op == "maxPool2d" || $0.op == "avgPool2d" }
        XCTAssertGreaterThan(cases.count, 10)
        for c in cases {
            let x = nnInputs(c)
            let (k, s, p) = geometry(c)
            let tol = x[0].dtype == .float64 ? 1e-12 : 1e-6
            if c.op == "maxPool2d" {
                let (y, idx) = try maxPool2d(x[0], kernel: k, stride: s, padding: p)
                assertClose(y, c.outputs[0], rtol: 0, atol: 0, "\(c.name) values")
                XCTAssertEqual(idx.dtype, .int64)
                XCTAssertEqual(idx.ints(), c.outputs[1].ints(), "\(c.name) indices")
                let dx = try maxPool2dBackward(gradOutput: x[1], indices: idx, inputShape: x[0].shape)
                assertClose(dx, c.outputs[2], rtol: tol, atol: tol, "\(c.name) grad")
            } else {
                let y = try avgPool2d(x[0], kernel: k, stride: s, padding: p)
                assertClose(y, c.outputs[0], rtol: tol, atol: tol, "\(c.name) values")
                let dx = try avgPool2dBackward(gradOutput: x[1], inputShape: x[0].shape, kernel: k, stride: s, padding: p)
                assertClose(dx, c.outputs[1], rtol: tol, atol: tol, "\(c.name) grad")
            }
        }
    }

    func testFiniteDifferences() throws {
        for (shape, k, s, p) in [([2, 2, 6, 5], (2, 2), Optional((2, 2)), (0, 0)), ([1, 3, 7, 7], (3, 3), (2, 2), (1, 1)),
                                 ([2, 5, 4], (2, 3), (1, 1), (1, 1))] as [([Int], (Int, Int), (Int, Int)?, (Int, Int))] {
            // Distinct values so the max is unique (finite differences are valid).
            let n = shape.reduce(1, *)
            let vals = (0..<n).map { Double(($0 * 7919) % n) / Double(n) + 0.01 * nnRandom(1, seed: UInt64($0))[0] / Double(n) }
            let x = try nnArray(vals, shape, .float64)
            let (y, idx) = try maxPool2d(x, kernel: k, stride: s, padding: p)
            let dy = try nnRandomArray(y.shape, seed: 5, .float64)
            let dxm = try maxPool2dBackward(gradOutput: dy, indices: idx, inputShape: shape)
            let nm = try nnNumericGrad(x, dy: dy, h: 1e-7) { try maxPool2d($0, kernel: k, stride: s, padding: p).values }
            XCTAssertLessThan(nnRelativeError(dxm.doubles(), nm), 1e-4, "max \(shape)")
            let ya = try avgPool2d(x, kernel: k, stride: s, padding: p)
            let dya = try nnRandomArray(ya.shape, seed: 6, .float64)
            let dxa = try avgPool2dBackward(gradOutput: dya, inputShape: shape, kernel: k, stride: s, padding: p)
            let na = try nnNumericGrad(x, dy: dya) { try avgPool2d($0, kernel: k, stride: s, padding: p) }
            XCTAssertLessThan(nnRelativeError(dxa.doubles(), na), 1e-4, "avg \(shape)")
        }
    }

    /// The 2×2 stride-2 fast path against plain loops with the generic rule, including NaN
    /// (the last NaN of a window wins), −∞ and ties (the first maximum wins).
    func testTwoByTwoFastPath() throws {
        let vals: [Double] = [1, 3, 3, 2, .nan, 0, -.infinity, -.infinity, 5, .nan, .nan, 1, 2, 2, 2, 2,
                              -1, -2, -3, -4, 7, 7, 8, 8, 0, 0, 0, 0, 9, 9, 9, 9, 4, 4, 4, 4]
        let x = try nnArray(vals, [1, 1, 6, 6], .float32)
        let (y, idx) = try maxPool2d(x, kernel: (2, 2), stride: nil)
        var expectValues: [Double] = [], expectIndex: [Int64] = []
        for oh in 0..<3 {
            for ow in 0..<3 {
                var best = -Double.infinity, at = 2 * oh * 6 + 2 * ow
                for i in 0..<2 {
                    for j in 0..<2 {
                        let k = (2 * oh + i) * 6 + 2 * ow + j
                        if vals[k] > best || vals[k].isNaN { best = vals[k]; at = k }
                    }
                }
                expectValues.append(best)
                expectIndex.append(Int64(at))
            }
        }
        XCTAssertEqual(idx.ints(), expectIndex)
        for (a, b) in zip(y.doubles(), expectValues) {
            XCTAssertTrue(a == b || (a.isNaN && b.isNaN), "\(a) vs \(b)")
        }
        // Odd sizes drop the last row and column, as torch.
        let (yo, io) = try maxPool2d(try nnArray((0..<35).map(Double.init), [1, 5, 7], .float64), kernel: (2, 2), stride: (2, 2))
        XCTAssertEqual(yo.shape, [1, 2, 3])
        XCTAssertEqual(yo.doubles(), [8, 10, 12, 22, 24, 26])
        XCTAssertEqual(io.ints(), [8, 10, 12, 22, 24, 26])
    }

    func testBadInputs() throws {
        let x = try NDArray(shape: [1, 2, 4, 4], zeroed: true)
        func expectError(_ body: @autoclosure () throws -> Any, _ needle: String, line: UInt = #line) {
            XCTAssertThrowsError(try body(), line: line) { e in
                XCTAssertTrue("\(e)".contains(needle), "\(e) does not mention \(needle)", line: line)
            }
        }
        expectError(try maxPool2d(try NDArray(shape: [4, 4], zeroed: true), kernel: (2, 2), stride: nil), "maxPool2d: expected a 4-D input")
        expectError(try avgPool2d(x, kernel: (5, 5), stride: nil), "avgPool2d: the kernel (5×5) is larger than the padded input (4×4)")
        expectError(try maxPool2d(x, kernel: (2, 2), stride: nil, padding: (2, 2)), "at most half")
        expectError(try maxPool2d(x, kernel: (0, 2), stride: nil), "kernel size must be positive")
        expectError(try maxPool2d(x, kernel: (2, 2), stride: (0, 1)), "stride must be positive")
        expectError(try maxPool2d(try NDArray(shape: [1, 1, 4, 4], dtype: .int32, zeroed: true), kernel: (2, 2), stride: nil), "int32")
        let (y, idx) = try maxPool2d(x, kernel: (2, 2), stride: nil)
        expectError(try maxPool2dBackward(gradOutput: y, indices: idx, inputShape: [1, 3, 4, 4]), "maxPool2dBackward")
        let badIdx = try nnArray([0, 1, 2, 99, 0, 0, 0, 0], [1, 2, 2, 2], .int64)
        expectError(try maxPool2dBackward(gradOutput: y, indices: badIdx, inputShape: [1, 2, 4, 4]), "index 99 is out of range")
        expectError(try avgPool2dBackward(gradOutput: y, inputShape: [1, 2, 6, 6], kernel: (2, 2), stride: nil, padding: (0, 0)), "avgPool2dBackward")
    }
}
