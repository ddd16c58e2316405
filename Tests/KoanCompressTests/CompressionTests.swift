import Foundation
import XCTest
import KoanAutograd
import KoanData
@testable import KoanNN
import KoanTensor
import KoanTrain

/// quantize, prune, pruneHeads and their checkpoints on small models.
final class CompressionTests: XCTestCase {
    private func mlp() throws -> MLP { try MLP(input: 64, hidden: [96], output: 10, key: RandomKey(seed: 3)) }
    private func input(_ n: Int = 6) throws -> Tensor { Tensor(try NDArray.randn([n, 64], key: RandomKey(seed: 11))) }
    private func maxDiff(_ a: Tensor, _ b: Tensor) throws -> Double { try (a - b).data.doubles().map(abs).max() ?? 0 }
    private func temporary(_ name: String) -> String { NSTemporaryDirectory() + "koan-compress-\(UUID().uuidString)-\(name)" }

    func testQuantizeCopiesAndKeepsTheOriginal() throws {
        let model = try mlp(), x = try input()
        let before = try noGrad { try model(x) }
        for scheme in [QuantizationScheme.int8, .int8WeightOnly, .int4(groupSize: 32)] {
            let q = try quantize(model, scheme)
            XCTAssertEqual(quantizedLayers(q).count, 2)
            XCTAssertEqual(q.trainableParameterCount, 0)
            XCTAssertEqual(q.bufferSlots.map(\.path), ["layers.0.weight", "layers.0.weight_scale", "layers.2.weight", "layers.2.weight_scale"])
            let y = try noGrad { try q(x) }
            XCTAssertLessThan(try maxDiff(y, before), 0.1, "\(scheme)")
            XCTAssertGreaterThan(try maxDiff(y, before), 0, "\(scheme) changes the outputs a little")
        }
        XCTAssertEqual(try maxDiff(try noGrad { try model(x) }, before), 0)   // the original is untouched
        XCTAssertNil(model.layers.layers.compactMap { ($0 as? Linear)?.quantized }.first)
    }

    func testQuantizedLayersRefuseGradients() throws {
        let q = try quantize(try mlp(), .int8)
        q.unfreeze()
        XCTAssertThrowsError(try valueAndGrad(q) { m in try m(try input()).sum() }) { error in
            XCTAssertTrue("\(error)".contains("no gradient"), "\(error)")
        }
    }

    func testInt4NeedsDivisibleGroups() throws {
        let model = try MLP(input: 40, hidden: [64], output: 3)
        XCTAssertThrowsError(try quantize(model, .int4(groupSize: 32))) { error in
            XCTAssertTrue("\(error)".contains("layers.0"), "\(error)")
        }
    }

    func testQuantizedCheckpointRoundTrip() throws {
        let x = try input()
        for scheme in [QuantizationScheme.int8, .int8FullRange, .int4(groupSize: 32)] {
            let q = try quantize(try mlp(), scheme)
            let path = temporary("q.safetensors")
            defer { try? FileManager.default.removeItem(atPath: path) }
            try Checkpoint.save(q, to: path)
            let file = try SafetensorsFile(path: path)
            XCTAssertEqual(file.entries.first { $0.name == "layers.0.weight" }?.dtype, .i8)
            let again = try Checkpoint.load(path)
            XCTAssertEqual(try maxDiff(try noGrad { try again(x) }, try noGrad { try q(x) }), 0, "\(scheme)")
            XCTAssertEqual(again.trainableParameterCount, 0)
            let floatBytes = 4 * (64 * 96 + 96 * 10)
            let intBytes = quantizedLayers(again).reduce(0) { $0 + $1.layer.quantized!.byteCount }
            XCTAssertLessThan(Double(intBytes), Double(floatBytes) / (scheme == .int4(groupSize: 32) ? 6 : 3.7))
            XCTAssertEqual(quantizedLayers(again).first?.layer.quantized?.scheme, scheme)
        }
    }

    func testPrunedModelsTrainKeepZerosAndRemove() throws {
        let model = try mlp()
        let sparse = try prune(model, .l1Unstructured(.fraction(0.5)))
        let first = sparse.namedModules.compactMap { $0.module as? Linear }.first!
        XCTAssertEqual(sparse.parameterSlots.map(\.path).prefix(2), ["layers.0.weight_orig", "layers.0.bias"])
        XCTAssertEqual(sparse.bufferSlots.map(\.path), ["layers.0.weight_mask", "layers.2.weight_mask"])
        XCTAssertEqual(try sparsity(of: sparse).map(\.zeros), [64 * 96 / 2, 96 * 10 / 2])
        // A few steps of training: the masked weights stay zero in the effective weight.
        let data = try Dataset(features: try NDArray.randn([32, 64], key: RandomKey(seed: 5)),
                               labels: try NDArray(values: (0..<32).map { Double($0 % 10) }, shape: [32]).to(.int64), name: "random")
        _ = try fit(sparse, on: data, optimizer: try SGD(lr: 0.1), options: FitOptions(epochs: 2, batchSize: 8))
        XCTAssertEqual(try sparsity(of: sparse).map(\.zeros), [64 * 96 / 2, 96 * 10 / 2])
        let x = try input()
        let before = try noGrad { try sparse(x) }
        try removePruning(sparse)
        XCTAssertEqual(sparse.parameterSlots.map(\.path), model.parameterSlots.map(\.path))
        XCTAssertTrue(sparse.bufferSlots.isEmpty)
        XCTAssertEqual(try maxDiff(try noGrad { try sparse(x) }, before), 0)
        XCTAssertNil(first.weightMask)
    }

