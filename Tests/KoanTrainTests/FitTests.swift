import KoanAutograd
import KoanData
import KoanNN
import KoanTensor
@testable import KoanTrain
import XCTest

/// `fit` against plain PyTorch loops (Fixtures/fit.json from tools/goldens/fit.py), and its
/// behaviours: accumulation, clipping, schedules, early stopping, interrupts and resume,
/// mixed precision, bad input.
final class FitTests: XCTestCase {
    private func goldenData() throws -> (Dataset, [String: Any]) {
        let root = try Fixture.root("fit")
        let data = try Dataset(features: try Fixture.array(root["features"]), labels: try Fixture.array(root["labels"]), name: "digits[:96]")
        return (data, root)
    }

    /// The fixture's 64→32→10 MLP with torch's initial weights.
    private func goldenModel(_ root: [String: Any]) throws -> Module {
        let model = Sequential([try Linear(64, 32, key: RandomKey(seed: 9)), ReLU(), try Linear(32, 10, key: RandomKey(seed: 9))])
        try model.update(parameters: (root["initial"] as? [String: Any] ?? [:]).mapValues { try Fixture.array($0) })
        return model
    }

    private func assertParameters(_ model: Module, _ expected: Any?, rtol: Double, atol: Double, _ what: String,
                                  file: StaticString = #filePath, line: UInt = #line) throws {
        let want = expected as? [String: Any] ?? [:]
        XCTAssertEqual(Set(want.keys), Set(model.parameters.map(\.path)), what, file: file, line: line)
        for (path, t) in model.parameters {
            assertClose(t.data, try Fixture.array(want[path]), rtol: rtol, atol: atol, "\(what): \(path)", file: file, line: line)
        }
    }

    func testSGDWithClippingMatchesTorch() throws {
        let (data, root) = try goldenData()
        let golden = root["sgd_clip"] as? [String: Any] ?? [:]
        let model = try goldenModel(root)
        let run = try fit(model, on: data, optimizer: try SGD(lr: 0.1),
                          options: FitOptions(steps: 3, batchSize: 32, clipNorm: 1.0, shuffle: false))
        XCTAssertEqual(run.stopReason, .completed)
        XCTAssertEqual(run.stepCount, 3)
        for (got, want) in zip(run.steps, golden["losses"] as? [Double] ?? []) { XCTAssertEqual(got.loss, want, accuracy: 1e-5 * abs(want)) }
        for (got, want) in zip(run.steps, golden["norms"] as? [Double] ?? []) { XCTAssertEqual(got.gradNorm ?? .nan, want, accuracy: 1e-5 * abs(want)) }
        try assertParameters(model, golden["final"], rtol: 1e-5, atol: 1e-6, "sgd + clip")
    }

    /// Four micro-batches of 8 with accumulate 4 equal one batch of 32 (to 1e-5).
    func testGradientAccumulationEqualsOneLargeBatch() throws {
        let (data, root) = try goldenData()
        let golden = root["sgd_clip"] as? [String: Any] ?? [:]
        let model = try goldenModel(root)
        let run = try fit(model, on: data, optimizer: try SGD(lr: 0.1),
                          options: FitOptions(steps: 3, batchSize: 8, accumulate: 4, clipNorm: 1.0, shuffle: false))
        XCTAssertEqual(run.stepCount, 3)
        XCTAssertEqual(run.steps.map(\.samples), [32, 32, 32])
        for (got, want) in zip(run.steps, golden["losses"] as? [Double] ?? []) { XCTAssertEqual(got.loss, want, accuracy: 1e-5 * abs(want)) }
        for (got, want) in zip(run.steps, golden["norms"] as? [Double] ?? []) { XCTAssertEqual(got.gradNorm ?? .nan, want, accuracy: 1e-5 * abs(want)) }
        try assertParameters(model, golden["final"], rtol: 1e-5, atol: 1e-6, "accumulate 4 × 8")
    }

    func testAdamWCosineWarmupLabelSmoothingMatchesTorch() throws {
        let (data, root) = try goldenData()
        let golden = root["adamw_cosine"] as? [String: Any] ?? [:]
        let model = try goldenModel(root)
        var options = FitOptions(steps: 6, batchSize: 16, schedule: .cosine(warmup: 2), shuffle: false)
        options.loss = .crossEntropy(labelSmoothing: 0.1)
        let run = try fit(model, on: data, optimizer: try AdamW(lr: 0.01, weightDecay: 0.01), options: options)
        for (got, want) in zip(run.steps, golden["lrs"] as? [Double] ?? []) { XCTAssertEqual(got.learningRate, want, accuracy: 1e-15) }
        for (got, want) in zip(run.steps, golden["losses"] as? [Double] ?? []) { XCTAssertEqual(got.loss, want, accuracy: 1e-5 * abs(want)) }
        try assertParameters(model, golden["final"], rtol: 1e-4, atol: 1e-6, "adamw + cosine")
    }

