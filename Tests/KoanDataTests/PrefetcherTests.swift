import KoanTensor
import XCTest
@testable import KoanData

final class PrefetcherTests: XCTestCase {
    func assertSame(_ a: [(x: NDArray, y: NDArray)], _ b: [(x: NDArray, y: NDArray)], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, file: file, line: line)
        for (p, q) in zip(a, b) {
            XCTAssertEqual(p.x.shape, q.x.shape, file: file, line: line)
            XCTAssertEqual(p.x.doubles(), q.x.doubles(), file: file, line: line)
            XCTAssertEqual(p.y.dtype, q.y.dtype, file: file, line: line)
            XCTAssertEqual(p.y.ints(), q.y.ints(), file: file, line: line)
        }
    }

    func testEqualsPlainBatches() throws {
        let digits = try Dataset.digits()
        for (size, shuffle, dropLast) in [(64, true, false), (100, false, false), (128, true, true), (5000, false, false)] {
            let loader = Prefetcher(try digits.batchPlan(size, shuffle: shuffle, seed: 11, dropLast: dropLast))
            var got: [(x: NDArray, y: NDArray)] = []
            while let b = try loader.next() {
                got.append(b)
                _ = try b.x.sum()   // some work on the consumer side while the next batch is built
            }
            XCTAssertNil(try loader.next())
            assertSame(got, try digits.batches(size, shuffle: shuffle, seed: 11, dropLast: dropLast))
        }
    }

    func testCancel() throws {
        let digits = try Dataset.digits()
        let loader = Prefetcher(try digits.batchPlan(10, shuffle: true, seed: 3))
        let first = try XCTUnwrap(try loader.next())
        assertSame([first], [try digits.batches(10, shuffle: true, seed: 3)[0]])
        loader.cancel()
        XCTAssertTrue(loader.isCancelled)
        XCTAssertNil(try loader.next())
        // Dropping a loader mid-way is fine too.
        var dropped: Prefetcher? = Prefetcher(try digits.batchPlan(10))
        _ = try dropped?.next()
        dropped = nil
    }

    func testConcurrentConsumersGetEveryBatchOnce() throws {
        let digits = try Dataset.digits()
        let loader = Prefetcher(try digits.batchPlan(7))
        let expected = try digits.batches(7)
        let seen = ResultsBox()
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            while let b = try? loader.next() { seen.add(b.x.shape[0]) }
        }
        XCTAssertEqual(seen.total, 1797)
        XCTAssertEqual(seen.count, expected.count)
    }
}

final class ResultsBox: Sendable {
    private let state = LockedValue<(total: Int, count: Int)>((0, 0))
    func add(_ n: Int) { state.withLock { $0.total += n; $0.count += 1 } }
    var total: Int { state.withLock { $0.total } }
    var count: Int { state.withLock { $0.count } }
}
