import KoanLang
import KoanAutograd
import KoanTensor
import KoanNN

// Tensor builtins: creation, math, network ops, autograd. Each is a thin registration of
// a KoanTensor/KoanAutograd function (the library does the work and the checking).

typealias TUnary = KoanTensor.UnaryOp
typealias TBinary = KoanTensor.BinaryOp

func registerTensorFunctions(_ r: Registry) {
    registerTensorCreation(r)
    registerTensorMath(r)
    registerTensorNetworkOps(r)
    registerAutograd(r)
    for d in DType.allCases {
        r.constant("DType.\(d.rawValue): DType", "The \(d.rawValue) element type.", .object(DTypeValue(d)))
    }
}

/// The key for an unseeded draw: the workspace's seed (`%seed N`) and a counter that
/// advances once per call, so reruns of a notebook draw the same numbers.
private func randomKey(_ seed: Value, _ ctx: CallContext) throws -> RandomKey {
    if case .int(let s) = seed { return RandomKey(seed: UInt64(bitPattern: Int64(s)), stream: 0) }
    guard seed.isNil else { throw Fault(.type, "seed must be an Int") }
    return ctx.random.next()
}

private func registerTensorCreation(_ r: Registry) {
    r.function("Tensor(_ values: Any, dtype: DType? = nil) -> Tensor",
               "A tensor from a number or nested arrays: `Tensor([[1.0, 2.0], [3.0, 4.0]])`. Doubles give float32, Ints int64, Bools bool, unless dtype says.") { a, _ in
        .tensor(try a[0].asTensor(dtype: try a[1].asOptionalDType()))
    }
    r.function("Tensor.zeros(_ shape: [Int], dtype: DType = .float32) -> Tensor", "A tensor of zeros.") { a, _ in
        .tensor(try Tensor.zeros(try a[0].asShape(), dtype: try a[1].asOptionalDType() ?? .float32))
    }
    r.function("Tensor.ones(_ shape: [Int], dtype: DType = .float32) -> Tensor", "A tensor of ones.") { a, _ in
        .tensor(try Tensor.ones(try a[0].asShape(), dtype: try a[1].asOptionalDType() ?? .float32))
    }
    r.function("Tensor.full(_ shape: [Int], _ value: Double, dtype: DType = .float32) -> Tensor", "A tensor filled with value.") { a, _ in
        .tensor(try Tensor.full(try a[0].asShape(), value: try a[1].asDouble(), dtype: try a[2].asOptionalDType() ?? .float32))
    }
    r.function("Tensor.arange(_ start: Double, _ end: Double? = nil, step: Double = 1, dtype: DType? = nil) -> Tensor",
               "Evenly spaced values in [start, end) (or [0, start) with one argument), as NumPy's arange. Ints give int64, Doubles float32.") { a, _ in
        let allInt = [a[0], a[1], a[2]].allSatisfy { if case .double = $0 { return false }; return true }
        let dtype = try a[3].asOptionalDType() ?? (allInt ? .int64 : .float32)
        var start = try a[0].asDouble(), end = 0.0
        if a[1].isNil { end = start; start = 0 } else { end = try a[1].asDouble() }
        let step = try a[2].asDouble()
        guard step != 0 else { throw Fault(.value, "arange: step must not be zero") }
        return .tensor(try Tensor.arange(start: start, end: end, step: step, dtype: dtype))
    }
    r.function("Tensor.linspace(_ start: Double, _ end: Double, count: Int, dtype: DType = .float32) -> Tensor",
               "count evenly spaced values from start to end, both included.") { a, _ in
        .tensor(try Tensor.linspace(start: try a[0].asDouble(), end: try a[1].asDouble(), count: try a[2].asInt(),
                                    dtype: try a[3].asOptionalDType() ?? .float32))
    }
    r.function("Tensor.eye(_ n: Int, _ m: Int? = nil, dtype: DType = .float32) -> Tensor", "The identity matrix (n × m).") { a, _ in
        .tensor(try Tensor.eye(try a[0].asInt(), a[1].isNil ? nil : try a[1].asInt(), dtype: try a[2].asOptionalDType() ?? .float32))
    }
    r.function("Tensor.randn(_ shape: [Int], seed: Int? = nil, dtype: DType = .float32) -> Tensor",
               "Samples of N(0, 1). Without seed, draws from the workspace generator (`%seed N`); results never depend on the thread count.") { a, ctx in
        .tensor(try Tensor.randn(try a[0].asShape(), key: try randomKey(a[1], ctx), dtype: try a[2].asOptionalDType() ?? .float32))
    }
    r.function("Tensor.rand(_ shape: [Int], seed: Int? = nil, low: Double = 0, high: Double = 1, dtype: DType = .float32) -> Tensor",
               "Uniform samples in [low, high).") { a, ctx in
        .tensor(try Tensor.rand(try a[0].asShape(), key: try randomKey(a[1], ctx), low: try a[2].asDouble(), high: try a[3].asDouble(),
                                dtype: try a[4].asOptionalDType() ?? .float32))
    }
    r.function("Tensor.randint(_ low: Int, _ high: Int, shape: [Int], seed: Int? = nil, dtype: DType = .int64) -> Tensor",
               "Uniform integers in [low, high).") { a, ctx in
        let low = try a[0].asInt(), high = try a[1].asInt()
        guard high > low else { throw Fault(.value, "randint: high (\(high)) must be greater than low (\(low))") }
        return .tensor(try Tensor.randint(low: Int64(low), high: Int64(high), shape: try a[2].asShape(), key: try randomKey(a[3], ctx),
                                          dtype: try a[4].asOptionalDType() ?? .int64))
    }
    r.function("Tensor.load(_ path: String) -> Tensor",
               "Reads a NumPy .npy file as a tensor, or a .npz archive as a dictionary of tensors.") { a, _ in
        let path = try a[0].asString()
        if path.hasSuffix(".npz") {
            var d = OrderedDict()
            for (name, array) in try NPY.loadArchive(path: path) { d.set(.string(name), .tensor(Tensor(array))) }
            return .dict(d)
        }
        return .tensor(Tensor(try NPY.load(path: path)))
    }
    r.function("Tensor.save(_ tensors: [String: Tensor], to path: String)",
               "Writes tensors as a NumPy .npz archive (np.load reads it).") { a, _ in
        guard case .dict(let d) = a[0] else { throw Fault(.type, "Tensor.save expects a dictionary [String: Tensor]") }
        var members: [(name: String, array: NDArray)] = []
        for (k, v) in zip(d.keys, d.values) { members.append((try k.asString(), try v.asTensor().data)) }
        try NPY.saveArchive(members, path: try a[1].asString())
        return .void
    }
}

