import KoanAutograd
import KoanNN
import KoanTensor
import XCTest

/// Finite differences in float64 and fused-versus-composite agreement.
final class RecurrentGradientTests: XCTestCase {
    func make(_ mode: RecurrentMode, input: Int, hidden: Int, layers: Int, seed: UInt64) throws -> RecurrentLayer {
        let m = try RecurrentLayer(mode: mode, inputSize: input, hiddenSize: hidden, layers: layers, key: RandomKey(seed: seed))
        try m.to(.float64)
        XCTAssertTrue(m.parameters.allSatisfy { $0.tensor.dtype == .float64 })
        // Larger weights than the default init so the gates leave their linear range.
        for (i, (_, p)) in m.parameterSlots.enumerated() {
            p.assign(try NDArray.randn(p.value.shape, key: RandomKey(seed: seed &+ 100 &+ UInt64(i)), dtype: .float64) * 0.6)
        }
        m.eval()
        return m
    }

    /// loss = Σ out·w_out + Σ h_n·w_h (+ Σ c_n·w_c), all of the layer's outputs weighted.
    func loss(_ m: RecurrentLayer, _ x: Tensor, _ state: RecurrentState?, seed: UInt64) throws -> Tensor {
        let (out, st) = try m(x, state: state)
        var l = try (out * randomTensor(out.shape, seed: seed, dtype: .float64)).sum()
        l = try l + (st.h * randomTensor(st.h.shape, seed: seed + 1, dtype: .float64)).sum()
        if let c = st.c { l = try l + (c * randomTensor(c.shape, seed: seed + 2, dtype: .float64)).sum() }
        return l
    }

    func finiteDifferenceCheck(_ mode: RecurrentMode) throws {
        let B = 2, T = 4, I = 3, H = 4, L = 2
        let m = try make(mode, input: I, hidden: H, layers: L, seed: 11)
        let x = try randomTensor([B, T, I], seed: 1, dtype: .float64).requiringGrad()
        let h0 = try randomTensor([L, B, H], seed: 2, scale: 0.5, dtype: .float64).requiringGrad()
        let c0 = mode == .lstm ? try randomTensor([L, B, H], seed: 3, scale: 0.5, dtype: .float64).requiringGrad() : nil
        let state = RecurrentState(h: h0, c: c0)
        let slots = m.parameterSlots
        let l = try withGrad { try loss(m, x, state, seed: 50) }
        var wrt = [x, h0] + slots.map(\.parameter.value)
        if let c0 { wrt.append(c0) }
        let analytic = try backward(l, wrt: wrt)

        // Central differences: perturb one element, re-evaluate the loss without grad.
        let eps = 1e-6
        func numeric(_ base: NDArray, _ evaluate: (NDArray) throws -> Double) throws -> NDArray {
            var v = base.doubles()
            var out: [Double] = []
            for k in 0..<v.count {
                let orig = v[k]
                v[k] = orig + eps
                let lp = try evaluate(try NDArray(values: v, shape: base.shape, dtype: .float64))
                v[k] = orig - eps
                let lm = try evaluate(try NDArray(values: v, shape: base.shape, dtype: .float64))
                v[k] = orig
                out.append((lp - lm) / (2 * eps))
            }
            return try NDArray(values: out, shape: base.shape, dtype: .float64)
        }
        func value(x: Tensor, h: Tensor, c: Tensor?) throws -> Double {
            try noGrad { try loss(m, x, RecurrentState(h: h, c: c), seed: 50).item() }
        }
        let stats = ErrorStats()
        var checked = 0
        func compare(_ got: NDArray, _ want: NDArray, _ what: String) {
            assertRecurrentClose(got, want, rtol: 1e-6, atol: 1e-7, "\(mode) d/d\(what)", stats: stats)
            checked += want.count
        }
        compare(analytic[0], try numeric(x.data) { try value(x: Tensor($0), h: h0, c: c0) }, "x")
        compare(analytic[1], try numeric(h0.data) { try value(x: x, h: Tensor($0), c: c0) }, "h0")
        if let c0 {
            compare(analytic[analytic.count - 1], try numeric(c0.data) { try value(x: x, h: h0, c: Tensor($0)) }, "c0")
        }
        for (i, (path, p)) in slots.enumerated() {
            let base = p.value.data
            let n = try numeric(base) { v in
                p.assign(v)
                return try value(x: x, h: h0, c: c0)
            }
            p.assign(base)
            compare(analytic[2 + i], n, path)
        }
        print("finite differences \(mode): \(checked) partials, max abs err \(stats.maxAbs), max rel err \(stats.maxRel)")
        XCTAssertGreaterThan(checked, 100)
    }

    func testFiniteDifferencesLSTM() throws { try finiteDifferenceCheck(.lstm) }
    func testFiniteDifferencesGRU() throws { try finiteDifferenceCheck(.gru) }
    func testFiniteDifferencesRNN() throws {
        try finiteDifferenceCheck(.rnnTanh)
        try finiteDifferenceCheck(.rnnRelu)
    }

    /// The fused backward against the composite one in float64, every mode, with and
    /// without bias and initial state, 2 layers.
    func testFusedMatchesComposite() throws {
        let stats = ErrorStats()
        var cases = 0
        for mode in RecurrentMode.allCases {
            for bias in [true, false] {
                for withState in [true, false] {
                    let B = 3, T = 6, I = 5, H = 7, L = 2
                    let m = try RecurrentLayer(mode: mode, inputSize: I, hiddenSize: H, layers: L, bias: bias,
                                               key: RandomKey(seed: 5), dtype: .float64)
                    let x = try randomTensor([B, T, I], seed: 8, dtype: .float64).requiringGrad()
                    let h0 = try randomTensor([L, B, H], seed: 9, dtype: .float64).requiringGrad()
                    let c0 = mode == .lstm ? try randomTensor([L, B, H], seed: 10, dtype: .float64).requiringGrad() : nil
                    let state = withState ? RecurrentState(h: h0, c: c0) : nil
                    var results: [[NDArray]] = []
                    for impl in [RecurrentImplementation.fused, .composite] {
                        m.implementation = impl
                        var wrt = [x, h0] + m.parameters.map(\.tensor)
                        if let c0 { wrt.append(c0) }
                        let (out, st) = try withGrad { try m(x, state: state) }
                        let l = try withGrad { try loss(m, x, state, seed: 70) }
                        results.append([out.data, st.h.data] + (st.c.map { [$0.data] } ?? []) + (try backward(l, wrt: wrt)))
                    }
                    for (a, b) in zip(results[0], results[1]) {
                        assertRecurrentClose(a, b, rtol: 1e-11, atol: 1e-12, "\(mode) bias \(bias) state \(withState)", stats: stats)
                    }
                    cases += 1
                }
            }
        }
        print("fused vs composite (float64): \(cases) cases, \(stats.count) values, max abs err \(stats.maxAbs)")
    }
}
