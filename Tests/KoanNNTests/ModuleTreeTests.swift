import KoanAutograd
import KoanNN
import KoanTensor
import XCTest

final class ModuleTreeTests: XCTestCase {
    func testMLPPathsAndCounts() throws {
        let mlp = try MLP(input: 64, hidden: [128], output: 10)
        XCTAssertEqual(mlp.parameters.map(\.path), ["layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias"])
        XCTAssertEqual(mlp.parameters.map(\.tensor.shape), [[128, 64], [128], [10, 128], [10]])
        XCTAssertEqual(mlp.parameterCount, 9_610)
        XCTAssertEqual(mlp.trainableParameterCount, 9_610)
        XCTAssertEqual(mlp.namedChildren.map(\.name), ["layers"])
        XCTAssertEqual(mlp.namedModules.map(\.path), ["", "layers", "layers.0", "layers.1", "layers.2"])
        let y = try mlp(Tensor(try NDArray.zeros([3, 64])))
        XCTAssertEqual(y.shape, [3, 10])

        XCTAssertEqual("\(try MLP(input: 4, hidden: [8], output: 2))", """
            MLP(
              (layers): Sequential(
                (0): Linear(in: 4, out: 8, bias: true)
                (1): ReLU()
                (2): Linear(in: 8, out: 2, bias: true)
              )
            )
            """)
        let deep = try MLP(input: 4, hidden: [8, 8], output: 2, activation: .gelu, dropout: 0.1)
        XCTAssertEqual(deep.namedModules.map(\.module.layerName),
                       ["MLP", "Sequential", "Linear", "GELU", "Dropout", "Linear", "GELU", "Dropout", "Linear"])
        XCTAssertEqual(deep.parameters.map(\.path).last, "layers.6.bias")
    }

    func testSequentialBuilderMatchesArrayInit() throws {
        let useNorm = true
        let a = try Sequential {
            try Linear(64, 128)
            ReLU()
            if useNorm { try LayerNorm(128) }
            for i in 0..<2 { try Linear(128, 128, key: RandomKey(seed: UInt64(i))) }
        }
        XCTAssertEqual(a.parameters.map(\.path),
                       ["0.weight", "0.bias", "2.weight", "2.bias", "3.weight", "3.bias", "4.weight", "4.bias"])
        let b = Sequential([try Linear(64, 128), ReLU()])
        XCTAssertEqual(a.parameters[0].tensor.doubles(), b.parameters[0].tensor.doubles(), "same default key, same weights")
        XCTAssertNotEqual(a.parameters[4].tensor.doubles(), a.parameters[6].tensor.doubles())
    }

    func testTrainEvalIsRecursive() throws {
        let mlp = try MLP(input: 4, hidden: [8], output: 2, dropout: 0.5)
        XCTAssertTrue(mlp.namedModules.allSatisfy { $0.module.isTraining })
        mlp.eval()
        XCTAssertTrue(mlp.namedModules.allSatisfy { !$0.module.isTraining })
        let x = Tensor(try NDArray.randn([5, 4], key: RandomKey(seed: 1)))
        XCTAssertEqual(try mlp(x).doubles(), try mlp(x).doubles(), "eval is deterministic")
        mlp.train()
        XCTAssertTrue(mlp.layers.layers[2].isTraining)
    }

