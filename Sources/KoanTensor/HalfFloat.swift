/// Bit-level conversions for the 16-bit float formats, rounding to nearest even.
/// float16 is IEEE binary16; bfloat16 is the top half of a float32.
public enum HalfFloat {
    /// float32 → bfloat16 bits, round to nearest even; NaN stays NaN (quiet, sign kept).
    @inline(__always)
    public static func bfloat16Bits(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(truncatingIfNeeded: (bits >> 16) | 0x0040) }
        let lsb = (bits >> 16) & 1
        let rounded = bits &+ 0x7FFF &+ lsb
        return UInt16(truncatingIfNeeded: rounded >> 16)
    }

    @inline(__always)
    public static func float(bfloat16 bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// float32 → float16 bits, round to nearest even (overflow to inf, underflow to subnormals/zero).
    @inline(__always)
    public static func float16Bits(_ value: Float) -> UInt16 {
        Float16(value).bitPattern
    }

    @inline(__always)
    public static func float(float16 bits: UInt16) -> Float {
        Float(Float16(bitPattern: bits))
    }

    /// float64 → float16 directly (one rounding, as NumPy's `astype(float16)` from float64).
    @inline(__always)
    public static func float16Bits(_ value: Double) -> UInt16 {
        Float16(value).bitPattern
    }

    /// float64 → bfloat16 through float32 (two roundings), as ml_dtypes and PyTorch do.
    @inline(__always)
    public static func bfloat16Bits(_ value: Double) -> UInt16 {
        bfloat16Bits(Float(value))
    }
}
