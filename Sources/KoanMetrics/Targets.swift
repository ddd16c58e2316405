/// Validated single-output targets (scikit-learn's `_check_targets` for binary/multiclass).
struct CheckedTargets {
    let yTrue: [Label]
    let yPred: [Label]
    /// Sorted union of labels present in either array (`unique_labels`).
    let present: [Label]
    /// `true` when the labels are strings.
    let stringKind: Bool

    /// scikit-learn's `type_of_target` "binary" (at most two distinct labels overall).
    var isBinary: Bool { present.count <= 2 }

    init(yTrue: [Label], yPred: [Label]) throws {
        guard yTrue.count == yPred.count else {
            throw MetricsError.lengthMismatch(firstName: "yTrue", firstCount: yTrue.count,
                                              secondName: "yPred", secondCount: yPred.count)
        }
        guard !yTrue.isEmpty else { throw MetricsError.emptyInput(argument: "yTrue") }
        let kind = yTrue[0].isString
        for label in yTrue where label.isString != kind { throw MetricsError.mixedLabelTypes }
        for label in yPred where label.isString != kind { throw MetricsError.mixedLabelTypes }
        self.yTrue = yTrue
        self.yPred = yPred
        self.stringKind = kind
        self.present = Array(Set(yTrue).union(yPred)).sorted()
    }

    /// Validates a user-supplied `labels:` list (non-empty, same kind as the data).
    func checkLabels(_ labels: [Label], argument: String = "labels") throws {
        guard !labels.isEmpty else { throw MetricsError.emptyLabels }
        for label in labels where label.isString != stringKind {
            throw MetricsError.labelKindMismatch(label: label, argument: argument)
        }
    }

    /// Per-label true positives, predicted counts and true counts (`multilabel_confusion_matrix`).
    func counts(for labels: [Label]) -> LabelCounts {
        var tp: [Label: Int] = [:]
        var pred: [Label: Int] = [:]
        var truth: [Label: Int] = [:]
        for (t, p) in zip(yTrue, yPred) {
            truth[t, default: 0] += 1
            pred[p, default: 0] += 1
            if t == p { tp[t, default: 0] += 1 }
        }
        return LabelCounts(tp: labels.map { tp[$0] ?? 0 },
                           pred: labels.map { pred[$0] ?? 0 },
                           truth: labels.map { truth[$0] ?? 0 })
    }
}

/// Per-class sufficient statistics.
struct LabelCounts {
    var tp: [Int]
    var pred: [Int]
    var truth: [Int]

    /// Collapsed into one pseudo-class (micro averaging).
    var micro: LabelCounts {
        LabelCounts(tp: [tp.reduce(0, +)], pred: [pred.reduce(0, +)], truth: [truth.reduce(0, +)])
    }
}

/// Validated multilabel indicator matrices.
struct MultilabelTargets {
    let yTrue: [[Bool]]
    let yPred: [[Bool]]
    let columns: Int

    init(yTrue: [[Bool]], yPred: [[Bool]]) throws {
        guard yTrue.count == yPred.count else {
            throw MetricsError.lengthMismatch(firstName: "multilabelTrue", firstCount: yTrue.count,
                                              secondName: "multilabelPred", secondCount: yPred.count)
        }
        guard !yTrue.isEmpty else { throw MetricsError.emptyInput(argument: "multilabelTrue") }
        let columns = yTrue[0].count
        for (name, matrix) in [("multilabelTrue", yTrue), ("multilabelPred", yPred)] {
            for (index, row) in matrix.enumerated() where row.count != columns {
                throw MetricsError.raggedMultilabel(argument: name, row: index, expected: columns, found: row.count)
            }
        }
        guard columns >= 2 else { throw MetricsError.tooFewMultilabelColumns(columns) }
        self.yTrue = yTrue
        self.yPred = yPred
        self.columns = columns
    }

    /// Per-column counts.
    func labelCounts() -> LabelCounts {
        var counts = LabelCounts(tp: Array(repeating: 0, count: columns),
                                 pred: Array(repeating: 0, count: columns),
                                 truth: Array(repeating: 0, count: columns))
        for (t, p) in zip(yTrue, yPred) {
            for j in 0..<columns {
                if t[j] { counts.truth[j] += 1 }
                if p[j] { counts.pred[j] += 1 }
                if t[j] && p[j] { counts.tp[j] += 1 }
            }
        }
        return counts
    }

    /// Per-sample counts (`samplewise=True`).
    func sampleCounts() -> LabelCounts {
        var counts = LabelCounts(tp: [], pred: [], truth: [])
        for (t, p) in zip(yTrue, yPred) {
            var tp = 0, pred = 0, truth = 0
            for j in 0..<columns {
                if t[j] { truth += 1 }
                if p[j] { pred += 1 }
                if t[j] && p[j] { tp += 1 }
            }
            counts.tp.append(tp)
            counts.pred.append(pred)
            counts.truth.append(truth)
        }
        return counts
    }
}
