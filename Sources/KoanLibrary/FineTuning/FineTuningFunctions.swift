import Foundation
import KoanLang
import KoanAutograd
import KoanData
import KoanFineTune
import KoanMarkup
import KoanMetrics
import KoanNN
import KoanTensor
import KoanTokenizers
import KoanTrain

// Fine-tuning from cells, as Hugging Face PEFT does it: text datasets, classifiers on a
// pretrained encoder that tokenise them, LoRA, bottleneck adapters, prompt and prefix
// tuning, adapter files in PEFT's layout, freezing strategies and `compare`.
//
//     let base = pretrained("all-MiniLM-L6-v2")
//     let train = Dataset.csv("intents.csv", text: "text", label: "category")
//     let clf = base.sequenceClassifier(labels: train.classes)
//     clf.applyLoRA(rank: 8, alpha: 16, dropout: 0.1, targets: ["query", "value"])
//     let run = clf.fit(train, epochs: 3, optimizer: .adamW(lr: 5e-4), validation: test)
//     clf.saveAdapter("out/adapters/intents")

extension DatasetObject {
    /// The dataset as `model` consumes it: a text dataset tokenised by the model's
    /// tokenizer (cached per tokenizer and length), anything else as it is.
    func prepared(for model: Module) throws -> Dataset {
        guard dataset.isText else { return dataset }
        guard let head = model as? BERTHead, let tok = head.tokenizer else {
            throw Fault(.value, "'\(dataset.name)' holds raw text, and this model has no tokenizer to turn it into ids: make the model with pretrained(...).sequenceClassifier(labels:) or give tokenizer:")
        }
        let key = "\(ObjectIdentifier(tok))/\(head.maxLength)/\(head.labelNames ?? [])"
        if let e = encodings[key] { return e }
        let e = try encodeTexts(try aligned(dataset, to: head.labelNames), tokenizer: tok, maxLength: head.maxLength)
        encodings[key] = e
        return e
    }
}

/// The dataset with its label ids in the model's label order (a test set read without
/// `classes:` numbers its classes by its own names); a class the model lacks is an error.
func aligned(_ d: Dataset, to names: [String]?) throws -> Dataset {
    guard let names, let own = d.classNames, own != names else { return d }
    var map: [Int64] = []
    for n in own {
        guard let i = names.firstIndex(of: n) else {
            throw Fault(.value, "'\(d.name)' has the class '\(n)', which is not one of the model's \(names.count) labels; give the dataset classes: (or the model labels:) with every class")
        }
        map.append(Int64(i))
    }
    var out = try d.with(features: d.features, labels: try NDArray(ints: d.labels.ints().map { $0 < 0 ? $0 : map[Int($0)] }, shape: d.labels.shape))
    out.classNames = names
    out.texts = d.texts
    out.words = d.words
    return out
}

extension Value {
    /// A dataset argument prepared for `model` (text datasets tokenised).
    func asDataset(for model: Module) throws -> Dataset {
        guard case .object(let o as DatasetObject) = self else { return try asDataset() }
        return try o.prepared(for: model)
    }
}

/// Seconds per epoch of each model's last `fit` (and how it was trained, when `distill`
/// trained it), for `compare`.
final class FitTimes {
    private struct Entry {
        weak var model: Module?
        var seconds: Double?
        var note: String?
    }
    private var entries: [ObjectIdentifier: Entry] = [:]

    private func modify(_ model: Module, _ body: (inout Entry) -> Void) {
        entries = entries.filter { $0.value.model != nil }
        var e = entries[ObjectIdentifier(model)].flatMap { $0.model === model ? $0 : nil } ?? Entry(model: model)
        body(&e)
        entries[ObjectIdentifier(model)] = e
    }

    func record(_ model: Module, _ run: Run) {
        guard !run.epochs.isEmpty else { return }
        modify(model) { $0.seconds = run.epochs.map(\.seconds).reduce(0, +) / Double(run.epochs.count) }
    }

    func note(_ model: Module, _ text: String) { modify(model) { $0.note = text } }

    private func entry(_ model: Module) -> Entry? {
        guard let e = entries[ObjectIdentifier(model)], e.model === model else { return nil }
        return e
    }

