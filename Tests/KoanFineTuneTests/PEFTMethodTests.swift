import KoanAutograd
import KoanData
import KoanFineTune
import KoanNN
import KoanTensor
import KoanTrain
import XCTest

/// Bottleneck adapters, prompt and prefix tuning, freezing strategies and adapter files.
final class PEFTMethodTests: XCTestCase {
    let x: [[Int]] = [[2, 5, 7, 9, 3], [2, 8, 1, 3, -1]]

    func testAdaptersStartAsTheIdentityAndTrainAlone() throws {
        for placement in AdapterPlacement.allCases {
            let clf = try smallBERT().sequenceClassifier(classes: 2)
            clf.eval()
            let before = try clf(ids(x)).data
            try addAdapters(to: clf, reduction: 4, placement: placement)
            XCTAssertEqual(try maxDifference(clf(ids(x)).data, before), 0, "\(placement)")
            let adapters = clf.trainableParameters.filter { $0.path.contains(".adapter.") }
            XCTAssertEqual(adapters.count, placement == .houlsby ? 16 : 8)
            XCTAssertEqual(adapters.first?.tensor.shape, [4, 16], "down: dim / reduction")
            XCTAssertEqual(clf.trainableParameters.count, adapters.count + 2, "plus the classifier")
            try randomize(clf, prefix: ".adapter.up", seed: 2)
            XCTAssertGreaterThan(try maxDifference(clf(ids(x)).data, before), 1e-4)
        }
    }

    func testPromptTuningPrependsVirtualTokensFromInitText() throws {
        let bert = try smallBERT()
        bert.eval()
        try applyPromptTuning(to: bert, tokens: 5, initIds: [3, 4])
        XCTAssertEqual(bert.trainableParameters.map(\.path), ["prompt_encoder.embedding.weight"])
        let words = bert.embeddings.words.weight.value.data
        let prompt = bert.promptEncoder!.embedding.weight.value.data
        XCTAssertEqual(try maxDifference(prompt, try words.indexSelect(axis: 0, indices: try NDArray(ints: [3, 4, 3, 4, 3], shape: [5]))), 0)
        let h = try bert.encode(ids: ids(x))
        XCTAssertEqual(h.shape, [2, 10, 16])
        let tagger = try bert.tokenClassifier(labels: 3)
        XCTAssertEqual(try tagger(ids(x)).shape, [2, 5, 3], "per real token: the virtual positions are dropped")
        XCTAssertThrowsError(try applyPrefixTuning(to: bert, tokens: 2), "one kind of virtual tokens")
    }

    func testPrefixTuningMatchesExplicitKeysAndValues() throws {
        let bert = try smallBERT()
        bert.eval()
        try applyPrefixTuning(to: bert, tokens: 3, projection: 8)
        let table = try bert.prefixEncoder!.table()
        XCTAssertEqual(table.shape, [3, 2 * 2 * 16])
        let h = try bert.encode(ids: ids(x))
        XCTAssertEqual(h.shape, [2, 5, 16])
        // Layer 0 by hand: embeddings at positions 3…7, keys/values of the prefix first.
        let e = try bert.embeddings.forward(ids: ids([[2, 5, 7, 9, 3]]), tokenTypeIds: nil, prompt: nil, positionOffset: 3)
        let (k, v) = try PrefixEncoder.keysValues(table, layer: 0, dim: 16, heads: 2, batch: 1)
        let l0 = try bert.encoder.layers[0].forward(e, keyPadding: nil, prefix: (k, v))
        let l1 = try bert.encoder.layers[1].forward(l0, keyPadding: nil,
                                                    prefix: try PrefixEncoder.keysValues(table, layer: 1, dim: 16, heads: 2, batch: 1))
        XCTAssertLessThan(try maxDifference(try h.sliced(axis: 0, start: 0, end: 1).data, l1.data), 1e-5)
        XCTAssertEqual(Set(bert.trainableParameters.map(\.path)),
                       ["prefix_encoder.embedding.weight", "prefix_encoder.transform.0.weight", "prefix_encoder.transform.0.bias",
                        "prefix_encoder.transform.2.weight", "prefix_encoder.transform.2.bias"])
    }

