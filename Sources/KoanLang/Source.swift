import SwiftSyntax

/// A range in a cell's source: cell number, 1-based line and Unicode-scalar column.
/// `endLine`/`endColumn` are exclusive and used for the `^~~~` underline.
struct Span: Equatable, Sendable {
    var cell: Int
    var line: Int
    var column: Int
    var endLine: Int
    var endColumn: Int

    static let unknown = Span(cell: 0, line: 0, column: 0, endLine: 0, endColumn: 0)

    var position: String { "cell[\(cell)]:\(line):\(column)" }
}

/// Converts swift-syntax positions (UTF-8 offsets) of one parsed text into spans whose
/// columns count Unicode scalars.
struct SourceMap {
    let cell: Int
    private let utf8: [UInt8]
    private let lineStarts: [Int]

    init(text: String, cell: Int) {
        self.cell = cell
        self.utf8 = Array(text.utf8)
        var starts = [0]
        for (i, b) in utf8.enumerated() where b == UInt8(ascii: "\n") { starts.append(i + 1) }
        self.lineStarts = starts
    }

    /// (line, column), both 1-based, column in Unicode scalars.
    func location(ofUTF8 offset: Int) -> (line: Int, column: Int) {
        let off = min(max(0, offset), utf8.count)
        var lo = 0, hi = lineStarts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if lineStarts[mid] <= off { lo = mid } else { hi = mid - 1 }
        }
        var column = 1
        var i = lineStarts[lo]
        while i < off {
            // Count scalar starts: bytes that are not UTF-8 continuation bytes.
            if utf8[i] & 0xC0 != 0x80 { column += 1 }
            i += 1
        }
        return (lo + 1, column)
    }

    func span(from start: Int, to end: Int) -> Span {
        let a = location(ofUTF8: start)
        let b = location(ofUTF8: max(start, end))
        return Span(cell: cell, line: a.line, column: a.column, endLine: b.line, endColumn: b.column)
    }

    /// The span of a node without its surrounding trivia.
    func span(_ node: some SyntaxProtocol) -> Span {
        span(from: node.positionAfterSkippingLeadingTrivia.utf8Offset,
             to: node.endPositionBeforeTrailingTrivia.utf8Offset)
    }
}

/// Unicode-scalar offsets into a text and back (completion and inspection cursors).
struct ScalarText {
    let scalars: [Unicode.Scalar]
    init(_ text: String) { scalars = Array(text.unicodeScalars) }

    static func isIdentifierScalar(_ s: Unicode.Scalar) -> Bool {
        s == "_" || s == "$" || s.properties.isAlphabetic || ("0"..."9").contains(s)
    }

    /// The identifier fragment ending at `cursor`: its start offset.
    func identifierStart(before cursor: Int) -> Int {
        var i = min(max(0, cursor), scalars.count)
        while i > 0, ScalarText.isIdentifierScalar(scalars[i - 1]) { i -= 1 }
        return i
    }

    /// The identifier fragment starting at `start`: its end offset.
    func identifierEnd(from start: Int) -> Int {
        var i = max(0, start)
        while i < scalars.count, ScalarText.isIdentifierScalar(scalars[i]) { i += 1 }
        return i
    }

    func string(_ from: Int, _ to: Int) -> String {
        var s = String.UnicodeScalarView()
        if from < to { s.append(contentsOf: scalars[from..<to]) }
        return String(s)
    }
}
