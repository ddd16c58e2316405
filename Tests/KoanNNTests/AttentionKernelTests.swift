import KoanAutograd
import KoanNN
import KoanTensor
import XCTest

/// The tiled, local and linear kernels against their composite references, finite
/// differences in float64, masking edge cases, memory and errors.
final class AttentionKernelTests: XCTestCase {
    func qkv(_ b: Int, _ h: Int, _ tq: Int, _ tk: Int, _ d: Int, seed: UInt64, dtype: DType = .float32) throws -> [Tensor] {
        [try randn([b, h, tq, d], seed: seed, dtype: dtype), try randn([b, h, tk, d], seed: seed + 1, dtype: dtype),
         try randn([b, h, tk, d], seed: seed + 2, dtype: dtype)]
    }

    /// Max abs error between two attention functions' outputs and q/k/v gradients.
    func compare(_ f: ([Tensor]) throws -> Tensor, _ g: ([Tensor]) throws -> Tensor, _ xs: [Tensor], seed: UInt64) throws -> Double {
        let probe = try f(xs)
        let go = try NDArray.randn(probe.shape, key: RandomKey(seed: seed), dtype: probe.dtype)
        let (o1, g1) = try outputAndGrads(f, xs, seed: go)
        let (o2, g2) = try outputAndGrads(g, xs, seed: go)
        return ([maxAbsDiff(o1, o2)] + zip(g1, g2).map { maxAbsDiff($0, $1) }).max() ?? .infinity
    }

    func testTiledEqualsFull() throws {
        var worst = 0.0, n = 0
        let pad = Tensor(try NDArray(ints: Array(repeating: 1, count: 37) + Array(repeating: 1, count: 30) + Array(repeating: 0, count: 7),
                                     shape: [2, 37]).to(.bool))
        let bias = try randn([2, 37, 37], seed: 50)
        let maskArr = try NDArray.binary(.gt, try NDArray.rand([2, 1, 37, 37], key: RandomKey(seed: 51)), scalar: 0.3, scalarIsFloat: true)
        let mask = Tensor(maskArr)
        for (tq, tk) in [(37, 37), (5, 37), (1, 37)] {
            let xs = try qkv(2, 2, tq, tk, 16, seed: UInt64(tq))
            let biasQ = try bias.sliced(axis: 1, start: 37 - tq, end: 37)
            let maskQ = try mask.sliced(axis: 2, start: 37 - tq, end: 37)
            for causal in [false, true] {
                for block in [1, 8, 64] {
                    for (p, b, m) in [(nil, nil, nil), (pad, nil, nil), (pad, biasQ, nil), (nil, nil, maskQ), (pad, biasQ, maskQ)] as [(Tensor?, Tensor?, Tensor?)] {
                        let e = try compare({ x in try attention(x[0], x[1], x[2], kernel: .full, causal: causal, keyPadding: p, bias: b, mask: m) },
                                            { x in try attention(x[0], x[1], x[2], kernel: .tiled(block: block), causal: causal, keyPadding: p, bias: b, mask: m) },
                                            xs, seed: 7)
                        XCTAssertLessThanOrEqual(e, 1e-5, "tq \(tq) causal \(causal) block \(block)")
                        worst = max(worst, e); n += 1
                    }
                }
            }
        }
        print("tiled vs full: \(n) configurations, max abs error (out, dq, dk, dv) \(worst)")
    }

