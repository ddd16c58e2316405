import Synchronization

// The public surface that frontends (Jupyter kernel, `koan repl`, `koan run`) use.
// KoanLang never imports JupyterKernel: it speaks in MIME bundles and a `Display`.

/// Where printed text goes.
public enum OutputStream: Sendable, Equatable {
    case stdout, stderr
}

/// One representation of a value for one MIME type.
public enum MimeData: Sendable, Equatable {
    /// Plain text (text/plain, text/html, text/markdown, image/svg+xml, base64 image/png, ...).
    case text(String)
    /// Serialized JSON text (application/json, application/vnd.vegalite.v5+json, ...).
    case json(String)
}

/// A value shown richly: MIME type → representation. `text/plain` is always present.
public struct MimeBundle: Sendable, Equatable {
    public var data: [String: MimeData]
    public init(_ data: [String: MimeData]) { self.data = data }
    public init(plain: String) { self.data = ["text/plain": .text(plain)] }
    public var plainText: String {
        if case .text(let s)? = data["text/plain"] { return s }
        return ""
    }
}

/// What a running cell talks to. Implemented by each frontend.
public protocol Display: AnyObject {
    /// Printed text, in order.
    func write(_ text: String, to stream: OutputStream)
    /// Show a bundle; with `displayID`, a later `update: true` call replaces it in place.
    func show(_ bundle: MimeBundle, displayID: String?, update: Bool)
    /// Clear the cell's output (`wait`: just before the next output arrives).
    func clearOutput(wait: Bool)
    /// Read a line from the user (`readLine()`); throws when the frontend has no stdin.
    func readLine(prompt: String, password: Bool) throws -> String
    /// Show help text in the frontend's pager (`%help`): Jupyter's `page` payload, as
    /// IPython's `?`. Frontends without a pager print it (the default).
    func page(_ bundle: MimeBundle)
}

extension Display {
    public func page(_ bundle: MimeBundle) { write(bundle.plainText + "\n", to: .stdout) }
}

/// A cooperative cancellation flag: set from any thread (SIGINT, interrupt_request),
/// checked by the evaluator in every loop and call.
public final class Cancellation: Sendable {
    private let flag = Atomic<Bool>(false)
    public init() {}
    public func cancel() { flag.store(true, ordering: .relaxed) }
    public func reset() { flag.store(false, ordering: .relaxed) }
    public var isCancelled: Bool { flag.load(ordering: .relaxed) }
}

/// A failed cell: the Jupyter error triple plus the compiler-style rendering.
public struct KoanFailure: Error, Sendable, Equatable {
    /// A short type name: "ParseError", "TypeError", "NameError", "RuntimeError", "Interrupted", ...
    public var ename: String
    /// The one-line message (for an interrupt: "interrupted").
    public var evalue: String
    /// The full text as printed: `error: ...`, ` --> cell[N]:line:col`, source line, caret, traceback.
    public var rendered: String
    public init(ename: String, evalue: String, rendered: String) {
        self.ename = ename; self.evalue = evalue; self.rendered = rendered
    }
    /// The rendering as Jupyter's `traceback`: one string a line.
    public var tracebackLines: [String] { rendered.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) }
}

/// The outcome of one cell.
public struct ExecutionResult: Sendable {
    /// The rich form of the last expression's value; nil when the cell ends in a statement or Void.
    public var value: MimeBundle?
    public var error: KoanFailure?
    public init(value: MimeBundle?, error: KoanFailure?) { self.value = value; self.error = error }
}

/// Completion candidates replacing the code between `start` and `end` (Unicode scalar offsets).
public struct Completions: Sendable, Equatable {
    public var matches: [String]
    public var start: Int
    public var end: Int
    public init(matches: [String], start: Int, end: Int) {
        self.matches = matches; self.start = start; self.end = end
    }
}

/// Whether a cell is ready to run (used by is_complete_request and `koan repl`).
public enum Completeness: Sendable, Equatable {
    case complete
    case incomplete(indent: String)
    case invalid
}

/// `text` as a Koan (Swift) string literal, quoted and escaped: `say "hi"` → `"say \"hi\""`.
public func stringLiteral(_ text: String) -> String { Value.quoted(text) }
