import KoanLang
import KoanAutograd
import KoanMetrics

// Classification and NER reports from cells: thin registrations of KoanMetrics. The
// report values render as scikit-learn's / seqeval's exact text and as an HTML table.

func registerReportFunctions(_ r: Registry) {
    r.function("classificationReport(_ yTrue: [Label], _ yPred: [Label], labels: [Label]? = nil, targetNames: [String]? = nil, digits: Int = 2, zeroDivision: ZeroDivision = .warn) -> Report",
               "Per-class precision, recall, f1-score and support with accuracy and macro/weighted averages, laid out exactly as scikit-learn's classification_report. Labels are Ints or Strings (or an integer tensor); zeroDivision is .warn, 0, 1 or .nan, as scikit-learn's zero_division (.zero and .one also work).") { a, _ in
        if let truth = try indicatorRows(a[0]), let guess = try indicatorRows(a[1]) {
            // Multilabel: rows of Bools (or 0/1), one column per label, as scikit-learn's indicator matrices.
            let report = try classificationReport(
                multilabelTrue: truth, multilabelPred: guess,
                targetNames: a[3].isNil ? nil : try a[3].elements().map { try $0.asString() },
                digits: try a[4].asInt(), zeroDivision: try zeroDivision(a[5]))
            return .object(RichText(typeName: "ClassificationReport", plain: report.description, rich: ["text/html": .text(report.html())],
                                    fields: value(report.dictionary())))
        }
        return try classificationReportValue(
            yTrue: try reportLabels(a[0]), yPred: try reportLabels(a[1]),
            labels: a[2].isNil ? nil : try reportLabels(a[2]),
            targetNames: a[3].isNil ? nil : try a[3].elements().map { try $0.asString() },
            digits: try a[4].asInt(), zeroDivision: try zeroDivision(a[5]))
    }
    r.function("seqevalReport(_ trueTags: [[String]], _ predTags: [[String]], scheme: TagScheme? = nil, mode: SeqevalMode = .default, digits: Int = 2) -> Report",
               "Entity-level precision, recall, f1-score and support for tag sequences (BIO/IOB2, IOBES, ...), exactly as seqeval's classification_report; mode .strict checks chunks against the scheme.") { a, _ in
        let truth = try a[0].elements().map { try $0.elements().map { try $0.asString() } }
        let pred = try a[1].elements().map { try $0.elements().map { try $0.asString() } }
        return try seqevalReportValue(truth, pred, scheme: a[2], mode: a[3], digits: try a[4].asInt())
    }
    typealias ScoreFunction = ([Label], [Label], Average, [Label]?, Label, ZeroDivision) throws -> Score
    func score(_ name: String, _ reference: String, _ f: @escaping ScoreFunction) {
        r.function("\(name)(_ yTrue: [Label], _ yPred: [Label], average: Average = .binary, labels: [Label]? = nil, posLabel: Label = 1, zeroDivision: ZeroDivision = .warn) -> Double",
                   "scikit-learn's \(reference): average .binary (posLabel only), .micro, .macro, .weighted, or .none (a dictionary label → score).") { a, _ in
            let result = try f(try reportLabels(a[0]), try reportLabels(a[1]), try average(a[2]),
                               a[3].isNil ? nil : try reportLabels(a[3]), try reportLabels(.array([a[4]]))[0], try zeroDivision(a[5]))
            switch result {
            case .value(let v): return .double(v)
            case .perLabel(let labels, let values):
                var d = OrderedDict()
                for (l, v) in zip(labels, values) { d.set(labelValue(l), .double(v)) }
                return .dict(d)
            }
        }
    }
    score("precision", "precision_score") { try precision(yTrue: $0, yPred: $1, average: $2, labels: $3, posLabel: $4, zeroDivision: $5) }
    score("recall", "recall_score") { try recall(yTrue: $0, yPred: $1, average: $2, labels: $3, posLabel: $4, zeroDivision: $5) }
    score("f1", "f1_score") { try f1(yTrue: $0, yPred: $1, average: $2, labels: $3, posLabel: $4, zeroDivision: $5) }
    r.function("rocCurve(_ yTrue: [Int], _ scores: [Double]) -> (fpr: [Double], tpr: [Double], thresholds: [Double])",
               "scikit-learn's roc_curve (positive class 1, drop_intermediate=True).") { a, _ in
        let c = try rocCurve(yTrue: try a[0].elements().map { try $0.asInt() }, scores: try curveScores(a[1]))
        return .tuple(TupleValue([doubles(c.fpr), doubles(c.tpr), doubles(c.thresholds)], labels: ["fpr", "tpr", "thresholds"]))
    }
    r.function("precisionRecallCurve(_ yTrue: [Int], _ scores: [Double]) -> (precision: [Double], recall: [Double], thresholds: [Double])",
               "scikit-learn's precision_recall_curve (positive class 1).") { a, _ in
        let c = try precisionRecallCurve(yTrue: try a[0].elements().map { try $0.asInt() }, scores: try curveScores(a[1]))
        return .tuple(TupleValue([doubles(c.precision), doubles(c.recall), doubles(c.thresholds)], labels: ["precision", "recall", "thresholds"]))
    }
    r.function("auc(_ x: [Double], _ y: [Double]) -> Double", "The area under a curve by the trapezoidal rule, as scikit-learn's auc.") { a, _ in
        .double(try auc(x: try curveScores(a[0]), y: try curveScores(a[1])))
    }
    r.member(of: RichText.self, "dictionary: [String: Any]", "A report's numbers as nested dictionaries, like output_dict=True.", .property { v, _ in
        guard case .object(let o as RichText) = v, let fields = o.fields else {
            throw Fault(.type, "value of type '\(v.typeName)' has no dictionary form")
        }
        return fields
    })
    r.function("accuracy(_ yTrue: [Label], _ yPred: [Label]) -> Double", "The fraction of predictions equal to the truth.") { a, _ in
        .double(try accuracy(yTrue: try reportLabels(a[0]), yPred: try reportLabels(a[1])))
    }
}

