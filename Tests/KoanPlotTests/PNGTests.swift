import XCTest
@testable import KoanPlot

final class PNGTests: XCTestCase {
    private func pngSize(_ bytes: [UInt8]) -> (Int, Int)? {
        guard bytes.count > 24, bytes.prefix(8) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A],
              bytes[12..<16] == [0x49, 0x48, 0x44, 0x52] else { return nil }
        func be(_ i: Int) -> Int { bytes[i..<i + 4].reduce(0) { $0 << 8 | Int($1) } }
        return (be(16), be(20))
    }

    func testPNGBytesAndScale() throws {
        let f = try Figure.line(x: nil, y: [1, 2, 3])
        let one = try f.png()
        XCTAssertEqual(pngSize(one).map { [$0.0, $0.1] }, [480, 300])
        let two = try f.png(scale: 2)
        XCTAssertEqual(pngSize(two).map { [$0.0, $0.1] }, [960, 600])
    }

    func testInvalidScaleThrows() throws {
        let f = try Figure.line(x: nil, y: [1, 2])
        for s in [0, -1, .nan, .infinity, 1e9] {
            XCTAssertThrowsError(try f.png(scale: s)) { e in
                guard case .invalidScale = e as? PlotError else { return XCTFail("\(e)") }
            }
        }
    }

    func testRsvgFailureIsAnError() {
        XCTAssertThrowsError(try RsvgBridge.png(svg: "this is not svg <", scale: 1)) { e in
            guard case .renderFailed = e as? PlotError else { return XCTFail("\(e)") }
        }
    }

    func testRedHorizontalLine() throws {
        var f = try Figure.line(x: [0, 1], y: [0.5, 0.5])
        f.series[0].colour = "#ff0000"
        var r = SVGRenderer(figure: f)
        _ = r.render()
        let panel = try XCTUnwrap(r.panels.first)
        let (xAxis, yAxis) = (try XCTUnwrap(panel.x), try XCTUnwrap(panel.y))
        let image = try f.rgba()
        XCTAssertEqual(image.width, 480); XCTAssertEqual(image.height, 300)
        let row = panel.plot.y + panel.plot.h - yAxis.unit(0.5) * panel.plot.h
        let column = Int(panel.plot.x + xAxis.unit(0.5) * panel.plot.w)
        let rows = (Int(row) - 1)...(Int(row) + 1)
        XCTAssertTrue(rows.contains { close(image.pixel(column, $0), "#ff0000", tolerance: 20) },
                      "no red near row \(row): \(rows.map { image.pixel(column, $0).map { "\($0)" } ?? "nil" })")
        // across the whole width of the plot the line is there
        for x in stride(from: Int(panel.plot.x) + 3, to: Int(panel.plot.x + panel.plot.w) - 3, by: 37) {
            XCTAssertTrue(rows.contains { close(image.pixel(x, $0), "#ff0000", tolerance: 20) }, "column \(x)")
        }
        // far from the line, between gridlines: white
        let farRow = Int(panel.plot.y + panel.plot.h - yAxis.unit(0.53) * panel.plot.h)
        let farColumn = Int(panel.plot.x + xAxis.unit(0.3) * panel.plot.w)
        XCTAssertTrue(close(image.pixel(farColumn, farRow), "#ffffff", tolerance: 0), "\(String(describing: image.pixel(farColumn, farRow)))")
        // corner of the image: the white background
        XCTAssertTrue(close(image.pixel(1, 1), "#ffffff", tolerance: 0))
    }

    func testLogAxisPlacesDecadesEvenly() throws {
        var f = try Figure.line(x: [0, 1, 2], y: [1, 10, 100]).scaled(y: .log)
        f.series[0].colour = "#00ff00"
        var r = SVGRenderer(figure: f)
        _ = r.render()
        let panel = try XCTUnwrap(r.panels.first)
        let image = try f.rgba()
        // (1, 10) is the middle of the plot on a 1…100 log axis
        let x = Int(panel.plot.x + panel.plot.w / 2), y = Int(panel.plot.y + panel.plot.h / 2)
        XCTAssertTrue((y - 1...y + 1).contains { close(image.pixel(x, $0), "#00ff00", tolerance: 30) })
    }

    func testBarColourAndHeight() throws {
        let f = try Figure.bar(labels: ["a", "b"], values: [1, 2])
        var r = SVGRenderer(figure: f)
        _ = r.render()
        let panel = try XCTUnwrap(r.panels.first)
        let yAxis = try XCTUnwrap(panel.y)
        let image = try f.rgba()
        let xA = Int(panel.plot.x + panel.plot.w * 0.25)
        let yTop = panel.plot.y + panel.plot.h - yAxis.unit(1) * panel.plot.h
        XCTAssertTrue(close(image.pixel(xA, Int(yTop) + 5), palette[0]))   // inside bar "a"
        XCTAssertTrue(close(image.pixel(xA, Int(yTop) - 5), "#ffffff", tolerance: 30)
                      || close(image.pixel(xA, Int(yTop) - 5), "#e6e6e6", tolerance: 10))   // above it
    }

    func testHeatmapExtremesUseRampEnds() throws {
        let f = try Figure.heatmap([[0, 1], [2, 3]], annotate: false)
        var r = SVGRenderer(figure: f)
        _ = r.render()
        let grid = try XCTUnwrap(r.panels.first).plot
        let image = try f.rgba()
        let maxCell = image.pixel(Int(grid.x + grid.w * 0.75), Int(grid.y + grid.h * 0.75))
        let minCell = image.pixel(Int(grid.x + grid.w * 0.25), Int(grid.y + grid.h * 0.25))
        XCTAssertTrue(close(maxCell, "#fde725", tolerance: 2), "\(String(describing: maxCell))")
        XCTAssertTrue(close(minCell, "#440154", tolerance: 2), "\(String(describing: minCell))")
    }

    func testScatterPoint() throws {
        var f = try Figure.scatter(x: [0, 1, 2], y: [0, 1, 2])
        f.series[0].colour = "#0000ff"
        var r = SVGRenderer(figure: f)
        _ = r.render()
        let panel = try XCTUnwrap(r.panels.first)
        let (xAxis, yAxis) = (try XCTUnwrap(panel.x), try XCTUnwrap(panel.y))
        let image = try f.rgba()
        let px = Int(panel.plot.x + xAxis.unit(1) * panel.plot.w), py = Int(panel.plot.y + panel.plot.h - yAxis.unit(1) * panel.plot.h)
        let p = try XCTUnwrap(image.pixel(px, py))
        XCTAssertTrue(p.b > 200 && p.r < 80 && p.g < 80, "\(p)")   // 85% opaque blue over white
    }

    func testEveryFigureMakesAPNG() throws {
        for (name, figure) in try sampleFigures() {
            let bytes = try figure.png()
            XCTAssertNotNil(pngSize(bytes), name)
        }
    }
}
