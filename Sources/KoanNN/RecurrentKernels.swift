#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import KoanAutograd
import KoanTensor

// The fused recurrent layer: one autograd node per layer (`Tensor.custom`) whose forward
// runs the whole sequence and whose backward is hand-written backpropagation through time.
//
// Layout (batch first, torch's gate order):
//   x  [B, T, I]      wih [G·H, I]   whh [G·H, H]   bih, bhh [G·H]   h0, c0 [B, H]
//   G = 1 (RNN), 4 (LSTM: i, f, g, o), 3 (GRU: r, z, n)
// Forward: the input projections of all steps in one GEMM, xp = x·wihᵀ + b  [B·T, G·H]
// (b = bih + bhh, except GRU whose bhh stays on the hidden side because the n gate
// multiplies it by r); then per step hp = h·whhᵀ [B, G·H] (one GEMM) and the cell's
// element-wise update. The node's output packs the hidden states of all steps, and for
// the LSTM also the final cell state: [B, T, H] (RNN, GRU) or [B, T+1, H] (LSTM, slot T = c_T).
// Backward: per step (reversed) the gate gradients dG [B, G·H] and one GEMM for
// dh_{t-1} = dG_h·whh; afterwards one GEMM each for dx = dG_i·wih, dwih = dG_iᵀ·x,
// dwhh = dG_hᵀ·h_prev and the bias sums (ones·dG).

/// The float types the fused kernel runs on (float32 and float64).
protocol RecurrentFloat: BinaryFloatingPoint {
    static var recurrentDType: DType { get }
    static func recurrentTanh(_ x: Self) -> Self
    static func recurrentExp(_ x: Self) -> Self
}

extension Float: RecurrentFloat {
    static var recurrentDType: DType { .float32 }
    @inline(__always) static func recurrentTanh(_ x: Float) -> Float { tanhf(x) }
    @inline(__always) static func recurrentExp(_ x: Float) -> Float { expf(x) }
}

extension Double: RecurrentFloat {
    static var recurrentDType: DType { .float64 }
    @inline(__always) static func recurrentTanh(_ x: Double) -> Double { tanh(x) }
    @inline(__always) static func recurrentExp(_ x: Double) -> Double { exp(x) }
}

@inline(__always)
func recurrentSigmoid<S: RecurrentFloat>(_ x: S) -> S { 1 / (1 + S.recurrentExp(-x)) }

/// One layer's arrays as handed to the kernel (all of one float dtype, h0/c0 contiguous [B, H]).
struct RecurrentLayerArrays {
    var x: NDArray
    var wih: NDArray
    var whh: NDArray
    var bih: NDArray?
    var bhh: NDArray?
    var h0: NDArray
    var c0: NDArray?
}

/// The arrays the forward pass keeps for backward.
struct RecurrentSaved {
    var arrays: RecurrentLayerArrays
    /// [B, T, H] or [B, T+1, H] (LSTM): the node's output.
    var packed: NDArray
    /// Gate activations [B·T, G·H] (LSTM: i, f, g, o; GRU: r, z, n); unused for the RNN.
    var gates: NDArray?
    /// LSTM cell states c_1...c_T [B·T, H].
    var cells: NDArray?
    /// LSTM tanh(c_t) [B·T, H] (kept so backward need not recompute it).
    var tanhCells: NDArray?
    /// GRU's hidden-side n pre-activation W_hn·h + b_hn [B·T, H].
    var hiddenN: NDArray?
}

/// The fused forward and backward of one recurrent layer for float type `S`.
struct RecurrentKernel<S: RecurrentFloat> {
    let mode: RecurrentMode
    let batch: Int
    let steps: Int
    let inputSize: Int
    let hidden: Int

    var gateCount: Int { mode.gateCount }
    /// Batch rows per thread chunk of the element-wise step (about 16k gate values; small
    /// batches run inline).
    var rowGrain: Int { Swift.max(1, 16_384 / Swift.max(1, gateCount * hidden)) }
    /// Time slots of the packed output (LSTM keeps c_T in an extra one).
    var slots: Int { mode == .lstm ? steps + 1 : steps }