    func secondsPerEpoch(_ model: Module) -> Double? { entry(model)?.seconds }
    func note(_ model: Module) -> String? { entry(model)?.note }
}

/// Class names from a `labels:` argument: a list of names or a number of classes.
private func labelNames(_ v: Value) throws -> [String] {
    if case .int(let n) = v {
        guard n >= 1 else { throw Fault(.value, "labels must be at least 1, got \(n)") }
        return (0..<n).map { "LABEL_\($0)" }
    }
    let names = try v.elements().map { try $0.asString() }
    guard !names.isEmpty else { throw Fault(.value, "labels is empty") }
    return names
}

private func makeHead(_ bert: BERT, _ a: [Value], ctx: CallContext, tokenizer: Tokenizer?, token: Bool) throws -> Value {
    let names = try labelNames(a[0])
    let maxLength = a[1].isNil ? min(128, bert.maxPositions) : try a[1].asInt()
    guard maxLength >= 2, maxLength <= bert.maxPositions else {
        throw Fault(.value, "maxLength must be between 2 and \(bert.maxPositions) (the model's positions), got \(maxLength)")
    }
    let key = try layerKey(a[2], ctx)
    let encoder = try bert.copy()   // a model of its own, as from_pretrained gives: fine-tuning leaves the base as it is
    let head: BERTHead = token ? try encoder.tokenClassifier(labels: names.count, key: key) : try encoder.sequenceClassifier(classes: names.count, key: key)
    head.tokenizer = tokenizer
    head.maxLength = maxLength
    head.labelNames = names
    return .object(ModuleObject(head))
}

/// The encoder model of a value: a pretrained sentence encoder's BERT or a module.
private func peftTarget(_ v: Value) throws -> Module {
    if case .object(let o as EncoderObject) = v { return o.encoder.model }
    return try v.asModule()
}

/// The name of the base model an adapter is saved against (PEFT's base_model_name_or_path).
private func baseName(_ model: Module) -> String {
    (try? bertEncoder(of: model))?.origin ?? model.layerName
}

/// PEFT's method of a model, for summaries and `compare`.
func fineTuningMethod(_ model: Module) -> String {
    if let name = compressionMethod(model) { return name }
    if let name = peftMethodName(model) { return name }
    let total = model.parameterCount, trainable = model.trainableParameterCount
    if trainable == total { return "full" }
    if model is BERTHead, model.trainableParameters.allSatisfy({ $0.path.hasPrefix("classifier.") }) { return "frozen encoder + head" }
    return "partly frozen"
}

/// "trainable 147,456 of 22,713,216 (0.65%)"
func trainableSummary(_ model: Module) -> String {
    let total = weightCount(model), trainable = model.trainableParameterCount
    let pct = total > 0 ? 100 * Double(trainable) / Double(total) : 0
    return "trainable \(FitDisplay.grouped(trainable)) of \(FitDisplay.grouped(total)) (\(PyFormat.fixed(pct, digits: pct < 1 ? 2 : 1))%)"
}

