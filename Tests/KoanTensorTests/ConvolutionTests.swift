import Foundation
import KoanTensor
import XCTest

final class ConvolutionTests: XCTestCase {
    private func options(_ c: GoldenCase) -> Conv2dOptions {
        let s = c.ints("stride") ?? [1, 1], p = c.ints("padding") ?? [0, 0], d = c.ints("dilation") ?? [1, 1]
        return Conv2dOptions(stride: (s[0], s[1]), padding: (p[0], p[1]), dilation: (d[0], d[1]), groups: c.int("groups") ?? 1)
    }

    func testGoldensForwardAndBackward() throws {
        let cases = try GoldenFixture.load("nn").filter { $0.op == "conv2d" }
        XCTAssertGreaterThan(cases.count, 10)
        for c in cases {
            let x = nnInputs(c)
            let o = options(c)
            let hasBias = c.bool("hasBias") ?? false
            let tol = x[0].dtype == .float64 ? 1e-10 : 2e-5
            let y = try conv2d(x[0], x[1], bias: hasBias ? x[2] : nil, o)
            assertClose(y, c.outputs[0], rtol: tol, atol: tol, "\(c.name) forward")
            let g = try conv2dBackward(gradOutput: x[3], input: x[0], weight: x[1], hasBias: hasBias, o)
            assertClose(g.input, c.outputs[1], rtol: tol, atol: tol, "\(c.name) grad input")
            assertClose(g.weight, c.outputs[2], rtol: tol, atol: 10 * tol, "\(c.name) grad weight")
            if hasBias, let db = g.bias {
                assertClose(db, c.outputs[3], rtol: tol, atol: 10 * tol, "\(c.name) grad bias")
            } else {
                XCTAssertEqual(hasBias, g.bias != nil, c.name)
            }
        }
    }

    /// Direct 7-loop convolution in float64.
    private func reference(_ x: NDArray, _ w: NDArray, _ b: NDArray?, _ o: Conv2dOptions) -> [Double] {
        let (N, C, H, W) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (O, Cg, kh, kw) = (w.shape[0], w.shape[1], w.shape[2], w.shape[3])
        let OH = (H + 2 * o.padding.0 - o.dilation.0 * (kh - 1) - 1) / o.stride.0 + 1
        let OW = (W + 2 * o.padding.1 - o.dilation.1 * (kw - 1) - 1) / o.stride.1 + 1
        let xv = x.doubles(), wv = w.doubles(), bv = b?.doubles()
        let Og = O / o.groups
        var out = [Double]()
        for n in 0..<N { for oc in 0..<O { for oh in 0..<OH { for ow in 0..<OW {
            var s = bv?[oc] ?? 0
            let g = oc / Og
            for c in 0..<Cg { for i in 0..<kh { for j in 0..<kw {
                let ih = oh * o.stride.0 - o.padding.0 + i * o.dilation.0
                let iw = ow * o.stride.1 - o.padding.1 + j * o.dilation.1
                if ih < 0 || ih >= H || iw < 0 || iw >= W { continue }
                s += xv[((n * C + g * Cg + c) * H + ih) * W + iw] * wv[((oc * Cg + c) * kh + i) * kw + j]
            } } }
            out.append(s)
        } } } }
        _ = C
        return out
    }

