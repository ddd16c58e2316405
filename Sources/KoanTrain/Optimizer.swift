import KoanAutograd
import KoanTensor

/// An optimizer over parameters named by dotted paths ("encoder.layers.0.weight").
///
/// `update` takes the current parameters and the gradients by path and returns the new
/// parameters in the same order (fresh arrays; the inputs are not modified). Parameters
/// without a gradient are returned unchanged and their per-parameter state does not
/// advance (as PyTorch skips `p.grad is None`). Nothing is recorded on the autograd graph.
///
/// `learningRate` may be changed between updates (by a `Schedule`); an update with a
/// learning rate that is negative or not finite throws, 0 is allowed (warmup step 0).
///
///     let opt = try Adam(lr: 1e-3)
///     params = try opt.update(params, grads: ["w": gw, "b": gb])
///     let saved = opt.stateDict()          // ["step": 1, "w/exp_avg": ..., ...]
///     try opt.load(stateDict: saved)
public protocol Optimizer: AnyObject {
    /// The base learning rate used by the next `update` (times a group's `lrScale`).
    var learningRate: Double { get set }
    /// Applies one step. Throws (leaving parameters and state untouched) on unknown gradient
    /// paths, shape mismatches, non-float dtypes, bad learning rates and unknown group prefixes.
    func update(_ parameters: [(path: String, tensor: Tensor)], grads: [String: Tensor]) throws -> [(path: String, tensor: Tensor)]
    /// Number of completed `update` calls.
    var stepCount: Int { get }
    /// The state: "step" (int64 scalar, `stepCount`), and per parameter "path/step" (int64)
    /// plus the buffers, e.g. "path/exp_avg", "path/exp_avg_sq", "path/max_exp_avg_sq",
    /// "path/momentum_buffer" (PyTorch's names). Arrays are shared copy-on-write.
    func stateDict() -> [String: NDArray]
    /// Replaces the state with a `stateDict()` result. Throws on unknown keys, missing
    /// buffers or non-integer steps; shapes are checked against the parameters at the next update.
    func load(stateDict: [String: NDArray]) throws
}

/// Per-parameter overrides selected by dotted path prefixes (like PyTorch's parameter
/// groups). A prefix matches a path equal to it or starting with it followed by ".";
/// the first group with a matching prefix wins. Every prefix must match some parameter
/// at `update`, otherwise `OptimError.unknownOverridePath`.
///
///     let opt = try SGD(lr: 0.1, groups: [ParameterGroup(["encoder"], lrScale: 0.1, weightDecay: 0)])
public struct ParameterGroup: Sendable, Equatable {
    /// Dotted path prefixes.
    public var prefixes: [String]
    /// Multiplies the optimizer's learning rate for these parameters (so schedules still apply).
    public var lrScale: Double
    /// Replaces the optimizer's weight decay for these parameters when set.
    public var weightDecay: Double?
    /// When false, a prefix that matches no parameter being updated is no error (groups
    /// built for a whole model, such as layer-wise decay, while some layers are frozen).
    public var isRequired: Bool

    public init(_ prefixes: [String], lrScale: Double = 1, weightDecay: Double? = nil, isRequired: Bool = true) {
        self.prefixes = prefixes
        self.lrScale = lrScale
        self.weightDecay = weightDecay
        self.isRequired = isRequired
    }
}

/// True when `prefix` names `path` or one of its ancestors in the dotted path tree.
@inline(__always)
func pathMatches(_ path: String, prefix: String) -> Bool {
    path == prefix || (path.hasPrefix(prefix) && path.dropFirst(prefix.count).first == ".")
}

func validateGroups(_ groups: [ParameterGroup]) throws {
    for g in groups {
        if g.prefixes.isEmpty {
            throw OptimError.invalidHyperparameter(name: "ParameterGroup.prefixes", value: 0, reason: "a group needs at least one path prefix")
        }
        if !g.lrScale.isFinite || g.lrScale < 0 {
            throw OptimError.invalidHyperparameter(name: "lrScale", value: g.lrScale, reason: "must be finite and >= 0")
        }
        if let wd = g.weightDecay { try validateWeightDecay(wd) }
    }
}

