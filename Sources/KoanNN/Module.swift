import KoanAutograd
import KoanTensor

// Design: `Module` is an open class, not a protocol. A module tree is shared mutable state
// by nature (parameters replaced in place by an optimiser or `update`, running statistics,
// the training flag, a dropout layer's call counter) and parents hold their children by
// identity, so reference semantics are the honest model; a protocol would need existential
// boxes plus the same class underneath. The tree is written explicitly, not found by
// reflection: a layer registers its parameters, buffers and children by name in its
// initialiser (`registerParameter`, `registerBuffer`, `registerChild`), and the registered
// order is the stable order of `parameters` (own parameters first, then each child's,
// depth first, like torch's `named_parameters`).

/// A named, replaceable tensor slot of a module: a weight, a bias or a buffer (running
/// statistics). A layer keeps its `Parameter`s as stored properties and reads `value` in
/// `forward`; the tree walks them by the names they were registered under.
///
///     let w = try Parameter(Tensor.zeros([3, 2]))
///     w.value.shape   // [3, 2]
public final class Parameter {
    /// The current values. A trainable parameter is a leaf tensor that requires grad,
    /// so a forward pass records the graph back to it.
    public private(set) var value: Tensor
    /// Whether gradients are taken for this parameter (`freeze` clears it).
    public private(set) var isTrainable: Bool

    /// A trainable slot holding `value` (as a fresh leaf).
    public init(_ value: Tensor, trainable: Bool = true) {
        self.isTrainable = trainable && value.dtype.isFloatingPoint
        self.value = Tensor(value.data, requiresGrad: self.isTrainable)
    }

    /// Replaces the values, keeping trainability (no shape check: `Module.update` checks).
    public func assign(_ data: NDArray) {
        value = Tensor(data, requiresGrad: isTrainable)
    }

    func setTrainable(_ t: Bool) {
        let flag = t && value.dtype.isFloatingPoint
        guard flag != isTrainable else { return }
        isTrainable = flag
        value = Tensor(value.data, requiresGrad: flag)
    }
}

/// The base class of layers and models: a tree of named parameters, buffers and child
/// modules with stable dotted paths ("layers.0.weight"), a training flag, freezing,
/// updating by path, initialisation and a summary.
///
/// Subclasses register their pieces in `init` and override `forward`:
///
///     final class Affine: Module {
///         let scale: Parameter
///         init(_ n: Int) throws {
///             scale = Parameter(try Tensor.ones([n]))
///             super.init()
///             registerParameter("scale", scale)
///         }
///         override func forward(_ x: Tensor) throws -> Tensor { try x * scale.value }
///     }
///     let y = try Affine(4)(x)
open class Module {
    private var ownParameters: [(name: String, parameter: Parameter)] = []
    private var ownBuffers: [(name: String, parameter: Parameter)] = []
    private var children: [(name: String, module: Module)] = []
    /// Set only while `summary` runs: records each module's output shape.
    var recorder: SummaryRecorder?

    /// True in training mode (the default); `eval()` clears it for the whole tree.
    public private(set) var isTraining = true

    public init() {}

    /// The layer name shown in errors and summaries ("Linear", "Sequential", ...).
    open var layerName: String { String(describing: type(of: self)) }

    /// Extra constructor arguments for `description` ("in: 64, out: 128").
    open var configuration: String { "" }

    // MARK: Registration

    /// Adds (or replaces) a parameter named `name`; call in `init`.
    public func registerParameter(_ name: String, _ p: Parameter) {
        if let i = ownParameters.firstIndex(where: { $0.name == name }) {
            ownParameters[i].parameter = p
        } else {
            ownParameters.append((name, p))
        }
    }

    /// Adds (or replaces) a buffer: state that is not trained (BatchNorm's running mean).
    public func registerBuffer(_ name: String, _ p: Parameter) {
        p.setTrainable(false)
        if let i = ownBuffers.firstIndex(where: { $0.name == name }) {
            ownBuffers[i].parameter = p
        } else {
            ownBuffers.append((name, p))
        }
    }

    /// Adds (or replaces) a child module named `name` (its parameters get the prefix "name.").
    public func registerChild(_ name: String, _ m: Module) {
        if let i = children.firstIndex(where: { $0.name == name }) {
            children[i].module = m
        } else {
            children.append((name, m))
        }
    }

