#if canImport(Glibc)
import Glibc
#endif

/// Element-wise functions of one tensor.
///
///     let y = try x.unary(.exp)
public enum UnaryOp: String, Sendable, CaseIterable {
    case neg, abs, exp, log, sqrt, rsqrt, sin, cos, tan, tanh, sigmoid,
         relu, sign, floor, ceil, round /* half to even */, square, reciprocal, log1p, expm1, erf, log2, exp2, logicalNot
}

/// Element-wise functions of two broadcast tensors.
///
///     let z = try NDArray.binary(.add, x, y)
public enum BinaryOp: String, Sendable, CaseIterable {
    case add, sub, mul, div, pow, maximum, minimum, mod /* Python/NumPy sign rule */,
         fmod /* C and Swift: truncating, the dividend's sign */, floorDiv, eq, ne, lt, le, gt, ge, logicalAnd, logicalOr, atan2

    var isComparison: Bool {
        switch self { case .eq, .ne, .lt, .le, .gt, .ge: true; default: false }
    }
    var isLogical: Bool { self == .logicalAnd || self == .logicalOr }
}

/// Float32/Float64 with the libm functions the kernels need.
protocol KFloat: BinaryFloatingPoint {
    static func kexp(_ x: Self) -> Self
    static func klog(_ x: Self) -> Self
    static func ksin(_ x: Self) -> Self
    static func kcos(_ x: Self) -> Self
    static func ktan(_ x: Self) -> Self
    static func ktanh(_ x: Self) -> Self
    static func klog1p(_ x: Self) -> Self
    static func kexpm1(_ x: Self) -> Self
    static func kerf(_ x: Self) -> Self
    static func klog2(_ x: Self) -> Self
    static func kexp2(_ x: Self) -> Self
    static func kpow(_ x: Self, _ y: Self) -> Self
    static func katan2(_ x: Self, _ y: Self) -> Self
    static func kfmod(_ x: Self, _ y: Self) -> Self
}

extension Float: KFloat {
    @inline(__always) static func kexp(_ x: Float) -> Float { expf(x) }
    @inline(__always) static func klog(_ x: Float) -> Float { logf(x) }
    @inline(__always) static func ksin(_ x: Float) -> Float { sinf(x) }
    @inline(__always) static func kcos(_ x: Float) -> Float { cosf(x) }
    @inline(__always) static func ktan(_ x: Float) -> Float { tanf(x) }
    @inline(__always) static func ktanh(_ x: Float) -> Float { tanhf(x) }
    @inline(__always) static func klog1p(_ x: Float) -> Float { log1pf(x) }
    @inline(__always) static func kexpm1(_ x: Float) -> Float { expm1f(x) }
    @inline(__always) static func kerf(_ x: Float) -> Float { erff(x) }
    @inline(__always) static func klog2(_ x: Float) -> Float { log2f(x) }
    @inline(__always) static func kexp2(_ x: Float) -> Float { exp2f(x) }
    @inline(__always) static func kpow(_ x: Float, _ y: Float) -> Float { powf(x, y) }
    @inline(__always) static func katan2(_ x: Float, _ y: Float) -> Float { atan2f(x, y) }
    @inline(__always) static func kfmod(_ x: Float, _ y: Float) -> Float { fmodf(x, y) }
}

extension Double: KFloat {
    @inline(__always) static func kexp(_ x: Double) -> Double { Glibc.exp(x) }
    @inline(__always) static func klog(_ x: Double) -> Double { Glibc.log(x) }
    @inline(__always) static func ksin(_ x: Double) -> Double { Glibc.sin(x) }
    @inline(__always) static func kcos(_ x: Double) -> Double { Glibc.cos(x) }
    @inline(__always) static func ktan(_ x: Double) -> Double { Glibc.tan(x) }
    @inline(__always) static func ktanh(_ x: Double) -> Double { Glibc.tanh(x) }
    @inline(__always) static func klog1p(_ x: Double) -> Double { Glibc.log1p(x) }
    @inline(__always) static func kexpm1(_ x: Double) -> Double { Glibc.expm1(x) }
    @inline(__always) static func kerf(_ x: Double) -> Double { Glibc.erf(x) }
    @inline(__always) static func klog2(_ x: Double) -> Double { Glibc.log2(x) }
    @inline(__always) static func kexp2(_ x: Double) -> Double { Glibc.exp2(x) }
    @inline(__always) static func kpow(_ x: Double, _ y: Double) -> Double { Glibc.pow(x, y) }
    @inline(__always) static func katan2(_ x: Double, _ y: Double) -> Double { Glibc.atan2(x, y) }
    @inline(__always) static func kfmod(_ x: Double, _ y: Double) -> Double { Glibc.fmod(x, y) }
}