    func testLocalEqualsFullWithExplicitMask() throws {
        var worst = 0.0, n = 0
        let t = 40
        let xs = try qkv(1, 2, t, t, 8, seed: 11)
        let pad = Tensor(try NDArray(ints: Array(repeating: 1, count: 36) + Array(repeating: 0, count: 4), shape: [1, t]).to(.bool))
        for causal in [false, true] {
            for window in [1, 2, 5, 8, 17] {
                for globals in [0, 2] {
                    for p in [nil, pad] as [Tensor?] {
                        for tq in [t, 3] {
                            let q = try xs[0].sliced(axis: 2, start: t - tq, end: t)
                            let m = try localAttentionMask(queryLength: tq, keyLength: t, window: window, globalTokens: globals, causal: causal)
                            let e = try compare({ x in try attention(x[0], x[1], x[2], kernel: .full, causal: false, keyPadding: p, mask: m) },
                                                { x in try attention(x[0], x[1], x[2], kernel: .local(window: window, globalTokens: globals),
                                                                     causal: causal, keyPadding: p) },
                                                [q, xs[1], xs[2]], seed: 3)
                            XCTAssertLessThanOrEqual(e, 1e-5, "window \(window) globals \(globals) causal \(causal) tq \(tq)")
                            worst = max(worst, e); n += 1
                        }
                    }
                }
            }
        }
        // The mask is not trivial: window 2 non-causal hides |i − j| > 1.
        let m = try localAttentionMask(queryLength: 5, keyLength: 5, window: 2, globalTokens: 1, causal: false).ints()
        XCTAssertEqual(m, [1, 1, 1, 1, 1,
                           1, 1, 1, 0, 0,
                           1, 1, 1, 1, 0,
                           1, 0, 1, 1, 1,
                           1, 0, 0, 1, 1])
        let mc = try localAttentionMask(queryLength: 4, keyLength: 4, window: 2, causal: true).ints()
        XCTAssertEqual(mc, [1, 0, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 1, 1])
        print("local vs full+mask: \(n) configurations, max abs error \(worst)")
    }

    func testLinearEqualsDirectFormula() throws {
        var worst = 0.0, n = 0
        let pad = Tensor(try NDArray(ints: Array(repeating: 1, count: 23) + Array(repeating: 1, count: 20) + [0, 0, 0], shape: [2, 23]).to(.bool))
        for causal in [false, true] {
            for p in [nil, pad] as [Tensor?] {
                let xs = try qkv(2, 3, 23, 23, 6, seed: 21)
                let e = try compare({ x in try linearAttentionReference(x[0], x[1], x[2], causal: causal, keyPadding: p) },
                                    { x in try attention(x[0], x[1], x[2], kernel: .linear, causal: causal, keyPadding: p) },
                                    xs, seed: 4)
                XCTAssertLessThanOrEqual(e, 1e-5, "causal \(causal)")
                worst = max(worst, e); n += 1
            }
        }
        // φ = elu + 1 and the normalisation are really there: one query, two keys, by hand.
        let q = try Tensor(values: [0.5, -1], shape: [1, 1, 1, 2]), k = try Tensor(values: [1, 0, -2, 3], shape: [1, 1, 2, 2])
        let v = try Tensor(values: [1, 10], shape: [1, 1, 2, 1])
        let fq = [1.5, exp(-1.0)], fk = [[2.0, 1.0], [exp(-2.0), 4.0]]
        let a0 = fq[0] * fk[0][0] + fq[1] * fk[0][1], a1 = fq[0] * fk[1][0] + fq[1] * fk[1][1]
        let expected = (a0 * 1 + a1 * 10) / (a0 + a1 + 1e-6)
        XCTAssertEqual(try attention(q, k, v, kernel: .linear).item(), expected, accuracy: 1e-5)
        print("linear vs direct formula: \(n) configurations, max abs error \(worst)")
    }

    func testFiniteDifferencesFloat64EveryKernel() throws {
        let xs = try qkv(1, 2, 6, 6, 3, seed: 31, dtype: .float64)
        let pad = Tensor(try NDArray(ints: [1, 1, 1, 1, 1, 0], shape: [1, 6]).to(.bool))
        let bias = try randn([2, 6, 6], seed: 32, dtype: .float64)
        let kernels: [(String, AttentionKernel, Bool, Tensor?, Tensor?)] = [
            ("full", .full, false, pad, bias), ("full causal", .full, true, nil, nil),
            ("tiled", .tiled(block: 2), false, pad, bias), ("tiled causal", .tiled(block: 4), true, nil, bias),
            ("local", .local(window: 2, globalTokens: 1), false, pad, nil), ("local causal", .local(window: 3), true, nil, bias),
            ("linear", .linear, false, pad, nil), ("linear causal", .linear, true, pad, nil),
        ]
        for (name, kernel, causal, p, b) in kernels {
            let e = try finiteDifferenceError({ x in
                try attention(x[0], x[1], x[2], kernel: kernel, causal: causal, keyPadding: p, bias: b)
            }, xs)
            XCTAssertLessThanOrEqual(e, 1e-7, name)
            print("finite differences \(name): max abs error \(e) over \(3 * 36) elements")
        }
    }

