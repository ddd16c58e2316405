import Foundation
import KoanJSON
import KoanNN
import KoanTensor

// Adapter directories as Hugging Face PEFT writes them with `save_pretrained`:
// `adapter_config.json` and `adapter_model.safetensors`, keys named as in PEFT
// (`base_model.model.<path>.lora_A.weight`, the adapter name left out). Koan's module
// paths are Hugging Face's (`bert.encoder.layer.0.attention.self.query`), so a key is
// the PEFT prefix plus the Koan path. A LoRA or prompt/prefix-tuning adapter saved here
// loads with `PeftModel.from_pretrained` on the same base, and PEFT's load here
// (tools/goldens/peft.py checks both). Bottleneck adapters have no PEFT type: they are
// written the same way under Koan's own `peft_type` "BOTTLENECK".
//
//     try saveAdapter(clf, to: "adapters/intents", baseModel: "sentence-transformers/all-MiniLM-L6-v2")
//     try loadAdapter(into: fresh, from: "adapters/intents")

public struct AdapterError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

let peftPrefix = "base_model.model."

/// The name of the PEFT method a model carries ("LoRA", "adapters (Houlsby)", …), or nil.
public func peftMethodName(_ model: Module) -> String? {
    switch try? adapterKind(model) {
    case .lora?: return "LoRA"
    case .prompt?: return "prompt tuning"
    case .prefix?: return "prefix tuning"
    case .bottleneck?:
        let houlsby = (try? bertEncoder(of: model))?.encoder.layers.first?.attention.output.adapter != nil
        return houlsby ? "adapters (Houlsby)" : "adapters (Pfeiffer)"
    case nil: return nil
    }
}

/// PEFT's task type of a model.
func taskType(_ model: Module) -> String {
    switch model {
    case is BERTSequenceClassifier: "SEQ_CLS"
    case is BERTTokenClassifier: "TOKEN_CLS"
    case is GPT: "CAUSAL_LM"
    default: "FEATURE_EXTRACTION"
    }
}

/// The PEFT method a model carries, and what it is.
enum AdapterKind {
    case lora([(path: String, layer: Linear, branch: LoRABranch)])
    case prompt(PromptEncoder)
    case prefix(PrefixEncoder)
    case bottleneck
}

func adapterKind(_ model: Module) throws -> AdapterKind {
    let lora = loraLayers(model)
    if !lora.isEmpty { return .lora(lora) }
    if let gpt = model as? GPT, let p = gpt.prefixEncoder { return .prefix(p) }
    if let bert = try? bertEncoder(of: model) {
        if let p = bert.promptEncoder { return .prompt(p) }
        if let p = bert.prefixEncoder { return .prefix(p) }
        if bert.encoder.layers.contains(where: { $0.output.adapter != nil }) { return .bottleneck }
    }
    throw AdapterError("the model has no adapter: use applyLoRA, addAdapters, applyPromptTuning or applyPrefixTuning first")
}

/// PEFT's key for a module-to-save parameter: `base_model.model.classifier.weight` beside
/// LoRA weights, `base_model.classifier.weight` beside prompt embeddings (PEFT 0.21's
/// `ModulesToSaveWrapper.adapter_state_dict` and `BasePromptEncoder._get_adapter_state_dict`).
func peftModuleToSaveKey(_ path: String, promptLearning: Bool) -> String {
    (promptLearning ? "base_model." : peftPrefix) + path
}

