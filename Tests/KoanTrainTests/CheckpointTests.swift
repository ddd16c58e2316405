import Foundation
import KoanAutograd
import KoanData
import KoanNN
@testable import KoanTensor
@testable import KoanTrain
import XCTest

/// Saving and loading models and optimizer state as safetensors, and fit's checkpoints.
final class CheckpointTests: XCTestCase {
    private var dir = ""

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "koan-checkpoint-\(getpid())-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    private func bits(_ m: Module) -> [String: [Double]] {
        var out: [String: [Double]] = [:]
        for (p, t) in m.parameters + m.buffers { out[p] = t.data.doubles() }
        return out
    }

    /// Every layer type with a saved architecture rebuilds with the same paths, and the
    /// weights (and BatchNorm's running statistics) come back bit-identically.
    func testEveryLayerRoundTripsBitIdentically() throws {
        let model = Sequential([
            try Conv2d(1, 4, kernel: 3, padding: 1, key: RandomKey(seed: 1)), try BatchNorm2d(4), ReLU(),
            try MaxPool2d(2), try AvgPool2d(kernelSize: (2, 2), stride: (1, 1)), Flatten(),
            try Linear(36, 8, key: RandomKey(seed: 2)), try LayerNorm(8), GELU(approximate: true), try Dropout(p: 0.2),
            SiLU(), Tanh(), Sigmoid(), Identity(), try BatchNorm1d(8), try Linear(8, 3, bias: false, key: RandomKey(seed: 3)),
            Softmax(axis: -1), LogSoftmax(axis: 1),
        ])
        _ = try model(Tensor(try NDArray.randn([5, 1, 8, 8], key: RandomKey(seed: 4))))   // moves the running statistics
        let path = dir + "/all.safetensors"
        try Checkpoint.save(model, to: path)
        let again = try Checkpoint.load(path)
        XCTAssertEqual(try Architecture.of(again), try Architecture.of(model))
        XCTAssertEqual(bits(again), bits(model))
        XCTAssertEqual((again.parameters + again.buffers).map(\.path), (model.parameters + model.buffers).map(\.path))

        for ready in [try MLP(input: 4, hidden: [6, 5], output: 3, activation: .gelu, dropout: 0.1, key: RandomKey(seed: 5)),
                      try CNN(inputChannels: 3, imageSize: 8, classes: 4, widths: [4], hidden: 8, batchNorm: true, key: RandomKey(seed: 6)),
                      try LSTMClassifier(input: 3, hidden: 5, layers: 2, classes: 2, key: RandomKey(seed: 7)),
                      try LSTMClassifier(vocab: 11, embedding: 4, hidden: 5, classes: 3, key: RandomKey(seed: 8)),
                      Sequential([try GRU(3, 4, key: RandomKey(seed: 9)), try RNN(4, 2, nonlinearity: .relu, key: RandomKey(seed: 10)), LastStep()])] {
            try Checkpoint.save(ready, to: path)
            let copy = try Checkpoint.load(path)
            XCTAssertEqual(copy.layerName, ready.layerName)
            XCTAssertEqual(try Architecture.of(copy), try Architecture.of(ready))
            XCTAssertEqual(bits(copy), bits(ready))
        }
    }

    func testOptimizerStateRoundTrips() throws {
        let model = try MLP(input: 4, hidden: [3], output: 2, key: RandomKey(seed: 1))
        let data = try Dataset(features: try NDArray.randn([16, 4], key: RandomKey(seed: 2)),
                               labels: try NDArray(ints: (0..<16).map { Int64($0 % 2) }, shape: [16]))
        let opt = try AdamW(lr: 1e-2)
        _ = try fit(model, on: data, optimizer: opt, options: FitOptions(steps: 3, batchSize: 8))
        let path = dir + "/opt.safetensors"
        try Checkpoint.save(model, to: path, optimizer: opt)
        let fresh = try AdamW(lr: 1e-2)
        try Checkpoint.loadOptimizerState(path, into: fresh)
        XCTAssertEqual(fresh.stepCount, 3)
        let a = opt.stateDict(), b = fresh.stateDict()
        XCTAssertEqual(Set(a.keys), Set(b.keys))
        for (k, v) in a { XCTAssertEqual(v.doubles(), b[k]?.doubles(), k) }
    }

    func testMismatchesNameEveryPathAndChangeNothing() throws {
        let saved = try MLP(input: 4, hidden: [3], output: 2, key: RandomKey(seed: 1))
        let path = dir + "/m.safetensors"
        try Checkpoint.save(saved, to: path)
        let other = try MLP(input: 4, hidden: [5], output: 2, key: RandomKey(seed: 2))
        let before = bits(other)
        XCTAssertThrowsError(try Checkpoint.load(path, into: other)) {
            let text = "\($0)"
            XCTAssertTrue(text.contains("'layers.0.weight' has shape [3, 4] in the file but [5, 4] in the model"), text)
            XCTAssertTrue(text.contains("'layers.2.weight' has shape [2, 3] in the file but [2, 5] in the model"), text)
        }
        XCTAssertEqual(bits(other), before)
        let deeper = Sequential([try Linear(4, 3), ReLU(), try Linear(3, 2), ReLU(), try Linear(2, 2)])
        XCTAssertThrowsError(try Checkpoint.load(path, into: deeper)) {
            XCTAssertTrue("\($0)".contains("'0.weight' is missing from the file"), "\($0)")
            XCTAssertTrue("\($0)".contains("'layers.0.weight' in the file is not a tensor of this model"), "\($0)")
        }
    }

    /// A truncated or corrupt file is a clear error; an interrupted save (simulated at each
    /// stage of the atomic write) leaves the previous checkpoint loadable.
    func testCorruptFilesAndInterruptedSaves() throws {
        let model = try MLP(input: 4, hidden: [3], output: 2, key: RandomKey(seed: 1))
        let path = dir + "/c.safetensors"
        try Checkpoint.save(model, to: path)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes.removeLast(5)
        try bytes.write(to: URL(fileURLWithPath: dir + "/truncated.safetensors"))
        XCTAssertThrowsError(try Checkpoint.load(dir + "/truncated.safetensors")) {
            XCTAssertTrue("\($0)".contains("truncated.safetensors"), "\($0)")
        }
        // An interrupted save: write a different model through the fault hook, failing just
        // before the rename; the old file must load with the old weights.
        let newer = try MLP(input: 4, hidden: [3], output: 2, key: RandomKey(seed: 9))
        struct Killed: Error {}
        let tensors = newer.parameters.map { (name: $0.path, array: $0.tensor.data) }
        XCTAssertThrowsError(try Safetensors.write(tensors, metadata: [:], to: path, faultInjection: { stage in
            if case .beforeRename = stage { throw Killed() }
        }))
        XCTAssertEqual(bits(try Checkpoint.load(path)), bits(model))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.contains(".tmp") }, [])
    }

    func testFitWritesAndPrunesCheckpoints() throws {
        let (train, test) = try Dataset.digits().normalized().split(0.8, seed: 1)
        let model = try MLP(input: 64, hidden: [16], output: 10, key: RandomKey(seed: 1))
        var options = FitOptions(epochs: 4, batchSize: 128)
        options.checkpoint = CheckpointPolicy(directory: dir + "/ckpt", every: 1, keep: 2)
        let run = try fit(model, on: train, optimizer: try Adam(lr: 1e-2), options: options)
        XCTAssertEqual(run.checkpoints.map { ($0 as NSString).lastPathComponent }, ["step-000036.safetensors", "step-000048.safetensors"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir + "/ckpt").sorted(),
                       ["step-000036.safetensors", "step-000048.safetensors"])
        let restored = try Checkpoint.load(run.checkpoints[1])
        XCTAssertEqual(try evaluate(restored, on: test), try evaluate(model, on: test))
        let file = try SafetensorsFile(path: run.checkpoints[1])
        XCTAssertNotNil(file.metadata[Checkpoint.runKey])
        XCTAssertTrue(file.entries.contains { $0.name == "optimizer/step" })
    }
}
