import CQuantKernels
import Foundation
import Synchronization

// Integer products for quantized Linear layers, on the C kernels of `CQuantKernels`.
//
// - Dynamic int8 (PyTorch's `quantize_dynamic` with the per-channel qconfig on x86/fbgemm):
//   weights int8 per output channel, symmetric; activations u8 per tensor per call with the
//   range reduced to 0…127 (`reduce_range`); products in int32, exact.
// - Weight-only int8 (per output channel) and int4 (per group of inputs), dequantised inside
//   the product in float32, for generation, whose matrix-vector products are memory-bound.
//
// Every instruction-set path computes the same integers, and each output column is written by
// one thread from the same formula, so dynamic int8 results do not depend on the path or on
// the thread count.

/// An instruction-set path of the integer kernels.
public enum IntegerPath: Int32, Sendable, CaseIterable, CustomStringConvertible {
    case portable = 0
    /// AVX2 + FMA: `vpmaddubsw` / `vpmaddwd`.
    case avx2 = 1
    /// AVX-512 with VNNI: `vpdpbusd`.
    case avx512vnni = 2

    public var description: String { String(cString: koan_q_isa_name(rawValue)) }
    /// Whether this CPU (and its OS) can run the path.
    public var isSupported: Bool { koan_q_isa_supported(rawValue) != 0 }
    /// The paths this machine runs.
    public static var supported: [IntegerPath] { allCases.filter(\.isSupported) }
}

/// The path the quantized layers use: the best the CPU supports (or `KOAN_QUANT_ISA`), or
/// the one set with `use(_:)` (tests and benches).
public enum IntegerKernels {
    private static let chosen = Atomic<Int32>(-1)

    public static var path: IntegerPath {
        let c = chosen.load(ordering: .relaxed)
        if c >= 0, let p = IntegerPath(rawValue: c) { return p }
        return IntegerPath(rawValue: koan_q_best_isa()) ?? .portable
    }

    /// Uses `path` from now on (nil: the best again); throws for a path this CPU lacks.
    public static func use(_ path: IntegerPath?) throws {
        guard let path else { chosen.store(-1, ordering: .relaxed); return }
        guard path.isSupported else {
            throw TensorError.invalidArgument(op: "quantize", message: "this CPU cannot run the \(path) kernels")
        }
        chosen.store(path.rawValue, ordering: .relaxed)
    }
}

/// Per-tensor affine parameters of u8 activations, chosen as fbgemm's
/// `ChooseQuantizationParams` does: the range [min, max] widened to include 0, the scale
/// `(max − min) / (qmax − qmin)` in double, the zero point nudged to an integer in [qmin, qmax]
/// from whichever end loses less.
public struct ActivationQuantization: Sendable, Equatable {
    public let scale: Float
    public let zeroPoint: Int32
    public let qmax: Int32

    public init(scale: Float, zeroPoint: Int32, qmax: Int32) {
        self.scale = scale; self.zeroPoint = zeroPoint; self.qmax = qmax
    }

    /// qmin 0; qmax 127 with `reduceRange` (what fbgemm's dynamic Linear uses), else 255.
    public static func choose(min lo: Float, max hi: Float, reduceRange: Bool = true) -> ActivationQuantization {
        let qmin = 0.0, qmax = reduceRange ? 127.0 : 255.0
        let mn = Double(Swift.min(lo, 0)), mx = Double(Swift.max(hi, 0))
        var scale = (mx - mn) / (qmax - qmin)
        if Float(scale) == 0 || !(1 / Float(scale)).isFinite { scale = 0.1 }
        let fromMin = qmin - mn / scale, fromMax = qmax - mx / scale
        let errMin = abs(qmin) - abs(mn / scale), errMax = abs(qmax) - abs(mx / scale)
        let initial = errMin < errMax ? fromMin : fromMax
        let zp: Double = initial < qmin ? qmin : initial > qmax ? qmax : initial.rounded(.toNearestOrEven)
        return ActivationQuantization(scale: Float(scale), zeroPoint: Int32(zp), qmax: Int32(qmax))
    }
}

/// Int8 weights, one symmetric scale per output channel (`[out, in]` int8 and `[out]`
/// float32: the state-dict form), packed for the integer kernels.
public struct Int8ChannelWeights: Sendable {
    public let values: NDArray
    public let scales: NDArray
    public var outFeatures: Int { values.shape[0] }
    public var inFeatures: Int { values.shape[1] }
    let packed: NDArray
    let columnSums: [Int32]

