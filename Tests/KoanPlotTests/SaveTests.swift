import Foundation
import XCTest
@testable import KoanPlot

final class SaveTests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("koanplot-save-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
    }

    func testSavesByExtension() throws {
        let f = try Figure.line(x: nil, y: [1, 2, 3])
        let svg = dir.appendingPathComponent("f.svg").path
        let png = dir.appendingPathComponent("f.PNG").path
        let json = dir.appendingPathComponent("f.json").path
        try f.save(svg); try f.save(png); try f.save(json)
        XCTAssertEqual(try String(contentsOfFile: svg, encoding: .utf8), f.svg())
        XCTAssertEqual(Array(try Data(contentsOf: URL(fileURLWithPath: png)).prefix(4)), [0x89, 0x50, 0x4E, 0x47])
        XCTAssertEqual(try String(contentsOfFile: json, encoding: .utf8), f.vegaLite())
    }

    func testUnknownExtension() throws {
        let f = try Figure.line(x: nil, y: [1])
        XCTAssertThrowsError(try f.save(dir.appendingPathComponent("f.gif").path)) {
            XCTAssertEqual($0 as? PlotError, .unknownExtension(".gif"))
        }
        XCTAssertThrowsError(try f.save(dir.appendingPathComponent("noext").path)) {
            guard case .unknownExtension = $0 as? PlotError else { return XCTFail("\($0)") }
        }
    }

    func testWriteFailure() throws {
        let f = try Figure.line(x: nil, y: [1])
        let path = dir.appendingPathComponent("missing/dir/f.svg").path
        XCTAssertThrowsError(try f.save(path)) { e in
            guard case .writeFailed(let p, _) = e as? PlotError else { return XCTFail("\(e)") }
            XCTAssertEqual(p, path)
        }
    }
}
