import KoanTensor
import XCTest

final class IndexingTests: XCTestCase {
    func testGoldens() { CoreGoldens.check(ops: ["index", "assign", "gather", "indexSelect", "scatterAdd"]) }

    func testAssignCopyOnWrite() throws {
        let x = try NDArray.arange(start: 0, end: 6, dtype: .float32).reshaped([2, 3])
        var y = x
        try y.assign([.index(0)], try NDArray.scalar(-1))
        XCTAssertEqual(x.doubles(), [0, 1, 2, 3, 4, 5])
        XCTAssertEqual(y.doubles(), [-1, -1, -1, 3, 4, 5])
        // self-assignment through an overlapping view
        var z = try NDArray.arange(start: 0, end: 5, dtype: .int64)
        try z.assign([.range(start: 1, end: nil, step: 1)], try z.sliced(axis: 0, start: 0, end: 4))
        XCTAssertEqual(z.ints(), [0, 0, 1, 2, 3])
        // assign into a broadcast view writes a private copy
        var b = try NDArray.ones([3]).broadcast(to: [2, 3])
        try b.assign([.index(0), .index(0)], try NDArray.scalar(7))
        XCTAssertEqual(b.doubles(), [7, 1, 1, 1, 1, 1])
        XCTAssertEqual(try x[[.index(1), .index(-1)]].item(), 5)
    }

    func testErrors() throws {
        let x = try NDArray.zeros([2, 3])
        XCTAssertThrowsError(try x.index([.index(3)])) { e in
            XCTAssertEqual(e as? TensorError, .indexOutOfRange(axis: 0, index: 3, size: 2))
        }
        XCTAssertThrowsError(try x.index([.all, .index(-4)])) { e in
            XCTAssertEqual(e as? TensorError, .indexOutOfRange(axis: 1, index: -4, size: 3))
        }
        XCTAssertThrowsError(try x.index([.all, .all, .all]))
        XCTAssertThrowsError(try x.index([.range(start: nil, end: nil, step: 0)]))
        XCTAssertThrowsError(try x.index([.mask(try NDArray.zeros([3], dtype: .bool))]))
        XCTAssertThrowsError(try x.index([.gather(try NDArray(ints: [0, 2], shape: [2]))])) { e in
            XCTAssertEqual(e as? TensorError, .indexOutOfRange(axis: 0, index: 2, size: 2))
        }
        XCTAssertThrowsError(try x.index([.gather(try NDArray.zeros([1])), .all]))
        XCTAssertThrowsError(try x.index([.gather(try NDArray(ints: [0], shape: [1])), .gather(try NDArray(ints: [0], shape: [1]))]))
        var y = x
        XCTAssertThrowsError(try y.assign([.index(0)], try NDArray.zeros([2])))
        XCTAssertThrowsError(try x.gather(axis: 0, indices: try NDArray(ints: [0], shape: [1])))
        XCTAssertThrowsError(try x.indexSelect(axis: 1, indices: try NDArray(ints: [5], shape: [1])))
        XCTAssertThrowsError(try NDArray.scatterAdd(into: [2, 3], axis: 0, indices: try NDArray(ints: [0], shape: [1]), source: try NDArray.zeros([4, 4])))
    }

    func testEmptyMaskAndEmptyIndices() throws {
        let x = try NDArray.arange(start: 0, end: 6, dtype: .float32).reshaped([2, 3])
        let none = try x.index([.mask(try NDArray.zeros([2, 3], dtype: .bool))])
        XCTAssertEqual(none.shape, [0])
        XCTAssertEqual(try x.indexSelect(axis: 0, indices: try NDArray(ints: [], shape: [0])).shape, [0, 3])
    }
}
