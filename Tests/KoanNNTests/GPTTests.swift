import KoanAutograd
import KoanNN
import KoanTensor
import XCTest

final class GPTTests: XCTestCase {
    func smallGPT(_ position: PositionalEncoding) throws -> GPT {
        try GPT(vocab: 50, context: 16, dim: 32, heads: 4, layers: 2, position: position)
    }

    /// Logits, loss and gradients equal PyTorch's (tools/goldens/gpt.py) for every position encoding.
    func testMatchesTorchGoldens() throws {
        for (name, position) in [("learned", PositionalEncoding.learned), ("rope", .rope), ("sinusoidal", .sinusoidal), ("alibi", .alibi)] {
            let file = try SafetensorsFile(path: try fixturePath("gpt_\(name).safetensors"))
            let model = try smallGPT(position)
            var params: [String: NDArray] = [:]
            for e in file.entries where e.name.hasPrefix("param.") { params[String(e.name.dropFirst(6))] = try file.array(e.name) }
            XCTAssertEqual(Set(params.keys), Set(model.parameters.map(\.path)), name)
            try model.update(parameters: params)
            let tokens = Tensor(try file.array("tokens")), labels = Tensor(try file.array("labels"))
            let logits = try model(tokens)
            let logitErr = maxAbsDiff(logits.data, try file.array("logits"))
            XCTAssertLessThan(logitErr, 1e-4, "\(name) logits")
            let (loss, grads) = try valueAndGrad(model) { m in try crossEntropy(m(tokens), targets: labels, labelSmoothing: 0) }
            let lossErr = abs(try loss.item() - file.array("loss").item())
            XCTAssertLessThan(lossErr, 1e-4, "\(name) loss")
            var gradErr = 0.0
            for e in file.entries where e.name.hasPrefix("grad.") {
                let path = String(e.name.dropFirst(5))
                guard let g = grads.first(where: { $0.path == path }) else { XCTFail("no gradient for \(path)"); continue }
                gradErr = max(gradErr, maxAbsDiff(g.grad.data, try file.array(e.name)))
            }
            XCTAssertLessThan(gradErr, 1e-4, "\(name) gradients")
            print("GPT golden \(name): logits max err \(logitErr), loss err \(lossErr), grad max err \(gradErr)")
        }
    }

    func testPathsAndParameterCounts() throws {
        let m = try smallGPT(.learned)
        let paths = m.parameters.map(\.path)
        XCTAssertEqual(Array(paths.prefix(4)), ["wte.weight", "wpe.weight", "h.0.ln_1.weight", "h.0.ln_1.bias"])
        XCTAssertTrue(paths.contains("h.1.attn.query.weight"))
        XCTAssertTrue(paths.contains("h.1.mlp.c_proj.bias"))
        XCTAssertEqual(paths.last, "ln_f.bias")
        // 50·32 + 16·32 + 2·(4·(32·32+32) + 2·2·32 + 32·128+128 + 128·32+32) + 2·32
        XCTAssertEqual(m.parameterCount, 1600 + 512 + 2 * (4 * 1056 + 128 + 4224 + 4128) + 64)
        let rope = try smallGPT(.rope)
        XCTAssertFalse(rope.parameters.map(\.path).contains("wpe.weight"))
        let shared = try GPT(vocab: 50, context: 16, dim: 32, heads: 4, layers: 6, shareLayers: true)
        XCTAssertEqual(shared.parameterCount, m.parameterCount - (2 * (4 * 1056 + 128 + 4224 + 4128)) + (4 * 1056 + 128 + 4224 + 4128))
        XCTAssertFalse(shared.parameters.map(\.path).contains { $0.hasPrefix("h.1.") })
        XCTAssertEqual(try shared(try ids([[1, 2, 3]])).shape, [1, 3, 50])
    }

    func testGPT2Initialisation() throws {
        let m = try GPT(vocab: 500, context: 64, dim: 64, heads: 4, layers: 8, key: RandomKey(seed: 3))
        func std(_ path: String) throws -> Double {
            let v = try XCTUnwrap(m.parameters.first { $0.path == path }).tensor.doubles()
            let mean = v.reduce(0, +) / Double(v.count)
            return (v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(v.count)).squareRoot()
        }
        XCTAssertEqual(try std("wte.weight"), 0.02, accuracy: 0.001)
        XCTAssertEqual(try std("h.3.attn.query.weight"), 0.02, accuracy: 0.002)
        XCTAssertEqual(try std("h.3.mlp.c_fc.weight"), 0.02, accuracy: 0.001)
        XCTAssertEqual(try std("h.3.attn.out.weight"), 0.02 / 4, accuracy: 0.0005)   // 0.02/√(2·8)
        XCTAssertEqual(try std("h.3.mlp.c_proj.weight"), 0.02 / 4, accuracy: 0.0003)
        let bias = try XCTUnwrap(m.parameters.first { $0.path == "h.2.mlp.c_fc.bias" }).tensor.doubles()
        XCTAssertTrue(bias.allSatisfy { $0 == 0 })
        let ln = try XCTUnwrap(m.parameters.first { $0.path == "h.2.ln_1.weight" }).tensor.doubles()
        XCTAssertTrue(ln.allSatisfy { $0 == 1 })
    }

