/// Counts at each distinct score threshold (scikit-learn `confusion_matrix_at_thresholds`),
/// in decreasing threshold order.
private func thresholdCounts(yTrue: [Int], scores: [Double]) throws -> (fps: [Double], tps: [Double], thresholds: [Double]) {
    guard yTrue.count == scores.count else {
        throw MetricsError.lengthMismatch(firstName: "yTrue", firstCount: yTrue.count,
                                          secondName: "scores", secondCount: scores.count)
    }
    guard !yTrue.isEmpty else { throw MetricsError.emptyInput(argument: "yTrue") }
    for (i, value) in yTrue.enumerated() where value != 0 && value != 1 {
        throw MetricsError.nonBinaryTarget(value: value, index: i)
    }
    for (i, score) in scores.enumerated() where !score.isFinite {
        throw MetricsError.nonFiniteScore(index: i)
    }
    // Stable sort by decreasing score; ties do not affect counts at tie boundaries.
    let order = scores.indices.sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
    var fps: [Double] = [], tps: [Double] = [], thresholds: [Double] = []
    var cumulative = 0.0
    for (position, index) in order.enumerated() {
        cumulative += Double(yTrue[index])
        let isLast = position == order.count - 1
        if isLast || scores[order[position + 1]] != scores[index] {
            tps.append(cumulative)
            fps.append(1 + Double(position) - cumulative)
            thresholds.append(scores[index])
        }
    }
    return (fps, tps, thresholds)
}

/// scikit-learn's `roc_curve` (positive class 1, `drop_intermediate=True`).
///
/// The first threshold is `+infinity`. `fpr`/`tpr` are NaN when `yTrue` has no negatives/positives.
///
/// ```swift
/// let roc = try rocCurve(yTrue: [0, 0, 1, 1], scores: [0.1, 0.4, 0.35, 0.8])
/// roc.fpr         // [0.0, 0.0, 0.5, 0.5, 1.0]
/// roc.thresholds  // [inf, 0.8, 0.4, 0.35, 0.1]
/// ```
public func rocCurve(yTrue: [Int], scores: [Double]) throws -> (fpr: [Double], tpr: [Double], thresholds: [Double]) {
    var (fps, tps, thresholds) = try thresholdCounts(yTrue: yTrue, scores: scores)
    if fps.count > 2 {
        var keep = [0]
        for i in 1..<(fps.count - 1) {
            let secondFps = (fps[i + 1] - fps[i]) - (fps[i] - fps[i - 1])
            let secondTps = (tps[i + 1] - tps[i]) - (tps[i] - tps[i - 1])
            if secondFps != 0 || secondTps != 0 { keep.append(i) }
        }
        keep.append(fps.count - 1)
        fps = keep.map { fps[$0] }
        tps = keep.map { tps[$0] }
        thresholds = keep.map { thresholds[$0] }
    }
    fps.insert(0, at: 0)
    tps.insert(0, at: 0)
    thresholds.insert(.infinity, at: 0)
    let lastFps = fps[fps.count - 1], lastTps = tps[tps.count - 1]
    let fpr = lastFps <= 0 ? Array(repeating: Double.nan, count: fps.count) : fps.map { $0 / lastFps }
    let tpr = lastTps <= 0 ? Array(repeating: Double.nan, count: tps.count) : tps.map { $0 / lastTps }
    return (fpr, tpr, thresholds)
}

/// scikit-learn's `precision_recall_curve` (positive class 1, `drop_intermediate=False`).
///
/// Thresholds increase; `precision` ends with 1 and `recall` with 0 (one more entry than thresholds).
///
/// ```swift
/// let pr = try precisionRecallCurve(yTrue: [0, 0, 1, 1], scores: [0.1, 0.4, 0.35, 0.8])
/// pr.precision   // [0.5, 0.6666666666666666, 0.5, 1.0, 1.0]
/// pr.thresholds  // [0.1, 0.35, 0.4, 0.8]
/// ```
public func precisionRecallCurve(yTrue: [Int], scores: [Double]) throws -> (precision: [Double], recall: [Double], thresholds: [Double]) {
    let (fps, tps, thresholds) = try thresholdCounts(yTrue: yTrue, scores: scores)
    var precision: [Double] = []
    for (tp, fp) in zip(tps, fps) {
        let predicted: Double = tp + fp
        precision.append(predicted != 0 ? tp / predicted : 0)
    }
    let lastTps = tps[tps.count - 1]
    let recall = lastTps == 0 ? Array(repeating: 1.0, count: tps.count) : tps.map { $0 / lastTps }
    return (precision.reversed() + [1], recall.reversed() + [0], thresholds.reversed())
}

/// scikit-learn's `auc`: trapezoidal area under a monotonic curve.
///
/// ```swift
/// try auc(x: [0, 0.5, 1], y: [0, 1, 1])  // 0.75
/// ```
public func auc(x: [Double], y: [Double]) throws -> Double {
    guard x.count == y.count else {
        throw MetricsError.lengthMismatch(firstName: "x", firstCount: x.count, secondName: "y", secondCount: y.count)
    }
    guard x.count >= 2 else { throw MetricsError.tooFewPoints(x.count) }
    let dx = (1..<x.count).map { x[$0] - x[$0 - 1] }
    var direction = 1.0
    if dx.contains(where: { $0 < 0 }) {
        guard dx.allSatisfy({ $0 <= 0 }) else { throw MetricsError.nonMonotonicX }
        direction = -1
    }
    var terms: [Double] = []
    for i in 1..<x.count {
        let heights: Double = y[i] + y[i - 1]
        terms.append(dx[i - 1] * heights / 2.0)
    }
    return direction * Numpy.sum(terms)
}