private func registerTensorMath(_ r: Registry) {
    func unary(_ name: String, _ op: TUnary, _ doc: String) {
        r.function("\(name)(_ x: Tensor) -> Tensor", doc) { a, _ in .tensor(try a[0].asTensor().unary(op)) }
    }
    unary("relu", .relu, "max(x, 0), element-wise.")
    unary("sigmoid", .sigmoid, "1 / (1 + exp(-x)), element-wise.")
    unary("rsqrt", .rsqrt, "1 / sqrt(x), element-wise.")
    unary("log1p", .log1p, "log(1 + x), accurate for small x.")
    unary("expm1", .expm1, "exp(x) - 1, accurate for small x.")
    unary("erf", .erf, "The error function, element-wise.")
    unary("sign", .sign, "-1, 0 or 1 by the sign of x (NaN stays NaN).")
    unary("square", .square, "x * x, element-wise.")

    func binary(_ name: String, _ op: TBinary, _ doc: String) {
        r.function("\(name)(_ a: Tensor, _ b: Tensor) -> Tensor", doc) { a, _ in
            try TensorArithmetic.binary(op, a[0], a[1])
        }
    }
    binary("maximum", .maximum, "The element-wise maximum, broadcasting (NaN wins, as NumPy).")
    binary("minimum", .minimum, "The element-wise minimum, broadcasting (NaN wins, as NumPy).")
    binary("atan2", .atan2, "atan2(a, b) element-wise, broadcasting.")
    binary("remainder", .mod, "NumPy's remainder (torch.remainder): the sign of b, so remainder(-5, 3) is 1. The operator % is Swift's truncating remainder (-5 % 3 is -2), as fmod.")
    binary("fmod", .fmod, "The truncating remainder (C fmod, torch.fmod): the sign of a, so fmod(-5, 3) is -2; the same as the operator %.")

    r.function("matmul(_ a: Tensor, _ b: Tensor) -> Tensor",
               "The matrix product, as NumPy's matmul: 1-D operands are vectors, leading dimensions broadcast as batches (OpenBLAS sgemm/dgemm).") { a, _ in
        .tensor(try matmul(try a[0].asTensor(), try a[1].asTensor()))
    }
    r.function("which(_ condition: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor",
               "Elements of a where condition is true, else of b, broadcasting all three (NumPy's and PyTorch's `where`; `where` is a Swift keyword).") { a, _ in
        .tensor(try Tensor.where(try a[0].asTensor(dtype: .bool), try a[1].asTensor(), try a[2].asTensor()))
    }
    r.function("clamp(_ x: Tensor, min: Double? = nil, max: Double? = nil) -> Tensor", "x limited to [min, max].") { a, _ in
        .tensor(try a[0].asTensor().clamp(min: a[1].isNil ? nil : try a[1].asDouble(), max: a[2].isNil ? nil : try a[2].asDouble()))
    }
    r.function("concat(_ tensors: [Tensor], axis: Int = 0) -> Tensor", "Joins tensors along an existing axis.") { a, _ in
        .tensor(try Tensor.concat(try a[0].elements().map { try $0.asTensor() }, axis: try a[1].asInt()))
    }
    r.function("stack(_ tensors: [Tensor], axis: Int = 0) -> Tensor", "Joins same-shaped tensors along a new axis.") { a, _ in
        .tensor(try Tensor.stack(try a[0].elements().map { try $0.asTensor() }, axis: try a[1].asInt()))
    }
}

