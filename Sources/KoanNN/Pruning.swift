import Foundation
import KoanAutograd
import KoanTensor

// Magnitude pruning as `torch.nn.utils.prune`: a pruned layer trains `weight_orig` and keeps
// a `weight_mask` buffer; its forward uses weight_orig × weight_mask, so masked weights stay
// zero through fine-tuning, until `removePruning` makes the product the weight again.
// Pruning a pruned layer again prunes among the weights still unmasked (PyTorch's
// PruningContainer), and amounts round as PyTorch's `_compute_nparams_toprune`: a fraction of
// n is Python's round(fraction × n), half to even; an integer is a count.

/// A layer whose weight can be pruned (Linear, Conv2d).
public protocol PrunableLayer: Module {
    var weight: Parameter { get }
    var weightMask: Parameter? { get }
}

extension PrunableLayer {
    /// The weight the layer computes with: weight_orig × weight_mask while pruned.
    public func effectiveWeight() throws -> Tensor {
        guard let m = weightMask else { return weight.value }
        return try weight.value * m.value
    }

    /// Installs (or replaces) the mask, renaming `weight` to `weight_orig` the first time.
    func setMask(_ mask: NDArray) {
        if let m = weightMask { m.assign(mask); return }
        renameParameter("weight", to: "weight_orig")
        let p = Parameter(Tensor(mask), trainable: false)
        registerBuffer("weight_mask", p)
        switch self {
        case let l as Linear: l.weightMask = p
        case let c as Conv2d: c.weightMask = p
        default: break
        }
    }

    /// Makes the pruning permanent: `weight` = weight_orig × weight_mask, mask dropped.
    func removeMask() throws {
        guard let m = weightMask else { return }
        let w = try weight.value.data * m.value.data
        removeBuffer("weight_mask")
        renameParameter("weight_orig", to: "weight")
        weight.assign(w)
        switch self {
        case let l as Linear: l.weightMask = nil
        case let c as Conv2d: c.weightMask = nil
        default: break
        }
    }
}

/// How many weights a pruning step removes: a fraction of the candidates or a count.
public enum PruningAmount: Sendable, Equatable, CustomStringConvertible {
    case fraction(Double)
    case count(Int)

    public var description: String {
        switch self {
        case .fraction(let f): "\(f)"
        case .count(let n): "\(n)"
        }
    }

    /// The number to prune of `n` candidates (PyTorch's rounding), checked.
    func toPrune(of n: Int) throws -> Int {
        switch self {
        case .fraction(let f):
            guard (0...1).contains(f) else { throw NNError.invalidArgument(layer: "prune", message: "amount must be in [0, 1], got \(f)") }
            return Int((f * Double(n)).rounded(.toNearestOrEven))
        case .count(let c):
            guard c >= 0 else { throw NNError.invalidArgument(layer: "prune", message: "amount must be non-negative, got \(c)") }
            guard c <= n else { throw NNError.invalidArgument(layer: "prune", message: "amount (\(c)) is more than the \(n) weights that can be pruned") }
            return c
        }
    }
}

/// A pruning rule (`torch.nn.utils.prune`'s).
public enum PruningMethod: Sendable, Equatable, CustomStringConvertible {
    /// `l1_unstructured`: the smallest |w| of each layer.
    case l1Unstructured(PruningAmount)
    /// `ln_structured`: whole slices along `dim` (0: output channels) with the smallest Ln norm.
    case structured(PruningAmount, dim: Int, norm: Double)
    /// `global_unstructured` with L1: the smallest |w| over all the layers together.
    case global(PruningAmount)

    public var description: String {
        switch self {
        case .l1Unstructured(let a): "L1 unstructured \(a)"
        case .structured(let a, let d, let n): "L\(n == .infinity ? "∞" : PyFormatLite.number(n)) structured \(a), dim \(d)"
        case .global(let a): "global L1 \(a)"
        }
    }
}

enum PyFormatLite {
    static func number(_ x: Double) -> String { x == x.rounded() ? String(Int(x)) : String(x) }
}

/// The mask after pruning `amount` of the unmasked entries with the smallest `importance`
/// (|w|), the others as in `mask`. Ties go to the lower index.
func unstructuredMask(importance: [Float], mask: [Float], amount: PruningAmount) throws -> [Float] {
    let candidates = mask.indices.filter { mask[$0] != 0 }
    let k = try amount.toPrune(of: candidates.count)
    var out = mask
    guard k > 0 else { return out }
    let order = candidates.sorted { importance[$0] != importance[$1] ? importance[$0] < importance[$1] : $0 < $1 }
    for i in order.prefix(k) { out[i] = 0 }
    return out
}

