import KoanMarkup

// A model's block diagram as SVG, drawn beside its summary table in a notebook.
//
// Three stages, each a small value type: `DiagramBuilder` walks the module tree into a list
// of `DiagramStep`s (boxes, ⊕ nodes, residual branches, repeated groups) while propagating a
// `SymbolicShape` through the layers; `collapseRepeats` folds long runs of identical steps;
// `DiagramRenderer` lays the steps out top to bottom and writes the SVG. Nothing runs a
// forward pass: shapes are computed from the layers' configurations, with a symbolic batch
// axis "N" (and "T" for sequences, "H", "W" for images), and a label is left off whenever a
// size cannot be known.

/// The block diagram of `module` as a standalone SVG document (a string starting `<svg`).
///
/// Layers are boxes from top to bottom ("Linear 64→128", "Conv2d 1→8 3×3, pad 1"); the
/// arrows between them carry the tensor shape where it can be computed. Containers
/// (`Sequential`, `MLP`, `CNN`, `LSTMClassifier`) are drawn as the chain of their layers;
/// `GPT`, `BERT` and the BERT heads draw their embeddings, one transformer block with its
/// residual paths into ⊕ nodes, framed and labelled "× layers", then the final norm and head.
/// Chains longer than 30 boxes fold repeated runs into one box ("Linear 128→128, ReLU × 6").
///
/// `input` is the full input shape, batch axis first (as `summary(inputShape:)` takes it); the
/// batch axis is always drawn as "N" and sizes ≤ 0 are treated as unknown. Without it the
/// shape is inferred from the first layer: a `Linear(in, …)` takes [N, in], a `Conv2d` [N, C, H, W],
/// an `Embedding` or a language model ids [N, T], a recurrent layer [N, T, in], a `CNN` its
/// image size.
///
///     let svg = modelDiagram(try MLP(input: 64, hidden: [128], output: 10))
///     // <svg …> Linear 64→128 … [N, 128] … ReLU … Linear 128→10 … [N, 10] …
///     let gpt = modelDiagram(try GPT(vocab: 256, context: 64, dim: 128, heads: 4, layers: 4), input: [1, 64])
public func modelDiagram(_ module: Module, input: [Int]? = nil) -> String {
    let start = input.map(SymbolicShape.init(given:)) ?? inferredInput(module)
    var builder = DiagramBuilder(shape: start)
    builder.append(module)
    let steps = builder.steps.count > collapseThreshold ? collapseRepeats(builder.steps) : builder.steps
    var renderer = DiagramRenderer(steps: steps)
    return renderer.svg(title: module.layerName, input: start?.text)
}

/// Chains with more boxes than this fold their repeated runs.
private let collapseThreshold = 30

// MARK: Symbolic shapes

/// One axis of a shape: a known size, ⌊symbol / divisor⌋ + offset ("H", "H/2", "W-2"), or unknown.
private enum SymbolicDim: Equatable {
    case size(Int)
    case symbol(String, divisor: Int, offset: Int)
    case unknown

    static func named(_ name: String) -> SymbolicDim { .symbol(name, divisor: 1, offset: 0) }

    var text: String? {
        switch self {
        case .size(let n): return String(n)
        case .symbol(let name, let divisor, let offset):
            let base = divisor == 1 ? name : "\(name)/\(divisor)"
            return offset == 0 ? base : offset > 0 ? "\(base)+\(offset)" : "\(base)\(offset)"
        case .unknown: return nil
        }
    }

    /// False only when the size is known and differs from `n` (a symbol may be any size).
    func accepts(_ n: Int) -> Bool {
        if case .size(let m) = self { return m == n }
        return true
    }

    /// The output size of a sliding window (convolution or pooling) along this axis:
    /// ⌊(x + 2p − d(k−1) − 1) / s⌋ + 1, kept symbolic when the division is exact.
    func windowed(kernel k: Int, stride s: Int, padding p: Int, dilation d: Int = 1) -> SymbolicDim {
        let c = 2 * p - d * (k - 1) - 1
        switch self {
        case .size(let x):
            guard s > 0, x + c >= 0 else { return .unknown }
            return .size((x + c) / s + 1)
        case .symbol(let name, let divisor, let offset):
            if s == 1 { return .symbol(name, divisor: divisor, offset: offset + c + 1) }
            // ⌊(⌊n/q⌋ + m) / s⌋ = ⌊n/(q·s)⌋ + m/s exactly when s divides m.
            let m = offset + c
            guard s > 1, m % s == 0 else { return .unknown }
            return .symbol(name, divisor: divisor * s, offset: m / s + 1)
        case .unknown:
            return .unknown
        }
    }
}

