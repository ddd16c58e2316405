import Foundation
import KoanTensor
import KoanTokenizers
import XCTest

/// all-MiniLM-L6-v2's tokenizer.json against ids/tokens/offsets written by HF `tokenizers`.
final class WordPieceGoldenTests: XCTestCase {
    func testRawEncodingsMatchHF() throws {
        let g = try Fixtures.goldens()
        let lines = try Fixtures.lines()
        let tok = try Tokenizer.load(try Fixtures.url("minilm-tokenizer.json").path).withTruncation(nil)
        let raw = try XCTUnwrap(g["raw"] as? [[String: Any]])
        XCTAssertEqual(raw.count, lines.count)
        XCTAssertGreaterThan(lines.count, 30)
        var tokenCount = 0
        for (line, want) in zip(lines, raw) {
            let e = tok.encoding(line)
            XCTAssertEqual(e.ids, want["ids"] as? [Int], "ids for \(line.debugDescription)")
            XCTAssertEqual(e.tokens, want["tokens"] as? [String], "tokens for \(line.debugDescription)")
            let offs = (want["offsets"] as? [[Int]] ?? []).map { $0[0]..<$0[1] }
            XCTAssertEqual(e.offsets, offs, "offsets for \(line.debugDescription)")
            XCTAssertEqual(tok.encode(line, addSpecialTokens: false), want["ids_no_special"] as? [Int])
            XCTAssertEqual(tok.decode(e.ids), want["decoded"] as? String, "decode for \(line.debugDescription)")
            tokenCount += e.count
        }
        XCTAssertGreaterThan(tokenCount, 700)
    }

    func testFileSettingsAndBatchesMatchHF() throws {
        let g = try Fixtures.goldens()
        let lines = try Fixtures.lines()
        let tok = try Tokenizer.load(try Fixtures.url("minilm-tokenizer.json").path)
        XCTAssertEqual(tok.padding?.strategy, .fixed(128))
        XCTAssertEqual(tok.truncation?.maxLength, 128)
        XCTAssertEqual(tok.vocabSize, 30522)
        XCTAssertEqual([tok.padId, tok.unkId, tok.clsId, tok.sepId, tok.maskId], [0, 100, 101, 102, 103])
        XCTAssertEqual(tok.id(for: "hello"), 7592)
        XCTAssertEqual(tok.token(for: 7592), "hello")

        // encode() applies the file's truncation but not its padding; HF also pads to 128.
        let fileIds = try XCTUnwrap(g["file_ids"] as? [[Int]])
        for (line, want) in zip(lines, fileIds) {
            let ids = tok.encode(line)
            XCTAssertLessThanOrEqual(ids.count, 128)
            XCTAssertEqual(ids + Array(repeating: 0, count: 128 - ids.count), want, line.debugDescription)
        }
        let fixed = try XCTUnwrap(g["batch_fixed"] as? [String: Any])
        let b = tok.encodeBatch(lines)
        XCTAssertEqual(b.ids, fixed["ids"] as? [[Int]])
        XCTAssertEqual(b.attentionMask, fixed["attention_mask"] as? [[Int]])
        let arr = try b.idsArray()
        XCTAssertEqual(arr.shape, [lines.count, 128])
        XCTAssertEqual(arr.dtype, .int64)
        XCTAssertEqual(arr.ints().map(Int.init), b.ids.flatMap { $0 })
        XCTAssertEqual(try b.attentionMaskArray().ints().map(Int.init), b.attentionMask.flatMap { $0 })

        let longest = try XCTUnwrap(g["batch_longest"] as? [String: Any])
        let b2 = tok.withPadding(nil).withTruncation(nil).encodeBatch(lines)
        XCTAssertEqual(b2.ids, longest["ids"] as? [[Int]])
        XCTAssertEqual(b2.attentionMask, longest["attention_mask"] as? [[Int]])
        XCTAssertEqual(tok.encodeBatch(lines, truncation: 8).ids.map(\.count), Array(repeating: 128, count: lines.count))
        XCTAssertEqual(tok.withPadding(nil).encodeBatch(["a b c d e f g h i j k"], truncation: 8).ids, [[101, 1037, 1038, 1039, 1040, 1041, 1042, 102]])
        XCTAssertThrowsError(try BatchEncoding.array([[1, 2], [3]]))
    }

    func testSaveLoadRoundTripKeepsEncodings() throws {
        let tok = try Tokenizer.load(try Fixtures.url("minilm-tokenizer.json").path)
        let path = NSTemporaryDirectory() + "koan-wp-\(UUID().uuidString).json"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try tok.save(path)
        let back = try Tokenizer.load(path)
        for line in try Fixtures.lines() { XCTAssertEqual(back.encoding(line), tok.encoding(line)) }
        XCTAssertEqual(back.padding, tok.padding)
        XCTAssertEqual(back.truncation, tok.truncation)
    }

    func testEncodeThroughput() throws {
        let tok = try Tokenizer.load(try Fixtures.url("minilm-tokenizer.json").path).withTruncation(nil)
        let lines = try Fixtures.lines()
        let text = lines.joined(separator: "\n")
        let reps = max(1, (ProcessInfo.processInfo.environment["KOAN_TOK_BENCH_BYTES"].flatMap(Int.init) ?? 100_000) / text.utf8.count)
        let big = Array(repeating: lines, count: reps).flatMap { $0 }
        let bytes = big.reduce(0) { $0 + $1.utf8.count }
        let t0 = Date()
        var n = 0
        for l in big { n += tok.encode(l).count }
        let dt = Date().timeIntervalSince(t0)
        print(String(format: "WordPiece encode: %.2f MB in %.3f s = %.2f MB/s (%d tokens)", Double(bytes) / 1e6, dt, Double(bytes) / 1e6 / dt, n))
        XCTAssertGreaterThan(n, 0)
    }
}