    func testAdapterFilesRoundTripEveryMethod() throws {
        let makers: [(String, (Module) throws -> Void)] = [
            ("lora", { try applyLoRA(to: $0, LoRAConfig(rank: 2, alpha: 4, targets: ["query", "value"], modulesToSave: ["classifier"])) }),
            ("houlsby", { try addAdapters(to: $0, reduction: 4, placement: .houlsby) }),
            ("prompt", { try applyPromptTuning(to: $0, tokens: 3) }),
            ("prefix", { try applyPrefixTuning(to: $0, tokens: 3, projection: 8) }),
        ]
        for (name, make) in makers {
            let dir = try temporaryDirectory(self)
            let base = try smallBERT()
            let a = try base.copy().sequenceClassifier(classes: 3, key: RandomKey(seed: 4))
            try make(a)
            try randomize(a, prefix: "", seed: 8)   // every tensor, frozen ones too: only the adapter's may travel
            a.eval()
            try saveAdapter(a, to: dir, baseModel: "small")
            let b = try base.copy().sequenceClassifier(classes: 3, key: RandomKey(seed: 5))
            b.eval()
            try loadAdapter(into: b, from: dir)
            let saved = try SafetensorsFile(path: dir + "/adapter_model.safetensors").arrays().map(\.name)
            XCTAssertTrue(saved.allSatisfy { $0.hasPrefix(name == "prompt" || name == "prefix" ? "base_model.classifier." : "base_model.model.") || $0 == "prompt_embeddings" }, "\(name): \(saved)")
            if name != "lora" && name != "houlsby" { XCTAssertTrue(saved.contains("prompt_embeddings"), name) }
            // Same outputs only where the base weights agree: compare on the frozen base's values.
            let frozen = Dictionary(uniqueKeysWithValues: base.parameters.map { ("bert." + $0.path, $0.tensor.data) })
            try a.update(parameters: frozen)
            XCTAssertLessThan(try maxDifference(a(ids(x)).data, b(ids(x)).data), 1e-5, name)
        }
    }

    func testGradualUnfreezingAndLayerDecay() throws {
        let clf = try smallBERT().sequenceClassifier(classes: 2)
        let u = GradualUnfreezing(everyEpochs: 1, groups: [["classifier"], ["bert.encoder.layer.1"], ["bert.encoder.layer.0", "bert.embeddings"]])
        XCTAssertEqual((0..<4).map { u.unfrozenGroups(epoch: $0) }, [1, 2, 3, 3])
        let data = try Dataset(features: try NDArray(ints: [2, 5, 7, 2, 8, 1], shape: [2, 3]), labels: try NDArray(ints: [0, 1], shape: [2]))
        var options = FitOptions(epochs: 2, batchSize: 2)
        options.unfreeze = u
        let embeddings = clf.parameters.first { $0.path == "bert.embeddings.word_embeddings.weight" }!.tensor.data
        let layer0 = clf.parameters.first { $0.path == "bert.encoder.layer.0.output.dense.weight" }!.tensor.data
        _ = try fit(clf, on: data, optimizer: try AdamW(lr: 1e-2), options: options)
        let trainable = Set(clf.trainableParameters.map(\.path))
        XCTAssertTrue(trainable.contains("bert.encoder.layer.1.output.dense.weight"))
        XCTAssertFalse(trainable.contains("bert.encoder.layer.0.output.dense.weight"), "two epochs: two groups")
        XCTAssertEqual(try maxDifference(clf.parameters.first { $0.path == "bert.encoder.layer.0.output.dense.weight" }!.tensor.data, layer0), 0)
        XCTAssertEqual(try maxDifference(clf.parameters.first { $0.path == "bert.embeddings.word_embeddings.weight" }!.tensor.data, embeddings), 0)
    }
}