/// A shape whose axes may be symbolic; `text` is "[N, 64]", or nil when an axis is unknown.
private struct SymbolicShape: Equatable {
    var dims: [SymbolicDim]

    init(_ dims: [SymbolicDim]) { self.dims = dims }

    /// A user-given shape: axis 0 is the batch "N", sizes ≤ 0 are unknown.
    init(given shape: [Int]) {
        dims = shape.enumerated().map { i, n in i == 0 ? .named("N") : n > 0 ? .size(n) : .unknown }
    }

    var rank: Int { dims.count }

    var text: String? {
        var parts: [String] = []
        for d in dims {
            guard let t = d.text else { return nil }
            parts.append(t)
        }
        return "[" + parts.joined(separator: ", ") + "]"
    }

    /// This shape with its last axis replaced by `n`.
    func replacingLast(_ n: Int) -> SymbolicShape { SymbolicShape(dims.dropLast() + [.size(n)]) }
}

/// [N, T] token ids.
private let tokenIDShape = SymbolicShape([.named("N"), .named("T")])

/// The input shape a module's first layer implies, or nil when it does not say.
private func inferredInput(_ module: Module) -> SymbolicShape? {
    let n = SymbolicDim.named("N"), t = SymbolicDim.named("T")
    switch module {
    case let m as CNN: return SymbolicShape([n, .size(m.inputChannels), .size(m.imageSize), .size(m.imageSize)])
    case is GPT, is BERT, is BERTHead: return tokenIDShape
    case let m as MLP: return inferredInput(m.layers)
    case let m as Sequential:
        for layer in m.layers {
            if let s = inferredInput(layer) { return s }
            guard preservesShape(layer) else { return nil }
        }
        return nil
    case let m as LSTMClassifier:
        return m.embedding == nil ? SymbolicShape([n, t, .size(m.lstm.inputSize)]) : tokenIDShape
    case let m as Linear: return SymbolicShape([n, .size(m.inFeatures)])
    case let m as Conv2d: return SymbolicShape([n, .size(m.inChannels), .named("H"), .named("W")])
    case let m as BatchNorm2d: return SymbolicShape([n, .size(m.numFeatures), .named("H"), .named("W")])
    case is Embedding: return tokenIDShape
    case let m as RecurrentLayer: return SymbolicShape([n, t, .size(m.inputSize)])
    case let m as MultiHeadAttention: return SymbolicShape([n, t, .size(m.dim)])
    case let m as TransformerBlock: return SymbolicShape([n, t, .size(m.dim)])
    default: return nil
    }
}

/// Layers whose output has their input's shape (and that say nothing about it).
private func preservesShape(_ m: Module) -> Bool {
    m is Dropout || m is ReLU || m is GELU || m is SiLU || m is Tanh || m is Sigmoid || m is Softmax
        || m is LogSoftmax || m is Identity
}

/// The output shape of a single layer on `input`, or nil when it cannot be known.
private func propagate(_ module: Module, _ input: SymbolicShape?) -> SymbolicShape? {
    guard let s = input else { return nil }
    let d = s.dims
    if preservesShape(module) { return s }
    switch module {
    case let m as Linear:
        guard let last = d.last, last.accepts(m.inFeatures) else { return nil }
        return s.replacingLast(m.outFeatures)
    case let m as Conv2d:
        guard s.rank == 4 || s.rank == 3, d[s.rank - 3].accepts(m.inChannels) else { return nil }
        let o = m.options
        let h = d[s.rank - 2].windowed(kernel: m.kernelSize.0, stride: o.stride.0, padding: o.padding.0, dilation: o.dilation.0)
        let w = d[s.rank - 1].windowed(kernel: m.kernelSize.1, stride: o.stride.1, padding: o.padding.1, dilation: o.dilation.1)
        return SymbolicShape(d.dropLast(3) + [.size(m.outChannels), h, w])
    case let m as Pool2d:
        guard s.rank == 4 || s.rank == 3 else { return nil }
        let stride = m.stride ?? m.kernelSize
        let h = d[s.rank - 2].windowed(kernel: m.kernelSize.0, stride: stride.0, padding: m.padding.0)
        let w = d[s.rank - 1].windowed(kernel: m.kernelSize.1, stride: stride.1, padding: m.padding.1)
        return SymbolicShape(d.dropLast(2) + [h, w])
    case let m as Flatten:
        let start = m.startAxis < 0 ? m.startAxis + s.rank : m.startAxis
        let end = m.endAxis < 0 ? m.endAxis + s.rank : m.endAxis
        guard start >= 0, end < s.rank, start <= end else { return nil }
        let merged = d[start...end]
        var product: SymbolicDim = .size(1)
        if merged.count == 1, let only = merged.first {
            product = only
        } else {
            for dim in merged {
                guard case .size(let k) = dim, case .size(let p) = product else { product = .unknown; break }
                product = .size(p * k)
            }
        }
        return SymbolicShape(Array(d[..<start]) + [product] + Array(d[(end + 1)...]))
    case let m as Embedding:
        return SymbolicShape(d + [.size(m.dim)])
    case let m as LayerNorm:
        let k = m.normalizedShape.count
        guard s.rank >= k, zip(d.suffix(k), m.normalizedShape).allSatisfy({ $0.accepts($1) }) else { return nil }
        return s
    case let m as BatchNorm:
        guard m.allowedRanks.contains(s.rank), d[1].accepts(m.numFeatures) else { return nil }
        return s
    case let m as RecurrentLayer:
        guard s.rank == 3, d[2].accepts(m.inputSize) else { return nil }
        return s.replacingLast(m.hiddenSize)
    case is LastStep:
        guard s.rank == 3 else { return nil }
        return SymbolicShape([d[0], d[2]])
    case let m as MultiHeadAttention:
        guard s.rank == 3, d[2].accepts(m.dim) else { return nil }
        return s
    case let m as FeedForward:
        guard let last = d.last, last.accepts(m.proj.outFeatures) else { return nil }
        return s
    default:
        return nil
    }
}

