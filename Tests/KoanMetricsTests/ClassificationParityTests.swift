import Foundation
import XCTest
@testable import KoanMetrics

final class ClassificationParityTests: XCTestCase {
    func testFixturesLoaded() {
        XCTAssertGreaterThanOrEqual(Fixtures.cases("classification").count, 250)
        XCTAssertGreaterThanOrEqual(Fixtures.cases("seqeval").count, 250)
    }

    func testClassificationReports() throws {
        let cases = Fixtures.cases("classification")
        var failures = 0
        for (index, c) in cases.enumerated() {
            let report = try classificationReport(
                yTrue: labels(c["yTrue"])!, yPred: labels(c["yPred"])!, labels: labels(c["labels"]),
                targetNames: c["targetNames"] as? [String], digits: (c["digits"] as! NSNumber).intValue,
                zeroDivision: zeroDivision(c["zeroDivision"]))
            let expected = c["text"] as! String
            if report.description.utf8.elementsEqual(expected.utf8) == false {
                failures += 1
                XCTFail("classification case \(index): \(firstDifference(report.description, expected))")
            }
            if let problem = matches(report.dictionary(), c["dict"]) {
                failures += 1
                XCTFail("classification case \(index) dict: \(problem)")
            }
            XCTAssertTrue(report.html().hasPrefix("<table"))
        }
        XCTAssertEqual(failures, 0)
    }

    func testMultilabelReports() throws {
        for (index, c) in Fixtures.cases("multilabel").enumerated() {
            let toBool = { (rows: Any?) in (rows as! [[NSNumber]]).map { $0.map { $0.intValue != 0 } } }
            let report = try classificationReport(
                multilabelTrue: toBool(c["yTrue"]), multilabelPred: toBool(c["yPred"]),
                targetNames: c["targetNames"] as? [String], digits: (c["digits"] as! NSNumber).intValue,
                zeroDivision: zeroDivision(c["zeroDivision"]))
            let expected = c["text"] as! String
            XCTAssertTrue(report.description.utf8.elementsEqual(expected.utf8),
                          "multilabel case \(index): \(firstDifference(report.description, expected))")
            if let problem = matches(report.dictionary(), c["dict"]) {
                XCTFail("multilabel case \(index) dict: \(problem)")
            }
        }
    }
}
