import KoanAutograd
import KoanNN
import KoanTensor
import XCTest

/// Koan against torch / transformers / numpy goldens (Fixtures/attention.json).
final class AttentionGoldenTests: XCTestCase {
    static let kernels: [(String, AttentionKernel)] = [("full", .full), ("tiled3", .tiled(block: 3)), ("tiled64", .tiled())]

    func testSDPAForwardAndBackwardAllSoftmaxKernels() throws {
        let cases = try AttentionGolden.loadAll().filter { $0.kind == "sdpa" }
        XCTAssertEqual(cases.count, 6)
        var worst = 0.0
        for c in cases {
            let q = Tensor(try c.array("q")), k = Tensor(try c.array("k")), v = Tensor(try c.array("v"))
            let mask = c.arrays["mask"].map { Tensor($0) }, bias = c.arrays["bias"].map { Tensor($0) }
            let pad = c.arrays["key_padding"].map { Tensor($0) }
            var kernels = Self.kernels
            // A band wider than the sequence is the plain (causal) pattern.
            kernels.append(("localWide", .local(window: 1000)))
            for (kname, kernel) in kernels {
                let (out, grads) = try outputAndGrads({ xs in
                    try attention(xs[0], xs[1], xs[2], kernel: kernel, causal: c.bool("causal"), keyPadding: pad, bias: bias, mask: mask)
                }, [q, k, v], seed: try c.array("grad_out"))
                worst = max(worst, assertClose(out, try c.array("out"), tol: 2e-6, "\(c.name) \(kname) out"))
                for (g, n) in zip(grads, ["dq", "dk", "dv"]) {
                    worst = max(worst, assertClose(g, try c.array(n), tol: 1e-5, "\(c.name) \(kname) \(n)"))
                }
            }
        }
        print("SDPA goldens: \(cases.count) cases x 4 kernels, max abs error \(worst)")
    }

    func testMultiHeadAttentionMatchesTorch() throws {
        let cases = try AttentionGolden.loadAll().filter { $0.kind == "mha" }
        XCTAssertEqual(cases.count, 3)
        var worst = 0.0
        for c in cases {
            for (kname, kernel) in Self.kernels {
                let mha = try MultiHeadAttention(dim: c.int("dim"), heads: c.int("heads"), kernel: kernel, causal: c.bool("causal"))
                var params: [String: NDArray] = [:]
                for p in ["query", "key", "value", "out"] {
                    for w in ["weight", "bias"] { params["\(p).\(w)"] = try c.array("\(p).\(w)") }
                }
                try mha.update(parameters: params)
                let pad = c.arrays["key_padding"].map { Tensor($0) }
                let (out, grads) = try outputAndGrads({ xs in try mha.forward(xs[0], keyPadding: pad) },
                                                      [Tensor(try c.array("x"))], seed: try c.array("grad_out"))
                worst = max(worst, assertClose(out, try c.array("out"), tol: 1e-5, "\(c.name) \(kname) out"))
                worst = max(worst, assertClose(grads[0], try c.array("dx"), tol: 1e-5, "\(c.name) \(kname) dx"))
            }
        }
        print("MHA goldens: \(cases.count) cases x 3 kernels, max abs error \(worst)")
    }

    func testRoPEMatchesLlama() throws {
        let cases = try AttentionGolden.loadAll().filter { $0.kind == "rope" }
        XCTAssertEqual(cases.count, 2)
        for c in cases {
            let off = c.int("offset")
            let e1 = assertClose(try applyRoPE(Tensor(c.array("q")), offset: off).data, try c.array("q_rot"), tol: 2e-6, "\(c.name) q")
            let e2 = assertClose(try applyRoPE(Tensor(c.array("k")), offset: off).data, try c.array("k_rot"), tol: 2e-6, "\(c.name) k")
            print("RoPE \(c.name): max abs error \(max(e1, e2))")
        }
    }

    func testALiBiSlopesMatchBloom() throws {
        let cases = try AttentionGolden.loadAll().filter { $0.kind == "alibi" }
        XCTAssertEqual(cases.count, 6)
        for c in cases {
            let slopes = try alibiSlopes(heads: c.int("heads"))
            let expected = try c.array("slopes").doubles()
            XCTAssertEqual(slopes.count, expected.count, c.name)
            for (a, b) in zip(slopes, expected) { XCTAssertEqual(a, b, accuracy: 1e-6 * b, "\(c.name) (BLOOM computes the slopes in float32)") }
        }
    }

    func testSinusoidalTableMatchesNumpy() throws {
        let cases = try AttentionGolden.loadAll().filter { $0.kind == "sinusoidal" }
        XCTAssertEqual(cases.count, 2)
        for c in cases {
            let t = try sinusoidalTable(length: c.int("length"), dim: c.int("dim"))
            assertClose(t.data, try c.array("table"), tol: 1e-6, c.name)
        }
    }
}
