/// The Koan language engine: one per kernel. It owns the workspace (every top-level
/// binding, kept across cells) and runs cells against it.
///
/// ```swift
/// let interpreter = Interpreter()
/// let result = interpreter.execute("let x = 20\nx + 22", cell: 1, display: myDisplay)
/// result.value?.plainText   // "42"
/// ```
///
/// Use it from one thread at a time; `interrupt()` and `cancellation` may be used from any thread.
public final class Interpreter: @unchecked Sendable {
    /// Set from other threads (SIGINT, interrupt_request); checked at every loop
    /// iteration and call. The caller resets it.
    public let cancellation = Cancellation()
    let workspace = Workspace()
    let registry: Registry
    /// Source text of every cell run so far, by cell number (for error quotes).
    var sources: [Int: String] = [:]
    /// The deepest chain of user function calls allowed.
    let maxDepth = 2000

    /// An interpreter with the language's builtins and those of `extensions` (the library
    /// bindings, wired by the executable).
    public init(extensions: [any LanguageExtension] = []) {
        registry = Registry(extensions: extensions)
    }

    /// Runs one cell. `cell` is the number used in positions: `cell[N]:line:col`.
    /// Never throws; on error every binding made before the failing statement stays.
    public func execute(_ code: String, cell: Int, display: Display) -> ExecutionResult {
        sources[cell] = code
        do {
            let value = try run(CellSource(code), cell: cell, display: display)
            if let value, case .void = value { return ExecutionResult(value: nil, error: nil) }
            return ExecutionResult(value: value?.mimeBundle, error: nil)
        } catch {
            return ExecutionResult(value: nil, error: failure(error, cell: cell))
        }
    }

    /// Evaluates one expression (Jupyter's user_expressions); no execution count.
    public func evaluate(expression: String, display: Display) -> Result<MimeBundle, KoanFailure> {
        let cell = 0
        sources[cell] = expression
        do {
            let map = SourceMap(text: expression, cell: cell)
            let file = try SwiftFront.parse(expression, map: map)
            let lowerer = Lowerer(map: map, workspace: workspace, registry: registry, cellDeclared: [:])
            guard let expr = try lowerer.lowerExpressionCell(file) else {
                throw KoanError.failure(.value, "expected a single expression", at: map.span(from: 0, to: expression.utf8.count))
            }
            let frame = Frame(slotCount: lowerer.scope.slotCount, name: "top level")
            let value = try expr.eval(runtime(display), frame)
            return .success(value.mimeBundle)
        } catch {
            return .failure(failure(error, cell: cell))
        }
    }

    /// Thread-safe: the same as `cancellation.cancel()`.
    public func interrupt() { cancellation.cancel() }

    /// Names bound in the workspace, in declaration order.
    public var workspaceNames: [String] { workspace.names }

    // MARK: Running

    func runtime(_ display: Display) -> Runtime {
        Runtime(display: display, cancellation: cancellation, registry: registry, maxDepth: maxDepth)
    }

    /// Runs the segments in order; the value of the last one is the cell's value. A cell
    /// magic on the first line (`%%time`) wraps the rest of the cell.
    func run(_ source: CellSource, cell: Int, display: Display) throws -> Value? {
        if let (line, name, body) = source.cellMagic {
            return try runCellMagic(name, line: line, body: body, cell: cell, display: display)
        }
        var declared: [String: Bool] = [:]
        var last: Value?
        for segment in source.segments {
            switch segment {
            case .swift(let text):
                // A run of comments or blank lines after a magic does not hide its value.
                let run = try runSwift(text, cell: cell, display: display, declared: &declared)
                if run.hasCode { last = run.value }
            case .magic(let line, let text):
                last = try runMagic(text, line: line, source: source, cell: cell, display: display, declared: &declared)
            }
        }
        return last
    }

    /// Parses (once), lowers and runs Swift text; returns the value of its final expression
    /// and whether the text had any statement at all (comments and blank lines do not count).
    func runSwift(_ text: String, cell: Int, display: Display,
                  declared: inout [String: Bool]) throws -> (value: Value?, hasCode: Bool) {
        let map = SourceMap(text: text, cell: cell)
        let file = try SwiftFront.parse(text, map: map)
        let lowerer = Lowerer(map: map, workspace: workspace, registry: registry, cellDeclared: declared)
        let program = try lowerer.lowerCell(file)
        declared = lowerer.cellDeclared
        let rt = runtime(display)
        let frame = Frame(slotCount: program.slotCount, name: "top level")
        for statement in program.hoisted + program.statements {
            _ = try statement.exec(rt, frame)
            // A long call that stops early on an interrupt (`fit`, `generate`) returns what it
            // has, so its binding is made; the cell still ends as interrupted.
            try rt.checkInterrupt(statement.span)
        }
        let value = try program.result?.eval(rt, frame)
        if let result = program.result { try rt.checkInterrupt(result.span) }
        return (value, !file.statements.isEmpty)
    }

    func failure(_ error: Error, cell: Int) -> KoanFailure {
        let renderer = ErrorRenderer(sources: sources)
        if let e = error as? KoanError { return renderer.failure(e) }
        if let f = error as? Fault { return renderer.failure(f.at(.unknown)) }
        return renderer.failure(.failure(.runtime, "\(error)", at: .unknown))
    }
}