    func testFreezeUnfreezeSelectsGradients() throws {
        let mlp = try MLP(input: 3, hidden: [4], output: 2)
        let x = Tensor(try NDArray.randn([5, 3], key: RandomKey(seed: 2)))
        let t = try Tensor(ints: [0, 1, 1, 0, 1], shape: [5])
        let loss = { (m: Module) in try crossEntropy(m(x), targets: t) }

        try mlp.freeze(except: ["layers.2"])
        XCTAssertEqual(mlp.trainableParameters.map(\.path), ["layers.2.weight", "layers.2.bias"])
        XCTAssertEqual(mlp.trainableParameterCount, 10)
        XCTAssertEqual(mlp.parameterCount, 26)
        var (v, grads) = try valueAndGrad(mlp, loss)
        XCTAssertEqual(grads.map(\.path), ["layers.2.weight", "layers.2.bias"])
        XCTAssertFalse(mlp.parameters[0].tensor.requiresGrad)

        mlp.unfreeze()
        let full = try valueAndGrad(mlp, loss)
        XCTAssertEqual(full.grads.map(\.path), mlp.parameters.map(\.path))
        XCTAssertEqual(try full.value.item(), try v.item(), accuracy: 1e-7)
        // The head's gradient does not depend on whether the body is frozen.
        XCTAssertEqual(full.grads[2].grad.doubles(), grads[0].grad.doubles())

        try mlp.freeze(only: ["layers.0.bias"])
        (v, grads) = try valueAndGrad(mlp, loss)
        XCTAssertEqual(grads.map(\.path), ["layers.0.weight", "layers.2.weight", "layers.2.bias"])

        try mlp.freeze()
        XCTAssertEqual(mlp.trainableParameterCount, 0)
        XCTAssertThrowsError(try mlp.freeze(except: ["layers.3"])) { e in
            XCTAssertEqual(e as? NNError, .unknownParameter(path: "layers.3", nearMatches: ["layers.0", "layers.2", "layers"]))
            XCTAssertEqual("\(e)", "no parameter with path 'layers.3'; did you mean 'layers.0', 'layers.2', 'layers'?")
        }
        XCTAssertThrowsError(try mlp.freeze(except: ["layers.0.wieght"])) { e in
            XCTAssertEqual("\(e)", "no parameter with path 'layers.0.wieght'; did you mean 'layers.0.weight', 'layers.2.weight'?")
        }
        // Prefixes match at dot boundaries only.
        let wide = try Sequential((0..<11).map { i in try Linear(2, 2, key: RandomKey(seed: UInt64(i))) })
        try wide.freeze(except: ["1"])
        XCTAssertEqual(wide.trainableParameters.map(\.path), ["1.weight", "1.bias"])
    }

    func testUpdateChecksPathShapeAndDType() throws {
        let lin = try Linear(3, 2)
        let w = try NDArray(values: [1, 2, 3, 4, 5, 6], shape: [2, 3])
        try lin.update(parameters: ["weight": w])
        XCTAssertEqual(lin.weight.value.doubles(), [1, 2, 3, 4, 5, 6])
        XCTAssertTrue(lin.weight.value.requiresGrad)

        XCTAssertThrowsError(try lin.update(parameters: ["weight": try NDArray.zeros([3, 2])])) { e in
            XCTAssertEqual(e as? NNError, .parameterShapeMismatch(path: "weight", expected: [2, 3], got: [3, 2]))
            XCTAssertEqual("\(e)", "parameter 'weight': expected shape [2, 3], got [3, 2]")
        }
        XCTAssertThrowsError(try lin.update(parameters: ["bias": try NDArray.zeros([2], dtype: .float64)])) { e in
            XCTAssertEqual("\(e)", "parameter 'bias': expected dtype float32, got float64")
        }
        XCTAssertThrowsError(try lin.update(parameters: ["bais": try NDArray.zeros([2])])) { e in
            XCTAssertEqual("\(e)", "no parameter with path 'bais'; did you mean 'bias'?")
        }
        // A failed update changes nothing.
        XCTAssertThrowsError(try lin.update(parameters: ["bias": try NDArray.ones([2]), "weight": try NDArray.zeros([1])]))
        XCTAssertEqual(lin.bias?.value.doubles(), try Linear(3, 2).bias?.value.doubles())

        let mlp = try MLP(input: 64, hidden: [128], output: 10)
        XCTAssertThrowsError(try mlp.update(parameters: ["layers.2.weight": Tensor(try NDArray.zeros([10, 64]))])) { e in
            XCTAssertEqual("\(e)", "parameter 'layers.2.weight': expected shape [10, 128], got [10, 64]")
        }
    }

    func testForwardErrorsNameTheLayerPath() throws {
        let mlp = try MLP(input: 64, hidden: [128], output: 10)
        XCTAssertThrowsError(try mlp(Tensor(try NDArray.zeros([4, 32])))) { e in
            XCTAssertEqual(e as? NNError, .shapeMismatch(path: "layers.0", layer: "Linear", expected: "[*, 64]", got: [4, 32]))
            XCTAssertEqual("\(e)", "layers.0 (Linear): expected input of shape [*, 64], got [4, 32]")
        }
        let cnn = try CNN(inputChannels: 1, imageSize: 8, classes: 10)
        XCTAssertThrowsError(try cnn(Tensor(try NDArray.zeros([2, 3, 8, 8])))) { e in
            XCTAssertEqual("\(e)", "features.0 (Conv2d): expected input of shape [N, 1, H, W], got [2, 3, 8, 8]")
        }
        XCTAssertThrowsError(try cnn(Tensor(try NDArray.zeros([2, 1, 16, 16])))) { e in
            XCTAssertEqual("\(e)", "classifier.1 (Linear): expected input of shape [*, 128], got [2, 512]")
        }
    }