    /// A [rows, cols] view of `a`'s storage with row stride `ld`, starting `offset` elements in.
    func view(_ a: NDArray, rows: Int, cols: Int, ld: Int, offset: Int) -> NDArray {
        NDArray(storage: a.storage, dtype: a.dtype, shape: [rows, cols], strides: [ld, 1], offset: a.offset + offset)
    }

    func forward(_ arrays: RecurrentLayerArrays) throws -> RecurrentSaved {
        let B = batch, T = steps, I = inputSize, H = hidden, G = gateCount, GH = G * H
        let dtype = S.recurrentDType
        let x2 = try arrays.x.reshaped([B * T, I])

        // Input projections of every step, biases folded in (GRU keeps bhh for the hidden side).
        var xp = try NDArray(shape: [B * T, GH], dtype: dtype)
        if let bih = arrays.bih {
            let bi = try bih.contiguous()
            var row = [S](repeating: 0, count: GH)
            withExtendedLifetime(bi) { let p = bi.pointer(as: S.self); for k in 0..<GH { row[k] = p[k] } }
            if mode != .gru, let bhh = arrays.bhh {
                let bh = try bhh.contiguous()
                withExtendedLifetime(bh) { let p = bh.pointer(as: S.self); for k in 0..<GH { row[k] += p[k] } }
            }
            let p = xp.pointer(as: S.self)
            row.withUnsafeBufferPointer { r in
                guard let base = r.baseAddress else { return }
                for i in 0..<(B * T) { (p + i * GH).update(from: base, count: GH) }
            }
            try gemm(x2, transA: false, arrays.wih, transB: true, alpha: 1, beta: 1, into: &xp)
        } else {
            try gemm(x2, transA: false, arrays.wih, transB: true, alpha: 1, beta: 0, into: &xp)
        }

        let P = slots, ldo = P * H
        let packed = try NDArray(shape: [B, P, H], dtype: dtype)
        let gates: NDArray? = mode == .lstm || mode == .gru ? try NDArray(shape: [B * T, GH], dtype: dtype) : nil
        let cells: NDArray? = mode == .lstm ? try NDArray(shape: [B * T, H], dtype: dtype) : nil
        let tanhCells: NDArray? = mode == .lstm ? try NDArray(shape: [B * T, H], dtype: dtype) : nil
        let hiddenN: NDArray? = mode == .gru ? try NDArray(shape: [B * T, H], dtype: dtype) : nil
        var hp = try NDArray(shape: [B, GH], dtype: dtype)

        let xpP = xp.pointer(as: S.self)
        let outP = packed.pointer(as: S.self)
        let h0P = arrays.h0.pointer(as: S.self)
        let gP = gates?.pointer(as: S.self)
        let cP = cells?.pointer(as: S.self)
        let tcP = tanhCells?.pointer(as: S.self)
        let nP = hiddenN?.pointer(as: S.self)
        let c0P = arrays.c0?.pointer(as: S.self)
        let bhhC = mode == .gru ? try arrays.bhh?.contiguous() : nil
        let bhP = bhhC?.pointer(as: S.self)

        for t in 0..<T {
            let hPrev = t == 0 ? arrays.h0 : view(packed, rows: B, cols: H, ld: ldo, offset: (t - 1) * H)
            try gemm(hPrev, transA: false, arrays.whh, transB: true, alpha: 1, beta: 0, into: &hp)
            let hpP = hp.pointer(as: S.self)
            parallelFor(B, grain: rowGrain) { rows in for b in rows {
                let xr = xpP + (b * T + t) * GH
                let hr = hpP + b * GH
                let o = outP + b * ldo + t * H
                switch mode {
                case .rnnTanh:
                    for j in 0..<H { o[j] = S.recurrentTanh(xr[j] + hr[j]) }
                case .rnnRelu:
                    for j in 0..<H { let v = xr[j] + hr[j]; o[j] = v > 0 ? v : 0 }
                case .lstm:
                    guard let gP, let cP, let tcP else { break }
                    let gr = gP + (b * T + t) * GH
                    let cNew = cP + (b * T + t) * H
                    let tcNew = tcP + (b * T + t) * H
                    let cPrev: UnsafeMutablePointer<S>? = t == 0 ? c0P.map { $0 + b * H } : cP + (b * T + t - 1) * H
                    for j in 0..<H {
                        let i = recurrentSigmoid(xr[j] + hr[j])
                        let f = recurrentSigmoid(xr[H + j] + hr[H + j])
                        let g = S.recurrentTanh(xr[2 * H + j] + hr[2 * H + j])
                        let og = recurrentSigmoid(xr[3 * H + j] + hr[3 * H + j])
                        let c = f * (cPrev?[j] ?? 0) + i * g
                        gr[j] = i; gr[H + j] = f; gr[2 * H + j] = g; gr[3 * H + j] = og
                        let tc = S.recurrentTanh(c)
                        cNew[j] = c
                        tcNew[j] = tc
                        o[j] = og * tc
                    }
                case .gru:
                    guard let gP, let nP else { break }
                    let gr = gP + (b * T + t) * GH
                    let nr = nP + (b * T + t) * H
                    let hPrevRow = t == 0 ? h0P + b * H : outP + b * ldo + (t - 1) * H
                    for j in 0..<H {
                        let br = bhP?[j] ?? 0, bz = bhP?[H + j] ?? 0, bn = bhP?[2 * H + j] ?? 0
                        let r = recurrentSigmoid(xr[j] + hr[j] + br)
                        let z = recurrentSigmoid(xr[H + j] + hr[H + j] + bz)
                        let hn = hr[2 * H + j] + bn
                        let n = S.recurrentTanh(xr[2 * H + j] + r * hn)
                        gr[j] = r; gr[H + j] = z; gr[2 * H + j] = n
                        nr[j] = hn
                        o[j] = (1 - z) * n + z * hPrevRow[j]
                    }
                }
            } }
        }
        if mode == .lstm, let cP {
            for b in 0..<B {
                (outP + b * ldo + T * H).update(from: cP + (b * T + T - 1) * H, count: H)
            }
        }
        withExtendedLifetime((xp, hp, bhhC)) {}
        return RecurrentSaved(arrays: arrays, packed: packed, gates: gates, cells: cells, tanhCells: tanhCells,
                             hiddenN: hiddenN)
    }

