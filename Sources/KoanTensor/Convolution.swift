// 2-D convolution (NCHW input, OIHW weight) by im2col + GEMM, and its backward.
// Stride-1 convolutions whose output is as wide as the input ("same" padding) build each
// im2col row as one shifted copy of the input plane; the input gradient of a stride-1
// convolution is itself a convolution (of the output gradient with the flipped weight),
// so it reuses the forward path instead of a scatter-add col2im.

/// Options of `conv2d` as in `torch.nn.functional.conv2d`: (height, width) pairs.
///
///     let o = Conv2dOptions(stride: (2, 2), padding: (1, 1))
///     let y = try conv2d(x, w, bias: b, o)
public struct Conv2dOptions: Sendable {
    public var stride: (Int, Int)
    public var padding: (Int, Int)
    public var dilation: (Int, Int)
    public var groups: Int

    public init(stride: (Int, Int) = (1, 1), padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1), groups: Int = 1) {
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
    }
}

/// Sizes of one convolution, validated.
fileprivate struct ConvGeometry {
    var batched: Bool
    var N = 0, C = 0, H = 0, W = 0, O = 0, Cg = 0, Og = 0, kh = 0, kw = 0
    var OH = 0, OW = 0, sh = 1, sw = 1, ph = 0, pw = 0, dh = 1, dw = 1, groups = 1
    var L: Int { OH * OW }
    var K: Int { Cg * kh * kw }
    var outputShape: [Int] { batched ? [N, O, OH, OW] : [O, OH, OW] }

    init(op: String, input: [Int], weight: [Int], _ o: Conv2dOptions) throws {
        guard input.count == 4 || input.count == 3 else {
            throw TensorError.invalidArgument(op: op, message: "expected a 4-D input (N, C, H, W) or a 3-D input (C, H, W), got shape \(input)")
        }
        guard weight.count == 4 else {
            throw TensorError.invalidArgument(op: op, message: "expected a 4-D weight (out channels, in channels / groups, kH, kW), got shape \(weight)")
        }
        batched = input.count == 4
        let x = batched ? input : [1] + input
        (N, C, H, W) = (x[0], x[1], x[2], x[3])
        (O, Cg, kh, kw) = (weight[0], weight[1], weight[2], weight[3])
        (sh, sw) = o.stride
        (ph, pw) = o.padding
        (dh, dw) = o.dilation
        groups = o.groups
        guard groups >= 1 else { throw TensorError.invalidArgument(op: op, message: "groups must be positive, got \(groups)") }
        guard sh >= 1, sw >= 1 else { throw TensorError.invalidArgument(op: op, message: "stride must be positive, got (\(sh), \(sw))") }
        guard dh >= 1, dw >= 1 else { throw TensorError.invalidArgument(op: op, message: "dilation must be positive, got (\(dh), \(dw))") }
        guard ph >= 0, pw >= 0 else { throw TensorError.invalidArgument(op: op, message: "padding must be non-negative, got (\(ph), \(pw))") }
        guard kh >= 1, kw >= 1 else {
            throw TensorError.invalidArgument(op: op, message: "kernel size must be positive, got weight shape \(weight)")
        }
        let expectedChannels = try ShapeArithmetic.product([Cg, groups], op: op, what: "the weight's input channels times groups")
        guard C == expectedChannels else {
            throw TensorError.shapeMismatch(op: op, lhs: input, rhs: weight,
                detail: "the input has \(C) channels but the weight expects \(expectedChannels) (\(Cg) per group × \(groups) groups)")
        }
        guard O % groups == 0 else {
            throw TensorError.shapeMismatch(op: op, lhs: input, rhs: weight,
                detail: "\(O) output channels are not divisible by \(groups) groups")
        }
        Og = O / groups
        let ekh = try ShapeArithmetic.sum([ShapeArithmetic.product([kh - 1, dh], op: op, what: "the dilated kernel height"), 1],
                                          op: op, what: "the dilated kernel height")
        let ekw = try ShapeArithmetic.sum([ShapeArithmetic.product([kw - 1, dw], op: op, what: "the dilated kernel width"), 1],
                                          op: op, what: "the dilated kernel width")
        let paddedH = try ShapeArithmetic.sum([H, ph, ph], op: op, what: "the padded input height")
        let paddedW = try ShapeArithmetic.sum([W, pw, pw], op: op, what: "the padded input width")
        guard ekh <= paddedH, ekw <= paddedW else {
            throw TensorError.shapeMismatch(op: op, lhs: input, rhs: weight,
                detail: "the kernel (\(ekh)×\(ekw) with dilation) is larger than the padded input (\(paddedH)×\(paddedW))")
        }
        OH = (paddedH - ekh) / sh + 1
        OW = (paddedW - ekw) / sw + 1
        // The output and the im2col buffer (K × OH·OW) must be countable before any loop runs.
        try ShapeArithmetic.elementCount(outputShape, op: op)
        try ShapeArithmetic.elementCount([Cg, kh, kw, OH, OW], op: op)
    }


    /// Images handled by one GEMM: several when the images are small, for a wider GEMM.
    var chunk: Int { max(1, min(N, 1024 / max(1, L))) }
    /// 1×1, stride 1, no padding: the input plane block is already the column matrix.
    var isPointwise: Bool { kh == 1 && kw == 1 && sh == 1 && sw == 1 && ph == 0 && pw == 0 }
    /// Stride 1 and the output as wide as the input: every im2col row of an image is the
    /// input plane shifted by one flat offset, so it is copied as one contiguous run.
    var isFlatShift: Bool { sh == 1 && sw == 1 && OW == W }

    /// For stride 1, the convolution whose output is this one's input gradient: it convolves
    /// the output gradient (N, O, OH, OW) with the flipped, transposed weight (C, O / groups,
    /// kH, kW) at padding `dilation·(k − 1) − padding`. Nil for other strides, or when the
    /// padding exceeds the dilated kernel extent (the adjoint then needs col2im).
    var inputGradientGeometry: ConvGeometry? {
        let eph = (kh - 1) * dh - ph, epw = (kw - 1) * dw - pw
        guard sh == 1, sw == 1, eph >= 0, epw >= 0 else { return nil }
        let o = Conv2dOptions(stride: (1, 1), padding: (eph, epw), dilation: (dh, dw), groups: groups)
        guard let t = try? ConvGeometry(op: "conv2dBackward", input: [N, O, OH, OW], weight: [C, Og, kh, kw], o),
              t.OH == H, t.OW == W else { return nil }
        return t
    }
}

