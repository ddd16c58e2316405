/// Whether chunks are extracted conlleval-style (`.default`) or strictly by a `TagScheme` (`.strict`).
///
/// ```swift
/// try seqevalReport(trueTags: tags, predTags: pred, scheme: .iob2, mode: .strict)
/// ```
public enum SeqevalMode: Sendable, Hashable {
    /// seqeval's default: lenient chunking (`I-` may start a chunk); `scheme` is ignored.
    case `default`
    /// seqeval's `mode='strict'`: chunks must follow the scheme (auto-detected when `scheme` is nil).
    case strict
}

/// seqeval's `classification_report` as a value: one row per entity type plus
/// "micro avg", "macro avg" and "weighted avg".
///
/// ```swift
/// let r = try seqevalReport(trueTags: [["B-PER", "I-PER", "O"]], predTags: [["B-PER", "I-PER", "O"]])
/// print(r)               // byte-identical to seqeval's text
/// r.rows[0].name         // "PER"
/// ```
public struct SeqevalReport: Sendable, CustomStringConvertible {
    public typealias Row = ClassificationReport.Row

    /// Per-entity-type rows, sorted by type name.
    public let rows: [Row]
    /// "micro avg", "macro avg", "weighted avg".
    public let averages: [Row]
    /// Decimal places used by `description` and `html()`.
    public let digits: Int

    /// The text report, byte-identical to `seqeval.metrics.classification_report`.
    ///
    /// ```swift
    /// print(try seqevalReport(trueTags: t, predTags: p, digits: 4))
    /// ```
    public var description: String {
        let width = ReportText.width(names: rows.map(\.name), digits: digits)
        var lines = rows.map { ReportText.row($0.name, $0.precision, $0.recall, $0.f1, String($0.support), width: width, digits: digits) }
        lines.append("")
        lines += averages.map { ReportText.row($0.name, $0.precision, $0.recall, $0.f1, String($0.support), width: width, digits: digits) }
        lines.append("")
        return ReportText.header(width: width) + "\n\n" + lines.joined(separator: "\n")
    }

    /// A compact HTML `<table>`; names are escaped.
    ///
    /// ```swift
    /// let html = try seqevalReport(trueTags: t, predTags: p).html()
    /// ```
    public func html() -> String {
        var html = "<table class=\"koan-report\">" + ReportText.htmlHead() + "<tbody>"
        for row in rows {
            html += ReportText.htmlRow(row.name, [row.precision, row.recall, row.f1], row.support, digits: digits)
        }
        for row in averages {
            html += ReportText.htmlRow(row.name, [row.precision, row.recall, row.f1], row.support, digits: digits, className: "avg")
        }
        return html + "</tbody></table>"
    }

    /// The `output_dict=True` structure; "support" is an integer, as in seqeval.
    ///
    /// ```swift
    /// try seqevalReport(trueTags: t, predTags: p).dictionary()["micro avg"]?["f1-score"]?.number
    /// ```
    public func dictionary() -> ReportValue {
        var object = OrderedObject()
        for row in rows + averages {
            object.set(row.name, .object([ReportEntry(key: "precision", value: .number(row.precision)),
                                          ReportEntry(key: "recall", value: .number(row.recall)),
                                          ReportEntry(key: "f1-score", value: .number(row.f1)),
                                          ReportEntry(key: "support", value: .integer(row.support))]))
        }
        return object.value
    }
}

/// seqeval's per-type scores: F1 is computed from precision and recall (not from counts).
private struct SeqevalScores {
    var precision: [Double], recall: [Double], f1: [Double]

    init(_ counts: LabelCounts, zeroDivision: ZeroDivision) {
        let zd = zeroDivision.seqevalValue
        precision = zip(counts.tp, counts.pred).map { $1 == 0 ? zd : Double($0) / Double($1) }
        recall = zip(counts.tp, counts.truth).map { $1 == 0 ? zd : Double($0) / Double($1) }
        f1 = zip(precision, recall).map { p, r in
            var denominator = 1.0 * p + r
            if denominator == 0 { denominator = 1 }
            return (1 + 1.0) * p * r / denominator
        }
    }
}

