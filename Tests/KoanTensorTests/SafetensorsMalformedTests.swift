import Foundation
import KoanTensor
import XCTest
@testable import KoanTensor

/// Broken and hostile files: every problem is a typed error naming the file (and the
/// tensor/field), never a crash or an allocation sized by the header.
final class SafetensorsMalformedTests: XCTestCase {
    var dir = ""
    var path = ""

    override func setUpWithError() throws {
        dir = try SafetensorsTestSupport.scratchDirectory("malformed")
        path = dir + "/bad.safetensors"
    }

    override func tearDown() {
        SafetensorsTestSupport.remove(dir)
    }

    /// Opens `bytes` as a file and reads every tensor; returns the error, or nil on success.
    func outcome(_ bytes: [UInt8]) throws -> Error? {
        try SafetensorsTestSupport.writeFile(bytes, to: path)
        do {
            let file = try SafetensorsFile(path: path)
            _ = try file.arrays()
            return nil
        } catch {
            return error
        }
    }

    enum Expect {
        case header(String)                          // invalidHeader whose reason contains the text
        case tensor(String, String, String)          // invalidTensor(tensor, field) whose reason contains the text
    }

    func check(_ bytes: [UInt8], _ expect: Expect, file: StaticString = #filePath, line: UInt = #line) throws {
        let error = try outcome(bytes)
        guard let e = error as? SafetensorsError else {
            return XCTFail("expected a SafetensorsError, got \(String(describing: error))", file: file, line: line)
        }
        let message = e.description
        XCTAssertTrue(message.contains(path), "message names the file: \(message)", file: file, line: line)
        switch (expect, e) {
        case let (.header(text), .invalidHeader(p, reason)):
            XCTAssertEqual(p, path, file: file, line: line)
            XCTAssertTrue(reason.contains(text), "'\(reason)' should contain '\(text)'", file: file, line: line)
        case let (.tensor(name, field, text), .invalidTensor(p, tensor, f, reason)):
            XCTAssertEqual(p, path, file: file, line: line)
            XCTAssertEqual(tensor, name, file: file, line: line)
            XCTAssertEqual(f, field, file: file, line: line)
            XCTAssertTrue(reason.contains(text), "'\(reason)' should contain '\(text)'", file: file, line: line)
            XCTAssertTrue(message.contains("'\(name)'"), message, file: file, line: line)
        default:
            XCTFail("expected \(expect), got \(e)", file: file, line: line)
        }
    }

    func entry(_ name: String, _ dtype: String = "F32", _ shape: String, _ begin: Int, _ end: Int) -> String {
        "\"\(name)\":{\"dtype\":\"\(dtype)\",\"shape\":\(shape),\"data_offsets\":[\(begin),\(end)]}"
    }

