import Foundation
import XCTest
@testable import KoanPlot

final class VegaLiteTests: XCTestCase {
    private func parse(_ spec: String, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(spec.utf8))
        return try XCTUnwrap(object as? [String: Any], file: file, line: line)
    }

    func testEveryFigureIsValidJSONWithSchema() throws {
        for (name, figure) in try sampleFigures() {
            let spec = try parse(figure.vegaLite())
            XCTAssertEqual(spec["$schema"] as? String, "https://vega.github.io/schema/vega-lite/v5.json", name)
            XCTAssertNotNil((spec["data"] as? [String: Any])?["values"] as? [Any], name)
        }
    }

    func testEveryFigureCompilesWithVlConvert() throws {
        let specs = try sampleFigures().map { ($0.0, $0.1.vegaLite()) }
        let failures = try vlConvertFailures(specs)
        XCTAssertEqual(failures, [:], "vl-convert rejected: \(failures)")
    }

    func testLineSpec() throws {
        var f = try Figure.line(x: nil, y: [1, 2, 3], name: "loss")
        f.title = "t"; f.xLabel = "epoch"
        let spec = try parse(f.vegaLite())
        XCTAssertEqual(spec["title"] as? String, "t")
        XCTAssertEqual((spec["mark"] as? [String: Any])?["type"] as? String, "line")
        let enc = try XCTUnwrap(spec["encoding"] as? [String: Any])
        XCTAssertEqual((enc["x"] as? [String: Any])?["title"] as? String, "epoch")
        XCTAssertEqual((enc["y"] as? [String: Any])?["title"] as? String, "loss")
        XCTAssertNil(enc["color"])
        let values = try XCTUnwrap((spec["data"] as? [String: Any])?["values"] as? [[String: Any]])
        XCTAssertEqual(values.count, 3)
        XCTAssertEqual(values[2]["y"] as? Double, 3)
    }

    func testSeveralSeriesHaveLegendWithPaletteColours() throws {
        let spec = try parse(try Figure.lines([("loss", [1, 2]), ("val_loss", [2, 3])]).vegaLite())
        let color = try XCTUnwrap((spec["encoding"] as? [String: Any])?["color"] as? [String: Any])
        XCTAssertEqual(color["field"] as? String, "series")
        let scale = try XCTUnwrap(color["scale"] as? [String: Any])
        XCTAssertEqual(scale["domain"] as? [String], ["loss", "val_loss"])
        XCTAssertEqual(scale["range"] as? [String], ["#4c78a8", "#f58518"])
    }

    func testLogScales() throws {
        let spec = try parse(try Figure.scatter(x: [1, 10], y: [1, 100]).scaled(x: .log, y: .log).vegaLite())
        let enc = try XCTUnwrap(spec["encoding"] as? [String: Any])
        XCTAssertEqual(((enc["x"] as? [String: Any])?["scale"] as? [String: Any])?["type"] as? String, "log")
        XCTAssertEqual(((enc["y"] as? [String: Any])?["scale"] as? [String: Any])?["type"] as? String, "log")
    }

    func testFacet() throws {
        var f = try Figure.lines([("a", [1, 2]), ("b", [2, 1])])
        f.facetBySeries = true
        let spec = try parse(f.vegaLite())
        XCTAssertEqual((spec["facet"] as? [String: Any])?["field"] as? String, "series")
        XCTAssertNotNil(spec["spec"] as? [String: Any])
        XCTAssertNil(spec["mark"])
    }

    func testHistogramUsesBinEdges() throws {
        let spec = try parse(try Figure.histogram([1, 2, 2, 3, 4], bins: 3).vegaLite())
        let values = try XCTUnwrap((spec["data"] as? [String: Any])?["values"] as? [[String: Any]])
        XCTAssertEqual(values.map { $0["bin_start"] as? Double }, [1, 2, 3])
        XCTAssertEqual(values.map { $0["bin_end"] as? Double }, [2, 3, 4])
        XCTAssertEqual(values.map { $0["y"] as? Double }, [1, 2, 2])
    }

    func testHeatmapSpec() throws {
        let spec = try parse(try Figure.heatmap([[1, .nan], [3, 4]], rowLabels: ["a", "b"], columnLabels: ["p", "q"]).vegaLite())
        let values = try XCTUnwrap((spec["data"] as? [String: Any])?["values"] as? [[String: Any]])
        XCTAssertEqual(values.count, 3)   // NaN cell left out
        let layers = try XCTUnwrap(spec["layer"] as? [[String: Any]])
        XCTAssertEqual(layers.count, 2)
    }

    func testNonFiniteNeverReachesJSON() throws {
        let text = try Figure.line(x: nil, y: [1, .nan, .infinity, 2]).vegaLite()
        XCTAssertFalse(text.contains("nan") || text.contains("inf"))
        let values = try XCTUnwrap((try parse(text)["data"] as? [String: Any])?["values"] as? [Any])
        XCTAssertEqual(values.count, 2)
    }

    func testStringsAreEscaped() throws {
        var f = try Figure.bar(labels: ["<&>\"\\\n\u{1}"], values: [1])
        f.title = "quote \" backslash \\"
        let spec = try parse(f.vegaLite())
        XCTAssertEqual(spec["title"] as? String, "quote \" backslash \\")
        let values = try XCTUnwrap((spec["data"] as? [String: Any])?["values"] as? [[String: Any]])
        XCTAssertEqual(values[0]["label"] as? String, "<&>\"\\\n\u{1}")
    }
}