// MARK: Steps

/// What a box stands for; picks its colours.
private enum DiagramKind: Equatable {
    case dense, conv, norm, activation, attention, embedding, recurrent, reshape, regularizer, other

    /// (fill, stroke), readable on the diagram's own light background in either theme.
    var colors: (fill: String, stroke: String) {
        switch self {
        case .dense: return ("#dbeafe", "#2563eb")
        case .conv: return ("#e0e7ff", "#4f46e5")
        case .norm: return ("#fef3c7", "#d97706")
        case .activation: return ("#dcfce7", "#16a34a")
        case .attention: return ("#fce7f3", "#db2777")
        case .embedding: return ("#ede9fe", "#7c3aed")
        case .recurrent: return ("#ccfbf1", "#0d9488")
        case .reshape: return ("#f1f5f9", "#64748b")
        case .regularizer: return ("#f5f5f4", "#a8a29e")
        case .other: return ("#f3f4f6", "#6b7280")
        }
    }
}

/// One box: its label, kind and how many times it stands for itself in a folded run.
private struct DiagramBox: Equatable {
    var label: String
    var kind: DiagramKind
    var repeats = 1

    init(_ label: String, _ kind: DiagramKind, repeats: Int = 1) {
        self.label = label; self.kind = kind; self.repeats = repeats
    }
}

/// One element of the vertical flow; `out` is the shape label on the arrow leaving it.
private indirect enum DiagramStep: Equatable {
    /// A layer.
    case box(DiagramBox, out: String?)
    /// x + side input (a position table), the side drawn to the right of the ⊕ node.
    case sum(side: DiagramBox, out: String?)
    /// x + branch(x): the branch in the main column, x bypassing it into a ⊕ node.
    case residual([DiagramStep], out: String?)
    /// Steps applied `repeats` times, framed ("Transformer block × 4").
    case group(title: String, repeats: Int, [DiagramStep], out: String?)

    var box: DiagramBox? {
        if case .box(let b, _) = self { return b }
        return nil
    }

    var out: String? {
        switch self {
        case .box(_, let o), .sum(_, let o), .residual(_, let o), .group(_, _, _, let o): return o
        }
    }
}

