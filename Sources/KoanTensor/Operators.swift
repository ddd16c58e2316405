/// Throwing arithmetic operators for Swift callers (broadcasting, dtype promotion).
///
///     let y = try (x + 1) * w - b
extension NDArray {
    public static func + (a: NDArray, b: NDArray) throws -> NDArray { try binary(.add, a, b) }
    public static func - (a: NDArray, b: NDArray) throws -> NDArray { try binary(.sub, a, b) }
    public static func * (a: NDArray, b: NDArray) throws -> NDArray { try binary(.mul, a, b) }
    public static func / (a: NDArray, b: NDArray) throws -> NDArray { try binary(.div, a, b) }

    public static func + (a: NDArray, b: Double) throws -> NDArray { try binary(.add, a, scalar: b, scalarIsFloat: true) }
    public static func - (a: NDArray, b: Double) throws -> NDArray { try binary(.sub, a, scalar: b, scalarIsFloat: true) }
    public static func * (a: NDArray, b: Double) throws -> NDArray { try binary(.mul, a, scalar: b, scalarIsFloat: true) }
    public static func / (a: NDArray, b: Double) throws -> NDArray { try binary(.div, a, scalar: b, scalarIsFloat: true) }

    public static func + (a: Double, b: NDArray) throws -> NDArray { try binary(.add, b, scalar: a, scalarIsFloat: true, scalarOnLeft: true) }
    public static func - (a: Double, b: NDArray) throws -> NDArray { try binary(.sub, b, scalar: a, scalarIsFloat: true, scalarOnLeft: true) }
    public static func * (a: Double, b: NDArray) throws -> NDArray { try binary(.mul, b, scalar: a, scalarIsFloat: true, scalarOnLeft: true) }
    public static func / (a: Double, b: NDArray) throws -> NDArray { try binary(.div, b, scalar: a, scalarIsFloat: true, scalarOnLeft: true) }

    public static prefix func - (a: NDArray) throws -> NDArray { try a.unary(.neg) }
}

/// Integer-scalar operators: `x + 1` keeps an integer tensor's dtype (a weak integer scalar).
///
///     let next = try ids + 1      // int64 stays int64
extension NDArray {
    public static func + (a: NDArray, b: Int) throws -> NDArray { try binary(.add, a, scalar: Double(b), scalarIsFloat: false) }
    public static func - (a: NDArray, b: Int) throws -> NDArray { try binary(.sub, a, scalar: Double(b), scalarIsFloat: false) }
    public static func * (a: NDArray, b: Int) throws -> NDArray { try binary(.mul, a, scalar: Double(b), scalarIsFloat: false) }
    public static func / (a: NDArray, b: Int) throws -> NDArray { try binary(.div, a, scalar: Double(b), scalarIsFloat: false) }
    public static func + (a: Int, b: NDArray) throws -> NDArray { try binary(.add, b, scalar: Double(a), scalarIsFloat: false, scalarOnLeft: true) }
    public static func - (a: Int, b: NDArray) throws -> NDArray { try binary(.sub, b, scalar: Double(a), scalarIsFloat: false, scalarOnLeft: true) }
    public static func * (a: Int, b: NDArray) throws -> NDArray { try binary(.mul, b, scalar: Double(a), scalarIsFloat: false, scalarOnLeft: true) }
    public static func / (a: Int, b: NDArray) throws -> NDArray { try binary(.div, b, scalar: Double(a), scalarIsFloat: false, scalarOnLeft: true) }
}
