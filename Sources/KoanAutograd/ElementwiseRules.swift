import KoanTensor
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Forward calls and gradient rules of the elementwise ops, side by side.

@inline(__always)
private func zeroLike(_ x: NDArray) throws -> NDArray { try NDArray.scalar(0, dtype: x.dtype) }

/// Gradient through a mask: `g` where `mask` is true, 0 elsewhere (in g's dtype).
@inline(__always)
func masked(_ g: NDArray, _ mask: NDArray) throws -> NDArray {
    try NDArray.where(mask, g, NDArray.scalar(0, dtype: g.dtype))
}

/// Gradient of relu at `x`: the fused kernel when `g` matches `x` in shape and float dtype,
/// else `g` masked by `x > 0`.
@inline(__always)
func reluGradient(_ g: NDArray, _ x: NDArray) throws -> NDArray {
    if g.shape == x.shape, g.dtype == x.dtype, x.dtype.isFloatingPoint {
        return try reluBackward(input: x, gradOutput: g)
    }
    return try masked(g, NDArray.binary(.gt, x, scalar: 0, scalarIsFloat: true))
}

extension Tensor {
    /// Elementwise unary op (same as `NDArray.unary`), differentiable where the math is;
    /// sign, floor, ceil, round and logicalNot have no gradient (no history).
    ///
    ///     let y = try x.unary(.tanh)
    public func unary(_ op: UnaryOp) throws -> Tensor {
        let out = try data.unary(op)
        guard let parents = recording(out, self) else { return Tensor(out, node: nil) }
        let x = data
        let rule: Node.Backward
        switch op {
        case .neg: rule = { g in [try -g] }
        case .abs: rule = { g in [try g * x.unary(.sign)] }
        case .exp: rule = { g in [try g * out] }
        case .log: rule = { g in [try g / x] }
        case .sqrt: rule = { g in [try g / (out * 2)] }
        case .rsqrt: rule = { g in [try g * (out * out * out) * -0.5] }
        case .sin: rule = { g in [try g * x.unary(.cos)] }
        case .cos: rule = { g in [try -(g * x.unary(.sin))] }
        case .tan: rule = { g in [try g * ((out * out) + 1)] }
        case .tanh: rule = { g in [try g * (1 - out * out)] }
        case .sigmoid: rule = { g in [try g * (out * (1 - out))] }
        case .relu: rule = { g in [try reluGradient(g, x)] }
        case .square: rule = { g in [try g * x * 2] }
        case .reciprocal: rule = { g in [try -(g * out * out)] }
        case .log1p: rule = { g in [try g / (x + 1)] }
        case .expm1: rule = { g in [try g * (out + 1)] }
        case .erf: rule = { g in [try g * (x * x).unary(.neg).unary(.exp) * (2 / Double.pi.squareRoot())] }
        case .log2: rule = { g in [try g / (x * 0.6931471805599453)] }
        case .exp2: rule = { g in [try g * out * 0.6931471805599453] }
        case .sign, .floor, .ceil, .round, .logicalNot:
            return Tensor(out, node: nil)
        }
        return Tensor(out, parents: parents, op: op.rawValue, backward: rule)
    }

