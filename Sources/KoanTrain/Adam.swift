import Glibc
import KoanAutograd
import KoanTensor

/// What Adam and AdamW share: the hyperparameters, the state and the update, all in `AdamCore`.
public class AdamFamily: Optimizer {
    public var learningRate: Double { get { core.learningRate } set { core.learningRate = newValue } }
    public var stepCount: Int { core.store.stepCount }
    public var betas: (Double, Double) { (core.beta1, core.beta2) }
    public var eps: Double { core.eps }
    public var weightDecay: Double { core.weightDecay }
    public var amsgrad: Bool { core.amsgrad }
    var core: AdamCore

    init(core: AdamCore) { self.core = core }

    public func update(_ parameters: [(path: String, tensor: Tensor)], grads: [String: Tensor]) throws -> [(path: String, tensor: Tensor)] {
        try core.update(parameters, grads: grads)
    }
    public func stateDict() -> [String: NDArray] { core.store.stateDict() }
    public func load(stateDict: [String: NDArray]) throws { try core.load(stateDict) }
}

/// Adam with L2 weight decay added to the gradient, exactly as `torch.optim.Adam`
/// (single-tensor path). Per parameter, with t its own update count:
///
///     g = grad + weightDecay * p                          (if weightDecay != 0)
///     m = lerp(m, g, 1 - beta1)                           (m + (1-beta1)(g - m))
///     v = beta2 * v + (1 - beta2) * g * g
///     vmax = max(vmax, v); use vmax for v                  (amsgrad)
///     denom = sqrt(v) / sqrt(1 - beta2^t) + eps            (eps added after the bias correction)
///     p = p - (lr / (1 - beta1^t)) * m / denom
///
/// State: "path/exp_avg", "path/exp_avg_sq", "path/max_exp_avg_sq" (amsgrad), "path/step".
///
///     let opt = try Adam(lr: 1e-3, betas: (0.9, 0.999))
///     params = try opt.update(params, grads: grads)
public final class Adam: AdamFamily {
    /// Throws on a non-positive lr, betas outside [0, 1), negative eps or weight decay.
    public init(lr: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999), eps: Double = 1e-8,
                weightDecay: Double = 0, amsgrad: Bool = false, groups: [ParameterGroup] = []) throws {
        super.init(core: try AdamCore(lr: lr, betas: betas, eps: eps, weightDecay: weightDecay, amsgrad: amsgrad,
                                      decoupled: false, groups: groups, noDecay: [], decay: [], defaultExclusion: false))
    }
}

/// Adam with decoupled weight decay, exactly as `torch.optim.AdamW`: before the Adam step
/// (with no L2 term) `p = p * (1 - lr * weightDecay)`.
///
/// Decay applies by default only to parameters of rank >= 2 whose path does not end in
/// "bias" (so biases, norm weights and scalars are excluded). `noDecay` / `decay` are dotted
/// path prefixes that override this rule; when both lists match a path the longest prefix
/// wins (the same prefix in both lists throws). A `ParameterGroup.weightDecay` sets the
/// amount for the parameters that decay.
///
///     let opt = try AdamW(lr: 3e-4, weightDecay: 0.1, noDecay: ["embed"])
///     params = try opt.update(params, grads: grads)
public final class AdamW: AdamFamily {
    public init(lr: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999), eps: Double = 1e-8,
                weightDecay: Double = 0.01, amsgrad: Bool = false, noDecay: [String] = [], decay: [String] = [],
                groups: [ParameterGroup] = []) throws {
        super.init(core: try AdamCore(lr: lr, betas: betas, eps: eps, weightDecay: weightDecay, amsgrad: amsgrad,
                                      decoupled: true, groups: groups, noDecay: noDecay, decay: decay, defaultExclusion: true))
    }

    /// Whether AdamW decays the parameter at `path` with `shape` (the rule plus overrides).
    ///
    ///     opt.decays(path: "fc.bias", shape: [10])   // false
    public func decays(path: String, shape: [Int]) -> Bool { core.decays(path: path, rank: shape.count) }
}