// MARK: - scalar semantics shared by kernels

@inline(__always) func floatMod<T: KFloat>(_ a: T, _ b: T) -> T {
    // NumPy npy_remainder
    if b == 0 { return T.kfmod(a, b) }
    var m = T.kfmod(a, b)
    if m != 0 {
        if (b < 0) != (m < 0) { m += b }
    } else {
        m = b < 0 ? -0.0 : 0.0
    }
    return m
}

@inline(__always) func floatFloorDiv<T: KFloat>(_ a: T, _ b: T) -> T {
    // NumPy npy_floor_divide (via npy_divmod)
    if b == 0 { return a / b }
    var m = T.kfmod(a, b)
    var div = (a - m) / b
    if m != 0 {
        if (b < 0) != (m < 0) { m += b; div -= 1 }
    }
    var fd: T
    if div != 0 {
        fd = div.rounded(.down)
        if div - fd > 0.5 { fd += 1 }
    } else {
        fd = (a / b) < 0 || ((a / b) == 0 && (a / b).sign == .minus) ? -0.0 : 0.0
    }
    return fd
}

@inline(__always) func intFloorDiv(_ a: Int64, _ b: Int64) -> Int64 {
    if b == 0 { return 0 }
    let (q, o) = a.dividedReportingOverflow(by: b)
    if o { return q }
    if (a % b != 0) && ((a < 0) != (b < 0)) { return q - 1 }
    return q
}

@inline(__always) func intMod(_ a: Int64, _ b: Int64) -> Int64 {
    if b == 0 { return 0 }
    let (r, o) = a.remainderReportingOverflow(dividingBy: b)
    if o { return 0 }
    if r != 0 && ((r < 0) != (b < 0)) { return r + b }
    return r
}

/// Swift's `%` on Int64 (truncating); 0 where Swift would trap (x % 0, Int64.min % -1), as
/// `intMod` does.
@inline(__always) func intFmod(_ a: Int64, _ b: Int64) -> Int64 {
    if b == 0 { return 0 }
    let (r, o) = a.remainderReportingOverflow(dividingBy: b)
    return o ? 0 : r
}

@inline(__always) func intPow(_ a: Int64, _ b: Int64) -> Int64 {
    if b < 0 { return a == 1 ? 1 : (a == -1 ? (b & 1 == 0 ? 1 : -1) : 0) }
    var result: Int64 = 1, base = a, e = b
    while e > 0 {
        if e & 1 == 1 { result = result &* base }
        base = base &* base
        e >>= 1
    }
    return result
}

@inline(__always) func fmaximum<T: BinaryFloatingPoint>(_ a: T, _ b: T) -> T { (a > b || a.isNaN) ? a : b }
@inline(__always) func fminimum<T: BinaryFloatingPoint>(_ a: T, _ b: T) -> T { (a < b || a.isNaN) ? a : b }

// MARK: - loops

/// out[i] = f(a[i*sa], b[i*sb]) with fast paths for the contiguous and scalar cases.
@inline(__always)
func binaryInner<T, R>(_ n: Int, _ a: UnsafePointer<T>, _ sa: Int, _ b: UnsafePointer<T>, _ sb: Int,
                       _ o: UnsafeMutablePointer<R>, _ f: (T, T) -> R) {
    if sa == 1 && sb == 1 {
        for i in 0..<n { o[i] = f(a[i], b[i]) }
    } else if sa == 1 && sb == 0 {
        let y = b[0]
        for i in 0..<n { o[i] = f(a[i], y) }
    } else if sa == 0 && sb == 1 {
        let x = a[0]
        for i in 0..<n { o[i] = f(x, b[i]) }
    } else {
        for i in 0..<n { o[i] = f(a[i &* sa], b[i &* sb]) }
    }
}

