import KoanLang
import KoanAutograd
import KoanTensor

// Members of tensors (`x.shape`, `x.mean(axis: 0)`, `x.reshaped([2, 6])`), each a thin
// registration of the KoanAutograd method of the same name.

func registerTensorMembers(_ r: Registry) {
    r.assignmentHint("requiresGrad", "Koan tensors have no requiresGrad flag: gradients are taken with respect to a function's arguments, valueAndGrad(f)(x) or grad(f)(x); models train their parameters with fit or valueAndGrad(model)")
    r.assignmentHint("requires_grad", "Koan tensors have no requiresGrad flag: gradients are taken with respect to a function's arguments, valueAndGrad(f)(x) or grad(f)(x); models train their parameters with fit or valueAndGrad(model)")
    // PyTorch's and NumPy's names for what tensors here call otherwise ("did you mean").
    for (theirs, ours) in [("reshape", "reshaped"), ("view", "reshaped"), ("T", "t"), ("transpose", "transposed"),
                           ("permute", "permuted"), ("squeeze", "squeezed"), ("unsqueeze", "unsqueezed"),
                           ("flatten", "flattened"), ("expand", "expanded"), ("repeat", "repeated"), ("detach", "detached"),
                           ("numpy", "toArray"), ("tolist", "toArray"), ("size", "shape"), ("numel", "count"),
                           ("astype", "to"), ("type", "to"), ("clip", "clamp")] {
        r.memberAlias(theirs, means: ours)
    }
    func property(_ sig: String, _ doc: String, _ get: @escaping (Tensor) throws -> Value) {
        r.member(of: TensorObject.self, sig, doc, .property { v, _ in try get(try v.asTensor()) })
    }
    func method(_ sig: String, _ doc: String, _ body: @escaping (Tensor, [Value]) throws -> Value) {
        r.member(of: TensorObject.self, sig, doc, .method { v, a, _ in try body(try v.asTensor(), a) })
    }

    property("shape: [Int]", "The size of each axis.") { t in .array(t.shape.map { .int($0) }) }
    property("dtype: DType", "The element type (.float32, .bfloat16, .int64, ...).") { t in .object(DTypeValue(t.dtype)) }
    property("rank: Int", "The number of axes.") { t in .int(t.shape.count) }
    property("count: Int", "The number of elements.") { t in .int(t.data.count) }
    property("strides: [Int]", "Element strides of each axis (0 on broadcast axes).") { t in .array(t.data.strides.map { .int($0) }) }
    property("isContiguous: Bool", "Whether the elements lie in row-major order without gaps.") { t in .bool(t.data.isContiguous) }
    property("bytes: Int", "The bytes its elements take (count × element size).") { t in .int(t.data.count * t.dtype.byteSize) }
    property("t: Tensor", "The transpose of a matrix (rank ≤ 2), a view.") { t in
        guard t.shape.count <= 2 else {
            throw Fault(.shape, "t expects a tensor of rank ≤ 2, got shape \(t.shape); use transposed(a, b) or permuted(_:)")
        }
        return .tensor(t.transposed())
    }

    method("to(_ dtype: DType) -> Tensor", "The tensor converted to dtype (round to nearest even).") { t, a in
        .tensor(try t.to(try a[0].asDType()))
    }
    method("item() -> Double", "The value of a one-element tensor as a number (Int for integer dtypes, Bool for bool).") { t, _ in
        let x = try t.data.item()
        switch t.dtype {
        case .bool: return .bool(x != 0)
        case .int8, .int32, .int64: return .int(Int(t.data.ints()[0]))
        default: return .double(x)
        }
    }
    method("toArray() -> [Any]", "The elements as nested arrays.") { t, _ in TensorLiteral.value(t.data) }
    method("contiguous() -> Tensor", "The same values in row-major storage (a copy only when needed).") { t, _ in
        .tensor(Tensor(try t.data.contiguous()))
    }
    method("detached() -> Tensor", "The same values without gradient history.") { t, _ in .tensor(t.detached()) }
    method("save(_ path: String)", "Writes the tensor as a NumPy .npy file.") { t, a in
        try NPY.save(t.data, path: try a[0].asString())
        return .void
    }

    // Reductions
    func reduction(_ name: String, _ op: ReduceOp, _ doc: String) {
        method("\(name)(axis: Int? = nil, keepdims: Bool = false) -> Tensor", doc) { t, a in
            .tensor(try t.reduce(op, axes: try a[0].asAxes(), keepdims: try a[1].asBool()))
        }
    }
    reduction("sum", .sum, "The sum over axis (an Int or [Int]; all axes when nil).")
    reduction("mean", .mean, "The mean over axis (all axes when nil).")
    reduction("prod", .prod, "The product over axis.")
    reduction("max", .max, "The maximum over axis (NaN wins, as NumPy).")
    reduction("min", .min, "The minimum over axis (NaN wins, as NumPy).")
    reduction("any", .any, "Whether any element over axis is non-zero.")
    reduction("all", .all, "Whether every element over axis is non-zero.")
    reduction("logsumexp", .logsumexp, "log(sum(exp(x))) over axis, computed stably.")
    method("argmax(axis: Int? = nil, keepdims: Bool = false) -> Tensor", "Index of the maximum over axis (of the flattened tensor when nil); first occurrence.") { t, a in
        .tensor(try t.reduce(.argmax, axes: a[0].isNil ? nil : [try a[0].asInt()], keepdims: try a[1].asBool()))
    }
    method("argmin(axis: Int? = nil, keepdims: Bool = false) -> Tensor", "Index of the minimum over axis; first occurrence.") { t, a in
        .tensor(try t.reduce(.argmin, axes: a[0].isNil ? nil : [try a[0].asInt()], keepdims: try a[1].asBool()))
    }
    method("var(axis: Int? = nil, correction: Int = 0, keepdims: Bool = false) -> Tensor",
           "The variance over axis; correction 0 is NumPy's default (population), 1 is PyTorch's (sample).") { t, a in
        .tensor(try t.variance(axes: try a[0].asAxes(), correction: try a[1].asInt(), keepdims: try a[2].asBool()))
    }
    method("std(axis: Int? = nil, correction: Int = 0, keepdims: Bool = false) -> Tensor",
           "The standard deviation over axis (correction as for var).") { t, a in
        .tensor(try t.std(axes: try a[0].asAxes(), correction: try a[1].asInt(), keepdims: try a[2].asBool()))
    }
    method("cumsum(axis: Int) -> Tensor", "Running sums along axis.") { t, a in
        .tensor(try t.cumsum(axis: try a[0].asInt()))
    }
    method("sorted(axis: Int = -1, descending: Bool = false) -> Tensor", "The values sorted along axis (stable).") { t, a in
        .tensor(try t.sorted(axis: try a[0].asInt(), descending: try a[1].asBool()))
    }
    method("argsort(axis: Int = -1, descending: Bool = false) -> Tensor", "The indices that sort along axis (stable).") { t, a in
        .tensor(try t.argsort(axis: try a[0].asInt(), descending: try a[1].asBool()))
    }
    method("topk(_ k: Int, axis: Int = -1, largest: Bool = true) -> (values: Tensor, indices: Tensor)",
           "The k largest (or smallest) values along axis, sorted, with their indices.") { t, a in
        let (values, indices) = try t.topk(try a[0].asInt(), axis: try a[1].asInt(), largest: try a[2].asBool())
        return .tuple(TupleValue([.tensor(values), .tensor(indices)], labels: ["values", "indices"]))
    }
    method("clamp(min: Double? = nil, max: Double? = nil) -> Tensor", "Values limited to [min, max].") { t, a in
        .tensor(try t.clamp(min: a[0].isNil ? nil : try a[0].asDouble(), max: a[1].isNil ? nil : try a[1].asDouble()))
    }

    // Shape
    method("reshaped(_ shape: [Int]) -> Tensor", "The same elements in a new shape (one -1 is inferred); a view when possible.") { t, a in
        .tensor(try t.reshaped(try a[0].asShape()))
    }
    method("flattened() -> Tensor", "The elements as one axis.") { t, _ in .tensor(try t.flattened()) }
    method("transposed() -> Tensor", "All axes reversed (NumPy's .T), a view.") { t, _ in .tensor(t.transposed()) }
    method("transposed(_ a: Int, _ b: Int) -> Tensor", "Axes a and b swapped, a view.") { t, a in
        .tensor(try t.transposed(try a[0].asInt(), try a[1].asInt()))
    }
    method("permuted(_ axes: [Int]) -> Tensor", "The axes in a new order, a view.") { t, a in
        .tensor(try t.permuted(try a[0].asShape()))
    }
    method("squeezed(axis: Int? = nil) -> Tensor", "Without size-1 axes (only axis, when given).") { t, a in
        .tensor(try t.squeezed(axis: a[0].isNil ? nil : try a[0].asInt()))
    }
    method("unsqueezed(axis: Int) -> Tensor", "With a new size-1 axis at axis.") { t, a in
        .tensor(try t.unsqueezed(axis: try a[0].asInt()))
    }
    method("expanded(to shape: [Int]) -> Tensor", "Broadcast to shape without copying (size-1 axes repeat).") { t, a in
        .tensor(try t.expanded(to: try a[0].asShape()))
    }
    method("repeated(_ reps: [Int]) -> Tensor", "Tiled reps times along each axis (PyTorch's repeat).") { t, a in
        .tensor(try t.repeated(try a[0].asShape()))
    }
    method("padded(_ widths: [[Int]], value: Double = 0) -> Tensor",
           "Padded with value: widths[i] = [before, after] for axis i (NumPy's pad order).") { t, a in
        let widths = try a[0].elements().map { w -> (Int, Int) in try w.asPair("a pad width") }
        return .tensor(try t.padded(widths, value: try a[1].asDouble()))
    }
    method("split(sizes: [Int], axis: Int = 0) -> [Tensor]", "Pieces of the given sizes along axis (views).") { t, a in
        .array(try t.split(sizes: try a[0].asShape(), axis: try a[1].asInt()).map { .tensor($0) })
    }
    method("split(size: Int, axis: Int = 0) -> [Tensor]", "Pieces of size elements along axis (the last may be smaller).") { t, a in
        .array(try t.split(size: try a[0].asInt(), axis: try a[1].asInt()).map { .tensor($0) })
    }
    method("chunk(_ n: Int, axis: Int = 0) -> [Tensor]", "n nearly equal pieces along axis (PyTorch's chunk).") { t, a in
        .array(try t.chunk(try a[0].asInt(), axis: try a[1].asInt()).map { .tensor($0) })
    }
}
