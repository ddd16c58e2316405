/// Every mistake a user can make with a tensor, as data. The message reads like a
/// compiler diagnostic without position; the language adds the cell position.
public enum TensorError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Two shapes that an op cannot combine, e.g. `op: "add"`, or a matmul's inner dims.
    case shapeMismatch(op: String, lhs: [Int], rhs: [Int], detail: String? = nil)
    /// An index outside `0..<size` (negative indices already wrapped) on `axis`.
    case indexOutOfRange(axis: Int, index: Int, size: Int)
    /// An axis outside `-rank..<rank`.
    case axisOutOfRange(axis: Int, rank: Int)
    /// An op that does not support a dtype, e.g. `sqrt` on bool.
    case unsupportedDType(op: String, dtype: DType)
    /// A tensor too large to hold. With `shape`: that shape (of `dtype`) has more elements
    /// or bytes than `Int` can count (`bytes` nil; see `ShapeArithmetic`), or needs `bytes`,
    /// more than the tensor memory limit `limit` (`TensorRuntime.memoryLimit`) or than the
    /// system could allocate. Without a shape: a raw request of `bytes`.
    case allocationTooLarge(bytes: Int?, limit: Int, shape: [Int]? = nil, dtype: DType? = nil)
    /// A malformed, truncated or unsupported file (npy/npz).
    case invalidFile(path: String, reason: String)
    /// A file that cannot be created or written (the OS reason).
    case cannotWrite(path: String, reason: String)
    /// Any other bad argument, with a ready message naming the op.
    case invalidArgument(op: String, message: String)

    public var description: String {
        switch self {
        case let .shapeMismatch(op, lhs, rhs, detail) where op == "matmul":
            let base = "cannot multiply tensors of shape \(lhs) and \(rhs)"
            return detail.map { "\(base): \($0)" } ?? base
        case let .shapeMismatch(op, lhs, rhs, detail):
            let base = "\(op): shapes \(lhs) and \(rhs) are not compatible"
            return detail.map { "\(base): \($0)" } ?? base
        case let .indexOutOfRange(axis, index, size):
            return "index \(index) is out of range for axis \(axis) with size \(size)"
        case let .axisOutOfRange(axis, rank):
            return "axis \(axis) is out of range for a tensor of rank \(rank)"
        case let .unsupportedDType(op, dtype):
            return "\(op) does not support dtype \(dtype)"
        case let .allocationTooLarge(bytes, limit, shape, dtype):
            return Self.tooLargeText(bytes: bytes, limit: limit, shape: shape, dtype: dtype)
        case let .invalidFile(path, reason):
            return "cannot read '\(path)': \(reason)"
        case let .cannotWrite(path, reason):
            return "cannot write '\(path)': \(reason)"
        case let .invalidArgument(op, message):
            return "\(op): \(message)"
        }
    }

    /// The message of `allocationTooLarge`:
    /// "shape [4294967296, 4294967296] has 18446744073709551616 elements, more than Int can count",
    /// "shape [1000000, 1000000] of float32 needs 3.6 TiB (4000000000000 bytes), more than the tensor memory limit of 12.0 GiB".
    private static func tooLargeText(bytes: Int?, limit: Int, shape: [Int]?, dtype: DType?) -> String {
        let limitText = "the tensor memory limit of \(bytesText(limit))"
        guard let shape else {
            guard let bytes else { return "the requested size is more than Int can count" }
            if bytes <= limit { return "allocating \(bytesText(bytes)) would exceed what is free of \(limitText), or what the system could give" }
            return "allocating \(bytesText(bytes)) would exceed \(limitText)"
        }
        let of = dtype.map { " of \($0)" } ?? ""
        guard let bytes else {
            // Too large for Int: in elements, or (the count fits) in bytes. With a zero
            // dimension the count is 0, and the non-zero dimensions are what overflow.
            let nonZero = shape.filter { $0 != 0 }
            let hasZero = nonZero.count < shape.count
            let elements = ShapeArithmetic.exactProduct(nonZero)
            guard UInt64(elements).flatMap({ Int(exactly: $0) }) != nil else {
                return hasZero ? "shape \(shape) is too large: its non-zero dimensions multiply to \(elements), more than Int can count"
                               : "shape \(shape) has \(elements) elements, more than Int can count"
            }
            let total = ShapeArithmetic.exactProduct(nonZero + [dtype?.byteSize ?? 1])
            return hasZero ? "shape \(shape) is too large: its non-zero dimensions\(of) need \(total) bytes, more than Int can count"
                           : "shape \(shape)\(of) needs \(total) bytes, more than Int can count"
        }
        let needs = bytes < 1024 ? "\(bytes) bytes" : "\(bytesText(bytes)) (\(bytes) bytes)"
        if bytes <= limit { return "shape \(shape)\(of) needs \(needs), more than is free of \(limitText), or than the system could give" }
        return "shape \(shape)\(of) needs \(needs), more than \(limitText)"
    }

    /// "512 bytes", "3.5 MiB": a byte count for people.
    public static func bytesText(_ n: Int) -> String {
        let units = ["bytes", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(n)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
        return unit == 0 ? "\(n) bytes" : "\((value * 10).rounded() / 10) \(units[unit])"
    }
}

/// Normalises a possibly negative axis against `rank`.
@inline(__always)
public func normalizeAxis(_ axis: Int, rank: Int) throws -> Int {
    let a = axis < 0 ? axis + rank : axis
    guard a >= 0 && a < max(rank, 1) else { throw TensorError.axisOutOfRange(axis: axis, rank: rank) }
    return a
}