    func testInputChecks() throws {
        let m = try smallGPT(.learned)
        XCTAssertThrowsError(try m(try ids([Array(repeating: 1, count: 17)]))) { e in
            XCTAssertTrue("\(e)".contains("context of 16"), "\(e)")
        }
        XCTAssertThrowsError(try m(try ids([[1, 50]]))) { e in XCTAssertTrue("\(e)".contains("out of range"), "\(e)") }
        XCTAssertThrowsError(try m(Tensor(try NDArray(values: [1.5, 2], shape: [1, 2])))) { e in
            XCTAssertTrue("\(e)".contains("whole numbers"), "\(e)")
        }
        XCTAssertThrowsError(try m(try Tensor(ints: [1, 2], shape: [2])))
        XCTAssertThrowsError(try GPT(vocab: 10, context: 8, dim: 30, heads: 4, layers: 1))
        XCTAssertThrowsError(try GPT(vocab: 10, context: 8, dim: 32, heads: 4, layers: 1, dropout: 1))
        // Float ids (as a Dataset stores features) give the same logits as int64 ids.
        let a = try m(try ids([[3, 4, 5]]))
        let b = try m(Tensor(try NDArray(values: [3, 4, 5], shape: [1, 3])))
        XCTAssertEqual(maxAbsDiff(a.data, b.data), 0)
        // With a cache, positions continue: the last row of a full pass equals a cached step.
        let cache = KVCache()
        _ = try m.forward(try ids([[3, 4]]), cache: cache)
        let step = try m.forward(try ids([[5]]), cache: cache)
        XCTAssertLessThan(maxAbsDiff(step.data, try a.data.sliced(axis: 1, start: 2, end: 3)), 1e-5)
        XCTAssertThrowsError(try m.forward(try ids([Array(repeating: 1, count: 14)]), cache: cache)) { e in
            XCTAssertTrue("\(e)".contains("after 3 cached tokens"), "\(e)")
        }
    }

    func testCausality() throws {
        // Changing a later token never changes earlier logits.
        for position in [PositionalEncoding.learned, .rope, .alibi, .sinusoidal] {
            let m = try smallGPT(position)
            let a = try m(try ids([[1, 2, 3, 4, 5, 6]])).data
            let b = try m(try ids([[1, 2, 3, 9, 9, 9]])).data
            XCTAssertLessThan(maxAbsDiff(try a.sliced(axis: 1, start: 0, end: 3), try b.sliced(axis: 1, start: 0, end: 3)), 1e-6)
            XCTAssertGreaterThan(maxAbsDiff(try a.sliced(axis: 1, start: 3, end: 6), try b.sliced(axis: 1, start: 3, end: 6)), 1e-4)
        }
    }

    func testArchitectureRoundTrip() throws {
        let m = try GPT(vocab: 40, context: 12, dim: 16, heads: 2, layers: 3, attention: .tiled(block: 4), position: .rope,
                        shareLayers: true, dropout: 0.1)
        let a = try XCTUnwrap(try lmArchitecture(of: m))
        XCTAssertEqual(a.type, "GPT")
        XCTAssertEqual(a.config["attention"], .string("tiled(4)"))
        let copy = try XCTUnwrap(try buildLM(a) as? GPT)
        XCTAssertEqual(copy.parameters.map(\.path), m.parameters.map(\.path))
        XCTAssertEqual(copy.attentionKernel, .tiled(block: 4))
        XCTAssertEqual(copy.position, .rope)
        XCTAssertTrue(copy.shareLayers)
        XCTAssertEqual(copy.dropout, 0.1)
        XCTAssertNil(try lmArchitecture(of: try Linear(2, 2)))
        XCTAssertNil(try buildLM(Architecture("Linear")))
        var bad = a
        bad.config["position"] = .string("spiral")
        XCTAssertThrowsError(try buildLM(bad)) { e in XCTAssertTrue("\(e)".contains("spiral")) }
        bad = a
        bad.config["layers"] = nil
        XCTAssertThrowsError(try buildLM(bad)) { e in XCTAssertTrue("\(e)".contains("'layers'")) }
    }

    func testDropoutOnlyInTraining() throws {
        let m = try GPT(vocab: 50, context: 16, dim: 32, heads: 4, layers: 2, dropout: 0.2)
        let x = try ids([[1, 2, 3, 4, 5]])
        m.eval()
        XCTAssertEqual(maxAbsDiff(try m(x).data, try m(x).data), 0)
        m.train()
        XCTAssertGreaterThan(maxAbsDiff(try m(x).data, try m(x).data), 1e-4)
    }

    func testTiledKernelMatchesFull() throws {
        let full = try smallGPT(.rope)
        let tiled = try GPT(vocab: 50, context: 16, dim: 32, heads: 4, layers: 2, attention: .tiled(block: 4), position: .rope)
        try tiled.update(parameters: Dictionary(uniqueKeysWithValues: full.parameters.map { ($0.path, $0.tensor.data) }))
        let x = try ids([[1, 5, 9, 13, 17, 21, 25, 29, 33, 37]])
        XCTAssertLessThan(maxAbsDiff(try full(x).data, try tiled(x).data), 1e-5)
    }
}