func validateLearningRate(_ lr: Double, construction: Bool) throws {
    if !lr.isFinite || lr < 0 || (construction && lr == 0) { throw OptimError.invalidLearningRate(lr) }
}

func validateWeightDecay(_ wd: Double) throws {
    if !wd.isFinite || wd < 0 {
        throw OptimError.invalidHyperparameter(name: "weightDecay", value: wd, reason: "must be finite and >= 0")
    }
}

/// One parameter ready for a kernel: contiguous arrays in the compute dtype
/// (float64 for float64 parameters, float32 otherwise).
struct PreparedParameter {
    let index: Int
    let path: String
    /// A fresh contiguous copy of the parameter in the compute dtype: the kernel writes into it.
    var param: NDArray
    let grad: NDArray
    let storageDType: DType
    let lr: Double
    let weightDecay: Double
    let group: ParameterGroup?
}

/// Validates an update and converts its inputs. Throws before anything is changed.
func prepareUpdate(
    _ parameters: [(path: String, tensor: Tensor)], grads: [String: Tensor],
    learningRate: Double, weightDecay: Double, groups: [ParameterGroup],
    extraPrefixes: [String] = []
) throws -> [PreparedParameter] {
    try validateLearningRate(learningRate, construction: false)
    var seen = Set<String>()
    seen.reserveCapacity(parameters.count)
    for (path, _) in parameters where !seen.insert(path).inserted {
        throw OptimError.duplicatePath(path)
    }
    for path in grads.keys.sorted() where !seen.contains(path) {
        throw OptimError.unknownGradPath(path)
    }
    for prefix in groups.filter(\.isRequired).flatMap(\.prefixes) + extraPrefixes
    where !parameters.contains(where: { pathMatches($0.path, prefix: prefix) }) {
        throw OptimError.unknownOverridePath(prefix)
    }
    var out: [PreparedParameter] = []
    out.reserveCapacity(grads.count)
    for (i, (path, tensor)) in parameters.enumerated() {
        guard let g = grads[path] else { continue }
        let p = tensor.data
        guard p.dtype.isFloatingPoint else { throw OptimError.unsupportedDType(path: path, dtype: p.dtype) }
        guard g.dtype.isFloatingPoint else { throw OptimError.unsupportedDType(path: path, dtype: g.dtype) }
        guard p.shape == g.shape else {
            throw OptimError.gradShapeMismatch(path: path, parameter: p.shape, grad: g.shape)
        }
        let compute: DType = p.dtype == .float64 ? .float64 : .float32
        let group = groups.first { $0.prefixes.contains { pathMatches(path, prefix: $0) } }
        let pc = p.dtype == compute ? try p.contiguousCopy() : try p.to(compute).contiguous()
        let gc = try g.data.to(compute).contiguous()
        out.append(PreparedParameter(
            index: i, path: path, param: pc, grad: gc, storageDType: p.dtype,
            lr: learningRate * (group?.lrScale ?? 1), weightDecay: group?.weightDecay ?? weightDecay, group: group))
    }
    return out
}

/// Writes the updated arrays back, keeping each tensor's dtype and `requiresGrad`.
func assemble(_ parameters: [(path: String, tensor: Tensor)], _ updated: [PreparedParameter]) throws -> [(path: String, tensor: Tensor)] {
    var result = parameters
    for u in updated {
        let data = u.storageDType == u.param.dtype ? u.param : try u.param.to(u.storageDType)
        result[u.index] = (u.path, Tensor(data, requiresGrad: parameters[u.index].tensor.requiresGrad))
    }
    return result
}

/// Per-parameter optimizer state: the number of updates this parameter received and its
/// named buffers (contiguous, compute dtype).
struct Slot {
    var step: Int = 0
    var buffers: [String: NDArray] = [:]
}

/// State shared by all optimizers: per-path slots and the global step count.
struct StateStore {
    var slots: [String: Slot] = [:]
    var stepCount = 0

    func stateDict() -> [String: NDArray] {
        var out: [String: NDArray] = [:]
        out["step"] = try? NDArray(ints: [Int64(stepCount)], shape: [], dtype: .int64)
        for (path, slot) in slots {
            out[path + "/step"] = try? NDArray(ints: [Int64(slot.step)], shape: [], dtype: .int64)
            for (name, b) in slot.buffers { out[path + "/" + name] = b }
        }
        return out
    }

