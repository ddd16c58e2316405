import KoanAutograd
import KoanTensor

/// Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and
/// L2 weight decay, exactly as `torch.optim.SGD`:
///
///     g = grad + weightDecay * p                     (if weightDecay != 0)
///     buf = g                     on a parameter's first update,
///     buf = momentum * buf + (1 - dampening) * g     afterwards          (if momentum != 0)
///     g = nesterov ? g + momentum * buf : buf                             (if momentum != 0)
///     p = p - lr * g
///
/// State: "path/momentum_buffer" (only with momentum).
///
///     let opt = try SGD(lr: 0.1, momentum: 0.9)
///     params = try opt.update(params, grads: grads)
public final class SGD: Optimizer {
    public var learningRate: Double
    public let momentum: Double
    public let dampening: Double
    public let nesterov: Bool
    public let weightDecay: Double
    public let groups: [ParameterGroup]
    private var store = StateStore()

    public var stepCount: Int { store.stepCount }

    /// Throws on a non-positive or non-finite lr, negative momentum or weight decay, and
    /// Nesterov without momentum or with dampening (as PyTorch).
    public init(lr: Double, momentum: Double = 0, dampening: Double = 0, nesterov: Bool = false,
                weightDecay: Double = 0, groups: [ParameterGroup] = []) throws {
        try validateLearningRate(lr, construction: true)
        if !momentum.isFinite || momentum < 0 {
            throw OptimError.invalidHyperparameter(name: "momentum", value: momentum, reason: "must be finite and >= 0")
        }
        if !dampening.isFinite {
            throw OptimError.invalidHyperparameter(name: "dampening", value: dampening, reason: "must be finite")
        }
        if nesterov && (momentum <= 0 || dampening != 0) {
            throw OptimError.invalidHyperparameter(name: "momentum", value: momentum, reason: "Nesterov momentum requires momentum > 0 and dampening 0")
        }
        try validateWeightDecay(weightDecay)
        try validateGroups(groups)
        self.learningRate = lr
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
        self.weightDecay = weightDecay
        self.groups = groups
    }

    public func update(_ parameters: [(path: String, tensor: Tensor)], grads: [String: Tensor]) throws -> [(path: String, tensor: Tensor)] {
        var prepared = try prepareUpdate(parameters, grads: grads, learningRate: learningRate,
                                         weightDecay: weightDecay, groups: groups)
        try store.checkShapes(prepared)
        try store.apply(&prepared) { p, slot in try self.step(&p, &slot) }
        return try assemble(parameters, prepared)
    }

    private func step(_ p: inout PreparedParameter, _ slot: inout Slot) throws {
        let dtype = p.param.dtype
        var buf: NDArray? = nil
        var first = false
        if momentum != 0 {
            if let b = try uniqueBuffer(&slot, "momentum_buffer", dtype: dtype) { buf = b } else {
                buf = try NDArray(shape: p.param.shape, dtype: dtype)
                first = true
            }
        }
        let n = p.param.count
        if dtype == .float64 {
            sgdKernel(n, p.param.pointer(as: Double.self), p.grad.pointer(as: Double.self), buf?.pointer(as: Double.self),
                      first: first, lr: p.lr, wd: p.weightDecay, momentum: momentum, dampening: dampening, nesterov: nesterov)
        } else {
            sgdKernel(n, p.param.pointer(as: Float.self), p.grad.pointer(as: Float.self), buf?.pointer(as: Float.self),
                      first: first, lr: p.lr, wd: p.weightDecay, momentum: momentum, dampening: dampening, nesterov: nesterov)
        }
        if let buf { slot.buffers["momentum_buffer"] = buf }
        slot.step += 1
    }

    public func stateDict() -> [String: NDArray] { store.stateDict() }

    public func load(stateDict: [String: NDArray]) throws {
        let names: Set<String> = momentum != 0 ? ["momentum_buffer"] : []
        store = try StateStore.parse(stateDict, allowed: names, required: names)
    }
}

/// The SGD update on contiguous storage, scalars rounded to `T` as PyTorch does
/// (Python floats become the tensor's dtype inside the kernels).
@inline(__always)
func sgdKernel<T: BinaryFloatingPoint>(
    _ n: Int, _ p: UnsafeMutablePointer<T>, _ g: UnsafeMutablePointer<T>, _ buf: UnsafeMutablePointer<T>?,
    first: Bool, lr: Double, wd: Double, momentum: Double, dampening: Double, nesterov: Bool
) {
    let negLR = T(-lr), wdT = T(wd), m = T(momentum), oneMinusD = T(1 - dampening)
    let useWD = wd != 0
    if let buf {
        for i in 0..<n {
            var d = g[i]
            if useWD { d = d + wdT * p[i] }
            let b = first ? d : buf[i] * m + oneMinusD * d
            buf[i] = b
            d = nesterov ? d + m * b : b
            p[i] = p[i] + negLR * d
        }
    } else {
        for i in 0..<n {
            var d = g[i]
            if useWD { d = d + wdT * p[i] }
            p[i] = p[i] + negLR * d
        }
    }
}
