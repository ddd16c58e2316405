import XCTest
@testable import KoanPlot

final class SVGTests: XCTestCase {
    func testEveryFigureIsWellFormedAndRendersWithRsvg() throws {
        for (name, figure) in try sampleFigures() {
            let svg = figure.svg()
            XCTAssertTrue(svg.contains("<svg xmlns=\"http://www.w3.org/2000/svg\""), name)
            assertWellFormedXML(svg, name)
            XCTAssertTrue(simpleWellFormed(svg), "\(name): fallback checker disagrees")
            XCTAssertNoThrow(try RsvgBridge.png(svg: svg, scale: 1), name)
        }
    }

    func testFallbackCheckerRejectsBrokenXML() {
        XCTAssertTrue(simpleWellFormed("<svg><g a=\"1\"><rect/></g>&amp;</svg>"))
        XCTAssertFalse(simpleWellFormed("<svg><g></svg>"))
        XCTAssertFalse(simpleWellFormed("<svg><text>a & b</text></svg>"))
        XCTAssertFalse(simpleWellFormed("<svg><text>a < b</text></svg>"))
        XCTAssertFalse(simpleWellFormed("<svg/><svg/>"))
    }

    func testTextIsEscaped() throws {
        var f = try Figure.bar(labels: ["<&>"], values: [1])
        f.title = "a \"b\" <c> & 'd'"
        let svg = f.svg()
        XCTAssertTrue(svg.contains("&lt;&amp;&gt;"))
        XCTAssertTrue(svg.contains("a &quot;b&quot; &lt;c&gt; &amp; &apos;d&apos;"))
        XCTAssertFalse(svg.contains("<c>"))
        XCTAssertEqual(xmlEscape("x\u{0}y\u{7}\nz"), "xy z")
    }

    func testTitleAxesAndLabels() throws {
        var f = try Figure.line(x: nil, y: (0..<20).map { Double($0) / 10 })
        f.title = "Training"; f.xLabel = "epoch"; f.yLabel = "loss"
        let svg = f.svg()
        for s in [">Training<", ">epoch<", ">loss<", ">0.0<", ">1.0<", ">15<"] {
            XCTAssertTrue(svg.contains(s), "missing \(s)")
        }
        XCTAssertTrue(svg.contains("width=\"480\" height=\"300\""))
    }

    func testLegendAndPaletteForSeveralSeries() throws {
        let f = try Figure.lines([("loss", [3, 2, 1]), ("val_loss", [4, 3, 2])])
        let svg = f.svg()
        XCTAssertTrue(svg.contains(">loss<") && svg.contains(">val_loss<"))
        XCTAssertTrue(svg.contains("stroke=\"#4c78a8\"") && svg.contains("stroke=\"#f58518\""))
        let one = try Figure.line(x: nil, y: [1, 2]).svg()
        XCTAssertFalse(one.contains("#f58518"))
    }

    func testNaNBreaksTheLine() throws {
        let svg = try Figure.line(x: nil, y: [1, 2, .nan, 3, 4]).svg()
        XCTAssertEqual(svg.components(separatedBy: "<path d=").count - 1, 2)
        XCTAssertFalse(svg.contains("nan") || svg.contains("NaN") || svg.contains("inf"))
    }

    func testFacetsDrawOnePanelPerSeries() throws {
        var f = try Figure.lines([("a", [1, 2]), ("b", [2, 1]), ("c", [1, 1]), ("d", [0, 1])])
        f.facetBySeries = true
        var r = SVGRenderer(figure: f)
        let svg = r.render()
        XCTAssertEqual(r.panels.count, 4)
        XCTAssertTrue(svg.contains("width=\"1440\" height=\"600\""))   // 3 columns × 2 rows of 480×300
        for name in ["a", "b", "c", "d"] { XCTAssertTrue(svg.contains(">\(name)<")) }
    }

    func testEmptyFigureHasFrameTitleAndAxes() throws {
        var f = Figure(); f.title = "nothing yet"
        var r = SVGRenderer(figure: f)
        let svg = r.render()
        XCTAssertEqual(r.panels.count, 1)
        XCTAssertTrue(svg.contains(">nothing yet<"))
        XCTAssertTrue(svg.contains(">0.0<") && svg.contains(">1.0<"))
        XCTAssertFalse(svg.contains("<path") || svg.contains("<circle"))
    }

    func testHeatmapAnnotationsContrast() throws {
        let svg = try Figure.heatmap([[0, 10]]).svg()
        // lowest cell is dark purple → white text; highest is yellow → black text
        XCTAssertTrue(svg.contains("fill=\"#440154\""))
        XCTAssertTrue(svg.contains("fill=\"#fde725\""))
        XCTAssertTrue(svg.contains("fill=\"#ffffff\">0</text>"))
        XCTAssertTrue(svg.contains("fill=\"#000000\">10</text>"))
        var plain = try Figure.heatmap([[0, 10]], annotate: false)
        plain.title = "t"
        XCTAssertFalse(plain.svg().contains("fill=\"#000000\">10</text>"))
        XCTAssertFalse(plain.svg().contains("fill=\"#ffffff\">0</text>"))
    }

    func testLogAxisTicksArePowersOfTen() throws {
        let svg = try Figure.line(x: nil, y: [1, 10, 100, 1000]).scaled(y: .log).svg()
        for s in [">1<", ">10<", ">100<", ">1000<"] { XCTAssertTrue(svg.contains(s), s) }
    }

    func testLongCategoryLabelsAreRotatedAndTruncated() throws {
        let labels = (0..<10).map { "category number \($0) with a very very long name" }
        let svg = try Figure.bar(labels: labels, values: Array(repeating: 1, count: 10)).svg()
        XCTAssertTrue(svg.contains("rotate(-45"))
        XCTAssertTrue(svg.contains("…"))
    }

    func testInvalidColourFallsBackToPalette() throws {
        var f = try Figure.line(x: nil, y: [1, 2])
        f.series[0].colour = "red\"/><script>"
        let svg = f.svg()
        XCTAssertFalse(svg.contains("<script>"))
        XCTAssertTrue(svg.contains("#4c78a8"))
    }
}
