/// Errors thrown by KoanPlot for anything a caller can cause.
///
/// ```swift
/// do { _ = try Figure.line(x: [1, 2], y: [1]) }
/// catch let e as PlotError { print(e) }   // x has 2 values but y has 1 …
/// ```
public enum PlotError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `x` and `y` of a series have different lengths.
    case lengthMismatch(series: String, xCount: Int, yCount: Int)
    /// A value that is zero or negative was put on a logarithmic axis.
    case nonPositiveOnLogAxis(axis: String, series: String, value: Double)
    /// A histogram was asked for fewer than one bin (or absurdly many).
    case invalidBinCount(Int)
    /// A heatmap row does not have as many cells as the first row.
    case raggedHeatmap(row: Int, expected: Int, found: Int)
    /// The number of labels does not match the number of rows, columns or bars.
    case labelCountMismatch(what: String, expected: Int, found: Int)
    /// `save` was given a path whose extension is not `.svg`, `.png` or `.json`.
    case unknownExtension(String)
    /// Writing a file failed.
    case writeFailed(path: String, reason: String)
    /// librsvg or cairo could not render the figure.
    case renderFailed(String)
    /// The PNG scale factor is not a positive finite number, or the image would be too large.
    case invalidScale(Double)

    /// A human-readable message.
    ///
    /// ```swift
    /// PlotError.invalidBinCount(0).description   // "histogram needs between 1 and 1000000 bins, got 0"
    /// ```
    public var description: String {
        switch self {
        case let .lengthMismatch(series, xc, yc):
            return "series '\(series)': x has \(xc) value\(xc == 1 ? "" : "s") but y has \(yc)"
        case let .nonPositiveOnLogAxis(axis, series, value):
            return "series '\(series)': \(axis) value \(value) cannot be shown on a log \(axis) axis (values must be > 0)"
        case let .invalidBinCount(n):
            return "histogram needs between 1 and \(maxBins) bins, got \(n)"
        case let .raggedHeatmap(row, expected, found):
            return "heatmap row \(row) has \(found) value\(found == 1 ? "" : "s") but row 0 has \(expected)"
        case let .labelCountMismatch(what, expected, found):
            return "\(what): expected \(expected) label\(expected == 1 ? "" : "s"), got \(found)"
        case let .unknownExtension(ext):
            return "cannot save a figure as '\(ext)': use .svg, .png or .json"
        case let .writeFailed(path, reason):
            return "could not write '\(path)': \(reason)"
        case let .renderFailed(reason):
            return "could not render the figure: \(reason)"
        case let .invalidScale(s):
            return "PNG scale must be a positive number giving an image of sane size, got \(s)"
        }
    }
}
