import Foundation
import KoanTensor
import XCTest
@testable import KoanTensor

/// Files written by the reference Python `safetensors` (tools/goldens/safetensors.py) read
/// bit-exactly, and Koan's writer reproduces them byte for byte.
final class SafetensorsGoldenTests: XCTestCase {
    struct ExpectedTensor: Decodable {
        let name: String
        let stdtype: String
        let shape: [Int]
        let dtype: String?
        let bits: [String]?
    }
    struct ExpectedFile: Decodable {
        let tensors: [ExpectedTensor]
        let metadata: [String: String]
    }

    func expected() throws -> [String: ExpectedFile] {
        let data = try Data(contentsOf: URL(fileURLWithPath: try SafetensorsTestSupport.fixture("safetensors_expected.json")))
        return try JSONDecoder().decode([String: ExpectedFile].self, from: data)
    }

    /// Hex bit patterns of each element of `a` (row-major), as the golden script prints them.
    func hexBits(_ a: NDArray) throws -> [String] {
        let bytes = try SafetensorsTestSupport.bytes(a)
        let size = a.dtype.byteSize
        return stride(from: 0, to: bytes.count, by: size).map { start in
            (0..<size).reversed().map { String(format: "%02x", bytes[start + $0]) }.joined()
        }
    }

    func testGoldenFilesReadBitExactly() throws {
        let all = try expected()
        var checkedTensors = 0, checkedElements = 0
        for name in ["all_dtypes", "numpy_plain", "torch_plain", "one_meta"] {
            let exp = try XCTUnwrap(all[name])
            let file = try SafetensorsFile(path: try SafetensorsTestSupport.fixture(name + ".safetensors"))
            XCTAssertEqual(file.metadata, exp.metadata, name)
            XCTAssertEqual(file.entries.map(\.name), exp.tensors.map(\.name), "\(name): header order")
            XCTAssertEqual(file.entries.map(\.dtype.rawValue), exp.tensors.map(\.stdtype), name)
            XCTAssertEqual(file.entries.map(\.shape), exp.tensors.map(\.shape), name)
            let arrays = try file.arrays()
            XCTAssertEqual(arrays.map(\.name), exp.tensors.map(\.name))
            for (t, (arrayName, a)) in zip(exp.tensors, arrays) {
                XCTAssertEqual(arrayName, t.name)
                XCTAssertEqual(a.dtype.rawValue, t.dtype, "\(name)/\(t.name)")
                XCTAssertEqual(a.shape, t.shape, "\(name)/\(t.name)")
                XCTAssertTrue(a.isContiguous || a.count == 0, "\(name)/\(t.name)")  // NDArray calls some empty shapes non-contiguous
                XCTAssertEqual(try hexBits(a), t.bits, "\(name)/\(t.name)")
                // Single-tensor reads give the same bits.
                XCTAssertEqual(try hexBits(try file.array(t.name)), t.bits, "\(name)/\(t.name)")
                checkedTensors += 1
                checkedElements += a.count
            }
        }
        XCTAssertEqual(checkedTensors, 21 + 11 + 5 + 2)
        XCTAssertGreaterThan(checkedElements, 200)
    }

    func testEveryKoanDTypeIsCoveredByTheGoldens() throws {
        let exp = try XCTUnwrap(try expected()["all_dtypes"])
        XCTAssertEqual(Set(exp.tensors.compactMap(\.dtype)), Set(DType.allCases.map(\.rawValue)))
        XCTAssertTrue(exp.tensors.contains { $0.shape.isEmpty }, "a 0-d tensor")
        XCTAssertTrue(exp.tensors.contains { $0.shape.contains(0) }, "an empty tensor")
    }

