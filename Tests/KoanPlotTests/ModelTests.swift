import XCTest
@testable import KoanPlot

final class ModelTests: XCTestCase {
    func testLineDefaultsX() throws {
        let f = try Figure.line(x: nil, y: [3, 1, 2], name: "loss")
        XCTAssertEqual(f.series.count, 1)
        XCTAssertEqual(f.series[0].x, [0, 1, 2])
        XCTAssertEqual(f.series[0].kind, .line)
        XCTAssertEqual(f.series[0].name, "loss")
    }

    func testLinesSharesX() throws {
        let f = try Figure.lines([("loss", [2, 1]), ("val_loss", [3, 2])], x: [10, 20])
        XCTAssertEqual(f.series.map(\.name), ["loss", "val_loss"])
        XCTAssertEqual(f.series[1].x, [10, 20])
        let g = try Figure.lines([("a", [1, 2, 3]), ("b", [1])])
        XCTAssertEqual(g.series[1].x, [0])
    }

    func testScatterAndBar() throws {
        XCTAssertEqual(try Figure.scatter(x: [1, 2], y: [3, 4]).series[0].kind, .scatter)
        let b = try Figure.bar(labels: ["a", "b"], values: [1, 2])
        XCTAssertEqual(b.categories, ["a", "b"])
        XCTAssertEqual(b.series[0].x, [0, 1])
        XCTAssertEqual(b.series[0].kind, .bar)
    }

    func testHistogramMatchesNumpy() throws {
        // numpy.histogram([1, 2, 2, 3, 4], bins=3) -> counts [1, 2, 2], edges [1, 2, 3, 4]
        let f = try Figure.histogram([1, 2, 2, 3, 4], bins: 3)
        XCTAssertEqual(f.series[0].y, [1, 2, 2])
        XCTAssertEqual(f.series[0].binEdges, [1, 2, 3, 4])
        XCTAssertEqual(f.series[0].x, [1.5, 2.5, 3.5])
        // last bin closed: the maximum lands in the last bin
        XCTAssertEqual(try Figure.histogram([0, 1], bins: 2).series[0].y, [1, 1])
        // numpy.histogram([0, 0.1, 0.2, ..., 1.0], bins=10) -> [1,1,1,1,1,1,1,1,1,2]
        let tenths = (0...10).map { Double($0) / 10 }
        XCTAssertEqual(try Figure.histogram(tenths, bins: 10).series[0].y, [1, 1, 1, 1, 1, 1, 1, 1, 1, 2])
        // equal values: range v-0.5 ... v+0.5
        let same = try Figure.histogram([5, 5, 5], bins: 2)
        XCTAssertEqual(same.series[0].binEdges, [4.5, 5, 5.5])
        XCTAssertEqual(same.series[0].y, [0, 3])
        // empty: range 0...1
        let empty = try Figure.histogram([], bins: 4)
        XCTAssertEqual(empty.series[0].binEdges, [0, 0.25, 0.5, 0.75, 1])
        XCTAssertEqual(empty.series[0].y, [0, 0, 0, 0])
        // non-finite inputs are left out (and reported)
        let nan = try Figure.histogram([1, .nan, 2, .infinity], bins: 1)
        XCTAssertEqual(nan.series[0].y, [2])
        XCTAssertTrue(nan.description.contains("2 non-finite values dropped"), nan.description)
        // huge ranges do not overflow
        let huge = try Figure.histogram([-Double.greatestFiniteMagnitude, .greatestFiniteMagnitude], bins: 2)
        XCTAssertEqual(huge.series[0].y, [1, 1])
        XCTAssertEqual(try Figure.histogram([1e20, 1e20], bins: 3).series[0].y.reduce(0, +), 2)
    }

    func testHeatmapDefaults() throws {
        let f = try Figure.heatmap([[1, 2, 3], [4, 5, 6]])
        XCTAssertEqual(f.heatmap?.rowLabels, ["0", "1"])
        XCTAssertEqual(f.heatmap?.columnLabels, ["0", "1", "2"])
        XCTAssertEqual(f.heatmap?.annotate, true)
        XCTAssertEqual(f.heatmap?.colourScale, .viridis)
    }