/// Label and kind of a single layer's box.
private func diagramBox(_ module: Module) -> DiagramBox {
    switch module {
    case let m as Linear:
        return DiagramBox("Linear \(m.inFeatures)→\(m.outFeatures)" + (m.bias == nil ? ", no bias" : ""), .dense)
    case let m as Conv2d:
        let o = m.options
        var label = "Conv2d \(m.inChannels)→\(m.outChannels) \(m.kernelSize.0)×\(m.kernelSize.1)"
        if o.stride != (1, 1) { label += ", stride " + pairText(o.stride) }
        if o.padding != (0, 0) { label += ", pad " + pairText(o.padding) }
        if o.dilation != (1, 1) { label += ", dilation " + pairText(o.dilation) }
        if o.groups != 1 { label += ", groups \(o.groups)" }
        return DiagramBox(label, .conv)
    case let m as Pool2d:
        var label = "\(m.layerName) \(m.kernelSize.0)×\(m.kernelSize.1)"
        if let s = m.stride, s != m.kernelSize { label += ", stride " + pairText(s) }
        if m.padding != (0, 0) { label += ", pad " + pairText(m.padding) }
        return DiagramBox(label, .reshape)
    case let m as Flatten:
        return DiagramBox(m.startAxis == 1 && m.endAxis == -1 ? "Flatten" : "Flatten \(m.startAxis)…\(m.endAxis)", .reshape)
    case let m as Embedding: return DiagramBox("Embedding \(m.count)→\(m.dim)", .embedding)
    case let m as LayerNorm: return DiagramBox("LayerNorm " + m.normalizedShape.map(String.init).joined(separator: "×"), .norm)
    case let m as BatchNorm: return DiagramBox("\(m is BatchNorm2d ? "BatchNorm2d" : "BatchNorm1d") \(m.numFeatures)", .norm)
    case let m as Dropout: return DiagramBox("Dropout \(m.p)", .regularizer)
    case let m as GELU: return DiagramBox(m.approximate ? "GELU (tanh)" : "GELU", .activation)
    case let m as Softmax: return DiagramBox(m.axis == -1 ? "Softmax" : "Softmax axis \(m.axis)", .activation)
    case let m as LogSoftmax: return DiagramBox(m.axis == -1 ? "LogSoftmax" : "LogSoftmax axis \(m.axis)", .activation)
    case is ReLU, is SiLU, is Tanh, is Sigmoid: return DiagramBox(module.layerName, .activation)
    case let m as RecurrentLayer:
        var label = "\(m.mode.layerName) \(m.inputSize)→\(m.hiddenSize)"
        if m.layers > 1 { label += ", \(m.layers) layers" }
        if m.mode == .rnnRelu { label += ", ReLU" }
        return DiagramBox(label, .recurrent)
    case is LastStep: return DiagramBox("LastStep", .reshape)
    case let m as MultiHeadAttention:
        var label = "MultiHeadAttention \(m.heads) heads"
        if m.causal { label += ", causal" }
        if m.positional == .rope { label += ", RoPE" }
        if m.positional == .alibi { label += ", ALiBi" }
        if m.kernel != .full { label += ", " + kernelName(m.kernel) }
        return DiagramBox(label, .attention)
    case let m as FeedForward:
        return DiagramBox("MLP \(m.fc.inFeatures)→\(m.fc.outFeatures)→\(m.proj.outFeatures), GELU", .dense)
    default:
        return DiagramBox(module.layerName, .other)
    }
}

private func pairText(_ p: (Int, Int)) -> String { p.0 == p.1 ? "\(p.0)" : "\(p.0)×\(p.1)" }

// MARK: Building

/// Walks a module tree into diagram steps, carrying the shape of the tensor flowing down.
private struct DiagramBuilder {
    private(set) var steps: [DiagramStep] = []
    private(set) var shape: SymbolicShape?

    init(shape: SymbolicShape?) { self.shape = shape }

    /// Appends `module`: containers and models as their parts, anything else as one box.
    mutating func append(_ module: Module) {
        switch module {
        case let m as MLP: append(m.layers)
        case let m as CNN:
            append(m.features)
            append(m.classifier)
        case let m as Sequential: for layer in m.layers { append(layer) }
        case let m as LSTMClassifier:
            if let e = m.embedding { append(e) }
            append(m.lstm)
            append(m.last)
            append(m.fc)
        case let m as GPT: appendGPT(m)
        case let m as BERT: appendBERT(m, pooled: false)
        case let m as BERTTokenClassifier: appendBERTHead(m, pooled: false)
        case let m as BERTSequenceClassifier: appendBERTHead(m, pooled: true)
        case let m as TransformerBlock: group("Transformer block", repeats: 1) { $0.appendBlock(m) }
        case let m as BERTLayer: group("Encoder layer", repeats: 1) { $0.appendEncoderLayer(m) }
        default: box(diagramBox(module), out: propagate(module, shape))
        }
    }

    mutating func box(_ b: DiagramBox, out: SymbolicShape?) {
        shape = out
        steps.append(.box(b, out: out?.text))
    }

    /// x + a side input that broadcasts against it (the shape stays).
    mutating func sum(side: DiagramBox) {
        steps.append(.sum(side: side, out: shape?.text))
    }

    /// x + branch(x); the shape stays when the branch keeps it.
    mutating func residual(_ branch: (inout DiagramBuilder) -> Void) {
        var inner = DiagramBuilder(shape: shape)
        branch(&inner)
        if inner.shape != shape { shape = nil }
        steps.append(.residual(inner.steps, out: shape?.text))
    }