    func testAgainstLoopsAndFiniteDifferences() throws {
        let configs: [([Int], [Int], Conv2dOptions)] = [
            ([2, 4, 7, 6], [6, 2, 3, 2], Conv2dOptions(stride: (2, 1), padding: (1, 1), dilation: (1, 2), groups: 2)),
            ([1, 3, 5, 5], [2, 3, 1, 1], Conv2dOptions()),
            ([3, 2, 6, 6], [4, 2, 3, 3], Conv2dOptions(padding: (1, 1))),
            ([1, 1, 5, 4], [2, 1, 2, 3], Conv2dOptions(stride: (3, 2), padding: (1, 1))),
            // Stride-1 fast paths: same width (flat shifted copies), dilated, grouped, uneven
            // padding, a padding larger than the kernel (col2im fallback), tiny images.
            ([2, 3, 5, 7], [4, 3, 3, 3], Conv2dOptions(padding: (0, 1))),
            ([2, 4, 6, 6], [4, 2, 3, 3], Conv2dOptions(padding: (2, 2), dilation: (2, 2), groups: 2)),
            ([1, 2, 4, 5], [3, 2, 5, 3], Conv2dOptions(padding: (2, 1))),
            ([2, 2, 3, 3], [2, 2, 2, 2], Conv2dOptions(padding: (3, 2))),
            ([3, 2, 1, 1], [2, 2, 3, 3], Conv2dOptions(padding: (1, 1))),
            ([2, 3, 2, 9], [2, 3, 1, 3], Conv2dOptions(padding: (1, 1))),
        ]
        for (i, (xs, ws, o)) in configs.enumerated() {
            let x = try nnRandomArray(xs, seed: UInt64(10 + i), .float64)
            let w = try nnRandomArray(ws, seed: UInt64(20 + i), .float64)
            let b = try nnRandomArray([ws[0]], seed: UInt64(30 + i), .float64)
            let y = try conv2d(x, w, bias: b, o)
            let ref = reference(x, w, b, o)
            XCTAssertLessThan(nnRelativeError(y.doubles(), ref), 1e-12, "config \(i)")
            let y32 = try conv2d(x.to(.float32), w.to(.float32), bias: b.to(.float32), o)
            XCTAssertEqual(y32.dtype, .float32)
            XCTAssertLessThan(nnRelativeError(y32.doubles(), ref), 1e-5, "config \(i) f32")
            // Backward vs central differences of sum(conv(x) · dy).
            let dy = try nnRandomArray(y.shape, seed: UInt64(40 + i), .float64)
            let g = try conv2dBackward(gradOutput: dy, input: x, weight: w, hasBias: true, o)
            let nx = try nnNumericGrad(x, dy: dy) { try conv2d($0, w, bias: b, o) }
            let nw = try nnNumericGrad(w, dy: dy) { try conv2d(x, $0, bias: b, o) }
            let nb = try nnNumericGrad(b, dy: dy) { try conv2d(x, w, bias: $0, o) }
            XCTAssertLessThan(nnRelativeError(g.input.doubles(), nx), 1e-4, "config \(i) dx")
            XCTAssertLessThan(nnRelativeError(g.weight.doubles(), nw), 1e-4, "config \(i) dw")
            XCTAssertLessThan(nnRelativeError(g.bias?.doubles() ?? [], nb), 1e-4, "config \(i) db")
        }
    }

    /// Batches above one GEMM chunk, with and without bias, match the direct loops; the
    /// gradients asked for alone equal the full backward.
    func testChunkedBatchesAndSelectedGradients() throws {
        for (xs, ws) in [([40, 3, 8, 8], [5, 3, 3, 3]), ([5, 2, 30, 30], [3, 2, 3, 3])] {
            let x = try nnRandomArray(xs, seed: 50, .float64), w = try nnRandomArray(ws, seed: 51, .float64)
            let b = try nnRandomArray([ws[0]], seed: 52, .float64)
            let o = Conv2dOptions(padding: (1, 1))
            for bias in [b, nil] {
                let y = try conv2d(x, w, bias: bias, o)
                XCTAssertLessThan(nnRelativeError(y.doubles(), reference(x, w, bias, o)), 1e-12, "\(xs)")
            }
            let dy = try nnRandomArray([xs[0], ws[0], xs[2], xs[3]], seed: 53, .float64)
            let full = try conv2dBackward(gradOutput: dy, input: x, weight: w, hasBias: true, o)
            let onlyW = try conv2dBackward(gradOutput: dy, input: x, weight: w, hasBias: false, inputGradient: false, weightGradient: true, o)
            XCTAssertNil(onlyW.input)
            XCTAssertNil(onlyW.bias)
            XCTAssertEqual(onlyW.weight?.doubles(), full.weight.doubles())
            let onlyX = try conv2dBackward(gradOutput: dy, input: x, weight: w, hasBias: true, inputGradient: true, weightGradient: false, o)
            XCTAssertNil(onlyX.weight)
            XCTAssertEqual(onlyX.input?.doubles(), full.input.doubles())
            XCTAssertEqual(onlyX.bias?.doubles(), full.bias?.doubles())
            // Adjoint identities: ⟨conv(x, w), dy⟩ = ⟨x, dx⟩ = ⟨w, dw⟩ (conv is linear in each).
            func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
            let inner = dot(try conv2d(x, w, bias: nil, o).doubles(), dy.doubles())
            XCTAssertEqual(dot(x.doubles(), full.input.doubles()), inner, accuracy: 1e-9 * abs(inner), "\(xs) dx")
            XCTAssertEqual(dot(w.doubles(), full.weight.doubles()), inner, accuracy: 1e-9 * abs(inner), "\(xs) dw")
        }
    }