    /// Elementwise binary op with broadcasting and dtype promotion (same as `NDArray.binary`).
    /// Comparisons, logical ops and floorDiv have no gradient.
    ///
    ///     let z = try Tensor.binary(.mul, x, y)
    public static func binary(_ op: BinaryOp, _ a: Tensor, _ b: Tensor) throws -> Tensor {
        let out = try NDArray.binary(op, a.data, b.data)
        guard let parents = recording(out, a, b) else { return Tensor(out, node: nil) }
        let sa = a.shape, sb = b.shape
        let needA = a.node != nil, needB = b.node != nil
        let rule: Node.Backward
        switch op {
        case .add:
            rule = { g in [needA ? try unbroadcast(g, to: sa) : nil, needB ? try unbroadcast(g, to: sb) : nil] }
        case .sub:
            rule = { g in [needA ? try unbroadcast(g, to: sa) : nil, needB ? try unbroadcast(-g, to: sb) : nil] }
        case .mul:
            let ad: NDArray? = needB ? a.data : nil, bd: NDArray? = needA ? b.data : nil
            rule = { g in [try bd.map { try unbroadcast(g * $0, to: sa) }, try ad.map { try unbroadcast(g * $0, to: sb) }] }
        case .div:
            let bd = b.data
            let o: NDArray? = needB ? out : nil
            rule = { g in
                let ga = try g / bd
                return [needA ? try unbroadcast(ga, to: sa) : nil, try o.map { try unbroadcast(-(ga * $0), to: sb) }]
            }
        case .pow:
            let ad = a.data, bd = b.data
            let o: NDArray? = needB ? out : nil
            rule = { g in
                var ga: NDArray? = nil, gb: NDArray? = nil
                if needA {
                    ga = try unbroadcast(g * bd * NDArray.binary(.pow, ad, bd - 1), to: sa)
                }
                if let o {
                    let isZero = try NDArray.binary(.eq, ad, scalar: 0, scalarIsFloat: true)
                    let logA = try NDArray.where(isZero, zeroLike(ad), ad.unary(.log))
                    gb = try unbroadcast(g * o * logA, to: sb)
                }
                return [ga, gb]
            }
        case .maximum, .minimum:
            let ad = a.data, bd = b.data
            let wins: BinaryOp = op == .maximum ? .gt : .lt
            rule = { g in
                // ties share the gradient equally, as torch does
                let half = try g * 0.5
                let tie = try NDArray.binary(.eq, ad, bd)
                let aWins = try NDArray.binary(wins, ad, bd)
                let bWins = try NDArray.binary(wins, bd, ad)
                let z = try zeroLike(g)
                let ga = needA ? try unbroadcast(NDArray.where(aWins, g, NDArray.where(tie, half, z)), to: sa) : nil
                let gb = needB ? try unbroadcast(NDArray.where(bWins, g, NDArray.where(tie, half, z)), to: sb) : nil
                return [ga, gb]
            }
        case .mod:
            let ad: NDArray? = needB ? a.data : nil, bd: NDArray? = needB ? b.data : nil
            rule = { g in
                var gb: NDArray? = nil
                if let ad, let bd { gb = try unbroadcast(-(g * NDArray.binary(.floorDiv, ad, bd)), to: sb) }
                return [needA ? try unbroadcast(g, to: sa) : nil, gb]
            }
        case .fmod:
            // fmod(a, b) = a - trunc(a / b)·b: d/da = 1, d/db = -trunc(a / b) = -(a - fmod(a, b)) / b.
            let ad: NDArray? = needB ? a.data : nil, bd: NDArray? = needB ? b.data : nil
            rule = { g in
                var gb: NDArray? = nil
                if let ad, let bd {
                    let q = try NDArray.binary(.div, NDArray.binary(.sub, ad, NDArray.binary(.fmod, ad, bd)), bd)
                    gb = try unbroadcast(-(g * q), to: sb)
                }
                return [needA ? try unbroadcast(g, to: sa) : nil, gb]
            }
        case .atan2:
            let ad = a.data, bd = b.data
            rule = { g in
                let den = try ad * ad + bd * bd
                let ga = needA ? try unbroadcast(g * bd / den, to: sa) : nil
                let gb = needB ? try unbroadcast(-(g * ad / den), to: sb) : nil
                return [ga, gb]
            }
        case .floorDiv, .eq, .ne, .lt, .le, .gt, .ge, .logicalAnd, .logicalOr:
            return Tensor(out, node: nil)
        }
        return Tensor(out, parents: parents, op: op.rawValue, backward: rule)
    }

    /// Binary op with a Swift scalar (same as `NDArray.binary(_:_:scalar:scalarIsFloat:scalarOnLeft:)`).
    ///
    ///     let y = try Tensor.binary(.pow, x, scalar: 2, scalarIsFloat: true)   // x ** 2
    public static func binary(_ op: BinaryOp, _ a: Tensor, scalar: Double, scalarIsFloat: Bool, scalarOnLeft: Bool = false) throws -> Tensor {
        let out = try NDArray.binary(op, a.data, scalar: scalar, scalarIsFloat: scalarIsFloat, scalarOnLeft: scalarOnLeft)
        return try scalarRule(op, a, scalar: scalar, onLeft: scalarOnLeft, out: out)
    }

