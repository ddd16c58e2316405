import KoanAutograd
import KoanNN
import KoanTensor
import XCTest

final class GenerationTests: XCTestCase {
    /// A model with sharper weights than GPT-2's init, so greedy paths are not degenerate.
    func model(_ position: PositionalEncoding, context: Int = 24) throws -> GPT {
        let m = try GPT(vocab: 61, context: context, dim: 32, heads: 4, layers: 2, position: position, key: RandomKey(seed: 9))
        try m.apply(init: .normal(std: 0.3), key: RandomKey(seed: 4))
        return m
    }

    func testGreedyWithCacheEqualsWithout() throws {
        for position in [PositionalEncoding.learned, .rope, .alibi, .sinusoidal] {
            let m = try model(position)
            let prompt = [3, 14, 15, 9, 26]
            let a = try generate(model: m, prompt: prompt, tokens: 19, temperature: 0, useCache: true)
            let b = try generate(model: m, prompt: prompt, tokens: 19, temperature: 0, useCache: false)
            XCTAssertEqual(a.count, 19)
            XCTAssertEqual(a, b, "\(position)")
            XCTAssertGreaterThan(Set(a).count, 2, "\(position): degenerate output \(a)")
            // Greedy equals the arg-max of a full forward at each step.
            var seq = prompt
            for t in a {
                let logits = try m(try ids([seq])).data
                let last = try logits.sliced(axis: 1, start: seq.count - 1, end: seq.count).doubles()
                XCTAssertEqual(last.indices.max { last[$0] < last[$1] }, t)
                seq.append(t)
            }
        }
    }

    func testSharedLayersAndTiledKernelCacheParity() throws {
        let m = try GPT(vocab: 61, context: 24, dim: 32, heads: 4, layers: 3, attention: .tiled(block: 8), position: .rope,
                        shareLayers: true, key: RandomKey(seed: 2))
        try m.apply(init: .normal(std: 0.3), key: RandomKey(seed: 5))
        let a = try generate(model: m, prompt: [7, 8, 9], tokens: 12, temperature: 0, useCache: true)
        XCTAssertEqual(a, try generate(model: m, prompt: [7, 8, 9], tokens: 12, temperature: 0, useCache: false))
    }

    func testSamplingIsReproducibleFromSeed() throws {
        let m = try model(.rope)
        let a = try generate(model: m, prompt: [1, 2], tokens: 15, temperature: 1.2, seed: 7)
        let b = try generate(model: m, prompt: [1, 2], tokens: 15, temperature: 1.2, seed: 7)
        let c = try generate(model: m, prompt: [1, 2], tokens: 15, temperature: 1.2, seed: 8)
        let d = try generate(model: m, prompt: [1, 2], tokens: 15, temperature: 1.2, seed: 7, useCache: false)
        XCTAssertEqual(a, b)
        XCTAssertEqual(a, d)
        XCTAssertNotEqual(a, c)
        // topK 1 is greedy.
        XCTAssertEqual(try generate(model: m, prompt: [1, 2], tokens: 10, temperature: 0.9, topK: 1, seed: 3),
                       try generate(model: m, prompt: [1, 2], tokens: 10, temperature: 0))
    }

    func testTopKTopPRestrictCandidates() throws {
        let logits: [Double] = [0, 5, 1, 4.9, -2, 3]
        var seen = Set<Int>()
        for s in 0..<300 {
            seen.insert(try pickToken(logits, temperature: 1, topK: 2, key: RandomKey(seed: UInt64(s))))
        }
        XCTAssertEqual(seen, [1, 3])
        seen = []
        // p(1) ≈ 0.484, p(3) ≈ 0.438, p(5) ≈ 0.066: topP 0.95 keeps {1, 3, 5}, 0.9 keeps {1, 3}.
        for s in 0..<400 { seen.insert(try pickToken(logits, temperature: 1, topP: 0.95, key: RandomKey(seed: UInt64(s)))) }
        XCTAssertEqual(seen, [1, 3, 5])
        seen = []
        for s in 0..<400 { seen.insert(try pickToken(logits, temperature: 1, topP: 0.9, key: RandomKey(seed: UInt64(s)))) }
        XCTAssertEqual(seen, [1, 3])
        seen = []
        for s in 0..<100 { seen.insert(try pickToken(logits, temperature: 1, topP: 0.3, key: RandomKey(seed: UInt64(s)))) }
        XCTAssertEqual(seen, [1])
        XCTAssertEqual(try pickToken(logits, temperature: 0, key: RandomKey(seed: 0)), 1)
        // Frequencies follow softmax: token 1 vs token 3 about 0.52 : 0.48 within the top 2.
        var ones = 0
        for s in 0..<2000 where try pickToken(logits, temperature: 1, topK: 2, key: RandomKey(seed: UInt64(s))) == 1 { ones += 1 }
        XCTAssertEqual(Double(ones) / 2000, 1 / (1 + exp(-0.1)), accuracy: 0.035)
    }