/// Writes the model's adapter (and its head) to `directory` in PEFT's layout.
public func saveAdapter(_ model: Module, to directory: String, baseModel: String) throws {
    let kind = try adapterKind(model)
    let bert = try? bertEncoder(of: model)
    var tensors: [(name: String, array: NDArray)] = []
    var config: [(String, JSONValue)] = []
    let heads = headPaths(model)
    // PEFT's SEQ_CLS and TOKEN_CLS models list their heads' usual names ("classifier", "score").
    let headJSON: JSONValue = heads.isEmpty ? .null : .array((heads + ["score"]).map { .string($0) })
    let task: JSONValue = model is BERT ? .null : .string(taskType(model))
    switch kind {
    case .lora(let layers):
        guard let first = layers.first?.branch else { throw AdapterError("no LoRA layers") }
        if layers.contains(where: { $0.branch.isMerged }) {
            throw AdapterError("the LoRA branches are merged into the weights: call unmergeLoRA() before saveAdapter")
        }
        for (path, _, b) in layers {
            tensors.append((peftPrefix + path + ".lora_A.weight", try b.down.weight.value.data.contiguousCopy()))
            tensors.append((peftPrefix + path + ".lora_B.weight", try b.up.weight.value.data.contiguousCopy()))
        }
        let targets = Array(Set(layers.map { $0.path.split(separator: ".").last.map(String.init) ?? $0.path })).sorted()
        // The fields PEFT 0.21's LoraConfig writes that describe plain LoRA (the others,
        // for methods Koan does not have, take PEFT's defaults when it loads the file).
        config = [
            ("alpha_pattern", .object([])), ("base_model_name_or_path", .string(baseModel)), ("bias", "none"),
            ("exclude_modules", .null), ("fan_in_fan_out", false), ("inference_mode", true), ("init_lora_weights", true),
            ("layers_pattern", .null), ("layers_to_transform", .null), ("lora_alpha", first.alpha == first.alpha.rounded() && abs(first.alpha) < 1e15 ? JSONValue(Int(first.alpha)) : JSONValue(first.alpha)), ("lora_bias", false),
            ("lora_dropout", JSONValue(first.dropout.p)), ("modules_to_save", headJSON), ("peft_type", "LORA"),
            ("r", JSONValue(first.rank)), ("rank_pattern", .object([])), ("revision", .null),
            ("target_modules", .array(targets.map { .string($0) })), ("task_type", task), ("use_dora", false),
            ("use_rslora", .bool(first.rsLoRA)),
        ]
    case .prompt(let p):
        tensors.append(("prompt_embeddings", try p.embedding.weight.value.data.contiguousCopy()))
        config = promptConfig("PROMPT_TUNING", tokens: p.tokens, sizes: sizes(model), baseModel: baseModel, headJSON: headJSON, task: task)
            + [("prompt_tuning_init", "RANDOM")]
    case .prefix(let p):
        tensors.append(("prompt_embeddings", try p.table().data.contiguousCopy()))
        config = promptConfig("PREFIX_TUNING", tokens: p.tokens, sizes: sizes(model), baseModel: baseModel, headJSON: headJSON, task: task)
            + [("prefix_projection", false)]
    case .bottleneck:
        for (path, t) in model.parameters where path.contains(".adapter.") {
            tensors.append((peftPrefix + path, try t.data.contiguousCopy()))
        }
        let layer = bert?.encoder.layers.first
        let reduction = (bert?.dim ?? 1) / max(1, layer?.output.adapter?.down.outFeatures ?? 1)
        config = [("base_model_name_or_path", .string(baseModel)), ("modules_to_save", headJSON), ("peft_type", "BOTTLENECK"),
                  ("placement", .string(layer?.attention.output.adapter != nil ? "houlsby" : "pfeiffer")),
                  ("reduction_factor", JSONValue(reduction)), ("task_type", .string(taskType(model)))]
    }
    let promptLearning: Bool
    switch kind {
    case .prompt, .prefix: promptLearning = true
    default: promptLearning = false
    }
    for h in heads {
        for (path, t) in model.parameters where path.hasPrefix(h + ".") {
            tensors.append((peftModuleToSaveKey(path, promptLearning: promptLearning), try t.data.contiguousCopy()))
        }
    }
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    try Safetensors.write(tensors, metadata: ["format": "pt"], to: directory + "/adapter_model.safetensors")
    let json = JSONWriter.string(.object(config.sorted { $0.0 < $1.0 }), style: .pretty)
    guard FileManager.default.createFile(atPath: directory + "/adapter_config.json", contents: Data(json.utf8)) else {
        throw AdapterError("cannot write '\(directory)/adapter_config.json'")
    }
}

/// Layers, heads and width of a BERT or GPT model (prompt-learning configs record them).
private func sizes(_ model: Module) -> (layers: Int, heads: Int, dim: Int) {
    if let g = model as? GPT { return (g.layers, g.heads, g.dim) }
    let b = try? bertEncoder(of: model)
    return (b?.layers ?? 0, b?.heads ?? 0, b?.dim ?? 0)
}

private func promptConfig(_ type: String, tokens: Int, sizes: (layers: Int, heads: Int, dim: Int), baseModel: String,
                          headJSON: JSONValue, task: JSONValue) -> [(String, JSONValue)] {
    [("base_model_name_or_path", .string(baseModel)), ("inference_mode", true), ("modules_to_save", headJSON),
     ("num_attention_heads", JSONValue(sizes.heads)), ("num_layers", JSONValue(sizes.layers)),
     ("num_transformer_submodules", 1), ("num_virtual_tokens", JSONValue(tokens)), ("peft_type", .string(type)),
     ("task_type", task), ("token_dim", JSONValue(sizes.dim))]
}

/// The Koan path of a PEFT key: the `base_model.model.` prefix and PEFT's wrapper
/// segments (`modules_to_save`, `default`, `base_layer`) taken out.
func koanPath(_ key: String) -> String {
    var k = key.hasPrefix(peftPrefix) ? String(key.dropFirst(peftPrefix.count))
        : key.hasPrefix("base_model.") ? String(key.dropFirst("base_model.".count)) : key
    for seg in [".modules_to_save.default.", ".modules_to_save.", ".default.", ".base_layer."] {
        k = k.replacingOccurrences(of: seg, with: ".")
    }
    return k
}

