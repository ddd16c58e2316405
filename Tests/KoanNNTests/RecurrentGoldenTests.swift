import KoanAutograd
import KoanNN
import KoanTensor
import XCTest

/// Torch goldens: forward outputs, final states and gradients of a scalar loss with respect
/// to the input, the initial state and every parameter.
final class RecurrentGoldenTests: XCTestCase {
    func makeModule(_ g: RecurrentGolden) throws -> RecurrentLayer {
        switch g.kind {
        case "rnn_tanh": return try RNN(g.inputSize, g.hiddenSize, layers: g.layers, nonlinearity: .tanh, bias: g.bias)
        case "rnn_relu": return try RNN(g.inputSize, g.hiddenSize, layers: g.layers, nonlinearity: .relu, bias: g.bias)
        case "lstm": return try LSTM(g.inputSize, g.hiddenSize, layers: g.layers, bias: g.bias)
        case "gru": return try GRU(g.inputSize, g.hiddenSize, layers: g.layers, bias: g.bias)
        default: throw NNError.invalidArgument(layer: "test", message: "unknown kind \(g.kind)")
        }
    }

    func check(_ implementation: RecurrentImplementation, stats: ErrorStats) throws -> Int {
        let cases = try RecurrentGolden.loadAll()
        XCTAssertEqual(cases.count, 19)
        var compared = 0
        for g in cases {
            let m = try makeModule(g)
            m.implementation = implementation
            m.eval()
            // Parameter names and shapes are exactly torch's.
            XCTAssertEqual(Set(m.parameters.map(\.path)), Set(g.params.keys), g.name)
            try m.update(parameters: g.params)
            guard let xa = g.arrays["x"], let wOut = g.arrays["w_out"], let wH = g.arrays["w_h"] else {
                XCTFail("\(g.name): incomplete case"); continue
            }
            let x = Tensor(xa, requiresGrad: true)
            let h0 = g.arrays["h0"].map { Tensor($0, requiresGrad: true) }
            let c0 = g.arrays["c0"].map { Tensor($0, requiresGrad: true) }
            let state = h0.map { RecurrentState(h: $0, c: c0) }
            let params = m.parameters
            let (loss, out, st) = try withGrad {
                let (out, st) = try m(x, state: state)
                var loss = try (out * Tensor(wOut)).sum() + (st.h * Tensor(wH)).sum()
                if let c = st.c, let wC = g.arrays["w_c"] { loss = try loss + (c * Tensor(wC)).sum() }
                return (loss, out, st)
            }
            let tag = "\(g.name) [\(implementation)]"
            assertRecurrentClose(out.data, g.arrays["output"]!, "\(tag) output", stats: stats)
            assertRecurrentClose(st.h.data, g.arrays["h_n"]!, "\(tag) h_n", stats: stats)
            if g.kind == "lstm" {
                guard let c = st.c, let cn = g.arrays["c_n"] else { XCTFail("\(tag): no c_n"); continue }
                assertRecurrentClose(c.data, cn, "\(tag) c_n", stats: stats)
            } else {
                XCTAssertNil(st.c, tag)
            }
            var wrt: [(String, Tensor)] = [("x", x)] + params.map { ($0.path, $0.tensor) }
            if let h0 { wrt.append(("h0", h0)) }
            if let c0 { wrt.append(("c0", c0)) }
            let grads = try backward(loss, wrt: wrt.map(\.1))
            XCTAssertEqual(Set(wrt.map(\.0)), Set(g.grads.keys), tag)
            for ((name, _), gr) in zip(wrt, grads) {
                guard let want = g.grads[name] else { XCTFail("\(tag): no golden grad \(name)"); continue }
                assertRecurrentClose(gr, want, rtol: 1e-5, atol: 2e-6, "\(tag) grad \(name)", stats: stats)
                compared += 1
            }
        }
        return compared
    }

    func testFusedMatchesTorch() throws {
        let stats = ErrorStats()
        let n = try check(.fused, stats: stats)
        XCTAssertGreaterThan(n, 100)
        print("recurrent goldens (fused): \(n) gradients, \(stats.count) values, max abs err \(stats.maxAbs), max rel err \(stats.maxRel)")
    }

    func testCompositeMatchesTorch() throws {
        let stats = ErrorStats()
        let n = try check(.composite, stats: stats)
        XCTAssertGreaterThan(n, 100)
        print("recurrent goldens (composite): \(n) gradients, \(stats.count) values, max abs err \(stats.maxAbs), max rel err \(stats.maxRel)")
    }
}
