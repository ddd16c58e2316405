import KoanData
import KoanFineTune
import KoanNN
import KoanTensor
import KoanTokenizers
import XCTest

/// Text and CoNLL datasets, their tokenisation for a model (first sub-token labelled, the
/// rest ignored), and batches cut to their longest row.
final class TextDataTests: XCTestCase {
    func write(_ text: String, _ name: String) throws -> String {
        let path = try temporaryDirectory(self) + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testTextCSVWithClassesAndErrors() throws {
        let path = try write("id,text,category\n1,\"where is my parcel, please\",track\n2,cancel it,cancel\n3,late parcel,track\n", "t.csv")
        let d = try Dataset.csv(path: path, text: "text", label: "category")
        XCTAssertEqual(d.texts, ["where is my parcel, please", "cancel it", "late parcel"])
        XCTAssertEqual(d.classNames, ["cancel", "track"])
        XCTAssertEqual(d.labels.ints(), [1, 0, 1])
        let fixed = try Dataset.csv(path: path, text: "text", label: "category", classes: ["track", "cancel", "refund"])
        XCTAssertEqual(fixed.labels.ints(), [0, 1, 0])
        XCTAssertEqual(try fixed.subset([2, 0]).texts, ["late parcel", "where is my parcel, please"])
        XCTAssertThrowsError(try Dataset.csv(path: path, text: "text", label: "category", classes: ["track"])) { e in
            XCTAssertTrue("\(e)".contains("t.csv:3: the label 'cancel' is not one of the 1 classes given"), "\(e)")
        }
        XCTAssertThrowsError(try Dataset.csv(path: path, text: "body", label: "category")) { e in
            XCTAssertEqual(e as? DataError, .unknownColumn(path: path, name: "body", available: ["id", "text", "category"]))
        }
    }

    func testCoNLLParsesSentencesTagsAndOrder() throws {
        let path = try write("@paul\tO\nNew\tB-location\nYork\tI-location\n\t\nApple\tB-corporation\nrocks\tO\n\nhi O\n", "x.conll")
        let d = try Dataset.conll(path: path)
        XCTAssertEqual(d.words, [["@paul", "New", "York"], ["Apple", "rocks"], ["hi"]])
        XCTAssertEqual(d.classNames, ["O", "B-corporation", "B-location", "I-location"])
        XCTAssertEqual(d.labels.shape, [3, 3])
        XCTAssertEqual(d.labels.ints(), [0, 2, 3, 1, 0, -100, 0, -100, -100])
        XCTAssertEqual(d.wordTags(0), ["O", "B-location", "I-location"])
        XCTAssertThrowsError(try Dataset.conll(path: try write("a\tO\nbad\n", "bad.conll"))) { e in
            XCTAssertTrue("\(e)".contains("bad.conll:2"), "\(e)")
        }
    }

    func testEncodingLabelsFirstSubTokenAndPadsWithMinusOne() throws {
        let tok = try smallTokenizer()
        let sentences: [[(word: String, tag: String)]] = [[("where", "O"), ("parcels", "B-product")], [("late", "O")]]
        let d = try Dataset.tagged(sentences)
        let e = try encodeTexts(d, tokenizer: tok, maxLength: 16)
        XCTAssertTrue(e.isPadded)
        let pieces = tok.encode("parcels", addSpecialTokens: false)
        XCTAssertGreaterThan(pieces.count, 1, "the test needs a word of several sub-tokens: \(pieces)")
        let row0 = [tok.clsId!, tok.encode("where", addSpecialTokens: false)[0]] + pieces + [tok.sepId!]
        XCTAssertEqual(e.features.shape, [2, row0.count])
        let f = e.features.ints(), l = e.labels.ints()
        XCTAssertEqual(Array(f[0..<row0.count]), row0.map(Int64.init))
        let bProduct = Int64(d.classNames!.firstIndex(of: "B-product")!)
        XCTAssertEqual(Array(l[0..<row0.count]), [-100, 0, bProduct] + Array(repeating: -100, count: pieces.count - 1) + [-100])
        XCTAssertEqual(f[row0.count + 3], -1, "padding")
        // Truncation keeps the special tokens.
        let cut = try encodeTexts(d, tokenizer: tok, maxLength: 3)
        XCTAssertEqual(cut.features.shape[1], 3)
        XCTAssertEqual(cut.features.ints()[2], Int64(tok.sepId!))
        // Batches are cut to their own longest row.
        let batch = try e.batchPlan(1).batch(1)
        XCTAssertEqual(batch.x.shape, [1, 3])
        XCTAssertEqual(batch.y.shape, [1, 3])
    }

    func testWordTagSequencesReadTheLabelledPositions() throws {
        let d = try Dataset.tagged([[("a", "B-x"), ("b", "O")]])
        var enc = try Dataset(features: try NDArray(ints: [5, 6, 7, 8], shape: [1, 4]), labels: try NDArray(ints: [-100, 1, -100, 0], shape: [1, 4]),
                              classNames: d.classNames)
        enc.isPadded = true
        var logits = [Double](repeating: 0, count: 8)
        logits[1 * 2 + 1] = 1   // position 1 → B-x
        logits[3 * 2 + 1] = 1   // position 3 → B-x (truth O)
        let (truth, pred) = try wordTagSequences(logits: try NDArray(values: logits, shape: [1, 4, 2]), encoded: enc)
        XCTAssertEqual(truth, [["B-x", "O"]])
        XCTAssertEqual(pred, [["B-x", "B-x"]])
    }

    func testBERTTreatsNegativeIDsAsPadding() throws {
        let bert = try smallBERT()
        bert.eval()
        let padded = try bert.encode(ids: ids([[2, 5, 7, -1, -1]])).data
        let masked = try bert.encode(ids: ids([[2, 5, 7, 0, 0]]), attentionMask: ids([[1, 1, 1, 0, 0]])).data
        XCTAssertEqual(try maxDifference(padded, masked), 0)
    }
}
