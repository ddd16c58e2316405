import KoanAutograd
import KoanData
import KoanNN
import KoanTensor
import KoanTrain
import XCTest

/// LoRA as PEFT defines it: a no-op at creation, s = alpha / r, merge and unmerge exact,
/// only the branches (and modules to save) trainable, targets by suffix or regex.
final class LoRATests: XCTestCase {
    let x: [[Int]] = [[2, 5, 7, 9, 3], [2, 8, 1, 3, -1]]

    func testNewBranchIsANoOpAndOnlyBranchesAndHeadTrain() throws {
        let clf = try smallBERT().sequenceClassifier(classes: 3)
        clf.eval()
        let before = try clf(ids(x)).data
        let paths = try applyLoRA(to: clf, LoRAConfig(rank: 4, alpha: 8, targets: ["query", "value"], modulesToSave: ["classifier"]))
        XCTAssertEqual(paths, ["bert.encoder.layer.0.attention.self.query", "bert.encoder.layer.0.attention.self.value",
                               "bert.encoder.layer.1.attention.self.query", "bert.encoder.layer.1.attention.self.value"])
        XCTAssertEqual(try maxDifference(clf(ids(x)).data, before), 0, "B starts at zero: the branch adds nothing")
        let trainable = clf.trainableParameters.map(\.path)
        XCTAssertEqual(trainable.filter { !$0.hasPrefix("classifier.") }.count, 8)
        XCTAssertTrue(trainable.allSatisfy { $0.contains(".lora_A.") || $0.contains(".lora_B.") || $0.hasPrefix("classifier.") }, "\(trainable)")
        XCTAssertTrue(trainable.contains("classifier.weight"))
        // A is Kaiming-uniform(a = √5) over fan-in 16: |A| ≤ 1/√16; B is zero.
        let a = clf.parameters.first { $0.path == "bert.encoder.layer.0.attention.self.query.lora_A.weight" }!.tensor.data
        XCTAssertEqual(a.shape, [4, 16])
        XCTAssertLessThanOrEqual(a.doubles().map(abs).max()!, 0.25)
        XCTAssertGreaterThan(a.doubles().map(abs).max()!, 0.1)
    }

    func testBranchIsScaledAlphaOverRankAndMergeUnmergeAreExact() throws {
        let bert = try smallBERT()
        bert.eval()
        try applyLoRA(to: bert, LoRAConfig(rank: 2, alpha: 6, targets: ["value"]))
        try randomize(bert, prefix: "lora_B", seed: 3)
        let layer = loraLayers(bert)[0]
        XCTAssertEqual(layer.branch.scaling, 3)
        // y = x·Wᵀ + b + 3·(x·Aᵀ)·Bᵀ
        let input = Tensor(try NDArray.randn([3, 16], key: RandomKey(seed: 9)))
        let expected = try matmul(input, layer.layer.weight.value.transposed()) + layer.layer.bias!.value
            + matmul(matmul(input, layer.branch.down.weight.value.transposed()), layer.branch.up.weight.value.transposed()) * 3
        XCTAssertLessThan(try maxDifference(layer.layer(input).data, expected.data), 1e-5)

        let unmerged = try bert(ids(x)).data
        let w0 = layer.layer.weight.value.data
        try mergeLoRA(bert)
        XCTAssertTrue(layer.branch.isMerged)
        XCTAssertGreaterThan(try maxDifference(layer.layer.weight.value.data, w0), 1e-4, "the delta is in W")
        XCTAssertLessThan(try maxDifference(bert(ids(x)).data, unmerged), 1e-4)
        try unmergeLoRA(bert)
        XCTAssertLessThan(try maxDifference(layer.layer.weight.value.data, w0), 1e-6)
        XCTAssertLessThan(try maxDifference(bert(ids(x)).data, unmerged), 1e-5)
    }

    func testRSLoRAScalesBySquareRootOfRank() throws {
        let bert = try smallBERT()
        try applyLoRA(to: bert, LoRAConfig(rank: 4, alpha: 8, targets: ["query"], rsLoRA: true))
        XCTAssertEqual(loraLayers(bert)[0].branch.scaling, 4)
    }

    func testTargetsBySuffixRegexAndErrors() throws {
        let a = try smallBERT()
        XCTAssertEqual(try applyLoRA(to: a, LoRAConfig(rank: 2, targets: [], targetPattern: #".*layer\.1\.attention\.self\.(query|key)"#)),
                       ["encoder.layer.1.attention.self.query", "encoder.layer.1.attention.self.key"])
        XCTAssertThrowsError(try applyLoRA(to: try smallBERT(), LoRAConfig(targets: ["qurey"]))) { e in
            XCTAssertTrue("\(e)".contains("no module matches the target 'qurey'; did you mean 'query'"), "\(e)")
        }
        XCTAssertThrowsError(try applyLoRA(to: try smallBERT(), LoRAConfig(targets: ["LayerNorm"])), "not a Linear")
        XCTAssertThrowsError(try applyLoRA(to: try smallBERT(), LoRAConfig(rank: 0)))
        XCTAssertThrowsError(try applyLoRA(to: a, LoRAConfig(rank: 2, targets: ["query"])), "already has a branch")
        XCTAssertThrowsError(try mergeLoRA(try smallBERT()), "no LoRA layers")
    }

    func testGradientsReachOnlyTheBranchesAndMatchFiniteDifferences() throws {
        let bert = try smallBERT()
        bert.eval()   // dropout off: the same function at every evaluation
        try bert.to(.float64)
        try applyLoRA(to: bert, LoRAConfig(rank: 2, alpha: 4, targets: ["query"]))
        try randomize(bert, prefix: "lora_B", seed: 5)
        let input = try ids(x)
        func loss(_ m: Module) throws -> Tensor { try (m(input) * m(input)).mean() }
        let (_, grads) = try valueAndGrad(bert, loss)
        XCTAssertEqual(grads.count, 4)
        let path = "encoder.layer.1.attention.self.query.lora_A.weight"
        let g = grads.first { $0.path == path }!.grad.data.doubles()
        let slot = bert.parameterSlots.first { $0.path == path }!.parameter
        let w = slot.value.data
        for i in [0, 7, 20] {
            var plus = w.doubles(), minus = w.doubles()
            plus[i] += 1e-6; minus[i] -= 1e-6
            slot.assign(try NDArray(values: plus, shape: w.shape, dtype: .float64))
            let lp = try noGrad { try loss(bert).item() }
            slot.assign(try NDArray(values: minus, shape: w.shape, dtype: .float64))
            let lm = try noGrad { try loss(bert).item() }
            slot.assign(w)
            XCTAssertEqual(g[i], (lp - lm) / 2e-6, accuracy: 1e-6 + 1e-4 * abs(g[i]))
        }
    }
}