@inline(__always)
fileprivate func ceilDiv(_ a: Int, _ b: Int) -> Int { a >= 0 ? (a + b - 1) / b : -((-a) / b) }

/// Range of output columns `ow` whose input column `ow*sw + off` lies in `0..<W`.
@inline(__always)
fileprivate func validRange(off: Int, stride s: Int, size: Int, outSize: Int) -> (Int, Int) {
    let lo = off >= 0 ? 0 : ceilDiv(-off, s)
    let hi = size - off <= 0 ? 0 : min(outSize, ceilDiv(size - off, s))
    return (min(lo, max(hi, 0)), max(hi, 0))
}

/// Copies `n` elements; short runs (the rows of small images) avoid a `memmove` call.
@inline(__always)
fileprivate func copyRun<T: NNBLASScalar>(_ dst: UnsafeMutablePointer<T>, _ src: UnsafePointer<T>, _ n: Int) {
    if n >= 64 {
        dst.update(from: src, count: n)
    } else {
        for j in 0..<n { dst[j] = src[j] }
    }
}

/// Sets `n` elements to zero.
@inline(__always)
fileprivate func zeroRun<T: NNBLASScalar>(_ dst: UnsafeMutablePointer<T>, _ n: Int) {
    if n >= 64 {
        dst.update(repeating: 0, count: n)
    } else {
        for j in 0..<n { dst[j] = 0 }
    }
}

