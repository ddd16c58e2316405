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
        let dir = NSTemporaryDirectory() + "koan-bpe-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let tokPath = dir + "/tokenizer.json", linesPath = dir + "/lines.json", outPath = dir + "/out.json"
        try tok.save(tokPath)
        try JSONSerialization.data(withJSONObject: lines).write(to: URL(fileURLWithPath: linesPath))
        let script = """
        import json, sys
        try:
            from tokenizers import Tokenizer
        except ImportError:
            sys.exit(77)
        t = Tokenizer.from_file(sys.argv[1])
        lines = json.load(open(sys.argv[2], encoding="utf-8"))
        out = {"ids": [t.encode(l).ids for l in lines], "decoded": [t.decode(t.encode(l).ids) for l in lines]}
        json.dump(out, open(sys.argv[3], "w", encoding="utf-8"))
        """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", script, tokPath, linesPath, outPath]
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        do { try p.run() } catch { throw XCTSkip("python3 not runnable: \(error)") }
        p.waitUntilExit()
        if p.terminationStatus == 77 { throw XCTSkip("python package tokenizers not installed") }
        XCTAssertEqual(p.terminationStatus, 0)
        let out = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: outPath))) as? [String: Any])
        let ids = try XCTUnwrap(out["ids"] as? [[Int]])
        XCTAssertEqual(ids.count, lines.count)
        for (l, want) in zip(lines, ids) { XCTAssertEqual(tok.encode(l), want, l.debugDescription) }
        XCTAssertEqual(out["decoded"] as? [String], lines)
        // And Koan reloads its own file identically.
        let back = try Tokenizer.load(tokPath)
        for l in lines { XCTAssertEqual(back.encoding(l), tok.encoding(l)) }
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
