import KoanAutograd
import KoanNN
import KoanTensor
import XCTest

/// Construction, initialisation, dropout, containers and errors.
final class RecurrentBehaviourTests: XCTestCase {
    func testParameterNamesShapesAndOrder() throws {
        let lstm = try LSTM(inputSize: 3, hiddenSize: 5, layers: 2)
        XCTAssertEqual(lstm.parameters.map(\.path), [
            "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
            "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1",
        ])
        XCTAssertEqual(lstm.parameters.map(\.tensor.shape), [[20, 3], [20, 5], [20], [20], [20, 5], [20, 5], [20], [20]])
        let gru = try GRU(4, 6, bias: false)
        XCTAssertEqual(gru.parameters.map(\.path), ["weight_ih_l0", "weight_hh_l0"])
        XCTAssertEqual(gru.parameters.map(\.tensor.shape), [[18, 4], [18, 6]])
        let rnn = try RNN(4, 6, nonlinearity: .relu)
        XCTAssertEqual(rnn.mode, .rnnRelu)
        XCTAssertEqual(rnn.nonlinearity, .relu)
        XCTAssertEqual(rnn.parameterCount, 6 * 4 + 6 * 6 + 12)
        XCTAssertEqual(lstm.description, "LSTM(input: 3, hidden: 5, layers: 2)")
        XCTAssertEqual(rnn.description, "RNN(input: 4, hidden: 6, layers: 1, nonlinearity: relu)")
    }

    /// U(-1/√H, 1/√H) for every parameter (torch's distribution), reproducible from the key.
    func testInitialisationDistribution() throws {
        let H = 64
        let m = try LSTM(inputSize: 32, hiddenSize: H, key: RandomKey(seed: 3))
        let bound = 1 / Double(H).squareRoot()
        var all: [Double] = []
        for (path, t) in m.parameters {
            let v = t.doubles()
            XCTAssertTrue(v.allSatisfy { abs($0) <= bound }, path)
            XCTAssertGreaterThan(v.map(abs).max() ?? 0, bound * 0.9, path)
            all += v
        }
        let mean = all.reduce(0, +) / Double(all.count)
        let variance = all.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(all.count)
        XCTAssertEqual(mean, 0, accuracy: 0.002)
        XCTAssertEqual(variance, bound * bound / 3, accuracy: bound * bound / 3 * 0.03)
        let same = try LSTM(inputSize: 32, hiddenSize: H, key: RandomKey(seed: 3))
        let other = try LSTM(inputSize: 32, hiddenSize: H, key: RandomKey(seed: 4))
        XCTAssertEqual(same.parameters[1].tensor.doubles(), m.parameters[1].tensor.doubles())
        XCTAssertNotEqual(other.parameters[1].tensor.doubles(), m.parameters[1].tensor.doubles())
        // Different parameters of one module draw different values.
        XCTAssertNotEqual(Array(m.parameters[2].tensor.doubles()), Array(m.parameters[3].tensor.doubles()))
    }

    func testForwardMatchesStateOutputAndContinuation() throws {
        let gru = try GRU(3, 4, layers: 2)
        let x = try randomTensor([2, 6, 3], seed: 1)
        let (out, st) = try gru(x, state: nil)
        XCTAssertEqual(out.shape, [2, 6, 4])
        XCTAssertEqual(st.h.shape, [2, 2, 4])
        XCTAssertEqual(try gru(x).doubles(), out.doubles())
        // h_n of the last layer is the last output step.
        XCTAssertEqual(try st.h.index([.index(1)]).doubles(), try out.index([.all, .index(5)]).doubles())
        // Running the two halves with the state carried over gives the same sequence.
        let a = try x.sliced(axis: 1, start: 0, end: 3), b = try x.sliced(axis: 1, start: 3, end: 6)
        let (o1, s1) = try gru(a, state: nil)
        let (o2, s2) = try gru(b, state: s1)
        let joined = try Tensor.concat([o1, o2], axis: 1)
        assertRecurrentClose(joined.data, out.data, rtol: 1e-6, atol: 1e-7, "continuation")
        assertRecurrentClose(s2.h.data, st.h.data, rtol: 1e-6, atol: 1e-7, "continuation state")
        let lstm = try LSTM(3, 4, layers: 2)
        let (lo, ls) = try lstm(x, state: nil)
        let (lo1, ls1) = try lstm(a, state: nil)
        let (lo2, ls2) = try lstm(b, state: ls1.detached())
        assertRecurrentClose(try Tensor.concat([lo1, lo2], axis: 1).data, lo.data, rtol: 1e-6, atol: 1e-7, "lstm continuation")
        assertRecurrentClose(ls2.c!.data, ls.c!.data, rtol: 1e-6, atol: 1e-7, "lstm c continuation")
    }