/// One im2col row block (OH·OW values) of one image for the `isFlatShift` case: the plane
/// shifted by (offH, offW), zero where the shifted position falls outside the image. The
/// valid rows are copied as one run; the columns that wrapped around are zeroed after.
@inline(__always)
fileprivate func shiftedPlane<T: NNBLASScalar>(_ plane: UnsafePointer<T>, _ g: ConvGeometry, offH: Int, offW: Int,
                                               _ dst: UnsafeMutablePointer<T>) {
    let W = g.W
    let (r0, r1) = validRange(off: offH, stride: 1, size: g.H, outSize: g.OH)
    let (c0, c1) = validRange(off: offW, stride: 1, size: W, outSize: W)
    zeroRun(dst, r0 * W)
    if r1 > r0 {
        if c1 > c0 {
            let start = r0 * W + c0, end = (r1 - 1) * W + c1
            copyRun(dst + start, plane + start + offH * W + offW, end - start)
            if c0 > 0 || c1 < W {
                for r in r0..<r1 {
                    zeroRun(dst + r * W, c0)
                    zeroRun(dst + r * W + c1, W - c1)
                }
            }
        } else {
            zeroRun(dst + r0 * W, (r1 - r0) * W)
        }
    }
    zeroRun(dst + r1 * W, (g.OH - r1) * W)
}

/// One im2col row block of one image for any stride and padding, row by row.
@inline(__always)
fileprivate func stridedPlane<T: NNBLASScalar>(_ plane: UnsafePointer<T>, _ g: ConvGeometry, ki: Int, kj: Int,
                                               _ dst: UnsafeMutablePointer<T>) {
    let offW = kj * g.dw - g.pw
    let (lo, hi) = validRange(off: offW, stride: g.sw, size: g.W, outSize: g.OW)
    for oh in 0..<g.OH {
        let d = dst + oh * g.OW
        let ih = oh * g.sh - g.ph + ki * g.dh
        if ih < 0 || ih >= g.H {
            zeroRun(d, g.OW)
            continue
        }
        let src = plane + ih * g.W + offW
        zeroRun(d, lo)
        if g.sw == 1 {
            copyRun(d + lo, src + lo, hi - lo)
        } else {
            for ow in lo..<hi { d[ow] = src[ow * g.sw] }
        }
        zeroRun(d + hi, g.OW - hi)
    }
}

/// Fills col[K, cnt·L] (row = (c·kh + ki)·kw + kj, column = image·L + oh·OW + ow) from
/// images n0..<n0+cnt, channels c0..<c0+Cg of the contiguous input.
fileprivate func im2col<T: NNBLASScalar>(_ x: UnsafePointer<T>, _ g: ConvGeometry, n0: Int, cnt: Int, c0: Int,
                                         _ col: UnsafeMutablePointer<T>) {
    let L = g.L, ld = cnt * L, HW = g.H * g.W
    let flat = g.isFlatShift
    parallelFor(cnt * g.Cg, grain: max(1, 16_384 / max(1, g.kh * g.kw * L))) { range in
        for task in range {
            let i = task / g.Cg, c = task % g.Cg
            let plane = x + ((n0 + i) * g.C + c0 + c) * HW
            for ki in 0..<g.kh {
                for kj in 0..<g.kw {
                    let dst = col + ((c * g.kh + ki) * g.kw + kj) * ld + i * L
                    if flat {
                        shiftedPlane(plane, g, offH: ki * g.dh - g.ph, offW: kj * g.dw - g.pw, dst)
                    } else {
                        stridedPlane(plane, g, ki: ki, kj: kj, dst)
                    }
                }
            }
        }
    }
}

