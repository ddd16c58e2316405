import XCTest
import KoanMetrics

/// Checks the examples shown in the doc comments.
final class ExampleTests: XCTestCase {
    func testDocExamples() throws {
        XCTAssertEqual(try f1(yTrue: [1, 0], yPred: [1, 1]).value, 2.0 / 3.0)
        XCTAssertEqual(try precision(yTrue: [0, 1, 1], yPred: [1, 1, 1]).value, 2.0 / 3.0)
        XCTAssertEqual(try recall(yTrue: [0, 1, 1], yPred: [1, 1, 0]).value, 0.5)
        XCTAssertEqual(try recall(yTrue: [0, 1, 1], yPred: [0, 1, 0], average: .none).values, [1.0, 0.5])
        XCTAssertEqual(try precision(yTrue: [0, 0], yPred: [0, 0], zeroDivision: .one).value, 1.0)
        XCTAssertEqual(try precisionRecallFScoreSupport(yTrue: [0, 1, 2], yPred: [0, 2, 2], average: .macro).precision.value, 0.5)
        XCTAssertEqual(try accuracy(yTrue: [1, 2, 3], yPred: [1, 2, 0]), 2.0 / 3.0)

        let report = try classificationReport(yTrue: [0, 1, 2, 2], yPred: [0, 2, 2, 2])
        XCTAssertEqual(report.accuracy, 0.75)
        XCTAssertEqual(report.rows[2].f1, 0.8)
        XCTAssertEqual(report.dictionary().keys, ["0", "1", "2", "accuracy", "macro avg", "weighted avg"])
        XCTAssertEqual(try classificationReport(yTrue: [0, 1], yPred: [0, 0]).dictionary()["0"]?["recall"]?.number, 1.0)

        let cm = try confusionMatrix(yTrue: [0, 1, 1], yPred: [0, 0, 1])
        XCTAssertEqual(cm.labels, [0, 1])
        XCTAssertEqual(cm.matrix, [[1, 0], [1, 1]])

        let roc = try rocCurve(yTrue: [0, 0, 1, 1], scores: [0.1, 0.4, 0.35, 0.8])
        XCTAssertEqual(roc.fpr, [0, 0, 0.5, 0.5, 1])
        XCTAssertEqual(roc.tpr, [0, 0.5, 0.5, 1, 1])
        XCTAssertEqual(roc.thresholds, [.infinity, 0.8, 0.4, 0.35, 0.1])
        let pr = try precisionRecallCurve(yTrue: [0, 0, 1, 1], scores: [0.1, 0.4, 0.35, 0.8])
        XCTAssertEqual(pr.precision, [0.5, 2.0 / 3.0, 0.5, 1, 1])
        XCTAssertEqual(pr.recall, [1, 1, 0.5, 0.5, 0])
        XCTAssertEqual(pr.thresholds, [0.1, 0.35, 0.4, 0.8])
        XCTAssertEqual(try auc(x: [0, 0.5, 1], y: [0, 1, 1]), 0.75)

        let ml = try classificationReport(multilabelTrue: [[true, false], [true, true]],
                                          multilabelPred: [[true, true], [false, true]], targetNames: ["news", "sport"])
        XCTAssertEqual(ml.averages.map(\.name), ["micro avg", "macro avg", "weighted avg", "samples avg"])
    }

    func testSeqevalExampleAndHTML() throws {
        let truth = [["B-PER", "I-PER", "O", "B-LOC"], ["O", "B-ORG"]]
        let guess = [["B-PER", "I-PER", "O", "O"], ["O", "B-ORG"]]
        let report = try seqevalReport(trueTags: truth, predTags: guess, digits: 3)
        XCTAssertEqual(report.rows.map(\.name), ["LOC", "ORG", "PER"])
        XCTAssertEqual(report.averages.map(\.name), ["micro avg", "macro avg", "weighted avg"])
        XCTAssertEqual(report.dictionary()["LOC"]?["support"]?.number, 1)

        let html = try classificationReport(yTrue: ["<a>", "b&c"], yPred: ["<a>", "<a>"]).html()
        XCTAssertTrue(html.contains("<th>&lt;a&gt;</th>"))
        XCTAssertTrue(html.contains("<th>b&amp;c</th>"))
        XCTAssertTrue(report.html().contains("<th>micro avg</th>"))
    }
}
