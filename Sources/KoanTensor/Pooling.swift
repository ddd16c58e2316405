// 2-D max and average pooling (NCHW or CHW) with their backward passes, as torch's
// max_pool2d / avg_pool2d with ceil_mode = false (and count_include_pad = true for average).

#if canImport(Glibc)
import Glibc
#endif

/// Validated pooling sizes.
fileprivate struct PoolGeometry {
    var planes = 0, H = 0, W = 0, OH = 0, OW = 0
    var kh = 0, kw = 0, sh = 0, sw = 0, ph = 0, pw = 0
    var outputShape: [Int] = []

    init(op: String, input: [Int], kernel: (Int, Int), stride: (Int, Int)?, padding: (Int, Int)) throws {
        guard input.count == 4 || input.count == 3 else {
            throw TensorError.invalidArgument(op: op, message: "expected a 4-D input (N, C, H, W) or a 3-D input (C, H, W), got shape \(input)")
        }
        (kh, kw) = kernel
        (sh, sw) = stride ?? kernel
        (ph, pw) = padding
        guard kh >= 1, kw >= 1 else { throw TensorError.invalidArgument(op: op, message: "kernel size must be positive, got (\(kh), \(kw))") }
        guard sh >= 1, sw >= 1 else { throw TensorError.invalidArgument(op: op, message: "stride must be positive, got (\(sh), \(sw))") }
        guard ph >= 0, pw >= 0, ph <= kh / 2, pw <= kw / 2 else {
            throw TensorError.invalidArgument(op: op, message: "padding (\(ph), \(pw)) must be non-negative and at most half the kernel size (\(kh), \(kw))")
        }
        // The input shape may come from the caller (the backward passes): check it first.
        try ShapeArithmetic.elementCount(input, op: op)
        try ShapeArithmetic.product([kh, kw], op: op, what: "the kernel area")
        let r = input.count
        H = input[r - 2]
        W = input[r - 1]
        planes = input.dropLast(2).reduce(1, *)
        let paddedH = try ShapeArithmetic.sum([H, ph, ph], op: op, what: "the padded input height")
        let paddedW = try ShapeArithmetic.sum([W, pw, pw], op: op, what: "the padded input width")
        guard kh <= paddedH, kw <= paddedW else {
            throw TensorError.invalidArgument(op: op, message: "the kernel (\(kh)×\(kw)) is larger than the padded input (\(paddedH)×\(paddedW)) of shape \(input)")
        }
        OH = (paddedH - kh) / sh + 1
        OW = (paddedW - kw) / sw + 1
        outputShape = Array(input.dropLast(2)) + [OH, OW]
        try ShapeArithmetic.elementCount(outputShape, op: op)
    }

    /// Planes per parallel task: about 8,192 window reads each (one plane per task for large
    /// planes; the product is checked, since a huge geometry must not trap here).
    var planeGrain: Int {
        max(1, 8_192 / max(1, ShapeArithmetic.productIfRepresentable([OH * OW, kh, kw]) ?? Int.max))
    }

    /// Visits the average-pooling windows of one plane: the output offset, the input rows
    /// and columns inside the image, and the divisor (the window counted with its padding,
    /// torch's `count_include_pad=True`). Forward and backward share it.
    @inline(__always)
    func forEachAverageWindow(_ body: (_ out: Int, _ rows: Range<Int>, _ cols: Range<Int>, _ divisor: Int) -> Void) {
        for oh in 0..<OH {
            let h0 = oh * sh - ph
            let h1 = min(h0 + kh, H + ph)
            for ow in 0..<OW {
                let w0 = ow * sw - pw
                let w1 = min(w0 + kw, W + pw)
                body(oh * OW + ow, max(h0, 0)..<min(h1, H), max(w0, 0)..<min(w1, W), (h1 - h0) * (w1 - w0))
            }
        }
    }
}

fileprivate func poolDTypes(_ op: String, _ d: DType) throws -> DType {
    guard d.isFloatingPoint else { throw TensorError.unsupportedDType(op: op, dtype: d) }
    return d == .float64 ? .float64 : .float32
}

/// Max pooling over (kH, kW) windows of the last two axes of an (N, C, H, W) or (C, H, W)
/// input; windows start every `stride` (default: the kernel) with implicit −∞ padding.
/// Returns the maxima and their int64 flat indices `h·W + w` within each (n, c) plane,
/// like `torch.nn.functional.max_pool2d(..., return_indices=True)` (NaN wins).
///
///     let (y, idx) = try maxPool2d(x, kernel: (2, 2), stride: nil)   // [N, C, H/2, W/2]
public func maxPool2d(_ input: NDArray, kernel: (Int, Int), stride: (Int, Int)?, padding: (Int, Int) = (0, 0)) throws
    -> (values: NDArray, indices: NDArray) {
    let g = try PoolGeometry(op: "maxPool2d", input: input.shape, kernel: kernel, stride: stride, padding: padding)
    let work = try poolDTypes("maxPool2d", input.dtype)
    let x = try input.to(work).contiguous()
    let out = try NDArray(shape: g.outputShape, dtype: work)
    let idx = try NDArray(shape: g.outputShape, dtype: .int64)
    if work == .float32 {
        maxPoolKernel(Float.self, x, g, out, idx)
    } else {
        maxPoolKernel(Double.self, x, g, out, idx)
    }
    return (try out.to(input.dtype), idx)
}

