import Foundation
import KoanAutograd
import KoanTensor

/// Why `generateDetailed` stopped.
public enum GenerationFinish: Sendable, Equatable {
    /// The requested number of tokens was produced.
    case length
    /// The model produced this stop token (not included in `tokens`).
    case stop(token: Int)
    /// `isCancelled` returned true; `tokens` holds what was produced before.
    case cancelled
}

/// The result of `generateDetailed`: the new tokens (without the prompt) and what happened.
public struct GenerationResult: Sendable, Equatable {
    /// The generated tokens, without the prompt and without a stop token.
    public var tokens: [Int]
    /// True when the prompt was longer than the model's context and only its last
    /// `context` tokens were used.
    public var promptTruncated: Bool
    /// Why generation ended.
    public var finish: GenerationFinish
}

/// Continues `prompt` with up to `tokens` new tokens from `model` and returns them (see
/// `generateDetailed` for the flags: prompt truncation, finish reason).
///
/// - temperature: 0 is greedy (arg-max); otherwise logits are divided by it and sampled.
/// - topK / topP: keep the k most likely tokens / the smallest set whose probability
///   reaches p (nucleus), before sampling.
/// - seed: sampling step i draws one uniform number from Philox `RandomKey(seed:, stream: i)`,
///   so a seed gives the same text every time.
/// - stop: generation ends when one of these is produced (it is not returned).
/// - useCache: keep keys/values in a `KVCache` (one token per step after the prompt)
///   instead of re-running the whole window each step.
/// - onToken: called with each new token as soon as it is chosen (streaming).
/// - isCancelled: checked before every step; true ends generation at once.
///
/// A prompt longer than `context` keeps its last `context` tokens. Past the context,
/// generation without the cache slides the window (the last `context` tokens each step);
/// with the cache, the cache is rebuilt from the last `context/2` tokens whenever it is full.
///
///     let ids = try generate(model: gpt, prompt: tok.encode("Once upon"), tokens: 50,
///                            temperature: 0.8, topK: 40, seed: 7, onToken: { print(tok.decode([$0]), terminator: "") })
public func generate(model: GPT, prompt: [Int], tokens: Int, temperature: Double = 1, topK: Int? = nil, topP: Double? = nil,
                     seed: UInt64 = 0, stop: [Int] = [], useCache: Bool = true,
                     onToken: (Int) -> Void = { _ in }, isCancelled: () -> Bool = { false }) throws -> [Int] {
    try generateDetailed(model: model, prompt: prompt, tokens: tokens, temperature: temperature, topK: topK, topP: topP,
                         seed: seed, stop: stop, useCache: useCache, onToken: onToken, isCancelled: isCancelled).tokens
}

