
/// The kinds of failure a cell can have; the raw value is the Jupyter `ename`.
package enum ErrorKind: String, Sendable {
    case parse = "ParseError"
    case unsupported = "UnsupportedError"
    case type = "TypeError"
    case name = "NameError"
    case index = "IndexError"
    case key = "KeyError"
    case value = "ValueError"
    case zeroDivision = "ZeroDivisionError"
    case overflow = "OverflowError"
    case recursion = "RecursionError"
    case assertion = "AssertionError"
    case stdin = "StdinError"
    case interrupted = "Interrupted"
    case runtime = "RuntimeError"
    case shape = "ShapeError"
    case dtype = "DTypeError"
    case memory = "MemoryError"
    case io = "IOError"
}

/// One diagnostic from swift-syntax's parser.
struct ParseDiagnostic: Equatable, Sendable {
    var message: String
    var span: Span
}

/// One user frame of a traceback: where that frame was executing, and its name.
struct TraceEntry: Equatable, Sendable {
    var span: Span
    var function: String
}

/// Every user-visible failure: data only; `ErrorRenderer` turns it into text.
///
/// ```swift
/// throw KoanError.failure(.name, "use of unresolved identifier 'x'", at: span)
/// ```
enum KoanError: Error, Equatable {
    /// All diagnostics of a cell that does not parse.
    case parse([ParseDiagnostic])
    /// A failure at one source range (unsupported construct, type error, runtime error, ...).
    case failure(ErrorKind, String, at: Span)
    /// A failure raised inside user functions, with the user frames, outermost first.
    indirect case traced(KoanError, [TraceEntry])

    var kind: ErrorKind {
        switch self {
        case .parse: return .parse
        case .failure(let k, _, _): return k
        case .traced(let e, _): return e.kind
        }
    }

    var message: String {
        switch self {
        case .parse(let ds): return ds.first?.message ?? "invalid syntax"
        case .failure(_, let m, _): return m
        case .traced(let e, _): return e.message
        }
    }

    var span: Span {
        switch self {
        case .parse(let ds): return ds.first?.span ?? .unknown
        case .failure(_, _, let s): return s
        case .traced(let e, _): return e.span
        }
    }

    var trace: [TraceEntry] {
        if case .traced(_, let t) = self { return t }
        return []
    }

    /// Adds the caller's frame as the error leaves a user function named `function`,
    /// called at `callSite` from a frame named `caller`.
    func leaving(function: String, calledAt callSite: Span, from caller: String) -> KoanError {
        switch self {
        case .traced(let e, let t):
            return .traced(e, [TraceEntry(span: callSite, function: caller)] + t)
        case .parse:
            return self
        case .failure(_, _, let span):
            return .traced(self, [TraceEntry(span: callSite, function: caller),
                                  TraceEntry(span: span, function: function)])
        }
    }

    static func interrupted(at span: Span) -> KoanError { .failure(.interrupted, "interrupted", at: span) }
}

/// A failure that does not know its position yet (thrown by value operations and
/// builtins); the evaluator node that called them adds its span.
package struct Fault: Error {
    package var kind: ErrorKind
    var message: String
    package init(_ kind: ErrorKind, _ message: String) { self.kind = kind; self.message = message }
    func at(_ span: Span) -> KoanError { .failure(kind, message, at: span) }
}

extension Error {
    /// This error as a positioned `KoanError`, using `span` when it carries none.
    func positioned(_ span: Span) -> KoanError {
        if let e = self as? KoanError { return e }
        if let f = self as? Fault { return f.at(span) }
        if let k = self as? any KindedError { return .failure(k.errorKind, k.description, at: span) }
        return .failure(.runtime, "\(self)", at: span)
    }
}