/// Applies `f` over the broadcast of `a` and `b` (both already `T`) into the fresh contiguous `out`.
@inline(__always)
func binaryApply<T, R>(_ a: NDArray, _ b: NDArray, _ out: NDArray, _: T.Type, _: R.Type, _ f: (T, T) -> R) {
    let pa = UnsafePointer(a.pointer(as: T.self)), pb = UnsafePointer(b.pointer(as: T.self))
    let po = out.pointer(as: R.self)
    let n = out.count
    if n == 0 { return }
    if a.shape == b.shape && a.isContiguous && b.isContiguous {
        parallelFor(n) { r in binaryInner(r.count, pa + r.lowerBound, 1, pb + r.lowerBound, 1, po + r.lowerBound, f) }
        return
    }
    let ea = a.shape == out.shape ? a : (try? a.broadcast(to: out.shape)) ?? a
    let eb = b.shape == out.shape ? b : (try? b.broadcast(to: out.shape)) ?? b
    let plan = StridedPlan(shape: out.shape, strides: [ea.strides, eb.strides, contiguousStrides(out.shape)])
    if plan.shape.count == 1 {
        let sa = plan.innerStride(0), sb = plan.innerStride(1)
        parallelFor(n) { r in
            let lo = r.lowerBound
            binaryInner(r.count, pa + lo * sa, sa, pb + lo * sb, sb, po + lo, f)
        }
        return
    }
    let inner = plan.inner, sa = plan.innerStride(0), sb = plan.innerStride(1)
    parallelFor(plan.rows, grain: Swift.max(1, 32_768 / Swift.max(inner, 1))) { r in
        var (index, offs) = plan.start(row: r.lowerBound)
        for _ in r {
            binaryInner(inner, pa + offs[0], sa, pb + offs[1], sb, po + offs[2], f)
            plan.advance(&index, &offs)
        }
    }
}

@inline(__always)
func floatBinary<T: KFloat>(_ op: BinaryOp, _ a: NDArray, _ b: NDArray, _ out: NDArray, _ t: T.Type) {
    switch op {
    case .add: binaryApply(a, b, out, T.self, T.self) { $0 + $1 }
    case .sub: binaryApply(a, b, out, T.self, T.self) { $0 - $1 }
    case .mul: binaryApply(a, b, out, T.self, T.self) { $0 * $1 }
    case .div: binaryApply(a, b, out, T.self, T.self) { $0 / $1 }
    case .pow: binaryApply(a, b, out, T.self, T.self) { T.kpow($0, $1) }
    case .maximum: binaryApply(a, b, out, T.self, T.self) { fmaximum($0, $1) }
    case .minimum: binaryApply(a, b, out, T.self, T.self) { fminimum($0, $1) }
    case .mod: binaryApply(a, b, out, T.self, T.self) { floatMod($0, $1) }
    case .fmod: binaryApply(a, b, out, T.self, T.self) { T.kfmod($0, $1) }
    case .floorDiv: binaryApply(a, b, out, T.self, T.self) { floatFloorDiv($0, $1) }
    case .atan2: binaryApply(a, b, out, T.self, T.self) { T.katan2($0, $1) }
    case .eq: binaryApply(a, b, out, T.self, UInt8.self) { $0 == $1 ? 1 : 0 }
    case .ne: binaryApply(a, b, out, T.self, UInt8.self) { $0 != $1 ? 1 : 0 }
    case .lt: binaryApply(a, b, out, T.self, UInt8.self) { $0 < $1 ? 1 : 0 }
    case .le: binaryApply(a, b, out, T.self, UInt8.self) { $0 <= $1 ? 1 : 0 }
    case .gt: binaryApply(a, b, out, T.self, UInt8.self) { $0 > $1 ? 1 : 0 }
    case .ge: binaryApply(a, b, out, T.self, UInt8.self) { $0 >= $1 ? 1 : 0 }
    case .logicalAnd, .logicalOr: break
    }
}