/// seqeval's `classification_report(y_true, y_pred, mode=..., scheme=..., digits=..., zero_division=...)`.
///
/// Note: seqeval maps any `zero_division` other than "warn"/0 to 1.0, so `.nan` yields 1 here too.
///
/// ```swift
/// let truth = [["B-PER", "I-PER", "O", "B-LOC"], ["O", "B-ORG"]]
/// let guess = [["B-PER", "I-PER", "O", "O"], ["O", "B-ORG"]]
/// print(try seqevalReport(trueTags: truth, predTags: guess, digits: 3))
/// ```
public func seqevalReport(trueTags: [[String]], predTags: [[String]], scheme: TagScheme? = nil,
                          mode: SeqevalMode = .default, digits: Int = 2,
                          zeroDivision: ZeroDivision = .warn) throws -> SeqevalReport {
    guard trueTags.count == predTags.count else {
        throw MetricsError.lengthMismatch(firstName: "trueTags", firstCount: trueTags.count,
                                          secondName: "predTags", secondCount: predTags.count)
    }
    for (index, (t, p)) in zip(trueTags, predTags).enumerated() where t.count != p.count {
        throw MetricsError.sentenceLengthMismatch(sentence: index, trueLength: t.count, predLength: p.count)
    }
    guard digits >= 0 else { throw MetricsError.invalidDigits(digits) }
    let trueChunks: [Chunk], predChunks: [Chunk]
    switch mode {
    case .default:
        trueChunks = try conllChunks(trueTags)
        predChunks = try conllChunks(predTags)
    case .strict:
        let resolved = try scheme ?? detectScheme(trueTags)
        trueChunks = try strictChunks(trueTags, scheme: resolved)
        predChunks = try strictChunks(predTags, scheme: resolved)
    }
    var byTypeTrue: [TypeName: Set<Chunk>] = [:], byTypePred: [TypeName: Set<Chunk>] = [:]
    for chunk in trueChunks { byTypeTrue[chunk.type, default: []].insert(chunk) }
    for chunk in predChunks { byTypePred[chunk.type, default: []].insert(chunk) }
    let types = Set(byTypeTrue.keys).union(byTypePred.keys).sorted()
    guard !types.isEmpty else { throw MetricsError.noEntities }

    var counts = LabelCounts(tp: [], pred: [], truth: [])
    for type in types {
        let t = byTypeTrue[type] ?? [], p = byTypePred[type] ?? []
        counts.tp.append(t.intersection(p).count)
        counts.pred.append(p.count)
        counts.truth.append(t.count)
    }
    let scores = SeqevalScores(counts, zeroDivision: zeroDivision)
    let rows = types.indices.map {
        SeqevalReport.Row(name: types[$0].text, precision: scores.precision[$0], recall: scores.recall[$0],
                          f1: scores.f1[$0], support: counts.truth[$0])
    }
    let total = counts.truth.reduce(0, +)
    let micro = SeqevalScores(counts.micro, zeroDivision: zeroDivision)
    var averages = [
        SeqevalReport.Row(name: "micro avg", precision: micro.precision[0], recall: micro.recall[0], f1: micro.f1[0], support: total),
        SeqevalReport.Row(name: "macro avg", precision: Numpy.mean(scores.precision), recall: Numpy.mean(scores.recall),
                          f1: Numpy.mean(scores.f1), support: total),
    ]
    if let p = Numpy.average(scores.precision, weights: counts.truth),
       let r = Numpy.average(scores.recall, weights: counts.truth),
       let f = Numpy.average(scores.f1, weights: counts.truth) {
        averages.append(SeqevalReport.Row(name: "weighted avg", precision: p, recall: r, f1: f, support: total))
    } else {
        let zd = zeroDivision.seqevalValue
        let noPredictions = counts.pred.reduce(0, +) == 0
        averages.append(SeqevalReport.Row(name: "weighted avg", precision: noPredictions ? zd : 0, recall: zd,
                                          f1: noPredictions ? zd : 0, support: total))
    }
    return SeqevalReport(rows: rows, averages: averages, digits: digits)
}