    /// Parses a state dict. `allowed` are the buffer names this configuration uses,
    /// `required` the ones each slot must have.
    static func parse(_ dict: [String: NDArray], allowed: Set<String>, required: Set<String>) throws -> StateStore {
        guard let s = dict["step"] else { throw OptimError.invalidStateDict(key: "step", reason: "missing") }
        var store = StateStore()
        store.stepCount = try integer(s, key: "step")
        for (key, value) in dict where key != "step" {
            guard let slash = key.lastIndex(of: "/") else {
                throw OptimError.invalidStateDict(key: key, reason: "expected 'path/name'")
            }
            let path = String(key[..<slash])
            let name = String(key[key.index(after: slash)...])
            if path.isEmpty { throw OptimError.invalidStateDict(key: key, reason: "empty parameter path") }
            if name == "step" {
                store.slots[path, default: Slot()].step = try integer(value, key: key)
            } else if allowed.contains(name) {
                guard value.dtype.isFloatingPoint else {
                    throw OptimError.invalidStateDict(key: key, reason: "dtype \(value.dtype) is not floating point")
                }
                store.slots[path, default: Slot()].buffers[name] = try value.contiguousCopy()
            } else {
                throw OptimError.invalidStateDict(key: key, reason: "unknown state '\(name)' (expected one of \(allowed.sorted()) or step)")
            }
        }
        for (path, slot) in store.slots {
            if dict[path + "/step"] == nil {
                throw OptimError.invalidStateDict(key: path + "/step", reason: "missing")
            }
            for name in required.sorted() where slot.buffers[name] == nil {
                throw OptimError.invalidStateDict(key: path + "/" + name, reason: "missing")
            }
            let shapes = Set(slot.buffers.values.map(\.shape))
            if shapes.count > 1 {
                throw OptimError.invalidStateDict(key: path, reason: "buffers have different shapes \(shapes.sorted { $0.lexicographicallyPrecedes($1) })")
            }
        }
        return store
    }

    private static func integer(_ a: NDArray, key: String) throws -> Int {
        guard a.count == 1 else { throw OptimError.invalidStateDict(key: key, reason: "expected a scalar, got shape \(a.shape)") }
        let v = a.loadDouble(at: 0)
        guard v.isFinite, v >= 0, v == v.rounded(), v < 9e15 else {
            throw OptimError.invalidStateDict(key: key, reason: "expected a non-negative integer, got \(v)")
        }
        return Int(v)
    }

    /// Runs `body` on each parameter with its slot taken out of the store (so its buffers are
    /// uniquely referenced and updated in place), then counts the step. Validation happens
    /// before this; only an allocation failure can stop it midway, which leaves the slots
    /// already visited updated.
    mutating func apply(_ prepared: inout [PreparedParameter], _ body: (inout PreparedParameter, inout Slot) throws -> Void) rethrows {
        for i in prepared.indices {
            var slot = slots.removeValue(forKey: prepared[i].path) ?? Slot()
            defer { slots[prepared[i].path] = slot }
            try body(&prepared[i], &slot)
        }
        stepCount += 1
    }

    /// Checks loaded buffers against the parameters about to be updated (before any change).
    func checkShapes(_ prepared: [PreparedParameter]) throws {
        for p in prepared {
            guard let slot = slots[p.path] else { continue }
            for (name, b) in slot.buffers.sorted(by: { $0.key < $1.key }) where b.shape != p.param.shape {
                throw OptimError.stateShapeMismatch(path: p.path, key: p.path + "/" + name, expected: p.param.shape, found: b.shape)
            }
        }
    }
}

/// A slot buffer prepared for in-place writes through its pointer: its storage is shared
/// only between the slot and the returned value (never with an exported `stateDict()`),
/// contiguous, in `dtype`. On failure the slot is left as it was.
func uniqueBuffer(_ slot: inout Slot, _ name: String, dtype: DType) throws -> NDArray? {
    guard var b = slot.buffers.removeValue(forKey: name) else { return nil }
    defer { slot.buffers[name] = b }
    if b.dtype != dtype || !b.isContiguous { b = try b.to(dtype).contiguousCopy() }
    try b.makeUnique()
    return b
}
