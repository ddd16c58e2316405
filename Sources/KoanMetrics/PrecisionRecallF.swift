/// Per-class precision, recall and F1 computed exactly like scikit-learn's
/// `precision_recall_fscore_support` (beta = 1).
struct ClassScores {
    var precision: [Double]
    var recall: [Double]
    var f1: [Double]

    init(_ counts: LabelCounts, zeroDivision: ZeroDivision) {
        let zd = zeroDivision.sklearnValue
        precision = zip(counts.tp, counts.pred).map { $1 == 0 ? zd : Double($0) / Double($1) }
        recall = zip(counts.tp, counts.truth).map { $1 == 0 ? zd : Double($0) / Double($1) }
        f1 = counts.tp.indices.map { i in
            let denominator = 1.0 * Double(counts.truth[i]) + Double(counts.pred[i])
            return denominator == 0 ? zd : (2.0 * Double(counts.tp[i])) / denominator
        }
    }

    /// Averages with `_nanaverage` (weights = true counts for weighted).
    func averaged(weights: [Int]?) -> (precision: Double, recall: Double, f1: Double) {
        (Numpy.nanAverage(precision, weights: weights),
         Numpy.nanAverage(recall, weights: weights),
         Numpy.nanAverage(f1, weights: weights))
    }
}

/// A metric value: a single averaged number, or one number per label (`average: .none`).
///
/// ```swift
/// let s = try recall(yTrue: [0, 1, 1], yPred: [0, 1, 0], average: .none)
/// s.values  // [1.0, 0.5]
/// ```
public enum Score: Sendable {
    case value(Double)
    case perLabel(labels: [Label], values: [Double])

    /// The averaged value, or `nil` for per-label scores.
    ///
    /// ```swift
    /// try f1(yTrue: [1, 0], yPred: [1, 1]).value  // 0.6666666666666666
    /// ```
    public var value: Double? {
        if case .value(let v) = self { return v }
        return nil
    }

    /// All values (one for an average).
    ///
    /// ```swift
    /// Score.value(0.5).values  // [0.5]
    /// ```
    public var values: [Double] {
        switch self {
        case .value(let v): return [v]
        case .perLabel(_, let values): return values
        }
    }
}

/// Precision, recall, F1 and support together (scikit-learn `precision_recall_fscore_support`, beta = 1).
///
/// ```swift
/// let r = try precisionRecallFScoreSupport(yTrue: [0, 1, 2], yPred: [0, 2, 2], average: .macro)
/// r.precision.value  // 0.5
/// ```
public struct PrecisionRecallFScore: Sendable {
    public let precision: Score
    public let recall: Score
    public let f1: Score
    /// Per-label support for `average: .none`; `nil` otherwise (as in scikit-learn).
    public let support: [Int]?
}

/// scikit-learn's `precision_recall_fscore_support(y_true, y_pred, average=..., labels=..., pos_label=...)`.
///
/// ```swift
/// let r = try precisionRecallFScoreSupport(yTrue: ["a", "b"], yPred: ["a", "a"], average: .none)
/// r.support  // [1, 1]
/// ```
public func precisionRecallFScoreSupport(yTrue: [Label], yPred: [Label], average: Average = .binary,
                                         labels: [Label]? = nil, posLabel: Label = .int(1),
                                         zeroDivision: ZeroDivision = .warn) throws -> PrecisionRecallFScore {
    let targets = try CheckedTargets(yTrue: yTrue, yPred: yPred)
    var chosen: [Label]
    if let labels {
        try targets.checkLabels(labels)
        chosen = labels
    } else {
        chosen = targets.present
    }
    if average == .binary {
        guard targets.isBinary else { throw MetricsError.averageBinaryOnMulticlass(labelCount: targets.present.count) }
        if posLabel.isString != targets.stringKind {
            throw MetricsError.labelKindMismatch(label: posLabel, argument: "posLabel")
        }
        if !targets.present.contains(posLabel) && targets.present.count >= 2 {
            throw MetricsError.invalidPosLabel(posLabel, present: targets.present)
        }
        chosen = [posLabel]
    }
    var counts = targets.counts(for: chosen)
    if average == .micro { counts = counts.micro }
    let scores = ClassScores(counts, zeroDivision: zeroDivision)
    switch average {
    case .none:
        return PrecisionRecallFScore(precision: .perLabel(labels: chosen, values: scores.precision),
                                     recall: .perLabel(labels: chosen, values: scores.recall),
                                     f1: .perLabel(labels: chosen, values: scores.f1),
                                     support: counts.truth)
    case .binary, .micro, .macro, .weighted:
        let avg = scores.averaged(weights: average == .weighted ? counts.truth : nil)
        return PrecisionRecallFScore(precision: .value(avg.precision), recall: .value(avg.recall),
                                     f1: .value(avg.f1), support: nil)
    }
}

/// scikit-learn's `precision_score`.
///
/// ```swift
/// try precision(yTrue: [0, 1, 1], yPred: [1, 1, 1]).value  // 0.6666666666666666
/// ```
public func precision(yTrue: [Label], yPred: [Label], average: Average = .binary, labels: [Label]? = nil,
                      posLabel: Label = .int(1), zeroDivision: ZeroDivision = .warn) throws -> Score {
    try precisionRecallFScoreSupport(yTrue: yTrue, yPred: yPred, average: average, labels: labels,
                                     posLabel: posLabel, zeroDivision: zeroDivision).precision
}

/// scikit-learn's `recall_score`.
///
/// ```swift
/// try recall(yTrue: [0, 1, 1], yPred: [1, 1, 0]).value  // 0.5
/// ```
public func recall(yTrue: [Label], yPred: [Label], average: Average = .binary, labels: [Label]? = nil,
                   posLabel: Label = .int(1), zeroDivision: ZeroDivision = .warn) throws -> Score {
    try precisionRecallFScoreSupport(yTrue: yTrue, yPred: yPred, average: average, labels: labels,
                                     posLabel: posLabel, zeroDivision: zeroDivision).recall
}

/// scikit-learn's `f1_score`.
///
/// ```swift
/// try f1(yTrue: [0, 1, 2], yPred: [0, 1, 1], average: .micro).value  // 0.6666666666666666
/// ```
public func f1(yTrue: [Label], yPred: [Label], average: Average = .binary, labels: [Label]? = nil,
               posLabel: Label = .int(1), zeroDivision: ZeroDivision = .warn) throws -> Score {
    try precisionRecallFScoreSupport(yTrue: yTrue, yPred: yPred, average: average, labels: labels,
                                     posLabel: posLabel, zeroDivision: zeroDivision).f1
}

/// scikit-learn's `accuracy_score` (fraction of exact matches).
///
/// ```swift
/// try accuracy(yTrue: [1, 2, 3], yPred: [1, 2, 0])  // 0.6666666666666666
/// ```
public func accuracy(yTrue: [Label], yPred: [Label]) throws -> Double {
    let targets = try CheckedTargets(yTrue: yTrue, yPred: yPred)
    let correct = zip(targets.yTrue, targets.yPred).filter { $0 == $1 }.count
    return Double(correct) / Double(targets.yTrue.count)
}
