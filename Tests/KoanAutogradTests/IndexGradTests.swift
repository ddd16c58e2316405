import KoanTensor
import XCTest
@testable import KoanAutograd

final class IndexGradTests: XCTestCase {
    func testBasicIndexing() throws {
        let x = try values([4, 5, 3], seed: 300)
        let cases: [[IndexItem]] = [
            [.index(1)],
            [.all, .index(-1)],
            [.range(start: 1, end: nil, step: 2), .all, .index(0)],
            [.newAxis, .range(start: nil, end: nil, step: -1), .range(start: 1, end: 4, step: 1)],
            [.index(2), .newAxis, .range(start: -2, end: nil, step: 1)],
        ]
        for items in cases {
            try checkGradients([x]) { xs in try wsum(xs[0].index(items)) }
            try checkGradients([x]) { xs in try wsum(xs[0].permuted([2, 0, 1])[items]) }
        }
    }

    func testMaskAndGatherItems() throws {
        let x = try values([4, 3], seed: 301)
        let mask = try NDArray.binary(.gt, x, scalar: 0, scalarIsFloat: true)
        try checkGradients([x]) { xs in try wsum(xs[0].index([.mask(mask)])) }
        let rowMask = try NDArray(values: [1, 0, 1, 1], shape: [4], dtype: .bool)
        try checkGradients([x]) { xs in try wsum(xs[0].index([.mask(rowMask), .index(1)])) }
        // repeated indices accumulate
        let ids = try NDArray(ints: [2, 0, 2, 2, -1], shape: [5])
        try checkGradients([x]) { xs in try wsum(xs[0].index([.gather(ids)])) }
        try checkGradients([x]) { xs in try wsum(xs[0].index([.all, .gather(try NDArray(ints: [1, 1, 0], shape: [3]))])) }
        let (_, g) = try valueAndGrad({ x in try x.index([.gather(ids)]).sum() }, at: Tensor(x))
        XCTAssertEqual(g.doubles(), [1, 1, 1, 0, 0, 0, 3, 3, 3, 1, 1, 1])
    }

    func testAssign() throws {
        let x = try values([4, 3], seed: 302)
        let v = try values([3], seed: 303)
        try checkGradients([x, v]) { xs in
            var y = try xs[0] * 1
            try y.assign([.range(start: 1, end: 3, step: 1)], xs[1])
            return try wsum(y)
        }
        try checkGradients([x, v]) { xs in
            var y = try xs[0].transposed() * 2
            try y.assign([.all, .index(0)], xs[1])
            return try wsum(y * y)
        }
    }

    func testGatherIndexSelectScatterAdd() throws {
        let x = try values([3, 4], seed: 304)
        let idx = try NDArray(ints: [0, 3, 3, 1, 2, 2, 0, 0, 1, 1, 1, 3], shape: [3, 4])
        try checkGradients([x]) { xs in try wsum(xs[0].gather(axis: 1, indices: Tensor(idx))) }
        let idx0 = try NDArray(ints: [2, 2, 0, 1, 0, 1, 1, 0], shape: [2, 4])
        try checkGradients([x]) { xs in try wsum(xs[0].gather(axis: 0, indices: Tensor(idx0))) }
        let sel = try NDArray(ints: [1, 1, 0, 2, 1], shape: [5])
        try checkGradients([x]) { xs in try wsum(xs[0].indexSelect(axis: 0, indices: Tensor(sel))) }
        try checkGradients([x]) { xs in try wsum(xs[0].transposed().indexSelect(axis: 1, indices: Tensor(sel))) }
        let src = try values([3, 4], seed: 305)
        try checkGradients([src]) { xs in
            try wsum(Tensor.scatterAdd(into: [3, 5], axis: 1, indices: Tensor(idx), source: xs[0]))
        }
    }
}