/// The mask of `ln_structured` on `w` (shape `shape`) along `dim`, among the slices not yet
/// entirely masked.
func structuredMask(_ w: [Float], shape: [Int], dim: Int, norm n: Double, mask: [Float], amount: PruningAmount) throws -> [Float] {
    guard dim >= 0, dim < shape.count else {
        throw NNError.invalidArgument(layer: "prune", message: "dim \(dim) is out of range for a weight of shape \(shape)")
    }
    let size = shape[dim]
    let inner = shape[(dim + 1)...].reduce(1, *), outer = shape[..<dim].reduce(1, *)
    func index(_ o: Int, _ c: Int, _ i: Int) -> Int { (o * size + c) * inner + i }
    var norms = [Double](repeating: 0, count: size), alive = [Bool](repeating: false, count: size)
    for c in 0..<size {
        var acc = 0.0
        for o in 0..<outer {
            for i in 0..<inner {
                let j = index(o, c, i)
                if mask[j] != 0 { alive[c] = true }
                let x = Double(abs(w[j]))
                if n == .infinity { acc = max(acc, x) } else if n == 1 { acc += x } else { acc += pow(x, n) }
            }
        }
        norms[c] = n == .infinity || n == 1 ? acc : pow(acc, 1 / n)
    }
    let channels = (0..<size).filter { alive[$0] }
    let k = try amount.toPrune(of: channels.count)
    guard k > 0 else { return mask }
    let keep = Set(channels.sorted { norms[$0] != norms[$1] ? norms[$0] > norms[$1] : $0 < $1 }.prefix(channels.count - k))
    var out = mask
    for c in 0..<size where !keep.contains(c) {
        for o in 0..<outer { for i in 0..<inner { out[index(o, c, i)] = 0 } }
    }
    return out
}

/// The prunable layers of a model under `prefixes` (all when nil), by path.
public func prunableLayers(_ model: Module, under prefixes: [String]? = nil) -> [(path: String, layer: any PrunableLayer)] {
    model.namedModules.compactMap { (path, m) -> (String, any PrunableLayer)? in
        guard let l = m as? any PrunableLayer, (l as? Linear)?.quantized == nil else { return nil }
        guard prefixes.map({ ps in ps.contains { pathMatches(path, prefix: $0) } }) ?? true else { return nil }
        return (path, l)
    }
}

/// Prunes the layers of `model` in place (as `torch.nn.utils.prune` does).
public func pruneInPlace(_ model: Module, _ method: PruningMethod, layers prefixes: [String]? = nil) throws {
    let layers = prunableLayers(model, under: prefixes)
    guard !layers.isEmpty else {
        throw NNError.invalidArgument(layer: "prune", message: "no Linear or Conv2d layer to prune" + (prefixes.map { " under \($0)" } ?? ""))
    }
    func floats(_ a: NDArray) throws -> [Float] { try a.to(.float32).contiguous().doubles().map(Float.init) }
    func current(_ l: any PrunableLayer) throws -> [Float] {
        try l.weightMask.map { try floats($0.value.data) } ?? [Float](repeating: 1, count: l.weight.value.count)
    }
    func array(_ v: [Float], like l: any PrunableLayer) throws -> NDArray {
        try NDArray(values: v.map(Double.init), shape: l.weight.value.shape).to(l.weight.value.dtype)
    }
    var plan: [(any PrunableLayer, NDArray)] = []
    switch method {
    case .l1Unstructured(let amount):
        for (path, l) in layers {
            let w = try floats(l.weight.value.data)
            do {
                plan.append((l, try array(try unstructuredMask(importance: w.map(abs), mask: try current(l), amount: amount), like: l)))
            } catch let e as NNError { throw e.prefixed(with: path) }
        }
    case .structured(let amount, let dim, let n):
        guard n > 0 else { throw NNError.invalidArgument(layer: "prune", message: "the norm must be positive, got \(n)") }
        for (path, l) in layers {
            let w = try floats(l.weight.value.data)
            do {
                plan.append((l, try array(try structuredMask(w, shape: l.weight.value.shape, dim: dim, norm: n, mask: try current(l), amount: amount), like: l)))
            } catch let e as NNError { throw e.prefixed(with: path) }
        }
    case .global(let amount):
        var importance: [Float] = [], mask: [Float] = []
        for (_, l) in layers {
            importance += try floats(l.weight.value.data).map(abs)
            mask += try current(l)
        }
        let all = try unstructuredMask(importance: importance, mask: mask, amount: amount)
        var at = 0
        for (_, l) in layers {
            let n = l.weight.value.count
            plan.append((l, try array(Array(all[at..<(at + n)]), like: l)))
            at += n
        }
    }
    for (l, m) in plan { l.setMask(m) }
}

/// A pruned copy of `model` (the original is unchanged; a LoRA model is merged in the copy).
///
///     let sparse = try prune(mlp, .l1Unstructured(.fraction(0.5)))
public func prune(_ model: Module, _ method: PruningMethod, layers prefixes: [String]? = nil) throws -> Module {
    let copy = try copyModule(model)
    try pruneInPlace(copy, method, layers: prefixes)
    return copy
}

/// Makes every layer's pruning permanent (`torch.nn.utils.prune.remove` on each).
public func removePruning(_ model: Module) throws {
    for (_, l) in prunableLayers(model) { try l.removeMask() }
}

/// Zeros per layer: the effective weights of Linear and Conv2d layers (a quantized layer's
/// integer values), by path.
public func sparsity(of model: Module) throws -> [(path: String, shape: [Int], zeros: Int, total: Int)] {
    var rows: [(path: String, shape: [Int], zeros: Int, total: Int)] = []
    for (path, m) in model.namedModules {
        let values: NDArray
        if let l = m as? Linear, let q = l.quantized { values = try q.dequantized() }
        else if let l = m as? any PrunableLayer { values = try l.effectiveWeight().data }
        else { continue }
        let zeros = values.doubles().reduce(0) { $0 + ($1 == 0 ? 1 : 0) }
        rows.append((path.isEmpty ? "(model)" : path, values.shape, zeros, values.count))
    }
    return rows
}
