import Foundation
import KoanAutograd
import KoanTensor
@testable import KoanTrain
import XCTest

final class StateDictTests: XCTestCase {
    private func setup(_ dtype: DType) throws -> (params: [(path: String, tensor: Tensor)], grads: [[String: Tensor]]) {
        let root = try Fixture.root()
        let block = (root["optimizers"] as! [[String: Any]]).first { ($0["dtype"] as? String) == dtype.rawValue }!
        let entries = block["params"] as! [[String: Any]]
        var initial: [String: Tensor] = [:]
        for e in entries { initial[e["path"] as! String] = Tensor(try Fixture.array(e)) }
        let params = parameterList(initial, order: entries.map { $0["path"] as! String })
        return (params, try (block["grads"] as! [Any]).map(Fixture.tensors))
    }

    private let configs: [(String, () throws -> any Optimizer)] = [
        ("sgd-nesterov", { try SGD(lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.01) }),
        ("sgd-plain", { try SGD(lr: 0.05) }),
        ("adam-amsgrad", { try Adam(lr: 0.01, weightDecay: 0.1, amsgrad: true) }),
        ("adamw", { try AdamW(lr: 0.01, weightDecay: 0.1, noDecay: ["head"]) }),
    ]

    /// Save after 2 updates (one parameter skipped at update 2), load into a fresh
    /// optimizer, continue: bit-identical to the uninterrupted run.
    func testRoundTripContinuesIdentically() throws {
        for dtype in [DType.float32, .float64] {
            let (params0, grads) = try setup(dtype)
            for (name, make) in configs {
                let a = try make()
                var pa = params0
                for k in 0..<5 { pa = try a.update(pa, grads: grads[k]) }

                let b = try make()
                var pb = params0
                for k in 0..<3 { pb = try b.update(pb, grads: grads[k]) }
                let saved = b.stateDict()
                XCTAssertEqual(saved["step"]?.ints(), [3], name)
                XCTAssertEqual(saved["head.weight/step"]?.ints(), [2], name)   // skipped once
                let c = try make()
                try c.load(stateDict: saved)
                XCTAssertEqual(c.stepCount, 3)
                // continuing `b` must not change the exported arrays (copy-on-write)
                let snapshot = saved.mapValues { $0.doubles() }
                var pc = pb
                for k in 3..<5 {
                    pb = try b.update(pb, grads: grads[k])
                    pc = try c.update(pc, grads: grads[k])
                }
                XCTAssertEqual(saved.mapValues { $0.doubles() }, snapshot, "\(name): exported state changed")
                for i in pa.indices {
                    XCTAssertEqual(pc[i].tensor.doubles(), pa[i].tensor.doubles(), "\(name) \(dtype) \(pa[i].path)")
                    XCTAssertEqual(pb[i].tensor.doubles(), pa[i].tensor.doubles(), "\(name) \(dtype) \(pa[i].path)")
                }
                XCTAssertEqual(Set(c.stateDict().keys), Set(a.stateDict().keys), name)
            }
        }
    }

    func testStateKeys() throws {
        let (params, grads) = try setup(.float32)
        let opt = try Adam(amsgrad: true)
        _ = try opt.update(params, grads: grads[0])
        let keys = Set(opt.stateDict().keys)
        XCTAssertTrue(keys.isSuperset(of: ["step", "encoder.weight/exp_avg", "encoder.weight/exp_avg_sq",
                                          "encoder.weight/max_exp_avg_sq", "encoder.weight/step", "temperature/exp_avg"]))
        XCTAssertEqual(keys.count, 1 + 5 * 4)
        let sgd = try SGD(lr: 0.1, momentum: 0.9)
        _ = try sgd.update(params, grads: grads[0])
        XCTAssertEqual(sgd.stateDict()["encoder.bias/momentum_buffer"]?.shape, [4])
    }

