import Foundation
import KoanTensor
import XCTest

/// Flat row-major indices of every lane along `axis`.
private func lanes(_ shape: [Int], axis: Int) -> [[Int]] {
    let a = axis < 0 ? axis + shape.count : axis
    let outer = shape[..<a].reduce(1, *), len = shape[a], inner = shape[(a + 1)...].reduce(1, *)
    var out = [[Int]]()
    for o in 0..<outer { for i in 0..<inner { out.append((0..<len).map { o * len * inner + $0 * inner + i }) } }
    return out
}

private func refSoftmax(_ x: [Double], _ shape: [Int], axis: Int, log: Bool) -> [Double] {
    var y = x
    for lane in lanes(shape, axis: axis) {
        let m = lane.map { x[$0] }.max() ?? 0
        let s = lane.reduce(0.0) { $0 + Foundation.exp(x[$1] - m) }
        for i in lane { y[i] = log ? x[i] - m - Foundation.log(s) : Foundation.exp(x[i] - m) / s }
    }
    return y
}

/// Backward through the explicit Jacobian: dx_i = Σ_j dy_j ∂y_j/∂x_i.
private func refSoftmaxBackward(_ x: [Double], _ dy: [Double], _ shape: [Int], axis: Int, log: Bool) -> [Double] {
    let p = refSoftmax(x, shape, axis: axis, log: false)
    var dx = x
    for lane in lanes(shape, axis: axis) {
        for i in lane {
            var s = 0.0
            for j in lane {
                let delta = i == j ? 1.0 : 0.0
                s += dy[j] * (log ? delta - p[i] : p[j] * (delta - p[i]))
            }
            dx[i] = s
        }
    }
    return dx
}

private func refGelu(_ x: Double, _ approximate: Bool) -> Double {
    approximate ? 0.5 * x * (1 + Foundation.tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x)))
        : 0.5 * x * (1 + Foundation.erf(x / 2.0.squareRoot()))
}

final class FusedTests: XCTestCase {
    func testGoldens() throws {
        let cases = try GoldenFixture.load("nn").filter {
            ["softmax", "logSoftmax", "gelu", "silu", "layerNorm", "crossEntropy"].contains($0.op)
        }
        XCTAssertGreaterThan(cases.count, 40)
        for c in cases {
            let x = nnInputs(c)
            let tol = x[0].dtype == .float64 ? 1e-10 : 2e-5
            switch c.op {
            case "softmax", "logSoftmax":
                let axis = c.int("axis") ?? -1
                let log = c.op == "logSoftmax"
                let y = log ? try logSoftmax(x[0], axis: axis) : try softmax(x[0], axis: axis)
                assertClose(y, c.outputs[0], rtol: tol, atol: tol, "\(c.name) forward")
                let dx = log ? try logSoftmaxBackward(output: y, gradOutput: x[1], axis: axis)
                    : try softmaxBackward(output: y, gradOutput: x[1], axis: axis)
                assertClose(dx, c.outputs[1], rtol: tol, atol: tol, "\(c.name) backward")
            case "gelu":
                let approx = c.bool("approximate") ?? false
                assertClose(try gelu(x[0], approximate: approx), c.outputs[0], rtol: tol, atol: tol, "\(c.name) forward")
                assertClose(try geluBackward(input: x[0], gradOutput: x[1], approximate: approx), c.outputs[1],
                            rtol: tol, atol: tol, "\(c.name) backward")
            case "silu":
                assertClose(try silu(x[0]), c.outputs[0], rtol: tol, atol: tol, "\(c.name) forward")
                assertClose(try siluBackward(input: x[0], gradOutput: x[1]), c.outputs[1], rtol: tol, atol: tol, "\(c.name) backward")
            case "layerNorm":
                let n = c.int("normalizedCount") ?? 1
                let w = (c.bool("hasWeight") ?? false) ? x[1] : nil, b = (c.bool("hasBias") ?? false) ? x[2] : nil
                let (y, mean, rstd) = try layerNorm(x[0], normalizedCount: n, weight: w, bias: b, eps: c.double("eps") ?? 1e-5)
                assertClose(y, c.outputs[0], rtol: tol, atol: tol, "\(c.name) forward")
                assertClose(mean, c.outputs[1], rtol: tol, atol: tol, "\(c.name) mean")
                assertClose(rstd, c.outputs[2], rtol: tol, atol: tol, "\(c.name) rstd")
                let g = try layerNormBackward(gradOutput: x[3], input: x[0], mean: mean, rstd: rstd, weight: w, normalizedCount: n)
                assertClose(g.input, c.outputs[3], rtol: tol, atol: tol, "\(c.name) grad input")
                if let dw = g.weight { assertClose(dw, c.outputs[4], rtol: tol, atol: tol, "\(c.name) grad weight") }
                XCTAssertEqual(g.weight == nil, w == nil, c.name)
                if let db = g.bias { assertClose(db, c.outputs[5], rtol: tol, atol: tol, "\(c.name) grad bias") }
            case "crossEntropy":
                let (loss, p) = try crossEntropyForward(logits: x[0], targets: x[1])
                let expected = try c.outputs[0].item()
                XCTAssertEqual(loss, expected, accuracy: (x[0].dtype == .float64 ? 1e-12 : 1e-5) * max(1, abs(expected)), c.name)
                assertClose(p, c.outputs[1], rtol: tol, atol: tol, "\(c.name) probabilities")
            default:
                XCTFail("unexpected op \(c.op)")
            }
        }
    }

