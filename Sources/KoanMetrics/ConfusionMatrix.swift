/// scikit-learn's `confusion_matrix`: rows are true labels, columns predicted labels.
///
/// Samples whose true or predicted label is not in `labels` are ignored. With `normalize`,
/// rows (`.true`), columns (`.pred`) or the whole matrix (`.all`) sum to 1; empty rows/columns stay 0.
///
/// ```swift
/// let cm = try confusionMatrix(yTrue: [0, 1, 1], yPred: [0, 0, 1])
/// cm.labels  // [0, 1]
/// cm.matrix  // [[1, 0], [1, 1]]
/// ```
public func confusionMatrix(yTrue: [Label], yPred: [Label], labels: [Label]? = nil,
                            normalize: Normalize? = nil) throws -> (labels: [Label], matrix: [[Double]]) {
    let targets = try CheckedTargets(yTrue: yTrue, yPred: yPred)
    let chosen: [Label]
    if let labels {
        try targets.checkLabels(labels)
        let truth = Set(targets.yTrue)
        guard labels.contains(where: truth.contains) else { throw MetricsError.noLabelInTruth }
        chosen = labels
    } else {
        chosen = targets.present
    }
    var index: [Label: Int] = [:]
    for (i, label) in chosen.enumerated() { index[label] = i }  // a repeated label maps to its last position
    let n = chosen.count
    var counts = Array(repeating: Array(repeating: 0, count: n), count: n)
    for (t, p) in zip(targets.yTrue, targets.yPred) {
        if let i = index[t], let j = index[p] { counts[i][j] += 1 }
    }
    var matrix = counts.map { $0.map(Double.init) }
    func divide(_ value: Int, _ by: Int) -> Double {
        let result = Double(value) / Double(by)
        return result.isNaN ? 0 : result
    }
    switch normalize {
    case nil:
        break
    case .true?:
        for i in 0..<n {
            let rowSum = counts[i].reduce(0, +)
            for j in 0..<n { matrix[i][j] = divide(counts[i][j], rowSum) }
        }
    case .pred?:
        for j in 0..<n {
            let columnSum = (0..<n).reduce(0) { $0 + counts[$1][j] }
            for i in 0..<n { matrix[i][j] = divide(counts[i][j], columnSum) }
        }
    case .all?:
        let total = counts.reduce(0) { $0 + $1.reduce(0, +) }
        for i in 0..<n { for j in 0..<n { matrix[i][j] = divide(counts[i][j], total) } }
    }
    return (chosen, matrix)
}