fileprivate func maxPoolKernel<T: BinaryFloatingPoint>(_: T.Type, _ x: NDArray, _ g: PoolGeometry, _ out: NDArray, _ idx: NDArray) {
    let px = x.pointer(as: T.self), py = out.pointer(as: T.self), pi = idx.pointer(as: Int64.self)
    let HW = g.H * g.W, L = g.OH * g.OW
    let pairs = g.kh == 2 && g.kw == 2 && g.sh == 2 && g.sw == 2 && g.ph == 0 && g.pw == 0
    parallelFor(g.planes, grain: g.planeGrain) { r in
        for plane in r {
            let src = px + plane * HW
            if pairs {
                maxPool2x2Plane(src, g, py + plane * L, pi + plane * L)
                continue
            }
            for oh in 0..<g.OH {
                let h0 = oh * g.sh - g.ph
                let h1 = min(h0 + g.kh, g.H)
                let hs = max(h0, 0)
                for ow in 0..<g.OW {
                    let w0 = ow * g.sw - g.pw
                    let w1 = min(w0 + g.kw, g.W)
                    let ws = max(w0, 0)
                    var best = -T.infinity
                    var bestIndex = hs * g.W + ws
                    for ih in hs..<h1 {
                        for iw in ws..<w1 {
                            let v = src[ih * g.W + iw]
                            if v > best || v.isNaN { best = v; bestIndex = ih * g.W + iw }
                        }
                    }
                    py[plane * L + oh * g.OW + ow] = best
                    pi[plane * L + oh * g.OW + ow] = Int64(bestIndex)
                }
            }
        }
    }
}

/// One candidate of a max-pooling window, with the generic kernel's rule: a larger value or
/// a NaN replaces the current best.
@inline(__always)
fileprivate func poolCandidate<T: BinaryFloatingPoint>(_ v: T, _ at: Int, _ best: inout T, _ bestIndex: inout Int) {
    if v > best || v.isNaN {
        best = v
        bestIndex = at
    }
}

/// Max pooling of one plane with 2×2 windows, stride 2 and no padding: the four candidates
/// of each window are read directly, in the generic kernel's row-major order.
@inline(__always)
fileprivate func maxPool2x2Plane<T: BinaryFloatingPoint>(_ src: UnsafeMutablePointer<T>, _ g: PoolGeometry,
                                                         _ y: UnsafeMutablePointer<T>, _ idx: UnsafeMutablePointer<Int64>) {
    let W = g.W
    for oh in 0..<g.OH {
        let top = 2 * oh * W
        for ow in 0..<g.OW {
            let a = top + 2 * ow, b = a + W
            var best = -T.infinity, bestIndex = a
            poolCandidate(src[a], a, &best, &bestIndex)
            poolCandidate(src[a + 1], a + 1, &best, &bestIndex)
            poolCandidate(src[b], b, &best, &bestIndex)
            poolCandidate(src[b + 1], b + 1, &best, &bestIndex)
            y[oh * g.OW + ow] = best
            idx[oh * g.OW + ow] = Int64(bestIndex)
        }
    }
}