    func testResultDoesNotDependOnThreads() throws {
        let x = try nnRandomArray([4, 8, 20, 20], seed: 1), w = try nnRandomArray([16, 8, 3, 3], seed: 2)
        let dy = try nnRandomArray([4, 16, 20, 20], seed: 3)
        let o = Conv2dOptions(padding: (1, 1))
        let old = TensorRuntime.threads
        defer { try? TensorRuntime.setThreads(old) }
        try TensorRuntime.setThreads(1)
        let y1 = try conv2d(x, w, bias: nil, o), g1 = try conv2dBackward(gradOutput: dy, input: x, weight: w, hasBias: true, o)
        try TensorRuntime.setThreads(2)
        let y2 = try conv2d(x, w, bias: nil, o), g2 = try conv2dBackward(gradOutput: dy, input: x, weight: w, hasBias: true, o)
        XCTAssertLessThan(nnRelativeError(y1.doubles(), y2.doubles()), 1e-6)
        // Koan's own loops are thread-count independent; OpenBLAS may round differently with more threads.
        XCTAssertLessThan(nnRelativeError(g1.input.doubles(), g2.input.doubles()), 1e-6)
        XCTAssertEqual(g1.bias?.doubles(), g2.bias?.doubles())
        XCTAssertLessThan(nnRelativeError(g1.weight.doubles(), g2.weight.doubles()), 1e-6)
    }