    func testDropoutOnlyBetweenLayersAndOnlyInTraining() throws {
        let x = try randomTensor([4, 5, 3], seed: 2)
        let m = try LSTM(inputSize: 3, hiddenSize: 8, layers: 2, dropout: 0.5, key: RandomKey(seed: 9))
        let plain = try LSTM(inputSize: 3, hiddenSize: 8, layers: 2, dropout: 0, key: RandomKey(seed: 9))
        XCTAssertEqual(m.parameters.map { $0.tensor.doubles() }, plain.parameters.map { $0.tensor.doubles() })

        // Eval: deterministic and equal to the dropout-free stack.
        m.eval()
        let e1 = try m(x).doubles(), e2 = try m(x).doubles()
        XCTAssertEqual(e1, e2)
        XCTAssertEqual(e1, try plain(x).doubles())
        XCTAssertEqual(m.dropoutCalls, 0)

        // Training: each call draws a fresh mask between layer 0 and layer 1 ...
        m.train()
        let t1 = try m(x).doubles(), t2 = try m(x).doubles()
        XCTAssertNotEqual(t1, e1)
        XCTAssertNotEqual(t1, t2)
        XCTAssertEqual(m.dropoutCalls, 2)
        // ... and exactly that mask: rebuild call 0 by hand from two 1-layer LSTMs.
        let l0 = try LSTM(inputSize: 3, hiddenSize: 8), l1 = try LSTM(inputSize: 8, hiddenSize: 8)
        let p = Dictionary(uniqueKeysWithValues: m.parameters.map { ($0.path, $0.tensor) })
        try l0.update(parameters: ["weight_ih_l0": p["weight_ih_l0"]!, "weight_hh_l0": p["weight_hh_l0"]!,
                                   "bias_ih_l0": p["bias_ih_l0"]!, "bias_hh_l0": p["bias_hh_l0"]!])
        try l1.update(parameters: ["weight_ih_l0": p["weight_ih_l1"]!, "weight_hh_l0": p["weight_hh_l1"]!,
                                   "bias_ih_l0": p["bias_ih_l1"]!, "bias_hh_l0": p["bias_hh_l1"]!])
        let k = m.dropoutKey
        let mask = try Tensor.bernoulli([4, 5, 8], p: 0.5, key: RandomKey(seed: k.seed, stream: k.stream), dtype: .float32)
        let manual = try l1(try l0(x) * mask * 2)
        assertRecurrentClose(try NDArray(values: t1, shape: [4, 5, 8]), manual.data, rtol: 1e-6, atol: 1e-7, "manual dropout")
        let zeroed = mask.doubles().filter { $0 == 0 }.count
        XCTAssertGreaterThan(zeroed, 40)
        XCTAssertLessThan(zeroed, 120)

        // One layer: nothing to drop between, training output equals eval output.
        let single = try GRU(inputSize: 3, hiddenSize: 8, layers: 1, dropout: 0.5)
        single.train()
        let s1 = try single(x).doubles()
        single.eval()
        XCTAssertEqual(s1, try single(x).doubles())
        XCTAssertEqual(single.dropoutCalls, 0)
    }

    func testWorksInSequentialWithLastStep() throws {
        let net = try Sequential { try LSTM(3, 8); LastStep(); try Linear(8, 2) }
        let y = try net(try randomTensor([5, 7, 3], seed: 4))
        XCTAssertEqual(y.shape, [5, 2])
        XCTAssertEqual(net.parameters.map(\.path).first, "0.weight_ih_l0")
        let (v, grads) = try valueAndGrad(net) { m in try m(try randomTensor([5, 7, 3], seed: 4)).sum() }
        XCTAssertTrue(v.count == 1)
        XCTAssertEqual(grads.count, 6)
        XCTAssertTrue(grads.allSatisfy { g in g.grad.doubles().contains { $0 != 0 } })
    }

    func testSummary() throws {
        let clf = try LSTMClassifier(input: 3, hidden: 8, classes: 4)
        let rows = try clf.summary(inputShape: [2, 5, 3])
        XCTAssertEqual(rows.map(\.path), ["lstm", "last", "fc"])
        XCTAssertEqual(rows.first { $0.path == "lstm" }?.outputShape, [2, 5, 8])
        XCTAssertEqual(rows.first { $0.path == "last" }?.outputShape, [2, 8])
        XCTAssertEqual(rows.first { $0.path == "lstm" }?.parameters, 4 * 8 * (3 + 8 + 2))
        XCTAssertEqual(rows.totalParameters, 4 * 8 * 13 + 8 * 4 + 4)
    }

