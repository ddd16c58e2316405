import Foundation
import KoanAutograd
import KoanTensor

// LoRA as Hugging Face PEFT does it (peft/tuners/lora/layer.py): a target `Linear` keeps
// its frozen weight W and gains a low-rank branch, y = x·Wᵀ + b + s·B(A(dropout(x))) with
// s = alpha / r (alpha / √r with rsLoRA). A is `Linear(in, r)` drawn Kaiming-uniform
// (a = √5), B is `Linear(r, out)` of zeros, so the branch is a no-op before training. The
// branch's parameters sit under the target's path as `lora_A.weight`, `lora_B.weight`.
//
//     let report = try applyLoRA(to: classifier, LoRAConfig(rank: 8, alpha: 16, targets: ["query", "value"]))
//     try mergeLoRA(classifier)      // W += s·B·A: the same outputs, no branch
//     try unmergeLoRA(classifier)    // W −= s·B·A

/// A low-rank branch of one `Linear`.
public final class LoRABranch {
    public let rank: Int
    public let alpha: Double
    public let scaling: Double
    /// True for rank-stabilised LoRA (s = alpha / √r).
    public let rsLoRA: Bool
    public let down: Linear      // lora_A: in → r
    public let up: Linear        // lora_B: r → out
    public let dropout: Dropout
    /// True after `merge`: the branch is folded into the weight and skipped.
    public internal(set) var isMerged = false

    init(inFeatures: Int, outFeatures: Int, rank: Int, alpha: Double, dropout p: Double, rsLoRA: Bool, dtype: DType, key: RandomKey) throws {
        self.rank = rank
        self.alpha = alpha
        self.rsLoRA = rsLoRA
        scaling = rsLoRA ? alpha / Double(rank).squareRoot() : alpha / Double(rank)
        down = try Linear(inFeatures, rank, bias: false, key: key.derived(0), dtype: dtype)
        up = try Linear(rank, outFeatures, bias: false, key: key.derived(1), dtype: dtype)
        up.weight.assign(try NDArray.zeros([outFeatures, rank], dtype: dtype))
        dropout = try Dropout(p: p, key: key.derived(2))
    }

    /// s·B(A(dropout(x))).
    func callAsFunction(_ x: Tensor) throws -> Tensor {
        try up(down(dropout(x))) * scaling
    }

    /// s·B·A, shaped like the weight [out, in].
    func delta() throws -> NDArray {
        try (matmul(up.weight.value, down.weight.value) * scaling).data
    }
}

/// Which layers get LoRA and how.
public struct LoRAConfig: Sendable, Equatable {
    public var rank: Int
    public var alpha: Double
    public var dropout: Double
    /// Module names matched as PEFT does for a list: the module's dotted path equals the
    /// name or ends with "." + name.
    public var targets: [String]
    /// A regular expression the whole dotted path must match (PEFT's `target_modules` as a
    /// string); used instead of `targets` when set.
    public var targetPattern: String?
    /// Modules trained in full beside the branches (a new classification head).
    public var modulesToSave: [String]
    public var rsLoRA: Bool

    public init(rank: Int = 8, alpha: Double = 8, dropout: Double = 0, targets: [String] = ["query", "value"],
                targetPattern: String? = nil, modulesToSave: [String] = [], rsLoRA: Bool = false) {
        self.rank = rank; self.alpha = alpha; self.dropout = dropout; self.targets = targets
        self.targetPattern = targetPattern; self.modulesToSave = modulesToSave; self.rsLoRA = rsLoRA
    }
}

extension Linear {
    /// Adds a LoRA branch (children `lora_A`, `lora_B`, `lora_dropout`).
    func attachLoRA(rank: Int, alpha: Double, dropout: Double, rsLoRA: Bool, key: RandomKey) throws {
        guard lora == nil else {
            throw NNError.invalidArgument(layer: "LoRA", message: "this layer already has a LoRA branch")
        }
        let b = try LoRABranch(inFeatures: inFeatures, outFeatures: outFeatures, rank: rank, alpha: alpha, dropout: dropout,
                               rsLoRA: rsLoRA, dtype: weight.value.dtype, key: key)
        registerChild("lora_A", b.down)
        registerChild("lora_B", b.up)
        registerChild("lora_dropout", b.dropout)
        b.dropout.setTraining(isTraining)
        lora = b
    }
}

