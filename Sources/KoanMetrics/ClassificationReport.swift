/// scikit-learn's `classification_report` as a value.
///
/// `description` is byte-identical to `sklearn.metrics.classification_report(..., digits=digits)`.
///
/// ```swift
/// let report = try classificationReport(yTrue: [0, 1, 2, 2], yPred: [0, 2, 2, 2])
/// print(report)          // the familiar precision/recall/f1-score/support table
/// report.accuracy        // 0.75
/// report.rows[2].f1      // 0.8
/// ```
public struct ClassificationReport: Sendable, CustomStringConvertible {
    /// One line of the report.
    ///
    /// ```swift
    /// report.rows.first?.name  // "0"
    /// ```
    public struct Row: Sendable {
        public let name: String
        public let precision: Double
        public let recall: Double
        public let f1: Double
        public let support: Int
    }

    /// Per-class rows, in label order.
    public let rows: [Row]
    /// The accuracy when scikit-learn prints an `accuracy` line (micro precision, as in `output_dict`).
    public let accuracy: Double?
    /// "micro avg" (when printed), "macro avg", "weighted avg", and "samples avg" (multilabel).
    public let averages: [Row]
    /// Decimal places used by `description` and `html()`.
    public let digits: Int
    /// The value scikit-learn prints on the accuracy line (micro F1; equals `accuracy` unless `labels:` repeats a label).
    let accuracyLineValue: Double?
    /// scikit-learn computes supports as floats (printed "3.0") when no sample is predicted correctly.
    let floatSupport: Bool

    var totalSupport: Int { rows.reduce(0) { $0 + $1.support } }

    func supportText(_ support: Int) -> String { floatSupport ? "\(support).0" : String(support) }

    /// The text report, byte-identical to scikit-learn's.
    ///
    /// ```swift
    /// print(try classificationReport(yTrue: ["a", "b"], yPred: ["a", "a"], digits: 3))
    /// ```
    public var description: String {
        let width = ReportText.width(names: rows.map(\.name), digits: digits)
        var text = ReportText.header(width: width) + "\n\n"
        for row in rows {
            text += ReportText.row(row.name, row.precision, row.recall, row.f1, supportText(row.support), width: width, digits: digits) + "\n"
        }
        text += "\n"
        if let accuracyLineValue {
            text += ReportText.accuracyRow(accuracyLineValue, supportText(totalSupport), width: width, digits: digits) + "\n"
        }
        for row in averages {
            text += ReportText.row(row.name, row.precision, row.recall, row.f1, supportText(row.support), width: width, digits: digits) + "\n"
        }
        return text
    }

    /// A compact HTML `<table>`; names are escaped.
    ///
    /// ```swift
    /// let html = try classificationReport(yTrue: [0, 1], yPred: [1, 1]).html()
    /// // <table class="koan-report"><thead>...
    /// ```
    public func html() -> String {
        var html = "<table class=\"koan-report\">" + ReportText.htmlHead() + "<tbody>"
        for row in rows {
            html += ReportText.htmlRow(row.name, [row.precision, row.recall, row.f1], row.support, digits: digits)
        }
        if let accuracyLineValue {
            html += ReportText.htmlRow("accuracy", [nil, nil, accuracyLineValue], totalSupport, digits: digits, className: "avg")
        }
        for row in averages {
            html += ReportText.htmlRow(row.name, [row.precision, row.recall, row.f1], row.support, digits: digits, className: "avg")
        }
        return html + "</tbody></table>"
    }

    /// The `output_dict=True` structure: per-class and average objects with
    /// "precision", "recall", "f1-score", "support" (all numbers, as scikit-learn converts
    /// them with `float`), and `"accuracy"` as a bare number when present.
    ///
    /// ```swift
    /// try classificationReport(yTrue: [0, 1], yPred: [0, 1]).dictionary()["accuracy"]?.number  // 1.0
    /// ```
    public func dictionary() -> ReportValue {
        var object = OrderedObject()
        func entry(_ row: Row) -> ReportValue {
            .object([ReportEntry(key: "precision", value: .number(row.precision)),
                     ReportEntry(key: "recall", value: .number(row.recall)),
                     ReportEntry(key: "f1-score", value: .number(row.f1)),
                     ReportEntry(key: "support", value: .number(Double(row.support)))])
        }
        for row in rows { object.set(row.name, entry(row)) }
        if let accuracy { object.set("accuracy", .number(accuracy)) }
        for row in averages { object.set(row.name, entry(row)) }
        return object.value
    }
}

