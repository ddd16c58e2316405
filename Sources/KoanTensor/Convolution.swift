// 2-D convolution (NCHW input, OIHW weight) by im2col + GEMM, and its backward.

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
        guard C == Cg * groups else {
            throw TensorError.shapeMismatch(op: op, lhs: input, rhs: weight,
                detail: "the input has \(C) channels but the weight expects \(Cg * groups) (\(Cg) per group × \(groups) groups)")
        }
        guard O % groups == 0 else {
            throw TensorError.shapeMismatch(op: op, lhs: input, rhs: weight,
                detail: "\(O) output channels are not divisible by \(groups) groups")
        }
        Og = O / groups
        let ekh = (kh - 1) * dh + 1, ekw = (kw - 1) * dw + 1
        guard ekh <= H + 2 * ph, ekw <= W + 2 * pw else {
            throw TensorError.shapeMismatch(op: op, lhs: input, rhs: weight,
                detail: "the kernel (\(ekh)×\(ekw) with dilation) is larger than the padded input (\(H + 2 * ph)×\(W + 2 * pw))")
        }
        OH = (H + 2 * ph - ekh) / sh + 1
        OW = (W + 2 * pw - ekw) / sw + 1
    }

    /// Images handled by one GEMM: several when the images are small, for a wider GEMM.
    var chunk: Int { max(1, min(N, 1024 / max(1, L))) }
    /// 1×1, stride 1, no padding: the input plane block is already the column matrix.
    var isPointwise: Bool { kh == 1 && kw == 1 && sh == 1 && sw == 1 && ph == 0 && pw == 0 }
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

/// Fills col[K, cnt·L] (row = (c·kh + ki)·kw + kj, column = image·L + oh·OW + ow) from
/// images n0..<n0+cnt, channels c0..<c0+Cg of the contiguous input.
fileprivate func im2col<T: NNBLASScalar>(_ x: UnsafePointer<T>, _ g: ConvGeometry, n0: Int, cnt: Int, c0: Int,
                                         _ col: UnsafeMutablePointer<T>) {
    let L = g.L, ld = cnt * L, HW = g.H * g.W
    let tasks = cnt * g.Cg
    parallelFor(tasks, grain: max(1, 16_384 / max(1, g.kh * g.kw * L))) { range in
        for task in range {
            let i = task / g.Cg, c = task % g.Cg
            let plane = x + ((n0 + i) * g.C + c0 + c) * HW
            for ki in 0..<g.kh {
                for kj in 0..<g.kw {
                    let row = (c * g.kh + ki) * g.kw + kj
                    let dst = col + row * ld + i * L
                    let offW = kj * g.dw - g.pw
                    let (lo, hi) = validRange(off: offW, stride: g.sw, size: g.W, outSize: g.OW)
                    for oh in 0..<g.OH {
                        let d = dst + oh * g.OW
                        let ih = oh * g.sh - g.ph + ki * g.dh
                        if ih < 0 || ih >= g.H {
                            d.update(repeating: 0, count: g.OW)
                            continue
                        }
                        let src = plane + ih * g.W + offW
                        for ow in 0..<lo { d[ow] = 0 }
                        if g.sw == 1 {
                            if hi > lo { (d + lo).update(from: src + lo, count: hi - lo) }
                        } else {
                            for ow in lo..<hi { d[ow] = src[ow * g.sw] }
                        }
                        for ow in hi..<g.OW { d[ow] = 0 }
                    }
                }
            }
        }
    }
}

/// Adds col[K, cnt·L] back into the gradient images (the adjoint of `im2col`).
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

