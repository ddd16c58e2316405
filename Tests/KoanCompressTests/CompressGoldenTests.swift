import Foundation
import KoanAutograd
@testable import KoanNN
import KoanTensor
import XCTest

/// Quantization, pruning and distillation against PyTorch 2.13 (tools/goldens/compress.py):
/// `quantize_dynamic` with the per-channel qconfig (fbgemm), `torch.nn.utils.prune` masks,
/// and DistilBERT's distillation loss.
final class CompressGoldenTests: XCTestCase {
    private func file(_ name: String) throws -> SafetensorsFile {
        guard let url = Bundle.module.url(forResource: "Fixtures/compress/" + name, withExtension: "safetensors") else {
            XCTFail("fixture \(name).safetensors is missing: run tools/goldens/compress.py")
            throw CocoaError(.fileNoSuchFile)
        }
        return try SafetensorsFile(path: url.path)
    }

    private func linear(_ f: SafetensorsFile, _ prefix: String) throws -> Linear {
        let w = try f.array(prefix + ".weight")
        let hasBias = f.entries.contains { $0.name == prefix + ".bias" }
        let l = try Linear(w.shape[1], w.shape[0], bias: hasBias)
        var values = ["weight": w]
        if hasBias { values["bias"] = try f.array(prefix + ".bias") }
        try l.update(parameters: values)
        return l
    }

    func testInt8WeightsScalesAndOutputsMatchQuantizeDynamic() throws {
        let f = try file("quantize")
        print("int8 kernels: \(IntegerKernels.path) (supported: \(IntegerPath.supported.map(\.description).joined(separator: ", ")))")
        for name in ["lin", "pos", "zero_row", "rank3"] {
            let w = try f.array(name + ".weight"), x = try f.array(name + ".x")
            let q = try Int8ChannelWeights.quantize(w)
            XCTAssertEqual(q.values.ints(), try f.array(name + ".w_int8").ints(), "\(name): int8 weights")
            XCTAssertEqual(q.scales.doubles(), try f.array(name + ".w_scale").doubles(), "\(name): weight scales")
            let xs = x.doubles().map(Float.init)
            let a = ActivationQuantization.choose(min: xs.min()!, max: xs.max()!)
            XCTAssertEqual(Double(a.scale), try f.array(name + ".x_scale").doubles()[0], "\(name): activation scale")
            XCTAssertEqual(Int64(a.zeroPoint), try f.array(name + ".x_zero_point").ints()[0], "\(name): activation zero point")

            let l = try linear(f, name)
            try l.quantize(.int8)
            let expected = try f.array(name + ".y")
            for path in IntegerPath.supported {
                let y = try dynamicQuantizedLinear(x, q, bias: l.bias?.value.data, path: path)
                XCTAssertEqual(y.shape, expected.shape)
                // Within one quantum of the output (x_scale · w_scale[j]), the bound.
                let n = w.shape[0], quanta = q.scales.doubles().map { $0 * Double(a.scale) }
                var worst = 0.0
                for (i, (u, v)) in zip(y.doubles(), expected.doubles()).enumerated() { worst = max(worst, abs(u - v) / quanta[i % n]) }
                print("\(name) on \(path): at most \(worst) quanta from torch")
                XCTAssertLessThanOrEqual(worst, 1, "\(name) on \(path): \(worst) quanta off")
                // And in fact bit for bit: the same integers and fbgemm's fused epilogue.
                XCTAssertEqual(y.doubles(), expected.doubles(), "\(name) on \(path): not bitwise equal to torch")
            }
            let viaLayer = try noGrad { try l(Tensor(x)) }
            XCTAssertLessThan(zip(viaLayer.data.doubles(), expected.doubles()).map { abs($0 - $1) }.max()!, 1e-5, name)
        }
    }

    func testQuantizedMLPMatchesPyTorch() throws {
        let f = try file("quantize")
        let mlp = try MLP(input: 64, hidden: [128], output: 10)
        try mlp.update(parameters: ["layers.0.weight": try f.array("mlp.0.weight"), "layers.0.bias": try f.array("mlp.0.bias"),
                                    "layers.2.weight": try f.array("mlp.2.weight"), "layers.2.bias": try f.array("mlp.2.bias")])
        let q = try quantize(mlp, .int8)
        let layers = quantizedLayers(q)
        XCTAssertEqual(layers.map(\.path), ["layers.0", "layers.2"])
        for (i, (_, l)) in zip([0, 2], layers) {
            XCTAssertEqual(q.bufferSlots.first { $0.path == "layers.\(i).weight" }?.parameter.value.data.ints(),
                           try f.array("mlp.\(i).w_int8").ints())
            _ = l
        }
        let y = try noGrad { try q(Tensor(try f.array("mlp.x"))) }
        let err = zip(y.data.doubles(), try f.array("mlp.y").doubles()).map { abs($0 - $1) }.max()!
        XCTAssertLessThan(err, 1e-5, "quantized MLP vs torch: \(err)")
    }

