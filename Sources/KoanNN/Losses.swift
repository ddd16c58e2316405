import KoanAutograd
import KoanTensor

// Losses follow torch.nn.functional, with one convention change: the class axis is the
// LAST axis (Koan's convention, shared with KoanAutograd's `crossEntropy`), so logits are
// (N, C) or (*, C) and class-id targets are (N) or (*). For torch's (N, C, d1, ...) layout,
// permute the class axis to the end first.

/// How a loss combines per-element values: their mean (default), their sum, or none
/// (the per-element tensor).
///
///     let perSample = try mseLoss(pred, target, reduction: .none)
public enum LossReduction: String, Sendable {
    case mean, sum, none
}

func reduceLoss(_ t: Tensor, _ r: LossReduction) throws -> Tensor {
    switch r {
    case .mean: return try t.mean()
    case .sum: return try t.sum()
    case .none: return t
    }
}

func requireSameShape(_ loss: String, _ a: Tensor, _ b: Tensor) throws {
    guard a.shape == b.shape else {
        throw NNError.shapeMismatch(path: "", layer: loss, expected: "\(b.shape) (the target's shape)", got: a.shape)
    }
}

/// Validated class ids of `targets` for `classes` classes: an int64 array with ignored
/// entries replaced by 0, a float mask of the kept entries and how many were kept.
func classTargets(_ loss: String, logitsShape: [Int], targets: Tensor, ignoreIndex: Int?, dtype: DType) throws
    -> (ids: NDArray, keep: NDArray, kept: Int, anyIgnored: Bool) {
    let rowShape = Array(logitsShape.dropLast())
    guard targets.shape == rowShape else {
        throw NNError.shapeMismatch(path: "", layer: loss, expected: "\(rowShape) (class ids for logits \(logitsShape))", got: targets.shape)
    }
    let classes = Int64(logitsShape.last ?? 0)
    var ids: [Int64] = []
    var keep: [Double] = []
    ids.reserveCapacity(targets.count)
    keep.reserveCapacity(targets.count)
    for t in targets.ints() {
        if let ig = ignoreIndex, t == Int64(ig) {
            ids.append(0)
            keep.append(0)
            continue
        }
        guard t >= 0 && t < classes else {
            throw NNError.invalidArgument(layer: loss, message: "target \(t) is out of bounds for \(classes) classes")
        }
        ids.append(t)
        keep.append(1)
    }
    let kept = keep.reduce(0) { $0 + Int($1) }
    return (try NDArray(ints: ids, shape: rowShape), try NDArray(values: keep, shape: rowShape, dtype: dtype),
            kept, kept < ids.count)
}

/// Negative log-likelihood of class ids under log-probabilities `logProbs` (*, C).
/// Entries equal to `ignoreIndex` contribute nothing and are not counted by the mean.
///
///     let loss = try nllLoss(logSoftmax(logits, axis: -1), targets: labels)
public func nllLoss(_ logProbs: Tensor, targets: Tensor, ignoreIndex: Int? = -100,
                    reduction: LossReduction = .mean) throws -> Tensor {
    guard logProbs.rank >= 1, logProbs.dtype.isFloatingPoint else {
        throw NNError.shapeMismatch(path: "", layer: "nllLoss", expected: "[*, C] floating point", got: logProbs.shape)
    }
    let (ids, keep, kept, _) = try classTargets("nllLoss", logitsShape: logProbs.shape, targets: targets,
                                                ignoreIndex: ignoreIndex, dtype: logProbs.dtype)
    let picked = try logProbs.gather(axis: -1, indices: Tensor(ids.unsqueezed(axis: -1))).squeezed(axis: -1)   // (*)
    let perRow = try -(picked * Tensor(keep))                                                                  // (*)
    if reduction == .mean { return try perRow.sum() / Double(kept) }
    return try reduceLoss(perRow, reduction)
}