    func testErrors() throws {
        XCTAssertThrowsError(try Figure.line(x: [1, 2, 3], y: [1, 2])) { e in
            XCTAssertEqual(e as? PlotError, .lengthMismatch(series: "y", xCount: 3, yCount: 2))
            let message = "\(e)"
            XCTAssertTrue(message.contains("3") && message.contains("2"), message)
        }
        XCTAssertThrowsError(try Figure.scatter(x: [1], y: [1, 2], name: "s")) {
            XCTAssertEqual($0 as? PlotError, .lengthMismatch(series: "s", xCount: 1, yCount: 2))
        }
        XCTAssertThrowsError(try Figure.lines([("a", [1, 2])], x: [0])) {
            XCTAssertEqual($0 as? PlotError, .lengthMismatch(series: "a", xCount: 1, yCount: 2))
        }
        XCTAssertThrowsError(try Figure.bar(labels: ["a"], values: [1, 2])) {
            XCTAssertEqual($0 as? PlotError, .labelCountMismatch(what: "bar chart with 2 values", expected: 2, found: 1))
        }
        for bins in [0, -3, Int.max] {
            XCTAssertThrowsError(try Figure.histogram([1, 2], bins: bins)) {
                XCTAssertEqual($0 as? PlotError, .invalidBinCount(bins))
            }
        }
        XCTAssertThrowsError(try Figure.heatmap([[1, 2], [3]])) {
            XCTAssertEqual($0 as? PlotError, .raggedHeatmap(row: 1, expected: 2, found: 1))
        }
        XCTAssertThrowsError(try Figure.heatmap([[1, 2]], rowLabels: ["a", "b"])) {
            XCTAssertEqual($0 as? PlotError, .labelCountMismatch(what: "heatmap rows", expected: 1, found: 2))
        }
        XCTAssertThrowsError(try Figure.heatmap([[1, 2]], columnLabels: ["a"])) {
            XCTAssertEqual($0 as? PlotError, .labelCountMismatch(what: "heatmap columns", expected: 2, found: 1))
        }
    }

    func testLogAxisRejectsNonPositive() throws {
        XCTAssertThrowsError(try Figure.line(x: nil, y: [1, 0, 2]).scaled(y: .log)) {
            XCTAssertEqual($0 as? PlotError, .nonPositiveOnLogAxis(axis: "y", series: "y", value: 0))
        }
        XCTAssertThrowsError(try Figure.scatter(x: [-1, 2], y: [1, 2]).scaled(x: .log)) {
            XCTAssertEqual($0 as? PlotError, .nonPositiveOnLogAxis(axis: "x", series: "y", value: -1))
        }
        // NaN is dropped, not an error
        XCTAssertNoThrow(try Figure.line(x: nil, y: [1, .nan, 2]).scaled(y: .log))
        // set by hand: svg() still works, png() and save() throw
        var f = try Figure.line(x: nil, y: [-1, 1, 10])
        f.yScale = .log
        XCTAssertFalse(f.svg().isEmpty)
        XCTAssertThrowsError(try f.png()) { XCTAssertEqual($0 as? PlotError, .nonPositiveOnLogAxis(axis: "y", series: "y", value: -1)) }
        XCTAssertThrowsError(try f.save(NSTemporaryDirectory() + "/koanplot-never.svg"))
    }

    func testValidateCatchesHandEditedFigures() throws {
        var f = try Figure.line(x: nil, y: [1, 2])
        f.series[0].x = [1]
        XCTAssertThrowsError(try f.validate()) { XCTAssertEqual($0 as? PlotError, .lengthMismatch(series: "y", xCount: 1, yCount: 2)) }
        XCTAssertFalse(f.svg().isEmpty)
        XCTAssertFalse(f.vegaLite().isEmpty)
        var h = try Figure.heatmap([[1, 2], [3, 4]])
        h.heatmap?.matrix[1] = [1]
        XCTAssertThrowsError(try h.validate()) { XCTAssertEqual($0 as? PlotError, .raggedHeatmap(row: 1, expected: 2, found: 1)) }
        XCTAssertFalse(h.svg().isEmpty)
        XCTAssertFalse(h.vegaLite().isEmpty)
    }

    func testErrorMessagesAreReadable() {
        XCTAssertEqual(PlotError.invalidBinCount(0).description, "histogram needs between 1 and 1000000 bins, got 0")
        XCTAssertTrue(PlotError.unknownExtension(".gif").description.contains(".svg, .png or .json"))
    }
}
