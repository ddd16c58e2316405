import KoanData
import KoanFineTune
import KoanLang
import KoanMetrics
import KoanNN
import KoanPlot
import KoanTensor
import KoanTrain

// The error name each library failure is shown under (the Jupyter `ename`).

extension TensorError: KindedError {
    package var errorKind: ErrorKind {
        switch self {
        case .shapeMismatch: return .shape
        case .indexOutOfRange, .axisOutOfRange: return .index
        case .unsupportedDType: return .dtype
        case .allocationTooLarge: return .memory
        case .invalidFile, .cannotWrite: return .io
        case .invalidArgument: return .value
        }
    }
}

extension NNError: KindedError {
    package var errorKind: ErrorKind {
        if case .shapeMismatch = self { return .shape }
        return .value
    }
}

extension TrainError: KindedError {
    package var errorKind: ErrorKind {
        switch self {
        case .outputMismatch: return .shape
        case .checkpoint: return .io
        default: return .value
        }
    }
}

extension MetricsError: KindedError { package var errorKind: ErrorKind { .value } }
extension PlotError: KindedError { package var errorKind: ErrorKind { .value } }
extension DataError: KindedError { package var errorKind: ErrorKind { .value } }
extension OptimError: KindedError { package var errorKind: ErrorKind { .value } }
extension AdapterError: KindedError { package var errorKind: ErrorKind { .io } }