/// Adds col[K, cnt·L] back into the gradient images (the adjoint of `im2col`); used for the
/// input gradient of strided convolutions.
fileprivate func col2im<T: NNBLASScalar>(_ col: UnsafePointer<T>, _ g: ConvGeometry, n0: Int, cnt: Int, c0: Int,
                                         _ dx: UnsafeMutablePointer<T>) {
    let L = g.L, ld = cnt * L, HW = g.H * g.W
    let tasks = cnt * g.Cg
    parallelFor(tasks, grain: max(1, 16_384 / max(1, g.kh * g.kw * L))) { range in
        for task in range {
            let i = task / g.Cg, c = task % g.Cg
            let plane = dx + ((n0 + i) * g.C + c0 + c) * HW
            for ki in 0..<g.kh {
                for kj in 0..<g.kw {
                    let row = (c * g.kh + ki) * g.kw + kj
                    let s = col + row * ld + i * L
                    let offW = kj * g.dw - g.pw
                    let (lo, hi) = validRange(off: offW, stride: g.sw, size: g.W, outSize: g.OW)
                    for oh in 0..<g.OH {
                        let ih = oh * g.sh - g.ph + ki * g.dh
                        if ih < 0 || ih >= g.H { continue }
                        let srow = s + oh * g.OW
                        let drow = plane + ih * g.W + offW
                        if g.sw == 1 {
                            for ow in lo..<hi { drow[ow] += srow[ow] }
                        } else {
                            for ow in lo..<hi { drow[ow * g.sw] += srow[ow] }
                        }
                    }
                }
            }
        }
    }
}

/// GEMM that tolerates empty sizes (k == 0 gives beta·C).
@inline(__always)
fileprivate func convGemm<T: NNBLASScalar>(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                                           a: UnsafePointer<T>, lda: Int, b: UnsafePointer<T>, ldb: Int,
                                           beta: T, c: UnsafeMutablePointer<T>, ldc: Int) {
    if m == 0 || n == 0 { return }
    if k == 0 {
        if beta == 0 { for i in 0..<m { (c + i * ldc).update(repeating: 0, count: n) } }
        return
    }
    T.nnGemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 1, a: a, lda: max(1, lda), b: b, ldb: max(1, ldb),
             beta: beta, c: c, ldc: max(1, ldc))
}

/// Copies the NCHW planes of group `grp`, images n0..<n0+cnt, into an [Og, cnt·L] matrix
/// (row = channel, column = image·L + position), the layout the GEMMs of a chunk use.
fileprivate func gatherChunk<T: NNBLASScalar>(_ y: UnsafePointer<T>, _ g: ConvGeometry, n0: Int, cnt: Int, grp: Int,
                                              _ m: UnsafeMutablePointer<T>) {
    let L = g.L, ld = cnt * L
    parallelFor(cnt * g.Og, grain: max(1, 16_384 / max(1, L))) { r in
        for t in r {
            let i = t / g.Og, oc = t % g.Og
            copyRun(m + oc * ld + i * L, y + ((n0 + i) * g.O + grp * g.Og + oc) * L, L)
        }
    }
}

/// The inverse of `gatherChunk`: writes an [Og, cnt·L] GEMM result into the NCHW output
/// planes, adding the per-channel bias when there is one.
fileprivate func scatterChunk<T: NNBLASScalar>(_ m: UnsafePointer<T>, _ g: ConvGeometry, n0: Int, cnt: Int, grp: Int,
                                               bias: UnsafePointer<T>?, _ y: UnsafeMutablePointer<T>) {
    let L = g.L, ld = cnt * L
    parallelFor(cnt * g.Og, grain: max(1, 16_384 / max(1, L))) { r in
        for t in r {
            let i = t / g.Og, oc = t % g.Og
            let src = m + oc * ld + i * L, dst = y + ((n0 + i) * g.O + grp * g.Og + oc) * L
            if let bias {
                let v = bias[grp * g.Og + oc]
                for j in 0..<L { dst[j] = src[j] + v }
            } else {
                copyRun(dst, src, L)
            }
        }
    }
}

