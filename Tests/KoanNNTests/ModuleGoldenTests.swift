import KoanAutograd
import KoanNN
import KoanTensor
import XCTest

/// Forward passes of every layer against PyTorch, with torch's parameters copied in.
final class ModuleGoldenTests: XCTestCase {
    var goldens: [String: NNGolden] { (try? NNGolden.loadAll()) ?? [:] }

    func golden(_ name: String) throws -> NNGolden {
        guard let g = goldens[name] else { throw XCTSkip("no golden \(name)") }
        return g
    }

    func makeModule(_ g: NNGolden) throws -> Module {
        let pair = { (k: String) in g.ints(k).map { ($0[0], $0[1]) } }
        switch g.name {
        case "linear", "linear_nobias_rank3":
            return try Linear(g.int("in")!, g.int("out")!, bias: g.args["bias"] as? Bool ?? true)
        case "conv2d_groups", "conv2d_dilation":
            return try Conv2d(g.int("in")!, g.int("out")!, kernelSize: pair("kernel")!, stride: pair("stride")!,
                              padding: pair("padding")!, dilation: pair("dilation")!, groups: g.int("groups")!)
        case "maxpool_2", "maxpool_3s2p1":
            return try MaxPool2d(g.int("kernel")!, stride: g.int("stride"), padding: g.int("padding")!)
        case "avgpool_2", "avgpool_3s2p1":
            return try AvgPool2d(g.int("kernel")!, stride: g.int("stride"), padding: g.int("padding")!)
        case "flatten": return Flatten()
        case "embedding": return try Embedding(g.int("count")!, g.int("dim")!)
        case "layernorm": return try LayerNorm(g.int("dim")!)
        case "relu": return ReLU()
        case "gelu": return GELU()
        case "gelu_tanh": return GELU(approximate: true)
        case "silu": return SiLU()
        case "tanh": return Tanh()
        case "sigmoid": return Sigmoid()
        case "softmax_axis1": return Softmax(axis: g.int("axis")!)
        case "sequential": return try Sequential { try Linear(6, 8); ReLU(); try Linear(8, 3) }
        case "dropout_eval": return try Dropout(p: g.double("p")!)
        default: throw XCTSkip("no module for \(g.name)")
        }
    }

    func testModulesAgainstTorch() throws {
        let goldens = self.goldens
        let names = goldens.values.filter { $0.kind == "module" }.map(\.name).sorted()
        XCTAssertGreaterThanOrEqual(names.count, 20)
        for name in names {
            let g = try golden(name)
            let m = try makeModule(g)
            XCTAssertEqual(Set(m.parameters.map(\.path)), Set(g.params.keys), name)
            try m.update(parameters: g.params)
            if !(g.args["train"] as? Bool ?? true) { m.eval() }
            if name == "dropout_eval" { m.eval() }
            for (x, y) in zip(g.inputs, g.outputs) {
                let out = try m(Tensor(x))
                assertClose(out.data, y, name)
            }
        }
    }

    func testBatchNormTrainAndEvalAgainstTorch() throws {
        for name in ["batchnorm1d", "batchnorm1d_3d", "batchnorm2d"] {
            let g = try golden(name)
            let c = g.int("features")!
            let bn: BatchNorm = name == "batchnorm2d" ? try BatchNorm2d(c) : try BatchNorm1d(c)
            try bn.update(parameters: g.params)
            try bn.update(buffers: g.buffers)
            XCTAssertTrue(bn.isTraining)
            for i in 0..<2 {
                assertClose(try bn(Tensor(g.inputs[i])).data, g.outputs[i], rtol: 1e-4, atol: 1e-5, "\(name) train \(i)")
            }
            for (path, t) in bn.buffers {
                guard let want = g.buffersAfter[path] else { XCTFail("\(name): no buffer \(path)"); continue }
                if t.dtype == .int64 { XCTAssertEqual(t.ints(), want.ints(), path) } else { assertClose(t.data, want, "\(name) \(path)") }
            }
            let before = bn.runningMean.value.doubles()
            bn.eval()
            assertClose(try bn(Tensor(g.inputs[2])).data, g.outputs[2], rtol: 1e-4, atol: 1e-5, "\(name) eval")
            // Eval does not move the running statistics.
            XCTAssertEqual(bn.runningMean.value.doubles(), before)
        }
    }

    func testBatchNormGradientFlows() throws {
        let bn = try BatchNorm1d(3)
        let x = Tensor(try NDArray.randn([6, 3], key: RandomKey(seed: 4)))
        let (_, grads) = try valueAndGrad(bn) { m in try m(x).unary(.square).sum() }
        XCTAssertEqual(grads.map(\.path), ["weight", "bias"])
        XCTAssertTrue(grads[0].grad.doubles().allSatisfy { $0.isFinite })
    }
}