    func testSpecialValuesSurvive() throws {
        let file = try SafetensorsFile(path: try SafetensorsTestSupport.fixture("all_dtypes.safetensors"))
        let f32 = try file.array("f32.special").doubles()
        XCTAssertEqual(f32[0], 0)
        XCTAssertEqual(f32[1].sign, .minus)
        XCTAssertEqual(f32[4], .infinity)
        XCTAssertEqual(f32[5], -.infinity)
        XCTAssertTrue(f32[6].isNaN)
        XCTAssertEqual(try file.array("i64.values").ints(), [0, 1, -1, Int64.max, Int64.min, 123456789012345])
        XCTAssertEqual(try file.array("bf16.scalar").item(), -7)
        XCTAssertEqual(try file.array("i8.scalar").shape, [])
        XCTAssertEqual(file.metadata["note"], "line\nbreak \"quoted\" é")
        XCTAssertEqual(try file.array("name with \"quotes\" \\ and é, ünï, 🙂").doubles(), [1, 2])
        XCTAssertEqual(try file.array("ctrl\n\t\u{1}").ints(), [3])
    }

    /// Reading a Python file and writing its tensors back gives the same bytes.
    func testWriterMatchesPythonByteForByte() throws {
        let dir = try SafetensorsTestSupport.scratchDirectory("golden")
        defer { SafetensorsTestSupport.remove(dir) }
        for name in ["numpy_plain", "torch_plain", "one_meta", "all_dtypes"] {
            let path = try SafetensorsTestSupport.fixture(name + ".safetensors")
            let file = try SafetensorsFile(path: path)
            // Shuffle the input order: the writer must sort as the reference does.
            let arrays = try file.arrays().reversed().map { $0 }
            let out = dir + "/\(name).safetensors"
            try Safetensors.write(arrays, metadata: file.metadata, to: out)
            if file.metadata.count <= 1 {
                XCTAssertEqual(try SafetensorsTestSupport.fileBytes(out), try SafetensorsTestSupport.fileBytes(path), "\(name): bytes differ from Python's")
            } else {
                // Python orders metadata keys by hash; the tensors and their layout still match.
                let again = try SafetensorsFile(path: out)
                XCTAssertEqual(again.entries, file.entries, name)
                XCTAssertEqual(again.metadata, file.metadata, name)
                XCTAssertEqual(Array(try SafetensorsTestSupport.fileBytes(out).suffix(from: again.dataStart)),
                               Array(try SafetensorsTestSupport.fileBytes(path).suffix(from: file.dataStart)), name)
            }
        }
    }

    func testUnsupportedDTypesAreListedButNotLoaded() throws {
        let path = try SafetensorsTestSupport.fixture("unsupported.safetensors")
        let file = try SafetensorsFile(path: path)
        XCTAssertEqual(Set(file.entries.map(\.dtype)), [.u64, .f32, .u32, .u16, .i16, .f8e4m3, .u8])
        XCTAssertEqual(try file.array("ok").doubles(), [1.5, -2.5])
        for name in ["u8", "i16", "u16", "u32", "u64", "f8"] {
            let dtype = try XCTUnwrap(file.entry(name)).dtype.rawValue
            XCTAssertThrowsError(try file.array(name)) { error in
                XCTAssertEqual(error as? SafetensorsError, .unsupportedDType(path: path, tensor: name, dtype: dtype))
                XCTAssertTrue("\(error)".contains("'\(name)'"), "\(error)")
            }
        }
        XCTAssertThrowsError(try file.arrays()) { error in
            guard case .unsupportedDType = error as? SafetensorsError else { return XCTFail("\(error)") }
        }
    }

    func testMissingTensorNamesTheAlternatives() throws {
        let path = try SafetensorsTestSupport.fixture("one_meta.safetensors")
        let file = try SafetensorsFile(path: path)
        XCTAssertThrowsError(try file.array("nope")) { error in
            XCTAssertEqual(error as? SafetensorsError, .tensorNotFound(path: path, name: "nope", available: ["b", "w"]))
            XCTAssertEqual("\(error)", "cannot read '\(path)': no tensor named 'nope'; it holds 'b', 'w'")
        }
    }
}
