import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A small process-wide cache of recently freed large storage buffers (≥ 128 KiB), so that a
/// loop of large element-wise ops reuses its outputs instead of getting fresh pages from the
/// kernel on every call (glibc serves blocks above its mmap threshold, at most 32 MiB, with a
/// new mmap each time: a 40 MB output costs ~10k first-touch page faults per call).
///
/// Requests are rounded up to a size class (8 classes per power of two, so at most 12.5%
/// slack). Cached (free) bytes are not tensor storage: `TensorRuntime.liveBytes` counts only
/// live tensors, and the cache holds at most min(256 MiB, memoryLimit / 4) bytes in at most
/// 64 buffers, evicting
/// the oldest buffers first. Thread-safe (one mutex, held only for list operations).
///
///     let p = BufferCache.allocate(classBytes: BufferCache.sizeClass(40_000_000))
enum BufferCache {
    /// Smallest request served through the cache.
    static let minimumBytes = 128 << 10   // glibc's initial mmap threshold
    /// Upper bound on the number of cached buffers.
    static let maximumCachedBuffers = 64
    /// Upper bound on cached bytes, whatever the memory limit.
    static let maximumCachedBytes = 256 << 20

    private struct State: ~Copyable {
        var buffers: [(bytes: Int, address: UInt)] = []  // addresses: Sendable across the lock
        var total = 0
    }
    private static let state = Mutex(State())

    /// The allocation size for a request of `bytes` (≥ `minimumBytes`): rounded up to one
    /// of 8 steps per power of two.
    static func sizeClass(_ bytes: Int) -> Int {
        let top = Int.bitWidth - 1 - bytes.leadingZeroBitCount  // 2^top ≤ bytes
        let step = 1 << (top - 3)
        return (bytes + step - 1) / step * step
    }

    /// A cached buffer of exactly `classBytes`, else a fresh 64-byte aligned one (nil when
    /// the system allocation fails even after dropping the cache).
    static func allocate(classBytes: Int) -> UnsafeMutableRawPointer? {
        let reused: UInt = state.withLock { s in
            guard let i = s.buffers.lastIndex(where: { $0.bytes == classBytes }) else { return 0 }
            s.total -= classBytes
            return s.buffers.remove(at: i).address
        }
        if let p = UnsafeMutableRawPointer(bitPattern: reused) { return p }
        var raw: UnsafeMutableRawPointer?
        if posix_memalign(&raw, 64, classBytes) == 0, let p = raw { return p }
        trim()
        raw = nil
        if posix_memalign(&raw, 64, classBytes) == 0, let p = raw { return p }
        return nil
    }

    /// Returns a buffer of `classBytes` (from `allocate`) to the cache, or frees it when it
    /// does not fit the cache's bound.
    static func release(_ pointer: UnsafeMutableRawPointer, classBytes: Int) {
        let cap = min(maximumCachedBytes, TensorRuntime.memoryLimit / 4)
        if classBytes > cap { free(pointer); return }
        let address = UInt(bitPattern: pointer)
        let evicted: [UInt] = state.withLock { s in
            var out: [UInt] = []
            while (s.total + classBytes > cap || s.buffers.count >= maximumCachedBuffers), !s.buffers.isEmpty {
                let b = s.buffers.removeFirst()
                s.total -= b.bytes
                out.append(b.address)
            }
            s.buffers.append((classBytes, address))
            s.total += classBytes
            return out
        }
        for a in evicted { free(UnsafeMutableRawPointer(bitPattern: a)) }
    }

    /// Frees every cached buffer.
    static func trim() {
        let all: [UInt] = state.withLock { s in
            let b = s.buffers.map(\.address)
            s.buffers = []
            s.total = 0
            return b
        }
        for a in all { free(UnsafeMutableRawPointer(bitPattern: a)) }
    }

    /// Bytes held by the cache now (free buffers ready for reuse).
    static var cachedBytes: Int { state.withLock { $0.total } }
}