func intBinary(_ op: BinaryOp, _ a: NDArray, _ b: NDArray, _ out: NDArray) {
    switch op {
    case .add: binaryApply(a, b, out, Int64.self, Int64.self) { $0 &+ $1 }
    case .sub: binaryApply(a, b, out, Int64.self, Int64.self) { $0 &- $1 }
    case .mul: binaryApply(a, b, out, Int64.self, Int64.self) { $0 &* $1 }
    case .pow: binaryApply(a, b, out, Int64.self, Int64.self) { intPow($0, $1) }
    case .maximum: binaryApply(a, b, out, Int64.self, Int64.self) { Swift.max($0, $1) }
    case .minimum: binaryApply(a, b, out, Int64.self, Int64.self) { Swift.min($0, $1) }
    case .mod: binaryApply(a, b, out, Int64.self, Int64.self) { intMod($0, $1) }
    case .fmod: binaryApply(a, b, out, Int64.self, Int64.self) { intFmod($0, $1) }
    case .floorDiv: binaryApply(a, b, out, Int64.self, Int64.self) { intFloorDiv($0, $1) }
    case .eq: binaryApply(a, b, out, Int64.self, UInt8.self) { $0 == $1 ? 1 : 0 }
    case .ne: binaryApply(a, b, out, Int64.self, UInt8.self) { $0 != $1 ? 1 : 0 }
    case .lt: binaryApply(a, b, out, Int64.self, UInt8.self) { $0 < $1 ? 1 : 0 }
    case .le: binaryApply(a, b, out, Int64.self, UInt8.self) { $0 <= $1 ? 1 : 0 }
    case .gt: binaryApply(a, b, out, Int64.self, UInt8.self) { $0 > $1 ? 1 : 0 }
    case .ge: binaryApply(a, b, out, Int64.self, UInt8.self) { $0 >= $1 ? 1 : 0 }
    case .div, .atan2, .logicalAnd, .logicalOr: break
    }
}

extension NDArray {
    /// `self` converted to `dtype` unless it already has it.
    @inline(__always)
    func converted(_ dtype: DType) throws -> NDArray { self.dtype == dtype ? self : try to(dtype) }

    /// Element-wise `op(a, b)` with NumPy broadcasting and `DType.promote`. Comparisons give
    /// bool; `div` and `atan2` of integers give float32; logical ops need bool or integer inputs.
    ///
    ///     let a = try NDArray(values: [1, 2, 3], shape: [3])
    ///     let b = try NDArray.binary(.mul, a, try NDArray.scalar(2))   // [2, 4, 6]
    public static func binary(_ op: BinaryOp, _ a: NDArray, _ b: NDArray) throws -> NDArray {
        // Hot path: same-shape contiguous float32 arithmetic.
        if a.dtype == .float32 && b.dtype == .float32 && a.shape == b.shape && a.isContiguous && b.isContiguous {
            let out = try NDArray(shape: a.shape, dtype: .float32)
            let n = out.count
            let pa = UnsafePointer(a.pointer(as: Float.self)), pb = UnsafePointer(b.pointer(as: Float.self))
            let po = out.pointer(as: Float.self)
            switch op {
            case .add: parallelFor(n) { r in for i in r { po[i] = pa[i] + pb[i] } }; return out
            case .sub: parallelFor(n) { r in for i in r { po[i] = pa[i] - pb[i] } }; return out
            case .mul: parallelFor(n) { r in for i in r { po[i] = pa[i] * pb[i] } }; return out
            case .div: parallelFor(n) { r in for i in r { po[i] = pa[i] / pb[i] } }; return out
            default: break
            }
        }
        return try binaryImpl(op, a, b, promoted: DType.promote(a.dtype, b.dtype))
    }

