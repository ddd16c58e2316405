import KoanAutograd
import KoanNN
import KoanTensor
import XCTest

final class GradientAndInitTests: XCTestCase {
    /// Every parameter gradient of a small Sequential (Linear, Tanh, LayerNorm, GELU,
    /// Linear + cross-entropy with smoothing) against central differences in float64.
    func testSequentialGradientsMatchFiniteDifferences() throws {
        let net = try Sequential {
            try Linear(3, 5, key: RandomKey(seed: 1))
            Tanh()
            try LayerNorm(5)
            GELU()
            try Linear(5, 4, key: RandomKey(seed: 2))
        }
        try net.to(.float64)
        try net.apply(init: .normal(std: 0.3), where: { path, _ in path.hasPrefix("2.") }, key: RandomKey(seed: 9))
        let x = Tensor(try NDArray.randn([6, 3], key: RandomKey(seed: 3), dtype: .float64))
        let t = try Tensor(ints: [0, 3, 1, 2, -100, 1], shape: [6])
        let loss = { (m: Module) in try crossEntropy(m(x), targets: t, labelSmoothing: 0.1) }
        let (_, grads) = try valueAndGrad(net, loss)
        XCTAssertEqual(grads.count, 6)
        let h = 1e-6
        for (path, g) in grads {
            let base = try XCTUnwrap(net.parameters.first { $0.path == path }?.tensor.data)
            var numeric: [Double] = []
            for i in 0..<base.count {
                var v = base.doubles()
                func eval(_ d: Double) throws -> Double {
                    v[i] = base.doubles()[i] + d
                    try net.update(parameters: [path: try NDArray(values: v, shape: base.shape, dtype: .float64)])
                    return try noGrad { try loss(net).item() }
                }
                numeric.append((try eval(h) - eval(-h)) / (2 * h))
            }
            try net.update(parameters: [path: base])
            assertClose(g.data, try NDArray(values: numeric, shape: base.shape, dtype: .float64), rtol: 1e-5, atol: 1e-7, path)
        }
    }

    func testConvNetGradientsMatchFiniteDifferences() throws {
        let net = try Sequential {
            try Conv2d(2, 3, kernel: 3, padding: 1, groups: 1, key: RandomKey(seed: 5))
            SiLU()
            try AvgPool2d(2)
            Flatten()
            try Linear(12, 2, key: RandomKey(seed: 6))
        }
        try net.to(.float64)
        let x = Tensor(try NDArray.randn([2, 2, 4, 4], key: RandomKey(seed: 7), dtype: .float64))
        let y = Tensor(try NDArray.randn([2, 2], key: RandomKey(seed: 8), dtype: .float64))
        let loss = { (m: Module) in try mseLoss(m(x), y) }
        let (_, grads) = try valueAndGrad(net, loss)
        let h = 1e-6
        for (path, g) in grads {
            let base = try XCTUnwrap(net.parameters.first { $0.path == path }?.tensor.data)
            var numeric: [Double] = []
            for i in 0..<base.count {
                var v = base.doubles()
                v[i] += h
                try net.update(parameters: [path: try NDArray(values: v, shape: base.shape, dtype: .float64)])
                let up = try noGrad { try loss(net).item() }
                v[i] -= 2 * h
                try net.update(parameters: [path: try NDArray(values: v, shape: base.shape, dtype: .float64)])
                let down = try noGrad { try loss(net).item() }
                numeric.append((up - down) / (2 * h))
            }
            try net.update(parameters: [path: base])
            assertClose(g.data, try NDArray(values: numeric, shape: base.shape, dtype: .float64), rtol: 1e-5, atol: 1e-8, path)
        }
    }

    func testDropoutTrainStatisticsAndEvalIdentity() throws {
        let drop = try Dropout(p: 0.25, key: RandomKey(seed: 11))
        let x = Tensor(try NDArray.ones([200, 100]))
        let y1 = try drop(x).doubles()
        let y2 = try drop(x).doubles()
        XCTAssertEqual(drop.calls, 2)
        XCTAssertNotEqual(y1, y2, "each call draws a new mask")
        let kept = y1.filter { $0 != 0 }
        XCTAssertTrue(kept.allSatisfy { abs($0 - 1 / 0.75) < 1e-6 })
        let keepRate = Double(kept.count) / Double(y1.count)
        XCTAssertEqual(keepRate, 0.75, accuracy: 0.015)
        XCTAssertEqual(y1.reduce(0, +) / Double(y1.count), 1, accuracy: 0.02, "inverted dropout keeps the mean")
        // Same key, same sequence of masks.
        let again = try Dropout(p: 0.25, key: RandomKey(seed: 11))
        XCTAssertEqual(try again(x).doubles(), y1)
        drop.eval()
        XCTAssertEqual(try drop(x).doubles(), x.doubles())
        XCTAssertEqual(drop.calls, 2)
        // Gradient flows through the kept elements, scaled.
        drop.train()
        let (_, g) = try valueAndGrad({ t in try drop(t).sum() }, at: Tensor(try NDArray.ones([4, 4])))
        XCTAssertTrue(g.doubles().allSatisfy { $0 == 0 || abs($0 - 1 / 0.75) < 1e-6 })
    }

