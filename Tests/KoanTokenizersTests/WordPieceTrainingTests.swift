import Foundation
import KoanTokenizers
import XCTest

/// `Tokenizer.wordPiece(trainOn:vocab:)`: a BERT-style vocabulary learned from text.
final class WordPieceTrainingTests: XCTestCase {
    private func trained(_ size: Int = 400) throws -> (Tokenizer, [String]) {
        let lines = try Fixtures.lines()
        return (try Tokenizer.wordPiece(trainOn: lines.joined(separator: "\n"), vocab: size), lines)
    }

    func testVocabularyAndEncodings() throws {
        let (tok, _) = try trained()
        XCTAssertEqual(tok.vocabSize, 400)
        XCTAssertEqual((0..<5).compactMap { tok.token(for: $0) }, ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"])
        let e = tok.encoding("The quick brown fox.")
        XCTAssertEqual(e.tokens.first, "[CLS]")
        XCTAssertEqual(e.tokens.last, "[SEP]")
        XCTAssertFalse(e.tokens.contains("[UNK]"), "\(e.tokens)")
        XCTAssertEqual(tok.decode(tok.encode("The quick brown fox.")), "the quick brown fox.")
        // Characters the text never had are [UNK]; continuation pieces carry "##".
        XCTAssertTrue(tok.encoding("ⵣ").tokens.contains("[UNK]"))
        XCTAssertTrue(tok.encoding("unquestionably").tokens.dropFirst().dropLast().dropFirst().allSatisfy { $0.hasPrefix("##") })
        XCTAssertThrowsError(try Tokenizer.wordPiece(trainOn: "abc", vocab: 3))
        XCTAssertThrowsError(try Tokenizer.wordPiece(trainOn: "abc", vocab: 100, specialTokens: ["[PAD]"]))
    }

    /// The saved tokenizer.json loads in Hugging Face `tokenizers` with identical ids.
    func testSavedWordPieceLoadsInHFWithIdenticalIds() throws {
        let (tok, lines) = try trained()
        let hf = try huggingFaceEncodings(of: tok, lines)
        XCTAssertEqual(hf.ids.count, lines.count)
        for (l, want) in zip(lines, hf.ids) { XCTAssertEqual(tok.encode(l), want, l.debugDescription) }
        for (l, want) in zip(lines, hf.decoded) { XCTAssertEqual(tok.decode(tok.encode(l)), want, l.debugDescription) }
        XCTAssertEqual(hf.reloaded, true)
    }
}