    /// Gradients for (x, wih, whh, bih, bhh, h0, c0) given the gradient `gradPacked` of the
    /// packed output; entries whose `need` flag is false come back nil.
    func backward(_ s: RecurrentSaved, gradPacked: NDArray,
                  need: (x: Bool, wih: Bool, whh: Bool, bih: Bool, bhh: Bool, h0: Bool, c0: Bool)) throws
        -> (x: NDArray?, wih: NDArray?, whh: NDArray?, bih: NDArray?, bhh: NDArray?, h0: NDArray?, c0: NDArray?) {
        let B = batch, T = steps, I = inputSize, H = hidden, G = gateCount, GH = G * H
        let dtype = S.recurrentDType
        let P = slots, ldo = P * H
        let g = try gradPacked.to(dtype).contiguous()
        let gradP = g.pointer(as: S.self)
        let outP = s.packed.pointer(as: S.self)
        let h0P = s.arrays.h0.pointer(as: S.self)
        let c0P = s.arrays.c0?.pointer(as: S.self)
        let gP = s.gates?.pointer(as: S.self)
        let cP = s.cells?.pointer(as: S.self)
        let tcP = s.tanhCells?.pointer(as: S.self)
        let nP = s.hiddenN?.pointer(as: S.self)

        let dGi = try NDArray(shape: [B * T, GH], dtype: dtype)
        let dGh = mode == .gru ? try NDArray(shape: [B * T, GH], dtype: dtype) : dGi
        let dGiP = dGi.pointer(as: S.self), dGhP = dGh.pointer(as: S.self)
        // dh arriving from step t+1 (through whh and, for the GRU, the direct z path), dc likewise.
        let dhNext = try NDArray(shape: [B, H], dtype: dtype, zeroed: true)
        let dcNext = try NDArray(shape: [B, H], dtype: dtype, zeroed: true)
        let direct = try NDArray(shape: [B, H], dtype: dtype, zeroed: true)
        let dhN = dhNext.pointer(as: S.self), dcN = dcNext.pointer(as: S.self), dD = direct.pointer(as: S.self)
        var dhp = try NDArray(shape: [B, H], dtype: dtype)
        if mode == .lstm {
            for b in 0..<B { (dcN + b * H).update(from: gradP + b * ldo + T * H, count: H) }
        }

        for t in stride(from: T - 1, through: 0, by: -1) {
            parallelFor(B, grain: rowGrain) { rows in for b in rows {
                let row = b * T + t
                let gr = gradP + b * ldo + t * H
                let dh = dhN + b * H
                let dgi = dGiP + row * GH, dgh = dGhP + row * GH
                switch mode {
                case .rnnTanh:
                    let o = outP + b * ldo + t * H
                    for j in 0..<H { let v = o[j]; dgi[j] = (gr[j] + dh[j]) * (1 - v * v) }
                case .rnnRelu:
                    let o = outP + b * ldo + t * H
                    for j in 0..<H { dgi[j] = o[j] > 0 ? gr[j] + dh[j] : 0 }
                case .lstm:
                    guard let gP, let cP, let tcP else { break }
                    let ga = gP + row * GH
                    let tcRow = tcP + row * H
                    let cPrev: UnsafeMutablePointer<S>? = t == 0 ? c0P.map { $0 + b * H } : cP + (row - 1) * H
                    let dc = dcN + b * H
                    for j in 0..<H {
                        let i = ga[j], f = ga[H + j], gg = ga[2 * H + j], og = ga[3 * H + j]
                        let tc = tcRow[j]
                        let dhj = gr[j] + dh[j]
                        let dcj = dc[j] + dhj * og * (1 - tc * tc)
                        dgi[j] = dcj * gg * i * (1 - i)
                        dgi[H + j] = dcj * (cPrev?[j] ?? 0) * f * (1 - f)
                        dgi[2 * H + j] = dcj * i * (1 - gg * gg)
                        dgi[3 * H + j] = dhj * tc * og * (1 - og)
                        dc[j] = dcj * f
                    }
                case .gru:
                    guard let gP, let nP else { break }
                    let ga = gP + row * GH
                    let hn = nP + row * H
                    let hPrevRow = t == 0 ? h0P + b * H : outP + b * ldo + (t - 1) * H
                    let dd = dD + b * H
                    for j in 0..<H {
                        let r = ga[j], z = ga[H + j], n = ga[2 * H + j]
                        let dhj = gr[j] + dh[j]
                        let dnp = dhj * (1 - z) * (1 - n * n)
                        let dzp = dhj * (hPrevRow[j] - n) * z * (1 - z)
                        let drp = dnp * hn[j] * r * (1 - r)
                        dgi[j] = drp; dgi[H + j] = dzp; dgi[2 * H + j] = dnp
                        dgh[j] = drp; dgh[H + j] = dzp; dgh[2 * H + j] = dnp * r
                        dd[j] = dhj * z
                    }
                }
            } }
            // dh_{t-1} = dG_h(t)·whh (+ the GRU's direct path).
            if t > 0 || need.h0 {
                try gemm(view(dGh, rows: B, cols: GH, ld: T * GH, offset: t * GH), transA: false,
                         s.arrays.whh, transB: false, alpha: 1, beta: 0, into: &dhp)
                let dp = dhp.pointer(as: S.self)
                if mode == .gru {
                    for k in 0..<(B * H) { dhN[k] = dp[k] + dD[k] }
                } else {
                    dhN.update(from: dp, count: B * H)
                }
            }
        }

        var dx: NDArray? = nil, dwih: NDArray? = nil, dwhh: NDArray? = nil, dbih: NDArray? = nil, dbhh: NDArray? = nil
        if need.x {
            var out = try NDArray(shape: [B * T, I], dtype: dtype)
            try gemm(dGi, transA: false, s.arrays.wih, transB: false, alpha: 1, beta: 0, into: &out)
            dx = try out.reshaped([B, T, I])
        }
        if need.wih {
            var out = try NDArray(shape: [GH, I], dtype: dtype)
            try gemm(dGi, transA: true, s.arrays.x.reshaped([B * T, I]), transB: false, alpha: 1, beta: 0, into: &out)
            dwih = out
        }
        if need.whh {
            // h_{t-1} for every (b, t), rows in dG's order.
            let prev = try NDArray(shape: [B * T, H], dtype: dtype)
            let pp = prev.pointer(as: S.self)
            for b in 0..<B {
                (pp + b * T * H).update(from: h0P + b * H, count: H)
                for t in 1..<Swift.max(T, 1) {
                    (pp + (b * T + t) * H).update(from: outP + b * ldo + (t - 1) * H, count: H)
                }
            }
            var out = try NDArray(shape: [GH, H], dtype: dtype)
            try gemm(dGh, transA: true, prev, transB: false, alpha: 1, beta: 0, into: &out)
            dwhh = out
        }
        if need.bih || need.bhh {
            let ones = try NDArray.ones([1, B * T], dtype: dtype)
            var si = try NDArray(shape: [1, GH], dtype: dtype)
            try gemm(ones, transA: false, dGi, transB: false, alpha: 1, beta: 0, into: &si)
            dbih = try si.reshaped([GH])
            if mode == .gru {
                var sh = try NDArray(shape: [1, GH], dtype: dtype)
                try gemm(ones, transA: false, dGh, transB: false, alpha: 1, beta: 0, into: &sh)
                dbhh = try sh.reshaped([GH])
            } else {
                dbhh = dbih
            }
        }
        withExtendedLifetime((g, dGi, dGh, dhNext, dcNext, direct, dhp, s)) {}
        return (dx, dwih, dwhh, need.bih ? dbih : nil, need.bhh ? dbhh : nil,
                need.h0 ? dhNext : nil, need.c0 && mode == .lstm ? dcNext : nil)
    }
}

