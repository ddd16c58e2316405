import Foundation
import KoanAutograd
import KoanNN
import KoanTensor
import XCTest

/// Layers and tables built from huge user sizes throw (a TensorError naming the shape or the
/// size, or an NNError for a bad option), never trap.
final class SizeLimitTests: XCTestCase {
    func assertTensorError<T>(_ body: @autoclosure () throws -> T, _ mention: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try body(), file: file, line: line) { e in
            guard let t = e as? TensorError else { return XCTFail("expected a TensorError, got \(e)", file: file, line: line) }
            XCTAssertTrue(t.description.contains(mention), "'\(t.description)' lacks '\(mention)'", file: file, line: line)
        }
    }

    func testLinearAndEmbedding() {
        assertTensorError(try Linear(4294967296, 4294967296), "shape [4294967296, 4294967296] has 18446744073709551616 elements")
        assertTensorError(try Linear(Int.max, 1), "[1, 9223372036854775807]")
        assertTensorError(try Embedding(Int.max, 2), "[9223372036854775807, 2]")
        assertTensorError(try LayerNorm([4294967296, 4294967296]), "[4294967296, 4294967296]")
    }

    func testConvAndPoolLayers() {
        assertTensorError(try Conv2d(1, 1, kernel: 4294967296), "the fan-in")
        assertTensorError(try Conv2d(1 << 20, 1 << 20, kernel: 1 << 20), "more than Int can count")
        XCTAssertThrowsError(try MaxPool2d(4, padding: Int.max)) { e in
            guard case .invalidArgument? = e as? NNError else { return XCTFail("\(e)") }
        }
        XCTAssertNoThrow(try MaxPool2d(4, padding: 2))
    }

    func testRecurrentAndTransformerWidths() {
        assertTensorError(try LSTM(inputSize: 4, hiddenSize: Int.max / 2), "the gate rows (gates × hidden size)")
        assertTensorError(try TransformerBlock(dim: Int.max / 2, heads: 1), "more than Int can count")
    }

    func testPositionTables() throws {
        assertTensorError(try sinusoidalTable(length: 4294967296, dim: 4294967296), "[4294967296, 4294967296]")
        assertTensorError(try ropeTables(length: 4294967296, dim: 4294967296), "[4294967296, 4294967296]")
        assertTensorError(try positionIDs(length: 2, offset: Int.max), "the last position (offset + length)")
        XCTAssertEqual(try positionIDs(length: 3, offset: 5).data.ints(), [5, 6, 7])
        let pe = try sinusoidalTable(length: 2, dim: 4, offset: 1)
        XCTAssertEqual(pe.shape, [2, 4])
        XCTAssertEqual(pe.data.doubles()[0], sin(1.0), accuracy: 1e-6)
        let (c, s) = try ropeTables(length: 2, dim: 2)
        XCTAssertEqual(c.data.doubles(), [1, 1, cos(1.0), cos(1.0)].map { Double(Float($0)) })
        XCTAssertEqual(s.data.doubles()[2], Double(Float(sin(1.0))))
    }

    func testInitializerFans() throws {
        assertTensorError(try Initializer.fans([4294967296, 4294967296, 4294967296]), "more than Int can count")
        let f = try Initializer.fans([8, 4, 3, 3])
        XCTAssertEqual(f.fanIn, 36)
        XCTAssertEqual(f.fanOut, 72)
    }
}
