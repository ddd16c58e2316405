// TEMPORARY wiring stand-in until the real interpreter lands. Not to be committed.
public final class Interpreter: @unchecked Sendable {
    public let cancellation = Cancellation()
    public init() {}
    public func execute(_ code: String, cell: Int, display: Display) -> ExecutionResult {
        if code.hasPrefix("print(") { display.write(String(code.dropFirst(7).dropLast(2)) + "\n", to: .stdout); return ExecutionResult(value: nil, error: nil) }
        if code.hasPrefix("readLine") { do { let s = try display.readLine(prompt: "?", password: false); return ExecutionResult(value: MimeBundle(plain: s), error: nil) } catch { return ExecutionResult(value: nil, error: KoanFailure(ename: "StdinError", evalue: "\(error)", rendered: "error: \(error)")) } }
        if code.hasPrefix("while") { while !cancellation.isCancelled {} ; return ExecutionResult(value: nil, error: KoanFailure(ename: "Interrupted", evalue: "interrupted", rendered: "error: interrupted")) }
        if code == "1+1" || code == "1 + 1" { return ExecutionResult(value: MimeBundle(plain: "2"), error: nil) }
        return ExecutionResult(value: nil, error: KoanFailure(ename: "NameError", evalue: "no", rendered: "error: no\n --> cell[\(cell)]:1:1"))
    }
    public func evaluate(expression: String, display: Display) -> Result<MimeBundle, KoanFailure> { .success(MimeBundle(plain: expression)) }
    public func complete(_ code: String, cursor: Int) -> Completions { Completions(matches: ["print"], start: 0, end: cursor) }
    public func inspect(_ code: String, cursor: Int, detailLevel: Int) -> MimeBundle? { nil }
    public func completeness(of code: String) -> Completeness { code.hasSuffix("{") ? .incomplete(indent: "    ") : .complete }
    public func interrupt() { cancellation.cancel() }
    public var workspaceNames: [String] { [] }
}