    func testSoftmaxAgainstLoopsAndFiniteDifferences() throws {
        for (shape, axis) in [([3, 5], -1), ([3, 5], 0), ([2, 3, 4], 1), ([2, 70, 3], 1), ([4, 3, 130], 1), ([6], 0)] {
            let x = try nnRandomArray(shape, seed: UInt64(shape.count * 10 + axis + 5), .float64, scale: 4)
            let dy = try nnRandomArray(shape, seed: 99, .float64)
            for log in [false, true] {
                let y = log ? try logSoftmax(x, axis: axis) : try softmax(x, axis: axis)
                let ref = refSoftmax(x.doubles(), shape, axis: axis, log: log)
                XCTAssertLessThan(nnRelativeError(y.doubles(), ref), 1e-13, "\(shape) axis \(axis) log \(log)")
                let y32 = log ? try logSoftmax(x.to(.float32), axis: axis) : try softmax(x.to(.float32), axis: axis)
                XCTAssertLessThan(nnRelativeError(y32.doubles(), ref), 1e-6)
                let dx = log ? try logSoftmaxBackward(output: y, gradOutput: dy, axis: axis)
                    : try softmaxBackward(output: y, gradOutput: dy, axis: axis)
                let jac = refSoftmaxBackward(x.doubles(), dy.doubles(), shape, axis: axis, log: log)
                XCTAssertLessThan(nnRelativeError(dx.doubles(), jac), 1e-12, "\(shape) axis \(axis) log \(log) backward")
                if shape.reduce(1, *) <= 64 {
                    let num = try nnNumericGrad(x, dy: dy) { log ? try logSoftmax($0, axis: axis) : try softmax($0, axis: axis) }
                    XCTAssertLessThan(nnRelativeError(dx.doubles(), num), 1e-4, "\(shape) axis \(axis) log \(log) FD")
                }
            }
        }
        // Non-contiguous input: a transposed view gives the same as its contiguous copy.
        let t = nnSwapAxes(try nnRandomArray([7, 9], seed: 3), 0, 1)
        XCTAssertEqual(try softmax(t, axis: 1).doubles(), try softmax(t.contiguousCopy(), axis: 1).doubles())
        // Rank 0, half precision, ints, errors.
        XCTAssertEqual(try softmax(nnArray([3], [], .float32), axis: 0).doubles(), [1])
        let h = try softmax(nnArray([1, 2, 3], [3], .bfloat16), axis: 0)
        XCTAssertEqual(h.dtype, .bfloat16)
        XCTAssertEqual(try softmax(nnArray([1, 2, 3], [3], .int64), axis: 0).dtype, .float32)
        XCTAssertThrowsError(try softmax(nnArray([1, 2], [2]), axis: 1)) { e in
            XCTAssertEqual(e as? TensorError, .axisOutOfRange(axis: 1, rank: 1))
        }
        XCTAssertThrowsError(try softmaxBackward(output: nnArray([1, 2], [2]), gradOutput: nnArray([1], [1]), axis: 0))
    }