    /// `body` applied `repeats` times, drawn once in a frame.
    mutating func group(_ title: String, repeats: Int, _ body: (inout DiagramBuilder) -> Void) {
        var inner = DiagramBuilder(shape: shape)
        body(&inner)
        if repeats == 1 || inner.shape == shape { shape = inner.shape } else { shape = nil }
        steps.append(.group(title: title, repeats: repeats, inner.steps, out: shape?.text))
    }

    mutating func appendGPT(_ g: GPT) {
        box(DiagramBox("Embedding \(g.vocab)→\(g.dim) (tokens)", .embedding), out: propagate(g.tokenEmbedding, shape))
        if let wpe = g.positionEmbedding {
            sum(side: DiagramBox("Embedding \(wpe.count)→\(wpe.dim) (positions)", .embedding))
        } else if g.position == .sinusoidal {
            sum(side: DiagramBox("Sinusoidal positions", .embedding))
        }
        if g.dropout > 0 { append(g.embeddingDropout) }
        if let block = g.blocks.first {
            group(g.shareLayers ? "Transformer block (shared)" : "Transformer block", repeats: g.layers) { $0.appendBlock(block) }
        }
        append(g.finalNorm)
        box(DiagramBox("LM head \(g.dim)→\(g.vocab) (tied to tokens)", .dense), out: shape?.replacingLast(g.vocab))
    }

    /// Pre-LayerNorm: x + attn(ln_1(x)), then x + mlp(ln_2(x)).
    mutating func appendBlock(_ b: TransformerBlock) {
        residual {
            $0.append(b.norm1)
            $0.append(b.attention)
            if b.residualDropout.p > 0 { $0.append(b.residualDropout) }
        }
        residual {
            $0.append(b.norm2)
            $0.append(b.mlp)
            if b.residualDropout.p > 0 { $0.append(b.residualDropout) }
        }
    }

    mutating func appendBERT(_ b: BERT, pooled: Bool) {
        let e = b.embeddings
        box(DiagramBox("Embedding \(e.words.count)→\(e.words.dim) (words)", .embedding), out: propagate(e.words, shape))
        sum(side: DiagramBox("Embedding \(e.positions.count)→\(e.positions.dim) (positions)", .embedding))
        sum(side: DiagramBox("Embedding \(e.tokenTypes.count)→\(e.tokenTypes.dim) (token types)", .embedding))
        append(e.norm)
        if let layer = b.encoder.layers.first {
            group("Encoder layer", repeats: b.layers) { $0.appendEncoderLayer(layer) }
        }
        if pooled {
            let d = b.pooler.dense
            let out = shape.flatMap { $0.rank == 3 ? SymbolicShape([$0.dims[0], .size(d.outFeatures)]) : nil }
            box(DiagramBox("Pooler: first token, Linear \(d.inFeatures)→\(d.outFeatures), Tanh", .dense), out: out)
        }
    }

    /// Post-LayerNorm (BERT): LayerNorm(x + attn(x)), then LayerNorm(h + mlp(h)).
    mutating func appendEncoderLayer(_ l: BERTLayer) {
        let heads = l.attention.selfAttention.heads
        residual { $0.box(DiagramBox("MultiHeadAttention \(heads) heads", .attention), out: $0.shape) }
        append(l.attention.output.norm)
        let (fc, proj) = (l.intermediate.dense, l.output.dense)
        residual { inner in
            let out = inner.shape.flatMap { s in s.dims.last?.accepts(fc.inFeatures) == true ? s.replacingLast(proj.outFeatures) : nil }
            inner.box(DiagramBox("MLP \(fc.inFeatures)→\(fc.outFeatures)→\(proj.outFeatures), GELU", .dense), out: out)
        }
        append(l.output.norm)
    }

    mutating func appendBERTHead(_ h: BERTHead, pooled: Bool) {
        appendBERT(h.bert, pooled: pooled)
        if h.dropout.p > 0 { append(h.dropout) }
        append(h.classifier)
    }
}

// MARK: Folding long chains

