import KoanAutograd
import KoanTensor

// Attention-head pruning as Hugging Face's `prune_heads`: the query, key and value
// projections lose the heads' output rows and the attention output projection the matching
// input columns, so the layer really shrinks. Heads are numbered as in the unpruned layer;
// pruning one twice does nothing.

extension Linear {
    /// Keeps only `indices` of the outputs (axis 0) or inputs (axis 1), in place.
    func keep(_ indices: [Int], axis: Int) throws {
        guard quantized == nil, lora == nil, weightMask == nil else {
            throw NNError.invalidArgument(layer: "pruneHeads", message: "prune heads before quantizing, magnitude pruning or LoRA")
        }
        let idx = Tensor(try NDArray(values: indices.map(Double.init), shape: [indices.count]).to(.int64))
        weight.assign(try weight.value.indexSelect(axis: axis, indices: idx).data.contiguousCopy())
        if axis == 0 {
            if let b = bias { b.assign(try b.value.indexSelect(axis: 0, indices: idx).data.contiguousCopy()) }
            outFeatures = indices.count
        } else {
            inFeatures = indices.count
        }
    }
}

extension BERTSelfAttention {
    /// Removes `heads` (original numbering) and shrinks the projections; `output` is the
    /// layer's attention output projection, which loses the matching inputs.
    func prune(heads remove: Set<Int>, output: Linear) throws {
        let original = heads + prunedHeads.count
        if let bad = remove.first(where: { $0 < 0 || $0 >= original }) {
            throw NNError.invalidArgument(layer: "pruneHeads", message: "head \(bad) does not exist: the layer has heads 0…\(original - 1)")
        }
        let newly = remove.subtracting(prunedHeads)
        guard !newly.isEmpty else { return }
        let remaining = (0..<original).filter { !prunedHeads.contains($0) }
        let keepHeads = remaining.enumerated().filter { !newly.contains($0.element) }.map(\.offset)   // positions among the current heads
        guard !keepHeads.isEmpty else {
            throw NNError.invalidArgument(layer: "pruneHeads", message: "a layer must keep at least one head")
        }
        let rows = keepHeads.flatMap { h in (h * headDim)..<((h + 1) * headDim) }
        try query.keep(rows, axis: 0)
        try key.keep(rows, axis: 0)
        try value.keep(rows, axis: 0)
        try output.keep(rows, axis: 1)
        heads = keepHeads.count
        prunedHeads.formUnion(newly)
    }
}

extension BERT {
    /// Prunes attention heads by layer index ({layer: [heads]}), as Hugging Face's
    /// `model.prune_heads`.
    ///
    ///     try bert.pruneHeads([0: [1, 3]])
    public func pruneHeads(_ spec: [Int: [Int]]) throws {
        for (layer, heads) in spec.sorted(by: { $0.key < $1.key }) {
            guard encoder.layers.indices.contains(layer) else {
                throw NNError.invalidArgument(layer: "pruneHeads", message: "layer \(layer) does not exist: the encoder has layers 0…\(encoder.layers.count - 1)")
            }
            let attention = encoder.layers[layer].attention
            try attention.selfAttention.prune(heads: Set(heads), output: attention.output.dense)
        }
    }

    /// Heads left per layer.
    public var headsPerLayer: [Int] { encoder.layers.map(\.attention.selfAttention.heads) }
}

/// Prunes heads of a BERT or a BERT classifier by layer path ("encoder.layer.0", or
/// "bert.encoder.layer.0" in a classifier, or the bare index "0").
///
///     try pruneHeads(clf, ["bert.encoder.layer.0": [1, 3]])
public func pruneHeads(_ model: Module, _ spec: [String: [Int]]) throws {
    let bert = try bertEncoder(of: model)
    var byLayer: [Int: [Int]] = [:]
    for (path, heads) in spec {
        var p = Substring(path)
        for prefix in [encoderPrefix(model), "encoder.layer."] where p.hasPrefix(prefix) { p = p.dropFirst(prefix.count) }
        if p.hasPrefix("encoder.layer.") { p = p.dropFirst("encoder.layer.".count) }
        guard let i = Int(p) else {
            throw NNError.invalidArgument(layer: "pruneHeads", message: "'\(path)' is not an encoder layer: use a path like \"\(encoderPrefix(model))encoder.layer.0\"")
        }
        byLayer[i, default: []] += heads
    }
    try bert.pruneHeads(byLayer)
}

/// The architecture's record of pruned heads: [layer, head, layer, head, …].
func prunedHeadsConfig(_ m: BERT) -> [String: ArchitectureValue] {
    let flat = m.encoder.layers.enumerated().flatMap { i, l in l.attention.selfAttention.prunedHeads.sorted().flatMap { [i, $0] } }
    return flat.isEmpty ? [:] : ["prunedHeads": .ints(flat)]
}

func prunedHeadsFromConfig(_ flat: [Int]) -> [Int: [Int]] {
    var out: [Int: [Int]] = [:]
    for i in stride(from: 0, to: flat.count - 1, by: 2) { out[flat[i], default: []].append(flat[i + 1]) }
    return out
}