    func testStopCancelAndStreaming() throws {
        let m = try model(.learned)
        let free = try generate(model: m, prompt: [5], tokens: 12, temperature: 0)
        let stopAt = free[4]
        let firstStop = free.firstIndex(of: stopAt) ?? 4
        let r = try generateDetailed(model: m, prompt: [5], tokens: 12, temperature: 0, stop: [stopAt])
        XCTAssertEqual(r.tokens, Array(free.prefix(firstStop)))
        XCTAssertEqual(r.finish, .stop(token: stopAt))
        var streamed: [Int] = []
        var calls = 0
        let c = try generateDetailed(model: m, prompt: [5], tokens: 12, temperature: 0,
                                     onToken: { streamed.append($0) }, isCancelled: { calls += 1; return calls > 3 })
        XCTAssertEqual(c.tokens, Array(free.prefix(3)))
        XCTAssertEqual(streamed, c.tokens)
        XCTAssertEqual(c.finish, .cancelled)
        XCTAssertEqual(try generate(model: m, prompt: [5], tokens: 5, isCancelled: { true }), [])
    }

    func testLongPromptsAndSlidingWindow() throws {
        let m = try model(.learned, context: 8)
        let prompt = Array(1...20)
        let r = try generateDetailed(model: m, prompt: prompt, tokens: 4, temperature: 0)
        XCTAssertTrue(r.promptTruncated)
        XCTAssertEqual(r.tokens, try generate(model: m, prompt: Array(13...20), tokens: 4, temperature: 0))
        XCTAssertFalse(try generateDetailed(model: m, prompt: [1, 2], tokens: 1).promptTruncated)
        // Past the context: both modes keep going; without the cache, each step sees the last 8 tokens.
        let slid = try generate(model: m, prompt: [1, 2, 3], tokens: 20, temperature: 0, useCache: false)
        XCTAssertEqual(slid.count, 20)
        var seq = [1, 2, 3]
        for t in slid {
            let window = Array(seq.suffix(8))
            let logits = try m(try ids([window])).data.sliced(axis: 1, start: window.count - 1, end: window.count).doubles()
            XCTAssertEqual(logits.indices.max { logits[$0] < logits[$1] }, t)
            seq.append(t)
        }
        let cached = try generate(model: m, prompt: [1, 2, 3], tokens: 20, temperature: 0, useCache: true)
        XCTAssertEqual(cached.count, 20)
        XCTAssertEqual(Array(cached.prefix(5)), Array(slid.prefix(5)))   // identical while within the context
    }

    func testArgumentErrors() throws {
        let m = try model(.rope)
        XCTAssertThrowsError(try generate(model: m, prompt: [], tokens: 3)) { e in XCTAssertTrue("\(e)".contains("empty")) }
        XCTAssertThrowsError(try generate(model: m, prompt: [61], tokens: 3)) { e in XCTAssertTrue("\(e)".contains("61")) }
        XCTAssertThrowsError(try generate(model: m, prompt: [1], tokens: 3, temperature: -1))
        XCTAssertThrowsError(try generate(model: m, prompt: [1], tokens: 3, topK: 0))
        XCTAssertThrowsError(try generate(model: m, prompt: [1], tokens: 3, topP: 1.5))
        XCTAssertEqual(try generate(model: m, prompt: [1], tokens: 0), [])
        // The model's training flag is restored.
        m.train()
        _ = try generate(model: m, prompt: [1], tokens: 1)
        XCTAssertTrue(m.isTraining)
    }
}
