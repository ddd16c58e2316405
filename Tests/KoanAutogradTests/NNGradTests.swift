import KoanTensor
import XCTest
@testable import KoanAutograd

final class NNGradTests: XCTestCase {
    func testMatmulShapes() throws {
        let cases: [([Int], [Int])] = [([3, 4], [4, 5]), ([4], [4, 5]), ([3, 4], [4]), ([4], [4]),
                                       ([2, 3, 4], [4, 5]), ([3, 4], [2, 4, 5]), ([2, 1, 3, 4], [3, 4, 2]), ([4], [2, 4, 3])]
        for (k, (sa, sb)) in cases.enumerated() {
            let a = try values(sa, seed: UInt64(400 + k))
            let b = try values(sb, seed: UInt64(420 + k))
            try checkGradients([a, b]) { xs in try wsum(matmul(xs[0], xs[1])) }
        }
        // transposed operands (BLAS trans path)
        let a = try values([4, 3], seed: 440)
        let b = try values([5, 4], seed: 441)
        try checkGradients([a, b]) { xs in try wsum(matmul(xs[0].transposed(), xs[1].transposed())) }
    }

    func testConv2d() throws {
        let x = try values([2, 4, 6, 5], seed: 450)
        let w = try values([6, 2, 3, 2], seed: 451)
        let b = try values([6], seed: 452)
        let o = Conv2dOptions(stride: (2, 1), padding: (1, 1), dilation: (1, 2), groups: 2)
        try checkGradients([x, w, b]) { xs in try wsum(conv2d(xs[0], xs[1], bias: xs[2], o)) }
        let w1 = try values([3, 4, 3, 3], seed: 453)
        try checkGradients([x, w1]) { xs in try wsum(conv2d(xs[0], xs[1], bias: nil, Conv2dOptions(padding: (1, 1)))) }
        // non-contiguous input
        let xt = try values([2, 4, 5, 6], seed: 454)
        try checkGradients([xt, w1]) { xs in try wsum(conv2d(xs[0].transposed(2, 3), xs[1], bias: nil, Conv2dOptions())) }
    }

    func testPooling() throws {
        let x = try values([2, 3, 6, 5], seed: 460)
        try checkGradients([x]) { xs in try wsum(maxPool2d(xs[0], kernel: (2, 2), stride: nil).values) }
        try checkGradients([x]) { xs in try wsum(maxPool2d(xs[0], kernel: (3, 2), stride: (2, 1), padding: (1, 1)).values) }
        try checkGradients([x]) { xs in try wsum(avgPool2d(xs[0], kernel: (2, 2), stride: nil)) }
        try checkGradients([x]) { xs in try wsum(avgPool2d(xs[0], kernel: (3, 3), stride: (2, 2), padding: (1, 1))) }
        try checkGradients([x]) { xs in try wsum(avgPool2d(xs[0].transposed(2, 3), kernel: (2, 2), stride: (1, 2))) }
        let t = Tensor(x, requiresGrad: true)
        XCTAssertFalse(try maxPool2d(t, kernel: (2, 2), stride: nil).indices.requiresGrad)
    }

    func testSoftmaxFamily() throws {
        let x = try values([3, 5], seed: 470, scale: 2)
        for axis in [0, 1, -1] {
            try checkGradients([x]) { xs in try wsum(softmax(xs[0], axis: axis)) }
            try checkGradients([x]) { xs in try wsum(logSoftmax(xs[0], axis: axis)) }
            try checkGradients([x]) { xs in try wsum(softmax(xs[0].transposed(), axis: axis)) }
        }
        let y = try values([2, 3, 4], seed: 471)
        try checkGradients([y]) { xs in try wsum(logSoftmax(xs[0], axis: 1)) }
    }

    func testLayerNorm() throws {
        let x = try values([3, 2, 4], seed: 480, scale: 2)
        let w = try values([4], seed: 481, offset: 1)
        let b = try values([4], seed: 482)
        try checkGradients([x, w, b]) { xs in
            try wsum(layerNorm(xs[0], normalizedCount: 4, weight: xs[1], bias: xs[2], eps: 1e-5).output)
        }
        try checkGradients([x]) { xs in try wsum(layerNorm(xs[0], normalizedCount: 8, weight: nil, bias: nil, eps: 1e-5).output) }
        try checkGradients([x, w]) { xs in
            try wsum(layerNorm(xs[0].transposed(0, 1), normalizedCount: 4, weight: xs[1], bias: nil, eps: 1e-5).output)
        }
        let r = try layerNorm(Tensor(x, requiresGrad: true), normalizedCount: 4, weight: nil, bias: nil, eps: 1e-5)
        XCTAssertTrue(r.output.requiresGrad)
        XCTAssertFalse(r.mean.requiresGrad)
    }

    func testActivations() throws {
        let x = try values([4, 5], seed: 490, scale: 3)
        for approximate in [false, true] {
            try checkGradients([x]) { xs in try wsum(gelu(xs[0], approximate: approximate)) }
        }
        try checkGradients([x]) { xs in try wsum(silu(xs[0])) }
        try checkGradients([x]) { xs in try wsum(silu(xs[0].transposed())) }
        try checkGradients([x]) { xs in try wsum(xs[0].unary(.relu)) }
        try checkGradients([x]) { xs in try wsum(xs[0].transposed().unary(.relu)) }
    }