/// Softmax cross-entropy of `logits` (*, C) against either int class ids (*) or class
/// probabilities (*, C), as torch.nn.functional.cross_entropy (class axis last).
/// `labelSmoothing` ε mixes the target with the uniform distribution: (1-ε)·target + ε/C.
/// Class-id entries equal to `ignoreIndex` are skipped (the mean divides by the kept count).
/// The plain case (ids, no smoothing, nothing ignored, mean) is KoanAutograd's fused
/// `crossEntropy`; the others are composed from `logSoftmax`.
///
/// Overloads: with both KoanAutograd and KoanNN imported, a call with only `targets:`
/// resolves to KoanAutograd's `crossEntropy(_:targets:)` (it needs no default arguments):
/// same result for class ids; for probability targets pass any further argument,
/// e.g. `crossEntropy(logits, targets: probs, reduction: .mean)`.
///
///     let loss = try crossEntropy(logits, targets: labels, labelSmoothing: 0.1)
public func crossEntropy(_ logits: Tensor, targets: Tensor, labelSmoothing: Double = 0, ignoreIndex: Int? = -100,
                         reduction: LossReduction = .mean) throws -> Tensor {
    guard logits.rank >= 1, logits.dtype.isFloatingPoint, (logits.shape.last ?? 0) > 0 else {
        throw NNError.shapeMismatch(path: "", layer: "crossEntropy", expected: "[*, C] floating point with C > 0", got: logits.shape)
    }
    guard (0...1).contains(labelSmoothing) else {
        throw NNError.invalidArgument(layer: "crossEntropy", message: "label smoothing must be in [0, 1], got \(labelSmoothing)")
    }
    let classes = Double(logits.shape[logits.rank - 1])
    if targets.dtype.isFloatingPoint {
        try requireSameShape("crossEntropy", logits, targets)
        let logp = try logSoftmax(logits, axis: -1)                                            // (*, C)
        let t = labelSmoothing > 0 ? try targets * (1 - labelSmoothing) + labelSmoothing / classes : targets   // (*, C)
        let perRow = try -(t * logp).sum(axes: [-1])                                            // (*)
        return try reduceLoss(perRow, reduction)
    }
    let (ids, keep, kept, anyIgnored) = try classTargets("crossEntropy", logitsShape: logits.shape, targets: targets,
                                                         ignoreIndex: ignoreIndex, dtype: logits.dtype)
    if labelSmoothing == 0, !anyIgnored, reduction == .mean, targets.count > 0 {
        return try KoanAutograd.crossEntropy(logits, targets: Tensor(ids))
    }
    let logp = try logSoftmax(logits, axis: -1)                                                  // (*, C)
    let picked = try logp.gather(axis: -1, indices: Tensor(ids.unsqueezed(axis: -1))).squeezed(axis: -1)   // (*)
    var perRow = try -picked                                                                     // (*)
    if labelSmoothing > 0 {
        let uniform = try logp.sum(axes: [-1]) * (labelSmoothing / classes)                      // (*)
        perRow = try perRow * (1 - labelSmoothing) - uniform                                     // (*)
    }
    perRow = try perRow * Tensor(keep)                                                           // (*)
    if reduction == .mean { return try perRow.sum() / Double(kept) }
    return try reduceLoss(perRow, reduction)
}

/// Mean squared error (shapes must match).
///
///     let loss = try mseLoss(pred, target)
public func mseLoss(_ prediction: Tensor, _ target: Tensor, reduction: LossReduction = .mean) throws -> Tensor {
    try requireSameShape("mseLoss", prediction, target)
    return try reduceLoss((prediction - target).unary(.square), reduction)   // like prediction
}

/// Mean absolute error (shapes must match); the gradient at 0 is 0, as torch.
///
///     let loss = try l1Loss(pred, target)
public func l1Loss(_ prediction: Tensor, _ target: Tensor, reduction: LossReduction = .mean) throws -> Tensor {
    try requireSameShape("l1Loss", prediction, target)
    return try reduceLoss((prediction - target).unary(.abs), reduction)
}