/// Adds the per-channel bias to the output planes of group `grp` of images n0..<n0+cnt.
fileprivate func addBias<T: NNBLASScalar>(_ bias: UnsafePointer<T>, _ g: ConvGeometry, n0: Int, cnt: Int, grp: Int,
                                          _ y: UnsafeMutablePointer<T>) {
    let L = g.L
    parallelFor(cnt * g.Og, grain: max(1, 32_768 / max(1, L))) { r in
        for t in r {
            let i = t / g.Og, oc = grp * g.Og + t % g.Og
            let v = bias[oc], p = y + ((n0 + i) * g.O + oc) * L
            for j in 0..<L { p[j] += v }
        }
    }
}

/// The float dtype a convolution computes in, and the dtype it returns.
fileprivate func convDTypes(_ op: String, _ dtypes: [DType]) throws -> (work: DType, result: DType) {
    var d = dtypes[0]
    for t in dtypes.dropFirst() { d = DType.promote(d, t) }
    for t in dtypes where !t.isFloatingPoint { throw TensorError.unsupportedDType(op: op, dtype: t) }
    return (d == .float64 ? .float64 : .float32, d)
}

/// 2-D convolution (cross-correlation, as `torch.nn.functional.conv2d`): input (N, C, H, W)
/// or (C, H, W), weight (O, C / groups, kH, kW), optional bias (O). Computed per group by
/// im2col + GEMM (sgemm for float32, dgemm for float64; float16/bfloat16 via float32).
/// Output (N, O, OH, OW) with OH = (H + 2·padH − dilH·(kH − 1) − 1) / strideH + 1.
///
///     let x = try NDArray.zeros([8, 3, 32, 32]), w = try NDArray.zeros([16, 3, 3, 3])
///     let y = try conv2d(x, w, bias: nil, Conv2dOptions(padding: (1, 1)))   // [8, 16, 32, 32]
public func conv2d(_ input: NDArray, _ weight: NDArray, bias: NDArray?, _ o: Conv2dOptions) throws -> NDArray {
    let g = try ConvGeometry(op: "conv2d", input: input.shape, weight: weight.shape, o)
    if let b = bias, b.count != g.O || b.rank != 1 {
        throw TensorError.shapeMismatch(op: "conv2d", lhs: b.shape, rhs: [g.O], detail: "the bias must have one value per output channel")
    }
    let (work, result) = try convDTypes("conv2d", [input.dtype, weight.dtype] + (bias.map { [$0.dtype] } ?? []))
    let x = try input.to(work).contiguous(), w = try weight.to(work).contiguous()
    let bw = try bias.map { try $0.to(work).contiguous() }
    let out = try NDArray(shape: g.outputShape, dtype: work)
    if work == .float32 {
        try convForward(Float.self, x, w, bw, g, out)
    } else {
        try convForward(Double.self, x, w, bw, g, out)
    }
    return try out.to(result)
}

