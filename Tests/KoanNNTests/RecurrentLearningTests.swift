import Foundation
import KoanAutograd
import KoanNN
import KoanTensor
import KoanTrain
import XCTest

/// Real training runs (small and fast) and an opt-in timing benchmark.
final class RecurrentLearningTests: XCTestCase {
    /// Sequences of N(0, 1) values; label 1 when the sum is positive.
    func signOfSumData(count: Int, steps: Int, seed: UInt64) throws -> (x: Tensor, y: Tensor) {
        let x = try randomTensor([count, steps, 1], seed: seed)
        let sums = try x.data.sum(axes: [1, 2]).doubles()
        return (x, try Tensor(ints: sums.map { $0 > 0 ? 1 : 0 }, shape: [count]))
    }

    func accuracy(_ m: Module, _ x: Tensor, _ y: Tensor) throws -> Double {
        let logits = try noGrad { try m(x) }.doubles()
        let labels = y.ints()
        var right = 0
        for i in 0..<labels.count where (logits[2 * i + 1] > logits[2 * i] ? 1 : 0) == labels[i] { right += 1 }
        return Double(right) / Double(labels.count)
    }

    func testLSTMClassifierLearnsSignOfSum() throws {
        let train = try signOfSumData(count: 256, steps: 8, seed: 1)
        let test = try signOfSumData(count: 256, steps: 8, seed: 2)
        let model = try LSTMClassifier(input: 1, hidden: 16, classes: 2, key: RandomKey(seed: 7))
        let opt = try Adam(lr: 0.03)
        let before = try accuracy(model, test.x, test.y)
        var losses: [Double] = []
        for step in 0..<60 {
            let lo = (step % 4) * 64
            let xb = try train.x.sliced(axis: 0, start: lo, end: lo + 64)
            let yb = try train.y.sliced(axis: 0, start: lo, end: lo + 64)
            let (loss, grads) = try valueAndGrad(model) { m in try KoanNN.crossEntropy(m(xb), targets: yb) }
            losses.append(try loss.item())
            let updated = try opt.update(model.trainableParameters, grads: Dictionary(uniqueKeysWithValues: grads))
            try model.update(parameters: Dictionary(uniqueKeysWithValues: updated.map { ($0.path, $0.tensor) }))
        }
        let after = try accuracy(model, test.x, test.y)
        let first = losses.prefix(4).reduce(0, +) / 4, last = losses.suffix(4).reduce(0, +) / 4
        print("sign-of-sum: held-out accuracy \(before) → \(after), loss \(first) → \(last) in 60 Adam steps")
        XCTAssertGreaterThan(after, 0.9)
        XCTAssertLessThan(last, first * 0.5)
    }

    func testEmbeddingClassifierLearnsFirstToken() throws {
        // Token-id variant: label = whether the first of 6 tokens is < 5 (needs memory over the sequence).
        let n = 128, T = 6
        let ids = try Tensor.randint(low: 0, high: 10, shape: [n, T], key: RandomKey(seed: 3))
        let y = try Tensor(ints: ids.ints().enumerated().filter { $0.offset % T == 0 }.map { $0.element < 5 ? 1 : 0 }, shape: [n])
        let model = try LSTMClassifier(vocab: 10, embedding: 8, hidden: 16, classes: 2, key: RandomKey(seed: 1))
        let opt = try Adam(lr: 0.03)
        for _ in 0..<40 {
            let (_, grads) = try valueAndGrad(model) { m in try KoanNN.crossEntropy(m(ids), targets: y) }
            let updated = try opt.update(model.trainableParameters, grads: Dictionary(uniqueKeysWithValues: grads))
            try model.update(parameters: Dictionary(uniqueKeysWithValues: updated.map { ($0.path, $0.tensor) }))
        }
        let acc = try accuracy(model, ids, y)
        print("first-token (embedding + LSTM): training accuracy \(acc) after 40 Adam steps")
        XCTAssertGreaterThan(acc, 0.9)
    }
}