    func testLoadErrors() throws {
        let (params, grads) = try setup(.float32)
        let opt = try Adam()
        _ = try opt.update(params, grads: grads[0])
        var sd = opt.stateDict()
        let fresh = try Adam()
        var missingStep = sd; missingStep["step"] = nil
        XCTAssertThrowsError(try fresh.load(stateDict: missingStep)) { XCTAssertEqual($0 as? OptimError, .invalidStateDict(key: "step", reason: "missing")) }
        var unknown = sd; unknown["encoder.weight/momentum_buffer"] = sd["encoder.weight/exp_avg"]
        XCTAssertThrowsError(try fresh.load(stateDict: unknown))
        var noSlash = sd; noSlash["junk"] = sd["step"]
        XCTAssertThrowsError(try fresh.load(stateDict: noSlash))
        var missingBuf = sd; missingBuf["encoder.weight/exp_avg_sq"] = nil
        XCTAssertThrowsError(try fresh.load(stateDict: missingBuf)) {
            XCTAssertEqual($0 as? OptimError, .invalidStateDict(key: "encoder.weight/exp_avg_sq", reason: "missing"))
        }
        var badStep = sd; badStep["step"] = try NDArray.scalar(1.5, dtype: .float64)
        XCTAssertThrowsError(try fresh.load(stateDict: badStep))
        XCTAssertThrowsError(try (try Adam(amsgrad: true)).load(stateDict: sd))   // max_exp_avg_sq missing
        // wrong shape is detected at the next update, with nothing changed
        sd["encoder.weight/exp_avg"] = try NDArray.zeros([4, 3])
        sd["encoder.weight/exp_avg_sq"] = try NDArray.zeros([4, 3])
        try fresh.load(stateDict: sd)
        XCTAssertThrowsError(try fresh.update(params, grads: grads[1])) {
            XCTAssertEqual($0 as? OptimError, .stateShapeMismatch(path: "encoder.weight", key: "encoder.weight/exp_avg",
                                                                 expected: [3, 4], found: [4, 3]))
        }
        XCTAssertEqual(fresh.stepCount, 1)
        XCTAssertEqual(fresh.stateDict()["encoder.bias/step"]?.ints(), [1])
    }
}

final class OptimErrorTests: XCTestCase {
    let w = Tensor(try! NDArray.ones([2, 3]), requiresGrad: true)
    let b = Tensor(try! NDArray.zeros([3]), requiresGrad: true)
    var params: [(path: String, tensor: Tensor)] { [("fc.weight", w), ("fc.bias", b)] }

