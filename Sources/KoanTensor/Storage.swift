#if canImport(Glibc)
import Glibc
#endif

/// A reference-counted, 64-byte aligned buffer of raw bytes. Tensors share one storage
/// between views; a write goes through `NDArray.makeUnique` (copy-on-write).
public final class Storage: @unchecked Sendable {
    public let pointer: UnsafeMutableRawPointer
    public let byteCount: Int
    /// Size class of a buffer from `BufferCache` (returned there on deinit), else 0.
    private let cacheClass: Int

    /// Allocates `byteCount` bytes, zeroed when `zeroed`. Throws when the tensor memory
    /// limit would be exceeded. Uninitialised buffers of 128 KiB and more come from (and go
    /// back to) `BufferCache`.
    public init(byteCount: Int, zeroed: Bool = false) throws {
        let n = max(byteCount, 0)
        try TensorRuntime.reserve(n)
        if zeroed {
            guard let p = calloc(max(n, 1), 1) else {
                TensorRuntime.release(n)
                throw TensorError.allocationTooLarge(bytes: n, limit: TensorRuntime.memoryLimit)
            }
            pointer = p
            cacheClass = 0
        } else if n >= BufferCache.minimumBytes {
            let cls = BufferCache.sizeClass(n)
            guard let p = BufferCache.allocate(classBytes: cls) else {
                TensorRuntime.release(n)
                throw TensorError.allocationTooLarge(bytes: n, limit: TensorRuntime.memoryLimit)
            }
            pointer = p
            cacheClass = cls
        } else {
            var raw: UnsafeMutableRawPointer?
            guard posix_memalign(&raw, 64, max(n, 1)) == 0, let p = raw else {
                TensorRuntime.release(n)
                throw TensorError.allocationTooLarge(bytes: n, limit: TensorRuntime.memoryLimit)
            }
            pointer = p
            cacheClass = 0
        }
        self.byteCount = n
    }

    deinit {
        if cacheClass > 0 {
            BufferCache.release(pointer, classBytes: cacheClass)
        } else {
            free(pointer)
        }
        TensorRuntime.release(byteCount)
    }
}
