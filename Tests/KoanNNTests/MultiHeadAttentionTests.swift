import Foundation
import KoanNN
import KoanAutograd
import KoanNN
import KoanTensor
import XCTest

final class MultiHeadAttentionTests: XCTestCase {
    func testParameterPaths() throws {
        let mha = try MultiHeadAttention(dim: 8, heads: 2)
        XCTAssertEqual(mha.parameters.map(\.path), ["query.weight", "query.bias", "key.weight", "key.bias",
                                                    "value.weight", "value.bias", "out.weight", "out.bias"])
        XCTAssertEqual(try MultiHeadAttention(dim: 8, heads: 2, bias: false).parameters.count, 4)
    }

    func testKVCacheIncrementalEqualsFullForward() throws {
        let (b, t, dim) = (2, 9, 16)
        let x = try randn([b, t, dim], seed: 5)
        let pad = Tensor(try NDArray(ints: Array(repeating: 1, count: 9) + [0, 1, 1, 1, 1, 1, 1, 1, 1], shape: [b, t]).to(.bool))
        var n = 0, worst = 0.0
        let kernels: [AttentionKernel] = [.full, .tiled(block: 4), .local(window: 4, globalTokens: 1), .linear]
        for kernel in kernels {
            for positional in [nil, .rope, .alibi] as [PositionalEncoding?] {
                if kernel == .linear && positional == .alibi { continue }
                for p in [nil, pad] as [Tensor?] {
                    let mha = try MultiHeadAttention(dim: dim, heads: 4, kernel: kernel, causal: true, positional: positional,
                                                     key: RandomKey(seed: 3))
                    let full = try noGrad { try mha.forward(x, keyPadding: p) }
                    let cache = KVCache()
                    var parts: [Tensor] = []
                    for (s, e) in [(0, 5), (5, 6), (6, 9)] {
                        let xp = try x.sliced(axis: 1, start: s, end: e)
                        let pp = try p.map { try $0.sliced(axis: 1, start: 0, end: e) }
                        parts.append(try noGrad { try mha.forward(xp, keyPadding: pp, cache: cache) })
                        XCTAssertEqual(cache.length(), e)
                    }
                    let inc = try Tensor.concat(parts, axis: 1)
                    let err = assertClose(inc.data, full.data, tol: 1e-5, "\(kernel) \(String(describing: positional)) pad \(p != nil)")
                    worst = max(worst, err); n += 1
                }
            }
        }
        print("KV cache incremental vs full: \(n) configurations, max abs error \(worst)")
        // The cache matters: without it the last token alone gives a different answer.
        let mha = try MultiHeadAttention(dim: dim, heads: 4, causal: true, positional: .rope)
        let full = try mha(x).data.sliced(axis: 1, start: 8, end: 9)
        let alone = try mha(x.sliced(axis: 1, start: 8, end: 9)).data
        XCTAssertGreaterThan(maxAbsDiff(full, alone), 1e-3)
    }

    func testRoPERelativeProperty() throws {
        let d = 8
        let q = try randn([1, 1, 1, d], seed: 1, dtype: .float64), k = try randn([1, 1, 1, d], seed: 2, dtype: .float64)
        func score(_ m: Int, _ n: Int) throws -> Double {
            try (applyRoPE(q, offset: m) * applyRoPE(k, offset: n)).sum().item()
        }
        let s0 = try score(3, 1)
        for (m, n) in [(10, 8), (50, 48), (1000, 998), (2, 0)] {
            XCTAssertEqual(try score(m, n), s0, accuracy: 1e-9, "positions \(m), \(n)")
        }
        XCTAssertGreaterThan(abs(try score(3, 2) - s0), 1e-3)          // a different distance differs
        XCTAssertEqual(try score(0, 0), try (q * k).sum().item(), accuracy: 1e-12)   // position 0 is the identity
        // Norm preserved (a rotation).
        let r = try applyRoPE(q, offset: 17)
        XCTAssertEqual(try (r * r).sum().item(), try (q * q).sum().item(), accuracy: 1e-9)
    }

    func testALiBiBiasFormula() throws {
        XCTAssertEqual(try alibiSlopes(heads: 8), (1...8).map { pow(2, -Double($0)) })
        let bias = try alibiBias(heads: 2, queryLength: 3, keyLength: 3).doubles()
        // slopes 2^-4, 2^-8; entry (h, i, j) = −slope·|i − j|
        XCTAssertEqual(bias[0 * 9 + 2 * 3 + 0], -2.0 / 16, accuracy: 1e-7)
        XCTAssertEqual(bias[1 * 9 + 0 * 3 + 2], -2.0 / 256, accuracy: 1e-7)
        XCTAssertEqual(bias[1 * 9 + 1 * 3 + 1], 0)
        // After a cache of 4 tokens the single query sits at position 4.
        let one = try alibiBias(heads: 1, queryLength: 1, keyLength: 5).doubles()
        XCTAssertEqual(one, [4, 3, 2, 1, 0].map { -Double($0) / 256 })
        XCTAssertEqual(try positionIDs(length: 3, offset: 5).ints(), [5, 6, 7])
        let wpe = try learnedPositionEmbedding(maxLength: 16, dim: 4)
        XCTAssertEqual(try wpe(try positionIDs(length: 3)).shape, [3, 4])
    }

    func testDropoutOnlyInTraining() throws {
        let x = try randn([1, 5, 8], seed: 9)
        let mha = try MultiHeadAttention(dim: 8, heads: 2, dropout: 0.5, key: RandomKey(seed: 1))
        let train = try mha(x).data
        mha.eval()
        let eval1 = try mha(x).data, eval2 = try mha(x).data
        XCTAssertEqual(maxAbsDiff(eval1, eval2), 0)
        XCTAssertGreaterThan(maxAbsDiff(train, eval1), 1e-4)
        // Training-mode dropout draws the same masks with the tiled kernel (same key, same call).
        let tiled = try MultiHeadAttention(dim: 8, heads: 2, kernel: .tiled(block: 2), dropout: 0.5, key: RandomKey(seed: 1))
        XCTAssertLessThanOrEqual(maxAbsDiff(try tiled(x).data, train), 1e-6)
        XCTAssertEqual(tiled.dropoutCalls, 1)
        XCTAssertGreaterThan(maxAbsDiff(try tiled(x).data, train), 1e-4)   // the next call draws a new mask
    }
}
