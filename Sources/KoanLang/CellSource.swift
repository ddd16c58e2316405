import SwiftDiagnostics
import SwiftOperators
import SwiftParser
import SwiftParserDiagnostics
import SwiftSyntax

/// A cell split into runs of Swift code and magic lines. Each Swift run is parsed from
/// a copy of the whole cell with the other lines blanked, so line and column numbers
/// are those of the cell.
struct CellSource {
    enum Segment {
        /// Swift code: the cell text with every other line emptied.
        case swift(String)
        /// A magic line: 1-based line number and its text.
        case magic(line: Int, text: String)
    }

    let text: String
    let segments: [Segment]

    init(_ text: String) {
        self.text = text
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var segments: [Segment] = []
        var run: [Int] = []
        func flush() {
            guard !run.isEmpty else { return }
            let keep = Set(run)
            let blanked = lines.enumerated().map { keep.contains($0.offset) ? $0.element : "" }
            segments.append(.swift(blanked.joined(separator: "\n")))
            run = []
        }
        for (i, line) in lines.enumerated() {
            if CellSource.isMagic(line) {
                flush()
                segments.append(.magic(line: i + 1, text: line))
            } else {
                run.append(i)
            }
        }
        flush()
        if segments.count == 1, case .swift = segments[0] { segments = [.swift(text)] }
        self.segments = segments
    }

    /// A cell magic (`%%time`) on the cell's first line of code (after blank and comment lines): its line number, name,
    /// and the cell with that line blanked (so positions stay the cell's).
    var cellMagic: (line: Int, name: String, body: CellSource)? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // The first line that is not blank or a `//` comment.
        guard let i = lines.firstIndex(where: { line in
            let t = line.drop { $0 == " " || $0 == "\t" }
            return !t.isEmpty && !t.hasPrefix("//")
        }) else { return nil }
        let first = lines[i].drop { $0 == " " || $0 == "\t" }
        guard first.hasPrefix("%%") else { return nil }
        let name = String(first.dropFirst(2).prefix { $0.isLetter || $0.isNumber || $0 == "_" })
        var rest = lines
        rest[i] = ""
        return (i + 1, name, CellSource(rest.joined(separator: "\n")))
    }

    static func isMagic(_ line: some StringProtocol) -> Bool {
        line.first(where: { $0 != " " && $0 != "\t" }) == "%"
    }

    /// `text` with every magic line emptied (for completeness checks).
    static func withoutMagics(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { isMagic($0) ? "" : String($0) }
            .joined(separator: "\n")
    }
}

/// Parses Swift text, reporting every swift-syntax diagnostic, and folds operators.
enum SwiftFront {
    /// Parses, folds operators and turns every error diagnostic into one thrown ParseError.
    static func parse(_ text: String, map: SourceMap) throws -> SourceFileSyntax {
        let tree = Parser.parse(source: text)
        var diagnostics = ParseDiagnosticsGenerator.diagnostics(for: tree)
            .filter { $0.diagMessage.severity == .error }
        var folded: SourceFileSyntax = tree
        if diagnostics.isEmpty {
            var operatorErrors: [OperatorError] = []
            let result = OperatorTable.standardOperators.foldAll(tree) { operatorErrors.append($0) }
            diagnostics += operatorErrors.map(\.asDiagnostic)
            if let file = result.as(SourceFileSyntax.self) { folded = file }
        }
        guard diagnostics.isEmpty else {
            throw KoanError.parse(diagnostics.map { d in
                let offset = d.position.utf8Offset
                return ParseDiagnostic(message: d.message, span: map.span(from: offset, to: offset))
            })
        }
        return folded
    }
}
