import Foundation
import KoanTensor
import XCTest

final class FormatTests: XCTestCase {
    /// Every `format` golden from tools/goldens/io.py (strings produced by NumPy's array2string).
    func testFormatGoldens() throws {
        let cases = try GoldenFixture.load("io").filter { $0.op == "format" }
        XCTAssertGreaterThan(cases.count, 40)
        for c in cases {
            var a = c.inputs[0]
            if c.bool("transpose") == true {
                a = NDArray(storage: a.storage, dtype: a.dtype, shape: a.shape.reversed(), strides: a.strides.reversed(), offset: a.offset)
            }
            let got = a.formatted(maxElements: c.int("maxElements") ?? 1000, edgeItems: c.int("edgeItems") ?? 3,
                                  precision: c.int("precision") ?? 4)
            let expected = c.string("expected") ?? "?"
            XCTAssertEqual(got, expected, "\(c.name)\n--- got:\n\(got)\n--- expected:\n\(expected)")
        }
    }

    func testContractExample() throws {
        let a = try NDArray(shape: [2, 3], dtype: .float32)
        for (i, v) in [1.0, -0.5, 2.25, 0.0, 3.14159265, -1.0].enumerated() { a.storeDouble(v, at: i) }
        XCTAssertEqual(a.formatted(), """
            Tensor([[ 1.0000, -0.5000,  2.2500],
                    [ 0.0000,  3.1416, -1.0000]], shape: [2, 3], dtype: float32)
            """)
        let s = try NDArray(shape: [], dtype: .float32)
        s.storeDouble(3.5, at: 0)
        XCTAssertEqual(s.formatted(), "Tensor(3.5000, dtype: float32)")
        XCTAssertEqual(try NDArray(shape: [0, 3], dtype: .float32).formatted(), "Tensor([], shape: [0, 3], dtype: float32)")
    }

    func testViewsWithOffsetAndBroadcast() throws {
        let a = try NDArray(shape: [3, 4], dtype: .int32)
        for i in 0..<12 { a.storeInt(Int64(i), at: i) }
        // Row 1, every other column: offset 4, stride 2.
        let v = NDArray(storage: a.storage, dtype: .int32, shape: [2], strides: [2], offset: 5)
        XCTAssertEqual(v.formatted(), "Tensor([5, 7], shape: [2], dtype: int32)")
        // Broadcast (stride 0).
        let b = NDArray(storage: a.storage, dtype: .int32, shape: [2, 3], strides: [0, 1], offset: 8)
        XCTAssertEqual(b.formatted(), """
            Tensor([[ 8,  9, 10],
                    [ 8,  9, 10]], shape: [2, 3], dtype: int32)
            """)
    }

    func testHTMLSmall() throws {
        let a = try NDArray(shape: [2, 2], dtype: .float32)
        for (i, v) in [1.0, -0.5, 2.25, 10.0].enumerated() { a.storeDouble(v, at: i) }
        let html = a.html()
        XCTAssertTrue(html.hasPrefix("<div class=\"koan-tensor\"><style>"))
        XCTAssertTrue(html.hasSuffix("""
            <table><caption>shape: [2, 2], dtype: float32</caption><tr><th></th><th>0</th><th>1</th></tr>\
            <tr><th>0</th><td>1.0000</td><td>-0.5000</td></tr><tr><th>1</th><td>2.2500</td><td>10.0000</td></tr></table></div>
            """), html)
        XCTAssertTrue(Self.balanced(html))
    }

    func testHTMLScalarEmptyAnd1D() throws {
        let s = try NDArray(shape: [], dtype: .bool)
        s.storeInt(1, at: 0)
        XCTAssertTrue(s.html().contains("<table><caption>shape: [], dtype: bool</caption><tr><td>true</td></tr></table>"), s.html())
        let e = try NDArray(shape: [0, 4], dtype: .int64)
        XCTAssertTrue(e.html().contains("<caption>shape: [0, 4], dtype: int64 (empty)</caption>"))
        let v = try NDArray(shape: [3], dtype: .int64)
        for i in 0..<3 { v.storeInt(Int64(i * 10), at: i) }
        XCTAssertTrue(v.html().contains("<tr><th>0</th><th>1</th><th>2</th></tr><tr><td>0</td><td>10</td><td>20</td></tr>"), v.html())
        for h in [s.html(), e.html(), v.html()] { XCTAssertTrue(Self.balanced(h), h) }
    }

    func testHTMLElision() throws {
        let a = try NDArray(shape: [30, 40], dtype: .int32)
        for i in 0..<1200 { a.storeInt(Int64(i), at: i) }
        let html = a.html(maxRows: 6, maxColumns: 4)
        // 3 + ⋮ + 3 rows under a header; 2 + ⋯ + 2 columns.
        XCTAssertEqual(html.components(separatedBy: "<tr>").count - 1, 1 + 7)
        XCTAssertTrue(html.contains("<tr><th></th><th>0</th><th>1</th><th>⋯</th><th>38</th><th>39</th></tr>"), html)
        XCTAssertTrue(html.contains("<tr><th>⋮</th><td>⋮</td><td>⋮</td><td>⋱</td><td>⋮</td><td>⋮</td></tr>"), html)
        XCTAssertTrue(html.contains("<tr><th>29</th><td>1160</td><td>1161</td><td>⋯</td><td>1198</td><td>1199</td></tr>"), html)
        XCTAssertTrue(Self.balanced(html))
    }

    func testHTMLHighRank() throws {
        let a = try NDArray(shape: [2, 3, 2, 2], dtype: .float64, zeroed: true)
        let html = a.html()
        XCTAssertEqual(html.components(separatedBy: "<table>").count - 1, 3)
        XCTAssertTrue(html.contains("<caption>[0, 0, :, :] of shape: [2, 3, 2, 2], dtype: float64</caption>"))
        XCTAssertTrue(html.contains("<caption>[0, 2, :, :] of shape: [2, 3, 2, 2], dtype: float64</caption>"))
        XCTAssertTrue(html.contains("3 more slices of shape [2, 2]"))
        XCTAssertTrue(Self.balanced(html))
    }

    /// Every opened tag closes in order (a cheap well-formedness check).
    static func balanced(_ html: String) -> Bool {
        var stack = [String]()
        var rest = Substring(html)
        while let open = rest.firstIndex(of: "<") {
            guard let close = rest[open...].firstIndex(of: ">") else { return false }
            let tag = rest[rest.index(after: open)..<close]
            let name = tag.split(separator: " ").first.map(String.init) ?? ""
            if name.hasPrefix("/") {
                guard stack.popLast() == String(name.dropFirst()) else { return false }
            } else {
                stack.append(name)
            }
            rest = rest[rest.index(after: close)...]
        }
        return stack.isEmpty
    }
}