    func testDefaultInitialisationMatchesTorchBounds() throws {
        let lin = try Linear(400, 300, key: RandomKey(seed: 1))
        let b = 1 / 400.0.squareRoot()
        let w = lin.weight.value.doubles()
        XCTAssertTrue(w.allSatisfy { abs($0) <= b })
        XCTAssertEqual(w.map { $0 * $0 }.reduce(0, +) / Double(w.count), b * b / 3, accuracy: b * b * 0.02)   // var of U(-b, b)
        XCTAssertTrue(lin.bias!.value.doubles().allSatisfy { abs($0) <= b })

        let conv = try Conv2d(8, 16, kernel: 3, groups: 2)
        let cb = 1 / Double(4 * 9).squareRoot()
        XCTAssertEqual(conv.weight.value.shape, [16, 4, 3, 3])
        XCTAssertTrue(conv.weight.value.doubles().allSatisfy { abs($0) <= cb })
        XCTAssertGreaterThan(conv.weight.value.doubles().map(abs).max()!, cb * 0.9)

        let emb = try Embedding(500, 40)
        let e = emb.weight.value.doubles()
        let mean = e.reduce(0, +) / Double(e.count)
        XCTAssertEqual(mean, 0, accuracy: 0.02)
        XCTAssertEqual((e.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(e.count)).squareRoot(), 1, accuracy: 0.02)

        let ln = try LayerNorm(7)
        XCTAssertEqual(ln.weight!.value.doubles(), Array(repeating: 1, count: 7))
        XCTAssertEqual(ln.bias!.value.doubles(), Array(repeating: 0, count: 7))
    }

    func testInitializerSchemes() throws {
        func std(_ a: NDArray) -> Double {
            let v = a.doubles()
            let m = v.reduce(0, +) / Double(v.count)
            return (v.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(v.count)).squareRoot()
        }
        let shape = [200, 300], key = RandomKey(seed: 21)
        let fanIn = 300.0, fanOut = 200.0
        XCTAssertEqual(std(try Initializer.xavierUniform().make(shape, .float32, key)), (2 / (fanIn + fanOut)).squareRoot(), accuracy: 0.002)
        XCTAssertEqual(std(try Initializer.xavierNormal().make(shape, .float32, key)), (2 / (fanIn + fanOut)).squareRoot(), accuracy: 0.002)
        XCTAssertEqual(std(try Initializer.kaimingUniform(nonlinearity: "relu").make(shape, .float32, key)), (2 / fanIn).squareRoot(), accuracy: 0.002)
        XCTAssertEqual(std(try Initializer.kaimingNormal(nonlinearity: "relu").make(shape, .float32, key)), (2 / fanIn).squareRoot(), accuracy: 0.002)
        XCTAssertEqual(std(try Initializer.normal(std: 0.02).make(shape, .float32, key)), 0.02, accuracy: 0.0005)
        XCTAssertThrowsError(try Initializer.xavierUniform().make([5], .float32, key)) { e in
            XCTAssertEqual("\(e)", "xavierUniform: fan in and fan out need a tensor of rank >= 2, got shape [5]")
        }

        let mlp = try MLP(input: 4, hidden: [8], output: 2)
        try mlp.apply(init: .zeros, where: { path, _ in path.hasSuffix("bias") })
        XCTAssertTrue(mlp.parameters.filter { $0.path.hasSuffix("bias") }.allSatisfy { $0.tensor.doubles().allSatisfy { $0 == 0 } })
        try mlp.apply(init: .xavierUniform(), key: RandomKey(seed: 5))
        let w0 = mlp.parameters[0].tensor.doubles()
        try mlp.apply(init: .xavierUniform(), key: RandomKey(seed: 5))
        XCTAssertEqual(mlp.parameters[0].tensor.doubles(), w0, "initialisation depends only on the key")
        XCTAssertNotEqual(mlp.parameters[0].tensor.doubles().prefix(4), mlp.parameters[2].tensor.doubles().prefix(4))
        XCTAssertTrue(mlp.parameters[0].tensor.requiresGrad)
    }
}