private func registerTensorNetworkOps(_ r: Registry) {
    r.function("softmax(_ x: Tensor, axis: Int = -1) -> Tensor", "exp(x) / sum(exp(x)) along axis (a fused, stable kernel).") { a, _ in
        .tensor(try softmax(try a[0].asTensor(), axis: try a[1].asInt()))
    }
    r.function("logSoftmax(_ x: Tensor, axis: Int = -1) -> Tensor", "log(softmax(x)) along axis, computed stably.") { a, _ in
        .tensor(try logSoftmax(try a[0].asTensor(), axis: try a[1].asInt()))
    }
    r.function("gelu(_ x: Tensor, approximate: Bool = false) -> Tensor",
               "The GELU activation: x·Φ(x) with the exact erf form (PyTorch's default) or the tanh approximation.") { a, _ in
        .tensor(try gelu(try a[0].asTensor(), approximate: try a[1].asBool()))
    }
    r.function("silu(_ x: Tensor) -> Tensor", "x · sigmoid(x) (also called swish).") { a, _ in
        .tensor(try silu(try a[0].asTensor()))
    }
    r.function("layerNorm(_ x: Tensor, weight: Tensor? = nil, bias: Tensor? = nil, eps: Double = 1e-5) -> Tensor",
               "Normalises over the last axis (mean 0, variance 1, biased as PyTorch), then scales by weight and adds bias.") { a, _ in
        let x = try a[0].asTensor()
        guard let last = x.shape.last else { throw Fault(.value, "layerNorm needs a tensor of rank ≥ 1") }
        return .tensor(try layerNorm(x, normalizedCount: last, weight: try a[1].asOptionalTensor(),
                                     bias: try a[2].asOptionalTensor(), eps: try a[3].asDouble()).output)
    }
    r.function("crossEntropy(_ logits: Tensor, _ targets: Tensor) -> Tensor",
               "Mean cross-entropy of class logits (…, classes) against class ids (…, integers) or class probabilities (…, classes), as torch.nn.functional.cross_entropy.") { a, _ in
        let logits = try a[0].asTensor()
        return .tensor(try crossEntropyTargets(logits, try a[1].asTensor()))
    }
    r.function("conv2d(_ input: Tensor, _ weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0, dilation: Int = 1, groups: Int = 1) -> Tensor",
               "2-D convolution of NCHW input with OIHW weight (stride, padding, dilation: an Int or [h, w]).") { a, _ in
        var o = Conv2dOptions()
        o.stride = try a[3].asPair("stride")
        o.padding = try a[4].asPair("padding")
        o.dilation = try a[5].asPair("dilation")
        o.groups = try a[6].asInt()
        return .tensor(try conv2d(try a[0].asTensor(), try a[1].asTensor(), bias: try a[2].asOptionalTensor(), o))
    }
    r.function("maxPool2d(_ input: Tensor, kernel: Int, stride: Int? = nil, padding: Int = 0) -> Tensor",
               "2-D max pooling of NCHW input (kernel, stride, padding: an Int or [h, w]; stride defaults to kernel).") { a, _ in
        .tensor(try maxPool2d(try a[0].asTensor(), kernel: try a[1].asPair("kernel"),
                              stride: a[2].isNil ? nil : try a[2].asPair("stride"), padding: try a[3].asPair("padding")).values)
    }
    r.function("avgPool2d(_ input: Tensor, kernel: Int, stride: Int? = nil, padding: Int = 0) -> Tensor",
               "2-D average pooling of NCHW input (padding counts as zeros, as PyTorch's default).") { a, _ in
        .tensor(try avgPool2d(try a[0].asTensor(), kernel: try a[1].asPair("kernel"),
                              stride: a[2].isNil ? nil : try a[2].asPair("stride"), padding: try a[3].asPair("padding")))
    }
}