    func expect(_ e: OptimError, _ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try body(), file: file, line: line) { XCTAssertEqual($0 as? OptimError, e, file: file, line: line) }
    }

    func testUpdateErrors() throws {
        let opt = try Adam()
        expect(.gradShapeMismatch(path: "fc.weight", parameter: [2, 3], grad: [3, 2])) {
            _ = try opt.update(self.params, grads: ["fc.weight": Tensor(try NDArray.ones([3, 2]))])
        }
        expect(.unknownGradPath("fc.wieght")) {
            _ = try opt.update(self.params, grads: ["fc.wieght": self.w])
        }
        expect(.duplicatePath("fc.bias")) {
            _ = try opt.update(self.params + [("fc.bias", self.b)], grads: [:])
        }
        expect(.unsupportedDType(path: "fc.bias", dtype: .int64)) {
            _ = try opt.update(self.params, grads: ["fc.bias": Tensor(try NDArray(ints: [1, 2, 3], shape: [3]))])
        }
        expect(.unsupportedDType(path: "n", dtype: .int64)) {
            _ = try opt.update([("n", Tensor(try NDArray(ints: [1], shape: [1])))], grads: ["n": Tensor(try NDArray.ones([1]))])
        }
        opt.learningRate = -1
        expect(.invalidLearningRate(-1)) { _ = try opt.update(self.params, grads: ["fc.bias": self.b]) }
        opt.learningRate = .nan
        XCTAssertThrowsError(try opt.update(self.params, grads: ["fc.bias": self.b]))
        XCTAssertEqual(opt.stepCount, 0)
        XCTAssertEqual(opt.stateDict().count, 1)   // only "step": failed updates change nothing
        opt.learningRate = 0
        let same = try opt.update(params, grads: ["fc.bias": Tensor(try NDArray.ones([3]))])
        XCTAssertEqual(same[1].tensor.doubles(), [0, 0, 0])
        XCTAssertEqual(same[0].tensor.doubles(), w.doubles())   // no grad: unchanged
    }

    func testOverrideErrors() throws {
        let g = ["fc.bias": b]
        let sgd = try SGD(lr: 0.1, groups: [ParameterGroup(["fc", "decoder"], lrScale: 0.5)])
        expect(.unknownOverridePath("decoder")) { _ = try sgd.update(self.params, grads: g) }
        let adamw = try AdamW(noDecay: ["fc.b"])   // prefixes match whole components: "fc.b" is not "fc.bias"
        expect(.unknownOverridePath("fc.b")) { _ = try adamw.update(self.params, grads: g) }
        let adamw2 = try AdamW(decay: ["enc"])
        expect(.unknownOverridePath("enc")) { _ = try adamw2.update(self.params, grads: g) }
        XCTAssertThrowsError(try AdamW(noDecay: ["fc"], decay: ["fc"]))
        XCTAssertThrowsError(try SGD(lr: 0.1, groups: [ParameterGroup([], lrScale: 1)]))
        XCTAssertThrowsError(try SGD(lr: 0.1, groups: [ParameterGroup(["fc"], lrScale: -1)]))
        XCTAssertThrowsError(try SGD(lr: 0.1, groups: [ParameterGroup(["fc"], weightDecay: .infinity)]))
    }

    func testConstructorErrors() {
        expect(.invalidLearningRate(0)) { _ = try SGD(lr: 0) }
        expect(.invalidLearningRate(-0.1)) { _ = try Adam(lr: -0.1) }
        XCTAssertThrowsError(try AdamW(lr: .infinity))
        XCTAssertThrowsError(try Adam(lr: .nan))
        expect(.invalidBetas(1, 0.999)) { _ = try Adam(betas: (1, 0.999)) }
        expect(.invalidBetas(0.9, -0.1)) { _ = try AdamW(betas: (0.9, -0.1)) }
        XCTAssertThrowsError(try Adam(betas: (.nan, 0.9)))
        XCTAssertThrowsError(try Adam(eps: -1))
        XCTAssertThrowsError(try Adam(weightDecay: -1))
        XCTAssertThrowsError(try SGD(lr: 0.1, momentum: -0.5))
        XCTAssertThrowsError(try SGD(lr: 0.1, nesterov: true))
        XCTAssertThrowsError(try SGD(lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true))
        XCTAssertThrowsError(try SGD(lr: 0.1, weightDecay: .nan))
        XCTAssertEqual(OptimError.gradShapeMismatch(path: "a.w", parameter: [2], grad: [3]).description,
                       "gradient for 'a.w' has shape [3] but the parameter has shape [2]")
    }

    /// Updates never record a graph, even with grad mode on and parameters requiring grad.
    func testNoGraphRecorded() throws {
        let opt = try SGD(lr: 0.1, momentum: 0.9)
        let out = try opt.update(params, grads: ["fc.weight": w, "fc.bias": b])
        XCTAssertTrue(out.allSatisfy { $0.tensor.isLeaf && $0.tensor.requiresGrad })
        let frozen = try opt.update([("x", Tensor(try NDArray.ones([2])))], grads: ["x": Tensor(try NDArray.ones([2]))])
        XCTAssertFalse(frozen[0].tensor.requiresGrad)
    }
}

/// State buffers are updated in place: no copy per update unless an exported
/// `stateDict()` still shares them.
final class InPlaceStateTests: XCTestCase {
    func testBuffersAreNotCopiedEachUpdate() throws {
        let p: [(path: String, tensor: Tensor)] = [("w", Tensor(try NDArray.ones([64])))]
        let g = ["w": Tensor(try NDArray.ones([64]))]
        let opts: [(any Optimizer, String)] = [(try Adam(amsgrad: true), "w/exp_avg"), (try AdamW(), "w/exp_avg_sq"),
                                             (try SGD(lr: 0.1, momentum: 0.9), "w/momentum_buffer")]
        for (opt, key) in opts {
            var q = try opt.update(p, grads: g)
            q = try opt.update(q, grads: g)
            let before = opt.stateDict()[key]!.baseAddress   // the export is released right away
            q = try opt.update(q, grads: g)
            XCTAssertEqual(opt.stateDict()[key]!.baseAddress, before, key)
            let held = opt.stateDict()
            q = try opt.update(q, grads: g)
            XCTAssertNotEqual(opt.stateDict()[key]!.baseAddress, held[key]!.baseAddress, key)   // COW
        }
    }
}
