import KoanTensor
import XCTest

final class ReductionTests: XCTestCase {
    func testGoldens() { CoreGoldens.check(ops: ["reduce", "variance", "std", "cumsum"]) }

    func testThreadIndependence() throws {
        let before = TensorRuntime.threads
        defer { try? TensorRuntime.setThreads(before) }
        let x = try NDArray.randn([1_000_000], key: RandomKey(seed: 9))
        let m = try x.reshaped([1000, 1000])
        var results: [[Double]] = []
        for t in [1, 2, 3] {
            try TensorRuntime.setThreads(t)
            results.append(try [x.sum().item(), x.mean().item(), x.reduce(.max).item()]
                           + m.sum(axes: [0]).doubles() + m.sum(axes: [1]).doubles() + m.reduce(.logsumexp, axes: [1]).doubles())
        }
        XCTAssertEqual(results[0], results[1])
        XCTAssertEqual(results[0], results[2])
        // float64 accumulation: close to the exact sum
        let exact = x.doubles().reduce(0, +)
        XCTAssertEqual(try x.sum().item(), exact, accuracy: 1e-3)
    }

    func testErrorsAndEmpty() throws {
        let e = try NDArray.zeros([0, 3])
        XCTAssertThrowsError(try e.reduce(.max, axes: [0]))
        XCTAssertThrowsError(try e.reduce(.argmax))
        XCTAssertEqual(try e.reduce(.max, axes: [1]).shape, [0])
        XCTAssertEqual(try e.sum().item(), 0)
        XCTAssertTrue(try e.mean().item().isNaN)
        let x = try NDArray.zeros([2, 3])
        XCTAssertThrowsError(try x.sum(axes: [2])) { err in XCTAssertEqual(err as? TensorError, .axisOutOfRange(axis: 2, rank: 2)) }
        XCTAssertThrowsError(try x.sum(axes: [0, -2]))
        XCTAssertThrowsError(try x.reduce(.argmax, axes: [0, 1]))
        XCTAssertEqual(try x.reduce(.argmax, keepdims: true).shape, [1, 1])
        XCTAssertEqual(try NDArray(ints: [1, 2], shape: [2], dtype: .int8).sum().dtype, .int64)
        XCTAssertEqual(try NDArray(ints: [1, 2], shape: [2], dtype: .int8).mean().dtype, .float32)
    }
}
