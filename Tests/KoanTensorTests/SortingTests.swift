import KoanTensor
import XCTest

final class SortingTests: XCTestCase {
    func testGoldens() { CoreGoldens.check(ops: ["sort", "topk"]) }

    func testStableAndErrors() throws {
        let x = try NDArray(values: [2, 1, 2, 1, 2], shape: [5])
        XCTAssertEqual(try x.argsort().ints(), [1, 3, 0, 2, 4])
        XCTAssertEqual(try x.argsort(descending: true).ints(), [0, 2, 4, 1, 3])
        let (v, i) = try x.topk(2)
        XCTAssertEqual(v.doubles(), [2, 2])
        XCTAssertEqual(i.ints(), [0, 2])
        XCTAssertThrowsError(try x.topk(6))
        XCTAssertThrowsError(try x.sorted(axis: 1))
        let s = try NDArray.scalar(3)
        XCTAssertEqual(try s.sorted(axis: 0).doubles(), [3])
        let big = try NDArray.randn([50_000], key: RandomKey(seed: 1))
        let sd = try big.sorted().doubles()
        XCTAssertEqual(sd, big.doubles().sorted())
    }
}