    func le64(_ n: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: n >> (8 * $0)) } }

    func testLengthPrefix() throws {
        try check([1, 2, 3], .header("fewer than the 8-byte header length"))
        try check([], .header("fewer than the 8-byte header length"))
        try check(le64(UInt64.max) + Array("{}".utf8), .header("exceeds the limit of 100000000 bytes"))
        try check(le64(1 << 63) + Array("{}".utf8), .header("exceeds the limit"))
        try check(le64(100_000_001) + Array("{}".utf8), .header("exceeds the limit"))
        // Within the limit but past the end of the file: nothing of that size is allocated.
        try check(le64(99_999_999) + Array("{}".utf8), .header("exceeds the 2 bytes after the length prefix"))
        try check(le64(3) + Array("{}".utf8), .header("exceeds the 2 bytes"))
        try check(le64(0), .header("malformed JSON: unexpected end of JSON"))
    }

    func testJSONStructure() throws {
        for text in ["[]", "\"x\"", "123", "null", "true"] {
            try check(SafetensorsTestSupport.file(header: text), .header("not a JSON object"))
        }
        try check(SafetensorsTestSupport.file(header: "{} x"), .header("unexpected text after the JSON value"))
        try check(SafetensorsTestSupport.file(header: "{\"a\":1,}"), .header("malformed JSON"))
        try check(SafetensorsTestSupport.file(header: "{'a':1}"), .header("malformed JSON"))
        try check(SafetensorsTestSupport.file(header: "{\"a\":01}"), .header("leading zero"))
        try check(le64(4) + [0x7B, 0xFF, 0xFE, 0x7D], .header("not valid UTF-8"))
        try check(SafetensorsTestSupport.file(header: "{\"a\u{1}\":1}"), .header("unescaped control character"))
        try check(SafetensorsTestSupport.file(header: "{\"\\ud800\":1}"), .header("unpaired surrogate"))
        try check(SafetensorsTestSupport.file(header: "{\"\\q\":1}"), .header("invalid escape"))
        let deep = "{\"a\":" + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}"
        try check(SafetensorsTestSupport.file(header: deep), .header("nested deeper than 64 levels"))
    }

    func testMetadata() throws {
        try check(SafetensorsTestSupport.file(header: "{\"__metadata__\":{\"a\":1}}"), .header("value of key 'a' is an integer"))
        try check(SafetensorsTestSupport.file(header: "{\"__metadata__\":[\"a\"]}"), .header("'__metadata__' is an array"))
        try check(SafetensorsTestSupport.file(header: "{\"__metadata__\":{\"a\":\"1\",\"a\":\"2\"}}"), .header("key 'a' twice"))
        try check(SafetensorsTestSupport.file(header: "{\"__metadata__\":{},\"__metadata__\":{}}"), .header("appears twice"))
        // null is accepted (the reference reads it as no metadata).
        XCTAssertNil(try outcome(SafetensorsTestSupport.file(header: "{\"__metadata__\":null}")))
    }

    func testEntryFields() throws {
        let four: [UInt8] = [0, 0, 128, 63]
        try check(SafetensorsTestSupport.file(header: "{\"a\":[1]}", data: four), .tensor("a", "", "not an object"))
        try check(SafetensorsTestSupport.file(header: "{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", data: four), .tensor("a", "dtype", "missing"))
        try check(SafetensorsTestSupport.file(header: "{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", data: four), .tensor("a", "shape", "missing"))
        try check(SafetensorsTestSupport.file(header: "{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", data: four), .tensor("a", "data_offsets", "missing"))
        try check(SafetensorsTestSupport.file(header: "{" + entry("a", "F33", "[1]", 0, 4) + "}", data: four), .tensor("a", "dtype", "unknown dtype \"F33\""))
        try check(SafetensorsTestSupport.file(header: "{" + entry("a", "f32", "[1]", 0, 4) + "}", data: four), .tensor("a", "dtype", "unknown dtype"))
        try check(SafetensorsTestSupport.file(header: "{\"a\":{\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]}}", data: four), .tensor("a", "dtype", "found an integer"))
        try check(SafetensorsTestSupport.file(header: "{" + entry("a", "F32", "[-1]", 0, 4) + "}", data: four), .tensor("a", "shape", "dimension 0 is negative"))
        try check(SafetensorsTestSupport.file(header: "{" + entry("a", "F32", "[1.0]", 0, 4) + "}", data: four), .tensor("a", "shape", "not an integer"))
        try check(SafetensorsTestSupport.file(header: "{" + entry("a", "F32", "[1e0]", 0, 4) + "}", data: four), .tensor("a", "shape", "not an integer"))
        try check(SafetensorsTestSupport.file(header: "{" + entry("a", "F32", "[\"1\"]", 0, 4) + "}", data: four), .tensor("a", "shape", "is a string"))
        try check(SafetensorsTestSupport.file(header: "{" + entry("a", "F32", "1", 0, 4) + "}", data: four), .tensor("a", "shape", "found an integer"))
        try check(SafetensorsTestSupport.file(header: "{" + entry("a", "F32", "[1, 99999999999999999999999]", 0, 4) + "}", data: four),
                  .tensor("a", "shape", "dimension 1 is too large"))
        try check(SafetensorsTestSupport.file(header: "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", data: four),
                  .tensor("a", "data_offsets", "two integers"))
        try check(SafetensorsTestSupport.file(header: "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", data: four),
                  .tensor("a", "data_offsets", "begin is negative"))
        try check(SafetensorsTestSupport.file(header: "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"dtype\":\"F64\"}}", data: four),
                  .tensor("a", "dtype", "appears twice"))
        try check(SafetensorsTestSupport.file(header: "{" + entry("a", "F32", "[1]", 0, 4) + "," + entry("a", "F32", "[1]", 0, 4) + "}", data: four),
                  .tensor("a", "", "appears twice"))
    }

    func testSizesAndOverflow() throws {
        let eight = [UInt8](repeating: 0, count: 8)
        try check(SafetensorsTestSupport.file(header: "{" + entry("a", "F32", "[4294967296,4294967296]", 0, 0) + "}"),
                  .tensor("a", "shape", "shape [4294967296, 4294967296] has 18446744073709551616 elements, more than Int can count"))
        try check(SafetensorsTestSupport.file(header: "{" + entry("a", "F64", "[2305843009213693952]", 0, 0) + "}"),
                  .tensor("a", "shape", "byte size of shape [2305843009213693952] with dtype F64 overflows"))
        // An overflowing product is rejected even when a dimension is 0 (the reference
        // rejects an overflowing running product; NDArray's strides need the zero-free one).
        try check(SafetensorsTestSupport.file(header: "{" + entry("a", "F32", "[4294967296,4294967296,0]", 0, 0) + "}"),
                  .tensor("a", "shape", "its non-zero dimensions multiply to 18446744073709551616, more than Int can count"))
        try check(SafetensorsTestSupport.file(header: "{" + entry("a", "F32", "[0,4294967296,4294967296]", 0, 0) + "}"),
                  .tensor("a", "shape", "more than Int can count"))
        XCTAssertNil(try outcome(SafetensorsTestSupport.file(header: "{" + entry("a", "F32", "[0,4294967296,1024]", 0, 0) + "}")))
        try check(SafetensorsTestSupport.file(header: "{" + entry("a", "F32", "[2]", 0, 4) + "}", data: eight),
                  .tensor("a", "data_offsets", "spans 4 bytes, but shape [2] of F32 needs 8"))
        try check(SafetensorsTestSupport.file(header: "{" + entry("a", "F32", "[3]", 0, 12) + "}", data: eight),
                  .tensor("a", "data_offsets", "end 12 is past the end of the 8-byte data buffer"))
        try check(SafetensorsTestSupport.file(header: "{" + entry("a", "F32", "[1]", 1 << 62, 1 << 62 + 4) + "}", data: eight),
                  .tensor("a", "data_offsets", "past the end"))
        try check(SafetensorsTestSupport.file(header: "{" + entry("a", "F32", "[1]", 8, 4) + "}", data: eight),
                  .tensor("a", "data_offsets", "begin 8 is after end 4"))
        try check(SafetensorsTestSupport.file(header: "{" + entry("a", "F4", "[3]", 0, 2) + "}", data: [0, 0]),
                  .tensor("a", "shape", "do not fill whole bytes"))
        try SafetensorsTestSupport.writeFile(SafetensorsTestSupport.file(header: "{" + entry("a", "F4", "[4]", 0, 2) + "}", data: [0, 0]), to: path)
        XCTAssertEqual(try SafetensorsFile(path: path).entries.first?.dtype, .f4)
        // A huge shape that the header claims but the file does not hold never allocates.
        try check(SafetensorsTestSupport.file(header: "{" + entry("a", "F32", "[1000000000000]", 0, 4_000_000_000_000) + "}", data: eight),
                  .tensor("a", "data_offsets", "past the end"))
    }

    func testLayout() throws {
        let twelve = [UInt8](repeating: 0, count: 12)
        try check(SafetensorsTestSupport.file(header: "{" + entry("a", "F32", "[2]", 0, 8) + "," + entry("b", "F32", "[2]", 4, 12) + "}", data: twelve),
                  .tensor("b", "data_offsets", "overlaps tensor 'a', which ends at 8"))
        try check(SafetensorsTestSupport.file(header: "{" + entry("b", "F32", "[2]", 4, 12) + "," + entry("a", "F32", "[2]", 0, 8) + "}", data: twelve),
                  .tensor("b", "data_offsets", "overlaps tensor 'a'"))
        try check(SafetensorsTestSupport.file(header: "{" + entry("a", "F32", "[1]", 0, 4) + "," + entry("b", "F32", "[1]", 8, 12) + "}", data: twelve),
                  .tensor("b", "data_offsets", "leaves bytes 4..<8 after tensor 'a' uncovered"))
        try check(SafetensorsTestSupport.file(header: "{" + entry("a", "F32", "[1]", 4, 8) + "}", data: [UInt8](repeating: 0, count: 8)),
                  .tensor("a", "data_offsets", "leaves bytes 0..<4 at the start of the buffer uncovered"))
        try check(SafetensorsTestSupport.file(header: "{" + entry("a", "F32", "[1]", 0, 4) + "}", data: [UInt8](repeating: 0, count: 8)),
                  .header("the tensors cover 4 bytes of the 8-byte data buffer"))
        try check(SafetensorsTestSupport.file(header: "{}", data: [1]), .header("cover 0 bytes of the 1-byte data buffer"))
        // Same-offset tensors: two identical ranges overlap; an empty one at a boundary does not.
        try check(SafetensorsTestSupport.file(header: "{" + entry("a", "F32", "[1]", 0, 4) + "," + entry("b", "F32", "[1]", 0, 4) + "}", data: [0, 0, 0, 0]),
                  .tensor("b", "data_offsets", "overlaps tensor 'a'"))
        XCTAssertNil(try outcome(SafetensorsTestSupport.file(header: "{" + entry("a", "F32", "[1]", 0, 4) + "," + entry("e", "F32", "[0]", 4, 4) + "," + entry("z", "F32", "[0,2]", 0, 0) + "}", data: [0, 0, 0, 0])))
    }

    func testLenientButValidVariants() throws {
        // Leading/trailing whitespace, unknown fields, out-of-order entries, escapes in names.
        let header = " \n{" + entry("second", "I8", "[2]", 4, 6) + ",\"fir\\u0073t\":{\"extra\":[1,{\"x\":null}],\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}\t  "
        let bytes = SafetensorsTestSupport.file(header: header, data: [0, 0, 192, 63, 255, 7])
        XCTAssertNil(try outcome(bytes))
        let file = try SafetensorsFile(path: path)
        XCTAssertEqual(file.entries.map(\.name), ["second", "first"])
        XCTAssertEqual(try file.array("first").doubles(), [1.5])
        XCTAssertEqual(try file.array("second").ints(), [-1, 7])
        XCTAssertEqual(file.dataStart, 8 + header.utf8.count)
    }

    /// Thousands of truncated, bit-flipped and spliced variants of valid files: each either
    /// loads or throws a SafetensorsError, never anything else.
    func testFuzzNeverCrashes() throws {
        var rng = SplitMix64(state: 2026)
        // Seeds: a Koan-written file with every dtype, metadata and odd names, and the goldens.
        var tensors = [(name: String, array: NDArray)]()
        for (k, dtype) in DType.allCases.enumerated() {
            tensors.append(("t\(k).\(dtype)", try SafetensorsTestSupport.randomBits([k % 3 + 1, 2], dtype, using: &rng)))
        }
        tensors.append(("scalar", try NDArray.scalar(3)))
        tensors.append(("empty", try NDArray.zeros([0, 4])))
        let seedPath = dir + "/seed.safetensors"
        try Safetensors.write(tensors, metadata: ["format": "pt", "é": "\"q\""], to: seedPath)
        var seeds = [try SafetensorsTestSupport.fileBytes(seedPath)]
        for name in ["all_dtypes", "torch_plain", "unsupported"] {
            seeds.append(try SafetensorsTestSupport.fileBytes(try SafetensorsTestSupport.fixture(name + ".safetensors")))
        }
        let tokens = Array("{}[]\",:0123456789-.eE \\u".utf8)
        var loaded = 0, failed = 0
        var kinds = [String: Int]()
        let cases = 3000
        for i in 0..<cases {
            var bytes = seeds[i % seeds.count]
            let headerEnd = min(bytes.count, 8 + (Int(bytes[0]) | Int(bytes[1]) << 8))
            switch i % 6 {
            case 0:  // truncate anywhere
                bytes.removeLast(Int.random(in: 1...bytes.count, using: &rng))
            case 1:  // flip bits in the header (or the length prefix)
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    let at = Int.random(in: 0..<headerEnd, using: &rng)
                    bytes[at] ^= UInt8(1) << UInt8.random(in: 0...7, using: &rng)
                }
            case 2:  // replace header bytes with JSON-significant characters
                for _ in 0..<Int.random(in: 1...3, using: &rng) {
                    let at = Int.random(in: 8..<headerEnd, using: &rng)
                    bytes[at] = tokens.randomElement(using: &rng) ?? 0
                }
            case 3:  // change one digit run inside the header (offsets/shapes)
                let digits = (8..<headerEnd).filter { bytes[$0] >= 0x30 && bytes[$0] <= 0x39 }
                if let at = digits.randomElement(using: &rng) {
                    bytes[at] = UInt8.random(in: 0x30...0x39, using: &rng)
                    if Bool.random(using: &rng) { bytes.insert(UInt8.random(in: 0x30...0x39, using: &rng), at: at) }
                }
            case 4:  // random length prefix
                let n = [UInt64.random(in: 0...UInt64.max, using: &rng), UInt64.random(in: 0...UInt64(bytes.count + 16), using: &rng)]
                let v = n[Int.random(in: 0...1, using: &rng)]
                for k in 0..<8 { bytes[k] = UInt8(truncatingIfNeeded: v >> (8 * k)) }
            default:  // delete or duplicate a header slice
                let a = Int.random(in: 8..<headerEnd, using: &rng)
                let b = min(headerEnd, a + Int.random(in: 1...24, using: &rng))
                if Bool.random(using: &rng) { bytes.removeSubrange(a..<b) } else { bytes.insert(contentsOf: bytes[a..<b], at: a) }
            }
            let error = try outcome(bytes)
            if let error {
                guard let e = error as? SafetensorsError else {
                    XCTFail("case \(i): untyped error \(error)")
                    continue
                }
                XCTAssertTrue(e.description.contains(path), "case \(i): \(e)")
                switch e {
                case .invalidHeader: kinds["invalidHeader", default: 0] += 1
                case .invalidTensor: kinds["invalidTensor", default: 0] += 1
                case .unsupportedDType: kinds["unsupportedDType", default: 0] += 1
                default: kinds["other", default: 0] += 1
                }
                failed += 1
            } else {
                loaded += 1
            }
        }
        XCTAssertEqual(loaded + failed, cases)
        XCTAssertGreaterThan(failed, cases / 2, "most mutations must be rejected")
        print("fuzz: \(cases) cases, \(loaded) loaded, \(failed) typed errors \(kinds.sorted { $0.key < $1.key })")
    }
}
