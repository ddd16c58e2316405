// koan-bench compress: the Swift side of bench/compress.py.
//
//     koan-bench compress linear --m 32 --k 1024 --n 4096 --threads 1 --repeats 20
//         one Linear layer: float32 (OpenBLAS sgemm through Linear) against dynamic int8 on
//         every integer path this CPU runs, and weight-only int8/int4
//     koan-bench compress generate --config medium --tokens 128 --prompt 16 --threads 1
//         greedy generation with a KV cache: float32 against int8 weight-only and int4
import Foundation
import KoanAutograd
import KoanNN
import KoanTensor

func compressBench(_ args: [String]) throws -> [String: Any] {
    guard let mode = args.first, ["linear", "generate"].contains(mode) else {
        throw BenchError(description: "koan-bench compress linear|generate [options]")
    }
    let o = try BenchOptions(Array(args.dropFirst()), known: ["--m", "--k", "--n", "--threads", "--repeats", "--config", "--tokens", "--prompt", "--group"])
    let threads = try o.positiveInt("--threads", 1)
    try TensorRuntime.setThreads(threads)
    var out: [String: Any] = ["workload": "compress-\(mode)", "threads": threads, "impl": "koan",
                              "isa_default": IntegerKernels.path.description,
                              "isa_supported": IntegerPath.supported.map(\.description)]
    let group = try o.positiveInt("--group", 32)
    if mode == "linear" {
        let (m, k, n) = (try o.positiveInt("--m", 32), try o.positiveInt("--k", 1024), try o.positiveInt("--n", 4096))
        let repeats = try o.positiveInt("--repeats", 20)
        let layer = try Linear(k, n, key: RandomKey(seed: 1))
        let x = Tensor(try NDArray.randn([m, k], key: RandomKey(seed: 2)))
        let fp32 = try noGrad { try median(repeats) { _ = try layer(x) } }
        let reference = try noGrad { try layer(x) }.data
        var int8: [String: Double] = [:]
        let w = try Int8ChannelWeights.quantize(layer.weight.value.data)
        let bias = layer.bias?.value.data
        var maxError = 0.0
        for path in IntegerPath.supported {
            int8[path.description] = try median(repeats) { _ = try dynamicQuantizedLinear(x.data, w, bias: bias, path: path) }
            let y = try dynamicQuantizedLinear(x.data, w, bias: bias, path: path)
            maxError = max(maxError, zip(y.doubles(), reference.doubles()).map { abs($0 - $1) }.max() ?? 0)
        }
        var weightOnly: [String: Double] = [:]
        for (name, format) in [("int8", WeightOnlyWeights.Format.int8), ("int4", .int4(groupSize: group))] {
            let q = try WeightOnlyWeights.quantize(layer.weight.value.data, format)
            weightOnly[name] = try median(repeats) { _ = try weightOnlyLinear(x.data, q, bias: bias) }
        }
        out.merge(["m": m, "k": k, "n": n, "fp32_seconds": fp32, "int8_seconds": int8, "weight_only_seconds": weightOnly,
                   "int8_max_abs_error": maxError]) { _, new in new }
    } else {
        let c = try GPTConfig.named(try o.text("--config", "medium", oneOf: ["small", "medium"]))
        let tokens = try o.positiveInt("--tokens", 128), promptLength = try o.positiveInt("--prompt", 16)
        let base = try c.model()
        base.eval()
        let prompt = (0..<promptLength).map { ($0 * 37 + 11) % c.vocab }
        let count = min(tokens, c.context - prompt.count)
        var results: [String: Any] = [:]
        for (name, scheme) in [("fp32", nil), ("int8WeightOnly", QuantizationScheme.int8WeightOnly), ("int4", .int4(groupSize: group))] {
            var model = base
            if let scheme {
                guard let q = try quantize(base, scheme) as? GPT else { throw BenchError(description: "quantize did not return a GPT") }
                model = q
            }
            _ = try generate(model: model, prompt: prompt, tokens: 2, temperature: 0, useCache: true)
            let clock = ContinuousClock()
            let start = clock.now
            let generated = try generate(model: model, prompt: prompt, tokens: count, temperature: 0, useCache: true)
            let wall = seconds(clock.now - start)
            results[name] = ["seconds": wall, "tokens": generated.count, "tokens_per_second": Double(generated.count) / wall,
                             "first_tokens": Array(generated.prefix(8))]
        }
        out.merge(["config": c.name, "prompt": prompt.count, "generate": results]) { _, new in new }
    }
    out["vmhwm_kib"] = procStatusKiB("VmHWM")
    return out
}
