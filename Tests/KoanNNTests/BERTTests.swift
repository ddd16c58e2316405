import KoanAutograd
import KoanNN
import KoanTensor
import XCTest

final class BERTTests: XCTestCase {
    func small() throws -> BERT {
        try BERT(vocab: 100, dim: 32, heads: 4, layers: 2, intermediate: 64, maxPositions: 40, key: RandomKey(seed: 5))
    }

    func testPathsMatchHuggingFace() throws {
        let paths = Set(try small().parameters.map(\.path))
        let expected = [
            "embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight",
            "embeddings.token_type_embeddings.weight", "embeddings.LayerNorm.weight", "embeddings.LayerNorm.bias",
            "encoder.layer.0.attention.self.query.weight", "encoder.layer.0.attention.self.query.bias",
            "encoder.layer.0.attention.self.key.weight", "encoder.layer.0.attention.self.value.bias",
            "encoder.layer.0.attention.output.dense.weight", "encoder.layer.0.attention.output.LayerNorm.weight",
            "encoder.layer.0.intermediate.dense.weight", "encoder.layer.0.output.dense.weight",
            "encoder.layer.0.output.LayerNorm.weight", "encoder.layer.1.output.LayerNorm.bias",
            "pooler.dense.weight", "pooler.dense.bias"]
        for p in expected { XCTAssertTrue(paths.contains(p), p) }
        // 5 embedding tensors + 16 per layer + 2 pooler, like BertModel's state dict (without position_ids).
        XCTAssertEqual(paths.count, 5 + 16 * 2 + 2)
        // The loader's shape table agrees with the model.
        let m = try small()
        let table = bertParameterShapes(vocab: 100, dim: 32, layers: 2, intermediate: 64, maxPositions: 40, typeVocab: 2)
        XCTAssertEqual(table.map(\.path), m.parameters.map(\.path))
        XCTAssertEqual(table.map(\.shape), m.parameters.map(\.tensor.shape))
    }

    func testPaddingIsMaskedOut() throws {
        let bert = try small()
        bert.eval()
        let real = [2, 17, 33, 48, 3]
        let a = try bert.forward(ids: try ids([real]), attentionMask: try ids([[1, 1, 1, 1, 1]]))
        let padded = try ids([real + [0, 0, 0], [2, 9, 3, 0, 0, 0, 0, 0]])
        let mask = try ids([[1, 1, 1, 1, 1, 0, 0, 0], [1, 1, 1, 0, 0, 0, 0, 0]])
        let b = try bert.forward(ids: padded, attentionMask: mask)
        let rowA = try b.sequence.data.sliced(axis: 0, start: 0, end: 1).sliced(axis: 1, start: 0, end: 5)
        XCTAssertLessThan(maxAbsDiff(a.sequence.data, rowA), 1e-5)
        XCTAssertLessThan(maxAbsDiff(a.pooled.data, try b.pooled.data.sliced(axis: 0, start: 0, end: 1)), 1e-5)
        let ea = try bert.embed(ids: try ids([real]))
        let eb = try bert.embed(ids: padded, attentionMask: mask)
        XCTAssertLessThan(maxAbsDiff(ea.data, try eb.data.sliced(axis: 0, start: 0, end: 1)), 1e-5)
        // Unit length; without the mask the padded row differs.
        let norms = try (eb * eb).sum(axes: [1]).doubles()
        for n in norms { XCTAssertEqual(n, 1, accuracy: 1e-5) }
        let unmasked = try bert.embed(ids: padded)
        XCTAssertGreaterThan(maxAbsDiff(ea.data, try unmasked.data.sliced(axis: 0, start: 0, end: 1)), 1e-3)
    }

    func testTokenTypesAndErrors() throws {
        let bert = try small()
        let x = try ids([[2, 5, 7, 3]])
        let t0 = try bert(x).data
        let t1 = try bert.encode(ids: x, tokenTypeIds: try ids([[0, 0, 1, 1]])).data
        XCTAssertGreaterThan(maxAbsDiff(t0, t1), 1e-4)
        XCTAssertThrowsError(try bert.encode(ids: x, attentionMask: try ids([[1, 1]]))) { e in
            XCTAssertTrue("\(e)".contains("attentionMask"), "\(e)")
        }
        XCTAssertThrowsError(try bert(try ids([Array(repeating: 1, count: 41)]))) { e in
            XCTAssertTrue("\(e)".contains("40 position"), "\(e)")
        }
        XCTAssertThrowsError(try bert(try ids([[100]])))
        XCTAssertThrowsError(try BERT(vocab: 10, dim: 30, heads: 4, layers: 1, intermediate: 8))
    }

    func testHeads() throws {
        let bert = try small()
        let tagger = try bert.tokenClassifier(labels: 7)
        let clf = try bert.sequenceClassifier(classes: 3)
        let x = try ids([[2, 5, 7, 3], [2, 8, 3, 0]])
        let mask = try ids([[1, 1, 1, 1], [1, 1, 1, 0]])
        XCTAssertEqual(try tagger.forward(ids: x, attentionMask: mask).shape, [2, 4, 7])
        XCTAssertEqual(try clf.forward(ids: x, attentionMask: mask).shape, [2, 3])
        XCTAssertEqual(try clf(x).shape, [2, 3])
        let paths = clf.parameters.map(\.path)
        XCTAssertTrue(paths.contains("bert.encoder.layer.1.output.dense.weight"))
        XCTAssertEqual(paths.suffix(2), ["classifier.weight", "classifier.bias"])
        // The heads share the encoder; their architectures rebuild.
        let a = try XCTUnwrap(try lmArchitecture(of: tagger))
        let rebuilt = try XCTUnwrap(try buildLM(a) as? BERTTokenClassifier)
        XCTAssertEqual(rebuilt.parameters.map(\.path), tagger.parameters.map(\.path))
        let b = try XCTUnwrap(try buildLM(try XCTUnwrap(try lmArchitecture(of: bert))) as? BERT)
        XCTAssertEqual(b.layerNormEps, 1e-12)
        XCTAssertEqual(b.maxPositions, 40)
        // A sequence classifier learns a toy task (gradients reach the encoder).
        let (_, grads) = try valueAndGrad(clf) { m in
            try crossEntropy(m(x), targets: try Tensor(ints: [0, 2], shape: [2]), labelSmoothing: 0)
        }
        let g = try XCTUnwrap(grads.first { $0.path == "bert.embeddings.word_embeddings.weight" })
        XCTAssertGreaterThan(g.grad.data.doubles().map(abs).max() ?? 0, 0)
    }
}