/// Binary cross-entropy of probabilities `p` against targets `y` in [0, 1]:
/// -(y·log p + (1-y)·log(1-p)), each log clamped at -100 as torch.
///
///     let loss = try binaryCrossEntropy(sigmoidOutputs, labels)
public func binaryCrossEntropy(_ probabilities: Tensor, _ target: Tensor, reduction: LossReduction = .mean) throws -> Tensor {
    try requireSameShape("binaryCrossEntropy", probabilities, target)
    let logP = try probabilities.unary(.log).clamp(min: -100, max: nil)           // like p
    let log1mP = try (1 - probabilities).unary(.log).clamp(min: -100, max: nil)   // like p
    let perElement = try -(target * logP + (1 - target) * log1mP)
    return try reduceLoss(perElement, reduction)
}

/// Binary cross-entropy on logits, in the stable form max(x,0) - x·y + log(1 + e^-|x|).
///
///     let loss = try binaryCrossEntropyWithLogits(logits, labels)
public func binaryCrossEntropyWithLogits(_ logits: Tensor, _ target: Tensor, reduction: LossReduction = .mean) throws -> Tensor {
    try requireSameShape("binaryCrossEntropyWithLogits", logits, target)
    let softplus = try logits.unary(.abs).unary(.neg).unary(.exp).unary(.log1p)   // like x
    let perElement = try logits.unary(.relu) - logits * target + softplus
    return try reduceLoss(perElement, reduction)
}

/// Knowledge distillation (Hinton et al.; DistilBERT's recipe):
/// α·T²·KL(softmax(teacher/T) ‖ softmax(student/T)) + (1 − α)·cross-entropy(student, labels).
///
///     let loss = try distillationLoss(student: s, teacher: t, labels: y, temperature: 2, alpha: 0.5)
public func distillationLoss(student: Tensor, teacher: Tensor, labels: Tensor, temperature: Double, alpha: Double) throws -> Tensor {
    guard (0...1).contains(alpha) else { throw NNError.invalidArgument(layer: "distill", message: "alpha must be in [0, 1], got \(alpha)") }
    let ce = try crossEntropy(student, targets: labels, reduction: .mean)
    guard alpha > 0 else { return ce }
    let kl = try distillationKL(student: student, teacher: teacher, labels: labels, temperature: temperature)
    return try kl * (alpha * temperature * temperature) + ce * (1 - alpha)
}

/// KL(softmax(teacher/T) ‖ softmax(student/T)) summed over classes and averaged over rows:
/// PyTorch's `kl_div(log_softmax(s/T), softmax(t/T), reduction="batchmean")` for [B, C]
/// logits (rows of [B, T, C] logits count each position). The teacher's logits carry no
/// gradient; rows labelled −100 are left out.
public func distillationKL(student: Tensor, teacher: Tensor, labels: Tensor, temperature: Double) throws -> Tensor {
    guard temperature > 0, temperature.isFinite else {
        throw NNError.invalidArgument(layer: "distill", message: "temperature must be positive, got \(temperature)")
    }
    guard student.shape == teacher.shape, student.rank >= 2 else {
        throw NNError.shapeMismatch(path: "", layer: "distill", expected: "the student's logits shape \(student.shape)", got: teacher.shape)
    }
    let classes = student.shape[student.rank - 1]
    let n = student.count / max(1, classes)
    let s = try student.reshaped([n, classes]), t = try teacher.detached().to(student.dtype).reshaped([n, classes])   // (N, C)
    var keep = try NDArray.ones([n, 1], dtype: student.dtype)
    if !labels.dtype.isFloatingPoint, labels.count == n {
        keep = try NDArray(values: labels.data.ints().map { $0 == -100 ? 0.0 : 1.0 }, shape: [n, 1]).to(student.dtype)
    }
    let rows = max(1, keep.doubles().reduce(0, +))
    let logPs = try logSoftmax(s / temperature, axis: -1)                                       // (N, C)
    let pt = try softmax(t / temperature, axis: -1).detached()                                  // (N, C)
    let logPt = try logSoftmax(t / temperature, axis: -1).detached()                            // (N, C)
    return try (pt * (logPt - logPs) * Tensor(keep)).sum() / rows
}