    /// Removes the child named `name` (and its parameters) if there is one.
    public func removeChild(_ name: String) {
        children.removeAll { $0.name == name }
    }

    /// Removes the parameter named `name` (a quantized Linear's float weight).
    func removeParameter(_ name: String) {
        ownParameters.removeAll { $0.name == name }
    }

    /// Removes the buffer named `name`.
    func removeBuffer(_ name: String) {
        ownBuffers.removeAll { $0.name == name }
    }

    /// Registers the parameter `old` under `new`, keeping its place in the order (pruning's
    /// `weight` → `weight_orig`).
    func renameParameter(_ old: String, to new: String) {
        if let i = ownParameters.firstIndex(where: { $0.name == old }) { ownParameters[i].name = new }
    }

    /// This module's own buffer named `name`.
    func ownBuffer(_ name: String) -> Parameter? { ownBuffers.first { $0.name == name }?.parameter }

    // MARK: Forward

    /// The computation of this layer. Call the module (`try layer(x)`), not this.
    open func forward(_ x: Tensor) throws -> Tensor {
        throw NNError.invalidArgument(layer: layerName, message: "this module does not implement forward(_:)")
    }

    /// Runs `forward`, turning tensor errors into `NNError.layerFailed` that names the layer.
    ///
    ///     let y = try model(x)
    public final func callAsFunction(_ x: Tensor) throws -> Tensor {
        let y: Tensor
        do {
            y = try forward(x)
        } catch let e as TensorError {
            throw NNError.layerFailed(path: "", layer: layerName, error: e)
        }
        recorder?.record(self, y.shape)
        return y
    }

    /// Runs `child` on `x` from a container's `forward`, prefixing errors with `name` so
    /// they carry the child's full path.
    ///
    ///     override func forward(_ x: Tensor) throws -> Tensor { try run(body, named: "body", x) }
    public func run(_ child: Module, named name: String, _ x: Tensor) throws -> Tensor {
        do {
            return try child(x)
        } catch let e as NNError {
            throw e.prefixed(with: name)
        }
    }

    // MARK: Tree

    /// The direct children in registration order.
    public var namedChildren: [(name: String, module: Module)] { children }

    /// Every module of the tree in pre-order, with its dotted path ("" for this one).
    public var namedModules: [(path: String, module: Module)] {
        var out: [(path: String, module: Module)] = []
        var stack: [(String, Module)] = [("", self)]
        while let (path, m) = stack.popLast() {
            out.append((path, m))
            for (name, c) in m.children.reversed() {
                stack.append((join(path, name), c))
            }
        }
        return out
    }

    /// The parameter slots of the tree by dotted path, in the stable order.
    public var parameterSlots: [(path: String, parameter: Parameter)] {
        namedModules.flatMap { (path, m) in m.ownParameters.map { (join(path, $0.name), $0.parameter) } }
    }

    /// The buffer slots of the tree by dotted path ("bn.running_mean").
    public var bufferSlots: [(path: String, parameter: Parameter)] {
        namedModules.flatMap { (path, m) in m.ownBuffers.map { (join(path, $0.name), $0.parameter) } }
    }

    /// All parameters by dotted path in a stable order.
    ///
    ///     try MLP(input: 64, hidden: [128], output: 10).parameters.map(\.path)
    ///     // ["layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias"]
    public var parameters: [(path: String, tensor: Tensor)] {
        parameterSlots.map { ($0.path, $0.parameter.value) }
    }

    /// The parameters that are not frozen: pass them to `backward(_:wrt:)` or an optimiser.
    public var trainableParameters: [(path: String, tensor: Tensor)] {
        parameterSlots.filter { $0.parameter.isTrainable }.map { ($0.path, $0.parameter.value) }
    }

    /// Buffers (non-trained state such as running statistics) by dotted path.
    public var buffers: [(path: String, tensor: Tensor)] {
        bufferSlots.map { ($0.path, $0.parameter.value) }
    }

    /// The number of parameter elements in the tree.
    public var parameterCount: Int { parameterSlots.reduce(0) { $0 + $1.parameter.value.count } }

    /// The number of trainable parameter elements.
    public var trainableParameterCount: Int {
        parameterSlots.reduce(0) { $0 + ($1.parameter.isTrainable ? $1.parameter.value.count : 0) }
    }