/// Adam's hyperparameters and state. The per-parameter step lives in `AdamConfig` so
/// that running it does not copy `store` (which would make every buffer shared and force a
/// copy-on-write of all state on each update).
struct AdamCore {
    var learningRate: Double
    let config: AdamConfig
    var store = StateStore()
    var beta1: Double { config.beta1 }
    var beta2: Double { config.beta2 }
    var eps: Double { config.eps }
    var weightDecay: Double { config.weightDecay }
    var amsgrad: Bool { config.amsgrad }

    init(lr: Double, betas: (Double, Double), eps: Double, weightDecay: Double, amsgrad: Bool, decoupled: Bool,
         groups: [ParameterGroup], noDecay: [String], decay: [String], defaultExclusion: Bool) throws {
        try validateLearningRate(lr, construction: true)
        let okBeta = { (b: Double) in b.isFinite && b >= 0 && b < 1 }
        guard okBeta(betas.0), okBeta(betas.1) else { throw OptimError.invalidBetas(betas.0, betas.1) }
        if !eps.isFinite || eps < 0 {
            throw OptimError.invalidHyperparameter(name: "eps", value: eps, reason: "must be finite and >= 0")
        }
        try validateWeightDecay(weightDecay)
        try validateGroups(groups)
        if let both = noDecay.first(where: { decay.contains($0) }) {
            throw OptimError.invalidHyperparameter(name: "noDecay/decay '\(both)'", value: 0, reason: "the same prefix is in both lists")
        }
        learningRate = lr
        config = AdamConfig(beta1: betas.0, beta2: betas.1, eps: eps, weightDecay: weightDecay, amsgrad: amsgrad,
                            decoupled: decoupled, defaultExclusion: defaultExclusion, groups: groups,
                            noDecay: noDecay, decay: decay)
    }

    func decays(path: String, rank: Int) -> Bool { config.decays(path: path, rank: rank) }

    mutating func update(_ parameters: [(path: String, tensor: Tensor)], grads: [String: Tensor]) throws -> [(path: String, tensor: Tensor)] {
        var prepared = try prepareUpdate(parameters, grads: grads, learningRate: learningRate, weightDecay: config.weightDecay,
                                         groups: config.groups, extraPrefixes: config.noDecay + config.decay)
        try store.checkShapes(prepared)
        let cfg = config
        try store.apply(&prepared) { p, slot in try cfg.step(&p, &slot) }
        return try assemble(parameters, prepared)
    }

    mutating func load(_ dict: [String: NDArray]) throws {
        let names: Set<String> = amsgrad ? ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"] : ["exp_avg", "exp_avg_sq"]
        store = try StateStore.parse(dict, allowed: names, required: names)
    }
}

struct AdamConfig {
    let beta1: Double, beta2: Double, eps: Double, weightDecay: Double
    let amsgrad: Bool, decoupled: Bool, defaultExclusion: Bool
    let groups: [ParameterGroup]
    let noDecay: [String], decay: [String]

    func decays(path: String, rank: Int) -> Bool {
        guard defaultExclusion else { return true }
        var best: (len: Int, decays: Bool)? = nil
        for p in noDecay where pathMatches(path, prefix: p) && p.count > (best?.len ?? -1) { best = (p.count, false) }
        for p in decay where pathMatches(path, prefix: p) && p.count > (best?.len ?? -1) { best = (p.count, true) }
        if let best { return best.decays }
        return !(path.hasSuffix("bias") || rank <= 1)
    }