func registerFineTuningFunctions(_ r: Registry) {
    r.function("Dataset.csv(_ path: String, text: String, label: String, classes: [String]? = nil) -> Dataset",
               "A text classification dataset from a CSV file with a header: the raw text column and the label column by name; classes fixes the class order (give a test set the training set's classes).") { a, _ in
        let classes = a[3].isNil ? nil : try a[3].elements().map { try $0.asString() }
        return .object(DatasetObject(try Dataset.csv(path: try a[0].asString(), text: try a[1].asString(), label: try a[2].asString(), classes: classes)))
    }
    r.function("Dataset.conll(_ path: String, tags: [String]? = nil) -> Dataset",
               "A token classification dataset from a CoNLL file: token<TAB>tag per line (BIO), a blank line between sentences; tags fixes the tag order (default: O, then B-/I- by type).") { a, _ in
        let tags = a[1].isNil ? nil : try a[1].elements().map { try $0.asString() }
        return .object(DatasetObject(try Dataset.conll(path: try a[0].asString(), tags: tags)))
    }
    r.member(of: DatasetObject.self, "classes: [String]", "The class (or tag) names in id order.", .property { v, _ in
        .array((try v.asDataset().classNames ?? []).map { .string($0) })
    })
    r.member(of: DatasetObject.self, "texts: [String]", "The raw texts of a text dataset (the words joined by spaces for a CoNLL dataset).", .property { v, _ in
        let d = try v.asDataset()
        guard let t = d.texts ?? d.words?.map({ $0.joined(separator: " ") }) else { throw Fault(.value, "'\(d.name)' is not a text dataset") }
        return .array(t.map { .string($0) })
    })
    r.member(of: DatasetObject.self, "words: [[String]]", "The words of each sentence of a CoNLL dataset.", .property { v, _ in
        let d = try v.asDataset()
        guard let w = d.words else { throw Fault(.value, "'\(d.name)' is not a CoNLL dataset") }
        return .array(w.map { .array($0.map { .string($0) }) })
    })
    r.member(of: DatasetObject.self, "tags: [[String]]", "The tags of each sentence of a CoNLL dataset, word by word.", .property { v, _ in
        let d = try v.asDataset()
        guard d.words != nil else { throw Fault(.value, "'\(d.name)' is not a CoNLL dataset") }
        return .array((0..<d.count).map { .array(d.wordTags($0).map { .string($0) }) })
    })
    r.member(of: DatasetObject.self, "subset(_ indices: [Int]) -> Dataset", "The samples at the given indices, in that order.", .method { v, a, _ in
        .object(DatasetObject(try v.asDataset().subset(try a[0].elements().map { try $0.asInt() })))
    })

    // Classifiers on an encoder
    let headArgs = "labels: Any, maxLength: Int? = nil"
    r.member(of: EncoderObject.self, "sequenceClassifier(\(headArgs), seed: Int? = nil) -> Module",
             "A sequence classifier on this pretrained encoder, as BertForSequenceClassification: the pooled first token, dropout 0.1 and a new Linear head (N(0, 0.02)); it tokenises text datasets itself (padding to each batch's longest, truncating to maxLength, default 128). labels: class names (dataset.classes) or a count. The classifier has its own copy of the encoder's weights (copy-on-write), so the base stays as it is.",
             .method { v, a, ctx in
        guard case .object(let o as EncoderObject) = v else { throw Fault(.type, noMember(v, "sequenceClassifier")) }
        return try makeHead(o.encoder.model, a, ctx: ctx, tokenizer: o.encoder.tokenizer, token: false)
    })
    r.member(of: EncoderObject.self, "tokenClassifier(\(headArgs), seed: Int? = nil) -> Module",
             "A token classifier on this pretrained encoder, as BertForTokenClassification; words of a CoNLL dataset are labelled at their first sub-token (the others are ignored in the loss), and reports are per word.",
             .method { v, a, ctx in
        guard case .object(let o as EncoderObject) = v else { throw Fault(.type, noMember(v, "tokenClassifier")) }
        return try makeHead(o.encoder.model, a, ctx: ctx, tokenizer: o.encoder.tokenizer, token: true)
    })
    r.member(of: ModuleObject.self, "sequenceClassifier(\(headArgs), tokenizer: Tokenizer? = nil, seed: Int? = nil) -> Module",
             "A sequence classifier on a BERT model (paths bert.*, classifier.*); with tokenizer: it tokenises text datasets.", .method { v, a, ctx in
        guard let bert = try v.asModule() as? BERT else { throw Fault(.type, "sequenceClassifier needs a BERT model") }
        return try makeHead(bert, [a[0], a[1], a[3]], ctx: ctx, tokenizer: a[2].isNil ? nil : try a[2].asTokenizer(), token: false)
    })
    r.member(of: ModuleObject.self, "tokenClassifier(\(headArgs), tokenizer: Tokenizer? = nil, seed: Int? = nil) -> Module",
             "A token classifier on a BERT model (paths bert.*, classifier.*); with tokenizer: it tokenises CoNLL datasets.", .method { v, a, ctx in
        guard let bert = try v.asModule() as? BERT else { throw Fault(.type, "tokenClassifier needs a BERT model") }
        return try makeHead(bert, [a[0], a[1], a[3]], ctx: ctx, tokenizer: a[2].isNil ? nil : try a[2].asTokenizer(), token: true)
    })

    // PEFT methods: on classifiers and on the pretrained encoder itself.
    for type in [ModuleObject.self, EncoderObject.self] as [any KoanObject.Type] {
        r.member(of: type, "applyLoRA(rank: Int = 8, alpha: Double = 8, dropout: Double = 0, targets: [String] = [\"query\", \"value\"], targetPattern: String? = nil, modulesToSave: [String]? = nil, useRSLoRA: Bool = false, seed: Int? = nil) -> String",
                 "LoRA as PEFT: a low-rank branch s·B(A(dropout(x))) with s = alpha / rank on each targeted Linear (by dotted-path suffix, or a regex over the whole path), A Kaiming-uniform and B zero (a no-op before training); everything else frozen except modulesToSave (a classifier's new head by default). Returns the trainable summary.",
                 .method { v, a, ctx in
            let model = try peftTarget(v)
            var c = LoRAConfig(rank: try a[0].asInt(), alpha: try a[1].asDouble(), dropout: try a[2].asDouble(),
                               targets: try a[3].elements().map { try $0.asString() })
            c.targetPattern = a[4].isNil ? nil : try a[4].asString()
            c.modulesToSave = a[5].isNil ? headPaths(model) : try a[5].elements().map { try $0.asString() }
            c.rsLoRA = try a[6].asBool()
            try applyLoRA(to: model, c, key: try layerKey(a[7], ctx))
            return .string(trainableSummary(model))
        })
        r.member(of: type, "mergeLoRA()", "Folds every LoRA branch into its weight (W += s·B·A): the same outputs without the branch's cost.", .method { v, _, _ in
            try mergeLoRA(try peftTarget(v)); return .void
        })
        r.member(of: type, "unmergeLoRA()", "Takes merged LoRA branches back out of the weights (W −= s·B·A).", .method { v, _, _ in
            try unmergeLoRA(try peftTarget(v)); return .void
        })
        r.member(of: type, "saveAdapter(_ directory: String)",
                 "Writes the adapter as PEFT's save_pretrained does: adapter_config.json and adapter_model.safetensors (LoRA, prompt and prefix tuning load with PeftModel.from_pretrained; a classifier's head is saved with it).",
                 .method { v, a, _ in
            let model = try peftTarget(v)
            do { try saveAdapter(model, to: try a[0].asString(), baseModel: baseName(model)) } catch let e as AdapterError { throw Fault(.io, e.message) }
            return .void
        })
        r.member(of: type, "loadAdapter(_ directory: String)",
                 "Loads an adapter directory written by saveAdapter or by PEFT's save_pretrained (LoRA, prompt tuning, prefix tuning), adding the method to the model when it lacks it.",
                 .method { v, a, _ in
            do { try loadAdapter(into: try peftTarget(v), from: try a[0].asString()) } catch let e as AdapterError { throw Fault(.io, e.message) }
            return .void
        })
    }
    r.member(of: ModuleObject.self, "addAdapters(reduction: Int = 16, placement: AdapterPlacement = .houlsby, seed: Int? = nil) -> String",
             "Bottleneck adapters in every encoder layer (x + up(act(down(x))), dim / reduction units, starting as the identity): .houlsby after attention and feed-forward, .pfeiffer after feed-forward only; everything else frozen except the head.",
             .method { v, a, ctx in
        let model = try v.asModule()
        var placement = AdapterPlacement.houlsby
        if !a[1].isNil {
            let (name, _) = try OptionCase.match(a[1], "placement", AdapterPlacement.allCases.map(\.rawValue))
            placement = AdapterPlacement(rawValue: name) ?? .houlsby
        }
        try addAdapters(to: model, reduction: try a[0].asInt(), placement: placement, key: try layerKey(a[2], ctx))
        return .string(trainableSummary(model))
    })
    r.member(of: ModuleObject.self, "applyPromptTuning(virtualTokens: Int, initText: String? = nil, seed: Int? = nil) -> String",
             "Prompt tuning as PEFT: virtual token embeddings before every input (initialised from the embeddings of initText's tokens, repeated to fill), the rest frozen except the head.",
             .method { v, a, ctx in
        let model = try v.asModule()
        var ids: [Int]?
        if !a[1].isNil {
            guard let tok = (model as? BERTHead)?.tokenizer else { throw Fault(.value, "initText needs a model with a tokenizer") }
            ids = tok.encode(try a[1].asString(), addSpecialTokens: true)
        }
        try applyPromptTuning(to: model, tokens: try a[0].asInt(), initIds: ids, key: try layerKey(a[2], ctx))
        return .string(trainableSummary(model))
    })
    r.member(of: ModuleObject.self, "applyPrefixTuning(virtualTokens: Int, projection: Int? = nil, seed: Int? = nil) -> String",
             "Prefix tuning as PEFT: virtual keys and values in every attention layer (through a tanh MLP of width projection when given; saveAdapter writes the computed prefix, as PEFT), the rest frozen except the head.",
             .method { v, a, ctx in
        let model = try v.asModule()
        try applyPrefixTuning(to: model, tokens: try a[0].asInt(), projection: a[1].isNil ? nil : try a[1].asInt(), key: try layerKey(a[2], ctx))
        return .string(trainableSummary(model))
    })
    r.member(of: ModuleObject.self, "freeze(lowerLayers: Int)",
             "Freezes the embeddings and the lowest N encoder layers of a BERT model.", .method { v, a, _ in
        let model = try v.asModule()
        let bert = try bertEncoder(of: model)
        let n = try a[0].asInt()
        guard n >= 0, n <= bert.layers else { throw Fault(.value, "lowerLayers must be between 0 and \(bert.layers), got \(n)") }
        let p = encoderPrefix(model)
        try model.freeze(only: [p + "embeddings"] + (0..<n).map { p + "encoder.layer.\($0)" })
        return .void
    })
    r.member(of: ModuleObject.self, "bert: Module",
             "The BERT encoder of a classifier (as Hugging Face's model.bert): its adapter alone saves as a FEATURE_EXTRACTION adapter.",
             .property { v, _ in
        guard let head = try v.asModule() as? BERTHead else { throw Fault(.type, noMember(v, "bert")) }
        return .object(ModuleObject(head.bert))
    })
    r.member(of: ModuleObject.self, "embed(_ texts: [String], tokenizer: Tokenizer? = nil) -> Tensor",
             "Sentence embeddings [N, dim] of a BERT model or a classifier's encoder (mean pooling over real tokens, then L2 normalisation, as sentence-transformers), with its adapters; the tokenizer defaults to the classifier's.",
             .method { v, a, _ in
        let model = try v.asModule()
        let bert = try bertEncoder(of: model)
        guard let tok = a[1].isNil ? (model as? BERTHead)?.tokenizer : try a[1].asTokenizer() else {
            throw Fault(.value, "embed needs a tokenizer: give tokenizer:")
        }
        let maxLength = (model as? BERTHead)?.maxLength ?? min(128, bert.maxPositions)
        let encoder = SentenceEncoder(model: bert, tokenizer: tok, maxLength: maxLength)
        return .tensor(Tensor(try encoder.embed(try a[0].elements().map { try $0.asString() })))
    })
    r.member(of: ModuleObject.self, "trainable: String", "How many parameters train, of how many.", .property { v, _ in
        .string(trainableSummary(try v.asModule()))
    })

    r.function("seqevalReport(_ model: Module, on data: Dataset, scheme: TagScheme? = nil, mode: SeqevalMode = .default, digits: Int = 2) -> Report",
               "seqeval's entity-level report of a token classifier on a CoNLL dataset, word by word (the first sub-token's prediction), as transformers' run_ner evaluates.") { a, _ in
        let model = try a[0].asModule()
        let encoded = try a[1].asDataset(for: model)
        let logits = try KoanTrain.predict(model, encoded.features)
        let (truth, predicted) = try wordTagSequences(logits: logits, encoded: encoded)
        return try seqevalReportValue(truth, predicted, scheme: a[2], mode: a[3], digits: try a[4].asInt())
    }
}