    func testClassifierVariants() throws {
        let clf = try LSTMClassifier(input: 3, hidden: 8, layers: 2, classes: 4)
        XCTAssertEqual(clf.parameters.map(\.path).last, "fc.bias")
        XCTAssertEqual(try clf(try randomTensor([2, 5, 3], seed: 1)).shape, [2, 4])
        let text = try LSTMClassifier(vocab: 20, embedding: 6, hidden: 8, classes: 3)
        XCTAssertEqual(text.parameters.map(\.path).first, "embedding.weight")
        let ids = try Tensor(ints: [1, 2, 3, 19, 0, 5, 5, 5], shape: [2, 4])
        XCTAssertEqual(try text(ids).shape, [2, 3])
        let (_, grads) = try valueAndGrad(text) { m in try m(ids).sum() }
        XCTAssertEqual(grads.first?.path, "embedding.weight")
        XCTAssertTrue(grads[0].grad.doubles().contains { $0 != 0 })
    }

    // MARK: Errors

    func expectError(_ body: () throws -> Void, contains: [String], file: StaticString = #filePath, line: UInt = #line) {
        do {
            try body()
            XCTFail("expected an error", file: file, line: line)
        } catch let e as NNError {
            let text = e.description
            for s in contains { XCTAssertTrue(text.contains(s), "'\(text)' lacks '\(s)'", file: file, line: line) }
        } catch {
            XCTFail("expected NNError, got \(error)", file: file, line: line)
        }
    }

    func testErrors() throws {
        let lstm = try LSTM(4, 6, layers: 2)
        let gru = try GRU(4, 6)
        expectError({ _ = try lstm(try randomTensor([3, 4], seed: 0)) }, contains: ["LSTM", "[B, T, 4]", "[3, 4]"])
        expectError({ _ = try lstm(try randomTensor([2, 3, 5], seed: 0)) }, contains: ["[B, T, 4]", "[2, 3, 5]"])
        expectError({ _ = try gru(try randomTensor([2, 0, 4], seed: 0)) }, contains: ["GRU", "T ≥ 1", "[2, 0, 4]"])
        expectError({ _ = try gru(try randomTensor([2, 3, 4], seed: 0, dtype: .float64)) }, contains: ["float64", "float32"])
        expectError({ _ = try gru(try Tensor(ints: [1, 2], shape: [1, 1, 2])) }, contains: ["GRU"])
        let x = try randomTensor([2, 3, 4], seed: 0)
        expectError({ _ = try lstm(x, state: RecurrentState(h: try Tensor.zeros([1, 2, 6]), c: try Tensor.zeros([2, 2, 6]))) },
                    contains: ["state h", "[2, 2, 6]", "[1, 2, 6]"])
        expectError({ _ = try lstm(x, state: RecurrentState(h: try Tensor.zeros([2, 2, 6]), c: try Tensor.zeros([2, 3, 6]))) },
                    contains: ["state c", "[2, 2, 6]", "[2, 3, 6]"])
        expectError({ _ = try lstm(x, state: RecurrentState(h: try Tensor.zeros([2, 2, 6]))) }, contains: ["cell state c"])
        expectError({ _ = try gru(x, state: RecurrentState(h: try Tensor.zeros([1, 2, 6]), c: try Tensor.zeros([1, 2, 6]))) },
                    contains: ["GRU has no cell state"])
        expectError({ _ = try GRU(4, 0) }, contains: ["hidden size must be positive, got 0"])
        expectError({ _ = try LSTM(4, 3, layers: 0) }, contains: ["layers must be positive"])
        expectError({ _ = try RNN(4, 3, dropout: 1.5) }, contains: ["RNN", "dropout", "1.5"])
        expectError({ _ = try LastStep()(try randomTensor([2, 3], seed: 0)) }, contains: ["LastStep", "[B, T, H]"])
        // Inside containers the error names the child's path.
        let net = try Sequential { try LSTM(4, 6); LastStep() }
        expectError({ _ = try net(try randomTensor([2, 3, 5], seed: 0)) }, contains: ["0 (LSTM)", "[2, 3, 5]"])
        let text = try LSTMClassifier(vocab: 10, embedding: 4, hidden: 6, classes: 2)
        expectError({ _ = try text(try randomTensor([2, 3], seed: 0)) }, contains: ["Embedding", "integer ids"])
        expectError({ _ = try text(try Tensor(ints: [1, 2], shape: [2])) }, contains: ["LSTMClassifier", "[B, T] token ids"])
    }
}

final class RecurrentHalfPrecisionTests: XCTestCase {
    /// bfloat16 modules run (through the composite ops) and stay near the float32 result.
    func testBFloat16RunsNearFloat32() throws {
        let m = try LSTM(3, 8, layers: 2)
        let x = try randomTensor([2, 5, 3], seed: 1)
        let ref = try m(x).doubles()
        try m.to(.bfloat16)
        let y = try m(try x.to(.bfloat16))
        XCTAssertEqual(y.dtype, .bfloat16)
        let worst = zip(y.doubles(), ref).map { abs($0 - $1) }.max() ?? .infinity
        XCTAssertLessThan(worst, 0.05)
    }
}