    func step(_ p: inout PreparedParameter, _ slot: inout Slot) throws {
        let dtype = p.param.dtype
        let shape = p.param.shape
        let m = try uniqueBuffer(&slot, "exp_avg", dtype: dtype) ?? NDArray(shape: shape, dtype: dtype, zeroed: true)
        let v = try uniqueBuffer(&slot, "exp_avg_sq", dtype: dtype) ?? NDArray(shape: shape, dtype: dtype, zeroed: true)
        let vmax: NDArray? = amsgrad
            ? try uniqueBuffer(&slot, "max_exp_avg_sq", dtype: dtype) ?? NDArray(shape: shape, dtype: dtype, zeroed: true)
            : nil
        let t = Double(slot.step + 1)
        let wd = decoupled && !decays(path: p.path, rank: shape.count) ? 0 : p.weightDecay
        let s = AdamScalars(
            lr: p.lr, weightDecay: wd, decoupled: decoupled, beta1: beta1, beta2: beta2, eps: eps,
            biasCorrection1: 1 - pow(beta1, t), biasCorrection2Sqrt: (1 - pow(beta2, t)).squareRoot())
        let n = p.param.count
        if dtype == .float64 {
            adamKernel(n, p.param.pointer(as: Double.self), p.grad.pointer(as: Double.self), m.pointer(as: Double.self),
                       v.pointer(as: Double.self), vmax?.pointer(as: Double.self), s)
        } else {
            adamKernel(n, p.param.pointer(as: Float.self), p.grad.pointer(as: Float.self), m.pointer(as: Float.self),
                       v.pointer(as: Float.self), vmax?.pointer(as: Float.self), s)
        }
        slot.buffers["exp_avg"] = m
        slot.buffers["exp_avg_sq"] = v
        if let vmax { slot.buffers["max_exp_avg_sq"] = vmax }
        slot.step += 1
    }
}

/// The Python-float scalars of one Adam step (computed in Double as PyTorch does).
struct AdamScalars {
    let lr, weightDecay: Double
    let decoupled: Bool
    let beta1, beta2, eps, biasCorrection1, biasCorrection2Sqrt: Double
}

/// The Adam/AdamW update on contiguous storage, in the dtype of the parameter and in
/// PyTorch's operation order (scalars rounded to `T` where the kernels do).
@inline(__always)
func adamKernel<T: BinaryFloatingPoint>(
    _ n: Int, _ p: UnsafeMutablePointer<T>, _ g: UnsafeMutablePointer<T>, _ m: UnsafeMutablePointer<T>,
    _ v: UnsafeMutablePointer<T>, _ vmax: UnsafeMutablePointer<T>?, _ s: AdamScalars
) {
    let decay = T(1 - s.lr * s.weightDecay)           // param.mul_(1 - lr * wd)
    let l2 = T(s.weightDecay)                          // grad.add(param, alpha=wd)
    let useDecoupled = s.decoupled && s.weightDecay != 0
    let useL2 = !s.decoupled && s.weightDecay != 0
    let w = T(1 - s.beta1)                             // exp_avg.lerp_(grad, 1 - beta1)
    let smallWeight = abs(1 - s.beta1) < 0.5
    let oneMinusW = 1 - w
    let b2 = T(s.beta2), c2 = T(1 - s.beta2)           // exp_avg_sq.mul_(beta2).addcmul_(g, g, value=1-beta2)
    let bc2 = T(s.biasCorrection2Sqrt), eps = T(s.eps)
    let negStep = T(-(s.lr / s.biasCorrection1))       // param.addcdiv_(exp_avg, denom, value=-step_size)
    for i in 0..<n {
        var pi = p[i]
        var gi = g[i]
        if useDecoupled { pi = pi * decay }
        if useL2 { gi = gi + l2 * pi }
        let mi = smallWeight ? m[i] + w * (gi - m[i]) : gi - (gi - m[i]) * oneMinusW
        m[i] = mi
        var vi = v[i] * b2 + c2 * gi * gi
        v[i] = vi
        if let vmax {
            let old = vmax[i]
            vi = (vi > old || vi.isNaN) ? vi : old
            vmax[i] = vi
        }
        let denom = vi.squareRoot() / bc2 + eps
        p[i] = pi + negStep * mi / denom
    }
}
