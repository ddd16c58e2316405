import Foundation
import XCTest
@testable import KoanPlot

/// Writes every sample figure as .svg/.png/.json into $KOANPLOT_DUMP for looking at by eye.
final class DumpTests: XCTestCase {
    func testDumpSamplesWhenAsked() throws {
        guard let dir = ProcessInfo.processInfo.environment["KOANPLOT_DUMP"], !dir.isEmpty else {
            throw XCTSkip("set KOANPLOT_DUMP=/some/dir to write the sample figures there")
        }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for (name, figure) in try sampleFigures() {
            for ext in ["svg", "png", "json"] { try figure.save("\(dir)/\(name).\(ext)") }
        }
    }
}