    /// Checks shapes and dtypes and packs; `values` int8 [out, in], `scales` float32 [out].
    public init(values: NDArray, scales: NDArray) throws {
        guard values.rank == 2, values.dtype == .int8, scales.shape == [values.shape[0]], scales.dtype == .float32 else {
            throw TensorError.invalidArgument(op: "quantize", message:
                "int8 weights must be int8 [out, in] with float32 scales [out], got \(values.dtype) \(values.shape) and \(scales.dtype) \(scales.shape)")
        }
        let v = try values.contiguous(), (n, k) = (v.shape[0], v.shape[1])
        self.values = v
        self.scales = try scales.contiguous()
        var packed = try NDArray(shape: [koan_q_packed_size(Int32(n), Int32(k))], dtype: .int8)
        try packed.makeUnique()
        koan_q_pack_s8(v.pointer(as: Int8.self), Int32(n), Int32(k), packed.pointer(as: Int8.self))
        self.packed = packed
        let w = v.pointer(as: Int8.self)
        columnSums = (0..<n).map { j in (0..<k).reduce(Int32(0)) { $0 + Int32(w[j * k + $1]) } }
    }

    /// PyTorch's per-channel symmetric int8 observer: scale = max(|min|, |max|) / 127.5 per
    /// row (at least float32's epsilon), zero point 0, q = clamp(round(w / scale), −128, 127).
    public static func quantize(_ weight: NDArray) throws -> Int8ChannelWeights {
        let w = try weight.to(.float32).contiguous()
        guard w.rank == 2 else { throw TensorError.invalidArgument(op: "quantize", message: "weights must be 2-D, got \(w.shape)") }
        let (n, k) = (w.shape[0], w.shape[1])
        var q = try NDArray(shape: [n, k], dtype: .int8), s = try NDArray(shape: [n], dtype: .float32)
        try q.makeUnique(); try s.makeUnique()
        let src = w.pointer(as: Float.self), dst = q.pointer(as: Int8.self), sc = s.pointer(as: Float.self)
        for j in 0..<n {
            var lo: Float = 0, hi: Float = 0
            for i in 0..<k { let x = src[j * k + i]; lo = Swift.min(lo, x); hi = Swift.max(hi, x) }
            let scale = Swift.max(Swift.max(-lo, hi) / 127.5, Float.ulpOfOne)
            sc[j] = scale
            let inv = 1 / scale
            for i in 0..<k {
                dst[j * k + i] = Int8(Swift.min(127, Swift.max(-128, (src[j * k + i] * inv).rounded(.toNearestOrEven))))
            }
        }
        return try Int8ChannelWeights(values: q, scales: s)
    }

    /// The float32 weights these stand for: values × scales.
    public func dequantized() throws -> NDArray {
        try values.to(.float32) * scales.reshaped([outFeatures, 1])
    }
}

/// Weights for weight-only products: int8 per output channel (`scales` [out]) or int4 in
/// groups of inputs (`values` [out, in/2] bytes, two inputs per byte, low nibble first, each
/// q − 8 in [−8, 7]; `scales` [out, in/group]). Symmetric: scale = max |w| / 127 (int8) or
/// / 7 (int4), q = round(w / scale).
public struct WeightOnlyWeights: Sendable {
    public enum Format: Sendable, Equatable {
        case int8
        case int4(groupSize: Int)
    }
    public let format: Format
    public let values: NDArray
    public let scales: NDArray
    public let outFeatures: Int
    public let inFeatures: Int

    public init(format: Format, values: NDArray, scales: NDArray, inFeatures k: Int) throws {
        let n = values.shape.first ?? 0
        let expected: ([Int], [Int])
        switch format {
        case .int8: expected = ([n, k], [n])
        case .int4(let g):
            guard g >= 32, g % 32 == 0, k % g == 0 else {
                throw TensorError.invalidArgument(op: "quantize", message:
                    "int4 groups must be a multiple of 32 that divides the input features (\(k)), got \(g)")
            }
            expected = ([n, k / 2], [n, k / g])
        }
        guard values.dtype == .int8, values.shape == expected.0, scales.dtype == .float32, scales.shape == expected.1 else {
            throw TensorError.invalidArgument(op: "quantize", message:
                "\(format) weights must be int8 \(expected.0) with float32 scales \(expected.1), got \(values.dtype) \(values.shape) and \(scales.dtype) \(scales.shape)")
        }
        self.format = format
        self.values = try values.contiguous()
        self.scales = try scales.contiguous()
        outFeatures = n
        inFeatures = k
    }