/// Ints, Strings or an integer tensor as report labels.
func reportLabels(_ v: Value) throws -> [Label] {
    if let t = v.tensorValue {
        guard !t.dtype.isFloatingPoint else { throw Fault(.type, "labels must be Ints or Strings, not a \(t.dtype) tensor") }
        return t.data.ints().map { .int(Int($0)) }
    }
    return try v.elements().map { x in
        switch x {
        case .int(let i): return .int(i)
        case .string(let s): return .string(s)
        default: throw Fault(.type, "labels must be Ints or Strings, got a value of type '\(x.typeName)'")
        }
    }
}

private func optionName(_ v: Value, _ what: String) throws -> String? {
    if v.isNil { return nil }
    guard case .object(let o as EnumCase) = v, o.arguments.isEmpty else {
        throw Fault(.type, "\(what) must be an option such as .\(what == "zeroDivision" ? "zero" : "strict")")
    }
    return o.name
}

/// scikit-learn's report for label lists, as a rich value (text, HTML and dictionary fields).
func classificationReportValue(yTrue: [Label], yPred: [Label], labels: [Label]?, targetNames: [String]?,
                               digits: Int, zeroDivision: ZeroDivision) throws -> Value {
    let report = try classificationReport(yTrue: yTrue, yPred: yPred, labels: labels, targetNames: targetNames,
                                          digits: digits, zeroDivision: zeroDivision)
    return .object(RichText(typeName: "ClassificationReport", plain: report.description, rich: ["text/html": .text(report.html())],
                            fields: value(report.dictionary())))
}

