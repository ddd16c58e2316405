import KoanTensor
import XCTest
@testable import KoanAutograd

final class ShapeGradTests: XCTestCase {
    func testViews() throws {
        let x = try values([2, 3, 4], seed: 200)
        try checkGradients([x]) { xs in try wsum(xs[0].reshaped([6, -1])) }
        try checkGradients([x]) { xs in try wsum(xs[0].transposed().reshaped([4, 6])) }
        try checkGradients([x]) { xs in try wsum(xs[0].flattened()) }
        try checkGradients([x]) { xs in try wsum(xs[0].transposed()) }
        try checkGradients([x]) { xs in try wsum(xs[0].transposed(0, 2)) }
        try checkGradients([x]) { xs in try wsum(xs[0].transposed(-1, -2)) }
        try checkGradients([x]) { xs in try wsum(xs[0].permuted([1, 2, 0])) }
        try checkGradients([x]) { xs in try wsum(xs[0].permuted([2, 0, 1]).reshaped([4, 6])) }
        try checkGradients([x]) { xs in try wsum(xs[0].unsqueezed(axis: 1).unsqueezed(axis: -1)) }
        let y = try values([3, 1, 4, 1], seed: 201)
        try checkGradients([y]) { xs in try wsum(xs[0].squeezed()) }
        try checkGradients([y]) { xs in try wsum(xs[0].squeezed(axis: 1)) }
    }

    func testBroadcastAndExpand() throws {
        let x = try values([3, 1], seed: 202)
        try checkGradients([x]) { xs in try wsum(xs[0].broadcast(to: [2, 3, 4])) }
        try checkGradients([x]) { xs in try wsum(xs[0].expanded(to: [3, 5])) }
    }

    func testConcatStack() throws {
        let a = try values([2, 3], seed: 203)
        let b = try values([2, 2], seed: 204)
        let c = try values([3, 2], seed: 205)
        try checkGradients([a, b]) { xs in try wsum(Tensor.concat([xs[0], xs[1]], axis: 1)) }
        try checkGradients([a, c]) { xs in try wsum(Tensor.concat([xs[0], xs[1].transposed()], axis: 0)) }
        try checkGradients([a, a]) { xs in try wsum(Tensor.stack([xs[0], xs[1], xs[0]], axis: 1)) }
        try checkGradients([a, a]) { xs in try wsum(Tensor.stack([xs[0], xs[1]], axis: -1)) }
        // one input without grad
        let (_, g) = try valueAndGrad({ x in try Tensor.concat([x, Tensor(b)], axis: 1).sum() }, at: Tensor(a))
        XCTAssertEqual(g.doubles(), [Double](repeating: 1, count: 6))
    }

    func testSplitChunk() throws {
        let x = try values([4, 5], seed: 206)
        try checkGradients([x]) { xs in
            let p = try xs[0].split(sizes: [2, 3], axis: 1)
            return try wsum(p[0]) + wsum(p[1] * p[1])
        }
        try checkGradients([x]) { xs in
            let p = try xs[0].split(size: 3, axis: 0)
            return try wsum(p[1]) * 2 + wsum(p[0])
        }
        try checkGradients([x]) { xs in
            let p = try xs[0].transposed().chunk(2, axis: -1)
            return try wsum(p[0]) - wsum(p[1])
        }
        // a piece that is not used gets no gradient
        let (_, g) = try valueAndGrad({ x in try x.chunk(2, axis: 0)[1].sum() }, at: Tensor(x))
        XCTAssertEqual(g.doubles(), [Double](repeating: 0, count: 10) + [Double](repeating: 1, count: 10))
    }

    func testRepeatPadSlice() throws {
        let x = try values([2, 3], seed: 207)
        try checkGradients([x]) { xs in try wsum(xs[0].repeated([2, 3])) }
        try checkGradients([x]) { xs in try wsum(xs[0].repeated([2, 1, 2])) }
        try checkGradients([x]) { xs in try wsum(xs[0].transposed().repeated([1, 2])) }
        try checkGradients([x]) { xs in try wsum(xs[0].padded([(1, 2), (0, 1)], value: 3)) }
        try checkGradients([x]) { xs in try wsum(xs[0].transposed().padded([(1, 0), (2, 2)])) }
        let y = try values([7, 3], seed: 208)
        try checkGradients([y]) { xs in try wsum(xs[0].sliced(axis: 0, start: 1, end: 6, step: 2)) }
        try checkGradients([y]) { xs in try wsum(xs[0].sliced(axis: 0, start: -1, end: -8, step: -3)) }
        try checkGradients([y]) { xs in try wsum(xs[0].transposed().sliced(axis: -1, start: 0, end: 100)) }
    }
}