    public static func quantize(_ weight: NDArray, _ format: Format) throws -> WeightOnlyWeights {
        let w = try weight.to(.float32).contiguous()
        guard w.rank == 2 else { throw TensorError.invalidArgument(op: "quantize", message: "weights must be 2-D, got \(w.shape)") }
        let (n, k) = (w.shape[0], w.shape[1])
        let src = w.pointer(as: Float.self)
        switch format {
        case .int8:
            var q = try NDArray(shape: [n, k], dtype: .int8), s = try NDArray(shape: [n], dtype: .float32)
            try q.makeUnique(); try s.makeUnique()
            let dst = q.pointer(as: Int8.self), sc = s.pointer(as: Float.self)
            for j in 0..<n {
                let amax = (0..<k).reduce(Float(0)) { Swift.max($0, abs(src[j * k + $1])) }
                let scale: Float = amax > 0 ? amax / 127 : 1
                sc[j] = scale
                for i in 0..<k { dst[j * k + i] = Int8(Swift.min(127, Swift.max(-127, (src[j * k + i] / scale).rounded(.toNearestOrEven)))) }
            }
            return try WeightOnlyWeights(format: format, values: q, scales: s, inFeatures: k)
        case .int4(let g):
            guard g >= 32, g % 32 == 0, k % g == 0 else {
                throw TensorError.invalidArgument(op: "quantize", message:
                    "int4 groups must be a multiple of 32 that divides the input features (\(k)), got \(g)")
            }
            let groups = k / g
            var q = try NDArray(shape: [n, k / 2], dtype: .int8), s = try NDArray(shape: [n, groups], dtype: .float32)
            try q.makeUnique(); try s.makeUnique()
            let dst = UnsafeMutableRawPointer(q.pointer(as: Int8.self)).assumingMemoryBound(to: UInt8.self)
            let sc = s.pointer(as: Float.self)
            for j in 0..<n {
                for gi in 0..<groups {
                    let base = j * k + gi * g
                    let amax = (0..<g).reduce(Float(0)) { Swift.max($0, abs(src[base + $1])) }
                    let scale: Float = amax > 0 ? amax / 7 : 1
                    sc[j * groups + gi] = scale
                    for i in stride(from: 0, to: g, by: 2) {
                        func nibble(_ x: Float) -> UInt8 { UInt8(Swift.min(7, Swift.max(-8, (x / scale).rounded(.toNearestOrEven))) + 8) }
                        dst[(base + i) / 2] = nibble(src[base + i]) | nibble(src[base + i + 1]) << 4
                    }
                }
            }
            return try WeightOnlyWeights(format: format, values: q, scales: s, inFeatures: k)
        }
    }

    /// The float32 weights these stand for.
    public func dequantized() throws -> NDArray {
        switch format {
        case .int8:
            return try values.to(.float32) * scales.reshaped([outFeatures, 1])
        case .int4(let g):
            var out = try NDArray(shape: [outFeatures, inFeatures], dtype: .float32)
            try out.makeUnique()
            let dst = out.pointer(as: Float.self), sc = scales.pointer(as: Float.self)
            let src = UnsafeRawPointer(values.pointer(as: Int8.self)).assumingMemoryBound(to: UInt8.self)
            let groups = inFeatures / g
            for j in 0..<outFeatures {
                for i in 0..<inFeatures {
                    let byte = src[(j * inFeatures + i) / 2]
                    let q = Int(i % 2 == 0 ? byte & 0xF : byte >> 4) - 8
                    dst[j * inFeatures + i] = Float(q) * sc[j * groups + i / g]
                }
            }
            return out
        }
    }

    /// Bytes of the values and scales.
    public var byteCount: Int { values.count + scales.count * 4 }
}

/// What both quantized products start from: `x` as contiguous float32 rows [m, k] (any
/// leading shape, last axis k), the bias checked against n, and the zeroed output [*, n].
private struct LinearOperands {
    let x: NDArray, m: Int, bias: NDArray?
    var out: NDArray

    init(_ x: NDArray, k: Int, n: Int, bias: NDArray?) throws {
        let op = "quantized linear"
        guard x.rank >= 1, x.shape[x.rank - 1] == k else {
            throw TensorError.shapeMismatch(op: op, lhs: x.shape, rhs: [k], detail: "the last axis must have \(k) features")
        }
        self.x = try x.to(.float32).contiguous()
        m = k == 0 ? 0 : self.x.count / k
        self.bias = try biasValues(bias, n, op: op)
        out = try NDArray(shape: Array(x.shape.dropLast()) + [n], dtype: .float32)
        try out.makeUnique()
    }

    var biasPointer: UnsafePointer<Float>? { bias.map { UnsafePointer($0.pointer(as: Float.self)) } }
}

