import KoanTensor
import XCTest

final class ElementwiseTests: XCTestCase {
    func testGoldens() { CoreGoldens.check(ops: ["unary", "binary", "binary_scalar", "where", "clamp"]) }

    func testDTypeRules() throws {
        let i = try NDArray(ints: [1, 2, 3], shape: [3], dtype: .int32)
        XCTAssertEqual(try NDArray.binary(.div, i, i).dtype, .float32)
        XCTAssertEqual(try NDArray.binary(.lt, i, i).dtype, .bool)
        XCTAssertEqual(try i.unary(.exp).dtype, .float32)
        XCTAssertEqual(try i.unary(.neg).dtype, .int32)
        XCTAssertEqual(try (i + 1).dtype, .int32)
        XCTAssertEqual(try (i + 1.5).dtype, .float32)
        XCTAssertEqual(try (2 * i).ints(), [2, 4, 6])
        let h = try NDArray.ones([2], dtype: .float16), b = try NDArray.ones([2], dtype: .bfloat16)
        XCTAssertEqual(try NDArray.binary(.add, h, b).dtype, .float32)
        XCTAssertEqual(try (h * 3.0).dtype, .float16)
        let f = try NDArray(values: [1, -2], shape: [2])
        XCTAssertEqual(try (-f).doubles(), [-1, 2])
        XCTAssertEqual(try (1.0 - f).doubles(), [0, 3])
        XCTAssertEqual(try (f / 2.0).doubles(), [0.5, -1])
    }

    func testErrors() throws {
        let a = try NDArray.zeros([2, 3]), b = try NDArray.zeros([4])
        XCTAssertThrowsError(try NDArray.binary(.add, a, b)) { e in
            XCTAssertEqual(e as? TensorError, .shapeMismatch(op: "add", lhs: [2, 3], rhs: [4]))
            XCTAssertEqual((e as? TensorError)?.description, "add: shapes [2, 3] and [4] are not compatible")
        }
        XCTAssertThrowsError(try a + b)
        XCTAssertThrowsError(try NDArray.binary(.logicalAnd, a, a)) { e in
            XCTAssertEqual(e as? TensorError, .unsupportedDType(op: "logicalAnd", dtype: .float32))
        }
        XCTAssertThrowsError(try a.unary(.logicalNot))
        let t = try NDArray.ones([2], dtype: .bool)
        XCTAssertThrowsError(try NDArray.binary(.sub, t, t))
        XCTAssertThrowsError(try t.unary(.neg))
        XCTAssertThrowsError(try t.clamp(min: 0, max: 1))
        XCTAssertThrowsError(try NDArray.where(try NDArray.ones([4], dtype: .bool), a, a)) { e in
            XCTAssertEqual(e as? TensorError, .shapeMismatch(op: "where", lhs: [4], rhs: [2, 3]))
        }
    }

    /// `.fmod` is Swift's `%` (the dividend's sign), `.mod` NumPy's remainder (the divisor's).
    func testFmodAndModSignRules() throws {
        let a = try NDArray(ints: [-5, 5, -5, 5], shape: [4]), b = try NDArray(ints: [3, 3, -3, -3], shape: [4])
        XCTAssertEqual(try NDArray.binary(.fmod, a, b).ints(), [-2, 2, -2, 2])   // Swift: -5 % 3, 5 % 3, -5 % -3, 5 % -3
        XCTAssertEqual(try NDArray.binary(.mod, a, b).ints(), [1, 2, -2, -1])
        let x = try NDArray(values: [-5.5, 5.5, -5.5], shape: [3], dtype: .float64), y = try NDArray(values: [2, -2, 2], shape: [3], dtype: .float64)
        XCTAssertEqual(try NDArray.binary(.fmod, x, y).doubles(),
                       [(-5.5).truncatingRemainder(dividingBy: 2), 5.5.truncatingRemainder(dividingBy: -2), -1.5])
    }

    func testNoTrapsOnIntegerEdgeCases() throws {
        let x = try NDArray(ints: [Int64.min, 5, -5], shape: [3])
        let y = try NDArray(ints: [-1, 0, 0], shape: [3])
        XCTAssertEqual(try NDArray.binary(.floorDiv, x, y).ints(), [Int64.min, 0, 0])
        XCTAssertEqual(try NDArray.binary(.mod, x, y).ints(), [0, 0, 0])
        XCTAssertEqual(try NDArray.binary(.fmod, x, y).ints(), [0, 0, 0])
        XCTAssertEqual(try x.unary(.neg).ints()[0], Int64.min)
        XCTAssertEqual(try x.unary(.abs).ints()[0], Int64.min)
    }

    func testLargeParallelMatchesSerial() throws {
        let before = TensorRuntime.threads
        defer { try? TensorRuntime.setThreads(before) }
        let a = try NDArray.randn([300_300], key: RandomKey(seed: 1))
        let b = try NDArray.randn([300_300], key: RandomKey(seed: 2))
        let row = try NDArray.randn([1001], key: RandomKey(seed: 3))
        try TensorRuntime.setThreads(2)
        let p1 = try NDArray.binary(.mul, a, b), e1 = try a.unary(.exp)
        let a2 = try a.reshaped([300, 1001])
        let r1 = try NDArray.binary(.add, a2, row)
        try TensorRuntime.setThreads(1)
        let p2 = try NDArray.binary(.mul, a, b), e2 = try a.unary(.exp)
        let r2 = try NDArray.binary(.add, a2, row)
        XCTAssertEqual(p1.doubles(), p2.doubles())
        XCTAssertEqual(e1.doubles(), e2.doubles())
        XCTAssertEqual(r1.doubles(), r2.doubles())
        let ad = a2.doubles(), rd = row.doubles(), r1d = r1.doubles()
        for i in stride(from: 0, to: r1d.count, by: 997) { XCTAssertEqual(r1d[i], Double(Float(ad[i]) + Float(rd[i % 1001]))) }
    }
}