    func testConstructorErrors() {
        XCTAssertThrowsError(try Linear(0, 3)) { e in XCTAssertEqual("\(e)", "Linear: in features must be positive, got 0") }
        XCTAssertThrowsError(try Conv2d(3, 4, kernel: 3, groups: 2)) { e in
            XCTAssertEqual("\(e)", "Conv2d: in channels (3) and out channels (4) must be divisible by groups (2)")
        }
        XCTAssertThrowsError(try Dropout(p: 1.5))
        XCTAssertThrowsError(try LayerNorm([]))
        XCTAssertThrowsError(try Embedding(10, -1))
        XCTAssertThrowsError(try BatchNorm1d(4, momentum: 2))
        XCTAssertThrowsError(try MaxPool2d(2, padding: 2))
        XCTAssertThrowsError(try CNN(inputChannels: 3, imageSize: 30, classes: 10)) { e in
            XCTAssertEqual("\(e)", "CNN: image size 30 must be divisible by 2^2 = 4 (one 2×2 pooling per width)")
        }
        XCTAssertThrowsError(try Embedding(5, 2)(Tensor(try NDArray(ints: [5], shape: [1])))) { e in
            XCTAssertEqual("\(e)", "Embedding: id 5 is out of range for 5 embeddings")
        }
        XCTAssertThrowsError(try BatchNorm1d(3)(Tensor(try NDArray.zeros([1, 3]))))
    }

    func testCNNShapesAndCounts() throws {
        let small = try CNN(inputChannels: 1, imageSize: 8, classes: 10)
        XCTAssertEqual(try small(Tensor(try NDArray.randn([2, 1, 8, 8], key: RandomKey(seed: 0)))).shape, [2, 10])
        // convs: 1·16·9+16, 16·16·9+16, 16·32·9+32, 32·32·9+32; linear 128·64+64, 64·10+10
        XCTAssertEqual(small.parameterCount, 160 + 2320 + 4640 + 9248 + 8256 + 650)
        let cifar = try CNN(inputChannels: 3, imageSize: 32, classes: 10, widths: [8, 16, 16], batchNorm: true, dropout: 0.2)
        XCTAssertEqual(try cifar(Tensor(try NDArray.randn([2, 3, 32, 32], key: RandomKey(seed: 0)))).shape, [2, 10])
        XCTAssertTrue(cifar.buffers.map(\.path).contains("features.1.running_mean"))
    }

    func testSummaryTable() throws {
        let mlp = try MLP(input: 64, hidden: [128], output: 10)
        try mlp.freeze(except: ["layers.2"])
        let rows = try mlp.summary(inputShape: [1, 64])
        XCTAssertEqual(rows.map(\.path), ["layers", "layers.0", "layers.1", "layers.2"])
        XCTAssertEqual(rows.map(\.outputShape), [[1, 10], [1, 128], [1, 128], [1, 10]])
        XCTAssertEqual(rows.totalParameters, 9_610)
        XCTAssertEqual(rows.totalTrainable, 1_290)
        XCTAssertEqual(rows.textTable(), """
            Layer (path)  Type        Output shape  Params  Trainable
            ─────────────────────────────────────────────────────────
            layers        Sequential  [1, 10]            0          0
              layers.0    Linear      [1, 128]       8,320          0
              layers.1    ReLU        [1, 128]           0          0
              layers.2    Linear      [1, 10]        1,290      1,290
            ─────────────────────────────────────────────────────────
            Total parameters: 9,610
            Trainable parameters: 1,290
            Non-trainable parameters: 8,320
            """)
        let html = rows.htmlTable()
        XCTAssertTrue(html.hasPrefix("<table class=\"koan-summary\">"))
        XCTAssertTrue(html.contains("<td>Linear</td><td>[1, 128]</td><td style=\"text-align:right\">8,320</td>"))

        // Summary does not touch training state or running statistics.
        let cnn = try CNN(inputChannels: 1, imageSize: 8, classes: 3, batchNorm: true, dropout: 0.5)
        let before = cnn.buffers.map { $0.tensor.doubles() }
        let crows = try cnn.summary(inputShape: [2, 1, 8, 8])
        XCTAssertEqual(cnn.buffers.map { $0.tensor.doubles() }, before)
        XCTAssertTrue(cnn.isTraining && cnn.features.isTraining)
        XCTAssertEqual(crows.first { $0.path == "features.6" }?.outputShape, [2, 16, 4, 4])
        XCTAssertEqual(crows.totalParameters, cnn.parameterCount)
        XCTAssertThrowsError(try cnn.summary(inputShape: [2, 3, 8, 8]))
    }
}
