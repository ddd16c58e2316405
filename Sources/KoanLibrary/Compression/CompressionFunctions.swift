import KoanAutograd
import KoanLang
import KoanMarkup
import KoanNN
import KoanTensor
import KoanTrain

// Compression from cells: quantize, prune (weights and attention heads), sparsity and
// distill. The layers and kernels are in KoanNN (Quantization, Pruning, HeadPruning) and
// KoanTensor (Quantized: the integer kernels); `compare` is in Compare.swift.

private func schemeOption(_ v: Value) throws -> QuantizationScheme {
    let (name, a) = try OptionCase.match(v, "quantization", quantizationOptions)
    switch name {
    case "int8WeightOnly": return .int8WeightOnly
    case "int4": return .int4(groupSize: try a[0].asInt())
    default: return try a[0].asBool() ? .int8 : .int8FullRange
    }
}

/// An amount of pruning: a fraction (0.5) or a count (13), as PyTorch's `amount`.
private func amountOption(_ v: Value) throws -> PruningAmount {
    if case .int(let n) = v { return .count(n) }
    return .fraction(try v.asDouble())
}

private func pruningOption(_ v: Value) throws -> PruningMethod {
    let (name, a) = try OptionCase.match(v, "pruning", pruningOptions)
    switch name {
    case "structured": return .structured(try amountOption(a[0]), dim: try a[1].asInt(), norm: try a[2].asDouble())
    case "global": return .global(try amountOption(a[0]))
    default: return .l1Unstructured(try amountOption(a[0]))
    }
}

private func layerPrefixes(_ v: Value) throws -> [String]? {
    v.isNil ? nil : try v.elements().map { try $0.asString() }
}

/// How a model was compressed, for summaries and `compare` (nil: it was not).
func compressionMethod(_ model: Module) -> String? {
    var parts: [String] = []
    let layout = CompressionLayout.of(model)
    if let scheme = Set(layout.quantized.values).sorted().first.flatMap(QuantizationScheme.init(key:)) {
        parts.append(Set(layout.quantized.values).count == 1 ? scheme.description : "quantized (mixed)")
    }
    if !layout.pruned.isEmpty, let rows = try? sparsity(of: model) {
        let zeros = rows.reduce(0) { $0 + $1.zeros }, total = rows.reduce(0) { $0 + $1.total }
        parts.append("pruned \(PyFormat.fixed(100 * Double(zeros) / Double(max(1, total)), digits: 0))%")
    }
    if let bert = try? bertEncoder(of: model), bert.headsPerLayer.contains(where: { $0 < bert.heads }) {
        parts.append("\(bert.heads * bert.layers - bert.headsPerLayer.reduce(0, +)) heads pruned")
    }
    return parts.isEmpty ? nil : parts.joined(separator: ", ")
}

/// `sparsity(model)`: zeros per layer.
final class SparsityTable: KoanObject {
    let rows: [[String]]
    let overall: Double
    init(_ model: Module) throws {
        let layers = try sparsity(of: model)
        var rows: [[String]] = [["layer", "shape", "zeros", "weights", "sparsity"]]
        func pct(_ z: Int, _ t: Int) -> String { PyFormat.fixed(100 * Double(z) / Double(max(1, t)), digits: 1) + "%" }
        for l in layers {
            rows.append([l.path, "[" + l.shape.map(String.init).joined(separator: ", ") + "]", FitDisplay.grouped(l.zeros), FitDisplay.grouped(l.total), pct(l.zeros, l.total)])
        }
        let zeros = layers.reduce(0) { $0 + $1.zeros }, total = layers.reduce(0) { $0 + $1.total }
        rows.append(["total", "", FitDisplay.grouped(zeros), FitDisplay.grouped(total), pct(zeros, total)])
        self.rows = rows
        overall = Double(zeros) / Double(max(1, total))
    }
    var typeName: String { "Table" }
    var description: String { textTable(rows, rightAligned: [2, 3, 4]).joined(separator: "\n") }
    var richRepresentations: [String: MimeData] { ["text/html": .text(htmlTable(rows))] }
}