/// Folds consecutive repeats of a run of plain boxes (period up to `maxPeriod`) into one box
/// with `repeats` set. A run of more than one box starts at a layer with weights, not at an
/// activation or dropout, so an MLP reads "Linear 128→128, ReLU × 6".
private func collapseRepeats(_ steps: [DiagramStep], maxPeriod: Int = 8) -> [DiagramStep] {
    var out: [DiagramStep] = []
    var i = 0
    while i < steps.count {
        var best: (period: Int, count: Int)?
        for p in 1...maxPeriod where i + 2 * p <= steps.count {
            let unit = Array(steps[i..<(i + p)])
            guard unit.allSatisfy({ $0.box?.repeats == 1 }) else { break }
            if p > 1, let first = unit.first?.box, first.kind == .activation || first.kind == .regularizer { continue }
            var k = 1
            while i + (k + 1) * p <= steps.count, Array(steps[(i + k * p)..<(i + (k + 1) * p)]) == unit { k += 1 }
            if k >= 2, p * k > (best.map { $0.period * $0.count } ?? 0) { best = (p, k) }
        }
        guard let found = best else {
            out.append(steps[i])
            i += 1
            continue
        }
        let (p, k) = found
        let unit = steps[i..<(i + p)].compactMap(\.box)
        let label = unit.map(\.label).joined(separator: ", ")
        out.append(.box(DiagramBox(label, unit[0].kind, repeats: k), out: steps[i + p * k - 1].out))
        i += p * k
    }
    return out
}

// MARK: Rendering

/// Lays out steps in one column and writes the SVG. Geometry in px; text widths are
/// estimated per character (no font metrics), generously, so labels stay inside boxes.
private struct DiagramRenderer {
    let steps: [DiagramStep]
    private var back: [String] = []
    private var front: [String] = []
    private var y = 0.0
    private let boxWidth: Double
    private let centerX: Double
    private let width: Double

    static let boxHeight = 30.0
    static let gap = 34.0
    static let sumRadius = 10.0
    static let labelCharWidth = 6.8
    static let shapeCharWidth = 6.8
    static let boxLeft = 64.0
    static let sideOffset = 22.0
    static let textColor = "#1f2937"
    static let lineColor = "#64748b"
    static let shapeColor = "#475569"
    static let accentColor = "#7c3aed"
    static let sansSerif = "system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif"
    static let monospace = "ui-monospace, 'SF Mono', Menlo, Consolas, 'DejaVu Sans Mono', monospace"

    init(steps: [DiagramStep]) {
        self.steps = steps
        var mainChars = 0, sideChars = 0, shapeChars = 0
        func measure(_ steps: [DiagramStep]) {
            for step in steps {
                shapeChars = max(shapeChars, step.out?.count ?? 0)
                switch step {
                case .box(let b, _): mainChars = max(mainChars, DiagramRenderer.fullLabel(b).count)
                case .sum(let side, _): sideChars = max(sideChars, side.label.count)
                case .residual(let inner, _): measure(inner)
                case .group(let title, _, let inner, _):
                    mainChars = max(mainChars, title.count + 8)
                    measure(inner)
                }
            }
        }
        measure(steps)
        let s = DiagramRenderer.self
        boxWidth = min(max(Double(mainChars) * s.labelCharWidth + 28, 220), 400)
        centerX = s.boxLeft + boxWidth / 2
        let boxesRight = s.boxLeft + boxWidth + 24 + 16
        let sidesRight = sideChars == 0 ? 0 : centerX + s.sumRadius + s.sideOffset + Double(sideChars) * s.labelCharWidth + 28 + 14
        let shapesRight = centerX + 8 + Double(shapeChars) * s.shapeCharWidth + 14
        width = max(360, boxesRight, sidesRight, shapesRight).rounded(.up)
    }

    /// The box text, with the fold count ("Linear 128→128, ReLU × 6").
    static func fullLabel(_ b: DiagramBox) -> String { b.repeats > 1 ? "\(b.label) × \(b.repeats)" : b.label }

    mutating func svg(title: String, input: String?) -> String {
        let s = DiagramRenderer.self
        y = 20
        front.append(text("input", x: centerX, y: y, size: 11, color: s.shapeColor, anchor: "middle"))
        y += 6
        let last = flow(steps, incoming: input)
        arrow(to: y + s.gap, label: last)
        y += s.gap + 14
        front.append(text("output", x: centerX, y: y, size: 11, color: s.shapeColor, anchor: "middle"))
        let height = (y + 14).rounded(.up)
        let w = num(width), h = num(height)
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(w)\" height=\"\(h)\" viewBox=\"0 0 \(w) \(h)\" "
            + "font-family=\"\(s.sansSerif)\" role=\"img\" aria-label=\"\(htmlEscaped("Block diagram of " + title))\">\n"
        out += "<title>\(htmlEscaped(title))</title>\n"
        out += "<rect x=\"0.5\" y=\"0.5\" width=\"\(num(width - 1))\" height=\"\(num(height - 1))\" rx=\"8\" "
            + "fill=\"#fcfcfd\" stroke=\"#e2e8f0\"/>\n"
        out += (back + front).joined(separator: "\n")
        return out + "\n</svg>\n"
    }

