/// Errors thrown by KoanMetrics for inputs a caller can get wrong.
///
/// `description` reads like a compiler diagnostic:
///
/// ```swift
/// do { _ = try accuracy(yTrue: [1, 2], yPred: [1]) }
/// catch let error as MetricsError { print(error) }
/// // length mismatch: yTrue has 2 elements but yPred has 1
/// ```
public enum MetricsError: Error, Sendable, Equatable, CustomStringConvertible {
    /// An input that must be non-empty was empty.
    case emptyInput(argument: String)
    /// Two parallel inputs have different lengths.
    case lengthMismatch(firstName: String, firstCount: Int, secondName: String, secondCount: Int)
    /// Integer and string labels were mixed.
    case mixedLabelTypes
    /// `labels:` was given but empty.
    case emptyLabels
    /// A label in `labels:`/`posLabel:` is of a different kind than the data.
    case labelKindMismatch(label: Label, argument: String)
    /// `targetNames:` does not have one name per label.
    case targetNamesCountMismatch(labels: Int, targetNames: Int)
    /// `digits:` was negative.
    case invalidDigits(Int)
    /// `average: .binary` on a multiclass target.
    case averageBinaryOnMulticlass(labelCount: Int)
    /// `posLabel:` is not among the present labels.
    case invalidPosLabel(Label, present: [Label])
    /// A row of a multilabel indicator matrix has the wrong width.
    case raggedMultilabel(argument: String, row: Int, expected: Int, found: Int)
    /// A multilabel indicator matrix needs at least two columns.
    case tooFewMultilabelColumns(Int)
    /// None of `labels:` occurs in `yTrue` (confusion matrix).
    case noLabelInTruth
    /// A score was NaN or infinite.
    case nonFiniteScore(index: Int)
    /// A binary target contained something other than 0 or 1.
    case nonBinaryTarget(value: Int, index: Int)
    /// `auc` needs at least two points.
    case tooFewPoints(Int)
    /// `auc` x values are neither increasing nor decreasing.
    case nonMonotonicX
    /// No entity chunk found in either tag sequence (seqeval report would be empty).
    case noEntities
    /// Sentence `sentence` has different lengths in truth and prediction.
    case sentenceLengthMismatch(sentence: Int, trueLength: Int, predLength: Int)
    /// An empty tag string.
    case emptyTag(sentence: Int, position: Int)
    /// A tag whose prefix is unknown or not allowed by the scheme (strict mode).
    case invalidTag(tag: String, sentence: Int, position: Int, scheme: TagScheme?)
    /// The tagging scheme could not be auto-detected from the truth sequences.
    case undetectableScheme(prefixes: [String])

    public var description: String {
        switch self {
        case .emptyInput(let argument):
            return "empty input: '\(argument)' must contain at least one sample"
        case let .lengthMismatch(a, n, b, m):
            return "length mismatch: \(a) has \(n) element\(n == 1 ? "" : "s") but \(b) has \(m)"
        case .mixedLabelTypes:
            return "mix of label input types: labels must be all integers or all strings"
        case .emptyLabels:
            return "'labels' must contain at least one label"
        case let .labelKindMismatch(label, argument):
            return "label '\(label)' in '\(argument)' is \(label.isString ? "a string" : "an integer") but the targets are \(label.isString ? "integers" : "strings")"
        case let .targetNamesCountMismatch(labels, names):
            return "number of classes, \(labels), does not match size of targetNames, \(names)"
        case .invalidDigits(let digits):
            return "invalid digits \(digits): must be zero or positive"
        case .averageBinaryOnMulticlass(let count):
            return "target is multiclass (\(count) labels) but average is .binary; choose .micro, .macro, .weighted or .none"
        case let .invalidPosLabel(label, present):
            return "posLabel '\(label)' is not a valid label; it should be one of [\(present.map(\.description).joined(separator: ", "))]"
        case let .raggedMultilabel(argument, row, expected, found):
            return "ragged multilabel matrix: row \(row) of \(argument) has \(found) columns but expected \(expected)"
        case .tooFewMultilabelColumns(let count):
            return "multilabel indicator matrix has \(count) column\(count == 1 ? "" : "s"); at least 2 are required"
        case .noLabelInTruth:
            return "at least one label specified in 'labels' must be in yTrue"
        case .nonFiniteScore(let index):
            return "non-finite score at index \(index): scores must be finite"
        case let .nonBinaryTarget(value, index):
            return "non-binary target \(value) at index \(index): yTrue must contain only 0 and 1"
        case .tooFewPoints(let count):
            return "at least 2 points are needed to compute area under curve, but got \(count)"
        case .nonMonotonicX:
            return "x is neither increasing nor decreasing"
        case .noEntities:
            return "no entities found in trueTags or predTags: the report would be empty"
        case let .sentenceLengthMismatch(sentence, t, p):
            return "length mismatch: sentence \(sentence) has \(t) tag\(t == 1 ? "" : "s") in trueTags but \(p) in predTags"
        case let .emptyTag(sentence, position):
            return "empty tag at sentence \(sentence), position \(position)"
        case let .invalidTag(tag, sentence, position, scheme):
            let where_ = "at sentence \(sentence), position \(position)"
            if let scheme {
                return "invalid tag '\(tag)' \(where_): prefix not allowed by scheme \(scheme) (allowed: \(scheme.allowedPrefixNames))"
            }
            return "invalid tag '\(tag)' \(where_): unknown prefix"
        case .undetectableScheme(let prefixes):
            return "cannot detect tagging scheme from prefixes {\(prefixes.joined(separator: ", "))}; pass 'scheme:' explicitly"
        }
    }
}
