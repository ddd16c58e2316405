import Foundation
import KoanAutograd
import KoanTensor

/// The ways a transformer knows token positions.
///
/// - `sinusoidal`: a fixed table added to the token embeddings (`sinusoidalTable`).
/// - `learned`: a trained table added to the token embeddings (`learnedPositionEmbedding`,
///   GPT-2's `wpe`, BERT's `position_embeddings`).
/// - `rope`: rotary embeddings applied to q and k inside attention (`applyRoPE`).
/// - `alibi`: a per-head linear distance penalty added to the scores (`alibiBias`).
///
///     let mha = try MultiHeadAttention(dim: 64, heads: 4, causal: true, positional: .rope)
public enum PositionalEncoding: Sendable, Equatable {
    case sinusoidal, learned, rope, alibi

    /// True for the encodings applied inside attention (`rope`, `alibi`).
    public var isInsideAttention: Bool { self == .rope || self == .alibi }
}

/// The sinusoidal table [length, dim] of "Attention Is All You Need":
/// PE[p, 2i] = sin(p / base^(2i/dim)), PE[p, 2i+1] = cos(p / base^(2i/dim)).
///
///     let pe = try sinusoidalTable(length: 128, dim: 64)   // add to [B, 128, 64] embeddings
public func sinusoidalTable(length: Int, dim: Int, base: Double = 10_000, offset: Int = 0, dtype: DType = .float32) throws -> Tensor {
    guard length >= 0, dim > 0, base > 0, offset >= 0 else {
        throw NNError.invalidArgument(layer: "sinusoidalTable", message:
            "need length >= 0, dim > 0, base > 0, offset >= 0, got \(length), \(dim), \(base), \(offset)")
    }
    // Computed in a float64 tensor: its allocation checks the size (ShapeArithmetic, memory limit).
    let table = try NDArray(shape: [length, dim], dtype: .float64)
    let values = table.pointer(as: Double.self)
    for p in 0..<length {
        for c in 0..<dim {
            let angle = (Double(p) + Double(offset)) / pow(base, Double(c - c % 2) / Double(dim))
            values[p * dim + c] = c % 2 == 0 ? sin(angle) : cos(angle)
        }
    }
    return Tensor(try table.to(dtype))
}

/// A learned position table: an `Embedding(maxLength, dim)` (weight [maxLength, dim]) that
/// is looked up with `positionIDs`.
///
///     let wpe = try learnedPositionEmbedding(maxLength: 1024, dim: 768)
///     let pos = try wpe(try positionIDs(length: 10))   // [10, 768]
public func learnedPositionEmbedding(maxLength: Int, dim: Int, key: RandomKey = RandomKey(seed: 0),
                                     dtype: DType = .float32) throws -> Embedding {
    try Embedding(maxLength, dim, key: key, dtype: dtype)
}

/// Position ids offset..<offset+length as int64 [length] (for `learnedPositionEmbedding`).
///
///     try positionIDs(length: 3, offset: 5).ints()   // [5, 6, 7]
public func positionIDs(length: Int, offset: Int = 0) throws -> Tensor {
    guard length >= 0, offset >= 0 else {
        throw NNError.invalidArgument(layer: "positionIDs", message: "length and offset must be >= 0, got \(length), \(offset)")
    }
    try ShapeArithmetic.sum([length, offset], op: "positionIDs", what: "the last position (offset + length)")
    let ids = try NDArray(shape: [length], dtype: .int64)
    let p = ids.pointer(as: Int64.self)
    for i in 0..<length { p[i] = Int64(i + offset) }
    return Tensor(ids)
}

/// The RoPE angle tables cos and sin [length, dim] (GPT-NeoX/LLaMA layout: the dim/2
/// frequencies θ_i = base^(-2i/dim) repeated twice), for positions offset..<offset+length.
///
///     let (cos, sin) = try ropeTables(length: 16, dim: 8)
public func ropeTables(length: Int, dim: Int, offset: Int = 0, base: Double = 10_000, dtype: DType = .float32) throws
    -> (cos: Tensor, sin: Tensor) {
    guard length >= 0, dim > 0, dim % 2 == 0, offset >= 0, base > 0 else {
        throw NNError.invalidArgument(layer: "rope", message:
            "need length >= 0, an even dim > 0, offset >= 0 and base > 0, got \(length), \(dim), \(offset), \(base)")
    }
    let half = dim / 2
    // Computed in float64 tensors: their allocation checks the size (ShapeArithmetic, memory limit).
    let cosTable = try NDArray(shape: [length, dim], dtype: .float64)
    let sinTable = try NDArray(shape: [length, dim], dtype: .float64)
    let c = cosTable.pointer(as: Double.self), s = sinTable.pointer(as: Double.self)
    for p in 0..<length {
        for i in 0..<half {
            let angle = (Double(p) + Double(offset)) * pow(base, -2 * Double(i) / Double(dim))
            c[p * dim + i] = cos(angle); c[p * dim + i + half] = cos(angle)
            s[p * dim + i] = sin(angle); s[p * dim + i + half] = sin(angle)
        }
    }
    return (Tensor(try cosTable.to(dtype)), Tensor(try sinTable.to(dtype)))
}