    // MARK: Digits end to end

    private func digits() throws -> (train: Dataset, test: Dataset) {
        let (train, test) = try Dataset.digits().normalized().split(0.8, seed: 42)
        return (train, test)
    }

    private func mlp(seed: UInt64 = 1) throws -> Module {
        try MLP(input: 64, hidden: [128], output: 10, key: RandomKey(seed: seed))
    }

    func testMLPReaches97PercentOnDigitsAndBFloat16IsWithinOnePoint() throws {
        let (train, test) = try digits()
        var accuracies: [Precision: Double] = [:]
        for precision in [Precision.float32, .bfloat16] {
            let model = try mlp()
            let options = FitOptions(epochs: 30, batchSize: 32, schedule: .cosine(warmup: 50), precision: precision, seed: 3)
            let run = try fit(model, on: train, optimizer: try AdamW(lr: 3e-3, weightDecay: 0.01), options: options)
            XCTAssertEqual(run.stopReason, .completed)
            XCTAssertLessThan(run.epochs.last?.loss ?? 1, run.epochs.first?.loss ?? 0)
            accuracies[precision] = try evaluate(model, on: test).accuracy ?? 0
            XCTAssertEqual(model.parameters.first?.tensor.dtype, .float32, "masters stay float32")
        }
        XCTAssertGreaterThanOrEqual(accuracies[.float32] ?? 0, 0.97)
        XCTAssertEqual(accuracies[.bfloat16] ?? 0, accuracies[.float32] ?? 1, accuracy: 0.01)
    }

    func testFloat16TrainsWithLossScaling() throws {
        let (train, test) = try digits()
        let model = try mlp()
        let run = try fit(model, on: train, optimizer: try AdamW(lr: 3e-3),
                          options: FitOptions(epochs: 5, batchSize: 32, precision: .float16))
        XCTAssertEqual(run.stopReason, .completed)
        XCTAssertNotNil(run.scaler)
        XCTAssertGreaterThan(try evaluate(model, on: test).accuracy ?? 0, 0.9)
    }

    // MARK: Interrupt and resume

    /// An interrupt after k steps leaves exactly the weights of step k; resuming ends with the
    /// same bits as an uninterrupted run.
    func testInterruptKeepsLastStepAndResumeContinuesBitIdentically() throws {
        let (train, _) = try digits()
        let options = FitOptions(epochs: 2, batchSize: 64, accumulate: 2, seed: 5)

        let reference = try mlp()
        let full = try fit(reference, on: train, optimizer: try Adam(lr: 1e-3), options: options)

        let partialModel = try mlp()
        let partialRun = try fit(partialModel, on: train, optimizer: try Adam(lr: 1e-3), options: FitOptions(steps: 7, batchSize: 64, accumulate: 2, seed: 5))

        let model = try mlp()
        var stop = false
        let run = try fit(model, on: train, optimizer: try Adam(lr: 1e-3), options: options,
                          observer: { if $0.step == 7 { stop = true } }, isCancelled: { stop })
        guard case .interrupted(let step) = run.stopReason else { return XCTFail("not interrupted: \(run.stopReason)") }
        XCTAssertEqual(step, run.stepCount)
        XCTAssertEqual(run.optimizer.stepCount, step)
        XCTAssertEqual(step, 7)
        for ((p, a), (_, b)) in zip(model.parameters, partialModel.parameters) {
            XCTAssertEqual(maxDifference(a.data, b.data), 0, "weights after \(step) steps: \(p)")
        }
        _ = partialRun
        try resume(run)
        XCTAssertEqual(run.stopReason, .completed)
        XCTAssertEqual(run.stepCount, full.stepCount)
        XCTAssertEqual(run.epochs.count, 2)
        XCTAssertEqual(run.steps.map(\.loss), full.steps.map(\.loss))
        stop = false
        for ((p, a), (_, b)) in zip(model.parameters, reference.parameters) {
            XCTAssertEqual(maxDifference(a.data, b.data), 0, "resumed vs uninterrupted: \(p)")
        }
        XCTAssertThrowsError(try resume(run)) { XCTAssertTrue("\($0)".contains("completed"), "\($0)") }
    }