    /// Element-wise `op(a, s)` (or `op(s, a)` when `scalarOnLeft`) with a Swift scalar promoted
    /// as a weak scalar (`DType.promote(_:scalarIsFloat:)`).
    ///
    ///     let y = try NDArray.binary(.add, x, scalar: 1, scalarIsFloat: true)
    public static func binary(_ op: BinaryOp, _ a: NDArray, scalar: Double, scalarIsFloat: Bool, scalarOnLeft: Bool = false) throws -> NDArray {
        let p = DType.promote(a.dtype, scalarIsFloat: scalarIsFloat)
        if p == .float32 && a.dtype == .float32 && a.isContiguous {
            let out = try NDArray(shape: a.shape, dtype: .float32)
            let n = out.count, s = Float(scalar)
            let pa = UnsafePointer(a.pointer(as: Float.self)), po = out.pointer(as: Float.self)
            switch (op, scalarOnLeft) {
            case (.add, _): parallelFor(n) { r in for i in r { po[i] = pa[i] + s } }; return out
            case (.mul, _): parallelFor(n) { r in for i in r { po[i] = pa[i] * s } }; return out
            case (.sub, false): parallelFor(n) { r in for i in r { po[i] = pa[i] - s } }; return out
            case (.sub, true): parallelFor(n) { r in for i in r { po[i] = s - pa[i] } }; return out
            case (.div, false): parallelFor(n) { r in for i in r { po[i] = pa[i] / s } }; return out
            case (.div, true): parallelFor(n) { r in for i in r { po[i] = s / pa[i] } }; return out
            default: break
            }
        }
        let sdtype: DType = p.isFloatingPoint ? (p == .float64 ? .float64 : .float32) : (p == .bool ? .bool : .int64)
        let s = try NDArray(shape: [], dtype: sdtype)
        if sdtype.isFloatingPoint { s.storeDouble(scalar, at: 0) } else { s.storeInt(saturatingInt64(scalar), at: 0) }
        // A float16/bfloat16 tensor with a float scalar: the scalar is rounded to the tensor's format (NumPy NEP 50).
        let sv = p == .float16 || p == .bfloat16 ? try s.to(p).to(.float32) : s
        return scalarOnLeft ? try binaryImpl(op, sv, a, promoted: p) : try binaryImpl(op, a, sv, promoted: p)
    }

    static func binaryImpl(_ op: BinaryOp, _ a: NDArray, _ b: NDArray, promoted p: DType) throws -> NDArray {
        let shape = a.shape == b.shape ? a.shape : try broadcastShapes(a.shape, b.shape, op: op.rawValue)
        if op.isLogical {
            guard !a.dtype.isFloatingPoint else { throw TensorError.unsupportedDType(op: op.rawValue, dtype: a.dtype) }
            guard !b.dtype.isFloatingPoint else { throw TensorError.unsupportedDType(op: op.rawValue, dtype: b.dtype) }
            let ca = try a.converted(.bool), cb = try b.converted(.bool)
            let out = try NDArray(shape: shape, dtype: .bool)
            if op == .logicalAnd {
                binaryApply(ca, cb, out, UInt8.self, UInt8.self) { $0 & $1 }
            } else {
                binaryApply(ca, cb, out, UInt8.self, UInt8.self) { $0 | $1 }
            }
            return out
        }
        if p == .bool {
            switch op {
            case .sub, .mod, .fmod, .floorDiv, .pow:
                throw TensorError.unsupportedDType(op: op.rawValue, dtype: .bool)
            default: break
            }
        }
        // result dtype and compute dtype
        let floatOnly = op == .div || op == .atan2
        let result: DType = op.isComparison ? .bool : (floatOnly && !p.isFloatingPoint ? .float32 : p)
        let compute: DType
        switch p {
        case .float32, .float64: compute = p
        case .float16, .bfloat16: compute = .float32
        default: compute = floatOnly ? .float64 : .int64
        }
        let ca = try a.converted(compute), cb = try b.converted(compute)
        let out = try NDArray(shape: shape, dtype: op.isComparison ? .bool : compute)
        switch compute {
        case .float32: floatBinary(op, ca, cb, out, Float.self)
        case .float64: floatBinary(op, ca, cb, out, Double.self)
        default: intBinary(op, ca, cb, out)
        }
        return try out.converted(result)
    }