    /// Own (direct) parameters, for summaries.
    var ownParameterCounts: (total: Int, trainable: Int) {
        ownParameters.reduce((0, 0)) { acc, p in
            (acc.0 + p.parameter.value.count, acc.1 + (p.parameter.isTrainable ? p.parameter.value.count : 0))
        }
    }

    // MARK: Modes

    /// Training mode for the whole tree (dropout active, batch norm uses batch statistics).
    public func train() { setTraining(true) }

    /// Evaluation mode for the whole tree (dropout is the identity, batch norm uses running stats).
    public func eval() { setTraining(false) }

    /// Sets the training flag of every module in the tree.
    public func setTraining(_ on: Bool) {
        for (_, m) in namedModules { m.isTraining = on }
    }

    func setOwnTraining(_ on: Bool) { isTraining = on }

    // MARK: Freezing

    /// Freezes every parameter except those whose path equals or starts with one of
    /// `prefixes` at a dot boundary ("layers.2" keeps "layers.2.weight" and "layers.2.bias").
    /// Throws `unknownParameter` (with near matches) for a prefix that matches nothing;
    /// then nothing changes.
    ///
    ///     try model.freeze(except: ["layers.4"])   // fine-tune the head only
    public func freeze(except prefixes: [String] = []) throws {
        let slots = parameterSlots
        try checkPrefixes(prefixes, slots.map(\.path))
        for (path, p) in slots {
            p.setTrainable(prefixes.contains { pathMatches(path, prefix: $0) })
        }
    }

    /// Freezes only the parameters under `prefixes` (leaves the others as they are).
    ///
    ///     try model.freeze(only: ["layers.0"])
    public func freeze(only prefixes: [String]) throws {
        let slots = parameterSlots
        try checkPrefixes(prefixes, slots.map(\.path))
        for (path, p) in slots where prefixes.contains(where: { pathMatches(path, prefix: $0) }) {
            p.setTrainable(false)
        }
    }

    /// Makes every parameter trainable again.
    ///
    ///     model.unfreeze()
    public func unfreeze() {
        for (_, p) in parameterSlots { p.setTrainable(true) }
    }

    /// Makes the parameters under `prefixes` trainable (leaves the others as they are).
    ///
    ///     try model.unfreeze(only: ["bert.encoder.layer.5"])
    public func unfreeze(only prefixes: [String]) throws {
        let slots = parameterSlots
        try checkPrefixes(prefixes, slots.map(\.path))
        for (path, p) in slots where prefixes.contains(where: { pathMatches(path, prefix: $0) }) {
            p.setTrainable(true)
        }
    }

    private func checkPrefixes(_ prefixes: [String], _ paths: [String]) throws {
        for pre in prefixes where !paths.contains(where: { pathMatches($0, prefix: pre) }) {
            throw NNError.unknownParameter(path: pre, nearMatches: nearMatches(pre, in: paths))
        }
    }

    // MARK: Updating

    /// Replaces parameters by path, checking that each path exists and that shape and dtype
    /// agree. All checks run before anything changes, so a failed update leaves the tree as
    /// it was. Trainability is kept.
    ///
    ///     try linear.update(parameters: ["weight": w, "bias": b])
    public func update(parameters: [String: Tensor]) throws {
        try update(parameters.mapValues(\.data), slots: parameterSlots)
    }

    /// `update(parameters:)` with NDArrays.
    public func update(parameters: [String: NDArray]) throws {
        try update(parameters, slots: parameterSlots)
    }

    /// Replaces buffers (running statistics) by path, with the same checks.
    ///
    ///     try bn.update(buffers: ["running_mean": m, "running_var": v])
    public func update(buffers: [String: NDArray]) throws {
        try update(buffers, slots: bufferSlots)
    }

    private func update(_ values: [String: NDArray], slots: [(path: String, parameter: Parameter)]) throws {
        var byPath: [String: Parameter] = [:]
        for (path, p) in slots { byPath[path] = p }
        var plan: [(Parameter, NDArray)] = []
        for key in values.keys.sorted() {
            guard let v = values[key] else { continue }
            guard let p = byPath[key] else {
                throw NNError.unknownParameter(path: key, nearMatches: nearMatches(key, in: slots.map(\.path)))
            }
            guard v.shape == p.value.shape else {
                throw NNError.parameterShapeMismatch(path: key, expected: p.value.shape, got: v.shape)
            }
            guard v.dtype == p.value.dtype else {
                throw NNError.parameterDTypeMismatch(path: key, expected: p.value.dtype, got: v.dtype)
            }
            plan.append((p, v))
        }
        for (p, v) in plan { p.assign(try v.contiguousCopy()) }
    }