    func testEarlyStoppingRestoresTheBestEpoch() throws {
        let (train, test) = try digits()
        let small = try train.subset(Array(0..<200))
        let model = try mlp()
        // A large learning rate on 200 samples overfits quickly, so validation loss rises.
        let options = FitOptions(epochs: 60, batchSize: 16, validation: test, earlyStopping: EarlyStopping(patience: 2))
        let run = try fit(model, on: small, optimizer: try Adam(lr: 1e-2), options: options)
        guard case .earlyStopping(let epoch, let best) = run.stopReason else { return XCTFail("\(run.stopReason)") }
        XCTAssertEqual(epoch, best + 2)
        XCTAssertEqual(run.bestEpoch, best)
        let bestLoss = run.epochs[best - 1].validationLoss ?? .nan
        XCTAssertEqual(run.validationLoss ?? .nan, bestLoss)
        XCTAssertEqual(try evaluate(model, on: test).loss, bestLoss, accuracy: 1e-12, "the model has the best epoch's weights")
        XCTAssertLessThan(bestLoss, run.epochs.last?.validationLoss ?? 0)
    }

    func testNonFiniteLossStopsBeforeTheUpdate() throws {
        let (train, _) = try digits()
        let model = try mlp()
        try model.update(parameters: ["layers.0.weight": try NDArray.full([128, 64], value: .infinity)])
        let before = model.parameters.map { $0.tensor.data.doubles() }
        let run = try fit(model, on: train, optimizer: try SGD(lr: 0.1), options: FitOptions(epochs: 1))
        XCTAssertEqual(run.stopReason, .nonFiniteLoss(step: 1))
        XCTAssertEqual(run.stepCount, 0)
        XCTAssertEqual(model.parameters.map { $0.tensor.data.doubles() }.map { $0.count }, before.map(\.count))
        XCTAssertEqual(model.parameters.last?.tensor.data.doubles() == before.last, true)
    }

    // MARK: Bad input

    func testBadInputIsAClearErrorAndChangesNothing() throws {
        let (train, _) = try digits()
        let model = try MLP(input: 64, hidden: [16], output: 5, key: RandomKey(seed: 1))
        let before = model.parameters.map { $0.tensor.data.doubles() }
        XCTAssertThrowsError(try fit(model, on: train, optimizer: try SGD(lr: 0.1), options: FitOptions(epochs: 1))) {
            XCTAssertEqual($0 as? TrainError, .labelOutOfRange(label: 9, classes: 5, dataset: train.name))
        }
        let wide = try MLP(input: 32, hidden: [16], output: 10, key: RandomKey(seed: 1))
        XCTAssertThrowsError(try fit(wide, on: train, optimizer: try SGD(lr: 0.1), options: FitOptions(epochs: 1))) {
            XCTAssertTrue("\($0)".contains("64"), "names the feature size: \($0)")
        }
        let empty = try train.subset([])
        XCTAssertThrowsError(try fit(model, on: empty, optimizer: try SGD(lr: 0.1), options: FitOptions(epochs: 1))) {
            XCTAssertEqual($0 as? TrainError, .emptyDataset(train.name))
        }
        XCTAssertThrowsError(try fit(model, on: train, optimizer: try SGD(lr: 0.1), options: FitOptions())) {
            XCTAssertEqual($0 as? TrainError, .invalidOption(name: "epochs", reason: "give epochs: or steps:"))
        }
        XCTAssertThrowsError(try fit(model, on: train, optimizer: try SGD(lr: 0.1), options: FitOptions(epochs: 1, accumulate: 0)))
        XCTAssertTrue(model.parameters.map { $0.tensor.data.doubles() } == before, "the model is unchanged")
    }

    func testObserverSeesEveryStepAndAFinalReport() throws {
        let (train, _) = try digits()
        var reports: [FitProgress] = []
        let run = try fit(try mlp(), on: train, optimizer: try SGD(lr: 0.1), options: FitOptions(epochs: 2, batchSize: 128),
                          observer: { reports.append($0) })
        XCTAssertEqual(reports.filter { !$0.isMilestone }.map(\.step), Array(1...run.stepCount))
        XCTAssertEqual(reports.last?.stopReason, .completed)
        XCTAssertEqual(reports.filter(\.isMilestone).count, 3, "two epoch ends and the final report")
        XCTAssertEqual(run.epochs.map(\.epoch), [1, 2])
    }
}

/// The largest |a - b| over two arrays of one shape (infinity when the shapes differ).
func maxDifference(_ a: NDArray, _ b: NDArray) -> Double {
    guard a.shape == b.shape else { return .infinity }
    return zip(a.doubles(), b.doubles()).reduce(0) { max($0, abs($1.0 - $1.1)) }
}
