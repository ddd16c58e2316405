import KoanAutograd
import Foundation
import KoanData
import KoanNN
import KoanTensor
import KoanTokenizers
import KoanTrain
import XCTest

final class TextDatasetTests: XCTestCase {
    func testWindows() throws {
        let d1 = try Dataset.nextToken(ids: [1, 2, 3, 4, 5, 6, 7], context: 3)
        let (x, y) = (d1.features, d1.labels)
        XCTAssertEqual(x.shape, [2, 3])
        XCTAssertEqual(x.dtype, .int64)
        XCTAssertEqual(x.ints(), [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(y.ints(), [2, 3, 4, 5, 6, 7])
        let d2 = try Dataset.nextToken(ids: Array(0..<10), context: 4, stride: 2)
        let (x2, y2) = (d2.features, d2.labels)
        XCTAssertEqual(x2.shape, [3, 4])
        XCTAssertEqual(x2.ints(), [0, 1, 2, 3, 2, 3, 4, 5, 4, 5, 6, 7])
        XCTAssertEqual(y2.ints(), [1, 2, 3, 4, 3, 4, 5, 6, 5, 6, 7, 8])
        XCTAssertEqual(try Dataset.nextToken(ids: Array(0..<5), context: 4).features.shape, [1, 4])
        XCTAssertThrowsError(try Dataset.nextToken(ids: Array(0..<4), context: 4)) { e in XCTAssertTrue("\(e)".contains("needs 5"), "\(e)") }
        XCTAssertThrowsError(try Dataset.nextToken(ids: Array(0..<9), context: 0))
        XCTAssertThrowsError(try Dataset.nextToken(ids: Array(0..<9), context: 2, stride: 0))
        XCTAssertThrowsError(try Dataset.nextToken(ids: [1, -1, 2], context: 1))
        let ds = try Dataset.nextToken(ids: Array(0..<10), context: 3, name: "toy")
        XCTAssertEqual(ds.count, 3)
        XCTAssertEqual(ds.labels.shape, [3, 3])
        XCTAssertTrue(ds.isClassification)
    }

    func testShortTrainingRunLowersLoss() throws {
        // notebooks/data/corpus.txt: Hamlet (public domain; see notebooks/data/README.md).
        let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("notebooks/data/corpus.txt")
        let text = try readTextFile(corpus.path)
        XCTAssertGreaterThan(text.utf8.count, 100_000)
        XCTAssertTrue(text.hasPrefix("HAMLET, PRINCE OF DENMARK"))
        let sample = String(text.prefix(4000))
        let tok = Tokenizer.chars(from: sample)
        let ids = tok.encode(sample, addSpecialTokens: false)
        let data = try Dataset.nextToken(ids: ids, context: 16, name: "hamlet")
        let probe = try data.subset(Array(0..<48))
        let gpt = try GPT(vocab: tok.vocabSize, context: 16, dim: 32, heads: 4, layers: 1, position: .rope, key: RandomKey(seed: 1))
        let before = try evaluate(gpt, on: probe).loss
        let run = try fit(gpt, on: data, optimizer: try AdamW(lr: 1e-2), options: FitOptions(steps: 30, batchSize: 16, seed: 2))
        let after = try evaluate(gpt, on: probe).loss
        print("text training: loss \(before) → \(after) over \(run.steps.count) AdamW steps (\(data.count) windows of 16 characters)")
        XCTAssertEqual(run.steps.count, 30)
        XCTAssertLessThan(after, before - 0.8)
        let losses: [Double] = run.steps.map(\.loss)
        let first: Double = losses.prefix(5).reduce(0, +) / 5
        let last: Double = losses.suffix(5).reduce(0, +) / 5
        XCTAssertLessThan(last, first - 0.5)
    }
}