    /// Picks `a` where `cond` is true (non-zero), else `b`, all three broadcast; dtype promoted.
    ///
    ///     let mask = try NDArray.binary(.gt, x, scalar: 0, scalarIsFloat: false)
    ///     let y = try NDArray.where(mask, x, try NDArray.zeros([]))   // relu
    public static func `where`(_ cond: NDArray, _ a: NDArray, _ b: NDArray) throws -> NDArray {
        let shape = try broadcastShapes(try broadcastShapes(cond.shape, a.shape, op: "where"), b.shape, op: "where")
        let dt = DType.promote(a.dtype, b.dtype)
        let c = try cond.converted(.bool).broadcast(to: shape)
        let ea = try a.converted(dt).broadcast(to: shape), eb = try b.converted(dt).broadcast(to: shape)
        let out = try NDArray(shape: shape, dtype: dt)
        let plan = StridedPlan(shape: shape, strides: [c.strides, ea.strides, eb.strides, out.strides])
        let pc = c.pointer(as: UInt8.self)
        let inner = plan.inner, sc = plan.innerStride(0), sa = plan.innerStride(1), sb = plan.innerStride(2)
        @inline(__always) func run<T>(_: T.Type) {
            let pa = ea.pointer(as: T.self), pb = eb.pointer(as: T.self), po = out.pointer(as: T.self)
            plan.parallelRows { _, o in
                for i in 0..<inner {
                    po[o[3] + i] = pc[o[0] + i * sc] != 0 ? pa[o[1] + i * sa] : pb[o[2] + i * sb]
                }
            }
        }
        switch dt.byteSize {
        case 8: run(UInt64.self)
        case 4: run(UInt32.self)
        case 2: run(UInt16.self)
        default: run(UInt8.self)
        }
        return out
    }

    /// Limits values to `[min, max]` (either bound optional); NaN stays NaN; keeps the dtype.
    ///
    ///     let y = try x.clamp(min: 0, max: 6)    // relu6
    public func clamp(min lo: Double?, max hi: Double?) throws -> NDArray {
        if dtype == .bool { throw TensorError.unsupportedDType(op: "clamp", dtype: dtype) }
        var r = self
        if let lo {
            r = try NDArray.binaryImpl(.maximum, r, try NDArray.clampBound(lo, dtype), promoted: dtype)
        }
        if let hi {
            r = try NDArray.binaryImpl(.minimum, r, try NDArray.clampBound(hi, dtype), promoted: dtype)
        }
        return lo == nil && hi == nil ? try contiguousCopy() : r
    }

    static func clampBound(_ v: Double, _ dtype: DType) throws -> NDArray {
        dtype.isFloatingPoint ? try scalar(v, dtype: dtype) : try NDArray(ints: [saturatingInt64(v.rounded(.down))], shape: [], dtype: .int64)
    }

    // MARK: unary

    /// Element-wise function. Float functions of integer or bool tensors give float32 (as
    /// torch); `neg`, `abs`, `sign`, `square`, `relu`, `floor`, `ceil`, `round` keep integer dtypes;
    /// `logicalNot` needs bool or integers and gives bool.
    ///
    ///     let y = try x.unary(.sqrt)
    public func unary(_ op: UnaryOp) throws -> NDArray {
        if dtype == .float32 && isContiguous && op != .logicalNot {
            let out = try NDArray(shape: shape, dtype: .float32)
            NDArray.floatUnary(op, UnsafePointer(pointer(as: Float.self)), out.pointer(as: Float.self), count)
            return out
        }
        if op == .logicalNot {
            guard !dtype.isFloatingPoint else { throw TensorError.unsupportedDType(op: op.rawValue, dtype: dtype) }
            let src = try converted(.bool).contiguous()
            let out = try NDArray(shape: shape, dtype: .bool)
            let s = src.pointer(as: UInt8.self), o = out.pointer(as: UInt8.self)
            parallelFor(count) { r in for i in r { o[i] = s[i] == 0 ? 1 : 0 } }
            return out
        }
        switch dtype {
        case .float32, .float64:
            let src = try contiguous()
            let out = try NDArray(shape: shape, dtype: dtype)
            if dtype == .float32 {
                NDArray.floatUnary(op, UnsafePointer(src.pointer(as: Float.self)), out.pointer(as: Float.self), count)
            } else {
                NDArray.floatUnary(op, UnsafePointer(src.pointer(as: Double.self)), out.pointer(as: Double.self), count)
            }
            return out
        case .float16, .bfloat16:
            return try to(.float32).unary(op).to(dtype)
        default:
            let keepsInt: Bool
            switch op {
            case .neg, .abs, .sign, .square, .relu, .floor, .ceil, .round: keepsInt = true
            default: keepsInt = false
            }
            if !keepsInt { return try to(.float64).unary(op).to(.float32) }
            if dtype == .bool {
                if op == .neg { throw TensorError.unsupportedDType(op: op.rawValue, dtype: dtype) }
                return try contiguousCopy()
            }
            let src = try to(.int64).contiguous()
            let out = try NDArray(shape: shape, dtype: .int64)
            let s = src.pointer(as: Int64.self), o = out.pointer(as: Int64.self)
            let n = count
            switch op {
            case .neg: parallelFor(n) { r in for i in r { o[i] = 0 &- s[i] } }
            case .abs: parallelFor(n) { r in for i in r { o[i] = s[i] < 0 ? 0 &- s[i] : s[i] } }
            case .sign: parallelFor(n) { r in for i in r { o[i] = s[i].signum() } }
            case .square: parallelFor(n) { r in for i in r { o[i] = s[i] &* s[i] } }
            case .relu: parallelFor(n) { r in for i in r { o[i] = Swift.max(s[i], 0) } }
            default: parallelFor(n) { r in for i in r { o[i] = s[i] } }
            }
            return try out.converted(dtype)
        }
    }