private func registerAutograd(_ r: Registry) {
    r.function("valueAndGrad(_ f: (Tensor...) -> Tensor) -> Function",
               "A function that returns (value, gradient) of f at its tensor arguments: `let (v, g) = valueAndGrad(f)(x)`; with several arguments the gradient is a tuple.") { a, _ in
        let f = try a[0].asFunction()
        return .function(Function(builtin: gradientBuiltin(f, name: "valueAndGrad", withValue: true)))
    }
    r.function("grad(_ f: (Tensor...) -> Tensor) -> Function",
               "A function that returns the gradient of f at its tensor arguments: `grad(f)(x)`.") { a, _ in
        let f = try a[0].asFunction()
        return .function(Function(builtin: gradientBuiltin(f, name: "grad", withValue: false)))
    }
    r.function("noGrad(_ body: () -> T) -> T", "Runs body without recording gradients (inference, evaluation).") { a, ctx in
        try noGrad { try ctx.call(a[0]) }
    }
}

/// The function `valueAndGrad(f)` returns: differentiates f at its tensor arguments.
private func gradientBuiltin(_ f: Value, name: String, withValue: Bool) -> Builtin {
    let params = [ParamSpec(label: nil, name: "inputs", type: "Tensor...", variadic: true)]
    return Builtin(name: name, params: params, signature: "\(name)(f)(_ inputs: Tensor...)", doc: "") { a, ctx in
        let inputs = try a[0].elements().map { try $0.asTensor() }
        guard !inputs.isEmpty else { throw Fault(.value, "\(name)(f) needs at least one tensor argument") }
        let (value, grads) = try valueAndGrad({ xs in
            try ctx.call(f, arguments: xs.map { Argument(label: nil, value: .tensor($0)) }).asTensor()
        }, at: inputs)
        let g: Value = grads.count == 1 ? .tensor(grads[0]) : .tuple(TupleValue(grads.map { .tensor($0) }))
        return withValue ? .tuple(TupleValue([.tensor(value), g])) : g
    }
}

/// `a + b` and friends when a side is a tensor: the other side may be a number or nested arrays.
enum TensorArithmetic {
    static func binary(_ op: TBinary, _ a: Value, _ b: Value) throws -> Value {
        switch (a.tensorValue, b.tensorValue, a, b) {
        case (let x?, let y?, _, _): return .tensor(try Tensor.binary(op, x, y))
        case (let x?, nil, _, .int(let s)): return .tensor(try Tensor.binary(op, x, scalar: Double(s), scalarIsFloat: false))
        case (let x?, nil, _, .double(let s)): return .tensor(try Tensor.binary(op, x, scalar: s, scalarIsFloat: true))
        case (nil, let y?, .int(let s), _):
            return .tensor(try Tensor.binary(op, y, scalar: Double(s), scalarIsFloat: false, scalarOnLeft: true))
        case (nil, let y?, .double(let s), _):
            return .tensor(try Tensor.binary(op, y, scalar: s, scalarIsFloat: true, scalarOnLeft: true))
        default: return .tensor(try Tensor.binary(op, try a.asTensor(), try b.asTensor()))
        }
    }

    /// The language's operators on tensors; nil when the operator has no tensor meaning.
    static func apply(_ op: KoanLang.BinaryOp, _ a: Value, _ b: Value) throws -> Value? {
        let t: TBinary
        switch op {
        case .add: t = .add
        case .sub: t = .sub
        case .mul: t = .mul
        case .div: t = .div
        case .mod: t = .fmod   // Swift's `%` (truncating), as for Int and Double; NumPy's is `remainder`
        case .eq: t = .eq
        case .ne: t = .ne
        case .lt: t = .lt
        case .le: t = .le
        case .gt: t = .gt
        case .ge: t = .ge
        case .bitAnd: t = .logicalAnd
        case .bitOr: t = .logicalOr
        default: return nil
        }
        return try binary(t, a, b)
    }
}

/// `crossEntropy(logits, targets)` as PyTorch reads its targets: probabilities when they
/// have the logits' shape (floating point), otherwise class ids, one per row, which must
/// be whole numbers (`[0.5, 1.7]` is refused rather than truncated to `[0, 1]`).
func crossEntropyTargets(_ logits: Tensor, _ targets: Tensor) throws -> Tensor {
    if targets.dtype.isFloatingPoint, targets.shape == logits.shape, logits.rank >= 1 {
        return try KoanNN.crossEntropy(logits, targets: targets, labelSmoothing: 0, reduction: .mean)
    }
    let rows = Array(logits.shape.dropLast())
    guard targets.shape == rows else {
        throw Fault(.shape, "crossEntropy targets must be class ids of shape \(rows) or probabilities of shape \(logits.shape); got shape \(targets.shape)")
    }
    if targets.dtype.isFloatingPoint {
        let values = targets.doubles()
        if let bad = values.first(where: { $0 != $0.rounded() }) {
            throw Fault(.value, "crossEntropy class ids must be whole numbers, got \(bad); for probabilities pass a tensor of shape \(logits.shape)")
        }
    }
    return try crossEntropy(logits, targets: try targets.to(.int64))
}