    /// Converts every floating-point parameter and buffer to `dtype` (float64 for
    /// finite-difference checks, for example).
    ///
    ///     try model.to(.float64)
    public func to(_ dtype: DType) throws {
        for (_, p) in parameterSlots + bufferSlots where p.value.dtype.isFloatingPoint && p.value.dtype != dtype {
            p.assign(try p.value.data.to(dtype))
        }
    }

    // MARK: Initialisation

    /// Re-initialises the parameters selected by `filter` (default: tensors of rank ≥ 2,
    /// i.e. weights) with `initializer`. Parameter i of the selection draws from the key
    /// `key.derived(i)`, so the result depends only on `key` and the tree.
    ///
    ///     try model.apply(init: .xavierUniform(), key: RandomKey(seed: 1))
    ///     try model.apply(init: .zeros, where: { path, _ in path.hasSuffix("bias") }, key: RandomKey(seed: 0))
    public func apply(init initializer: Initializer,
                      where filter: (String, Tensor) -> Bool = { _, t in t.rank >= 2 },
                      key: RandomKey = RandomKey(seed: 0)) throws {
        var i: UInt64 = 0
        for (path, p) in parameterSlots where filter(path, p.value) {
            let v = try initializer.make(p.value.shape, p.value.dtype, key.derived(i))
            p.assign(v)
            i += 1
        }
    }
}

/// `a.b`, or `b` when `a` is empty.
@inline(__always)
func join(_ a: String, _ b: String) -> String { a.isEmpty ? b : a + "." + b }

/// `path` equals `prefix` or continues it after a dot ("layers.1" matches "layers.1.weight",
/// not "layers.10.weight"). The empty prefix matches everything.
func pathMatches(_ path: String, prefix: String) -> Bool {
    prefix.isEmpty || path == prefix || path.hasPrefix(prefix + ".")
}

extension RandomKey {
    /// An independent key for sub-draw `i` (a per-layer or per-parameter key), mixing the
    /// stream with SplitMix64 so that nearby indices give unrelated streams.
    ///
    ///     let wKey = key.derived(0), bKey = key.derived(1)
    public func derived(_ i: UInt64) -> RandomKey {
        var z = stream &+ 0x9E37_79B9_7F4A_7C15 &* (i &+ 1)
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return RandomKey(seed: seed, stream: z)
    }
}

/// The value of a scalar loss of `model` and its gradients with respect to the trainable
/// parameters (frozen ones are left out), by path, in the order of `trainableParameters`.
///
///     let (loss, grads) = try valueAndGrad(model) { m in try crossEntropy(m(x), targets: y) }
///     // grads.map(\.path) == model.trainableParameters.map(\.path)
public func valueAndGrad(_ model: Module, _ loss: (Module) throws -> Tensor) throws
    -> (value: Tensor, grads: [(path: String, grad: Tensor)]) {
    let params = model.trainableParameters
    let value = try withGrad { try loss(model) }
    guard value.count == 1 else {
        throw NNError.invalidArgument(layer: "valueAndGrad",
                                      message: "the loss must be a scalar (one element), got shape \(value.shape)")
    }
    let grads = try backward(value, wrt: params.map(\.tensor))
    return (value.detached(), zip(params, grads).map { ($0.path, Tensor($1)) })
}

/// A PyTorch-style nested listing of the tree:
///
///     print(try MLP(input: 4, hidden: [8], output: 2))
///     // MLP(
///     //   (layers): Sequential(
///     //     (0): Linear(in: 4, out: 8, bias: true)
///     //     (1): ReLU()
///     //     (2): Linear(in: 8, out: 2, bias: true)
///     //   )
///     // )
extension Module: CustomStringConvertible {
    public var description: String { describe(indent: "") }

    private func describe(indent: String) -> String {
        let head = "\(layerName)(\(configuration)"
        if namedChildren.isEmpty { return head + ")" }
        var lines = [head]
        for (name, c) in namedChildren {
            lines.append("\(indent)  (\(name)): " + c.describe(indent: indent + "  "))
        }
        lines.append(indent + ")")
        return lines.joined(separator: "\n")
    }
}