/// Rotary position embedding of x [..., T, D] (D even) with the rotate-half convention:
/// x·cos + rotate_half(x)·sin, rotate_half(x) = [−x₂, x₁] for the halves x₁, x₂. Position of
/// row t is `offset + t` (pass the KV-cache length when decoding). Recorded.
///
///     let qr = try applyRoPE(q)                 // q: [B, H, T, D]
///     let kr = try applyRoPE(kNew, offset: 12)  // new keys after 12 cached ones
public func applyRoPE(_ x: Tensor, offset: Int = 0, base: Double = 10_000) throws -> Tensor {
    guard x.rank >= 2, let d = x.shape.last, d % 2 == 0, d > 0 else {
        throw NNError.shapeMismatch(path: "", layer: "rope", expected: "[..., T, D] with D even", got: x.shape)
    }
    guard x.dtype.isFloatingPoint else {
        throw NNError.invalidArgument(layer: "rope", message: "expected a floating-point tensor, got \(x.dtype)")
    }
    let t = x.shape[x.rank - 2]
    let (c, s) = try ropeTables(length: t, dim: d, offset: offset, base: base, dtype: x.dtype)
    let halves = try x.split(sizes: [d / 2, d / 2], axis: -1)
    let rotated = try Tensor.concat([-halves[1], halves[0]], axis: -1)
    return try x * c + rotated * s
}

/// ALiBi head slopes: 2^(−8i/H) for i = 1...H when H is a power of two; otherwise the
/// paper's interpolation: the slopes of the nearest lower power of two n, then every other
/// slope of 2n for the remaining H − n heads.
///
///     alibiSlopes(heads: 4)   // [0.25, 0.0625, 0.015625, 0.00390625]
public func alibiSlopes(heads: Int) throws -> [Double] {
    guard heads > 0 else { throw NNError.invalidArgument(layer: "alibi", message: "heads must be positive, got \(heads)") }
    func powerOfTwo(_ n: Int) -> [Double] { (1...n).map { pow(2, -8 * Double($0) / Double(n)) } }
    var n = 1
    while n * 2 <= heads { n *= 2 }
    if n == heads { return powerOfTwo(n) }
    let extra = powerOfTwo(2 * n).enumerated().filter { $0.offset % 2 == 0 }.map(\.element)
    return powerOfTwo(n) + extra.prefix(heads - n)
}

/// The ALiBi score bias [H, Tq, Tk]: −slope_h · |(offset + i) − j| (query i at position
/// offset + i, as after a KV cache of `offset` tokens). Pass as `bias:` to `attention`.
///
///     let bias = try alibiBias(heads: 4, queryLength: 8, keyLength: 8)
///     let y = try attention(q, k, v, causal: true, bias: bias)
public func alibiBias(heads: Int, queryLength: Int, keyLength: Int, offset: Int? = nil, dtype: DType = .float32) throws -> Tensor {
    guard queryLength >= 0, keyLength >= 0 else {
        throw NNError.invalidArgument(layer: "alibi", message: "lengths must be >= 0, got \(queryLength), \(keyLength)")
    }
    let slopes = try alibiSlopes(heads: heads)
    let off = offset ?? (keyLength - queryLength)
    var values = [Double](repeating: 0, count: heads * queryLength * keyLength)
    for h in 0..<heads {
        for i in 0..<queryLength {
            for j in 0..<keyLength {
                values[(h * queryLength + i) * keyLength + j] = -slopes[h] * Double(abs(off + i - j))
            }
        }
    }
    return try Tensor(values: values, shape: [heads, queryLength, keyLength], dtype: dtype)
}
