/// The one place where sizes that come from user input are computed: element counts and
/// byte counts of shapes, and dimensions derived from several sizes (a concatenation's
/// total, a padded or repeated dimension, a count of steps). Every operation is checked, so
/// a huge or negative size is a thrown `TensorError`, never an overflow trap.
///
/// A valid shape has no negative dimension, and the product of its dimensions, zeros
/// counted as 1, times the element size fits `Int` (NumPy's rule): then every stride, byte
/// offset and sub-product of a tensor of that shape fits `Int` too, so code that works on
/// an existing tensor may multiply its dimensions unchecked.
///
///     try ShapeArithmetic.elementCount([2, 3], op: "zeros")                        // 6
///     try ShapeArithmetic.elementCount([4294967296, 4294967296], op: "zeros")      // throws allocationTooLarge
///     try ShapeArithmetic.sum([Int.max, 1], op: "concat", what: "the sizes on axis 0")   // throws invalidArgument
public enum ShapeArithmetic {
    /// Elements of `shape` after checking it: throws `invalidArgument` for a negative
    /// dimension and `allocationTooLarge` (with `bytes` nil) when the shape is too large
    /// for `Int` to count, in elements or in bytes of `dtype`.
    @discardableResult
    public static func elementCount(_ shape: [Int], dtype: DType = .int8, op: String) throws -> Int {
        var extent = 1     // product with zeros counted as 1: bounds every stride and offset
        var hasZero = false
        for d in shape {
            guard d >= 0 else {
                throw TensorError.invalidArgument(op: op, message: "negative dimension \(d) in shape \(shape)")
            }
            if d == 0 { hasZero = true; continue }
            let (p, o) = extent.multipliedReportingOverflow(by: d)
            if o { throw TensorError.allocationTooLarge(bytes: nil, limit: TensorRuntime.memoryLimit, shape: shape, dtype: dtype) }
            extent = p
        }
        if extent.multipliedReportingOverflow(by: dtype.byteSize).overflow {
            throw TensorError.allocationTooLarge(bytes: nil, limit: TensorRuntime.memoryLimit, shape: shape, dtype: dtype)
        }
        return hasZero ? 0 : extent
    }

    /// Bytes of a contiguous `shape` of `dtype`, after the checks of `elementCount`.
    public static func byteCount(_ shape: [Int], dtype: DType, op: String) throws -> Int {
        try elementCount(shape, dtype: dtype, op: op) * dtype.byteSize
    }

    /// The sum of non-negative sizes, e.g. a concatenation's total or a padded dimension;
    /// `what` names them in the error ("the sizes on axis 1").
    @discardableResult
    public static func sum(_ terms: [Int], op: String, what: @autoclosure () -> String) throws -> Int {
        var total = 0
        for t in terms {
            let (s, o) = total.addingReportingOverflow(t)
            if o { throw tooLargeForInt(op: op, what: "\(what()) (\(terms.map(String.init).joined(separator: " + ")))") }
            total = s
        }
        return total
    }

    /// The product of sizes, e.g. a repeated dimension; `what` names it in the error.
    @discardableResult
    public static func product(_ factors: [Int], op: String, what: @autoclosure () -> String) throws -> Int {
        guard let total = productIfRepresentable(factors) else {
            throw tooLargeForInt(op: op, what: "\(what()) (\(factors.map(String.init).joined(separator: " × ")))")
        }
        return total
    }

    /// A count computed in floating point (arange's length, a number of steps) as an Int:
    /// rounded up, at least 0, and throwing when it exceeds `Int`.
    public static func count(_ value: Double, op: String, what: @autoclosure () -> String) throws -> Int {
        guard !value.isNaN else { throw TensorError.invalidArgument(op: op, message: "\(what()) is not a number") }
        let v = value.rounded(.up)
        if v <= 0 { return 0 }
        // 2^63 is the first Double above Int.max.
        guard v < 9.223372036854775808e18 else { throw tooLargeForInt(op: op, what: "\(what()) (\(v))") }
        return Int(v)
    }

    /// The product of `factors`, or nil when it overflows: for comparisons, where a product
    /// too large to count simply differs from any real count (reshape's target).
    public static func productIfRepresentable<C: Collection>(_ factors: C) -> Int? where C.Element == Int {
        var total = 1
        for f in factors {
            let (p, o) = total.multipliedReportingOverflow(by: f)
            if o { return nil }
            total = p
        }
        return total
    }

    private static func tooLargeForInt(op: String, what: String) -> TensorError {
        .invalidArgument(op: op, message: "\(what) is more than Int can count")
    }

    // MARK: - Exact numbers for messages

    /// The exact decimal product of `factors` (which may not fit Int), for error messages.
    static func exactProduct(_ factors: [Int]) -> String {
        // Little-endian limbs in base 10^9.
        let base: UInt64 = 1_000_000_000
        var limbs: [UInt64] = [1]
        for f in factors {
            var m = UInt64(f.magnitude)
            if m == 0 { return "0" }
            // Multiply by m in at most two steps, so every limb product fits UInt64.
            var parts: [UInt64] = []
            while m > 0 { parts.append(m % base); m /= base }
            var result = [UInt64](repeating: 0, count: limbs.count + parts.count + 1)
            for (j, p) in parts.enumerated() where p != 0 {
                var carry: UInt64 = 0
                for i in limbs.indices {
                    let t = result[i + j] + limbs[i] * p + carry
                    result[i + j] = t % base
                    carry = t / base
                }
                var k = limbs.count + j
                while carry > 0 {
                    let t = result[k] + carry
                    result[k] = t % base
                    carry = t / base
                    k += 1
                }
            }
            while result.count > 1 && result.last == 0 { result.removeLast() }
            limbs = result
        }
        var text = String(limbs.last ?? 0)
        for limb in limbs.dropLast().reversed() {
            let digits = String(limb)
            text += String(repeating: "0", count: 9 - digits.count) + digits
        }
        return text
    }
}
