// The tensor benchmark (bench/tensor.py): OpenBLAS called directly, the same work through
// KoanTensor from Swift, and through a Koan cell.
import CBLAS
import KoanLang
import KoanTensor

func repeatsFor(_ flops: Double) -> Int { max(3, min(200, Int(2e10 / max(flops, 1)))) }

/// Every measurement as `{"results": [{"workload", "size", "threads", "impl", "seconds"}]}`.
func tensorBench(quick: Bool) throws -> [String: Any] {
    let sizes = quick ? [64, 256, 512] : [64, 128, 256, 512, 1024, 2048]
    let cells = CellRunner()
    func cell(_ code: String) throws { try cells.run(code) }
    var results: [[String: Any]] = []
    func record(_ workload: String, _ size: Int, threads: Int, _ impl: String, _ seconds: Double) {
        results.append(["workload": workload, "size": size, "threads": threads, "impl": impl, "seconds": seconds])
    }

    for threads in [1, 2] {
        try TensorRuntime.setThreads(threads)
        for n in sizes {
            let a = try NDArray.randn([n, n], key: RandomKey(seed: 1))
            let b = try NDArray.randn([n, n], key: RandomKey(seed: 2))
            let c = try NDArray.zeros([n, n])
            let flops = 2.0 * Double(n * n * n)
            let reps = repeatsFor(flops)
            let direct = median(reps) {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n), 1,
                            a.pointer(as: Float.self), Int32(n), b.pointer(as: Float.self), Int32(n), 0,
                            c.pointer(as: Float.self), Int32(n))
            }
            record("sgemm", n, threads: threads, "openblas", direct)
            record("sgemm", n, threads: threads, "koan-swift", try median(reps) { _ = try matmul(a, b) })
            try cell("let a\(n) = Tensor.randn([\(n), \(n)], seed: 1)\nlet b\(n) = Tensor.randn([\(n), \(n)], seed: 2)")
            record("sgemm", n, threads: threads, "koan-cell", try median(reps) { try cell("let _ = matmul(a\(n), b\(n))") })
        }
    }
    try TensorRuntime.setThreads(TensorRuntime.defaultThreads)

    // Elementwise and reductions from Swift.
    for count in quick ? [1_000, 1_000_000] : [1_000, 10_000, 100_000, 1_000_000, 10_000_000] {
        let x = try NDArray.randn([count], key: RandomKey(seed: 3))
        let y = try NDArray.randn([count], key: RandomKey(seed: 4))
        let reps = max(5, min(2000, 20_000_000 / count))
        record("add", count, threads: TensorRuntime.threads, "koan-swift", try median(reps) { _ = try NDArray.binary(.add, x, y) })
        record("mul", count, threads: TensorRuntime.threads, "koan-swift", try median(reps) { _ = try NDArray.binary(.mul, x, y) })
        record("gelu", count, threads: TensorRuntime.threads, "koan-swift", try median(reps) { _ = try gelu(x) })
        record("sum", count, threads: TensorRuntime.threads, "koan-swift", try median(reps) { _ = try x.reduce(.sum) })
    }

    // Convolutions from Swift.
    for (name, n, c, h, o) in [("conv-digits", 64, 1, 8, 16), ("conv-32x32x64", 32, 64, 32, 64)] {
        let x = try NDArray.randn([n, c, h, h], key: RandomKey(seed: 5))
        let w = try NDArray.randn([o, c, 3, 3], key: RandomKey(seed: 6))
        var opts = Conv2dOptions()
        opts.padding = (1, 1)
        record(name, n, threads: TensorRuntime.threads, "koan-swift", try median(quick ? 3 : 10) { _ = try conv2d(x, w, bias: nil, opts) })
    }

    // Per-op overhead of a small add issued from a cell: a loop of adds minus the same loop without them.
    let loops = 100_000
    try cell("let s1 = Tensor([1.0, 2.0, 3.0, 4.0])\nlet s2 = Tensor([4.0, 3.0, 2.0, 1.0])\nvar sink = s1")
    let withAdd = try median(5) { try cell("for _ in 0..<\(loops) { sink = s1 + s2 }") }
    let without = try median(5) { try cell("for _ in 0..<\(loops) { sink = s1 }") }
    record("small-add-overhead", 4, threads: TensorRuntime.threads, "koan-cell", max(0, withAdd - without) / Double(loops))
    let x4 = try NDArray(values: [1, 2, 3, 4], shape: [4]), y4 = try NDArray(values: [4, 3, 2, 1], shape: [4])
    let swiftAdd = try median(5) { for _ in 0..<loops { _ = try NDArray.binary(.add, x4, y4) } }
    record("small-add-overhead", 4, threads: TensorRuntime.threads, "koan-swift", swiftAdd / Double(loops))

    return ["results": results]
}