    /// Draws `steps` from the current `y` down; `incoming` labels the first arrow. Returns
    /// the label of the arrow leaving the last step.
    private mutating func flow(_ steps: [DiagramStep], incoming: String?) -> String? {
        let s = DiagramRenderer.self
        var pending = incoming
        for step in steps {
            switch step {
            case .box(let b, let out):
                arrow(to: y + s.gap, label: pending)
                y += s.gap
                drawBox(b, top: y)
                y += s.boxHeight
                pending = out
            case .sum(let side, let out):
                arrow(to: y + s.gap, label: pending)
                let c = y + s.gap + s.sumRadius
                drawSum(centerY: c)
                drawSide(side, centerY: c)
                y = c + s.sumRadius
                pending = out
            case .residual(let inner, let out):
                let fork = y + 16
                line(centerX, y, centerX, fork)
                y = fork
                let branchOut = flow(inner, incoming: pending)
                arrow(to: y + s.gap, label: branchOut)
                let c = y + s.gap + s.sumRadius
                drawSum(centerY: c)
                let skipX = s.boxLeft - 22
                front.append("<polyline points=\"\(num(centerX)),\(num(fork)) \(num(skipX)),\(num(fork)) "
                    + "\(num(skipX)),\(num(c)) \(num(centerX - s.sumRadius - 6)),\(num(c))\" fill=\"none\" "
                    + "stroke=\"\(s.lineColor)\" stroke-width=\"1.5\" class=\"koan-skip\"/>")
                front.append(head(x: centerX - s.sumRadius, y: c, pointing: .right))
                front.append("<circle cx=\"\(num(centerX))\" cy=\"\(num(fork))\" r=\"3\" fill=\"\(s.lineColor)\"/>")
                y = c + s.sumRadius
                pending = out
            case .group(let title, let repeats, let inner, let out):
                let frameTop = y + 18
                line(centerX, y, centerX, frameTop + 26)
                y = frameTop + 26
                // The incoming label goes on the first arrow inside the frame.
                _ = flow(inner, incoming: pending)
                let frameBottom = y + 14
                line(centerX, y, centerX, frameBottom)
                drawFrame(title: title, repeats: repeats, top: frameTop, bottom: frameBottom)
                y = frameBottom
                pending = out
            }
        }
        return pending
    }

    // MARK: Primitives

    private enum Direction { case down, right }

