/// Errors from `fit`, `evaluate`, `predict` and checkpoints: each names what is wrong with
/// the model, the data or the options. Nothing in the model changes before one is thrown
/// (a step either completes or leaves the weights of the last finished step).
///
///     do { _ = try fit(model, on: empty, optimizer: opt, options: FitOptions(epochs: 1)) }
///     catch TrainError.emptyDataset(let name) { print(name) }
public enum TrainError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The dataset has no samples.
    case emptyDataset(String)
    /// An option out of range (`epochs: 0`, `batchSize: -1`, `accumulate: 0`, ...).
    case invalidOption(name: String, reason: String)
    /// The model's output cannot be compared with the dataset's labels.
    case outputMismatch(String)
    /// A label outside the classes the model predicts.
    case labelOutOfRange(label: Int64, classes: Int, dataset: String)
    /// A checkpoint that cannot be written or read back into this model.
    case checkpoint(String)
    /// `resume()` on a run that cannot continue (it completed, or stopped early).
    case cannotResume(String)

    public var description: String {
        switch self {
        case let .emptyDataset(name): "the dataset '\(name)' has no samples"
        case let .invalidOption(name, reason): "invalid \(name): \(reason)"
        case let .outputMismatch(detail): detail
        case let .labelOutOfRange(label, classes, dataset):
            "label \(label) in '\(dataset)' is out of range: the model predicts \(classes) classes (0...\(classes - 1))"
        case let .checkpoint(detail): detail
        case let .cannotResume(detail): detail
        }
    }
}