/// Runs one layer as a single autograd node. `x` [B, T, I], `h0` [B, H], `c0` [B, H] (LSTM
/// only); returns the packed output ([B, T, H], or [B, T+1, H] for the LSTM with c_T last).
func fusedRecurrentLayer(mode: RecurrentMode, x: Tensor, wih: Tensor, whh: Tensor, bih: Tensor?, bhh: Tensor?,
                         h0: Tensor, c0: Tensor?) throws -> Tensor {
    let B = x.shape[0], T = x.shape[1], I = x.shape[2], H = whh.shape[1]
    let arrays = RecurrentLayerArrays(x: try x.data.contiguous(), wih: wih.data, whh: whh.data, bih: bih?.data,
                                      bhh: bhh?.data, h0: try h0.data.contiguous(), c0: try c0?.data.contiguous())
    var inputs = [x, wih, whh]
    if let bih, let bhh { inputs += [bih, bhh] }
    inputs.append(h0)
    if let c0 { inputs.append(c0) }
    let need = (x: x.requiresGrad, wih: wih.requiresGrad, whh: whh.requiresGrad,
                bih: bih?.requiresGrad ?? false, bhh: bhh?.requiresGrad ?? false,
                h0: h0.requiresGrad, c0: c0?.requiresGrad ?? false)
    let hasBias = bih != nil && bhh != nil
    let hasC0 = c0 != nil

    func run<S: RecurrentFloat>(_: S.Type) throws -> Tensor {
        let kernel = RecurrentKernel<S>(mode: mode, batch: B, steps: T, inputSize: I, hidden: H)
        let saved = try kernel.forward(arrays)
        return Tensor.custom("recurrent.\(mode.rawValue)", inputs: inputs, output: saved.packed) { g in
            let r = try kernel.backward(saved, gradPacked: g, need: need)
            var out: [NDArray?] = [r.x, r.wih, r.whh]
            if hasBias { out += [r.bih, r.bhh] }
            out.append(r.h0)
            if hasC0 { out.append(r.c0) }
            return out
        }
    }
    switch x.dtype {
    case .float32: return try run(Float.self)
    case .float64: return try run(Double.self)
    default: throw TensorError.unsupportedDType(op: "recurrent layer", dtype: x.dtype)
    }
}