    func testCrossEntropy() throws {
        let logits = try values([5, 4], seed: 500, scale: 2)
        let targets = try NDArray(ints: [0, 3, 1, 1, 2], shape: [5])
        try checkGradients([logits]) { xs in try crossEntropy(xs[0], targets: Tensor(targets)) }
        try checkGradients([logits]) { xs in try crossEntropy(xs[0] * 2, targets: Tensor(targets)) * 3 }
        // batched [2, 3, 4] logits
        let l3 = try values([2, 3, 4], seed: 501)
        let t3 = try NDArray(ints: [0, 1, 2, 3, 3, 0], shape: [2, 3])
        try checkGradients([l3]) { xs in try crossEntropy(xs[0], targets: Tensor(t3)) }
        // agrees with logSoftmax + gather
        let x = Tensor(logits)
        let direct = try crossEntropy(x, targets: Tensor(targets)).item()
        let picked = try logSoftmax(x, axis: -1).gather(axis: 1, indices: Tensor(targets.reshaped([5, 1])))
        XCTAssertEqual(direct, try -picked.mean().item(), accuracy: 1e-12)
    }
}

final class CompositeGradTests: XCTestCase {
    func testMLPWithSoftmaxCrossEntropy() throws {
        let x = try values([6, 5], seed: 600)
        let w1 = try values([5, 8], seed: 601, scale: 0.5)
        let b1 = try values([8], seed: 602, scale: 0.1)
        let w2 = try values([8, 3], seed: 603, scale: 0.5)
        let b2 = try values([3], seed: 604, scale: 0.1)
        let y = try NDArray(ints: [0, 2, 1, 1, 0, 2], shape: [6])
        try checkGradients([x, w1, b1, w2, b2]) { p in
            let h = try matmul(p[0], p[1]) + p[2]
            let a = try h.unary(.tanh)
            let logits = try matmul(a, p[3]) + p[4]
            // explicit softmax cross-entropy through softmax + log + gather
            let probs = try softmax(logits, axis: -1)
            let logp = try probs.unary(.log).gather(axis: 1, indices: Tensor(y.reshaped([6, 1])))
            let ce = try -logp.mean()
            return try ce + crossEntropy(logits, targets: Tensor(y))
        }
    }

    func testLayerNormGeluMatmulChain() throws {
        let x = try values([4, 6], seed: 610, scale: 2)
        let g = try values([6], seed: 611, offset: 1)
        let b = try values([6], seed: 612, scale: 0.2)
        let w = try values([6, 3], seed: 613)
        try checkGradients([x, g, b, w]) { p in
            let n = try layerNorm(p[0], normalizedCount: 6, weight: p[1], bias: p[2], eps: 1e-5).output
            let h = try gelu(n)
            return try wsum(matmul(h, p[3]))
        }
    }

    func testConvPoolLinear() throws {
        let x = try values([2, 2, 6, 6], seed: 620)
        let k = try values([3, 2, 3, 3], seed: 621, scale: 0.5)
        let kb = try values([3], seed: 622, scale: 0.1)
        let w = try values([12, 4], seed: 623, scale: 0.5)
        let y = try NDArray(ints: [1, 3], shape: [2])
        try checkGradients([x, k, kb, w]) { p in
            let c = try conv2d(p[0], p[1], bias: p[2], Conv2dOptions(padding: (0, 0)))    // [2, 3, 4, 4]
            let r = try c.unary(.relu)
            let m = try maxPool2d(r, kernel: (2, 2), stride: nil).values                   // [2, 3, 2, 2]
            let flat = try m.reshaped([2, 12])
            return try crossEntropy(matmul(flat, p[3]), targets: Tensor(y))
        }
    }
}

final class BroadcastGradientInputTests: XCTestCase {
    /// A plain `sum()` hands each rule a stride-0 (broadcast) gradient view.
    func testKernelsAcceptBroadcastGradients() throws {
        let x = try values([2, 4, 6, 6], seed: 700)
        let w = try values([4, 2, 3, 3], seed: 701)
        let b = try values([4], seed: 702)
        try checkGradients([x, w, b]) { p in try conv2d(p[0], p[1], bias: p[2], Conv2dOptions(padding: (1, 1), groups: 2)).sum() }
        try checkGradients([x]) { p in try maxPool2d(p[0], kernel: (2, 2), stride: nil).values.sum() }
        try checkGradients([x]) { p in try avgPool2d(p[0], kernel: (3, 3), stride: (2, 2)).sum() }
        try checkGradients([x]) { p in try softmax(p[0], axis: 1).unary(.square).sum() }
        try checkGradients([x]) { p in try logSoftmax(p[0], axis: -1).sum() }
        try checkGradients([x]) { p in try layerNorm(p[0], normalizedCount: 36, weight: nil, bias: nil, eps: 1e-5).output.unary(.exp).sum() }
        try checkGradients([x]) { p in try gelu(p[0]).sum() }
        try checkGradients([x]) { p in try silu(p[0]).sum() }
        let a = try values([3, 4], seed: 703), m = try values([4, 2], seed: 704)
        try checkGradients([a, m]) { p in try matmul(p[0], p[1]).sum() }
        try checkGradients([a]) { p in try p[0].sorted(axis: 0).unary(.square).sum() }
        try checkGradients([a]) { p in try p[0].cumsum(axis: 1).sum() }
    }
}