    private func maskCheck(_ f: SafetensorsFile, weight: String, mask: String, _ method: PruningMethod,
                           file: StaticString = #filePath, line: UInt = #line) throws {
        let l = try linear(f, weight)
        try pruneInPlace(l, method)
        XCTAssertEqual(l.weightMask?.value.data.doubles(), try f.array(mask + ".mask").doubles(), mask, file: file, line: line)
    }

    func testPruningMasksMatchTorch() throws {
        let f = try file("prune")
        try maskCheck(f, weight: "l1_50", mask: "l1_50", .l1Unstructured(.fraction(0.5)))
        try maskCheck(f, weight: "l1_30", mask: "l1_30", .l1Unstructured(.fraction(0.3)))
        try maskCheck(f, weight: "l1_30", mask: "l1_int", .l1Unstructured(.count(13)))
        try maskCheck(f, weight: "l1_round", mask: "l1_round25", .l1Unstructured(.fraction(0.25)))
        try maskCheck(f, weight: "l1_round", mask: "l1_round75", .l1Unstructured(.fraction(0.75)))
        try maskCheck(f, weight: "ln_dim0", mask: "ln_dim0", .structured(.fraction(0.3), dim: 0, norm: 2))
        try maskCheck(f, weight: "ln_dim1_l1", mask: "ln_dim1_l1", .structured(.fraction(0.25), dim: 1, norm: 1))
    }

    func testIterativeAndGlobalPruningMatchTorch() throws {
        let f = try file("prune")
        let it = try linear(f, "iter")
        try pruneInPlace(it, .l1Unstructured(.fraction(0.5)))
        try pruneInPlace(it, .l1Unstructured(.fraction(0.5)))
        XCTAssertEqual(it.weightMask?.value.data.doubles(), try f.array("iter.mask").doubles(), "iter")
        let its = try linear(f, "iter_struct")
        try pruneInPlace(its, .structured(.fraction(0.25), dim: 0, norm: 2))
        try pruneInPlace(its, .l1Unstructured(.fraction(0.5)))
        XCTAssertEqual(its.weightMask?.value.data.doubles(), try f.array("iter_struct.mask").doubles(), "iter_struct")

        let model = Sequential([try linear(f, "global.0"), try linear(f, "global.1"), try linear(f, "global.2")])
        try pruneInPlace(model, .global(.fraction(0.5)))
        for i in 0..<3 {
            XCTAssertEqual((model.layers[i] as? Linear)?.weightMask?.value.data.doubles(), try f.array("global.\(i).mask").doubles(), "global.\(i)")
        }
        let l = try linear(f, "l1_50")
        try pruneInPlace(l, .l1Unstructured(.fraction(0.5)))
        try removePruning(l)
        XCTAssertEqual(l.weight.value.data.doubles(), try f.array("l1_50.removed").doubles())
    }

    func testDistillationLossAndGradientMatchTorch() throws {
        let f = try file("distill")
        let s = Tensor(try f.array("s"), requiresGrad: true), t = Tensor(try f.array("t")), labels = Tensor(try f.array("labels"))
        for (name, temperature, alpha) in [("T2_a05", 2.0, 0.5), ("T4_a09", 4.0, 0.9), ("T1_a0", 1.0, 0.0)] {
            let loss = try withGrad { try distillationLoss(student: s, teacher: t, labels: labels, temperature: temperature, alpha: alpha) }
            XCTAssertEqual(try loss.item(), try f.array("loss_" + name).doubles()[0], accuracy: 1e-5, name)
            let g = try backward(loss, wrt: [s])[0]
            let err = zip(g.doubles(), try f.array("grad_" + name).doubles()).map { abs($0 - $1) }.max()!
            XCTAssertLessThan(err, 1e-6, "\(name) gradient")
        }
    }
}
