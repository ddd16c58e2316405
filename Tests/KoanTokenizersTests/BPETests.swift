import Foundation
import KoanTokenizers
import XCTest

final class BPETests: XCTestCase {
    func trained() throws -> (Tokenizer, [String]) {
        let lines = try Fixtures.lines()
        let text = lines.joined(separator: "\n") + "\n"
        return (try Tokenizer.bpe(trainOn: text, vocab: 512), lines)
    }

    func merges(_ tok: Tokenizer) throws -> [[String]] {
        let obj = try JSONSerialization.jsonObject(with: Data(try tok.jsonString().utf8)) as? [String: Any]
        return (obj?["model"] as? [String: Any])?["merges"] as? [[String]] ?? []
    }

    func testRoundTripAndMergesVersusHFTrainer() throws {
        let (tok, lines) = try trained()
        for l in lines { XCTAssertEqual(tok.decode(tok.encode(l)), l, l.debugDescription) }
        XCTAssertEqual(tok.decode(tok.encode("unseen: ქართული 🦄 \u{1}")), "unseen: ქართული 🦄 \u{1}")
        let g = try Fixtures.goldens()
        let hf = try XCTUnwrap(g["bpe_hf"] as? [String: Any])
        let hfMerges = try XCTUnwrap(hf["merges"] as? [[String]])
        let mine = try merges(tok)
        let same = zip(mine, hfMerges).prefix { $0 == $1 }.count
        print("BPE merges: Koan \(mine.count), HF \(hfMerges.count), identical prefix \(same); vocab \(tok.vocabSize) vs \(hf["vocab_size"] ?? 0)")
        XCTAssertEqual(mine, hfMerges)
        // Same merges => HF's own ids for the lines.
        let hfIds = try XCTUnwrap(hf["ids"] as? [[Int]])
        for (l, want) in zip(lines, hfIds) { XCTAssertEqual(tok.encode(l), want, l.debugDescription) }
    }

    func testSavedTokenizerLoadsInHFWithIdenticalIds() throws {
        let (tok, lines) = try trained()
        let hf = try huggingFaceEncodings(of: tok, lines)
        for (l, want) in zip(lines, hf.ids) { XCTAssertEqual(tok.encode(l), want, l.debugDescription) }
        XCTAssertEqual(hf.decoded, lines)
        XCTAssertEqual(hf.reloaded, true)
    }

    func testTrainingSpeed() throws {
        let lines = try Fixtures.lines()
        let base = lines.joined(separator: "\n") + "\n"
        let text = String(repeating: base, count: max(1, 200_000 / base.utf8.count))
        let t0 = Date()
        let tok = try Tokenizer.bpe(trainOn: text, vocab: 512)
        let dt = Date().timeIntervalSince(t0)
        print(String(format: "BPE training: %.0f KB, vocab %d, %.3f s", Double(text.utf8.count) / 1000, tok.vocabSize, dt))
        XCTAssertEqual(tok.vocabSize, 512)
        XCTAssertEqual(tok.decode(tok.encode(base)), base)
    }
}
