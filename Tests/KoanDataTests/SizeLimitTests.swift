import KoanTensor
import XCTest
@testable import KoanData

/// Huge batch sizes, windows and image shapes are answers or thrown errors, never traps.
final class SizeLimitTests: XCTestCase {
    func small(_ n: Int) throws -> Dataset {
        try Dataset(features: try NDArray(values: (0..<n).map(Double.init), shape: [n, 1]),
                    labels: try NDArray(ints: (0..<n).map { Int64($0) }, shape: [n]), name: "small")
    }

    func testHugeBatchSizeIsOneBatch() throws {
        let d = try small(5)
        let plan = try d.batchPlan(Int.max)
        XCTAssertEqual(plan.count, 1)
        XCTAssertEqual(try plan.indices(0), [0, 1, 2, 3, 4])
        XCTAssertEqual(try plan.batch(0).x.shape, [5, 1])
        XCTAssertEqual(try d.batchPlan(Int.max, dropLast: true).count, 0)
        XCTAssertEqual(try d.batchPlan(Int.max, shuffle: true, seed: 1).batch(0).y.count, 5)
        XCTAssertEqual(try d.batchPlan(2).count, 3)
        XCTAssertEqual(try d.batchPlan(2, dropLast: true).count, 2)
        XCTAssertEqual(try d.batchPlan(2).indices(2), [4])
    }

    func testNextTokenWithHugeContextOrStride() throws {
        let ids = Array(0..<10)
        XCTAssertThrowsError(try Dataset.nextToken(ids: ids, context: Int.max)) { e in
            guard case let .emptyDataset(detail)? = e as? DataError else { return XCTFail("\(e)") }
            XCTAssertTrue(detail.contains("context 9223372036854775807"), detail)
        }
        let one = try Dataset.nextToken(ids: ids, context: 3, stride: Int.max)
        XCTAssertEqual(one.count, 1)
        XCTAssertEqual(one.features.ints(), [0, 1, 2])
        XCTAssertEqual(one.labels.ints(), [1, 2, 3])
        let all = try Dataset.nextToken(ids: ids, context: 3, stride: 2)
        XCTAssertEqual(all.count, 4)   // starts 0, 2, 4, 6
        XCTAssertEqual(all.labels.ints().suffix(3), [7, 8, 9])
    }

    func testNextTokenWindowsBeyondTheMemoryLimitThrow() throws {
        let saved = TensorRuntime.memoryLimit
        defer { try? TensorRuntime.setMemoryLimit(saved) }
        try TensorRuntime.setMemoryLimit(1 << 20)
        // 10 000 windows of 5 000 tokens: 400 MB of int64, over the 1 MiB limit.
        XCTAssertThrowsError(try Dataset.nextToken(ids: Array(repeating: 1, count: 15_000), context: 5_000, stride: 1)) { e in
            guard let t = e as? TensorError, case .allocationTooLarge = t else { return XCTFail("\(e)") }
            XCTAssertTrue(t.description.contains("shape [10000, 5000] of int64"), t.description)
        }
    }

    func testHugeImageShapeIsAMismatch() throws {
        let x = try NDArray.zeros([2, 4])
        let y = try NDArray(ints: [0, 1], shape: [2])
        for shape in [[4294967296, 4294967296, 4], [-2, -2], [Int.max, 2]] {
            XCTAssertThrowsError(try Dataset(features: x, labels: y, imageShape: shape)) { e in
                guard case let .shapeMismatch(detail)? = e as? DataError else { return XCTFail("\(e)") }
                XCTAssertTrue(detail.contains("image shape \(shape)"), detail)
            }
        }
        XCTAssertEqual(try Dataset(features: x, labels: y, imageShape: [1, 2, 2]).imageShape, [1, 2, 2])
    }
}