    /// Records the rule of `a op s` (or `s op a` when `onLeft`) whose forward result is `out`.
    static func scalarRule(_ op: BinaryOp, _ a: Tensor, scalar s: Double, onLeft: Bool, out: NDArray) throws -> Tensor {
        guard let parents = recording(out, a) else { return Tensor(out, node: nil) }
        let sa = a.shape
        let rule: Node.Backward
        switch op {
        case .add: rule = { g in [try unbroadcast(g, to: sa)] }
        case .sub: rule = { g in [try unbroadcast(onLeft ? -g : g, to: sa)] }
        case .mul: rule = { g in [try unbroadcast(g * s, to: sa)] }
        case .div:
            if onLeft {
                let ad = a.data
                rule = { g in [try unbroadcast(-(g * out / ad), to: sa)] }
            } else {
                rule = { g in [try unbroadcast(g / s, to: sa)] }
            }
        case .pow:
            if onLeft {   // s ** a
                let logS = s == 0 ? 0 : log(s)
                rule = { g in [try unbroadcast(g * out * logS, to: sa)] }
            } else {      // a ** s
                let ad = a.data
                rule = { g in
                    if s == 0 { return [try unbroadcast(g * 0, to: sa)] }
                    return [try unbroadcast(g * NDArray.binary(.pow, ad, scalar: s - 1, scalarIsFloat: true) * s, to: sa)]
                }
            }
        case .maximum, .minimum:
            let ad = a.data
            let wins: BinaryOp = op == .maximum ? .gt : .lt
            rule = { g in
                let aWins = try NDArray.binary(wins, ad, scalar: s, scalarIsFloat: true)
                let tie = try NDArray.binary(.eq, ad, scalar: s, scalarIsFloat: true)
                return [try unbroadcast(NDArray.where(aWins, g, NDArray.where(tie, g * 0.5, zeroLike(g))), to: sa)]
            }
        case .mod:
            if onLeft {   // s mod a: d/da = -floor(s / a)
                let ad = a.data
                rule = { g in
                    let q = try NDArray.binary(.floorDiv, ad, scalar: s, scalarIsFloat: true, scalarOnLeft: true)
                    return [try unbroadcast(-(g * q), to: sa)]
                }
            } else {
                rule = { g in [try unbroadcast(g, to: sa)] }
            }
        case .fmod:
            if onLeft {   // fmod(s, a): d/da = -trunc(s / a) = -(s - fmod(s, a)) / a
                let ad = a.data
                rule = { g in
                    let r = try NDArray.binary(.fmod, ad, scalar: s, scalarIsFloat: true, scalarOnLeft: true)
                    let q = try (-(r - s)) / ad
                    return [try unbroadcast(-(g * q), to: sa)]
                }
            } else {
                rule = { g in [try unbroadcast(g, to: sa)] }
            }
        case .atan2:
            let ad = a.data
            rule = { g in
                let den = try ad * ad + s * s
                // atan2(a, s): d/da = s / (a² + s²); atan2(s, a): d/da = -s / (s² + a²)
                return [try unbroadcast(g * (onLeft ? -s : s) / den, to: sa)]
            }
        case .floorDiv, .eq, .ne, .lt, .le, .gt, .ge, .logicalAnd, .logicalOr:
            return Tensor(out, node: nil)
        }
        return Tensor(out, parents: parents, op: op.rawValue, backward: rule)
    }

    /// Elementwise select with broadcasting (same as `NDArray.where`); `cond` gets no gradient.
    ///
    ///     let y = try Tensor.where(Tensor.binary(.gt, x, scalar: 0, scalarIsFloat: true), x, x * 0.01)   // leaky relu
    public static func `where`(_ cond: Tensor, _ a: Tensor, _ b: Tensor) throws -> Tensor {
        let out = try NDArray.where(cond.data, a.data, b.data)
        guard let parents = recording(out, a, b) else { return Tensor(out, node: nil) }
        let c = cond.data, sa = a.shape, sb = b.shape
        let needA = a.node != nil, needB = b.node != nil
        return Tensor(out, parents: parents, op: "where") { g in
            let z = try zeroLike(g)
            let ga = needA ? try unbroadcast(NDArray.where(c, g, z), to: sa) : nil
            let gb = needB ? try unbroadcast(NDArray.where(c, z, g), to: sb) : nil
            return [ga, gb]
        }
    }

    /// Clamps into `[min, max]` (same as `NDArray.clamp`); the gradient passes where
    /// `min <= x <= max`, as torch.
    ///
    ///     let y = try x.clamp(min: 0, max: 6)   // relu6
    public func clamp(min lo: Double?, max hi: Double?) throws -> Tensor {
        let out = try data.clamp(min: lo, max: hi)
        guard let parents = recording(out, self) else { return Tensor(out, node: nil) }
        let x = data
        return Tensor(out, parents: parents, op: "clamp") { g in
            var r = g
            if let lo { r = try masked(r, NDArray.binary(.ge, x, scalar: lo, scalarIsFloat: true)) }
            if let hi { r = try masked(r, NDArray.binary(.le, x, scalar: hi, scalarIsFloat: true)) }
            return [r]
        }
    }

