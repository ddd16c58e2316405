#if canImport(Glibc)
import Glibc
#endif

extension NDArray {
    /// Zeros.
    ///
    ///     let z = try NDArray.zeros([2, 3])        // float32
    public static func zeros(_ shape: [Int], dtype: DType = .float32) throws -> NDArray {
        try NDArray(shape: shape, dtype: dtype, zeroed: true)
    }

    /// Ones.
    ///
    ///     let o = try NDArray.ones([3], dtype: .int64)
    public static func ones(_ shape: [Int], dtype: DType = .float32) throws -> NDArray {
        try full(shape, value: 1, dtype: dtype)
    }

    /// Every element `value` (converted to `dtype`).
    ///
    ///     let f = try NDArray.full([2, 2], value: 0.5)
    public static func full(_ shape: [Int], value: Double, dtype: DType = .float32) throws -> NDArray {
        if value == 0 && value.sign == .plus { return try zeros(shape, dtype: dtype) }
        let out = try NDArray(shape: shape, dtype: dtype)
        try out.fill(value)
        return out
    }

    /// A rank-0 array.
    ///
    ///     let s = try NDArray.scalar(3)           // shape []
    public static func scalar(_ value: Double, dtype: DType = .float32) throws -> NDArray {
        let out = try NDArray(shape: [], dtype: dtype)
        out.storeDouble(value, at: 0)
        return out
    }

    /// From row-major values (converted to `dtype`).
    ///
    ///     let x = try NDArray(values: [1, 2, 3, 4], shape: [2, 2])
    public init(values: [Double], shape: [Int], dtype: DType = .float32) throws {
        let expected = try ShapeArithmetic.elementCount(shape, dtype: dtype, op: "tensor")
        guard values.count == expected else {
            throw TensorError.invalidArgument(op: "NDArray", message: "\(values.count) values do not fill shape \(shape) (\(expected) elements)")
        }
        self = try NDArray(shape: shape, dtype: dtype)
        switch dtype {
        case .float32:
            let p = pointer(as: Float.self)
            for i in 0..<values.count { p[i] = Float(values[i]) }
        case .float64:
            let p = pointer(as: Double.self)
            for i in 0..<values.count { p[i] = values[i] }
        default:
            for i in 0..<values.count { storeDouble(values[i], at: i) }
        }
    }

    /// From row-major integers (exact for int64).
    ///
    ///     let idx = try NDArray(ints: [0, 2, 1], shape: [3])
    public init(ints: [Int64], shape: [Int], dtype: DType = .int64) throws {
        let expected = try ShapeArithmetic.elementCount(shape, dtype: dtype, op: "tensor")
        guard ints.count == expected else {
            throw TensorError.invalidArgument(op: "NDArray", message: "\(ints.count) values do not fill shape \(shape) (\(expected) elements)")
        }
        self = try NDArray(shape: shape, dtype: dtype)
        for i in 0..<ints.count { storeInt(ints[i], at: i) }
    }

    /// Values `start, start + step, ...` below `end` (NumPy: length `ceil((end - start) / step)`).
    ///
    ///     let r = try NDArray.arange(start: 0, end: 5, dtype: .int64)   // [0, 1, 2, 3, 4]
    public static func arange(start: Double, end: Double, step: Double = 1, dtype: DType) throws -> NDArray {
        guard step != 0, step.isFinite, start.isFinite, end.isFinite else {
            throw TensorError.invalidArgument(op: "arange", message: "need finite start, end and a non-zero step, got \(start), \(end), \(step)")
        }
        let len = try ShapeArithmetic.count((end - start) / step, op: "arange",
                                            what: "the length of arange(\(start), \(end), step: \(step))")
        let out = try NDArray(shape: [len], dtype: dtype)
        if dtype.isInteger || dtype == .bool {
            for i in 0..<len { out.storeInt(saturatingInt64(start + Double(i) * step), at: i) }
        } else {
            for i in 0..<len { out.storeDouble(start + Double(i) * step, at: i) }
        }
        return out
    }

    /// `count` evenly spaced values from `start` to `end` inclusive.
    ///
    ///     let t = try NDArray.linspace(start: 0, end: 1, count: 5)   // [0, 0.25, 0.5, 0.75, 1]
    public static func linspace(start: Double, end: Double, count: Int, dtype: DType = .float32) throws -> NDArray {
        guard count >= 0 else { throw TensorError.invalidArgument(op: "linspace", message: "count must be non-negative, got \(count)") }
        let out = try NDArray(shape: [count], dtype: dtype)
        let step = count > 1 ? (end - start) / Double(count - 1) : 0
        for i in 0..<count {
            let v = i == count - 1 && count > 1 ? end : start + Double(i) * step
            out.storeDouble(v, at: i)
        }
        return out
    }

    /// Identity-like `n × m` matrix (ones on the main diagonal).
    ///
    ///     let i3 = try NDArray.eye(3)
    public static func eye(_ n: Int, _ m: Int? = nil, dtype: DType = .float32) throws -> NDArray {
        let cols = m ?? n
        guard n >= 0 && cols >= 0 else { throw TensorError.invalidArgument(op: "eye", message: "sizes must be non-negative, got \(n) and \(cols)") }
        let out = try zeros([n, cols], dtype: dtype)
        for i in 0..<Swift.min(n, cols) { out.storeInt(1, at: i * cols + i) }
        return out
    }

    /// Writes `value` into every element of this (contiguous or strided) array's storage.
    /// Internal: callers make the storage unique first.
    func fill(_ value: Double) throws {
        let n = count
        if isContiguous {
            switch dtype {
            case .float32:
                let p = pointer(as: Float.self), v = Float(value)
                parallelFor(n) { r in for i in r { p[i] = v } }
                return
            case .float64:
                let p = pointer(as: Double.self)
                parallelFor(n) { r in for i in r { p[i] = value } }
                return
            default:
                if n == 0 { return }
                storeDouble(value, at: 0)
                let size = dtype.byteSize
                let b = baseAddress
                for i in 1..<Swift.max(n, 1) { (b + i * size).copyMemory(from: b, byteCount: size) }
                return
            }
        }
        forEachOffset { storeDouble(value, at: $0) }
    }
}
