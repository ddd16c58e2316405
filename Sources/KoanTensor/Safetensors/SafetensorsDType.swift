
/// The element types of the safetensors format (raw values are the header's `dtype`
/// strings). Every one of them is accepted when a header is parsed, so the file's layout
/// can be checked; loading a tensor needs a Koan `DType` (`koanDType`).
///
///     SafetensorsDType(rawValue: "BF16")?.koanDType   // .bfloat16
///     SafetensorsDType.u8.koanDType                   // nil: loading it throws unsupportedDType
public enum SafetensorsDType: String, Sendable, CaseIterable, CustomStringConvertible {
    case f64 = "F64", f32 = "F32", f16 = "F16", bf16 = "BF16"
    case i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8"
    case u64 = "U64", u32 = "U32", u16 = "U16", u8 = "U8"
    case bool = "BOOL"
    case c64 = "C64"
    case f8e5m2 = "F8_E5M2", f8e4m3 = "F8_E4M3", f8e8m0 = "F8_E8M0"
    case f8e4m3fnuz = "F8_E4M3FNUZ", f8e5m2fnuz = "F8_E5M2FNUZ"
    case f6e2m3 = "F6_E2M3", f6e3m2 = "F6_E3M2", f4 = "F4"

    /// The safetensors name for a Koan dtype (every Koan dtype has one).
    public init(_ dtype: DType) {
        switch dtype {
        case .float64: self = .f64
        case .float32: self = .f32
        case .float16: self = .f16
        case .bfloat16: self = .bf16
        case .int64: self = .i64
        case .int32: self = .i32
        case .int8: self = .i8
        case .bool: self = .bool
        }
    }

    /// The Koan dtype with the same bytes, or nil when Koan has none.
    public var koanDType: DType? {
        switch self {
        case .f64: .float64
        case .f32: .float32
        case .f16: .float16
        case .bf16: .bfloat16
        case .i64: .int64
        case .i32: .int32
        case .i8: .int8
        case .bool: .bool
        default: nil
        }
    }

    /// Bits per element (4 and 6 for the packed sub-byte float formats).
    public var bitSize: Int {
        switch self {
        case .f64, .i64, .u64, .c64: 64
        case .f32, .i32, .u32: 32
        case .f16, .bf16, .i16, .u16: 16
        case .i8, .u8, .bool, .f8e5m2, .f8e4m3, .f8e8m0, .f8e4m3fnuz, .f8e5m2fnuz: 8
        case .f6e2m3, .f6e3m2: 6
        case .f4: 4
        }
    }

    /// The position in the reference implementation's dtype order (alignment, then kind);
    /// a writer lays tensors out by descending rank, then by name.
    var layoutRank: Int {
        switch self {
        case .bool: 0
        case .f4: 1
        case .f6e2m3: 2
        case .f6e3m2: 3
        case .u8: 4
        case .i8: 5
        case .f8e5m2: 6
        case .f8e4m3: 7
        case .f8e8m0: 8
        case .f8e4m3fnuz: 9
        case .f8e5m2fnuz: 10
        case .i16: 11
        case .u16: 12
        case .f16: 13
        case .bf16: 14
        case .i32: 15
        case .u32: 16
        case .f32: 17
        case .c64: 18
        case .f64: 19
        case .i64: 20
        case .u64: 21
        }
    }

    public var description: String { rawValue }
}
