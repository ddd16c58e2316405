import Foundation
import KoanAutograd
import KoanTensor
@testable import KoanTrain
import XCTest

final class ScheduleTests: XCTestCase {
    /// torch StepLR/ExponentialLR values (multiplied step by step, so compare to 1e-12
    /// relative against our closed form) and HF formulas (same operation order: exact).
    func testSchedulesMatchGoldens() throws {
        let cases = try Fixture.root()["schedules"] as? [[String: Any]] ?? []
        XCTAssertEqual(cases.count, 9)
        for c in cases {
            func i(_ k: String) -> Int { (c[k] as? NSNumber)?.intValue ?? 0 }
            func d(_ k: String) -> Double { (c[k] as? NSNumber)?.doubleValue ?? 0 }
            let s: Schedule
            switch c["kind"] as! String {
            case "constant": s = .constant
            case "step": s = .step(every: i("every"), gamma: d("gamma"))
            case "exponential": s = .exponential(gamma: d("gamma"))
            case "linear": s = .linear(warmup: i("warmup"), total: i("total"))
            default: s = .cosine(warmup: i("warmup"), total: c["total"] == nil ? nil : i("total"), minLR: d("minLR"))
            }
            let values = (c["values"] as! [NSNumber]).map(\.doubleValue)
            for (step, e) in values.enumerated() {
                let got = s.learningRate(base: d("base"), step: step, totalSteps: i("totalSteps"))
                XCTAssertEqual(got, e, accuracy: 1e-12 * abs(e) + 1e-300, "\(s) step \(step)")
            }
        }
    }

    func testCosineStaysAtMinimumAfterTotalAndWarmupStartsAtZero() {
        let s = Schedule.cosine(warmup: 2, total: 8, minLR: 0.01)
        XCTAssertEqual(s.learningRate(base: 0.1, step: 0, totalSteps: 0), 0)
        XCTAssertEqual(s.learningRate(base: 0.1, step: 1, totalSteps: 0), 0.05)
        XCTAssertEqual(s.learningRate(base: 0.1, step: 2, totalSteps: 0), 0.1)
        XCTAssertEqual(s.learningRate(base: 0.1, step: 8, totalSteps: 0), 0.01, accuracy: 1e-15)
        XCTAssertEqual(s.learningRate(base: 0.1, step: 50, totalSteps: 0), 0.01, accuracy: 1e-15)
        XCTAssertEqual(Schedule.linear(warmup: 2, total: 4).learningRate(base: 1, step: 9, totalSteps: 0), 0)
        XCTAssertEqual(Schedule.step(every: 0, gamma: 0.5).learningRate(base: 1, step: 2, totalSteps: 0), 0.25)
    }

    /// A schedule drives `learningRate`; lr 0 at warmup step 0 is a valid update (no change).
    func testScheduleDrivesOptimizer() throws {
        let opt = try SGD(lr: 1)
        var params: [(path: String, tensor: Tensor)] = [("w", Tensor(try NDArray(values: [1], shape: [1])))]
        let g = ["w": Tensor(try NDArray(values: [1], shape: [1]))]
        let sched = Schedule.linear(warmup: 2, total: 4)
        var seen: [Double] = []
        for step in 0..<4 {
            opt.learningRate = sched.learningRate(base: 1, step: step, totalSteps: 4)
            params = try opt.update(params, grads: g)
            seen.append(params[0].tensor.doubles()[0])
        }
        XCTAssertEqual(seen, [1, 0.5, -0.5, -1])
    }
}

final class ClipGradNormTests: XCTestCase {
    func testMatchesTorch() throws {
        let cases = try Fixture.root()["clip"] as? [[String: Any]] ?? []
        XCTAssertEqual(cases.count, 8)
        for c in cases {
            let maxNorm = (c["maxNorm"] as! NSNumber).doubleValue
            let normType = (c["normType"] as? String) == "inf" ? Double.infinity : (c["normType"] as! NSNumber).doubleValue
            let f64 = (c["dtype"] as? String) == "float64"
            let grads = try Fixture.tensors(c["grads"])
            let expected = try Fixture.tensors(c["clipped"])
            let (out, total) = try clipGradNorm(grads, maxNorm: maxNorm, normType: normType)
            let eTotal = (c["total"] as! NSNumber).doubleValue
            // float32: torch accumulates the norm in float32, we in Double.
            XCTAssertEqual(total, eTotal, accuracy: (f64 ? 1e-13 : 1e-6) * eTotal, "\(c["dtype"]!) maxNorm \(maxNorm) p \(normType)")
            for (path, t) in out {
                assertClose(t.data, expected[path]!.data, rtol: f64 ? 1e-12 : 1e-6, atol: f64 ? 0 : 1e-7, "clip \(path)")
            }
        }
    }

    func testNoClipReturnsInputsAndNonFinite() throws {
        let g = ["a": Tensor(try NDArray(values: [3, 4], shape: [2]))]
        let (same, n) = try clipGradNorm(g, maxNorm: 10)
        XCTAssertEqual(n, 5)
        XCTAssertEqual(same["a"]!.doubles(), [3, 4])
        let (scaled, _) = try clipGradNorm(g, maxNorm: 1)
        XCTAssertEqual(scaled["a"]!.doubles()[0], 3 / (5 + 1e-6), accuracy: 1e-6)
        let bad = ["a": Tensor(try NDArray(values: [.infinity, 1], shape: [2]))]
        XCTAssertThrowsError(try clipGradNorm(bad, maxNorm: 1, errorIfNonfinite: true)) {
            XCTAssertEqual($0 as? OptimError, .nonFiniteNorm(.infinity))
        }
        // as torch: scale = 1 / (inf + 1e-6) = 0, so inf * 0 = nan and 1 * 0 = 0
        let clippedBad = try clipGradNorm(bad, maxNorm: 1).grads["a"]!.doubles()
        XCTAssertTrue(clippedBad[0].isNaN)
        XCTAssertEqual(clippedBad[1], 0)
        XCTAssertThrowsError(try clipGradNorm(g, maxNorm: -1))
        XCTAssertThrowsError(try clipGradNorm(g, maxNorm: .nan))
        XCTAssertEqual(try clipGradNorm([:], maxNorm: 1).totalNorm, 0)
    }
}
