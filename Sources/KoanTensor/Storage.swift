#if canImport(Glibc)
import Glibc
#endif

/// A reference-counted, 64-byte aligned buffer of raw bytes. Tensors share one storage
/// between views; a write goes through `NDArray.makeUnique` (copy-on-write).
public final class Storage: @unchecked Sendable {
    public let pointer: UnsafeMutableRawPointer
    public let byteCount: Int

    /// Allocates `byteCount` bytes, zeroed when `zeroed`. Throws when the tensor memory
    /// limit would be exceeded.
    public init(byteCount: Int, zeroed: Bool = false) throws {
        let n = max(byteCount, 0)
        try TensorRuntime.reserve(n)
        if zeroed {
            guard let p = calloc(max(n, 1), 1) else {
                TensorRuntime.release(n)
                throw TensorError.allocationTooLarge(bytes: n, limit: TensorRuntime.memoryLimit)
            }
            pointer = p
        } else {
            var raw: UnsafeMutableRawPointer?
            guard posix_memalign(&raw, 64, max(n, 1)) == 0, let p = raw else {
                TensorRuntime.release(n)
                throw TensorError.allocationTooLarge(bytes: n, limit: TensorRuntime.memoryLimit)
            }
            pointer = p
        }
        self.byteCount = n
    }

    deinit {
        free(pointer)
        TensorRuntime.release(byteCount)
    }
}