    @inline(__always)
    static func unaryLoop<T>(_ n: Int, _ s: UnsafePointer<T>, _ o: UnsafeMutablePointer<T>, grain: Int = 32_768, _ f: (T) -> T) {
        parallelFor(n, grain: grain) { r in for i in r { o[i] = f(s[i]) } }
    }

    static func floatUnary<T: KFloat>(_ op: UnaryOp, _ s: UnsafePointer<T>, _ o: UnsafeMutablePointer<T>, _ n: Int) {
        let g = 8192  // transcendental functions are ~10x costlier per element
        if T.self == Float.self {
            // float32: SIMD kernels of VectorMath (float64 stays on libm).
            let sf = UnsafeRawPointer(s).assumingMemoryBound(to: Float.self)
            let of = UnsafeMutableRawPointer(o).assumingMemoryBound(to: Float.self)
            switch op {
            case .exp: parallelFor(n, grain: 16_384) { r in vectorMap(sf, of, r, vexp) }; return
            case .tanh: parallelFor(n, grain: 16_384) { r in vectorMap(sf, of, r, vtanh) }; return
            case .sigmoid: parallelFor(n, grain: 16_384) { r in vectorMap(sf, of, r, vsigmoid) }; return
            default: break
            }
        }
        switch op {
        case .neg: unaryLoop(n, s, o) { -$0 }
        case .abs: unaryLoop(n, s, o) { Swift.abs($0) }
        case .exp: unaryLoop(n, s, o, grain: g) { T.kexp($0) }
        case .log: unaryLoop(n, s, o, grain: g) { T.klog($0) }
        case .sqrt: unaryLoop(n, s, o) { $0.squareRoot() }
        case .rsqrt: unaryLoop(n, s, o) { 1 / $0.squareRoot() }
        case .sin: unaryLoop(n, s, o, grain: g) { T.ksin($0) }
        case .cos: unaryLoop(n, s, o, grain: g) { T.kcos($0) }
        case .tan: unaryLoop(n, s, o, grain: g) { T.ktan($0) }
        case .tanh: unaryLoop(n, s, o, grain: g) { T.ktanh($0) }
        case .sigmoid: unaryLoop(n, s, o, grain: g) { 1 / (1 + T.kexp(-$0)) }
        case .relu: unaryLoop(n, s, o) { $0 < 0 ? 0 : $0 }
        case .sign: unaryLoop(n, s, o) { $0 > 0 ? 1 : ($0 < 0 ? -1 : $0) }
        case .floor: unaryLoop(n, s, o) { $0.rounded(.down) }
        case .ceil: unaryLoop(n, s, o) { $0.rounded(.up) }
        case .round: unaryLoop(n, s, o) { $0.rounded(.toNearestOrEven) }
        case .square: unaryLoop(n, s, o) { $0 * $0 }
        case .reciprocal: unaryLoop(n, s, o) { 1 / $0 }
        case .log1p: unaryLoop(n, s, o, grain: g) { T.klog1p($0) }
        case .expm1: unaryLoop(n, s, o, grain: g) { T.kexpm1($0) }
        case .erf: unaryLoop(n, s, o, grain: g) { T.kerf($0) }
        case .log2: unaryLoop(n, s, o, grain: g) { T.klog2($0) }
        case .exp2: unaryLoop(n, s, o, grain: g) { T.kexp2($0) }
        case .logicalNot: unaryLoop(n, s, o) { $0 == 0 ? 1 : 0 }  // unreachable for public callers (checked below)
        }
    }
}
