import KoanLang
import KoanAutograd
import KoanTensor

/// `x[0]`, `x[1..<3]`, `x[.., 2]`, `x[mask]`, `x[indices]`, and assignment through them.
enum TensorSubscripts {
    /// The index items of a subscript's arguments.
    static func items(_ index: [Argument]) throws -> [IndexItem] {
        try index.map { arg in
            guard arg.label == nil else { throw Fault(.type, "tensor subscripts take no labels") }
            switch arg.value {
            case .int(let i): return .index(i)
            case .range(let r):
                func bound(_ v: Value) throws -> Int? {
                    if v.isNil { return nil }
                    return try v.asInt()
                }
                var end = try bound(r.upper)
                if r.closed, let e = end { end = e == -1 ? nil : e + 1 }
                return .range(start: try bound(r.lower), end: end, step: 1)
            case .stride(let s):
                guard !s.through else { throw Fault(.type, "use stride(from:to:by:) to slice a tensor") }
                let step = try s.by.asInt()
                guard step != 0 else { throw Fault(.value, "slice step must not be zero") }
                return .range(start: try s.from.asInt(), end: try s.to.asInt(), step: step)
            case .object(let o) where o is WholeAxis: return .all
            case .object(let o as EnumCase) where o.name == "newAxis" && o.arguments.isEmpty: return .newAxis
            case .object(let o as TensorObject):
                let t = o.tensor
                return t.dtype == .bool ? .mask(t.data) : .gather(t.data)
            case .array:
                let t = try arg.value.asTensor()
                return t.dtype == .bool ? .mask(t.data) : .gather(try t.data.to(.int64))
            case .function:
                throw Fault(.type, "cannot index a tensor with a function ('...' is Swift's range operator); a whole axis is '..' (x[.., 0]); NumPy's '...' over several axes is not supported")
            default:
                throw Fault(.type, "cannot index a tensor with a value of type '\(arg.value.typeName)'")
            }
        }
    }

    static func get(_ t: Tensor, _ index: [Argument]) throws -> Value {
        .tensor(try t.index(try items(index)))
    }

    /// `x[i] = v` and `x[i] += v`: the current selection is handed to `body`, then written back.
    static func set(_ v: inout Value, _ index: [Argument], _ body: (inout Value) throws -> Void) throws {
        guard var t = v.tensorValue else { return }
        let items = try items(index)
        var element = Value.tensor(try t.index(items))
        try body(&element)
        let newValue = try element.asTensor()
        v = .void  // let the storage be uniquely referenced, so the write does not copy
        defer { v = .tensor(t) }
        try t.assign(items, newValue)
    }
}
