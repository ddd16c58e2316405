import XCTest
@testable import KoanPlot

final class DescriptionTests: XCTestCase {
    func testHistoryExample() throws {
        let loss = (0..<20).map { 2.3 - Double($0) * (2.3 - 0.12) / 19 }
        var f = try Figure.lines([("loss", loss), ("val_loss", loss.map { $0 * 0.95 + 0.006 })])
        f.title = "loss"
        XCTAssertEqual(f.description, "line chart 'loss' (2 series, 20 points each; x 0…19, y 0.12…2.3)")
    }

    func testKinds() throws {
        XCTAssertEqual(try Figure.line(x: nil, y: [1, 2, 3], name: "loss").description,
                       "line chart 'loss' (1 series, 3 points; x 0…2, y 1…3)")
        XCTAssertEqual(try Figure.scatter(x: [1, 2], y: [0.5, 4]).description, "scatter plot (1 series, 2 points; x 1…2, y 0.5…4)")
        XCTAssertEqual(try Figure.bar(labels: ["a", "b", "c"], values: [1, 5, 2]).description,
                       "bar chart (3 bars; x 3 categories, y 1…5)")
        XCTAssertEqual(try Figure.histogram([1, 2, 2, 3, 4], bins: 3).description, "histogram (3 bins, 5 values; x 1…4)")
        XCTAssertEqual(try Figure.heatmap([[1, 2], [3, .nan]]).description, "heatmap (2×2 cells; values 1…3; 1 non-finite value dropped)")
        XCTAssertEqual(Figure().description, "empty chart (no data)")
        var e = try Figure.lines([]); e.title = "t"
        XCTAssertEqual(e.description, "empty chart 't' (no data)")
    }

    func testNaNAndLogCounts() throws {
        XCTAssertEqual(try Figure.line(x: nil, y: [1, .nan, 3, .infinity]).description,
                       "line chart (1 series, 4 points; x 0…2, y 1…3; 2 non-finite values dropped)")
        var f = try Figure.line(x: nil, y: [0, 1, 100]); f.yScale = .log
        XCTAssertEqual(f.description, "line chart (1 series, 3 points; x 1…2, y 1…100 (log); 1 non-positive value not drawn on log axis)")
    }

    func testFacetsAndUnevenSeriesAndOneLine() throws {
        var f = try Figure.lines([("a", [1, 2]), ("b", [1, 2, 3])])
        f.facetBySeries = true
        f.title = "two\nlines"
        XCTAssertEqual(f.description, "line chart 'two lines' (2 series, 5 points, one panel per series; x 0…2, y 1…3)")
    }
}
