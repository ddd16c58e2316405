import KoanTensor
import XCTest
@testable import KoanData

final class JSONLTests: XCTestCase {
    func testStringLabelsArraysCRLFAndBlankLines() throws {
        let dir = try TempDir()
        let path = try dir.write("p.jsonl", """
        {"x": 0.5, "y": [1, 2], "kind": "cat", "extra": null}\r
        \r
        {"kind": "ant", "x": -1, "y": [3, 4e0]}\r
        {"x": 2, "y": [5, 6], "kind": "cat, big"}\r

        """)
        let d = try Dataset.jsonl(path: path, features: ["x", "y"], label: "kind")
        XCTAssertEqual(d.featureShape, [3])
        XCTAssertEqual(rows(d.features), [[0.5, 1, 2], [-1, 3, 4], [2, 5, 6]])
        XCTAssertEqual(d.classNames, ["ant", "cat", "cat, big"])
        XCTAssertEqual(d.labels.ints(), [1, 0, 2])
    }

    func testNumericLabels() throws {
        let dir = try TempDir()
        let ints = try dir.write("i.jsonl", "{\"a\": 1, \"t\": 3}\n{\"a\": 2, \"t\": 0}\n")
        let d = try Dataset.jsonl(path: ints, features: ["a"], label: "t")
        XCTAssertEqual(d.labels.dtype, .int64)
        XCTAssertEqual(d.labels.ints(), [3, 0])
        XCTAssertNil(d.classNames)
        let floats = try dir.write("f.jsonl", "{\"a\": 1, \"t\": 0.25}\n{\"a\": 2, \"t\": 7}\n")
        let r = try Dataset.jsonl(path: floats, features: ["a"], label: "t")
        XCTAssertEqual(r.labels.dtype, .float32)
        XCTAssertEqual(r.labels.doubles(), [0.25, 7])
    }

    func testErrors() throws {
        let dir = try TempDir()
        let missing = dir.url.appendingPathComponent("nope.jsonl").path
        assertThrows(.cannotOpen(path: missing, reason: "No such file or directory")) {
            try Dataset.jsonl(path: missing, features: ["a"], label: "t")
        }
        let array = try dir.write("arr.jsonl", "{\"a\": 1, \"t\": 0}\n[1, 2]\n")
        assertThrows(.invalidJSONLine(path: array, line: 2, reason: "expected a JSON object, found an array")) {
            try Dataset.jsonl(path: array, features: ["a"], label: "t")
        }
        let bad = try dir.write("bad.jsonl", "{\"a\": 1, \"t\": 0}\n{\"a\": 1,\n")
        assertThrows(.invalidJSONLine(path: bad, line: 2, reason: "not valid JSON")) {
            try Dataset.jsonl(path: bad, features: ["a"], label: "t")
        }
        let ok = try dir.write("ok.jsonl", "{\"a\": 1, \"t\": 0}\n{\"a\": \"x\", \"t\": 1}\n{\"t\": 1}\n")
        assertThrows(.unknownColumn(path: ok, name: "label", available: ["a", "t"])) {
            try Dataset.jsonl(path: ok, features: ["a"], label: "label")
        }
        assertThrows(.notNumeric(path: ok, line: 2, column: "a", index: 0, value: "a string")) {
            try Dataset.jsonl(path: ok, features: ["a"], label: "t")
        }
        let gap = try dir.write("gap.jsonl", "{\"a\": 1, \"t\": 0}\n{\"t\": 1}\n")
        assertThrows(.missingKey(path: gap, line: 2, key: "a")) { try Dataset.jsonl(path: gap, features: ["a"], label: "t") }
        let ragged = try dir.write("rag.jsonl", "{\"a\": [1, 2], \"t\": 0}\n{\"a\": [1], \"t\": 1}\n")
        assertThrows(.wrongFieldCount(path: ragged, line: 2, expected: 2, found: 1)) {
            try Dataset.jsonl(path: ragged, features: ["a"], label: "t")
        }
        let empty = try dir.write("empty.jsonl", "\n\n")
        assertThrows(.emptyDataset(detail: "'\(empty)' has no JSON lines")) { try Dataset.jsonl(path: empty, features: ["a"], label: "t") }
    }
}