/// out = conv(x, w) + bias, chunk by chunk of images: im2col into one reused buffer, one
/// GEMM per (chunk, group), and (for several images) a copy into the NCHW output.
fileprivate func convForward<T: NNBLASScalar>(_: T.Type, _ x: NDArray, _ w: NDArray, _ bias: NDArray?,
                                              _ g: ConvGeometry, _ out: NDArray) throws {
    if out.count == 0 { return }
    try nnCheckBLASSize("conv2d", g.K, g.N * g.L, g.O)
    let px = UnsafePointer(x.pointer(as: T.self)), pw = UnsafePointer(w.pointer(as: T.self))
    let pb = bias.map { UnsafePointer($0.pointer(as: T.self)) }
    let py = out.pointer(as: T.self)
    let L = g.L, K = g.K, nb = g.chunk
    let col = g.isPointwise && nb == 1 ? nil : try NDArray(shape: [K, nb * L], dtype: T.nnDType)
    let tmp = nb > 1 ? try NDArray(shape: [g.Og, nb * L], dtype: T.nnDType) : nil
    var n0 = 0
    while n0 < g.N {
        let cnt = min(nb, g.N - n0)
        for grp in 0..<g.groups {
            let b: UnsafePointer<T>
            if let col {
                im2col(px, g, n0: n0, cnt: cnt, c0: grp * g.Cg, col.pointer(as: T.self))
                b = UnsafePointer(col.pointer(as: T.self))
            } else {
                b = px + (n0 * g.C + grp * g.Cg) * L
            }
            let c = tmp?.pointer(as: T.self) ?? py + (n0 * g.O + grp * g.Og) * L
            convGemm(transA: false, transB: false, m: g.Og, n: cnt * L, k: K, a: pw + grp * g.Og * K, lda: K,
                     b: b, ldb: cnt * L, beta: 0, c: c, ldc: cnt * L)
            if tmp != nil {
                scatterChunk(UnsafePointer(c), g, n0: n0, cnt: cnt, grp: grp, bias: pb, py)
            } else if let pb {
                addBias(pb, g, n0: n0, cnt: cnt, grp: grp, py)
            }
        }
        n0 += cnt
    }
    withExtendedLifetime((x, w, bias, col, tmp)) {}
}

/// Gradients of `conv2d` with respect to its input, weight and (when `hasBias`) bias, given
/// the gradient of its output. The weight gradient accumulates one GEMM per image chunk in a
/// fixed order, so results do not depend on the thread count.
///
///     let (dx, dw, db) = try conv2dBackward(gradOutput: dy, input: x, weight: w, hasBias: true, opts)
public func conv2dBackward(gradOutput: NDArray, input: NDArray, weight: NDArray, hasBias: Bool, _ o: Conv2dOptions) throws
    -> (input: NDArray, weight: NDArray, bias: NDArray?) {
    let p = try ConvBackwardProblem(gradOutput: gradOutput, input: input, weight: weight, o)
    return (try p.inputGradient(), try p.weightGradient(), hasBias ? try p.biasGradient() : nil)
}

/// `conv2dBackward` computing only the gradients asked for (nil for the others): autograd
/// skips the input gradient of a first layer, whose input is data.
///
///     let r = try conv2dBackward(gradOutput: dy, input: x, weight: w, hasBias: true,
///                                inputGradient: false, weightGradient: true, opts)   // r.input == nil
public func conv2dBackward(gradOutput: NDArray, input: NDArray, weight: NDArray, hasBias: Bool,
                           inputGradient: Bool, weightGradient: Bool, _ o: Conv2dOptions) throws
    -> (input: NDArray?, weight: NDArray?, bias: NDArray?) {
    let p = try ConvBackwardProblem(gradOutput: gradOutput, input: input, weight: weight, o)
    return (inputGradient ? try p.inputGradient() : nil, weightGradient ? try p.weightGradient() : nil,
            hasBias ? try p.biasGradient() : nil)
}

