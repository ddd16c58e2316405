import Foundation

/// What a language plugs into the kernel. The dispatcher does the protocol bookkeeping
/// (busy/idle, execution_count, execute_input, history, replies); the backend only
/// evaluates. Backends never see ZeroMQ or message envelopes.
public protocol KernelBackend: AnyObject, Sendable {
    var kernelInfo: KernelInfo { get }
    /// Run a cell. Output goes to `io` while it runs; the outcome says how it ended.
    func execute(code: String, executionCount: Int, userExpressions: [String: String], io: ExecutionIO) -> ExecuteOutcome
    func complete(code: String, cursorPos: Int) -> CompleteReply
    func inspect(code: String, cursorPos: Int, detailLevel: Int) -> InspectReply
    func isComplete(code: String) -> IsCompleteReply
    /// Called from another thread (control channel, SIGINT): stop the running cell soon.
    func interrupt()
}

/// Where the kernel logs what it drops or refuses: stderr, prefixed, one line each
/// (Jupyter servers show a kernel's stderr in their log).
public let stderrLog: @Sendable (String) -> Void = { FileHandle.standardError.write(Data(("koan: " + $0 + "\n").utf8)) }

/// How a cell ended.
public enum ExecuteOutcome: Sendable {
    /// `result` is the MIME bundle of the last expression (published as execute_result);
    /// `userExpressions` has one result object per requested name; `payload` goes into
    /// the reply as ipykernel's payloads do (e.g. `{"source": "page", "data": {...}, "start": 0}`).
    case ok(result: JSONObject?, userExpressions: JSONObject, payload: [JSONValue] = [])
    case error(ename: String, evalue: String, traceback: [String])
}

/// Errors an `ExecutionIO` can throw back into a running cell.
public enum InputError: Error, Equatable, CustomStringConvertible {
    /// The request said `allow_stdin: false` (or the frontend has no stdin).
    case stdinNotAllowed
    /// The wait for `input_reply` was interrupted.
    case interrupted
    public var description: String {
        switch self {
        case .stdinNotAllowed: return "stdin is not available: this frontend does not support input requests"
        case .interrupted: return "interrupted while waiting for input"
        }
    }
}

/// The running cell's view of its request: publish output on IOPub, ask for input on stdin.
public protocol ExecutionIO: AnyObject {
    func stream(_ name: String, _ text: String)
    func display(data: JSONObject, metadata: JSONObject, displayID: String?, update: Bool)
    func clearOutput(wait: Bool)
    /// Sends input_request on stdin and waits for input_reply; throws `InputError`.
    func input(prompt: String, password: Bool) throws -> String
}