    func testLayerNormAgainstLoopsAndFiniteDifferences() throws {
        let shape = [3, 2, 5], n = 10, eps = 1e-5
        let x = try nnRandomArray(shape, seed: 1, .float64, scale: 3)
        let w = try nnRandomArray([2, 5], seed: 2, .float64), b = try nnRandomArray([2, 5], seed: 3, .float64)
        let dy = try nnRandomArray(shape, seed: 4, .float64)
        let (y, mean, rstd) = try layerNorm(x, normalizedCount: n, weight: w, bias: b, eps: eps)
        XCTAssertEqual(mean.shape, [3, 1, 1])
        let xv = x.doubles(), wv = w.doubles(), bv = b.doubles(), dyv = dy.doubles()
        var ref = [Double](), refDx = [Double](), refDw = [Double](repeating: 0, count: n), refDb = [Double](repeating: 0, count: n)
        for r in 0..<3 {
            let row = Array(xv[r * n..<(r + 1) * n])
            let mu = row.reduce(0, +) / Double(n)
            let v = row.reduce(0) { $0 + ($1 - mu) * ($1 - mu) } / Double(n)
            let rs = 1 / (v + eps).squareRoot()
            XCTAssertEqual(mean.doubles()[r], mu, accuracy: 1e-14)
            XCTAssertEqual(rstd.doubles()[r], rs, accuracy: 1e-10)
            let xhat = row.map { ($0 - mu) * rs }
            let g = (0..<n).map { dyv[r * n + $0] * wv[$0] }
            let sg = g.reduce(0, +), sgx = zip(g, xhat).reduce(0) { $0 + $1.0 * $1.1 }
            for j in 0..<n {
                ref.append(xhat[j] * wv[j] + bv[j])
                refDx.append(rs / Double(n) * (Double(n) * g[j] - sg - xhat[j] * sgx))
                refDw[j] += dyv[r * n + j] * xhat[j]
                refDb[j] += dyv[r * n + j]
            }
        }
        XCTAssertLessThan(nnRelativeError(y.doubles(), ref), 1e-13)
        let gr = try layerNormBackward(gradOutput: dy, input: x, mean: mean, rstd: rstd, weight: w, normalizedCount: n)
        XCTAssertLessThan(nnRelativeError(gr.input.doubles(), refDx), 1e-12)
        XCTAssertLessThan(nnRelativeError(gr.weight?.doubles() ?? [], refDw), 1e-12)
        XCTAssertLessThan(nnRelativeError(gr.bias?.doubles() ?? [], refDb), 1e-12)
        XCTAssertEqual(gr.weight?.shape, [2, 5])
        let nx = try nnNumericGrad(x, dy: dy) { try layerNorm($0, normalizedCount: n, weight: w, bias: b, eps: eps).output }
        let nw = try nnNumericGrad(w, dy: dy) { try layerNorm(x, normalizedCount: n, weight: $0, bias: b, eps: eps).output }
        let nb = try nnNumericGrad(b, dy: dy) { try layerNorm(x, normalizedCount: n, weight: w, bias: $0, eps: eps).output }
        XCTAssertLessThan(nnRelativeError(gr.input.doubles(), nx), 1e-4)
        XCTAssertLessThan(nnRelativeError(gr.weight?.doubles() ?? [], nw), 1e-4)
        XCTAssertLessThan(nnRelativeError(gr.bias?.doubles() ?? [], nb), 1e-4)
        // Without affine parameters; float32 follows the float64 result.
        let plain = try layerNorm(x, normalizedCount: 5, weight: nil, bias: nil, eps: eps)
        XCTAssertEqual(plain.mean.shape, [3, 2, 1])
        let g0 = try layerNormBackward(gradOutput: dy, input: x, mean: plain.mean, rstd: plain.rstd, weight: nil, normalizedCount: 5)
        XCTAssertNil(g0.weight)
        XCTAssertEqual(g0.bias?.shape, [5])
        let n0 = try nnNumericGrad(x, dy: dy) { try layerNorm($0, normalizedCount: 5, weight: nil, bias: nil, eps: eps).output }
        XCTAssertLessThan(nnRelativeError(g0.input.doubles(), n0), 1e-4)
        let y32 = try layerNorm(x.to(.float32), normalizedCount: n, weight: w.to(.float32), bias: b.to(.float32), eps: eps).output
        XCTAssertLessThan(nnRelativeError(y32.doubles(), ref), 1e-6)
        // Errors.
        XCTAssertThrowsError(try layerNorm(x, normalizedCount: 4, weight: nil, bias: nil, eps: eps)) { e in
            XCTAssertTrue("\(e)".hasPrefix("layerNorm: normalizedCount 4"), "\(e)")
        }
        XCTAssertThrowsError(try layerNorm(x, normalizedCount: 5, weight: w, bias: nil, eps: eps)) { e in
            XCTAssertTrue("\(e)".hasPrefix("layerNorm:"), "\(e)")
        }
        XCTAssertThrowsError(try layerNormBackward(gradOutput: dy, input: x, mean: rstd, rstd: plain.rstd, weight: nil, normalizedCount: 5))
    }

