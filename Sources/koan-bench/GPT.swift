// `koan-bench gpt`: the Koan side of bench/gpt.py (issue 6). One workload per process, so
// that its peak RSS is that workload's; prints one JSON object.
//
//     koan-bench gpt --workload train --config small --steps 30 --threads 2
//     koan-bench gpt --workload generate --config medium --tokens 240 --prompt 16 --cache off
//     koan-bench gpt --workload attention --kernel tiled --length 1024 --repeats 3
//
// Configs: small = vocab 256, dim 128, 4 layers, 4 heads, context 128, batch 16;
// medium = vocab 256, dim 256, 6 layers, 4 heads, context 256, batch 8. Training uses
// `KoanTrain.fit` with AdamW on `Dataset.nextToken` windows of notebooks/data/corpus.txt
// tokenized with `Tokenizer.bytes`.
import Foundation
import KoanAutograd
import KoanData
import KoanNN
import KoanTensor
import KoanTokenizers
import KoanTrain

struct GPTConfig {
    let name: String, vocab: Int, dim: Int, layers: Int, heads: Int, context: Int, batch: Int

    static func named(_ name: String) throws -> GPTConfig {
        switch name {
        case "small": return GPTConfig(name: name, vocab: 256, dim: 128, layers: 4, heads: 4, context: 128, batch: 16)
        case "medium": return GPTConfig(name: name, vocab: 256, dim: 256, layers: 6, heads: 4, context: 256, batch: 8)
        default: throw BenchError(description: "unknown config '\(name)' (small, medium)")
        }
    }

    func model(attention: AttentionKernel = .full) throws -> GPT {
        try GPT(vocab: vocab, context: context, dim: dim, heads: heads, layers: layers, attention: attention,
                key: RandomKey(seed: 0))
    }

    /// Training FLOPs per token: 6·N (N = parameters without the position table, whose
    /// lookup does no arithmetic; the tied head counts once, as the [dim, vocab] GEMM) plus
    /// attention 12·layers·T·dim (q·kᵀ and p·v, 2·T·dim multiply-adds each, ×3 for forward
    /// and backward; the full T×T square, not halved for causality).
    func trainFlopsPerToken(parameters: Int) -> Double {
        6 * Double(parameters - context * dim) + 12 * Double(layers * context * dim)
    }
}

struct GPTArguments {
    let workload: String, config: String, kernel: String
    let steps: Int, threads: Int, tokens: Int, prompt: Int, length: Int, repeats: Int
    let lr: Double
    let cache: Bool
    /// The kernel of the model's attention (train and generate): GPT's default `.full`, or
    /// `.tiled(block: 64)` with `--attention tiled`.
    let modelKernel: AttentionKernel
    let modelAttention: String

    init(_ args: [String]) throws {
        let o = try BenchOptions(args, known: ["--workload", "--config", "--steps", "--threads", "--tokens", "--prompt",
                                               "--kernel", "--length", "--repeats", "--attention", "--cache", "--lr"])
        workload = try o.text("--workload", "train", oneOf: ["train", "generate", "attention"])
        config = try o.text("--config", "small", oneOf: ["small", "medium"])
        kernel = try o.text("--kernel", "full", oneOf: ["full", "tiled", "linear", "local"])
        modelAttention = try o.text("--attention", "full", oneOf: ["full", "tiled"])
        modelKernel = modelAttention == "tiled" ? .tiled(block: 64) : .full
        cache = try o.text("--cache", "on", oneOf: ["on", "off"]) == "on"
        steps = try o.positiveInt("--steps", 20)
        threads = try o.positiveInt("--threads", 2)
        tokens = try o.positiveInt("--tokens", 64)
        prompt = try o.positiveInt("--prompt", 16)
        length = try o.positiveInt("--length", 256)
        repeats = try o.positiveInt("--repeats", 3)
        lr = try o.positiveDouble("--lr", 1e-3)
    }
}

/// The corpus as byte tokens (notebooks/data/corpus.txt, found from the working directory
/// or next to the executable's repository).
func corpusIDs() throws -> [Int] {
    let exe = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    let candidates = ["notebooks/data/corpus.txt",
                      exe.appendingPathComponent("../../notebooks/data/corpus.txt").path]
    guard let path = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
        throw BenchError(description: "notebooks/data/corpus.txt not found (run from the repository)")
    }
    return Tokenizer.bytes.encode(try readTextFile(path))
}