    func testDropoutIsTheSameMaskInEveryKernel() throws {
        var worst = 0.0, n = 0
        let pad = Tensor(try NDArray(ints: Array(repeating: 1, count: 19) + Array(repeating: 1, count: 15) + [0, 0, 0, 0],
                                     shape: [2, 19]).to(.bool))
        for (tq, causal) in [(19, false), (19, true), (4, true)] {
            let xs = try qkv(2, 2, tq, 19, 8, seed: 81)
            let drop = AttentionDropout(p: 0.3, key: RandomKey(seed: 5, stream: 2))
            for kernel in [AttentionKernel.tiled(block: 5), .tiled(), .local(window: 1000)] {
                let e = try compare({ x in try attention(x[0], x[1], x[2], kernel: .full, causal: causal, keyPadding: pad, dropout: drop) },
                                    { x in try attention(x[0], x[1], x[2], kernel: kernel, causal: causal, keyPadding: pad, dropout: drop) },
                                    xs, seed: 8)
                XCTAssertLessThanOrEqual(e, 1e-5, "\(kernel) tq \(tq)")
                worst = max(worst, e); n += 1
            }
            // Dropout really drops: a different key or no dropout changes the output.
            let a = try attention(xs[0], xs[1], xs[2], kernel: .tiled(), causal: causal, dropout: drop).data
            let b = try attention(xs[0], xs[1], xs[2], kernel: .tiled(), causal: causal,
                                  dropout: AttentionDropout(p: 0.3, key: RandomKey(seed: 6))).data
            let c = try attention(xs[0], xs[1], xs[2], kernel: .tiled(), causal: causal).data
            XCTAssertGreaterThan(maxAbsDiff(a, b), 1e-3)
            XCTAssertGreaterThan(maxAbsDiff(a, c), 1e-3)
        }
        // Finite differences through the tiled kernel with a fixed dropout mask.
        let xs64 = try qkv(1, 2, 6, 6, 3, seed: 82, dtype: .float64)
        let drop = AttentionDropout(p: 0.25, key: RandomKey(seed: 9))
        let fd = try finiteDifferenceError({ x in try attention(x[0], x[1], x[2], kernel: .tiled(block: 4), causal: true, dropout: drop) }, xs64)
        XCTAssertLessThanOrEqual(fd, 1e-7)
        print("dropout tiled/local vs full: \(n) configurations, max abs error \(worst); finite differences \(fd)")
    }

    func testFullyHiddenRowsGiveZerosInEveryKernel() throws {
        let xs = try qkv(2, 1, 4, 4, 3, seed: 41)
        let pad = Tensor(try NDArray(ints: [1, 1, 1, 1, 0, 0, 0, 0], shape: [2, 4]).to(.bool))   // batch 1: no real token
        for kernel in [AttentionKernel.full, .tiled(block: 2), .local(window: 2), .linear] {
            let (out, grads) = try outputAndGrads({ x in try attention(x[0], x[1], x[2], kernel: kernel, keyPadding: pad) },
                                                  xs, seed: try NDArray.ones([2, 1, 4, 3]))
            let second = try out.sliced(axis: 0, start: 1, end: 2).doubles()
            XCTAssertTrue(second.allSatisfy { $0 == 0 }, "\(kernel): \(second)")
            XCTAssertTrue(out.doubles().allSatisfy { $0.isFinite }, "\(kernel)")
            XCTAssertTrue(try out.sliced(axis: 0, start: 0, end: 1).doubles().contains { $0 != 0 }, "\(kernel)")
            for g in grads { XCTAssertTrue(g.doubles().allSatisfy { $0.isFinite }, "\(kernel) grad") }
        }
    }

