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
    /// An allocation that would exceed `TensorRuntime.memoryLimit`.
    case allocationTooLarge(bytes: Int, limit: Int)
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
        case let .allocationTooLarge(bytes, limit):
            return "allocating \(Self.bytesText(bytes)) would exceed the tensor memory limit of \(Self.bytesText(limit))"
        case let .invalidFile(path, reason):
            return "cannot read '\(path)': \(reason)"
        case let .cannotWrite(path, reason):
            return "cannot write '\(path)': \(reason)"
        case let .invalidArgument(op, message):
            return "\(op): \(message)"
        }
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
