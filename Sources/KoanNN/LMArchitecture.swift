import KoanTensor

// The architectures of the language models; `Architecture.of` and `Architecture.build`
// try these before giving up on a type.

/// The `Architecture` of a language model (GPT, BERT and its heads), or nil for other modules.
///
///     let a = try lmArchitecture(of: gpt)   // {"type": "GPT", "config": {"vocab": 256, ...}}
public func lmArchitecture(of module: Module) throws -> Architecture? {
    switch module {
    case let m as GPT:
        return Architecture("GPT", [
            "vocab": .int(m.vocab), "context": .int(m.context), "dim": .int(m.dim), "heads": .int(m.heads),
            "layers": .int(m.layers), "attention": .string(kernelName(m.attentionKernel)),
            "position": .string(positionName(m.position)), "shareLayers": .bool(m.shareLayers), "dropout": .double(m.dropout)])
    case let m as BERT:
        return Architecture("BERT", [
            "vocab": .int(m.vocab), "dim": .int(m.dim), "heads": .int(m.heads), "layers": .int(m.layers),
            "intermediate": .int(m.intermediateSize), "maxPositions": .int(m.maxPositions), "typeVocab": .int(m.typeVocab),
            "layerNormEps": .double(m.layerNormEps)].merging(prunedHeadsConfig(m)) { a, _ in a })
    case let m as BERTTokenClassifier:
        guard let bert = try lmArchitecture(of: m.bert) else { return nil }
        return Architecture("BERTTokenClassifier", ["labels": .int(m.classifier.outFeatures), "dropout": .double(m.dropout.p)],
                            children: [bert])
    case let m as BERTSequenceClassifier:
        guard let bert = try lmArchitecture(of: m.bert) else { return nil }
        return Architecture("BERTSequenceClassifier", ["classes": .int(m.classifier.outFeatures), "dropout": .double(m.dropout.p)],
                            children: [bert])
    default:
        return nil
    }
}

/// A fresh language model of `a` (weights from seed 0), or nil when `a.type` is not one.
///
///     let copy = try buildLM(try lmArchitecture(of: gpt)!)   // same paths, fresh weights
public func buildLM(_ a: Architecture) throws -> Module? {
    let c = a
    switch a.type {
    case "GPT":
        return try GPT(vocab: c.int("vocab"), context: c.int("context"), dim: c.int("dim"), heads: c.int("heads"),
                       layers: c.int("layers"), attention: parseKernel(c.string("attention"), type: a.type),
                       position: parsePosition(c.string("position"), type: a.type), shareLayers: c.bool("shareLayers"),
                       dropout: c.double("dropout"))
    case "BERT":
        let bert = try BERT(vocab: c.int("vocab"), dim: c.int("dim"), heads: c.int("heads"), layers: c.int("layers"),
                            intermediate: c.int("intermediate"), maxPositions: c.int("maxPositions"),
                            typeVocab: c.int("typeVocab"), layerNormEps: c.double("layerNormEps"))
        if c.config["prunedHeads"] != nil { try bert.pruneHeads(prunedHeadsFromConfig(try c.ints("prunedHeads"))) }
        return bert
    case "BERTTokenClassifier", "BERTSequenceClassifier":
        guard a.children.count == 1, let bert = try buildLM(a.children[0]) as? BERT else {
            throw NNError.invalidArgument(layer: a.type, message: "saved architecture needs exactly one BERT child")
        }
        return a.type == "BERTTokenClassifier"
            ? try BERTTokenClassifier(bert: bert, labels: c.int("labels"), dropout: c.double("dropout"))
            : try BERTSequenceClassifier(bert: bert, classes: c.int("classes"), dropout: c.double("dropout"))
    default:
        return nil
    }
}

/// "full", "linear", "tiled(64)", "local(128,1)".
func kernelName(_ k: AttentionKernel) -> String {
    switch k {
    case .full: return "full"
    case .linear: return "linear"
    case .tiled(let b): return "tiled(\(b))"
    case .local(let w, let g): return "local(\(w),\(g))"
    }
}

func parseKernel(_ s: String, type: String) throws -> AttentionKernel {
    func args(_ prefix: String) -> [Int]? {
        guard s.hasPrefix(prefix + "("), s.hasSuffix(")") else { return nil }
        let inner = s.dropFirst(prefix.count + 1).dropLast()
        let xs = inner.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        return xs.contains(where: { $0 == nil }) ? nil : xs.compactMap { $0 }
    }
    if s == "full" { return .full }
    if s == "linear" { return .linear }
    if s == "tiled" { return .tiled() }
    if let a = args("tiled"), a.count == 1 { return .tiled(block: a[0]) }
    if let a = args("local"), a.count == 2 { return .local(window: a[0], globalTokens: a[1]) }
    throw NNError.invalidArgument(layer: type, message: "saved architecture field 'attention': unknown kernel '\(s)'")
}

func positionName(_ p: PositionalEncoding) -> String {
    switch p {
    case .learned: return "learned"
    case .sinusoidal: return "sinusoidal"
    case .rope: return "rope"
    case .alibi: return "alibi"
    }
}

func parsePosition(_ s: String, type: String) throws -> PositionalEncoding {
    switch s {
    case "learned": return .learned
    case "sinusoidal": return .sinusoidal
    case "rope": return .rope
    case "alibi": return .alibi
    default: throw NNError.invalidArgument(layer: type, message: "saved architecture field 'position': unknown encoding '\(s)'")
    }
}
