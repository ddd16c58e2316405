import KoanTensor
import XCTest

final class CreationTests: XCTestCase {
    func testGoldens() { CoreGoldens.check(ops: ["arange", "linspace", "eye"]) }

    func testBasics() throws {
        XCTAssertEqual(try NDArray.zeros([2, 3]).doubles(), [0, 0, 0, 0, 0, 0])
        XCTAssertEqual(try NDArray.ones([2], dtype: .int8).ints(), [1, 1])
        XCTAssertEqual(try NDArray.full([2], value: 2.5, dtype: .bfloat16).doubles(), [2.5, 2.5])
        XCTAssertEqual(try NDArray.full([3], value: -1, dtype: .float16).doubles(), [-1, -1, -1])
        let s = try NDArray.scalar(3, dtype: .int32)
        XCTAssertEqual(s.shape, [])
        XCTAssertEqual(try s.item(), 3)
        XCTAssertEqual(try NDArray(ints: [1, 2, 3], shape: [3]).ints(), [1, 2, 3])
        XCTAssertEqual(try NDArray(values: [1, 2], shape: [2], dtype: .float64).dtype, .float64)
        XCTAssertThrowsError(try NDArray(values: [1, 2, 3], shape: [2, 2]))
        XCTAssertThrowsError(try NDArray.zeros([-1]))
        XCTAssertThrowsError(try NDArray.arange(start: 0, end: 1, step: 0, dtype: .float32))
        XCTAssertThrowsError(try NDArray.linspace(start: 0, end: 1, count: -1))
        XCTAssertEqual(try NDArray.arange(start: 0, end: -1, dtype: .int64).count, 0)
    }

    func testMemoryLimitThrows() throws {
        XCTAssertThrowsError(try NDArray.zeros([1 << 40])) { e in
            guard case TensorError.allocationTooLarge = e else { return XCTFail("\(e)") }
        }
    }

    func testPhiloxKnownAnswer() {
        // Random123 known-answer vectors for philox4x32_10.
        let a = Philox.block(counter: (0, 0, 0, 0), key: (0, 0))
        XCTAssertEqual([a.0, a.1, a.2, a.3], [0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8])
        let b = Philox.block(counter: (0xffff_ffff, 0xffff_ffff, 0xffff_ffff, 0xffff_ffff), key: (0xffff_ffff, 0xffff_ffff))
        XCTAssertEqual([b.0, b.1, b.2, b.3], [0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd])
        let c = Philox.block(counter: (0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344), key: (0xa409_3822, 0x299f_31d0))
        XCTAssertEqual([c.0, c.1, c.2, c.3], [0xd16c_fe09, 0x94fd_cceb, 0x5001_e420, 0x2412_6ea1])
    }

    func testRandomIndependentOfThreads() throws {
        let before = TensorRuntime.threads
        defer { try? TensorRuntime.setThreads(before) }
        let key = RandomKey(seed: 1234, stream: 5)
        try TensorRuntime.setThreads(1)
        let a = try NDArray.randn([1_000_003], key: key)
        let u1 = try NDArray.rand([200_000], key: key, low: -2, high: 3, dtype: .float64)
        let i1 = try NDArray.randint(low: -5, high: 5, shape: [200_000], key: key)
        try TensorRuntime.setThreads(2)
        let b = try NDArray.randn([1_000_003], key: key)
        let u2 = try NDArray.rand([200_000], key: key, low: -2, high: 3, dtype: .float64)
        let i2 = try NDArray.randint(low: -5, high: 5, shape: [200_000], key: key)
        XCTAssertEqual(a.doubles(), b.doubles())
        XCTAssertEqual(u1.doubles(), u2.doubles())
        XCTAssertEqual(i1.ints(), i2.ints())
        // prefix property: element i depends only on (seed, stream, i)
        let small = try NDArray.randn([10], key: key)
        XCTAssertEqual(small.doubles(), Array(a.doubles().prefix(10)))
    }

    func testRandomStatistics() throws {
        let key = RandomKey(seed: 7)
        let x = try NDArray.randn([200_000], key: key, dtype: .float64)
        XCTAssertEqual(try x.mean().item(), 0, accuracy: 0.01)
        XCTAssertEqual(try x.std().item(), 1, accuracy: 0.01)
        XCTAssertNotEqual(try NDArray.randn([4], key: RandomKey(seed: 7, stream: 1)).doubles(), try NDArray.randn([4], key: key).doubles())
        let u = try NDArray.rand([100_000], key: key, low: 2, high: 4)
        let ud = u.doubles()
        XCTAssertTrue(ud.allSatisfy { $0 >= 2 && $0 < 4 })
        XCTAssertEqual(try u.mean().item(), 3, accuracy: 0.02)
        let h = try NDArray.rand([10_000], key: key, low: 0, high: 1, dtype: .bfloat16).doubles()
        XCTAssertTrue(h.allSatisfy { $0 >= 0 && $0 < 1 })
        let r = try NDArray.randint(low: 3, high: 6, shape: [30_000], key: key).ints()
        XCTAssertEqual(Set(r), [3, 4, 5])
        let bern = try NDArray.bernoulli([100_000], p: 0.3, key: key)
        XCTAssertEqual(try bern.mean().item(), 0.3, accuracy: 0.01)
        let perm = try NDArray.randperm(1000, key: key).ints()
        XCTAssertEqual(perm.sorted(), (0..<1000).map(Int64.init))
        XCTAssertNotEqual(perm, (0..<1000).map(Int64.init))
        XCTAssertThrowsError(try NDArray.randint(low: 3, high: 3, shape: [1], key: key))
        XCTAssertThrowsError(try NDArray.bernoulli([1], p: 1.5, key: key))
        XCTAssertThrowsError(try NDArray.randn([2], key: key, dtype: .int32))
    }
}
