import KoanTensor

/// A differentiable tensor: an `NDArray` plus, when it takes part in a recorded
/// computation, a reference to the graph node that produced it.
///
/// Tensors mirror NDArray's ops with the same names and labels; every op that has an
/// input requiring grad (and runs with grad mode on) records a node whose backward rule
/// maps the output gradient to the input gradients.
///
///     let x = Tensor(try NDArray(values: [1, 2, 3], shape: [3]), requiresGrad: true)
///     let y = try (x * x).sum()
///     let g = try backward(y, wrt: [x])   // [[2, 4, 6]]
public struct Tensor: Sendable {
    /// The values. Mutating it directly bypasses the graph (like torch's `.data`).
    public var data: NDArray
    /// The node that produced this tensor, or the leaf node of a tensor that requires grad.
    var node: Node?

    /// Wraps `data`. With `requiresGrad` (floating-point dtypes only; ignored for integer
    /// and bool tensors, which cannot have gradients) the tensor becomes a leaf of the graph.
    ///
    ///     let w = Tensor(try NDArray.randn([3, 3], key: RandomKey(seed: 1)), requiresGrad: true)
    public init(_ data: NDArray, requiresGrad: Bool = false) {
        self.data = data
        self.node = requiresGrad && data.dtype.isFloatingPoint ? Node(leaf: data) : nil
    }

    init(_ data: NDArray, node: Node?) {
        self.data = data
        self.node = node
    }

    /// A recorded result: `parents` from `recording(...)`, `backward` maps the output
    /// gradient to one gradient per parent (nil where none flows).
    init(_ data: NDArray, parents: [Node?], op: String, backward: @escaping Node.Backward) {
        self.data = data
        self.node = Node(parents: parents, op: op, output: data, backward: backward)
    }

    public var shape: [Int] { data.shape }
    public var dtype: DType { data.dtype }
    public var rank: Int { data.rank }
    public var count: Int { data.count }
    public var isScalar: Bool { data.isScalar }

    /// True when gradients flow to this tensor (a leaf that requires grad or a recorded result).
    public var requiresGrad: Bool { node != nil }

    /// True for tensors not produced by a recorded op (including tensors without grad).
    public var isLeaf: Bool { node?.isLeaf ?? true }

    /// The same values without grad history.
    ///
    ///     let frozen = y.detached()   // frozen.requiresGrad == false
    public func detached() -> Tensor { Tensor(data, node: nil) }

    /// The same values as a new leaf that requires grad (no history).
    public func requiringGrad() -> Tensor { Tensor(data, requiresGrad: true) }

    /// The only element of a one-element tensor.
    public func item() throws -> Double { try data.item() }
    /// All elements in row-major order as Doubles.
    public func doubles() -> [Double] { data.doubles() }
    /// All elements in row-major order as Int64s.
    public func ints() -> [Int64] { data.ints() }
}

/// A node of the recorded graph. Leaves have no parents and no backward rule; interior
/// nodes hold their parents' nodes (nil for inputs that need no gradient) and a backward
/// closure capturing only what the rule needs. After a backward pass without
/// `retainGraph` the closure and the parent links are dropped, freeing the saved arrays.
final class Node: @unchecked Sendable {
    typealias Backward = (NDArray) throws -> [NDArray?]

    var parents: [Node?]
    var backward: Backward?
    let isLeaf: Bool
    let op: String
    let shape: [Int]
    let dtype: DType

    init(leaf data: NDArray) {
        parents = []
        backward = nil
        isLeaf = true
        op = "leaf"
        shape = data.shape
        dtype = data.dtype
    }

    init(parents: [Node?], op: String, output: NDArray, backward: @escaping Backward) {
        self.parents = parents
        self.backward = backward
        self.isLeaf = false
        self.op = op
        self.shape = output.shape
        self.dtype = output.dtype
    }

