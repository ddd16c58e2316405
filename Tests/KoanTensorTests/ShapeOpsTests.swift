import KoanTensor
import XCTest

final class ShapeOpsTests: XCTestCase {
    func testGoldens() {
        CoreGoldens.check(ops: ["reshape", "flatten", "permute", "transpose2", "squeeze", "unsqueeze", "concat", "stack",
                                "split", "split_size", "chunk", "repeat", "pad", "slice", "broadcast"])
    }

    func testViewsShareStorage() throws {
        let x = try NDArray.arange(start: 0, end: 12, dtype: .float32).reshaped([3, 4])
        XCTAssertTrue(x.transposed().storage === x.storage)
        XCTAssertTrue(try x.sliced(axis: 1, start: 1, end: 3).storage === x.storage)
        XCTAssertTrue(try x.broadcast(to: [2, 3, 4]).storage === x.storage)
        XCTAssertEqual(try x.broadcast(to: [2, 3, 4]).strides, [0, 4, 1])
        XCTAssertTrue(try x.split(sizes: [1, 2]).allSatisfy { $0.storage === x.storage })
        XCTAssertEqual(try x.transposed().reshaped([12]).doubles(), [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11])
    }

    func testErrors() throws {
        let x = try NDArray.zeros([2, 3])
        XCTAssertThrowsError(try x.reshaped([4, -1])) { e in
            guard case TensorError.shapeMismatch(op: "reshape", _, _, _) = e else { return XCTFail("\(e)") }
        }
        XCTAssertThrowsError(try x.reshaped([-1, -1]))
        XCTAssertThrowsError(try x.permuted([0, 0]))
        XCTAssertThrowsError(try x.transposed(0, 2)) { e in
            XCTAssertEqual(e as? TensorError, .axisOutOfRange(axis: 2, rank: 2))
        }
        XCTAssertThrowsError(try x.squeezed(axis: 0))
        XCTAssertThrowsError(try x.unsqueezed(axis: 4))
        XCTAssertThrowsError(try NDArray.concat([x, try NDArray.zeros([2, 4])], axis: 0))
        XCTAssertThrowsError(try NDArray.concat([]))
        XCTAssertThrowsError(try NDArray.stack([x, try NDArray.zeros([3, 2])]))
        XCTAssertThrowsError(try x.split(sizes: [1, 2]))
        XCTAssertThrowsError(try x.split(size: 0))
        XCTAssertThrowsError(try x.chunk(0))
        XCTAssertThrowsError(try x.repeated([-1, 1]))
        XCTAssertThrowsError(try x.padded([(1, 1), (1, 1), (1, 1)]))
        XCTAssertThrowsError(try x.sliced(axis: 0, start: 0, end: 1, step: 0))
        XCTAssertThrowsError(try x.broadcast(to: [3, 3])) { e in
            XCTAssertEqual((e as? TensorError)?.description, "broadcast: shapes [2, 3] and [3, 3] are not compatible")
        }
        XCTAssertEqual(try broadcastShapes([2, 1, 3], [4, 1], op: "add"), [2, 4, 3])
        XCTAssertThrowsError(try broadcastShapes([2, 3], [4], op: "add")) { e in
            XCTAssertEqual((e as? TensorError)?.description, "add: shapes [2, 3] and [4] are not compatible")
        }
    }

    func testTransposeOfScalarAndUnsqueeze() throws {
        let s = try NDArray.scalar(2)
        XCTAssertEqual(s.transposed().shape, [])
        XCTAssertEqual(try s.unsqueezed(axis: 0).shape, [1])
        XCTAssertEqual(try s.reshaped([1, 1]).shape, [1, 1])
        XCTAssertEqual(try NDArray.zeros([2, 3]).unsqueezed(axis: -1).shape, [2, 3, 1])
    }
}
