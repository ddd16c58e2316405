import Foundation
import XCTest
@testable import KoanTensor

/// Huge and negative sizes from user input are thrown `TensorError`s naming the shape
/// (ShapeArithmetic), never an overflow trap or a crash in malloc.
final class SizeOverflowTests: XCTestCase {
    /// Asserts that `body` throws `allocationTooLarge` whose message contains every text in `mentions`.
    func assertTooLarge<T>(_ body: @autoclosure () throws -> T, _ mentions: String..., file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try body(), file: file, line: line) { e in
            guard let t = e as? TensorError, case .allocationTooLarge = t else {
                return XCTFail("expected allocationTooLarge, got \(e)", file: file, line: line)
            }
            for m in mentions { XCTAssertTrue(t.description.contains(m), "'\(t.description)' lacks '\(m)'", file: file, line: line) }
        }
    }

    /// Asserts that `body` throws `invalidArgument(op:)` whose message contains every text in `mentions`.
    func assertInvalid<T>(_ body: @autoclosure () throws -> T, op: String, _ mentions: String..., file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try body(), file: file, line: line) { e in
            guard case let .invalidArgument(o, message)? = e as? TensorError else {
                return XCTFail("expected invalidArgument, got \(e)", file: file, line: line)
            }
            XCTAssertEqual(o, op, file: file, line: line)
            for m in mentions { XCTAssertTrue(message.contains(m), "'\(message)' lacks '\(m)'", file: file, line: line) }
        }
    }

    func testElementCountOverflowNamesTheShape() {
        assertTooLarge(try NDArray.zeros([4294967296, 4294967296]),
                       "shape [4294967296, 4294967296] has 18446744073709551616 elements, more than Int can count")
        assertTooLarge(try NDArray.ones([1 << 40, 1 << 40, 1 << 40]), "1329227995784915872903807060280344576 elements")
        assertTooLarge(try NDArray(values: [], shape: [4294967296, 4294967296]), "[4294967296, 4294967296]")
        assertTooLarge(try NDArray(ints: [], shape: [Int.max, 2]), "more than Int can count")
    }

    func testByteCountOverflowNamesShapeAndDType() {
        // 2^61 elements fit Int, their 8-byte float64s do not.
        assertTooLarge(try NDArray.zeros([1 << 61], dtype: .float64),
                       "shape [2305843009213693952] of float64 needs 18446744073709551616 bytes, more than Int can count")
    }

    func testZeroDimensionDoesNotHideAnOverflow() {
        // The strides of such a shape overflow even though it holds no element (NumPy's rule).
        assertTooLarge(try NDArray.zeros([0, 4294967296, 4294967296]),
                       "shape [0, 4294967296, 4294967296] is too large: its non-zero dimensions multiply to 18446744073709551616")
        assertTooLarge(try NDArray.zeros([4294967296, 4294967296, 0]), "non-zero dimensions")
        XCTAssertEqual(try NDArray.zeros([0, 1 << 30, 1 << 20]).count, 0)
    }

    func testOverTheMemoryLimitNamesShapeAndBytes() throws {
        let saved = TensorRuntime.memoryLimit
        defer { try? TensorRuntime.setMemoryLimit(saved) }
        try TensorRuntime.setMemoryLimit(1 << 30)
        assertTooLarge(try NDArray.eye(1_000_000),
                       "shape [1000000, 1000000] of float32 needs 3.6 TiB (4000000000000 bytes), more than the tensor memory limit of 1.0 GiB")
        assertTooLarge(try NDArray.eye(1_000_000_000_000), "shape [1000000000000, 1000000000000] has 1000000000000000000000000 elements")
        assertTooLarge(try NDArray.full([1 << 20, 1 << 20], value: 2), "[1048576, 1048576]", "4.0 TiB")
    }

    func testNegativeDimensions() {
        assertInvalid(try NDArray.zeros([2, -3]), op: "tensor", "negative dimension -3 in shape [2, -3]")
        assertInvalid(try NDArray.eye(-1), op: "eye", "non-negative")
        assertInvalid(try NDArray.ones([3]).broadcast(to: [-1, 3]), op: "broadcast", "negative dimension -1")
        assertInvalid(try NDArray.ones([3]).repeated([-1]), op: "repeat", "non-negative")
    }

    func testCreationCounts() {
        assertInvalid(try NDArray.arange(start: 0, end: 1e300, dtype: .float32), op: "arange", "more than Int can count")
        assertInvalid(try NDArray.arange(start: 0, end: 1, step: 1e-300, dtype: .float32), op: "arange", "arange(0.0, 1.0")
        assertTooLarge(try NDArray.linspace(start: 0, end: 1, count: Int.max), "[9223372036854775807]")
        assertTooLarge(try NDArray.randperm(Int.max, key: RandomKey(seed: 0)), "[9223372036854775807]")
        assertTooLarge(try NDArray.randn([1 << 32, 1 << 32], key: RandomKey(seed: 0)), "more than Int can count")
    }

    func testBroadcastViewMustBeCountable() throws {
        let one = try NDArray.ones([1])
        assertTooLarge(try one.broadcast(to: [4294967296, 4294967296]), "[4294967296, 4294967296]")
        XCTAssertEqual(try one.broadcast(to: [1 << 20, 1 << 20]).shape, [1 << 20, 1 << 20])   // a view, no storage
    }

    func testReshapeWithHugeTarget() throws {
        let x = try NDArray.zeros([6])
        XCTAssertThrowsError(try x.reshaped([4294967296, 4294967296])) { e in
            guard case .shapeMismatch(op: "reshape", _, _, _)? = e as? TensorError else { return XCTFail("\(e)") }
        }
        XCTAssertThrowsError(try x.reshaped([4294967296, 4294967296, -1])) { e in
            guard case .shapeMismatch(op: "reshape", _, _, _)? = e as? TensorError else { return XCTFail("\(e)") }
        }
    }

    func testConcatRepeatPadTotals() throws {
        let empty = try NDArray.zeros([0, Int.max / 2 + 1], dtype: .int8)
        assertInvalid(try NDArray.concat([empty, empty], axis: 1), op: "concat", "the sizes on axis 1", "more than Int can count")
        let x = try NDArray.ones([2, 3])
        assertInvalid(try x.repeated([Int.max, 1]), op: "repeat", "axis 0 of shape [2, 3] repeated", "more than Int can count")
        assertTooLarge(try x.repeated([1 << 32, 1 << 32]), "[8589934592, 12884901888]")
        assertInvalid(try x.padded([(Int.max, 1)]), op: "pad", "axis 0 of shape [2, 3] padded", "more than Int can count")
        assertTooLarge(try x.padded([(1 << 32, 0), (1 << 32, 0)]), "[4294967298, 4294967299]")
    }

    func testHugeSliceStepsAreViewsNotTraps() throws {
        let x = try NDArray.arange(start: 0, end: 10, dtype: .int64)
        XCTAssertEqual(try x.sliced(axis: 0, start: 0, end: 10, step: Int.max).ints(), [0])
        XCTAssertEqual(try x.sliced(axis: 0, start: 9, end: -11, step: Int.min).ints(), [9])
        XCTAssertEqual(try x.index([.range(start: nil, end: nil, step: Int.min)]).ints(), [9])
        XCTAssertEqual(try x.index([.range(start: 1, end: nil, step: Int.max)]).ints(), [1])
    }

    func testConvolutionAndPoolingSizes() throws {
        let x = try NDArray.ones([1, 1, 4, 4]), w = try NDArray.ones([1, 1, 2, 2])
        assertInvalid(try conv2d(x, w, bias: nil, Conv2dOptions(padding: (Int.max, 0))), op: "conv2d", "padded input height", "more than Int can count")
        assertInvalid(try conv2d(x, w, bias: nil, Conv2dOptions(dilation: (Int.max, 1))), op: "conv2d", "dilated kernel height")
        assertTooLarge(try conv2d(x, w, bias: nil, Conv2dOptions(padding: (1 << 31, 1 << 31))), "more than Int can count")
        assertInvalid(try maxPool2d(x, kernel: (2, 2), stride: nil, padding: (Int.max, 0)), op: "maxPool2d", "padding")
        assertInvalid(try avgPool2d(x, kernel: (Int.max, Int.max), stride: nil), op: "avgPool2d", "the kernel area")
        assertTooLarge(try avgPool2dBackward(gradOutput: x, inputShape: [4294967296, 4294967296, 4, 4], kernel: (2, 2), stride: nil, padding: (0, 0)),
                       "[4294967296, 4294967296, 4, 4]")
        assertTooLarge(try maxPool2dBackward(gradOutput: x, indices: try NDArray.zeros([1, 1, 4, 4], dtype: .int64),
                                             inputShape: [1, 1, 4294967296, 4294967296]), "[1, 1, 4294967296, 4294967296]")
    }

    func testVarianceWithExtremeCorrection() throws {
        let x = try NDArray(values: [1, 2, 3], shape: [3])
        XCTAssertEqual(try x.variance(correction: Int.min).item(), 0, accuracy: 1e-12)
        XCTAssertTrue(try x.variance(correction: Int.max).item().isInfinite)
    }

    func testNPYHeaderUsesTheSameCheck() throws {
        for (shape, mention) in [("(4294967296, 4294967296)", "shape [4294967296, 4294967296] has 18446744073709551616 elements"),
                                 ("(0, 4294967296, 4294967296)", "non-zero dimensions multiply to 18446744073709551616")] {
            let header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shape), }"
            var text = Array(header.utf8)
            while (10 + text.count + 1) % 64 != 0 { text.append(0x20) }
            text.append(0x0A)
            let bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(text.count & 0xFF), UInt8(text.count >> 8)] + text
            XCTAssertThrowsError(try NPY.read(bytes, path: "huge.npy")) { e in
                guard case let .invalidFile(path, reason)? = e as? TensorError else { return XCTFail("\(e)") }
                XCTAssertEqual(path, "huge.npy")
                XCTAssertTrue(reason.contains(mention), reason)
            }
        }
    }

    func testExactProductForMessages() {
        XCTAssertEqual(ShapeArithmetic.exactProduct([]), "1")
        XCTAssertEqual(ShapeArithmetic.exactProduct([4294967296, 4294967296]), "18446744073709551616")
        XCTAssertEqual(ShapeArithmetic.exactProduct([Int.max, Int.max]), "85070591730234615847396907784232501249")
        XCTAssertEqual(ShapeArithmetic.exactProduct([1_000_000_000, 1_000_000_000, 7]), "7000000000000000000")
        XCTAssertEqual(ShapeArithmetic.exactProduct([5, 0]), "0")
    }

    func testShapeArithmeticHelpers() throws {
        XCTAssertEqual(try ShapeArithmetic.elementCount([2, 3, 4], op: "t"), 24)
        XCTAssertEqual(try ShapeArithmetic.byteCount([2, 3], dtype: .float64, op: "t"), 48)
        XCTAssertEqual(try ShapeArithmetic.sum([1, 2, 3], op: "t", what: "x"), 6)
        XCTAssertEqual(try ShapeArithmetic.product([2, 3], op: "t", what: "x"), 6)
        XCTAssertEqual(try ShapeArithmetic.count(2.5, op: "t", what: "x"), 3)
        XCTAssertEqual(try ShapeArithmetic.count(-4, op: "t", what: "x"), 0)
        XCTAssertNil(ShapeArithmetic.productIfRepresentable([Int.max, 2]))
        assertInvalid(try ShapeArithmetic.sum([Int.max, 1], op: "t", what: "the total"), op: "t", "the total (9223372036854775807 + 1) is more than Int can count")
        assertInvalid(try ShapeArithmetic.product([Int.max, 2], op: "t", what: "the area"), op: "t", "the area (9223372036854775807 × 2)")
        assertInvalid(try ShapeArithmetic.count(.nan, op: "t", what: "n"), op: "t", "not a number")
    }

    func testShapelessMessagesUnchanged() {
        XCTAssertEqual(TensorError.allocationTooLarge(bytes: 4 << 20, limit: 1 << 20).description,
                       "allocating 4.0 MiB would exceed the tensor memory limit of 1.0 MiB")
    }
}

extension SizeOverflowTests {
    func testSplitAndChunkWithHugeSizes() throws {
        let x = try NDArray.arange(start: 0, end: 5, dtype: .int64)
        XCTAssertEqual(try x.split(size: Int.max).map(\.shape), [[5]])
        XCTAssertEqual(try x.split(size: 2).map(\.shape), [[2], [2], [1]])
        XCTAssertEqual(try x.chunk(Int.max).map(\.shape), [[1], [1], [1], [1], [1]])
        XCTAssertEqual(try x.chunk(2).map(\.shape), [[3], [2]])
        XCTAssertThrowsError(try x.split(sizes: [Int.max, 1]))
    }
}

extension SizeOverflowTests {
    func testZeroDimensionWithOverflowingBytes() {
        assertTooLarge(try NDArray.zeros([0, 1 << 61], dtype: .float64),
                       "shape [0, 2305843009213693952] is too large: its non-zero dimensions of float64 need 18446744073709551616 bytes, more than Int can count")
    }
}
