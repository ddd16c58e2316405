import Foundation
import KoanNN
import KoanTensor

/// Models (and optimizer state) in safetensors files.
///
/// Tensors are named by dotted path exactly as PyTorch's `state_dict()` (parameters and
/// buffers: `layers.0.weight`, `bn.running_mean`), so a Koan file loads in PyTorch with
/// `load_state_dict(safetensors.torch.load_file(path))` and back. Optimizer state goes under
/// `optimizer/` (`optimizer/layers.0.weight/exp_avg`). The metadata holds the model's
/// `Architecture` as JSON (`koan.architecture`), so `load(path)` rebuilds the model, and a
/// short run summary for checkpoints written by `fit`. Files are written atomically
/// (temporary file, fsync, rename): a crash mid-save leaves the previous file intact.
///
///     try Checkpoint.save(mlp, to: "mlp.safetensors")
///     let again = try Checkpoint.load("mlp.safetensors")
///     try Checkpoint.load("mlp.safetensors", into: mlp)    // checks every path and shape
public enum Checkpoint {
    static let architectureKey = "koan.architecture"
    static let runKey = "koan.run"
    static let compressionKey = "koan.compression"
    static let optimizerPrefix = "optimizer/"

    /// Writes the model's parameters and buffers (and the optimizer's state, and `extra`
    /// metadata). Models without a rebuildable architecture are saved without one (they load
    /// only `into:` an existing model).
    public static func save(_ model: Module, to path: String, optimizer: (any Optimizer)? = nil,
                            metadata extra: [String: String] = [:]) throws {
        var tensors: [(name: String, array: NDArray)] = []
        for (p, slot) in model.parameterSlots { tensors.append((p, slot.value.data)) }
        for (p, slot) in model.bufferSlots { tensors.append((p, slot.value.data)) }
        if let optimizer {
            for (key, value) in optimizer.stateDict() { tensors.append((optimizerPrefix + key, value)) }
        }
        var metadata = extra
        metadata["format"] = "pt"
        if let architecture = try? Architecture.of(model) {
            let json = try JSONEncoder().encode(architecture)
            metadata[architectureKey] = String(decoding: json, as: UTF8.self)
        }
        let layout = CompressionLayout.of(model)
        if !layout.isEmpty {
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            metadata[compressionKey] = String(decoding: try encoder.encode(layout), as: UTF8.self)
        }
        do {
            try Safetensors.write(tensors, metadata: metadata, to: path)
        } catch {
            throw TrainError.checkpoint("cannot save to '\(path)': \(error)")
        }
    }

    /// Rebuilds the model saved at `path` and loads its weights.
    public static func load(_ path: String) throws -> Module {
        let file = try open(path)
        guard let json = file.metadata[architectureKey] else {
            throw TrainError.checkpoint("'\(path)' has no Koan architecture in its metadata (a plain state dict?): load it into a model with load(path, into: model)")
        }
        let architecture: Architecture
        do {
            architecture = try JSONDecoder().decode(Architecture.self, from: Data(json.utf8))
        } catch {
            throw TrainError.checkpoint("'\(path)': the architecture in its metadata is not valid: \(error)")
        }
        let model = try architecture.build()
        if let json = file.metadata[compressionKey] {
            do {
                try JSONDecoder().decode(CompressionLayout.self, from: Data(json.utf8)).apply(to: model)
            } catch let e as NNError {
                throw TrainError.checkpoint("'\(path)': \(e)")
            } catch {
                throw TrainError.checkpoint("'\(path)': the compression layout in its metadata is not valid: \(error)")
            }
        }
        try load(file, into: model)
        if !CompressionLayout.of(model).quantized.isEmpty {   // integer layers have no gradient
            try model.freeze(except: [])
            model.eval()
        }
        return model
    }

    /// Loads the weights saved at `path` into `model`. Every parameter and buffer of the
    /// model must be in the file with the same shape, and every model tensor in the file must
    /// belong to the model; mismatches are reported by dotted path with both shapes, and
    /// nothing changes unless everything fits. Values are converted to the model's dtypes.
    public static func load(_ path: String, into model: Module) throws {
        try load(try open(path), into: model)
    }

