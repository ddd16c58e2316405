import CBLAS
import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Process-wide settings of the tensor engine, like `torch.set_num_threads`: the
/// thread count (shared with OpenBLAS) and the memory limit for tensor storage.
public enum TensorRuntime {
    private static let threadCount = Atomic<Int>(defaultThreads)
    private static let limit = Atomic<Int>(defaultMemoryLimit)
    private static let live = Atomic<Int>(0)

    /// Physical cores as seen by the process.
    public static var defaultThreads: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    /// Three quarters of physical RAM.
    public static var defaultMemoryLimit: Int {
        let pages = Int(sysconf(Int32(_SC_PHYS_PAGES)))
        let size = Int(sysconf(Int32(_SC_PAGESIZE)))
        return pages > 0 && size > 0 ? pages / 4 * 3 * size : 8 << 30
    }

    /// Threads used by Koan's kernels and by OpenBLAS.
    public static var threads: Int { threadCount.load(ordering: .relaxed) }

    /// Sets Koan's and OpenBLAS's thread counts together (`%threads N`).
    public static func setThreads(_ n: Int) throws {
        guard n >= 1 && n <= 256 else {
            throw TensorError.invalidArgument(op: "threads", message: "thread count must be between 1 and 256, got \(n)")
        }
        threadCount.store(n, ordering: .relaxed)
        openblas_set_num_threads(Int32(n))
    }

    /// Upper bound on the bytes of all live tensor storage together.
    public static var memoryLimit: Int { limit.load(ordering: .relaxed) }

    public static func setMemoryLimit(_ bytes: Int) throws {
        guard bytes > 0 else {
            throw TensorError.invalidArgument(op: "memoryLimit", message: "the limit must be positive, got \(bytes)")
        }
        limit.store(bytes, ordering: .relaxed)
    }

    /// Bytes held by live tensor storage now.
    public static var liveBytes: Int { live.load(ordering: .relaxed) }

    static func reserve(_ bytes: Int) throws {
        let before = live.add(bytes, ordering: .relaxed).oldValue
        let lim = limit.load(ordering: .relaxed)
        if bytes > lim || before > lim - bytes {
            live.subtract(bytes, ordering: .relaxed)
            throw TensorError.allocationTooLarge(bytes: bytes, limit: lim)
        }
    }

    static func release(_ bytes: Int) {
        live.subtract(bytes, ordering: .relaxed)
    }
}

/// Splits `0..<count` into chunks of at least `grain` items and runs them on up to
/// `TensorRuntime.threads` threads. Small work runs inline on the caller's thread.
/// Results must not depend on how the range is split.
@inline(__always)
public func parallelFor(_ count: Int, grain: Int = 32_768, _ body: (Range<Int>) -> Void) {
    let threads = TensorRuntime.threads
    if threads <= 1 || count < 2 * grain {
        if count > 0 { body(0..<count) }
        return
    }
    let chunks = min(threads, count / grain)
    let per = (count + chunks - 1) / chunks
    withoutActuallyEscaping(body) { body in
        let box = UnsafeSendableBox(body)
        DispatchQueue.concurrentPerform(iterations: chunks) { i in
            let lo = i * per
            let hi = min(count, lo + per)
            if lo < hi { box.value(lo..<hi) }
        }
    }
}

struct UnsafeSendableBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
