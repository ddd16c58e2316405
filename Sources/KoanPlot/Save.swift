import Foundation

extension Figure {
    /// Writes the figure to `path`, choosing the format by extension (case-insensitive):
    /// `.svg` (``svg()``), `.png` (``png(scale:)``) or `.json` (``vegaLite()``). Calls ``validate()`` first.
    ///
    /// ```swift
    /// try Figure.bar(labels: ["a", "b"], values: [1, 2]).save("bars.png")
    /// ```
    public func save(_ path: String) throws {
        let ext = (path as NSString).pathExtension.lowercased()
        let bytes: [UInt8]
        switch ext {
        case "svg":
            try validate()
            bytes = Array(svg().utf8)
        case "png":
            bytes = try png()
        case "json":
            try validate()
            bytes = Array(vegaLite().utf8)
        default:
            throw PlotError.unknownExtension(ext.isEmpty ? path : "." + ext)
        }
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw PlotError.writeFailed(path: path, reason: error.localizedDescription)
        }
    }
}
