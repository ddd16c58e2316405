import KoanTensor
import XCTest
@testable import KoanData

final class CSVTests: XCTestCase {
    func testNumericLabelsQuotesCRLFAndBlankTrailingLine() throws {
        let dir = try TempDir()
        let path = try dir.write("a.csv", "x1,\"x,2\",y\r\n1.5,\"2\",0\r\n\"3\",-4e1,1\r\n 5 ,6,2\r\n\r\n")
        let d = try Dataset.csv(path: path, label: "y")
        XCTAssertEqual(d.features.shape, [3, 2])
        XCTAssertEqual(d.features.dtype, .float32)
        XCTAssertEqual(rows(d.features), [[1.5, 2], [3, -40], [5, 6]])
        XCTAssertEqual(d.labels.dtype, .int64)
        XCTAssertEqual(d.labels.ints(), [0, 1, 2])
        XCTAssertNil(d.classNames)
        XCTAssertEqual(d.classCount, 3)
        XCTAssertEqual(d.name, "a.csv")
    }

    func testStringLabelsSortedWithQuotedCommas() throws {
        let dir = try TempDir()
        let path = try dir.write("b.csv", "species,len\n\"virginica, tall\",1\nsetosa,2\n\"virginica, tall\",3\nversicolor,4\n")
        let d = try Dataset.csv(path: path, label: "species")
        XCTAssertEqual(d.classNames, ["setosa", "versicolor", "virginica, tall"])
        XCTAssertEqual(d.labels.ints(), [2, 0, 2, 1])
        XCTAssertEqual(d.features.doubles(), [1, 2, 3, 4])
        XCTAssertEqual(d.classCount, 3)
    }

    func testEscapedQuoteAndNewlineInQuotedLabel() throws {
        let dir = try TempDir()
        let path = try dir.write("c.csv", "f,name\n1,\"say \"\"hi\"\"\"\n2,\"two\nlines\"\n3,x")
        let d = try Dataset.csv(path: path, label: "name")
        XCTAssertEqual(d.classNames, ["say \"hi\"", "two\nlines", "x"])
        XCTAssertEqual(d.labels.ints(), [0, 1, 2])
        XCTAssertEqual(d.features.doubles(), [1, 2, 3])
    }

    func testFloatLabelsNoHeaderAndDelimiter() throws {
        let dir = try TempDir()
        let path = try dir.write("d.tsv", "1;0.5\n2;1.25\n")
        let d = try Dataset.csv(path: path, label: "1", hasHeader: false, delimiter: ";")
        XCTAssertEqual(d.labels.dtype, .float32)
        XCTAssertEqual(d.labels.doubles(), [0.5, 1.25])
        XCTAssertEqual(d.features.doubles(), [1, 2])
        XCTAssertEqual(d.classCount, 0)
    }

    func testErrors() throws {
        let dir = try TempDir()
        let missing = dir.url.appendingPathComponent("nope.csv").path
        assertThrows(.cannotOpen(path: missing, reason: "No such file or directory")) { try Dataset.csv(path: missing, label: "y") }

        let short = try dir.write("short.csv", "a,b,y\n1,2,0\n3,4\n")
        assertThrows(.wrongFieldCount(path: short, line: 3, expected: 3, found: 2)) { try Dataset.csv(path: short, label: "y") }

        let text = try dir.write("text.csv", "a,b,y\n1,2,0\r\n3,four,1\r\n")
        assertThrows(.notNumeric(path: text, line: 3, column: "b", index: 1, value: "four")) { try Dataset.csv(path: text, label: "y") }

        assertThrows(.unknownColumn(path: text, name: "label", available: ["a", "b", "y"])) { try Dataset.csv(path: text, label: "label") }

        let headerOnly = try dir.write("h.csv", "a,y\n\n")
        assertThrows(.emptyDataset(detail: "'\(headerOnly)' has no data rows")) { try Dataset.csv(path: headerOnly, label: "y") }

        let open = try dir.write("q.csv", "a,y\n1,\"oops\n")
        assertThrows(.unterminatedQuote(path: open, line: 2)) { try Dataset.csv(path: open, label: "y") }

        XCTAssertEqual(DataError.wrongFieldCount(path: "x.csv", line: 3, expected: 3, found: 2).description, "x.csv:3: expected 3 fields, found 2")
        XCTAssertEqual(DataError.notNumeric(path: "x.csv", line: 3, column: "b", index: 1, value: "four").description,
                       "x.csv:3: column 'b' (index 1): 'four' is not a number")
        XCTAssertEqual(DataError.unknownColumn(path: "x.csv", name: "label", available: ["a", "y"]).description,
                       "x.csv: no column 'label'; available: 'a', 'y'")
    }
}
