import KoanTensor
import XCTest
@testable import KoanData

final class DatasetTests: XCTestCase {
    /// N samples whose single feature equals the sample index and label = index % 3.
    func indexed(_ n: Int) throws -> Dataset {
        try Dataset(features: try NDArray(values: (0..<n).map(Double.init), shape: [n, 1]),
                    labels: try NDArray(ints: (0..<n).map { Int64($0 % 3) }, shape: [n]), name: "idx")
    }

    func ids(_ d: Dataset) -> [Int] { d.features.doubles().map { Int($0) } }

    func testSplitSizesAndDeterminism() throws {
        let d = try Dataset.digits()
        let (train, test) = try d.split(0.8, seed: 42)
        XCTAssertEqual(train.count, 1438)   // round(0.8 · 1797) = round(1437.6)
        XCTAssertEqual(test.count, 359)
        XCTAssertEqual(train.classNames, d.classNames)
        XCTAssertEqual(train.imageShape, [1, 8, 8])

        let s = try indexed(101)
        let a = try s.split(0.7, seed: 7), b = try s.split(0.7, seed: 7), c = try s.split(0.7, seed: 8)
        XCTAssertEqual(a.train.count, 71)
        XCTAssertEqual(a.test.count, 30)
        XCTAssertEqual(ids(a.train), ids(b.train))
        XCTAssertEqual(ids(a.test), ids(b.test))
        XCTAssertNotEqual(ids(a.train), ids(c.train))
        XCTAssertEqual((ids(a.train) + ids(a.test)).sorted(), Array(0..<101))
        XCTAssertEqual(a.train.labels.ints(), ids(a.train).map { Int64($0 % 3) })
        XCTAssertEqual(try indexed(10).split(0.25, seed: 0).train.count, 2)   // round(2.5) = 2, ties to even
    }

    func testSplitErrors() throws {
        let s = try indexed(3)
        for f in [0, 1, -0.5, 1.5, Double.nan] {
            XCTAssertThrowsError(try s.split(f, seed: 0)) { error in
                guard case let .invalidFraction(g)? = error as? DataError else { return XCTFail("\(error)") }
                XCTAssertTrue(g == f || (g.isNaN && f.isNaN))
            }
        }
        assertThrows(.emptyDataset(detail: "split(0.1) of the 3 samples of 'idx' leaves the training set empty")) { try s.split(0.1, seed: 0) }
        assertThrows(.emptyDataset(detail: "split(0.9) of the 3 samples of 'idx' leaves the test set empty")) { try s.split(0.9, seed: 0) }
    }

    func testShuffledAndSubset() throws {
        let s = try indexed(50)
        XCTAssertEqual(ids(try s.shuffled(seed: 3)), ids(try s.shuffled(seed: 3)))
        XCTAssertNotEqual(ids(try s.shuffled(seed: 3)), ids(try s.shuffled(seed: 4)))
        XCTAssertEqual(ids(try s.shuffled(seed: 3)).sorted(), Array(0..<50))
        let sub = try s.subset([4, 0, 4])
        XCTAssertEqual(ids(sub), [4, 0, 4])
        XCTAssertEqual(sub.labels.ints(), [1, 0, 1])
        assertThrows(.indexOutOfRange(index: 50, count: 50)) { try s.subset([1, 50]) }
        assertThrows(.indexOutOfRange(index: -1, count: 50)) { try s.subset([-1]) }
    }

    func testBatchesCoverEverySampleOnce() throws {
        let s = try indexed(23)
        for shuffle in [false, true] {
            let bs = try s.batches(5, shuffle: shuffle, seed: 9)
            XCTAssertEqual(bs.map { $0.x.shape[0] }, [5, 5, 5, 5, 3])
            XCTAssertEqual(bs.map { $0.y.shape }, [[5], [5], [5], [5], [3]])
            let seen = bs.flatMap { $0.x.doubles().map { Int($0) } }
            XCTAssertEqual(seen.sorted(), Array(0..<23))
            XCTAssertEqual(bs.flatMap { $0.y.ints() }, seen.map { Int64($0 % 3) })
            if !shuffle { XCTAssertEqual(seen, Array(0..<23)) } else { XCTAssertNotEqual(seen, Array(0..<23)) }
        }
        let d1 = try s.batches(5, shuffle: true, seed: 9).flatMap { $0.x.doubles() }
        let d2 = try s.batches(5, shuffle: true, seed: 9).flatMap { $0.x.doubles() }
        XCTAssertEqual(d1, d2)
        let digits = try Dataset.digits()
        let db = try digits.batches(64, shuffle: true, seed: 1)
        XCTAssertEqual(db.count, 29)
        XCTAssertEqual(db.reduce(0) { $0 + $1.x.shape[0] }, 1797)
        XCTAssertEqual(db[0].x.shape, [64, 64])
    }

    func testDropLast() throws {
        let s = try indexed(23)
        let bs = try s.batches(5, shuffle: true, seed: 2, dropLast: true)
        XCTAssertEqual(bs.map { $0.x.shape[0] }, [5, 5, 5, 5])
        XCTAssertEqual(Set(bs.flatMap { $0.x.doubles() }).count, 20)
        XCTAssertEqual(try s.batches(30, dropLast: true).count, 0)
        XCTAssertEqual(try s.batches(23, dropLast: true).count, 1)
    }

    func testBatchErrors() throws {
        let s = try indexed(4)
        assertThrows(.invalidBatchSize(0)) { try s.batches(0) }
        assertThrows(.invalidBatchSize(-3)) { try s.batches(-3) }
        let empty = try s.subset([])
        XCTAssertEqual(empty.count, 0)
        assertThrows(.emptyDataset(detail: "cannot batch 'idx': it has no samples")) { try empty.batches(2) }
        assertThrows(.emptyDataset(detail: "cannot split 'idx': it has no samples")) { try empty.split(0.5, seed: 0) }
    }

    func testMapAndInitErrors() throws {
        let s = try indexed(4)
        let doubled = try s.map { try $0 * 2 }
        XCTAssertEqual(doubled.features.doubles(), [0, 2, 4, 6])
        assertThrows(.shapeMismatch(detail: "map over 'idx' must keep 4 samples on axis 0, got shape [2, 2]")) {
            try s.map { try $0.reshaped([2, 2]) }
        }
        XCTAssertThrowsError(try Dataset(features: try NDArray.zeros([3, 2]), labels: try NDArray.zeros([2], dtype: .int64)))
        XCTAssertThrowsError(try s.images())
        let n = try s.normalized()
        XCTAssertEqual(n.features.doubles(), [0, 1.0 / 3, 2.0 / 3, 1].map { Double(Float($0)) })
    }
}