/// The validated operands of one convolution backward, in the working dtype.
fileprivate struct ConvBackwardProblem {
    let g: ConvGeometry
    let x: NDArray, w: NDArray, dy: NDArray
    let work: DType, result: DType
    let inputDType: DType, weightDType: DType

    init(gradOutput: NDArray, input: NDArray, weight: NDArray, _ o: Conv2dOptions) throws {
        g = try ConvGeometry(op: "conv2dBackward", input: input.shape, weight: weight.shape, o)
        guard gradOutput.shape == g.outputShape else {
            throw TensorError.shapeMismatch(op: "conv2dBackward", lhs: gradOutput.shape, rhs: g.outputShape,
                                            detail: "the output gradient must have the convolution's output shape")
        }
        (work, result) = try convDTypes("conv2dBackward", [gradOutput.dtype, input.dtype, weight.dtype])
        x = try input.to(work).contiguous()
        w = try weight.to(work).contiguous()
        dy = try gradOutput.to(work).contiguous()
        inputDType = input.dtype.isFloatingPoint ? input.dtype : result
        weightDType = weight.dtype.isFloatingPoint ? weight.dtype : result
    }

    /// dL/dinput, in the input's dtype.
    func inputGradient() throws -> NDArray {
        if work == .float32 {
            return try convInputGradient(Float.self, self).to(inputDType)
        }
        return try convInputGradient(Double.self, self).to(inputDType)
    }

    /// dL/dweight, in the weight's dtype.
    func weightGradient() throws -> NDArray {
        if work == .float32 {
            return try convWeightGradient(Float.self, self).to(weightDType)
        }
        return try convWeightGradient(Double.self, self).to(weightDType)
    }

    /// dL/dbias: the output gradient summed per channel (in float64 across images).
    func biasGradient() throws -> NDArray {
        let db = try NDArray(shape: [g.O], dtype: work, zeroed: true)
        if work == .float32 {
            convBiasGradient(Float.self, dy, g, db)
        } else {
            convBiasGradient(Double.self, dy, g, db)
        }
        return try db.to(result)
    }
}

fileprivate func convBiasGradient<T: NNBLASScalar>(_: T.Type, _ dy: NDArray, _ g: ConvGeometry, _ db: NDArray) {
    let L = g.L
    let pdy = dy.pointer(as: T.self), pdb = db.pointer(as: T.self)
    parallelFor(g.O, grain: max(1, 32_768 / max(1, g.N * L))) { r in
        for oc in r {
            var s = 0.0
            for n in 0..<g.N {
                let p = pdy + (n * g.O + oc) * L
                var part: T = 0
                for j in 0..<L { part += p[j] }
                s += Double(part)
            }
            pdb[oc] = T(s)
        }
    }
}

/// The weight of the input-gradient convolution of a stride-1 convolution:
/// W'[grp·Cg + c, o, i, j] = W[grp·Og + o, c, kh − 1 − i, kw − 1 − j].
fileprivate func flippedWeight<T: NNBLASScalar>(_: T.Type, _ w: NDArray, _ g: ConvGeometry) throws -> NDArray {
    let out = try NDArray(shape: [g.C, g.Og, g.kh, g.kw], dtype: T.nnDType)
    let src = w.pointer(as: T.self), dst = out.pointer(as: T.self)
    let kk = g.kh * g.kw
    for grp in 0..<g.groups {
        for o in 0..<g.Og {
            for c in 0..<g.Cg {
                let s = src + ((grp * g.Og + o) * g.Cg + c) * kk
                let d = dst + ((grp * g.Cg + c) * g.Og + o) * kk
                for t in 0..<kk { d[t] = s[kk - 1 - t] }
            }
        }
    }
    return out
}

