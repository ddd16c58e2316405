import SwiftParser
import SwiftParserDiagnostics
import SwiftSyntax

/// Whether a cell is ready to run (Jupyter's is_complete_request, `koan repl`).
extension Interpreter {
    /// Open brackets or a multi-line string at the end, or a trailing binary operator or
    /// comma, make the code incomplete (indent: four spaces per open level); otherwise
    /// any parse diagnostic makes it invalid.
    public func completeness(of code: String) -> Completeness {
        let text = CellSource.withoutMagics(code)
        guard text.contains(where: { !$0.isWhitespace }) else { return .complete }
        let tree = Parser.parse(source: text)
        var depth = 0
        var multilineQuotes = 0
        var lastKind: TokenKind?
        for token in tree.tokens(viewMode: .sourceAccurate) where token.presence == .present {
            switch token.tokenKind {
            case .leftParen, .leftSquare, .leftBrace: depth += 1
            case .rightParen, .rightSquare, .rightBrace: depth -= 1
            case .multilineStringQuote: multilineQuotes += 1
            case .endOfFile: continue
            default: break
            }
            lastKind = token.tokenKind
        }
        if multilineQuotes % 2 == 1 { return .incomplete(indent: "") }
        if depth > 0 { return .incomplete(indent: String(repeating: "    ", count: depth)) }
        if depth == 0, let last = lastKind {
            switch last {
            case .binaryOperator, .comma, .equal, .arrow: return .incomplete(indent: "")
            default: break
            }
        }
        let diagnostics = ParseDiagnosticsGenerator.diagnostics(for: tree).filter { $0.diagMessage.severity == .error }
        return diagnostics.isEmpty && depth == 0 ? .complete : .invalid
    }
}
