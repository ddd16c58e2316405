/// The element types a tensor can hold. Raw values are NumPy's names.
///
///     let x = NDArray.zeros([2, 3], dtype: .bfloat16)
///     x.dtype.byteSize   // 2
public enum DType: String, Sendable, CaseIterable, CustomStringConvertible {
    case float32, float64, float16, bfloat16, int8, int32, int64, bool

    public var byteSize: Int {
        switch self {
        case .float64, .int64: 8
        case .float32, .int32: 4
        case .float16, .bfloat16: 2
        case .int8, .bool: 1
        }
    }

    public var isFloatingPoint: Bool {
        switch self {
        case .float32, .float64, .float16, .bfloat16: true
        default: false
        }
    }

    public var isInteger: Bool {
        switch self {
        case .int8, .int32, .int64: true
        default: false
        }
    }

    public var description: String { rawValue }

    /// Promotion of two tensor dtypes, as PyTorch's `result_type` for two tensors:
    /// bool < int8 < int32 < int64 < (float16 | bfloat16) < float32 < float64;
    /// float16 with bfloat16 gives float32.
    public static func promote(_ a: DType, _ b: DType) -> DType {
        if a == b { return a }
        if (a == .float16 && b == .bfloat16) || (a == .bfloat16 && b == .float16) { return .float32 }
        return a.rank >= b.rank ? a : b
    }

    /// Promotion of a tensor dtype with a Swift scalar (a "weak" scalar, as in PyTorch):
    /// a floating scalar turns an integer or bool tensor into float32, otherwise the
    /// tensor's dtype wins; an integer scalar turns a bool tensor into int64.
    public static func promote(_ a: DType, scalarIsFloat: Bool) -> DType {
        if scalarIsFloat { return a.isFloatingPoint ? a : .float32 }
        return a == .bool ? .int64 : a
    }

    private var rank: Int {
        switch self {
        case .bool: 0
        case .int8: 1
        case .int32: 2
        case .int64: 3
        case .float16, .bfloat16: 4
        case .float32: 5
        case .float64: 6
        }
    }
}