/// dL/dx: for stride 1 the convolution of dY with the flipped weight (the forward path);
/// otherwise dcol = Wᵀ·dY per chunk, folded back by col2im.
fileprivate func convInputGradient<T: NNBLASScalar>(_: T.Type, _ p: ConvBackwardProblem) throws -> NDArray {
    let g = p.g
    if let t = g.inputGradientGeometry {
        let dx = try NDArray(shape: p.x.shape, dtype: p.work)
        let flipped = try flippedWeight(T.self, p.w, g)
        try convForward(T.self, p.dy, flipped, nil, t, dx)
        return dx
    }
    let dx = try NDArray(shape: p.x.shape, dtype: p.work, zeroed: true)
    if g.N == 0 || g.O == 0 { return dx }
    try nnCheckBLASSize("conv2dBackward", g.K, g.N * g.L, g.O)
    let L = g.L, K = g.K, nb = g.chunk
    let pw = UnsafePointer(p.w.pointer(as: T.self)), pdy = UnsafePointer(p.dy.pointer(as: T.self))
    let pdx = dx.pointer(as: T.self)
    let col = try NDArray(shape: [K, nb * L], dtype: T.nnDType)
    let tmp = nb > 1 ? try NDArray(shape: [g.Og, nb * L], dtype: T.nnDType) : nil
    var n0 = 0
    while n0 < g.N {
        let cnt = min(nb, g.N - n0)
        for grp in 0..<g.groups {
            let dyg = chunkOfGradient(pdy, g, n0: n0, cnt: cnt, grp: grp, tmp)
            let pc = col.pointer(as: T.self)
            convGemm(transA: true, transB: false, m: K, n: cnt * L, k: g.Og, a: pw + grp * g.Og * K, lda: K,
                     b: dyg, ldb: cnt * L, beta: 0, c: pc, ldc: cnt * L)
            col2im(UnsafePointer(pc), g, n0: n0, cnt: cnt, c0: grp * g.Cg, pdx)
        }
        n0 += cnt
    }
    withExtendedLifetime((p, col, tmp)) {}
    return dx
}

/// dY of group `grp`, images n0..<n0+cnt, as an [Og, cnt·L] matrix: in place for one image,
/// gathered into `tmp` for several.
fileprivate func chunkOfGradient<T: NNBLASScalar>(_ pdy: UnsafePointer<T>, _ g: ConvGeometry, n0: Int, cnt: Int, grp: Int,
                                                  _ tmp: NDArray?) -> UnsafePointer<T> {
    guard let tmp else { return pdy + (n0 * g.O + grp * g.Og) * g.L }
    gatherChunk(pdy, g, n0: n0, cnt: cnt, grp: grp, tmp.pointer(as: T.self))
    return UnsafePointer(tmp.pointer(as: T.self))
}

/// dL/dW = Σ over chunks of dY_g · colᵀ (one GEMM per chunk and group, in a fixed order).
fileprivate func convWeightGradient<T: NNBLASScalar>(_: T.Type, _ p: ConvBackwardProblem) throws -> NDArray {
    let g = p.g
    let dw = try NDArray(shape: p.w.shape, dtype: p.work, zeroed: g.N == 0)
    if g.N == 0 || g.O == 0 { return dw }
    try nnCheckBLASSize("conv2dBackward", g.K, g.N * g.L, g.O)
    let L = g.L, K = g.K, nb = g.chunk
    let px = UnsafePointer(p.x.pointer(as: T.self)), pdy = UnsafePointer(p.dy.pointer(as: T.self))
    let pdw = dw.pointer(as: T.self)
    let col = g.isPointwise && nb == 1 ? nil : try NDArray(shape: [K, nb * L], dtype: T.nnDType)
    let tmp = nb > 1 ? try NDArray(shape: [g.Og, nb * L], dtype: T.nnDType) : nil
    var n0 = 0
    while n0 < g.N {
        let cnt = min(nb, g.N - n0)
        for grp in 0..<g.groups {
            let dyg = chunkOfGradient(pdy, g, n0: n0, cnt: cnt, grp: grp, tmp)
            let b: UnsafePointer<T>
            if let col {
                im2col(px, g, n0: n0, cnt: cnt, c0: grp * g.Cg, col.pointer(as: T.self))
                b = UnsafePointer(col.pointer(as: T.self))
            } else {
                b = px + (n0 * g.C + grp * g.Cg) * L
            }
            convGemm(transA: false, transB: true, m: g.Og, n: K, k: cnt * L, a: dyg, lda: cnt * L, b: b, ldb: cnt * L,
                     beta: n0 == 0 ? 0 : 1, c: pdw + grp * g.Og * K, ldc: K)
        }
        n0 += cnt
    }
    withExtendedLifetime((p, col, tmp)) {}
    return dw
}
