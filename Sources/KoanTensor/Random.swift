#if canImport(Glibc)
import Glibc
#endif

/// A key for counter-based random numbers (Philox4x32-10): element `i` of a draw depends
/// only on `(seed, stream, i)`, so results never depend on the thread count.
///
///     let x = try NDArray.randn([2, 3], key: RandomKey(seed: 42))
///     let y = try NDArray.randn([2, 3], key: RandomKey(seed: 42, stream: 1))  // independent
public struct RandomKey: Sendable, Equatable {
    public var seed: UInt64
    public var stream: UInt64
    public init(seed: UInt64, stream: UInt64 = 0) {
        self.seed = seed
        self.stream = stream
    }
}

/// The Philox4x32-10 block function (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3").
///
///     let w = Philox.block(counter: (0, 0, 0, 0), key: (0, 0))   // 4 random UInt32
public enum Philox {
    @inline(__always)
    public static func block(counter: (UInt32, UInt32, UInt32, UInt32), key: (UInt32, UInt32)) -> (UInt32, UInt32, UInt32, UInt32) {
        var (c0, c1, c2, c3) = counter
        var (k0, k1) = key
        for r in 0..<10 {
            let p0 = UInt64(0xD251_1F53) &* UInt64(c0)
            let p1 = UInt64(0xCD9E_8D57) &* UInt64(c2)
            let hi0 = UInt32(truncatingIfNeeded: p0 >> 32), lo0 = UInt32(truncatingIfNeeded: p0)
            let hi1 = UInt32(truncatingIfNeeded: p1 >> 32), lo1 = UInt32(truncatingIfNeeded: p1)
            c0 = hi1 ^ c1 ^ k0
            c1 = lo1
            c2 = hi0 ^ c3 ^ k1
            c3 = lo0
            if r < 9 {
                k0 = k0 &+ 0x9E37_79B9
                k1 = k1 &+ 0xBB67_AE85
            }
        }
        return (c0, c1, c2, c3)
    }

    /// The four words for element `index` of a draw with `key`.
    @inline(__always)
    static func words(_ key: RandomKey, _ index: Int) -> (UInt32, UInt32, UInt32, UInt32) {
        let i = UInt64(bitPattern: Int64(index))
        return block(counter: (UInt32(truncatingIfNeeded: i), UInt32(truncatingIfNeeded: i >> 32),
                               UInt32(truncatingIfNeeded: key.stream), UInt32(truncatingIfNeeded: key.stream >> 32)),
                     key: (UInt32(truncatingIfNeeded: key.seed), UInt32(truncatingIfNeeded: key.seed >> 32)))
    }

    /// 53-bit uniform in [0, 1) from two words.
    @inline(__always)
    static func unit(_ a: UInt32, _ b: UInt32) -> Double {
        let bits = (UInt64(a) << 32 | UInt64(b)) >> 11
        return Double(bits) * 0x1p-53
    }
}

extension NDArray {
    /// Standard normal samples by Box-Muller: Philox block `i / 2` gives two uniforms
    /// (64 bits each for float64, 32 bits each otherwise); element `i` takes the cosine
    /// (even `i`) or sine (odd `i`) branch.
    ///
    ///     let w = try NDArray.randn([256, 128], key: RandomKey(seed: 0))
    public static func randn(_ shape: [Int], key: RandomKey, dtype: DType = .float32) throws -> NDArray {
        try requireFloat(dtype, op: "randn")
        let out = try NDArray(shape: shape, dtype: dtype)
        let n = out.count
        if dtype == .float64 {
            let p = out.pointer(as: Double.self)
            parallelFor(n, grain: 4096) { r in
                var i = r.lowerBound
                while i < r.upperBound {
                    let w = Philox.words(key, i >> 1)
                    let u1 = 1.0 - Philox.unit(w.0, w.1)          // (0, 1]
                    let theta = 2.0 * Double.pi * Philox.unit(w.2, w.3)
                    let radius = (-2.0 * log(u1)).squareRoot()
                    if i & 1 == 0 {
                        p[i] = radius * cos(theta)
                        if i + 1 < r.upperBound { p[i + 1] = radius * sin(theta) }
                        i += 2
                    } else {
                        p[i] = radius * sin(theta)
                        i += 1
                    }
                }
            }
            return out
        }
        let f32 = dtype == .float32 ? out : try NDArray(shape: shape, dtype: .float32)
        let p = f32.pointer(as: Float.self)
        parallelFor(n, grain: 4096) { r in
            var i = r.lowerBound
            while i < r.upperBound {
                let w = Philox.words(key, i >> 1)
                let u1 = Float(Double(w.0) * 0x1p-32 + 0x1p-33)     // (0, 1)
                let theta = Float(2.0 * Double.pi * (Double(w.1) * 0x1p-32))
                let radius = (-2 * logf(u1)).squareRoot()
                if i & 1 == 0 {
                    p[i] = radius * cosf(theta)
                    if i + 1 < r.upperBound { p[i + 1] = radius * sinf(theta) }
                    i += 2
                } else {
                    p[i] = radius * sinf(theta)
                    i += 1
                }
            }
        }
        if dtype != .float32 { try convert(from: f32, into: out) }
        return out
    }

