import KoanTensor

/// Errors from optimizers, gradient clipping and state loading. Every caller mistake is
/// reported with one of these (never a crash).
///
///     do { _ = try opt.update(params, grads: ["nope": g]) }
///     catch OptimError.unknownGradPath(let p) { print(p) }   // "nope"
public enum OptimError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The gradient of `path` does not have the parameter's shape.
    case gradShapeMismatch(path: String, parameter: [Int], grad: [Int])
    /// A gradient was given for a path that is not among the parameters.
    case unknownGradPath(String)
    /// A parameter-group or decay-list prefix matches no parameter.
    case unknownOverridePath(String)
    /// The same path appears twice in the parameter list.
    case duplicatePath(String)
    /// A learning rate that is not finite, or not positive (at construction) / negative (at update).
    case invalidLearningRate(Double)
    /// Betas outside [0, 1).
    case invalidBetas(Double, Double)
    /// Any other hyperparameter out of range (eps, momentum, weight decay, lrScale, maxNorm, ...).
    case invalidHyperparameter(name: String, value: Double, reason: String)
    /// The parameter or its gradient is not floating point.
    case unsupportedDType(path: String, dtype: DType)
    /// A state dict entry that cannot be loaded.
    case invalidStateDict(key: String, reason: String)
    /// Loaded state whose shape does not match the parameter it belongs to.
    case stateShapeMismatch(path: String, key: String, expected: [Int], found: [Int])
    /// `clipGradNorm(errorIfNonfinite: true)` found a NaN or infinite total norm.
    case nonFiniteNorm(Double)

    public var description: String {
        switch self {
        case let .gradShapeMismatch(path, p, g):
            "gradient for '\(path)' has shape \(g) but the parameter has shape \(p)"
        case let .unknownGradPath(p): "gradient given for unknown parameter '\(p)'"
        case let .unknownOverridePath(p): "parameter-group override '\(p)' matches no parameter"
        case let .duplicatePath(p): "parameter '\(p)' appears more than once"
        case let .invalidLearningRate(lr): "invalid learning rate \(lr): it must be finite and positive (0 is allowed for a single update)"
        case let .invalidBetas(b1, b2): "invalid betas (\(b1), \(b2)): each must be in [0, 1)"
        case let .invalidHyperparameter(name, v, reason): "invalid \(name) \(v): \(reason)"
        case let .unsupportedDType(path, dt): "'\(path)' has dtype \(dt); optimizers need floating-point parameters and gradients"
        case let .invalidStateDict(key, reason): "cannot load optimizer state '\(key)': \(reason)"
        case let .stateShapeMismatch(path, key, e, f): "optimizer state '\(key)' has shape \(f) but parameter '\(path)' has shape \(e)"
        case let .nonFiniteNorm(n): "the total gradient norm is non-finite (\(n)), so it cannot be clipped"
        }
    }
}