    /// Loads the optimizer state saved with the model at `path` into `optimizer`.
    public static func loadOptimizerState(_ path: String, into optimizer: any Optimizer) throws {
        let file = try open(path)
        var state: [String: NDArray] = [:]
        for entry in file.entries where entry.name.hasPrefix(optimizerPrefix) {
            state[String(entry.name.dropFirst(optimizerPrefix.count))] = try file.array(entry.name)
        }
        guard !state.isEmpty else { throw TrainError.checkpoint("'\(path)' holds no optimizer state") }
        try optimizer.load(stateDict: state)
    }

    private static func open(_ path: String) throws -> SafetensorsFile {
        do { return try SafetensorsFile(path: path) } catch {
            throw TrainError.checkpoint("cannot load '\(path)': \(error)")
        }
    }

    private static func load(_ file: SafetensorsFile, into model: Module) throws {
        var parameters: [String: NDArray] = [:], buffers: [String: NDArray] = [:]
        var problems: [String] = []
        let inFile = Dictionary(file.entries.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let slots = model.parameterSlots.map { ($0, true) } + model.bufferSlots.map { ($0, false) }
        for ((path, slot), isParameter) in slots {
            guard let entry = inFile[path] else { problems.append("'\(path)' is missing from the file"); continue }
            guard entry.shape == slot.value.shape else {
                problems.append("'\(path)' has shape \(entry.shape) in the file but \(slot.value.shape) in the model")
                continue
            }
            let array = try file.array(path)
            let converted = array.dtype == slot.value.dtype ? array : try array.to(slot.value.dtype)
            if isParameter { parameters[path] = converted } else { buffers[path] = converted }
        }
        let known = Set(slots.map(\.0.path))
        for entry in file.entries where !known.contains(entry.name) && !entry.name.hasPrefix(optimizerPrefix) {
            problems.append("'\(entry.name)' in the file is not a tensor of this model")
        }
        guard problems.isEmpty else {
            let shown = problems.prefix(8).joined(separator: "; ")
            let more = problems.count > 8 ? " (and \(problems.count - 8) more)" : ""
            throw TrainError.checkpoint("'\(file.path)' does not fit this \(model.layerName): \(shown)\(more)")
        }
        try model.update(parameters: parameters)
        try model.update(buffers: buffers)
    }
}

/// Writes `run`'s checkpoint (`directory/step-NNNNNN.safetensors`: model, optimizer state and
/// a run summary) and deletes the oldest beyond `policy.keep`.
func writeCheckpoint(_ run: Run, policy: CheckpointPolicy) throws {
    do {
        try FileManager.default.createDirectory(atPath: policy.directory, withIntermediateDirectories: true)
    } catch {
        throw TrainError.checkpoint("cannot create the checkpoint directory '\(policy.directory)': \(error.localizedDescription)")
    }
    var name = String(run.stepCount)
    while name.count < 6 { name = "0" + name }
    let path = (policy.directory as NSString).appendingPathComponent("step-\(name).safetensors")
    let summary: [String: String] = [
        "step": "\(run.stepCount)", "epoch": "\(run.epochs.count)", "stop_reason": "\(run.stopReason)",
        "loss": run.epochs.last.map { "\($0.loss)" } ?? "", "val_loss": run.epochs.last?.validationLoss.map { "\($0)" } ?? "",
    ]
    let json = try JSONEncoder().encode(summary)
    try Checkpoint.save(run.model, to: path, optimizer: run.optimizer,
                        metadata: [Checkpoint.runKey: String(decoding: json, as: UTF8.self)])
    if run.checkpoints.last != path { run.checkpoints.append(path) }
    while run.checkpoints.count > policy.keep {
        let old = run.checkpoints.removeFirst()
        try? FileManager.default.removeItem(atPath: old)
    }
}
