import Foundation
import XCTest
@testable import KoanMetrics

final class SeqevalParityTests: XCTestCase {
    func testSeqevalReports() throws {
        let cases = Fixtures.cases("seqeval")
        let inexactBefore = inexactMatches
        var checked = 0
        for (index, c) in cases.enumerated() {
            let scheme: TagScheme?
            switch c["scheme"] as? String {
            case "iob1": scheme = .iob1
            case "iob2": scheme = .iob2
            case "ioe1": scheme = .ioe1
            case "ioe2": scheme = .ioe2
            case "iobes": scheme = .iobes
            case "bilou": scheme = .bilou
            default: scheme = nil
            }
            let mode: SeqevalMode = c["mode"] as? String == "strict" ? .strict : .default
            let run = {
                try seqevalReport(trueTags: c["trueTags"] as! [[String]], predTags: c["predTags"] as! [[String]],
                                  scheme: scheme, mode: mode, digits: (c["digits"] as! NSNumber).intValue,
                                  zeroDivision: zeroDivision(c["zeroDivision"]))
            }
            if let error = c["error"] as? String {
                XCTAssertThrowsError(try run(), "seqeval case \(index) should fail like seqeval: \(error)") { thrown in
                    XCTAssertTrue(thrown is MetricsError)
                    XCTAssertFalse("\(thrown)".isEmpty)
                }
                continue
            }
            let report = try run()
            let expected = c["text"] as! String
            XCTAssertTrue(report.description.utf8.elementsEqual(expected.utf8),
                          "seqeval case \(index) (\(mode)): \(firstDifference(report.description, expected))")
            if let problem = matches(report.dictionary(), c["dict"]) {
                XCTFail("seqeval case \(index) dict: \(problem)")
            }
            checked += 1
        }
        XCTAssertGreaterThanOrEqual(checked, 250)
        XCTAssertEqual(inexactMatches, inexactBefore, "seqeval values matched only within 1e-12")
    }
}