    func testGeluSiluAgainstLoopsAndFiniteDifferences() throws {
        let x = try nnRandomArray([4, 6], seed: 7, .float64, scale: 5), dy = try nnRandomArray([4, 6], seed: 8, .float64)
        let xv = x.doubles()
        for approx in [false, true] {
            let y = try gelu(x, approximate: approx)
            XCTAssertLessThan(nnRelativeError(y.doubles(), xv.map { refGelu($0, approx) }), 1e-14)
            let dx = try geluBackward(input: x, gradOutput: dy, approximate: approx)
            let num = try nnNumericGrad(x, dy: dy) { try gelu($0, approximate: approx) }
            XCTAssertLessThan(nnRelativeError(dx.doubles(), num), 1e-4, "approximate \(approx)")
            let y32 = try gelu(x.to(.float32), approximate: approx)
            XCTAssertLessThan(nnRelativeError(y32.doubles(), y.doubles()), 1e-6)
        }
        let ys = try silu(x)
        XCTAssertLessThan(nnRelativeError(ys.doubles(), xv.map { $0 / (1 + Foundation.exp(-$0)) }), 1e-14)
        let dxs = try siluBackward(input: x, gradOutput: dy)
        let nums = try nnNumericGrad(x, dy: dy) { try silu($0) }
        XCTAssertLessThan(nnRelativeError(dxs.doubles(), nums), 1e-4)
        // Non-contiguous input, mismatched gradient.
        let t = nnSwapAxes(x, 0, 1)
        XCTAssertEqual(try gelu(t).doubles(), try gelu(t.contiguousCopy()).doubles())
        XCTAssertThrowsError(try geluBackward(input: x, gradOutput: t)) { e in
            XCTAssertTrue("\(e)".hasPrefix("geluBackward:"), "\(e)")
        }
    }

    /// reluBackward: dy where x > 0, zero at 0, below 0 and at NaN, even when dy is not finite;
    /// float32 covers the vector body and its tail.
    func testReluBackward() throws {
        let xs: [Double] = [1, -1, 0, .nan, 2, -0.0, 3, -5] + (0..<13).map { Double($0 % 3) - 1 }
        let dys: [Double] = [.infinity, .nan, 5, 6, -7, 8, .nan, .infinity] + (0..<13).map { Double($0) }
        let expect = zip(xs, dys).map { $0 > 0 ? $1 : 0 }
        for dtype in [DType.float32, .float64] {
            let dx = try reluBackward(input: try nnArray(xs, [3, 7], dtype), gradOutput: try nnArray(dys, [3, 7], dtype))
            XCTAssertEqual(dx.dtype, dtype)
            XCTAssertEqual(dx.shape, [3, 7])
            for (a, b) in zip(dx.doubles(), expect) { XCTAssertTrue(a == b || (a.isNaN && b.isNaN), "\(dtype): \(a) vs \(b)") }
        }
        XCTAssertThrowsError(try reluBackward(input: try nnArray(xs, [3, 7]), gradOutput: try nnArray(dys, [21])))
    }

    func testCrossEntropyAgainstLoops() throws {
        let logits = try nnRandomArray([5, 4], seed: 11, .float64, scale: 3)
        let targets = try nnArray([0, 3, 1, 1, 2], [5], .int64)
        let (loss, p) = try crossEntropyForward(logits: logits, targets: targets)
        let lv = logits.doubles()
        var ref = 0.0
        for r in 0..<5 {
            let row = Array(lv[r * 4..<(r + 1) * 4])
            ref += Foundation.log(row.reduce(0) { $0 + Foundation.exp($1) }) - row[Int(targets.ints()[r])]
        }
        XCTAssertEqual(loss, ref / 5, accuracy: 1e-13)
        XCTAssertLessThan(nnRelativeError(p.doubles(), refSoftmax(lv, [5, 4], axis: -1, log: false)), 1e-14)
        XCTAssertThrowsError(try crossEntropyForward(logits: logits, targets: nnArray([0, 3, 4, 1, 2], [5], .int64))) { e in
            XCTAssertEqual("\(e)", "crossEntropy: target 4 at position 2 is out of range for 4 classes")
        }
        XCTAssertThrowsError(try crossEntropyForward(logits: logits, targets: nnArray([0, -1, 0, 1, 2], [5], .int64))) { e in
            XCTAssertTrue("\(e)".contains("target -1"), "\(e)")
        }
        XCTAssertThrowsError(try crossEntropyForward(logits: logits, targets: nnArray([0, 1], [2], .int64))) { e in
            XCTAssertTrue("\(e)".hasPrefix("crossEntropy: shapes [5, 4] and [2]"), "\(e)")
        }
        XCTAssertThrowsError(try crossEntropyForward(logits: logits, targets: nnArray([0, 1, 0, 1, 0], [5], .float32)))
    }
}