/// The dotted paths of the modules of `root` that `config` targets, checked: a target
/// that matches no module, or matches one that is not a `Linear`, throws.
func loraTargets(_ root: Module, _ config: LoRAConfig) throws -> [(path: String, layer: Linear)] {
    let modules = root.namedModules.filter { !$0.path.isEmpty }
    let regex: NSRegularExpression?
    if let p = config.targetPattern {
        do { regex = try NSRegularExpression(pattern: "^(?:" + p + ")$") } catch {
            throw NNError.invalidArgument(layer: "LoRA", message: "targetPattern '\(p)' is not a valid regular expression")
        }
    } else {
        regex = nil
    }
    func matches(_ path: String) -> Bool {
        if let regex { return regex.firstMatch(in: path, range: NSRange(path.startIndex..., in: path)) != nil }
        return config.targets.contains { path == $0 || path.hasSuffix("." + $0) }
    }
    var out: [(path: String, layer: Linear)] = []
    for (path, m) in modules where matches(path) && !path.contains("lora_") {
        guard let linear = m as? Linear else {
            throw NNError.invalidArgument(layer: "LoRA", message: "target '\(path)' is a \(m.layerName); LoRA targets Linear layers")
        }
        out.append((path, linear))
    }
    if regex == nil {
        for t in config.targets where !out.contains(where: { $0.path == t || $0.path.hasSuffix("." + t) }) {
            let names = Array(Set(modules.map { $0.path.split(separator: ".").last.map(String.init) ?? $0.path })).sorted()
            let near = nearMatches(t, in: names)
            throw NNError.invalidArgument(layer: "LoRA", message: "no module matches the target '\(t)'"
                + (near.isEmpty ? "" : "; did you mean \(near.map { "'\($0)'" }.joined(separator: ", "))?"))
        }
    }
    if out.isEmpty {
        throw NNError.invalidArgument(layer: "LoRA", message: "targetPattern '\(config.targetPattern ?? "")' matches no module")
    }
    return out
}

/// Adds LoRA branches to the targeted `Linear`s of `model` and freezes everything except
/// the branches and `modulesToSave` (PEFT's `bias="none"`). Returns the targeted paths.
///
///     let paths = try applyLoRA(to: clf, LoRAConfig(rank: 8, alpha: 16, targets: ["query", "value"], modulesToSave: ["classifier"]))
@discardableResult
public func applyLoRA(to model: Module, _ config: LoRAConfig, key: RandomKey = RandomKey(seed: 0)) throws -> [String] {
    guard config.rank >= 1 else { throw NNError.invalidArgument(layer: "LoRA", message: "rank must be at least 1, got \(config.rank)") }
    guard config.alpha.isFinite, config.alpha > 0 else {
        throw NNError.invalidArgument(layer: "LoRA", message: "alpha must be positive, got \(config.alpha)")
    }
    guard (0..<1).contains(config.dropout) else {
        throw NNError.invalidArgument(layer: "LoRA", message: "dropout must be in [0, 1), got \(config.dropout)")
    }
    let targets = try loraTargets(model, config)
    if let taken = targets.first(where: { $0.layer.lora != nil }) {
        throw NNError.invalidArgument(layer: "LoRA", message: "'\(taken.path)' already has a LoRA branch")
    }
    let paths = model.parameterSlots.map(\.path)
    for m in config.modulesToSave where !paths.contains(where: { pathMatches($0, prefix: m) }) {
        throw NNError.unknownParameter(path: m, nearMatches: nearMatches(m, in: paths))
    }
    for (i, t) in targets.enumerated() {
        try t.layer.attachLoRA(rank: config.rank, alpha: config.alpha, dropout: config.dropout, rsLoRA: config.rsLoRA,
                               key: key.derived(UInt64(i)))
    }
    freezeExceptPEFT(model, keep: config.modulesToSave)
    return targets.map(\.path)
}

/// Freezes every parameter except PEFT's own (LoRA branches, bottleneck adapters, virtual
/// tokens) and those under `keep`.
public func freezeExceptPEFT(_ model: Module, keep: [String]) {
    for (path, p) in model.parameterSlots {
        p.setTrainable(isPEFTParameter(path) || keep.contains { pathMatches(path, prefix: $0) })
    }
}

/// True for the paths of parameters that PEFT methods add.
public func isPEFTParameter(_ path: String) -> Bool {
    path.contains(".lora_A.") || path.contains(".lora_B.") || path.hasPrefix("lora_")
        || path.contains(".adapter.") || path.contains("prompt_encoder.") || path.contains("prefix_encoder.")
        || path.hasPrefix("prompt_encoder.") || path.hasPrefix("prefix_encoder.")
}

/// The LoRA layers of `model` by path.
public func loraLayers(_ model: Module) -> [(path: String, layer: Linear, branch: LoRABranch)] {
    model.namedModules.compactMap { (path, m) in
        guard let l = m as? Linear, let b = l.lora else { return nil }
        return (path, l, b)
    }
}

/// Folds every LoRA branch into its weight (W += s·B·A); outputs stay the same, the
/// branches are skipped until `unmergeLoRA`.
public func mergeLoRA(_ model: Module) throws {
    let layers = loraLayers(model)
    guard !layers.isEmpty else { throw NNError.invalidArgument(layer: "LoRA", message: "the model has no LoRA layers") }
    for (_, l, b) in layers where !b.isMerged {
        l.weight.assign(try (l.weight.value.data + b.delta()).contiguousCopy())
        b.isMerged = true
    }
}

/// Takes merged branches back out of the weights (W −= s·B·A).
public func unmergeLoRA(_ model: Module) throws {
    let layers = loraLayers(model)
    guard !layers.isEmpty else { throw NNError.invalidArgument(layer: "LoRA", message: "the model has no LoRA layers") }
    for (_, l, b) in layers where b.isMerged {
        l.weight.assign(try (l.weight.value.data - b.delta()).contiguousCopy())
        b.isMerged = false
    }
}