/// scikit-learn's `zero_division`: "warn", 0, 1 or `np.nan`, written `.warn`, `0`, `1`, `.nan`
/// (or `.zero`, `.one`, `Double.nan`).
func zeroDivision(_ v: Value) throws -> ZeroDivision {
    switch v {
    case .int(0): return .zero
    case .int(1): return .one
    case .double(let d) where d == 0: return .zero
    case .double(let d) where d == 1: return .one
    case .double(let d) where d.isNaN: return .nan
    case .int, .double: throw Fault(.value, "zeroDivision must be .warn, 0, 1 or .nan, got \(v.description)")
    default: break
    }
    switch try optionName(v, "zeroDivision") {
    case nil, "warn": return .warn
    case "zero": return .zero
    case "one": return .one
    case "nan": return .nan
    case let other?: throw Fault(.value, "unknown zeroDivision '.\(other)'; expected .warn, .zero, .one or .nan (or 0, 1)")
    }
}

private func seqevalMode(_ v: Value) throws -> SeqevalMode {
    switch try optionName(v, "mode") {
    case nil, "default": return .default
    case "strict": return .strict
    case let other?: throw Fault(.value, "unknown mode '.\(other)'; expected .default or .strict")
    }
}

private func tagScheme(_ v: Value) throws -> TagScheme? {
    guard let name = try optionName(v, "scheme") else { return nil }
    let all: [TagScheme] = [.iob1, .iob2, .ioe1, .ioe2, .iobes, .bilou]
    guard let s = all.first(where: { "\($0)".lowercased() == name.lowercased() }) else {
        throw Fault(.value, "unknown scheme '.\(name)'; expected one of .iob1, .iob2, .ioe1, .ioe2, .iobes, .bilou")
    }
    return s
}

private func average(_ v: Value) throws -> Average {
    switch try optionName(v, "average") {
    case nil, "binary": return .binary
    case "micro": return .micro
    case "macro": return .macro
    case "weighted": return .weighted
    case "none": return .none
    case let other?: throw Fault(.value, "unknown average '.\(other)'; expected .binary, .micro, .macro, .weighted or .none")
    }
}

private func labelValue(_ l: Label) -> Value {
    switch l {
    case .int(let i): return .int(i)
    case .string(let s): return .string(s)
    }
}

private func doubles(_ xs: [Double]) -> Value { .array(xs.map { .double($0) }) }

private func curveScores(_ v: Value) throws -> [Double] {
    if let t = v.tensorValue { return t.data.doubles() }
    return try v.elements().map { try $0.asDouble() }
}

/// A report's `output_dict` tree as Koan dictionaries (in the reference's key order).
private func value(_ r: ReportValue) -> Value {
    switch r {
    case .number(let d): return .double(d)
    case .integer(let i): return .int(i)
    case .object(let entries):
        var d = OrderedDict()
        for e in entries { d.set(.string(e.key), value(e.value)) }
        return .dict(d)
    }
}

/// Rows of a multilabel indicator matrix (`[[Bool]]`, `[[Int]]` of 0/1, or a 2-D tensor), or
/// nil when the value is a plain list of labels.
private func indicatorRows(_ v: Value) throws -> [[Bool]]? {
    if let t = v.tensorValue {
        guard t.shape.count == 2 else { return nil }
        let flat = t.data.doubles(), cols = t.shape[1]
        return (0..<t.shape[0]).map { r in (0..<cols).map { flat[r * cols + $0] != 0 } }
    }
    guard case .array(let rows) = v, let first = rows.first, case .array = first else { return nil }
    return try rows.map { row in
        try row.elements().map { x in
            switch x {
            case .bool(let b): return b
            case .int(let i) where i == 0 || i == 1: return i == 1
            default: throw Fault(.value, "a multilabel indicator row holds Bools or 0/1, got \(x.debugDescription)")
            }
        }
    }
}

/// seqeval's report of tag sequences as a Koan value (text, HTML, dictionary).
func seqevalReportValue(_ truth: [[String]], _ pred: [[String]], scheme: Value, mode: Value, digits: Int) throws -> Value {
    let report = try seqevalReport(trueTags: truth, predTags: pred, scheme: try tagScheme(scheme),
                                   mode: try seqevalMode(mode), digits: digits)
    return .object(RichText(typeName: "SeqevalReport", plain: report.description, rich: ["text/html": .text(report.html())],
                            fields: value(report.dictionary())))
}
