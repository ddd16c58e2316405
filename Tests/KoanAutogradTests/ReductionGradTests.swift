import KoanTensor
import XCTest
@testable import KoanAutograd

final class ReductionGradTests: XCTestCase {
    let axesCases: [([Int]?, Bool)] = [(nil, false), ([0], false), ([-1], true), ([0, 2], false), ([1], true)]

    func testSumMeanProdMaxMinLogsumexp() throws {
        for op in [ReduceOp.sum, .mean, .prod, .max, .min, .logsumexp] {
            for (axes, keep) in axesCases {
                let x = try values([2, 3, 4], seed: 100, offset: op == .prod ? 0.2 : 0)
                try checkGradients([x]) { xs in try wsum(xs[0].reduce(op, axes: axes, keepdims: keep)) }
            }
            // transposed input
            let y = try values([4, 3], seed: 101)
            try checkGradients([y]) { xs in try wsum(xs[0].transposed().reduce(op, axes: [1])) }
        }
    }

    func testConveniences() throws {
        let x = try values([3, 4], seed: 102)
        try checkGradients([x]) { xs in try xs[0].sum() }
        try checkGradients([x]) { xs in try wsum(xs[0].mean(axes: [0])) }
        try checkGradients([x]) { xs in try wsum(xs[0].sum(axes: [1], keepdims: true)) }
    }

    func testProdWithZeros() throws {
        let x = try NDArray(values: [1.5, 0, 2, -1, 0, 0, 3, 0.5], shape: [2, 4], dtype: .float64)
        try checkGradients([x]) { xs in try wsum(xs[0].reduce(.prod, axes: [1])) }
        let (_, g) = try valueAndGrad({ x in try x.reduce(.prod) }, at: Tensor(try NDArray(values: [2, 0, 3], shape: [3], dtype: .float64)))
        XCTAssertEqual(g.doubles(), [0, 6, 0])
    }

    func testMaxTiesShareGradient() throws {
        let x = Tensor(try NDArray(values: [1, 3, 3, 2], shape: [4], dtype: .float64))
        let (_, g) = try valueAndGrad({ x in try x.reduce(.max) }, at: x)
        XCTAssertEqual(g.doubles(), [0, 0.5, 0.5, 0])
        let (_, g2) = try valueAndGrad({ xs in try Tensor.binary(.maximum, xs[0], xs[1]).sum() },
                                       at: [x, Tensor(try NDArray(values: [0, 3, 4, 2], shape: [4], dtype: .float64))])
        XCTAssertEqual(g2[0].doubles(), [1, 0.5, 0, 0.5])
        XCTAssertEqual(g2[1].doubles(), [0, 0.5, 1, 0.5])
    }

    func testVarianceAndStd() throws {
        for correction in [0, 1] {
            for (axes, keep) in axesCases {
                let x = try values([2, 3, 4], seed: 103)
                try checkGradients([x]) { xs in try wsum(xs[0].variance(axes: axes, correction: correction, keepdims: keep)) }
                try checkGradients([x]) { xs in try wsum(xs[0].std(axes: axes, correction: correction, keepdims: keep)) }
            }
        }
    }

    func testCumsum() throws {
        let x = try values([3, 4], seed: 104)
        for axis in [0, 1, -1] {
            try checkGradients([x]) { xs in try wsum(xs[0].cumsum(axis: axis)) }
            try checkGradients([x]) { xs in try wsum(xs[0].transposed().cumsum(axis: axis)) }
        }
    }

    func testSortedAndTopk() throws {
        let x = try values([3, 5], seed: 105)
        for desc in [false, true] {
            try checkGradients([x]) { xs in try wsum(xs[0].sorted(axis: -1, descending: desc)) }
            try checkGradients([x]) { xs in try wsum(xs[0].sorted(axis: 0, descending: desc)) }
            try checkGradients([x]) { xs in try wsum(xs[0].topk(2, axis: 1, largest: desc).values) }
        }
        try checkGradients([x]) { xs in try wsum(xs[0].transposed().topk(2, axis: 0).values) }
        let t = Tensor(x, requiresGrad: true)
        XCTAssertFalse(try t.topk(2).indices.requiresGrad)
        XCTAssertFalse(try t.argsort().requiresGrad)
        XCTAssertFalse(try t.reduce(.argmax, axes: [1]).requiresGrad)
        XCTAssertFalse(try t.reduce(.argmin).requiresGrad)
    }
}