/// Runs `body(n0, n1)` over 16-column blocks of `0..<n` on the runtime's threads.
private func overColumns(_ n: Int, work perColumn: Int, _ body: (Int, Int) -> Void) {
    let blocks = (n + 15) / 16
    let grain = Swift.max(1, (1 << 18) / Swift.max(1, perColumn * 16))
    parallelFor(blocks, grain: grain) { r in body(r.lowerBound * 16, Swift.min(n, r.upperBound * 16)) }
}

/// The bias as float32 contiguous, checked against `n`.
private func biasValues(_ bias: NDArray?, _ n: Int, op: String) throws -> NDArray? {
    guard let bias else { return nil }
    guard bias.shape == [n] else { throw TensorError.shapeMismatch(op: op, lhs: bias.shape, rhs: [n], detail: "the bias must have \(n) values") }
    return try bias.to(.float32).contiguous()
}

/// `x · Wᵀ + b` with `x` quantized per tensor to u8 (0…127 with `reduceRange`, as fbgemm;
/// else 0…255) and int8 weights, int32 products: PyTorch's dynamic quantized Linear.
/// `x` [*, in] → [*, out] float32.
public func dynamicQuantizedLinear(_ x: NDArray, _ w: Int8ChannelWeights, bias: NDArray?, reduceRange: Bool = true,
                                   path: IntegerPath = IntegerKernels.path) throws -> NDArray {
    let (n, k) = (w.outFeatures, w.inFeatures)
    let o = try LinearOperands(x, k: k, n: n, bias: bias)
    let m = o.m, out = o.out
    guard m > 0, n > 0 else { return out }
    let src = o.x.pointer(as: Float.self)
    var lo: Float = 0, hi: Float = 0
    let finite = m * k == 0 || koan_q_range(src, m * k, &lo, &hi) != 0
    guard finite else {
        throw TensorError.invalidArgument(op: "quantized linear", message: "the input holds NaN or infinite values; they cannot be quantized")
    }
    let q = ActivationQuantization.choose(min: lo, max: hi, reduceRange: reduceRange)
    let lda = (k + 3) / 4 * 4
    var a = try NDArray(shape: [m * lda], dtype: .int8, zeroed: true)
    try a.makeUnique()
    let ap = UnsafeMutableRawPointer(a.pointer(as: Int8.self)).assumingMemoryBound(to: UInt8.self)
    let inv = 1 / q.scale
    for i in 0..<m { koan_q_quantize_u8(src + i * k, k, inv, q.zeroPoint, q.qmax, ap + i * lda) }
    let yp = out.pointer(as: Float.self), wp = w.packed.pointer(as: Int8.self), sp = w.scales.pointer(as: Float.self)
    let bp = o.biasPointer
    w.columnSums.withUnsafeBufferPointer { cs in
        overColumns(n, work: m * k) { n0, n1 in
            koan_q_linear_u8s8(path.rawValue, Int32(m), Int32(n), Int32(k), ap, Int32(lda), q.zeroPoint, q.scale,
                               wp, cs.baseAddress, sp, bp, yp, Int32(n), Int32(n0), Int32(n1))
        }
    }
    return out
}

/// `x · Wᵀ + b` with weights dequantised inside the product (float32 math).
public func weightOnlyLinear(_ x: NDArray, _ w: WeightOnlyWeights, bias: NDArray?,
                             path: IntegerPath = IntegerKernels.path) throws -> NDArray {
    let (n, k) = (w.outFeatures, w.inFeatures)
    let o = try LinearOperands(x, k: k, n: n, bias: bias)
    let m = o.m, out = o.out
    guard m > 0, n > 0 else { return out }
    let xp = o.x.pointer(as: Float.self), yp = out.pointer(as: Float.self), sp = w.scales.pointer(as: Float.self)
    let bp = o.biasPointer
    let wp = w.values.pointer(as: Int8.self)
    overColumns(n, work: m * k) { n0, n1 in
        switch w.format {
        case .int8:
            koan_q_linear_w8(path.rawValue, Int32(m), Int32(n), Int32(k), xp, Int32(k), wp, sp, bp, yp, Int32(n), Int32(n0), Int32(n1))
        case .int4(let g):
            let bytes = UnsafeRawPointer(wp).assumingMemoryBound(to: UInt8.self)
            koan_q_linear_w4(path.rawValue, Int32(m), Int32(n), Int32(k), Int32(g), xp, Int32(k), bytes, sp, bp, yp, Int32(n), Int32(n0), Int32(n1))
        }
    }
    return out
}