/// Loads an adapter directory (PEFT's or Koan's) into `model`: adds the method when the
/// model does not have it yet (LoRA with the file's rank, alpha and targets; prompt or
/// prefix tuning with its virtual tokens), then loads every tensor, checking names and
/// shapes before anything changes.
public func loadAdapter(into model: Module, from directory: String, key: RandomKey = RandomKey(seed: 0)) throws {
    let configPath = directory + "/adapter_config.json"
    guard let data = FileManager.default.contents(atPath: configPath) else { throw AdapterError("cannot read '\(configPath)'") }
    let config: JSONValue
    do { config = try JSONValue(parsing: [UInt8](data)) } catch { throw AdapterError("\(configPath): \(error)") }
    guard let type = config["peft_type"]?.string else { throw AdapterError("\(configPath): no peft_type") }
    let file = try SafetensorsFile(path: directory + "/adapter_model.safetensors")
    let arrays = try file.arrays()
    var values: [String: NDArray] = [:]
    switch type {
    case "LORA":
        guard let r = config["r"]?.int, let alpha = config["lora_alpha"]?.double else { throw AdapterError("\(configPath): r and lora_alpha are needed") }
        var c = LoRAConfig(rank: r, alpha: alpha, dropout: config["lora_dropout"]?.double ?? 0)
        if let list = config["target_modules"]?.array { c.targets = list.compactMap(\.string).sorted() } else if let p = config["target_modules"]?.string { c.targetPattern = p }
        c.rsLoRA = config["use_rslora"]?.bool ?? false
        c.modulesToSave = headPaths(model)
        if config["use_dora"]?.bool == true { throw AdapterError("\(configPath): DoRA adapters are not supported") }
        if loraLayers(model).isEmpty { try applyLoRA(to: model, c, key: key) }
        for (name, a) in arrays { values[koanPath(name)] = a }
    case "PROMPT_TUNING", "PREFIX_TUNING":
        guard let n = config["num_virtual_tokens"]?.int else { throw AdapterError("\(configPath): num_virtual_tokens is needed") }
        guard let table = arrays.first(where: { $0.name == "prompt_embeddings" })?.array else {
            throw AdapterError("\(directory)/adapter_model.safetensors has no prompt_embeddings")
        }
        if type == "PREFIX_TUNING", let gpt = model as? GPT {
            if gpt.prefixEncoder != nil { try removePrefixEncoder(gpt) }
            try applyPrefixTuning(to: gpt, tokens: n, projection: nil, key: key)
            values["prefix_encoder.embedding.weight"] = table
            break
        }
        let bert = try bertEncoder(of: model)
        if type == "PROMPT_TUNING" {
            if bert.promptEncoder == nil { try applyPromptTuning(to: model, tokens: n, key: key) }
            values[encoderPrefix(model) + "prompt_encoder.embedding.weight"] = table
        } else {
            if bert.prefixEncoder?.transform != nil || bert.prefixEncoder == nil {
                // The file holds the computed table: a plain prefix encoder takes it (PEFT drops the MLP at inference too).
                if bert.prefixEncoder != nil { try removePrefixEncoder(bert) }
                try applyPrefixTuning(to: model, tokens: n, projection: nil, key: key)
            }
            values[encoderPrefix(model) + "prefix_encoder.embedding.weight"] = table
        }
        for (name, a) in arrays where name != "prompt_embeddings" { values[koanPath(name)] = a }
    case "BOTTLENECK":
        let placement = AdapterPlacement(rawValue: config["placement"]?.string ?? "") ?? .pfeiffer
        let bert = try bertEncoder(of: model)
        if !bert.encoder.layers.contains(where: { $0.output.adapter != nil }) {
            try addAdapters(to: model, reduction: config["reduction_factor"]?.int ?? 16, placement: placement, key: key)
        }
        for (name, a) in arrays { values[koanPath(name)] = a }
    default:
        throw AdapterError("\(configPath): peft_type '\(type)' is not supported (LORA, PROMPT_TUNING, PREFIX_TUNING, BOTTLENECK)")
    }
    var converted: [String: NDArray] = [:]
    let dtypes = Dictionary(model.parameters.map { ($0.path, $0.tensor.dtype) }, uniquingKeysWith: { a, _ in a })
    for (path, a) in values {
        converted[path] = try dtypes[path].map { $0 == a.dtype ? a : try a.to($0) } ?? a
    }
    try model.update(parameters: converted)
}