    private mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double) {
        guard y2 > y1 || x2 != x1 else { return }
        front.append("<line x1=\"\(num(x1))\" y1=\"\(num(y1))\" x2=\"\(num(x2))\" y2=\"\(num(y2))\" "
            + "stroke=\"\(DiagramRenderer.lineColor)\" stroke-width=\"1.5\"/>")
    }

    /// A downward arrow from `y` to `end` on the centre line, with a shape label beside it.
    private mutating func arrow(to end: Double, label: String?) {
        line(centerX, y, centerX, end - 6)
        front.append(head(x: centerX, y: end, pointing: .down))
        if let label {
            front.append(text(label, x: centerX + 9, y: (y + end) / 2 + 4, size: 11, color: DiagramRenderer.shapeColor,
                              anchor: "start", font: DiagramRenderer.monospace, cssClass: "koan-shape"))
        }
    }

    private func head(x: Double, y: Double, pointing: Direction) -> String {
        let points: String
        switch pointing {
        case .down: points = "\(num(x - 4.5)),\(num(y - 7)) \(num(x + 4.5)),\(num(y - 7)) \(num(x)),\(num(y))"
        case .right: points = "\(num(x - 7)),\(num(y - 4.5)) \(num(x - 7)),\(num(y + 4.5)) \(num(x)),\(num(y))"
        }
        return "<polygon points=\"\(points)\" fill=\"\(DiagramRenderer.lineColor)\"/>"
    }

    private mutating func drawBox(_ b: DiagramBox, top: Double) {
        let s = DiagramRenderer.self
        let (fill, stroke) = b.kind.colors
        let dash = b.kind == .regularizer ? " stroke-dasharray=\"4 3\"" : ""
        front.append("<rect x=\"\(num(s.boxLeft))\" y=\"\(num(top))\" width=\"\(num(boxWidth))\" height=\"\(num(s.boxHeight))\" "
            + "rx=\"6\" fill=\"\(fill)\" stroke=\"\(stroke)\" stroke-width=\"1.2\"\(dash) class=\"koan-layer\"/>")
        var body = htmlEscaped(b.label)
        if b.repeats > 1 {
            body += " <tspan font-weight=\"700\" fill=\"\(s.accentColor)\">× \(b.repeats)</tspan>"
        }
        front.append("<text x=\"\(num(centerX))\" y=\"\(num(top + 19.5))\" font-size=\"13\" fill=\"\(s.textColor)\" "
            + "text-anchor=\"middle\">\(body)</text>")
    }

    /// A ⊕ node centred on the main line.
    private mutating func drawSum(centerY c: Double) {
        let s = DiagramRenderer.self, r = s.sumRadius, x = centerX
        front.append("<g class=\"koan-add\"><title>add (⊕)</title>"
            + "<circle cx=\"\(num(x))\" cy=\"\(num(c))\" r=\"\(num(r))\" fill=\"#ffffff\" stroke=\"#334155\" stroke-width=\"1.5\"/>"
            + "<line x1=\"\(num(x - r + 4))\" y1=\"\(num(c))\" x2=\"\(num(x + r - 4))\" y2=\"\(num(c))\" stroke=\"#334155\" stroke-width=\"1.5\"/>"
            + "<line x1=\"\(num(x))\" y1=\"\(num(c - r + 4))\" x2=\"\(num(x))\" y2=\"\(num(c + r - 4))\" stroke=\"#334155\" stroke-width=\"1.5\"/></g>")
    }

    /// A side input to the right of a ⊕ node, with an arrow into it.
    private mutating func drawSide(_ b: DiagramBox, centerY c: Double) {
        let s = DiagramRenderer.self
        let left = centerX + s.sumRadius + s.sideOffset
        let w = Double(b.label.count) * s.labelCharWidth + 28
        let (fill, stroke) = b.kind.colors
        front.append("<rect x=\"\(num(left))\" y=\"\(num(c - s.boxHeight / 2))\" width=\"\(num(w))\" height=\"\(num(s.boxHeight))\" "
            + "rx=\"6\" fill=\"\(fill)\" stroke=\"\(stroke)\" stroke-width=\"1.2\" class=\"koan-layer koan-side\"/>")
        front.append(text(b.label, x: left + w / 2, y: c + 4.5, size: 13, color: s.textColor, anchor: "middle"))
        front.append("<line x1=\"\(num(left))\" y1=\"\(num(c))\" x2=\"\(num(centerX + s.sumRadius + 6))\" y2=\"\(num(c))\" "
            + "stroke=\"\(s.lineColor)\" stroke-width=\"1.5\"/>")
        front.append("<polygon points=\"\(num(centerX + s.sumRadius + 7)),\(num(c - 4.5)) \(num(centerX + s.sumRadius + 7)),"
            + "\(num(c + 4.5)) \(num(centerX + s.sumRadius)),\(num(c))\" fill=\"\(s.lineColor)\"/>")
    }

    /// The dashed frame of a repeated group, drawn behind its contents.
    private mutating func drawFrame(title: String, repeats: Int, top: Double, bottom: Double) {
        let s = DiagramRenderer.self
        let left = s.boxLeft - 40, right = s.boxLeft + boxWidth + 24
        back.append("<rect x=\"\(num(left))\" y=\"\(num(top))\" width=\"\(num(right - left))\" height=\"\(num(bottom - top))\" "
            + "rx=\"10\" fill=\"#f8fafc\" stroke=\"#94a3b8\" stroke-width=\"1.2\" stroke-dasharray=\"6 4\" class=\"koan-group\"/>")
        back.append(text(title, x: left + 12, y: top + 17, size: 12, color: s.shapeColor, anchor: "start", weight: "600",
                         cssClass: "koan-group-title"))
        if repeats > 1 {
            back.append(text("× \(repeats)", x: right - 12, y: top + 18, size: 14, color: s.accentColor, anchor: "end",
                             weight: "700", cssClass: "koan-repeat"))
        }
    }

    private func text(_ content: String, x: Double, y: Double, size: Int, color: String, anchor: String,
                      font: String? = nil, weight: String? = nil, cssClass: String? = nil) -> String {
        var attributes = "x=\"\(num(x))\" y=\"\(num(y))\" font-size=\"\(size)\" fill=\"\(color)\" text-anchor=\"\(anchor)\""
        if let font { attributes += " font-family=\"\(font)\"" }
        if let weight { attributes += " font-weight=\"\(weight)\"" }
        if let cssClass { attributes += " class=\"\(cssClass)\"" }
        return "<text \(attributes)>\(htmlEscaped(content))</text>"
    }
}

/// A coordinate with at most one decimal ("12", "12.5").
private func num(_ v: Double) -> String {
    let r = (v * 10).rounded() / 10
    return r == r.rounded() ? String(Int(r)) : String(r)
}
