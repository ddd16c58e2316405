import KoanLang
import KoanTensor

/// The workspace's random stream: `%seed N` sets the seed and restarts the counter; each
/// unseeded draw takes the next stream of that seed (counter-based, so a draw never depends
/// on the thread count, and rerunning a notebook from `%seed` repeats its numbers).
final class RandomState {
    private(set) var seed: UInt64 = 0
    private var counter: UInt64 = 0

    func reseed(_ seed: UInt64) {
        self.seed = seed
        counter = 0
    }

    func next() -> RandomKey {
        defer { counter &+= 1 }
        return RandomKey(seed: seed, stream: counter &+ 1)
    }
}

extension CallContext {
    /// This interpreter's random stream (unseeded `Tensor.randn`, layer initialisation).
    var random: RandomState { registry.state { RandomState() } }
}

/// `%seed N`, `%threads [N]`, `%memory [LIMIT]`: the workspace's random stream and the tensor runtime.
func registerTensorMagics(_ r: Registry) {
    let random = r.state { RandomState() }
    // Arrays and strings count against the same limit as tensors, after what tensors hold.
    ValueMemory.configure(limit: { TensorRuntime.memoryLimit }, inUse: { TensorRuntime.liveBytes })
    r.magic("seed", usage: "%seed <Int>", "Restarts the workspace's random stream from this seed.") { argument, _ in
        guard let seed = Int(argument) else { throw Fault(.value, "usage: %seed <Int> (got '\(argument)')") }
        random.reseed(UInt64(bitPattern: Int64(seed)))
    }
    r.magic("threads", usage: "%threads [<Int>]", "Shows or sets the number of threads tensor kernels use.") { argument, display in
        if argument.isEmpty {
            display.write("\(TensorRuntime.threads) threads\n", to: .stdout)
            return
        }
        guard let n = Int(argument) else { throw Fault(.value, "usage: %threads <Int> (got '\(argument)')") }
        try TensorRuntime.setThreads(n)
    }
    r.magic("memory", usage: "%memory [<limit>|default]", "Shows or sets the memory limit of tensors, arrays and strings together.") { argument, display in
        if argument.isEmpty {
            display.write("tensors hold \(TensorError.bytesText(TensorRuntime.liveBytes)) of a \(TensorError.bytesText(TensorRuntime.memoryLimit)) limit (arrays and strings are checked against it too)\n", to: .stdout)
            return
        }
        if argument == "default" {
            try TensorRuntime.setMemoryLimit(TensorRuntime.defaultMemoryLimit)
            return
        }
        guard let bytes = Interpreter.parseBytes(argument) else {
            throw Fault(.value, "usage: %memory <limit> such as 4GiB, 512MiB, a number of bytes, or default (got '\(argument)')")
        }
        try TensorRuntime.setMemoryLimit(bytes)
    }
}