func registerCompressionFunctions(_ r: Registry) {
    r.function("quantize(_ model: Any, _ scheme: Quantization, layers: [String]? = nil) -> Module",
               "A quantized copy of the model (the original is unchanged): .int8 as PyTorch's quantize_dynamic with per-channel int8 weights and u8 activations quantized per batch, integer products on the CPU's best path (AVX-512 VNNI, AVX2 or portable); .int8(reduceRange: false) quantizes activations over 0...255 instead of 0...127 (more accurate, slower on AVX2); .int8WeightOnly and .int4(groupSize: 32) keep weights as integers and dequantise inside the product (for generation). layers: path prefixes of the Linear layers to quantize (default all). LoRA branches are merged in the copy.") { a, _ in
        let scheme = try schemeOption(a[1]), layers = try layerPrefixes(a[2])
        if case .object(let o as EncoderObject) = a[0] {   // a sentence encoder stays one, with its tokenizer
            guard let bert = try KoanNN.quantize(o.encoder.model, scheme, layers: layers) as? BERT else {
                throw Fault(.runtime, "quantizing the encoder did not give a BERT")
            }
            let e = o.encoder
            return .object(EncoderObject(SentenceEncoder(model: bert, tokenizer: e.tokenizer, maxLength: e.maxLength, directory: e.directory),
                                         name: "\(o.name), \(scheme)"))
        }
        return .object(ModuleObject(try KoanNN.quantize(try a[0].asModule(), scheme, layers: layers)))
    }
    r.function("quantizationPath() -> String",
               "The instruction-set path the int8 kernels run on here: avx512vnni, avx2 or portable (KOAN_QUANT_ISA overrides).") { _, _ in
        .string(IntegerKernels.path.description)
    }
    r.function("prune(_ model: Module, _ method: Pruning, layers: [String]? = nil) -> Model",
               "A pruned copy of the model, as torch.nn.utils.prune: .l1Unstructured(0.5) (smallest |w| per layer), .structured(0.3, dim: 0, norm: 2) (whole rows or columns by Ln norm), .global(0.5) (smallest |w| over all layers). An amount is a fraction (rounded as PyTorch) or a count. Masks stay through fine-tuning (weight_orig × weight_mask) until model.removePruning().") { a, _ in
        .object(ModuleObject(try KoanNN.prune(try a[0].asModule(), try pruningOption(a[1]), layers: try layerPrefixes(a[2]))))
    }
    r.member(of: ModuleObject.self, "prune(_ method: Pruning, layers: [String]? = nil)",
             "Prunes this model in place (as torch.nn.utils.prune); pruning again prunes among the weights left.", .method { v, a, _ in
        try pruneInPlace(try v.asModule(), try pruningOption(a[0]), layers: try layerPrefixes(a[1]))
        return .void
    })
    r.member(of: ModuleObject.self, "removePruning()",
             "Makes pruning permanent: each weight becomes weight_orig × weight_mask and the masks go (torch's prune.remove).", .method { v, _, _ in
        try KoanNN.removePruning(try v.asModule())
        return .void
    })
    r.member(of: ModuleObject.self, "pruneHeads(_ heads: [String: [Int]])",
             "Removes attention heads in place, as Hugging Face's prune_heads: [\"encoder.layer.0\": [1, 3]] (in a classifier \"bert.encoder.layer.0\"); the query, key, value and output projections shrink.", .method { v, a, _ in
        guard case .dict(let d) = a[0] else { throw Fault(.type, "pruneHeads takes a dictionary of layer paths to head lists") }
        var spec: [String: [Int]] = [:]
        for (k, heads) in zip(d.keys, d.values) {
            let key: String = if case .int(let i) = k { String(i) } else { try k.asString() }
            spec[key] = try heads.elements().map { try $0.asInt() }
        }
        try KoanNN.pruneHeads(try v.asModule(), spec)
        return .void
    })
    r.member(of: ModuleObject.self, "copy() -> Module",
             "An independent copy of the model (as copy.deepcopy): the same weights, pruning masks, quantized layers, pruned heads and trainability; LoRA branches are merged into the copy's weights.", .method { v, _, _ in
        .object(ModuleObject(try copyModule(try v.asModule())))
    })
    r.function("sparsity(_ model: Module) -> Table", "The fraction of zero weights per Linear and Conv2d layer, and in total.") { a, _ in
        .object(try SparsityTable(try a[0].asModule()))
    }
    r.function("distill(teacher: Module, into student: Module, on data: Dataset, temperature: Double = 2, alpha: Double = 0.5, epochs: Int = 5, batchSize: Int = 32, optimizer: Any? = nil, validation: Dataset? = nil, seed: Int = 0) -> Module",
               "Trains the student on the data against the teacher's softened outputs (DistilBERT's recipe): loss = alpha·T²·KL(teacher_T ‖ student_T) + (1 − alpha)·cross-entropy, through fit (one live display; an interrupt keeps the last finished step). Returns the student, trained in place.") { a, ctx in
        let teacher = try a[0].asModule(), student = try a[1].asModule()
        var options = FitOptions(epochs: try a[5].asInt(), batchSize: try a[6].asInt())
        options.validation = a[8].isNil ? nil : try a[8].asDataset(for: student)
        options.seed = UInt64(bitPattern: Int64(try a[9].asInt()))
        let optimizer = try optimizerOption(a[7], model: student)
        let distillation = try Distillation(teacher: teacher, temperature: try a[3].asDouble(), alpha: try a[4].asDouble())
        let data = try a[2].asDataset(for: student)
        let live = FitDisplay(ctx.display)
        let cancellation = ctx.cancellation
        let run = try KoanTrain.fit(student, on: data, optimizer: optimizer, options: options, distillation: distillation,
                                    observer: { live.update($0) }, isCancelled: { cancellation.isCancelled })
        let times = ctx.registry.state { FitTimes() }
        times.record(student, run)
        times.note(student, "distilled")
        return a[1]
    }
}

/// The cases of `quantization:` (matched by OptionCase, offered by completion).
let quantizationOptions = ["int8(reduceRange: Bool = true)", "int8WeightOnly", "int4(groupSize: Int = 32)"]

/// The cases of `pruning:` (matched by OptionCase, offered by completion).
let pruningOptions = ["l1Unstructured(_ amount: Any)", "structured(_ amount: Any, dim: Int = 0, norm: Double = 2)",
                                                        "global(_ amount: Any)"]