    func testBadInputs() throws {
        let x = try NDArray(shape: [2, 4, 5, 5], zeroed: true)
        func expectError(_ body: @autoclosure () throws -> Any, _ needle: String, line: UInt = #line) {
            XCTAssertThrowsError(try body(), line: line) { e in
                XCTAssertTrue("\(e)".contains(needle), "\(e) does not mention \(needle)", line: line)
                XCTAssertTrue("\(e)".hasPrefix("conv2d"), "\(e)", line: line)
            }
        }
        expectError(try conv2d(try NDArray(shape: [4, 5], zeroed: true), try NDArray(shape: [2, 4, 3, 3], zeroed: true), bias: nil, Conv2dOptions()), "[4, 5]")
        expectError(try conv2d(x, try NDArray(shape: [2, 4, 3], zeroed: true), bias: nil, Conv2dOptions()), "[2, 4, 3]")
        expectError(try conv2d(x, try NDArray(shape: [2, 3, 3, 3], zeroed: true), bias: nil, Conv2dOptions()), "4 channels")
        expectError(try conv2d(x, try NDArray(shape: [3, 2, 3, 3], zeroed: true), bias: nil, Conv2dOptions(groups: 2)), "divisible")
        expectError(try conv2d(x, try NDArray(shape: [2, 4, 6, 6], zeroed: true), bias: nil, Conv2dOptions()), "larger than the padded input")
        expectError(try conv2d(x, try NDArray(shape: [2, 4, 3, 3], zeroed: true), bias: nil, Conv2dOptions(dilation: (3, 3))), "larger")
        expectError(try conv2d(x, try NDArray(shape: [2, 4, 3, 3], zeroed: true), bias: try NDArray(shape: [3], zeroed: true), Conv2dOptions()), "[3]")
        expectError(try conv2d(x, try NDArray(shape: [2, 4, 3, 3], zeroed: true), bias: nil, Conv2dOptions(stride: (0, 1))), "stride")
        expectError(try conv2d(x, try NDArray(shape: [2, 4, 3, 3], zeroed: true), bias: nil, Conv2dOptions(padding: (-1, 0))), "padding")
        expectError(try conv2d(x, try NDArray(shape: [2, 4, 3, 3], zeroed: true), bias: nil, Conv2dOptions(groups: 0)), "groups")
        expectError(try conv2d(try NDArray(shape: [2, 4, 5, 5], dtype: .int64, zeroed: true), try NDArray(shape: [2, 4, 3, 3], zeroed: true), bias: nil, Conv2dOptions()), "int64")
        expectError(try conv2dBackward(gradOutput: try NDArray(shape: [2, 2, 2, 2], zeroed: true), input: x,
                                       weight: try NDArray(shape: [2, 4, 3, 3], zeroed: true), hasBias: false, Conv2dOptions()), "[2, 2, 3, 3]")
    }

    func testEmptyBatchAndHalf() throws {
        let y = try conv2d(try NDArray(shape: [0, 2, 4, 4], zeroed: true), try nnRandomArray([3, 2, 3, 3], seed: 1), bias: nil, Conv2dOptions())
        XCTAssertEqual(y.shape, [0, 3, 2, 2])
        let g = try conv2dBackward(gradOutput: y, input: try NDArray(shape: [0, 2, 4, 4], zeroed: true),
                                   weight: try nnRandomArray([3, 2, 3, 3], seed: 1), hasBias: true, Conv2dOptions())
        XCTAssertEqual(g.weight.doubles(), [Double](repeating: 0, count: 54))
        let xh = try nnRandomArray([1, 2, 5, 5], seed: 2).to(.bfloat16), wh = try nnRandomArray([2, 2, 3, 3], seed: 3).to(.bfloat16)
        let yh = try conv2d(xh, wh, bias: nil, Conv2dOptions())
        XCTAssertEqual(yh.dtype, .bfloat16)
        let ref = try conv2d(xh.to(.float32), wh.to(.float32), bias: nil, Conv2dOptions()).to(.bfloat16)
        XCTAssertEqual(yh.doubles(), ref.doubles())
    }

    /// Information only: the two reference convolution sizes.
    func testTimingInformation() throws {
        for (xs, ws) in [([64, 1, 8, 8], [16, 1, 3, 3]), ([32, 64, 32, 32], [64, 64, 3, 3])] {
            let x = try nnRandomArray(xs, seed: 1), w = try nnRandomArray(ws, seed: 2), b = try nnRandomArray([ws[0]], seed: 3)
            let pad = xs[2] > 8 ? 1 : 0
            let o = Conv2dOptions(padding: (pad, pad))
            let y = try conv2d(x, w, bias: b, o)
            var tf = Double.infinity, tb = Double.infinity
            for _ in 0..<3 {
                tf = min(tf, try nnSeconds { _ = try conv2d(x, w, bias: b, o) })
                tb = min(tb, try nnSeconds { _ = try conv2dBackward(gradOutput: y, input: x, weight: w, hasBias: true, o) })
            }
            print(String(format: "conv2d %@ * %@ pad %d (threads %d): forward %.3f ms, backward %.3f ms",
                         "\(xs)", "\(ws)", pad, TensorRuntime.threads, tf * 1e3, tb * 1e3))
        }
    }
}