    /// Converts to `dtype`; between floating dtypes the gradient converts back.
    ///
    ///     let h = try x.to(.float16)
    public func to(_ target: DType) throws -> Tensor {
        let out = try data.to(target)
        guard let parents = recording(out, self) else { return Tensor(out, node: nil) }
        let src = dtype
        return Tensor(out, parents: parents, op: "to") { g in [try g.to(src)] }
    }

    /// A contiguous tensor with the same values (identity for the gradient).
    public func contiguous() throws -> Tensor {
        let out = try data.contiguous()
        guard let parents = recording(out, self) else { return Tensor(out, node: nil) }
        return Tensor(out, parents: parents, op: "contiguous") { g in [g] }
    }

    // MARK: operators

    /// `a + b` with broadcasting (throws on incompatible shapes).
    public static func + (a: Tensor, b: Tensor) throws -> Tensor { try binary(.add, a, b) }
    public static func - (a: Tensor, b: Tensor) throws -> Tensor { try binary(.sub, a, b) }
    public static func * (a: Tensor, b: Tensor) throws -> Tensor { try binary(.mul, a, b) }
    public static func / (a: Tensor, b: Tensor) throws -> Tensor { try binary(.div, a, b) }

    /// `x + 1.5`: the same promotion as NDArray's scalar operators.
    public static func + (a: Tensor, s: Double) throws -> Tensor { try scalarRule(.add, a, scalar: s, onLeft: false, out: a.data + s) }
    public static func - (a: Tensor, s: Double) throws -> Tensor { try scalarRule(.sub, a, scalar: s, onLeft: false, out: a.data - s) }
    public static func * (a: Tensor, s: Double) throws -> Tensor { try scalarRule(.mul, a, scalar: s, onLeft: false, out: a.data * s) }
    public static func / (a: Tensor, s: Double) throws -> Tensor { try scalarRule(.div, a, scalar: s, onLeft: false, out: a.data / s) }
    public static func + (s: Double, a: Tensor) throws -> Tensor { try scalarRule(.add, a, scalar: s, onLeft: true, out: s + a.data) }
    public static func - (s: Double, a: Tensor) throws -> Tensor { try scalarRule(.sub, a, scalar: s, onLeft: true, out: s - a.data) }
    public static func * (s: Double, a: Tensor) throws -> Tensor { try scalarRule(.mul, a, scalar: s, onLeft: true, out: s * a.data) }
    public static func / (s: Double, a: Tensor) throws -> Tensor { try scalarRule(.div, a, scalar: s, onLeft: true, out: s / a.data) }

    /// `x + 1` with an integer scalar: an integer tensor keeps its dtype (as NDArray's
    /// integer-scalar operators).
    public static func + (a: Tensor, s: Int) throws -> Tensor { try scalarRule(.add, a, scalar: Double(s), onLeft: false, out: a.data + s) }
    public static func - (a: Tensor, s: Int) throws -> Tensor { try scalarRule(.sub, a, scalar: Double(s), onLeft: false, out: a.data - s) }
    public static func * (a: Tensor, s: Int) throws -> Tensor { try scalarRule(.mul, a, scalar: Double(s), onLeft: false, out: a.data * s) }
    public static func / (a: Tensor, s: Int) throws -> Tensor { try scalarRule(.div, a, scalar: Double(s), onLeft: false, out: a.data / s) }
    public static func + (s: Int, a: Tensor) throws -> Tensor { try scalarRule(.add, a, scalar: Double(s), onLeft: true, out: s + a.data) }
    public static func - (s: Int, a: Tensor) throws -> Tensor { try scalarRule(.sub, a, scalar: Double(s), onLeft: true, out: s - a.data) }
    public static func * (s: Int, a: Tensor) throws -> Tensor { try scalarRule(.mul, a, scalar: Double(s), onLeft: true, out: s * a.data) }
    public static func / (s: Int, a: Tensor) throws -> Tensor { try scalarRule(.div, a, scalar: Double(s), onLeft: true, out: s / a.data) }

    /// `-x`.
    public static prefix func - (a: Tensor) throws -> Tensor { try a.unary(.neg) }
}
