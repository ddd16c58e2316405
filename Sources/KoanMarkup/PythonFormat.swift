/// Python-compatible text formatting helpers (no Foundation), for text that must match
/// Python's byte for byte (scikit-learn's reports) and for any fixed-point number Koan prints.
///
///     PyFormat.fixed(2.675, digits: 2)   // "2.67" (the binary value is below 2.675)
public enum PyFormat {
    /// `format(x, '.{digits}f')`: correctly rounded (half-even on exact ties) from the exact binary value.
    public static func fixed(_ x: Double, digits: Int) -> String {
        if x.isNaN { return "nan" }
        if x.isInfinite { return x < 0 ? "-inf" : "inf" }
        let sign = x.sign == .minus ? "-" : ""
        let magnitude = Swift.abs(x)
        let (integerDigits, fractionDigits) = exactDecimal(magnitude)
        var intPart = integerDigits
        var frac = fractionDigits
        if frac.count <= digits {
            frac.append(contentsOf: repeatElement(UInt8(0), count: digits - frac.count))
        } else {
            let rest = frac[digits...]
            var roundUp: Bool
            let first = rest.first!
            if first > 5 {
                roundUp = true
            } else if first < 5 {
                roundUp = false
            } else if rest.dropFirst().contains(where: { $0 != 0 }) {
                roundUp = true
            } else {
                let last = digits > 0 ? frac[digits - 1] : (intPart.last ?? 0)
                roundUp = last % 2 == 1
            }
            frac.removeSubrange(digits...)
            if roundUp {
                var carry = true
                var i = frac.count - 1
                while carry && i >= 0 {
                    if frac[i] == 9 { frac[i] = 0 } else { frac[i] += 1; carry = false }
                    i -= 1
                }
                i = intPart.count - 1
                while carry && i >= 0 {
                    if intPart[i] == 9 { intPart[i] = 0 } else { intPart[i] += 1; carry = false }
                    i -= 1
                }
                if carry { intPart.insert(1, at: 0) }
            }
        }
        var out = sign
        out.unicodeScalars.append(contentsOf: intPart.map { Unicode.Scalar(48 + $0) })
        if digits > 0 {
            out.append(".")
            out.unicodeScalars.append(contentsOf: frac.map { Unicode.Scalar(48 + $0) })
        }
        return out
    }

    /// Exact decimal expansion of a finite non-negative double: (integer digits, fraction digits).
    static func exactDecimal(_ x: Double) -> (integer: [UInt8], fraction: [UInt8]) {
        let bits = x.significandBitPattern
        let exponentBits = Int(x.exponentBitPattern)
        let mantissa: UInt64
        let exponent: Int
        if exponentBits == 0 {
            mantissa = bits
            exponent = -1074
        } else {
            mantissa = bits | (UInt64(1) << 52)
            exponent = exponentBits - 1075
        }
        var number = BigDecimalDigits(mantissa)
        if exponent >= 0 {
            number.multiply(byPowerOf: 2, exponent)
            let digits = number.decimalDigits()
            return (digits, [])
        }
        let k = -exponent
        number.multiply(byPowerOf: 5, k)
        var digits = number.decimalDigits()
        if digits.count <= k {
            digits.insert(contentsOf: repeatElement(UInt8(0), count: k - digits.count + 1), at: 0)
        }
        let split = digits.count - k
        return (Array(digits[..<split]), Array(digits[split...]))
    }

    /// `'{:>{width}}'.format(s)`: right-align by Unicode scalar count (Python `len`).
    public static func right(_ s: String, _ width: Int) -> String {
        let count = s.unicodeScalars.count
        if count >= width { return s }
        return String(repeating: " ", count: width - count) + s
    }

    /// Python `len(s)` (Unicode scalars).
    public static func length(_ s: String) -> Int { s.unicodeScalars.count }
}

/// Minimal arbitrary-precision unsigned integer in base 10^9, for exact decimal expansion.
struct BigDecimalDigits {
    private var limbs: [UInt64]  // little-endian, each < 1e9
    private static let base: UInt64 = 1_000_000_000

    init(_ value: UInt64) {
        var v = value
        limbs = []
        repeat {
            limbs.append(v % Self.base)
            v /= Self.base
        } while v > 0
    }

    mutating func multiply(bySmall factor: UInt64) {
        var carry: UInt64 = 0
        for i in limbs.indices {
            let product = limbs[i] * factor + carry
            limbs[i] = product % Self.base
            carry = product / Self.base
        }
        while carry > 0 {
            limbs.append(carry % Self.base)
            carry /= Self.base
        }
    }

    /// Multiplies by `base^exponent` for base 2 or 5, in chunks that keep products below 2^64.
    mutating func multiply(byPowerOf base: UInt64, _ exponent: Int) {
        let chunkExponent = base == 2 ? 30 : 13
        var chunk: UInt64 = 1
        for _ in 0..<chunkExponent { chunk *= base }
        var remaining = exponent
        while remaining >= chunkExponent {
            multiply(bySmall: chunk)
            remaining -= chunkExponent
        }
        if remaining > 0 {
            var factor: UInt64 = 1
            for _ in 0..<remaining { factor *= base }
            multiply(bySmall: factor)
        }
    }

    func decimalDigits() -> [UInt8] {
        var out: [UInt8] = []
        for (index, limb) in limbs.reversed().enumerated() {
            var chunk: [UInt8] = []
            var v = limb
            for _ in 0..<9 {
                chunk.append(UInt8(v % 10))
                v /= 10
            }
            chunk.reverse()
            if index == 0 {
                let firstNonZero = chunk.firstIndex(where: { $0 != 0 }) ?? 8
                out.append(contentsOf: chunk[firstNonZero...])
            } else {
                out.append(contentsOf: chunk)
            }
        }
        return out
    }
}