    /// Releases the ancestors iteratively: a chain of 100k nodes must not recurse 100k deep.
    deinit {
        guard !parents.isEmpty else { return }
        var stack: [Node] = parents.compactMap { $0 }
        parents = []
        while var n = stack.popLast() {
            if isKnownUniquelyReferenced(&n) {
                stack.append(contentsOf: n.parents.lazy.compactMap { $0 })
                n.parents = []
                n.backward = nil
            }
        }
    }
}

/// Whether ops record the graph. Task-local: `noGrad` turns it off for a scope and for
/// the child tasks started in it, without global mutable state.
///
///     let y = try noGrad { try x * 2 }   // y.requiresGrad == false
public enum GradMode {
    @TaskLocal public static var isEnabled: Bool = true
}

/// Runs `body` with graph recording off (like `torch.no_grad()`).
///
///     let pred = try noGrad { try matmul(x, w) }
public func noGrad<R>(_ body: () throws -> R) rethrows -> R {
    try GradMode.$isEnabled.withValue(false, operation: body)
}

/// `noGrad` for async code: child tasks started in `body` inherit the setting.
///
///     let y = try await noGrad { try await model.predict(x) }
public func noGrad<R>(isolation: isolated (any Actor)? = #isolation, _ body: () async throws -> R) async rethrows -> R {
    try await GradMode.$isEnabled.withValue(false, operation: body, isolation: isolation)
}

/// Runs `body` with graph recording on (inside a `noGrad` scope, for example).
///
///     let y = try noGrad { try withGrad { try x * 2 } }   // recorded
public func withGrad<R>(_ body: () throws -> R) rethrows -> R {
    try GradMode.$isEnabled.withValue(true, operation: body)
}

// MARK: - Recording guards (the fast path is one check on the inputs' nodes)

/// The parents of a new node, or nil when nothing is recorded: no input needs a gradient,
/// the output is not floating point, or grad mode is off.
@inline(__always)
func recording(_ out: NDArray, _ a: Tensor) -> [Node?]? {
    guard let na = a.node, out.dtype.isFloatingPoint, GradMode.isEnabled else { return nil }
    return [na]
}

@inline(__always)
func recording(_ out: NDArray, _ a: Tensor, _ b: Tensor) -> [Node?]? {
    guard a.node != nil || b.node != nil, out.dtype.isFloatingPoint, GradMode.isEnabled else { return nil }
    return [a.node, b.node]
}

@inline(__always)
func recording(_ out: NDArray, _ a: Tensor, _ b: Tensor, _ c: Tensor) -> [Node?]? {
    guard a.node != nil || b.node != nil || c.node != nil, out.dtype.isFloatingPoint, GradMode.isEnabled else { return nil }
    return [a.node, b.node, c.node]
}

@inline(__always)
func recording(_ out: NDArray, _ xs: [Tensor]) -> [Node?]? {
    guard xs.contains(where: { $0.node != nil }), out.dtype.isFloatingPoint, GradMode.isEnabled else { return nil }
    return xs.map(\.node)
}

/// Whether any of several outputs (split, chunk) should be recorded.
@inline(__always)
func recordingEnabled(_ a: Tensor) -> Bool {
    a.node != nil && a.dtype.isFloatingPoint && GradMode.isEnabled
}

// MARK: - Ops defined outside this module

extension Tensor {
    /// A differentiable op defined elsewhere (a fused attention kernel, a recurrent cell):
    /// `output` is its forward result, computed by the caller on the inputs' arrays, and
    /// `backward` maps the gradient of `output` to one gradient per input (nil for an input
    /// that needs none), each of the input's shape. Nothing is recorded when no input needs
    /// a gradient, the output is not floating point, or grad mode is off.
    ///
    ///     let y = Tensor.custom("double", inputs: [x], output: try x.data * 2) { g in [try g * 2] }
    public static func custom(_ op: String, inputs: [Tensor], output: NDArray,
                              backward: @escaping (NDArray) throws -> [NDArray?]) -> Tensor {
        guard let parents = recording(output, inputs) else { return Tensor(output) }
        return Tensor(output, node: Node(parents: parents, op: op, output: output, backward: backward))
    }
}
