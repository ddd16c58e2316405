import Foundation
import KoanTensor

/// Which layers of a model are pruned or quantized: what a rebuilt architecture needs before
/// its saved tensors fit (`weight_orig` + `weight_mask`, or int8 `weight` + `weight_scale`).
/// Written as JSON in a checkpoint's metadata (`koan.compression`).
public struct CompressionLayout: Codable, Equatable, Sendable {
    /// Paths of the pruned layers.
    public var pruned: [String] = []
    /// Scheme keys (`QuantizationScheme.key`) of the quantized layers by path.
    public var quantized: [String: String] = [:]

    public init() {}

    public var isEmpty: Bool { pruned.isEmpty && quantized.isEmpty }

    public static func of(_ model: Module) -> CompressionLayout {
        var layout = CompressionLayout()
        for (path, m) in model.namedModules {
            if let l = m as? any PrunableLayer, l.weightMask != nil { layout.pruned.append(path) }
            if let l = m as? Linear, let q = l.quantized { layout.quantized[path] = q.scheme.key }
        }
        return layout
    }

    /// Makes `model`'s layers pruned (masks of ones) and quantized as listed, ready for
    /// their saved tensors.
    public func apply(to model: Module) throws {
        let modules = Dictionary(model.namedModules.map { ($0.path, $0.module) }, uniquingKeysWith: { a, _ in a })
        for path in pruned {
            guard let l = modules[path] as? any PrunableLayer else {
                throw NNError.invalidArgument(layer: model.layerName, message: "the saved layout prunes '\(path)', which is not a Linear or Conv2d layer of this model")
            }
            if l.weightMask == nil { l.setMask(try NDArray.ones(l.weight.value.shape, dtype: l.weight.value.dtype)) }
        }
        for (path, key) in quantized.sorted(by: { $0.key < $1.key }) {
            guard let l = modules[path] as? Linear else {
                throw NNError.invalidArgument(layer: model.layerName, message: "the saved layout quantizes '\(path)', which is not a Linear layer of this model")
            }
            guard let scheme = QuantizationScheme(key: key) else {
                throw NNError.invalidArgument(layer: model.layerName, message: "unknown quantization '\(key)' for '\(path)' in the saved layout")
            }
            if l.quantized == nil { try l.quantize(scheme) }
        }
    }
}

/// An independent copy of `model`: the same architecture (pruned heads included), pruning
/// masks, quantized layers, trainability, mode and a classifier's tokenizer and labels. LoRA
/// branches are merged into the copy's weights; a model with adapters, prompt or prefix
/// tuning cannot be copied this way (merge or remove them first).
///
///     let twin = try copyModule(mlp)
public func copyModule(_ model: Module) throws -> Module {
    let copy = try Architecture.of(model).build()
    if let h = model as? BERTHead, let c = copy as? BERTHead {
        c.tokenizer = h.tokenizer
        c.maxLength = h.maxLength
        c.labelNames = h.labelNames
    }
    if let b = try? bertEncoder(of: model), let c = try? bertEncoder(of: copy) { c.origin = b.origin }
    try CompressionLayout.of(model).apply(to: copy)

    var parameters: [String: NDArray] = [:], buffers: [String: NDArray] = [:]
    for (path, slot) in model.parameterSlots { parameters[path] = slot.value.data }
    for (path, slot) in model.bufferSlots { buffers[path] = slot.value.data }
    for (path, layer, branch) in loraLayers(model) where !branch.isMerged {
        let name = join(path, layer.weightMask == nil ? "weight" : "weight_orig")
        parameters[name] = try layer.weight.value.data + branch.delta()
    }
    let own = Set(copy.parameterSlots.map(\.path)), ownBuffers = Set(copy.bufferSlots.map(\.path))
    let isLoRA = { (p: String) in p.contains(".lora_A.") || p.contains(".lora_B.") }
    let left = parameters.keys.filter { !own.contains($0) && !isLoRA($0) } + buffers.keys.filter { !ownBuffers.contains($0) }
    guard left.isEmpty else {
        throw NNError.invalidArgument(layer: model.layerName, message:
            "cannot copy this model: it has tensors its architecture does not rebuild (\(left.sorted().prefix(3).joined(separator: ", "))…): adapters, prompt and prefix tuning are not carried over")
    }
    try copy.update(parameters: parameters.filter { own.contains($0.key) })
    try copy.update(buffers: buffers.filter { ownBuffers.contains($0.key) })
    let trainable = Dictionary(model.parameterSlots.map { ($0.path, $0.parameter.isTrainable) }, uniquingKeysWith: { a, _ in a })
    for (path, p) in copy.parameterSlots { p.setTrainable(trainable[path] ?? true) }
    copy.setTraining(model.isTraining)
    return copy
}
