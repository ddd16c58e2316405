import Foundation
import XCTest
@testable import KoanMetrics

final class MetricsParityTests: XCTestCase {
    func testPrecisionRecallF1() throws {
        let cases = Fixtures.cases("prf")
        XCTAssertGreaterThan(cases.count, 100)
        for (index, c) in cases.enumerated() {
            let average: Average
            switch c["average"] as? String {
            case "binary": average = .binary
            case "micro": average = .micro
            case "macro": average = .macro
            case "weighted": average = .weighted
            default: average = .none
            }
            let yTrue = labels(c["yTrue"])!, yPred = labels(c["yPred"])!
            let posLabel = labels((c["posLabel"] as Any?).map { [$0] })?.first ?? .int(1)
            let result = try precisionRecallFScoreSupport(
                yTrue: yTrue, yPred: yPred, average: average, labels: labels(c["labels"]),
                posLabel: posLabel, zeroDivision: zeroDivision(c["zeroDivision"]))
            let expect = { (key: String) -> [Double] in average == .none ? doubles(c[key]) : [double(c[key])] }
            assertSame(result.precision.values, expect("precision"), "prf case \(index) precision")
            assertSame(result.recall.values, expect("recall"), "prf case \(index) recall")
            assertSame(result.f1.values, expect("f1"), "prf case \(index) f1")
            XCTAssertEqual(result.support, (c["support"] as? [NSNumber])?.map(\.intValue), "prf case \(index) support")
            // The single-metric entry points agree with the combined one.
            let p = try precision(yTrue: yTrue, yPred: yPred, average: average, labels: labels(c["labels"]),
                                  posLabel: posLabel, zeroDivision: zeroDivision(c["zeroDivision"]))
            let r = try recall(yTrue: yTrue, yPred: yPred, average: average, labels: labels(c["labels"]),
                               posLabel: posLabel, zeroDivision: zeroDivision(c["zeroDivision"]))
            let f = try f1(yTrue: yTrue, yPred: yPred, average: average, labels: labels(c["labels"]),
                           posLabel: posLabel, zeroDivision: zeroDivision(c["zeroDivision"]))
            assertSame(p.values, expect("precision"), "prf case \(index) precision()")
            assertSame(r.values, expect("recall"), "prf case \(index) recall()")
            assertSame(f.values, expect("f1"), "prf case \(index) f1()")
            assertSame([try accuracy(yTrue: yTrue, yPred: yPred)], [double(c["accuracy"])], "prf case \(index) accuracy")
        }
    }

    func testConfusionMatrices() throws {
        let cases = Fixtures.cases("confusion")
        XCTAssertGreaterThan(cases.count, 50)
        for (index, c) in cases.enumerated() {
            let normalize: Normalize?
            switch c["normalize"] as? String {
            case "true": normalize = .true
            case "pred": normalize = .pred
            case "all": normalize = .all
            default: normalize = nil
            }
            let cm = try confusionMatrix(yTrue: labels(c["yTrue"])!, yPred: labels(c["yPred"])!,
                                         labels: labels(c["labels"]), normalize: normalize)
            XCTAssertEqual(cm.labels, labels(c["outLabels"]), "confusion case \(index) labels")
            let rows = (c["matrix"] as! [Any]).map(doubles)
            XCTAssertEqual(cm.matrix.count, rows.count, "confusion case \(index)")
            for (got, want) in zip(cm.matrix, rows) { assertSame(got, want, "confusion case \(index)") }
        }
    }

    func testCurves() throws {
        let cases = Fixtures.cases("curves")
        XCTAssertGreaterThan(cases.count, 50)
        for (index, c) in cases.enumerated() {
            if let x = c["aucX"] {
                assertSame([try auc(x: doubles(x), y: doubles(c["aucY"]))], [double(c["auc"])], "auc case \(index)")
                continue
            }
            let yTrue = (c["yTrue"] as! [NSNumber]).map(\.intValue)
            let scores = doubles(c["scores"])
            let roc = try rocCurve(yTrue: yTrue, scores: scores)
            let rocWant = c["roc"] as! [String: Any]
            assertSame(roc.fpr, doubles(rocWant["fpr"]), "roc case \(index) fpr")
            assertSame(roc.tpr, doubles(rocWant["tpr"]), "roc case \(index) tpr")
            assertSame(roc.thresholds, doubles(rocWant["thresholds"]), "roc case \(index) thresholds")
            let pr = try precisionRecallCurve(yTrue: yTrue, scores: scores)
            let prWant = c["pr"] as! [String: Any]
            assertSame(pr.precision, doubles(prWant["precision"]), "pr case \(index) precision")
            assertSame(pr.recall, doubles(prWant["recall"]), "pr case \(index) recall")
            assertSame(pr.thresholds, doubles(prWant["thresholds"]), "pr case \(index) thresholds")
            if let want = c["rocAuc"] as? String {
                assertSame([try auc(x: roc.fpr, y: roc.tpr)], [double(want)], "roc auc case \(index)")
            } else {
                XCTAssertThrowsError(try auc(x: roc.fpr, y: roc.tpr), "roc auc case \(index)")
            }
            if let want = c["prAuc"] as? String {
                assertSame([try auc(x: pr.recall, y: pr.precision)], [double(want)], "pr auc case \(index)")
            } else {
                XCTAssertThrowsError(try auc(x: pr.recall, y: pr.precision), "pr auc case \(index)")
            }
        }
    }

    func testZzzAllValuesBitExact() {
        // Runs last (alphabetical): every compared value so far matched bit-for-bit.
        XCTAssertEqual(inexactMatches, 0, "values matched only within 1e-12")
    }
}