fileprivate func convForward<T: NNBLASScalar>(_: T.Type, _ x: NDArray, _ w: NDArray, _ bias: NDArray?,
                                              _ g: ConvGeometry, _ out: NDArray) throws {
    if out.count == 0 { return }
    try nnCheckBLASSize("conv2d", g.K, g.N * g.L, g.O)
    let px = UnsafePointer(x.pointer(as: T.self)), pw = UnsafePointer(w.pointer(as: T.self))
    let py = out.pointer(as: T.self)
    let L = g.L, K = g.K, nb = g.chunk
    let col = g.isPointwise && nb == 1 ? nil : try NDArray(shape: [K, nb * L], dtype: T.nnDType)
    let tmp = nb > 1 ? try NDArray(shape: [g.Og, nb * L], dtype: T.nnDType) : nil
    var n0 = 0
    while n0 < g.N {
        let cnt = min(nb, g.N - n0)
        for grp in 0..<g.groups {
            let wg = pw + grp * g.Og * K
            let b: UnsafePointer<T>
            if let col {
                im2col(px, g, n0: n0, cnt: cnt, c0: grp * g.Cg, col.pointer(as: T.self))
                b = UnsafePointer(col.pointer(as: T.self))
            } else {
                b = px + (n0 * g.C + grp * g.Cg) * L
            }
            if let tmp {
                let pt = tmp.pointer(as: T.self)
                convGemm(transA: false, transB: false, m: g.Og, n: cnt * L, k: K, a: wg, lda: K, b: b, ldb: cnt * L,
                         beta: 0, c: pt, ldc: cnt * L)
                for i in 0..<cnt {
                    for oc in 0..<g.Og {
                        (py + ((n0 + i) * g.O + grp * g.Og + oc) * L).update(from: pt + oc * cnt * L + i * L, count: L)
                    }
                }
            } else {
                convGemm(transA: false, transB: false, m: g.Og, n: L, k: K, a: wg, lda: K, b: b, ldb: L,
                         beta: 0, c: py + (n0 * g.O + grp * g.Og) * L, ldc: L)
            }
        }
        n0 += cnt
    }
    if let bias {
        let pb = bias.pointer(as: T.self)
        parallelFor(g.N * g.O, grain: max(1, 32_768 / max(1, L))) { r in
            for plane in r {
                let v = pb[plane % g.O]
                let p = py + plane * L
                for j in 0..<L { p[j] += v }
            }
        }
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
    let g = try ConvGeometry(op: "conv2dBackward", input: input.shape, weight: weight.shape, o)
    guard gradOutput.shape == g.outputShape else {
        throw TensorError.shapeMismatch(op: "conv2dBackward", lhs: gradOutput.shape, rhs: g.outputShape,
                                        detail: "the output gradient must have the convolution's output shape")
    }
    let (work, result) = try convDTypes("conv2dBackward", [gradOutput.dtype, input.dtype, weight.dtype])
    let x = try input.to(work).contiguous(), w = try weight.to(work).contiguous(), dy = try gradOutput.to(work).contiguous()
    let dx = try NDArray(shape: input.shape, dtype: work, zeroed: true)
    let dw = try NDArray(shape: weight.shape, dtype: work, zeroed: true)
    let db = hasBias ? try NDArray(shape: [g.O], dtype: work, zeroed: true) : nil
    if work == .float32 {
        try convBackward(Float.self, x, w, dy, g, dx, dw, db)
    } else {
        try convBackward(Double.self, x, w, dy, g, dx, dw, db)
    }
    return (try dx.to(input.dtype.isFloatingPoint ? input.dtype : result),
            try dw.to(weight.dtype.isFloatingPoint ? weight.dtype : result),
            try db.map { try $0.to(result) })
}

fileprivate func convBackward<T: NNBLASScalar>(_: T.Type, _ x: NDArray, _ w: NDArray, _ dy: NDArray, _ g: ConvGeometry,
                                               _ dx: NDArray, _ dw: NDArray, _ db: NDArray?) throws {
    let L = g.L, K = g.K, nb = g.chunk
    if let db {
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
    if g.N == 0 || g.O == 0 { return }
    try nnCheckBLASSize("conv2dBackward", g.K, g.N * g.L, g.O)
    let px = UnsafePointer(x.pointer(as: T.self)), pw = UnsafePointer(w.pointer(as: T.self))
    let pdy = UnsafePointer(dy.pointer(as: T.self))
    let pdx = dx.pointer(as: T.self), pdw = dw.pointer(as: T.self)
    let direct = g.isPointwise && nb == 1
    let col = direct ? nil : try NDArray(shape: [K, nb * L], dtype: T.nnDType)
    let tmp = nb > 1 ? try NDArray(shape: [g.Og, nb * L], dtype: T.nnDType) : nil
    var n0 = 0
    while n0 < g.N {
        let cnt = min(nb, g.N - n0)
        for grp in 0..<g.groups {
            let wg = pw + grp * g.Og * K, dwg = pdw + grp * g.Og * K
            // dY of this group as an [Og, cnt·L] matrix.
            let dyg: UnsafePointer<T>
            if let tmp {
                let pt = tmp.pointer(as: T.self)
                for i in 0..<cnt {
                    for oc in 0..<g.Og {
                        (pt + oc * cnt * L + i * L).update(from: pdy + ((n0 + i) * g.O + grp * g.Og + oc) * L, count: L)
                    }
                }
                dyg = UnsafePointer(pt)
            } else {
                dyg = pdy + (n0 * g.O + grp * g.Og) * L
            }
            if let col {
                let pc = col.pointer(as: T.self)
                im2col(px, g, n0: n0, cnt: cnt, c0: grp * g.Cg, pc)
                // dW_g += dY_g · colᵀ
                convGemm(transA: false, transB: true, m: g.Og, n: K, k: cnt * L, a: dyg, lda: cnt * L,
                         b: UnsafePointer(pc), ldb: cnt * L, beta: 1, c: dwg, ldc: K)
                // dcol = W_gᵀ · dY_g, then fold back into dX.
                convGemm(transA: true, transB: false, m: K, n: cnt * L, k: g.Og, a: wg, lda: K, b: dyg, ldb: cnt * L,
                         beta: 0, c: pc, ldc: cnt * L)
                col2im(UnsafePointer(pc), g, n0: n0, cnt: cnt, c0: grp * g.Cg, pdx)
            } else {
                let xg = px + (n0 * g.C + grp * g.Cg) * L
                convGemm(transA: false, transB: true, m: g.Og, n: K, k: L, a: dyg, lda: L, b: xg, ldb: L,
                         beta: 1, c: dwg, ldc: K)
                convGemm(transA: true, transB: false, m: K, n: L, k: g.Og, a: wg, lda: K, b: dyg, ldb: L,
                         beta: 0, c: pdx + (n0 * g.C + grp * g.Cg) * L, ldc: L)
            }
        }
        n0 += cnt
    }
    withExtendedLifetime((x, w, dy, col, tmp)) {}
}
