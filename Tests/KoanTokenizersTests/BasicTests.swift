import Foundation
import KoanTokenizers
import XCTest

final class BasicTests: XCTestCase {
    func testBytes() throws {
        let t = Tokenizer.bytes
        XCTAssertEqual(t.vocabSize, 256)
        XCTAssertEqual(t.encode("hé"), [104, 195, 169])
        XCTAssertEqual(t.decode([104, 195, 169]), "hé")
        let s = "Emoji 👨‍👩‍👧 \u{0}\u{7f} ok"
        XCTAssertEqual(t.encode(s), Array(s.utf8).map(Int.init))
        XCTAssertEqual(t.decode(t.encode(s)), s)
        let be = Tokenizer.bytes(bos: true, eos: true)
        XCTAssertEqual(be.encode("hi"), [256, 104, 105, 257])
        XCTAssertEqual(be.encode("hi", addSpecialTokens: false), [104, 105])
        XCTAssertEqual(be.decode([256, 104, 105, 257]), "hi")
        XCTAssertEqual(be.decode([256, 104, 105, 257], skipSpecialTokens: false), "<bos>hi<eos>")
        XCTAssertEqual([be.bosId, be.eosId], [256, 257])
        XCTAssertEqual(Tokenizer.bytes(bos: false, eos: true).encode("a"), [97, 256])
        let b = be.encodeBatch(["a", "abc"])
        XCTAssertEqual(b.ids, [[256, 97, 257, 0, 0], [256, 97, 98, 99, 257]])
        XCTAssertEqual(b.attentionMask, [[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]])
        XCTAssertEqual(try b.idsArray().shape, [2, 5])
    }

    func testChars() throws {
        let t = Tokenizer.chars(from: "hello")
        XCTAssertEqual(t.vocabSize, 5)
        XCTAssertEqual((0..<5).compactMap { t.token(for: $0) }, ["e", "h", "l", "o", "<unk>"])
        XCTAssertEqual(t.encode("hole!"), [1, 3, 2, 0, 4])
        XCTAssertEqual(t.decode([1, 0, 2, 2, 3]), "hello")
        XCTAssertEqual(t.unkId, 4)
        let e = Tokenizer.chars(from: "👨‍👩‍👧ab")
        XCTAssertEqual(e.encode("a👨‍👩‍👧"), [0, 2])
        XCTAssertEqual(e.encoding("a👨‍👩‍👧").offsets, [0..<1, 1..<6])
        XCTAssertThrowsError(try t.save(NSTemporaryDirectory() + "x.json"))
    }

    func testTypedErrorsNameFileAndField() throws {
        let dir = NSTemporaryDirectory() + "koan-tokerr-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func check(_ json: String, _ expected: TokenizerError, file: StaticString = #filePath, line: UInt = #line) throws {
            let p = dir + "/t.json"
            try json.write(toFile: p, atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try Tokenizer.load(p), file: file, line: line) { e in
                XCTAssertEqual(e as? TokenizerError, expected.withPath(p), file: file, line: line)
            }
        }
        let wp = #""model": {"type": "WordPiece", "unk_token": "[UNK]", "vocab": {"[UNK]": 0, "a": 1}}"#
        try check(#"{"model": {"type": "Unigram", "vocab": {}}}"#,
                  .unsupported(path: "", field: "model.type", value: "Unigram", supported: ["WordPiece", "BPE"]))
        try check(#"{"normalizer": {"type": "NFKC"}, \#(wp)}"#,
                  .unsupported(path: "", field: "normalizer.type", value: "NFKC", supported: ["BertNormalizer", "Lowercase", "NFD", "StripAccents", "Sequence"]))
        try check(#"{"pre_tokenizer": {"type": "Metaspace"}, \#(wp)}"#,
                  .unsupported(path: "", field: "pre_tokenizer.type", value: "Metaspace", supported: ["BertPreTokenizer", "ByteLevel", "WhitespaceSplit", "Sequence"]))
        try check(#"{"model": {"type": "WordPiece", "vocab": {}}}"#, .missingField(path: "", field: "model.unk_token"))
        try check(#"{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [["a", "b"]]}}"#,
                  .invalidValue(path: "", field: "model.merges[0]", reason: "token 'b' is not in model.vocab"))
        try check(#"{"model": "#, .invalidJSON(path: "", reason: "unexpected end of JSON at byte 10"))
        XCTAssertThrowsError(try Tokenizer.load(dir + "/missing.json")) { e in
            guard case .cannotOpen(let p, _)? = e as? TokenizerError else { return XCTFail("\(e)") }
            XCTAssertEqual(p, dir + "/missing.json")
        }
        XCTAssertThrowsError(try Tokenizer.bpe(trainOn: "abc", vocab: 100))
        let msg = TokenizerError.unsupported(path: "f.json", field: "model.type", value: "X", supported: ["A"]).description
        XCTAssertEqual(msg, "f.json: unsupported value 'X' at model.type (supported: A)")
    }

    func testWordPieceDetails() throws {
        let json = #"""
        {"added_tokens": [{"id": 1, "content": "[SEP]", "special": true}, {"id": 2, "content": "[CLS]", "special": true}],
         "normalizer": {"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true, "strip_accents": null, "lowercase": true},
         "pre_tokenizer": {"type": "BertPreTokenizer"},
         "post_processor": {"type": "BertProcessing", "sep": ["[SEP]", 1], "cls": ["[CLS]", 2]},
         "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": true},
         "model": {"type": "WordPiece", "unk_token": "[UNK]", "max_input_chars_per_word": 10,
                   "vocab": {"[UNK]": 0, "[SEP]": 1, "[CLS]": 2, "un": 3, "##aff": 4, "##able": 5, "cafe": 6, "!": 7, "中": 8}}}
        """#
        let p = NSTemporaryDirectory() + "koan-wp-\(UUID().uuidString).json"
        try json.write(toFile: p, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: p) }
        let t = try Tokenizer.load(p)
        let e = t.encoding("UnAffable  CAFÉ! 中x unaffableunaffable unx")
        XCTAssertEqual(e.tokens, ["[CLS]", "un", "##aff", "##able", "cafe", "!", "中", "[UNK]", "[UNK]", "[UNK]", "[SEP]"])
        XCTAssertEqual(e.offsets, [0..<0, 0..<2, 2..<5, 5..<9, 11..<15, 15..<16, 17..<18, 18..<19, 20..<38, 39..<42, 0..<0])
        XCTAssertEqual(t.decode(t.encode("unaffable cafe!")), "unaffable cafe!")
    }
}

extension TokenizerError {
    func withPath(_ p: String) -> TokenizerError {
        switch self {
        case .unsupported(_, let f, let v, let s): .unsupported(path: p, field: f, value: v, supported: s)
        case .missingField(_, let f): .missingField(path: p, field: f)
        case .invalidValue(_, let f, let r): .invalidValue(path: p, field: f, reason: r)
        case .invalidJSON(_, let r): .invalidJSON(path: p, reason: r)
        default: self
        }
    }
}