func gptTrain(_ a: GPTArguments, _ c: GPTConfig) throws -> [String: Any] {
    let data = try Dataset.nextToken(ids: try corpusIDs(), context: c.context)
    let model = try c.model(attention: a.modelKernel)
    let optimizer = try AdamW(lr: a.lr)
    let clock = ContinuousClock()
    let start = clock.now
    let run = try fit(model, on: data, optimizer: optimizer,
                      options: FitOptions(steps: a.steps, batchSize: c.batch, seed: 0))
    let wall = seconds(clock.now - start)
    let samples = run.steps.reduce(0) { $0 + $1.samples }
    let tokens = samples * c.context
    let flops = c.trainFlopsPerToken(parameters: model.parameterCount) * Double(tokens)
    return ["steps": run.steps.count, "samples": samples, "tokens": tokens, "seconds": wall,
            "tokens_per_second": Double(tokens) / wall, "gflops": flops / 1e9, "gflop_per_second": flops / wall / 1e9,
            "parameters": model.parameterCount, "windows": data.count,
            "first_loss": run.steps.first?.loss ?? -1, "final_loss": run.steps.last?.loss ?? -1]
}

func gptGenerate(_ a: GPTArguments, _ c: GPTConfig) throws -> [String: Any] {
    let ids = try corpusIDs()
    let model = try c.model(attention: a.modelKernel)
    let prompt = Array(ids.prefix(a.prompt))
    let count = min(a.tokens, c.context - prompt.count)
    // One short warm-up (first-call costs), then the timed run.
    _ = try generate(model: model, prompt: prompt, tokens: 2, temperature: 0, useCache: a.cache)
    let clock = ContinuousClock()
    let start = clock.now
    let out = try generate(model: model, prompt: prompt, tokens: count, temperature: 0, useCache: a.cache)
    let wall = seconds(clock.now - start)
    return ["prompt": prompt.count, "tokens": out.count, "cache": a.cache, "seconds": wall,
            "tokens_per_second": Double(out.count) / wall, "first_tokens": Array(out.prefix(8))]
}

func gptAttention(_ a: GPTArguments) throws -> [String: Any] {
    let (b, h, t, d) = (1, 4, a.length, 32)
    let kernel: AttentionKernel
    switch a.kernel {
    case "full": kernel = .full
    case "tiled": kernel = .tiled(block: 64)
    case "linear": kernel = .linear
    default: kernel = .local(window: 256)
    }
    let q = try Tensor.randn([b, h, t, d], key: RandomKey(seed: 1)).requiringGrad()
    let k = try Tensor.randn([b, h, t, d], key: RandomKey(seed: 2)).requiringGrad()
    let v = try Tensor.randn([b, h, t, d], key: RandomKey(seed: 3)).requiringGrad()
    let g = try Tensor.randn([b, h, t, d], key: RandomKey(seed: 4))
    let before = procStatusKiB("VmRSS")
    // Forward + backward of sum(attention(q, k, v) ⊙ g): the gradient seed is g.
    let time = try median(a.repeats) {
        let grads = try grad({ x in try (attention(x[0], x[1], x[2], kernel: kernel, causal: true) * g).sum() }, at: [q, k, v])
        _ = grads.count
    }
    return ["kernel": a.kernel, "length": t, "batch": b, "heads": h, "head_dim": d, "seconds": time,
            "rss_before_kib": before]
}

/// One `koan-bench gpt` run: its arguments and measurements as a JSON object.
func gptBench(_ args: [String]) throws -> [String: Any] {
    let a = try GPTArguments(args)
    try TensorRuntime.setThreads(a.threads)
    var out: [String: Any] = ["workload": a.workload, "threads": a.threads, "impl": "koan", "attention": a.modelAttention]
    switch a.workload {
    case "train", "generate":
        let c = try GPTConfig.named(a.config)
        out["config"] = c.name
        out.merge(try a.workload == "train" ? gptTrain(a, c) : gptGenerate(a, c)) { _, new in new }
    default:
        out.merge(try gptAttention(a)) { _, new in new }
    }
    out["vmhwm_kib"] = procStatusKiB("VmHWM")
    return out
}