    func testPrunedCheckpointRoundTrip() throws {
        let sparse = try prune(try mlp(), .structured(.fraction(0.25), dim: 0, norm: 2))
        let path = temporary("p.safetensors")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Checkpoint.save(sparse, to: path)
        let again = try Checkpoint.load(path)
        let x = try input()
        XCTAssertEqual(try maxDiff(try noGrad { try again(x) }, try noGrad { try sparse(x) }), 0)
        XCTAssertEqual(try sparsity(of: again).map(\.zeros), try sparsity(of: sparse).map(\.zeros))
        // A pruned model quantizes: the mask is applied and the zeros stay zeros.
        let q = try quantize(again, .int8)
        for (layer, (qz, sz)) in zip(try sparsity(of: q).map(\.zeros), try sparsity(of: sparse).map(\.zeros)).enumerated() {
            XCTAssertGreaterThanOrEqual(qz, sz, "layer \(layer): pruned weights stay zero (rounding may add more)")
        }
    }

    func testAmountsRoundAsPyTorch() throws {
        XCTAssertEqual(try PruningAmount.fraction(0.25).toPrune(of: 10), 2)   // 2.5 → 2 (half to even)
        XCTAssertEqual(try PruningAmount.fraction(0.35).toPrune(of: 10), 4)   // 3.5 → 4
        XCTAssertEqual(try PruningAmount.count(3).toPrune(of: 10), 3)
        XCTAssertThrowsError(try PruningAmount.count(11).toPrune(of: 10))
        XCTAssertThrowsError(try PruningAmount.fraction(1.5).toPrune(of: 10))
    }

    func testPruneHeadsEqualsZeroingTheirOutputs() throws {
        let bert = try BERT(vocab: 50, dim: 32, heads: 4, layers: 2, intermediate: 64, maxPositions: 16, dropout: 0, key: RandomKey(seed: 2))
        bert.eval()
        let ids = Tensor(try NDArray(values: [2, 7, 9, 11, 3, 5], shape: [1, 6]).to(.int64))
        // Reference: the same model with heads 1 and 3 of layer 0 contributing nothing (their
        // columns of the attention output projection set to zero).
        let reference = try bert.copy()
        reference.eval()
        let dense = reference.encoder.layers[0].attention.output.dense
        var w = dense.weight.value.data.doubles()
        for row in 0..<32 { for h in [1, 3] { for c in (h * 8)..<((h + 1) * 8) { w[row * 32 + c] = 0 } } }
        dense.weight.assign(try NDArray(values: w, shape: [32, 32]))
        let expected = try noGrad { try reference(ids) }

        try pruneHeads(bert, ["encoder.layer.0": [1, 3]])
        XCTAssertEqual(bert.headsPerLayer, [2, 4])
        let attention = bert.encoder.layers[0].attention
        XCTAssertEqual(attention.selfAttention.query.weight.value.shape, [16, 32])
        XCTAssertEqual(attention.output.dense.weight.value.shape, [32, 16])
        XCTAssertLessThan(try maxDiff(try noGrad { try bert(ids) }, expected), 1e-5)
        // Pruning the same head again does nothing; a later head is still numbered as before.
        try pruneHeads(bert, ["0": [1]])
        XCTAssertEqual(bert.headsPerLayer, [2, 4])
        XCTAssertThrowsError(try pruneHeads(bert, ["encoder.layer.0": [0, 2]]))   // a layer keeps one head
        XCTAssertThrowsError(try pruneHeads(bert, ["encoder.layer.5": [0]]))
        // The architecture records the pruned heads: a copy and a checkpoint rebuild them.
        let copy = try copyModule(bert)
        XCTAssertLessThan(try maxDiff(try noGrad { try copy(ids) }, expected), 1e-5)
        let path = temporary("heads.safetensors")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Checkpoint.save(bert, to: path)
        let loaded = try Checkpoint.load(path)
        XCTAssertEqual((loaded as? BERT)?.headsPerLayer, [2, 4])
    }

    func testCopyMergesLoRAAndRefusesAdapters() throws {
        let model = try mlp(), x = try input()
        try applyLoRA(to: model, LoRAConfig(rank: 4, alpha: 8, targets: ["layers.0"]))
        for (_, _, b) in loraLayers(model) { b.up.weight.assign(try NDArray.randn(b.up.weight.value.shape, key: RandomKey(seed: 1)) * 0.1) }
        let expected = try noGrad { try model(x) }
        let copy = try copyModule(model)
        XCTAssertTrue(loraLayers(copy).isEmpty)
        XCTAssertLessThan(try maxDiff(try noGrad { try copy(x) }, expected), 1e-5)
        XCTAssertLessThan(try maxDiff(try noGrad { try quantize(model, .int8)(x) }, expected), 0.1)
    }

    func testDistillationThroughFit() throws {
        let teacher = try mlp(), student = try MLP(input: 64, hidden: [8], output: 10, key: RandomKey(seed: 4))
        let data = try Dataset(features: try NDArray.randn([64, 64], key: RandomKey(seed: 5)),
                               labels: try NDArray(values: (0..<64).map { Double($0 % 10) }, shape: [64]).to(.int64), name: "random")
        let run = try fit(student, on: data, optimizer: try AdamW(lr: 1e-2), options: FitOptions(epochs: 3, batchSize: 16),
                          distillation: try Distillation(teacher: teacher, temperature: 2, alpha: 0.9))
        XCTAssertEqual(run.epochs.count, 3)
        XCTAssertLessThan(run.epochs.last!.loss, run.epochs.first!.loss)
        XCTAssertTrue(teacher.isTraining, "the teacher's mode is restored")
        XCTAssertThrowsError(try Distillation(teacher: teacher, temperature: 0))
        XCTAssertThrowsError(try fit(teacher, on: data, optimizer: try SGD(lr: 0.1), options: FitOptions(epochs: 1),
                                     distillation: try Distillation(teacher: teacher)))
    }
}