/// Gradient of `maxPool2d`: each output gradient is added at its recorded index.
///
///     let dx = try maxPool2dBackward(gradOutput: dy, indices: idx, inputShape: x.shape)
public func maxPool2dBackward(gradOutput: NDArray, indices: NDArray, inputShape: [Int]) throws -> NDArray {
    let op = "maxPool2dBackward"
    guard inputShape.count == 4 || inputShape.count == 3, inputShape.allSatisfy({ $0 >= 0 }) else {
        throw TensorError.invalidArgument(op: op, message: "expected a 4-D (N, C, H, W) or 3-D (C, H, W) input shape, got \(inputShape)")
    }
    try ShapeArithmetic.elementCount(inputShape, op: op)
    guard gradOutput.shape == indices.shape else {
        throw TensorError.shapeMismatch(op: op, lhs: gradOutput.shape, rhs: indices.shape, detail: "the gradient and the indices must have the same shape")
    }
    guard gradOutput.rank == inputShape.count, Array(gradOutput.shape.dropLast(2)) == Array(inputShape.dropLast(2)) else {
        throw TensorError.shapeMismatch(op: op, lhs: gradOutput.shape, rhs: inputShape, detail: "the leading dimensions of the gradient and the input differ")
    }
    guard indices.dtype.isInteger else { throw TensorError.unsupportedDType(op: op, dtype: indices.dtype) }
    let work = try poolDTypes(op, gradOutput.dtype)
    let dy = try gradOutput.to(work).contiguous()
    let ix = try indices.to(.int64).contiguous()
    let r = inputShape.count
    let HW = inputShape[r - 2] * inputShape[r - 1]
    let planes = inputShape.dropLast(2).reduce(1, *)
    let L = gradOutput.shape[r - 2] * gradOutput.shape[r - 1]
    let pi = ix.pointer(as: Int64.self)
    for i in 0..<(planes * L) where pi[i] < 0 || pi[i] >= HW {
        throw TensorError.indexOutOfRange(axis: r - 2, index: Int(pi[i]), size: HW)
    }
    let dx = try NDArray(shape: inputShape, dtype: work, zeroed: true)
    func run<T: BinaryFloatingPoint>(_: T.Type) {
        let pdy = dy.pointer(as: T.self), pdx = dx.pointer(as: T.self)
        parallelFor(planes, grain: max(1, 16_384 / max(1, L))) { range in
            for plane in range {
                for j in 0..<L { pdx[plane * HW + Int(pi[plane * L + j])] += pdy[plane * L + j] }
            }
        }
    }
    if work == .float32 { run(Float.self) } else { run(Double.self) }
    return try dx.to(gradOutput.dtype)
}

/// Average pooling over (kH, kW) windows (zero padding counted in the divisor, as torch's
/// default `count_include_pad=True`), on (N, C, H, W) or (C, H, W) input.
///
///     let y = try avgPool2d(x, kernel: (3, 3), stride: (2, 2), padding: (1, 1))
public func avgPool2d(_ input: NDArray, kernel: (Int, Int), stride: (Int, Int)?, padding: (Int, Int) = (0, 0)) throws -> NDArray {
    let g = try PoolGeometry(op: "avgPool2d", input: input.shape, kernel: kernel, stride: stride, padding: padding)
    let work = try poolDTypes("avgPool2d", input.dtype)
    let x = try input.to(work).contiguous()
    let out = try NDArray(shape: g.outputShape, dtype: work)
    func run<T: BinaryFloatingPoint>(_: T.Type) {
        let px = x.pointer(as: T.self), py = out.pointer(as: T.self)
        let HW = g.H * g.W, L = g.OH * g.OW
        parallelFor(g.planes, grain: g.planeGrain) { r in
            for plane in r {
                let src = px + plane * HW
                g.forEachAverageWindow { o, rows, cols, divisor in
                    var s: T = 0
                    for ih in rows {
                        for iw in cols { s += src[ih * g.W + iw] }
                    }
                    py[plane * L + o] = s / T(divisor)
                }
            }
        }
    }
    if work == .float32 { run(Float.self) } else { run(Double.self) }
    return try out.to(input.dtype)
}

/// Gradient of `avgPool2d`: each output gradient is spread evenly over its window.
///
///     let dx = try avgPool2dBackward(gradOutput: dy, inputShape: x.shape, kernel: (2, 2), stride: nil, padding: (0, 0))
public func avgPool2dBackward(gradOutput: NDArray, inputShape: [Int], kernel: (Int, Int), stride: (Int, Int)?, padding: (Int, Int)) throws -> NDArray {
    let op = "avgPool2dBackward"
    guard inputShape.allSatisfy({ $0 >= 0 }) else {
        throw TensorError.invalidArgument(op: op, message: "negative dimension in input shape \(inputShape)")
    }
    let g = try PoolGeometry(op: op, input: inputShape, kernel: kernel, stride: stride, padding: padding)
    guard gradOutput.shape == g.outputShape else {
        throw TensorError.shapeMismatch(op: op, lhs: gradOutput.shape, rhs: g.outputShape, detail: "the output gradient must have the pooling's output shape")
    }
    let work = try poolDTypes(op, gradOutput.dtype)
    let dy = try gradOutput.to(work).contiguous()
    let dx = try NDArray(shape: inputShape, dtype: work, zeroed: true)
    func run<T: BinaryFloatingPoint>(_: T.Type) {
        let pdy = dy.pointer(as: T.self), pdx = dx.pointer(as: T.self)
        let HW = g.H * g.W, L = g.OH * g.OW
        parallelFor(g.planes, grain: g.planeGrain) { r in
            for plane in r {
                let dst = pdx + plane * HW
                g.forEachAverageWindow { o, rows, cols, divisor in
                    let v = pdy[plane * L + o] / T(divisor)
                    for ih in rows {
                        for iw in cols { dst[ih * g.W + iw] += v }
                    }
                }
            }
        }
    }
    if work == .float32 { run(Float.self) } else { run(Double.self) }
    return try dx.to(gradOutput.dtype)
}
