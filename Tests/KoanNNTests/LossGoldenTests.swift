import KoanAutograd
import KoanNN
import KoanTensor
import XCTest

/// Each loss and its gradient with respect to its first input against PyTorch.
final class LossGoldenTests: XCTestCase {
    func testLossesAndGradientsAgainstTorch() throws {
        let cases = try NNGolden.loadAll().values.filter { $0.kind == "loss" }.sorted { $0.name < $1.name }
        XCTAssertGreaterThanOrEqual(cases.count, 26)
        for g in cases {
            let red = LossReduction(rawValue: g.string("reduction") ?? "mean") ?? .mean
            let smoothing = g.double("smoothing") ?? 0
            let ignore = g.int("ignore") ?? -100
            let target = Tensor(g.inputs[1])
            let f: (Tensor) throws -> Tensor
            switch g.name.split(separator: "_").first.map(String.init) ?? "" {
            case "ce": f = { x in try crossEntropy(x, targets: target, labelSmoothing: smoothing, ignoreIndex: ignore, reduction: red) }
            case "nll": f = { x in try nllLoss(x, targets: target, reduction: red) }
            case "mse": f = { x in try mseLoss(x, target, reduction: red) }
            case "l1": f = { x in try l1Loss(x, target, reduction: red) }
            case "bce":
                f = g.name.hasPrefix("bce_logits")
                    ? { x in try binaryCrossEntropyWithLogits(x, target, reduction: red) }
                    : { x in try binaryCrossEntropy(x, target, reduction: red) }
            default: XCTFail("unknown loss case \(g.name)"); continue
            }
            let x = Tensor(g.inputs[0], requiresGrad: true)
            let y = try f(x)
            assertClose(y.data, g.outputs[0], rtol: 1e-5, atol: 1e-6, "\(g.name) value")
            let gx = try backward(y, seed: g.seed, wrt: [x])[0]
            assertClose(gx, g.grads[0], rtol: 1e-4, atol: 1e-6, "\(g.name) grad")
        }
    }

    func testLossErrors() throws {
        let logits = Tensor(try NDArray.zeros([3, 4]))
        XCTAssertThrowsError(try crossEntropy(logits, targets: Tensor(ints: [0, 1], shape: [2]))) { e in
            XCTAssertTrue("\(e)".contains("crossEntropy"), "\(e)")
        }
        XCTAssertThrowsError(try crossEntropy(logits, targets: Tensor(ints: [0, 1, 4], shape: [3]), reduction: .mean)) { e in
            XCTAssertEqual("\(e)", "crossEntropy: target 4 is out of bounds for 4 classes")
        }
        XCTAssertThrowsError(try mseLoss(logits, Tensor(try NDArray.zeros([4, 3]))))
        XCTAssertThrowsError(try crossEntropy(logits, targets: Tensor(ints: [0, 1, 2], shape: [3]), labelSmoothing: 2))
    }

    func testPlainCrossEntropyMatchesAutogradFusedPath() throws {
        let logits = Tensor(try NDArray.randn([5, 3], key: RandomKey(seed: 1)))
        let t = try Tensor(ints: [0, 2, 1, 1, 0], shape: [5])
        let fused = try KoanAutograd.crossEntropy(logits, targets: t).item()
        let composed = try crossEntropy(logits, targets: t, reduction: .sum).item() / 5
        XCTAssertEqual(fused, composed, accuracy: 1e-5)
    }
}