final class FreezingStrategyTests: XCTestCase {
    func testLayerDecayScalesEachLayerFromTheTop() throws {
        let clf = try smallBERT().sequenceClassifier(classes: 2)
        let groups = try layerDecayGroups(clf, decay: 0.5)
        XCTAssertEqual(groups.map(\.prefixes), [["bert.encoder.layer.0"], ["bert.encoder.layer.1"],
                                                ["bert.embeddings", "bert.prompt_encoder", "bert.prefix_encoder"]])
        XCTAssertEqual(groups.map(\.lrScale), [0.25, 0.5, 0.125])
        XCTAssertThrowsError(try layerDecayGroups(clf, decay: 1.5))
        XCTAssertEqual(try unfreezingGroups(clf), [["classifier", "bert.pooler"], ["bert.encoder.layer.1"], ["bert.encoder.layer.0"], ["bert.embeddings"]])
        // The groups reach the optimizer: Adam's first step moves every weight by lr × scale.
        let opt = try AdamW(lr: 1e-3, weightDecay: 0, groups: groups)
        let chosen = clf.parameters.filter { ["bert.encoder.layer.0.output.dense.bias", "classifier.bias"].contains($0.path) }
        var grads: [String: Tensor] = [:]
        for c in chosen { grads[c.path] = Tensor(try NDArray.ones(c.tensor.shape)) }
        let updated = try opt.update(chosen, grads: grads)   // groups for the layers not passed are no error (isRequired: false)
        let moved = try zip(chosen, updated).map { try maxDifference($0.tensor.data, $1.tensor.data) }
        XCTAssertEqual(moved[0], 0.25e-3, accuracy: 1e-7)
        XCTAssertEqual(moved[1], 1e-3, accuracy: 1e-7)
    }
}

final class GPTPrefixTuningTests: XCTestCase {
    func testPrefixComesBeforeEveryGPTSequenceAndSurvivesAnAdapterFile() throws {
        let gpt = try GPT(vocab: 20, context: 16, dim: 16, heads: 2, layers: 2, key: RandomKey(seed: 3))
        gpt.eval()
        let tokens = try ids([[1, 4, 2, 7]])
        let plain = try gpt(tokens).data
        try applyPrefixTuning(to: gpt, tokens: 3, projection: 8)
        XCTAssertTrue(gpt.trainableParameters.allSatisfy { $0.path.hasPrefix("prefix_encoder.") })
        let prefixed = try gpt(tokens).data
        XCTAssertEqual(prefixed.shape, [1, 4, 20])
        XCTAssertGreaterThan(try maxDifference(prefixed, plain), 1e-4)
        XCTAssertThrowsError(try applyPrefixTuning(to: gpt, tokens: 2), "one prefix")
        try removePrefixEncoder(gpt)
        XCTAssertEqual(try maxDifference(gpt(tokens).data, plain), 0, "removed: the plain model again")
        XCTAssertThrowsError(try applyPrefixTuning(to: gpt, tokens: 16), "no room left in the context")
        // Incremental decoding with the cache equals the full forward.
        try applyPrefixTuning(to: gpt, tokens: 3, projection: nil)
        let full = try gpt(tokens).data
        let c = KVCache()
        _ = try gpt.forward(try ids([[1, 4, 2]]), cache: c)
        XCTAssertEqual(c.length(), 6)
        let last = try gpt.forward(try ids([[7]]), cache: c).data
        XCTAssertLessThan(try maxDifference(last, try full.sliced(axis: 1, start: 3, end: 4)), 1e-5)
        let dir = try temporaryDirectory(self)
        try saveAdapter(gpt, to: dir, baseModel: "gpt")
        let other = try GPT(vocab: 20, context: 16, dim: 16, heads: 2, layers: 2, key: RandomKey(seed: 3))
        other.eval()
        try loadAdapter(into: other, from: dir)
        XCTAssertLessThan(try maxDifference(other(tokens).data, full), 1e-6)
    }
}