    /// Bytes of tensor storage kept alive by the graph after the forward pass.
    func savedBytes(_ kernel: AttentionKernel, t: Int, d: Int) throws -> Int {
        let xs = try qkv(1, 1, t, t, d, seed: 61).map { $0.requiringGrad() }
        let before = TensorRuntime.liveBytes
        let y = try attention(xs[0], xs[1], xs[2], kernel: kernel, causal: true)
        let saved = TensorRuntime.liveBytes - before
        _ = try backward(y, seed: try NDArray.ones(y.shape), wrt: xs)
        return saved
    }

    func testTiledActivationMemoryIsLinearInT() throws {
        let (t, d) = (1024, 16)
        let tiled = try savedBytes(.tiled(), t: t, d: d), local = try savedBytes(.local(window: 64), t: t, d: d)
        let full = try savedBytes(.full, t: t, d: d), linear = try savedBytes(.linear, t: t, d: d)
        let linearBound = 8 * t * d * 4                       // a few [T, D] arrays
        XCTAssertLessThanOrEqual(tiled, linearBound)
        XCTAssertLessThanOrEqual(local, linearBound)
        XCTAssertLessThanOrEqual(linear, linearBound)
        XCTAssertGreaterThanOrEqual(full, t * t * 4)          // at least one [T, T] float32 matrix
        print("saved for backward at T=\(t), D=\(d), one head: full \(full) B, tiled \(tiled) B, local \(local) B, linear \(linear) B")
    }

    func testErrors() throws {
        let xs = try qkv(1, 2, 4, 4, 3, seed: 71)
        func expectNN(_ what: String, _ body: () throws -> Void) {
            XCTAssertThrowsError(try body(), what) { e in
                XCTAssertTrue(e is NNError, "\(what): \(e)")
                XCTAssertFalse("\(e)".isEmpty)
            }
        }
        expectNN("rank") { _ = try attention(try xs[0].reshaped([2, 4, 3]), xs[1], xs[2]) }
        expectNN("head dim") { _ = try attention(xs[0], try randn([1, 2, 4, 5], seed: 1), xs[2]) }
        expectNN("padding shape") { _ = try attention(xs[0], xs[1], xs[2], keyPadding: try Tensor.ones([1, 5])) }
        expectNN("bias shape") { _ = try attention(xs[0], xs[1], xs[2], bias: try Tensor.ones([3, 4, 4])) }
        expectNN("window") { _ = try attention(xs[0], xs[1], xs[2], kernel: .local(window: 0)) }
        expectNN("block") { _ = try attention(xs[0], xs[1], xs[2], kernel: .tiled(block: 0)) }
        expectNN("linear bias") { _ = try attention(xs[0], xs[1], xs[2], kernel: .linear, bias: try Tensor.zeros([4, 4])) }
        expectNN("tiled trainable bias") {
            _ = try attention(xs[0], xs[1], xs[2], kernel: .tiled(), bias: try Tensor.zeros([4, 4]).requiringGrad())
        }
        expectNN("heads") { _ = try MultiHeadAttention(dim: 10, heads: 3) }
        expectNN("positional") { _ = try MultiHeadAttention(dim: 8, heads: 2, positional: .sinusoidal) }
        expectNN("rope odd") { _ = try MultiHeadAttention(dim: 6, heads: 2, positional: .rope) }
        expectNN("alibi heads") { _ = try alibiSlopes(heads: 0) }
        expectNN("mha input") { _ = try MultiHeadAttention(dim: 8, heads: 2)(try Tensor.zeros([2, 3, 7])) }
        expectNN("dropout linear") { _ = try MultiHeadAttention(dim: 8, heads: 2, kernel: .linear, dropout: 0.1) }
        expectNN("dropout p") { _ = try MultiHeadAttention(dim: 8, heads: 2, dropout: 1.5) }
        expectNN("attention dropout p") {
            _ = try attention(xs[0], xs[1], xs[2], dropout: AttentionDropout(p: -0.1, key: RandomKey(seed: 0)))
        }
        expectNN("linear dropout") {
            _ = try attention(xs[0], xs[1], xs[2], kernel: .linear, dropout: AttentionDropout(p: 0.1, key: RandomKey(seed: 0)))
        }
    }
}
