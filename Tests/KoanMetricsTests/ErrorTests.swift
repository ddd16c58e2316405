import XCTest
import KoanMetrics

final class ErrorTests: XCTestCase {
    private func expect(_ expected: MetricsError, file: StaticString = #filePath, line: UInt = #line,
                        _ body: () throws -> Void) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            XCTAssertEqual(error as? MetricsError, expected, file: file, line: line)
            XCTAssertFalse(String(describing: error).isEmpty, file: file, line: line)
        }
    }

    func testLengthAndEmptiness() {
        expect(.lengthMismatch(firstName: "yTrue", firstCount: 2, secondName: "yPred", secondCount: 1)) {
            _ = try accuracy(yTrue: [1, 2], yPred: [1])
        }
        XCTAssertEqual(MetricsError.lengthMismatch(firstName: "yTrue", firstCount: 2, secondName: "yPred", secondCount: 1).description,
                       "length mismatch: yTrue has 2 elements but yPred has 1")
        expect(.emptyInput(argument: "yTrue")) { _ = try classificationReport(yTrue: [], yPred: []) }
        expect(.emptyInput(argument: "yTrue")) { _ = try f1(yTrue: [], yPred: [], average: .macro) }
        expect(.lengthMismatch(firstName: "multilabelTrue", firstCount: 1, secondName: "multilabelPred", secondCount: 0)) {
            _ = try classificationReport(multilabelTrue: [[true, false]], multilabelPred: [])
        }
    }

    func testLabelProblems() {
        expect(.mixedLabelTypes) { _ = try classificationReport(yTrue: [1, "a"], yPred: [1, 1]) }
        expect(.mixedLabelTypes) { _ = try accuracy(yTrue: [1, 2], yPred: ["1", "2"]) }
        expect(.emptyLabels) { _ = try classificationReport(yTrue: [1], yPred: [1], labels: []) }
        expect(.labelKindMismatch(label: "x", argument: "labels")) {
            _ = try classificationReport(yTrue: [1], yPred: [1], labels: ["x"])
        }
        expect(.targetNamesCountMismatch(labels: 2, targetNames: 1)) {
            _ = try classificationReport(yTrue: [0, 1], yPred: [0, 1], targetNames: ["zero"])
        }
        expect(.targetNamesCountMismatch(labels: 1, targetNames: 2)) {
            _ = try classificationReport(yTrue: [0, 1], yPred: [0, 1], labels: [1], targetNames: ["a", "b"])
        }
        expect(.invalidDigits(-1)) { _ = try classificationReport(yTrue: [0], yPred: [0], digits: -1) }
    }

    func testAveragingProblems() {
        expect(.averageBinaryOnMulticlass(labelCount: 3)) { _ = try precision(yTrue: [0, 1, 2], yPred: [0, 1, 1]) }
        expect(.invalidPosLabel(.int(5), present: [0, 1])) { _ = try recall(yTrue: [0, 1], yPred: [0, 1], posLabel: 5) }
        expect(.labelKindMismatch(label: .int(1), argument: "posLabel")) { _ = try f1(yTrue: ["a", "b"], yPred: ["a", "a"]) }
        XCTAssertEqual(try f1(yTrue: ["a", "b"], yPred: ["a", "b"], posLabel: "b").value, 1.0)
    }

    func testMultilabelShape() {
        expect(.raggedMultilabel(argument: "multilabelPred", row: 1, expected: 2, found: 3)) {
            _ = try classificationReport(multilabelTrue: [[true, false], [false, true]],
                                         multilabelPred: [[true, false], [false, true, true]])
        }
        expect(.tooFewMultilabelColumns(1)) {
            _ = try classificationReport(multilabelTrue: [[true]], multilabelPred: [[false]])
        }
    }

    func testConfusionMatrixAndCurves() {
        expect(.noLabelInTruth) { _ = try confusionMatrix(yTrue: [0, 1], yPred: [2, 2], labels: [2]) }
        expect(.emptyLabels) { _ = try confusionMatrix(yTrue: [0, 1], yPred: [0, 1], labels: []) }
        expect(.nonBinaryTarget(value: 2, index: 1)) { _ = try rocCurve(yTrue: [0, 2], scores: [0.1, 0.2]) }
        expect(.nonFiniteScore(index: 0)) { _ = try precisionRecallCurve(yTrue: [0, 1], scores: [.nan, 0.2]) }
        expect(.lengthMismatch(firstName: "yTrue", firstCount: 2, secondName: "scores", secondCount: 1)) {
            _ = try rocCurve(yTrue: [0, 1], scores: [0.5])
        }
        expect(.emptyInput(argument: "yTrue")) { _ = try rocCurve(yTrue: [], scores: []) }
        expect(.tooFewPoints(1)) { _ = try auc(x: [0], y: [1]) }
        expect(.nonMonotonicX) { _ = try auc(x: [0, 1, 0.5], y: [0, 1, 1]) }
        expect(.lengthMismatch(firstName: "x", firstCount: 2, secondName: "y", secondCount: 3)) {
            _ = try auc(x: [0, 1], y: [0, 1, 1])
        }
    }

    func testSeqevalProblems() {
        expect(.noEntities) { _ = try seqevalReport(trueTags: [["O"]], predTags: [["O"]]) }
        expect(.lengthMismatch(firstName: "trueTags", firstCount: 1, secondName: "predTags", secondCount: 2)) {
            _ = try seqevalReport(trueTags: [["O"]], predTags: [["O"], ["O"]])
        }
        expect(.sentenceLengthMismatch(sentence: 1, trueLength: 2, predLength: 1)) {
            _ = try seqevalReport(trueTags: [["B-PER"], ["O", "O"]], predTags: [["B-PER"], ["O"]])
        }
        expect(.emptyTag(sentence: 0, position: 1)) { _ = try seqevalReport(trueTags: [["B-PER", ""]], predTags: [["O", "O"]]) }
        expect(.invalidTag(tag: "E-PER", sentence: 0, position: 1, scheme: .iob2)) {
            _ = try seqevalReport(trueTags: [["B-PER", "E-PER"]], predTags: [["B-PER", "I-PER"]], scheme: .iob2, mode: .strict)
        }
        expect(.invalidTag(tag: "X-PER", sentence: 0, position: 0, scheme: nil)) {
            _ = try seqevalReport(trueTags: [["B-PER"]], predTags: [["X-PER"]], scheme: .iob2, mode: .strict)
        }
        expect(.undetectableScheme(prefixes: ["O"])) {
            _ = try seqevalReport(trueTags: [["O", "O"]], predTags: [["B-PER", "O"]], mode: .strict)
        }
        // Default mode tolerates what strict mode rejects.
        XCTAssertNoThrow(try seqevalReport(trueTags: [["I-PER", "E-PER"]], predTags: [["B-PER", "I-PER"]]))
    }

    func testDiagnosticsReadLikeCompilerMessages() {
        let messages = [
            MetricsError.emptyInput(argument: "yTrue").description,
            MetricsError.targetNamesCountMismatch(labels: 3, targetNames: 2).description,
            MetricsError.invalidTag(tag: "E-PER", sentence: 0, position: 1, scheme: .iob2).description,
        ]
        XCTAssertEqual(messages[0], "empty input: 'yTrue' must contain at least one sample")
        XCTAssertEqual(messages[1], "number of classes, 3, does not match size of targetNames, 2")
        XCTAssertEqual(messages[2], "invalid tag 'E-PER' at sentence 0, position 1: prefix not allowed by scheme IOB2 (allowed: I|O|B)")
        for message in messages { XCTAssertFalse(message.hasSuffix(".")) }
    }
}