/// `generate` returning a `GenerationResult`: the new tokens, whether the prompt was cut to
/// the context, and why generation ended.
///
///     let r = try generateDetailed(model: gpt, prompt: long, tokens: 20, temperature: 0)
///     if r.promptTruncated { print("prompt cut to the last \(gpt.context) tokens") }
public func generateDetailed(model: GPT, prompt: [Int], tokens: Int, temperature: Double = 1, topK: Int? = nil,
                             topP: Double? = nil, seed: UInt64 = 0, stop: [Int] = [], useCache: Bool = true,
                             onToken: (Int) -> Void = { _ in }, isCancelled: () -> Bool = { false }) throws -> GenerationResult {
    func bad(_ message: String) -> NNError { .invalidArgument(layer: "generate", message: message) }
    guard !prompt.isEmpty else { throw bad("the prompt is empty; give at least one token (e.g. a BOS or newline id)") }
    if let t = prompt.first(where: { $0 < 0 || $0 >= model.vocab }) {
        throw bad("prompt token \(t) is out of range for a vocabulary of \(model.vocab)")
    }
    guard tokens >= 0 else { throw bad("tokens must be ≥ 0, got \(tokens)") }
    guard temperature.isFinite, temperature >= 0 else { throw bad("temperature must be finite and ≥ 0, got \(temperature)") }
    if let k = topK, k < 1 { throw bad("topK must be ≥ 1, got \(k)") }
    if let p = topP, !(p > 0 && p <= 1) { throw bad("topP must be in (0, 1], got \(p)") }

    let prefix = model.prefixEncoder?.tokens ?? 0   // prefix tuning's virtual tokens take context positions
    let context = model.context - prefix
    var all = Array(prompt.suffix(context))
    let truncated = prompt.count > context
    var out: [Int] = []
    let wasTraining = model.isTraining
    model.eval()
    defer { if wasTraining { model.train() } }

    return try noGrad {
        let cache: KVCache? = useCache ? KVCache() : nil
        var pending = all                       // tokens not yet in the cache
        for step in 0..<tokens {
            if isCancelled() { return GenerationResult(tokens: out, promptTruncated: truncated, finish: .cancelled) }
            let logits: Tensor
            if let cache {
                if max(0, cache.length() - prefix) + pending.count > context {
                    cache.reset()
                    pending = Array(all.suffix(Swift.max(1, context / 2)))
                }
                logits = try model.forward(try row(pending), cache: cache)
            } else {
                logits = try model.forward(try row(Array(all.suffix(context))), cache: nil)
            }
            let t = logits.shape[1]
            let last = try logits.data.sliced(axis: 1, start: t - 1, end: t).doubles()   // [vocab]
            let next = try pickToken(last, temperature: temperature, topK: topK, topP: topP,
                                     key: RandomKey(seed: seed, stream: UInt64(step)))
            if stop.contains(next) { return GenerationResult(tokens: out, promptTruncated: truncated, finish: .stop(token: next)) }
            out.append(next)
            all.append(next)
            pending = [next]
            onToken(next)
        }
        return GenerationResult(tokens: out, promptTruncated: truncated, finish: .length)
    }
}

/// Tokens as an int64 tensor [1, n].
private func row(_ ids: [Int]) throws -> Tensor {
    try Tensor(ints: ids.map(Int64.init), shape: [1, ids.count])
}

/// Chooses the next token from `logits` [vocab]: arg-max at temperature 0, otherwise a draw
/// from softmax(logits / temperature) restricted by `topK` and `topP`, using one uniform
/// number from `key`. Ties and equal probabilities go to the lower id.
///
///     let id = try pickToken(logits, temperature: 0.7, topK: 40, topP: 0.95, key: RandomKey(seed: 1))
public func pickToken(_ logits: [Double], temperature: Double, topK: Int? = nil, topP: Double? = nil, key: RandomKey) throws -> Int {
    guard !logits.isEmpty else { throw NNError.invalidArgument(layer: "generate", message: "empty logits") }
    if temperature == 0 {
        var best = 0
        for i in 1..<logits.count where logits[i] > logits[best] { best = i }
        return best
    }
    // Candidates sorted by logit, descending (stable: lower id first on ties).
    var order = Array(logits.indices).sorted { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }
    if let k = topK, k < order.count { order.removeLast(order.count - k) }
    let top = logits[order[0]] / temperature
    var probs = order.map { exp(logits[$0] / temperature - top) }
    var total = probs.reduce(0, +)
    if let p = topP, p < 1 {
        var cumulative = 0.0, keep = 0
        while keep < probs.count {
            cumulative += probs[keep] / total
            keep += 1
            if cumulative >= p { break }
        }
        order.removeLast(order.count - keep)
        probs.removeLast(probs.count - keep)
        total = probs.reduce(0, +)
    }
    let u = try NDArray.rand([1], key: key, dtype: .float64).doubles()[0] * total
    var acc = 0.0
    for (i, p) in probs.enumerated() {
        acc += p
        if u < acc { return order[i] }
    }
    return order[order.count - 1]
}