    /// Uniform samples in `[low, high)`.
    ///
    ///     let u = try NDArray.rand([3], key: RandomKey(seed: 1), low: -1, high: 1)
    public static func rand(_ shape: [Int], key: RandomKey, low: Double = 0, high: Double = 1, dtype: DType = .float32) throws -> NDArray {
        try requireFloat(dtype, op: "rand")
        guard low.isFinite && high.isFinite && low < high else {
            throw TensorError.invalidArgument(op: "rand", message: "need finite low < high, got low \(low) and high \(high)")
        }
        let out = try NDArray(shape: shape, dtype: dtype)
        let n = out.count
        let span = high - low
        switch dtype {
        case .float32:
            let p = out.pointer(as: Float.self)
            let lo = Float(low), hi = Float(high)
            parallelFor(n, grain: 4096) { r in
                for i in r {
                    let w = Philox.words(key, i)
                    var v = Float(low + span * Philox.unit(w.0, w.1))
                    if v >= hi { v = hi.nextDown }
                    if v < lo { v = lo }
                    p[i] = v
                }
            }
        case .float64:
            let p = out.pointer(as: Double.self)
            parallelFor(n, grain: 4096) { r in
                for i in r {
                    let w = Philox.words(key, i)
                    var v = low + span * Philox.unit(w.0, w.1)
                    if v >= high { v = high.nextDown }
                    p[i] = v
                }
            }
        default:
            // 16-bit formats: round, then step down one ulp if rounding reached `high`.
            parallelFor(n, grain: 4096) { r in
                for i in r {
                    let w = Philox.words(key, i)
                    out.storeDouble(low + span * Philox.unit(w.0, w.1), at: i)
                    if out.loadDouble(at: i) >= high {
                        let bits = out.pointer(as: UInt16.self)[i]
                        let negative = bits & 0x8000 != 0
                        out.pointer(as: UInt16.self)[i] = negative ? bits &+ 1 : (bits & 0x7FFF == 0 ? 0x8001 : bits &- 1)
                    }
                }
            }
        }
        return out
    }

    /// Uniform integers in `[low, high)`.
    ///
    ///     let labels = try NDArray.randint(low: 0, high: 10, shape: [32], key: RandomKey(seed: 7))
    public static func randint(low: Int64, high: Int64, shape: [Int], key: RandomKey, dtype: DType = .int64) throws -> NDArray {
        guard low < high else {
            throw TensorError.invalidArgument(op: "randint", message: "need low < high, got low \(low) and high \(high)")
        }
        let out = try NDArray(shape: shape, dtype: dtype)
        let span = UInt64(bitPattern: high &- low)
        parallelFor(out.count, grain: 4096) { r in
            for i in r {
                let w = Philox.words(key, i)
                let bits = UInt64(w.0) << 32 | UInt64(w.1)
                let v = low &+ Int64(bitPattern: bits.multipliedFullWidth(by: span).high)
                out.storeInt(v, at: i)
            }
        }
        return out
    }

    /// 1 with probability `p`, else 0 (dropout masks).
    ///
    ///     let mask = try NDArray.bernoulli([4, 4], p: 0.9, key: RandomKey(seed: 3))
    public static func bernoulli(_ shape: [Int], p: Double, key: RandomKey, dtype: DType = .float32) throws -> NDArray {
        guard p >= 0 && p <= 1 else {
            throw TensorError.invalidArgument(op: "bernoulli", message: "probability must be in [0, 1], got \(p)")
        }
        let out = try NDArray(shape: shape, dtype: dtype)
        parallelFor(out.count, grain: 4096) { r in
            for i in r {
                let w = Philox.words(key, i)
                out.storeInt(Philox.unit(w.0, w.1) < p ? 1 : 0, at: i)
            }
        }
        return out
    }

    /// A random permutation of `0..<n` (int64), by sorting random 64-bit keys.
    ///
    ///     let order = try NDArray.randperm(5, key: RandomKey(seed: 0))   // e.g. [3, 0, 4, 1, 2]
    public static func randperm(_ n: Int, key: RandomKey) throws -> NDArray {
        guard n >= 0 else { throw TensorError.invalidArgument(op: "randperm", message: "n must be non-negative, got \(n)") }
        let out = try NDArray(shape: [n], dtype: .int64)
        // The sort keys live in tensor storage too, so the memory limit covers them.
        let keyStorage = try NDArray(shape: [n], dtype: .int64)
        let k = keyStorage.baseAddress.assumingMemoryBound(to: UInt64.self)
        withExtendedLifetime(keyStorage) {
            parallelFor(n, grain: 4096) { r in
                for i in r {
                    let w = Philox.words(key, i)
                    k[i] = UInt64(w.0) << 32 | UInt64(w.1)
                }
            }
        }
        let p = out.pointer(as: Int64.self)
        for i in 0..<n { p[i] = Int64(i) }
        var idx = UnsafeMutableBufferPointer(start: p, count: n)
        withExtendedLifetime(keyStorage) {
            idx.sort { a, b in
                let ka = k[Int(a)], kb = k[Int(b)]
                return ka != kb ? ka < kb : a < b
            }
        }
        return out
    }

    static func requireFloat(_ dtype: DType, op: String) throws {
        guard dtype.isFloatingPoint else { throw TensorError.unsupportedDType(op: op, dtype: dtype) }
    }
}