/// scikit-learn's `classification_report` for binary/multiclass targets.
///
/// - `labels`: the classes to report (may include absent classes or omit present ones; when
///   it omits a present class, a "micro avg" row replaces the accuracy line).
/// - `targetNames`: display names, one per label.
///
/// ```swift
/// let r = try classificationReport(yTrue: ["cat", "dog", "dog"], yPred: ["cat", "cat", "dog"],
///                                  targetNames: ["Cat", "Dog"], digits: 3)
/// print(r)
/// ```
public func classificationReport(yTrue: [Label], yPred: [Label], labels: [Label]? = nil, targetNames: [String]? = nil,
                                 digits: Int = 2, zeroDivision: ZeroDivision = .warn) throws -> ClassificationReport {
    let targets = try CheckedTargets(yTrue: yTrue, yPred: yPred)
    if let labels { try targets.checkLabels(labels) }
    let chosen = labels ?? targets.present
    if let targetNames, targetNames.count != chosen.count {
        throw MetricsError.targetNamesCountMismatch(labels: chosen.count, targetNames: targetNames.count)
    }
    guard digits >= 0 else { throw MetricsError.invalidDigits(digits) }
    let names = targetNames ?? chosen.map(\.description)
    let microIsAccuracy = labels == nil || Set(chosen).isSuperset(of: targets.present)

    let counts = targets.counts(for: chosen)
    let scores = ClassScores(counts, zeroDivision: zeroDivision)
    let rows = names.indices.map {
        ClassificationReport.Row(name: names[$0], precision: scores.precision[$0], recall: scores.recall[$0],
                                 f1: scores.f1[$0], support: counts.truth[$0])
    }
    let total = counts.truth.reduce(0, +)
    let micro = ClassScores(counts.micro, zeroDivision: zeroDivision).averaged(weights: nil)
    var averages: [ClassificationReport.Row] = []
    if !microIsAccuracy {
        averages.append(.init(name: "micro avg", precision: micro.precision, recall: micro.recall, f1: micro.f1, support: total))
    }
    let macro = scores.averaged(weights: nil)
    averages.append(.init(name: "macro avg", precision: macro.precision, recall: macro.recall, f1: macro.f1, support: total))
    let weighted = scores.averaged(weights: counts.truth)
    averages.append(.init(name: "weighted avg", precision: weighted.precision, recall: weighted.recall, f1: weighted.f1, support: total))
    return ClassificationReport(rows: rows, accuracy: microIsAccuracy ? micro.precision : nil, averages: averages,
                                digits: digits, accuracyLineValue: microIsAccuracy ? micro.f1 : nil,
                                floatSupport: !zip(yTrue, yPred).contains { $0 == $1 })
}

/// scikit-learn's `classification_report` for multilabel indicator matrices
/// (rows are samples, columns are classes); adds a "samples avg" row.
///
/// ```swift
/// let r = try classificationReport(multilabelTrue: [[true, false], [true, true]],
///                                  multilabelPred: [[true, true], [false, true]],
///                                  targetNames: ["news", "sport"])
/// r.averages.map(\.name)  // ["micro avg", "macro avg", "weighted avg", "samples avg"]
/// ```
public func classificationReport(multilabelTrue: [[Bool]], multilabelPred: [[Bool]], targetNames: [String]? = nil,
                                 digits: Int = 2, zeroDivision: ZeroDivision = .warn) throws -> ClassificationReport {
    let targets = try MultilabelTargets(yTrue: multilabelTrue, yPred: multilabelPred)
    if let targetNames, targetNames.count != targets.columns {
        throw MetricsError.targetNamesCountMismatch(labels: targets.columns, targetNames: targetNames.count)
    }
    guard digits >= 0 else { throw MetricsError.invalidDigits(digits) }
    let names = targetNames ?? (0..<targets.columns).map { String($0) }
    let counts = targets.labelCounts()
    let scores = ClassScores(counts, zeroDivision: zeroDivision)
    let rows = names.indices.map {
        ClassificationReport.Row(name: names[$0], precision: scores.precision[$0], recall: scores.recall[$0],
                                 f1: scores.f1[$0], support: counts.truth[$0])
    }
    let total = counts.truth.reduce(0, +)
    func row(_ name: String, _ avg: (precision: Double, recall: Double, f1: Double)) -> ClassificationReport.Row {
        .init(name: name, precision: avg.precision, recall: avg.recall, f1: avg.f1, support: total)
    }
    let averages = [
        row("micro avg", ClassScores(counts.micro, zeroDivision: zeroDivision).averaged(weights: nil)),
        row("macro avg", scores.averaged(weights: nil)),
        row("weighted avg", scores.averaged(weights: counts.truth)),
        row("samples avg", ClassScores(targets.sampleCounts(), zeroDivision: zeroDivision).averaged(weights: nil)),
    ]
    return ClassificationReport(rows: rows, accuracy: nil, averages: averages, digits: digits, accuracyLineValue: nil,
                                floatSupport: false)
}
