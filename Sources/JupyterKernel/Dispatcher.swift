import Foundation
import Synchronization

/// The kernel's protocol logic, independent of sockets: it decodes a request, publishes
/// busy/idle around it, keeps execution_count and history, calls the backend and sends
/// the reply. The public entry point does the bookkeeping; the backend only evaluates.
///
/// ```swift
/// let dispatcher = Dispatcher(codec: codec, backend: backend, transport: transport)
/// dispatcher.start()                                 // publishes status: starting
/// dispatcher.handle(frames, on: .shell)              // from the shell thread
/// ```
public final class Dispatcher: Sendable {
    public let codec: WireCodec
    public let backend: KernelBackend
    public let transport: KernelTransport
    private let log: @Sendable (String) -> Void
    private let interrupted = Atomic<Bool>(false)
    /// Contents that never change, encoded once: every request publishes busy and idle.
    private let busy = WireCodec.serialize(Status(execution_state: "busy"))
    private let idle = WireCodec.serialize(Status(execution_state: "idle"))
    private let kernelInfoBytes: [UInt8]
    /// IOPub topics are `kernel.<session>.<msg_type>`, as ipykernel's.
    private let topicPrefix: [UInt8]
    /// State touched only by requests handled on the shell thread.
    private let shellState = Mutex(ShellState())

    struct ShellState: Sendable {
        var executionCount = 0
        var history = History()
    }

    public init(codec: WireCodec, backend: KernelBackend, transport: KernelTransport,
                log: @escaping @Sendable (String) -> Void = stderrLog) {
        self.codec = codec; self.backend = backend; self.transport = transport; self.log = log
        kernelInfoBytes = WireCodec.serialize(backend.kernelInfo)
        topicPrefix = Array("kernel.\(codec.session).".utf8)
    }

    /// Publishes `status: starting` once, as ipykernel does.
    public func start() {
        publish("status", Status(execution_state: "starting"), parent: nil)
    }

    /// The `iopub_welcome` (JEP 65) answering one event read from an XPUB IOPub socket:
    /// a subscription is the byte 1 followed by the topic. The welcome has no parent, its
    /// content is `{"subscription": topic}`, and its IOPub topic is the subscription itself
    /// (none for the empty one, as ipykernel), so exactly that subscriber's filter lets it
    /// through. Unsubscriptions (byte 0), empty frames, anything else a peer may send and
    /// topics that are not UTF-8 give nil: nothing to publish.
    public func welcome(forSubscription event: [UInt8]) -> [[UInt8]]? {
        guard event.first == 1 else { return nil }
        let topic = Array(event.dropFirst())
        guard let subscription = String(validating: topic, as: UTF8.self) else { return nil }
        return codec.encode("iopub_welcome", content: IopubWelcome(subscription: subscription),
                            parentBytes: nil, identities: topic.isEmpty ? [] : [topic])
    }

    /// Stops the running cell (SIGINT or interrupt_request); also ends a wait for input.
    public func interrupt() {
        interrupted.store(true, ordering: .relaxed)
        backend.interrupt()
    }

    public var executionCount: Int { shellState.withLock { $0.executionCount } }

    /// Handles one multipart message that arrived on `channel`. Bad messages are logged and dropped.
    public func handle(_ frames: [[UInt8]], on channel: Channel) {
        let request: Request
        do {
            request = try codec.decode(frames, channel: channel)
        } catch {
            log("dropped a message on \(channel.rawValue): \(error)")
            return
        }
        handle(request)
    }

    private func handle(_ r: Request) {
        do {
            switch r.header.msgType {
            case "kernel_info_request":
                withStatus(r) { sendReply(r, "kernel_info_reply", kernelInfoBytes) }
            case "execute_request":
                let ex = try r.decode(ExecuteRequest.self)
                abortQueued(execute(r, ex))
            case "complete_request":
                let c = try r.decode(CompleteRequest.self)
                withStatus(r) { reply(r, "complete_reply", backend.complete(code: c.code, cursorPos: c.cursor_pos)) }
            case "inspect_request":
                let c = try r.decode(InspectRequest.self)
                withStatus(r) {
                    reply(r, "inspect_reply", backend.inspect(code: c.code, cursorPos: c.cursor_pos, detailLevel: c.detail_level ?? 0))
                }
            case "is_complete_request":
                let c = try r.decode(IsCompleteRequest.self)
                withStatus(r) { reply(r, "is_complete_reply", backend.isComplete(code: c.code)) }
            case "history_request":
                let h = try r.decode(HistoryRequest.self)
                withStatus(r) {
                    let entries = shellState.withLock { $0.history.answer(h) }
                    reply(r, "history_reply", HistoryReply(history: entries))
                }
            case "comm_info_request":
                withStatus(r) { reply(r, "comm_info_reply", CommInfoReply()) }
            case "comm_open":
                // Koan has no comm targets yet: close what a frontend opens.
                let c = try r.decode(CommOpen.self)
                withStatus(r) { publish("comm_close", CommClose(comm_id: c.comm_id), parent: r) }
            case "comm_msg", "comm_close":
                withStatus(r) {}
            case "interrupt_request":
                withStatus(r) {
                    interrupt()
                    reply(r, "interrupt_reply", StatusOnly())
                }
            case "shutdown_request":
                let s = try r.decode(ShutdownRequest.self)
                withStatus(r) {
                    let content = ShutdownReply(restart: s.restart ?? false)
                    reply(r, "shutdown_reply", content)
                    publish("shutdown_reply", content, parent: r)
                }
                interrupt()
                transport.stop()
            default:
                log("dropped a message of unknown type '\(r.header.msgType)' on \(r.channel.rawValue)")
            }
        } catch {
            log("dropped a malformed \(r.header.msgType) on \(r.channel.rawValue): \(error)")
        }
    }

    // MARK: - execute

    /// Runs one execute_request. When it fails with stop_on_error, returns the shell
    /// requests that were already queued, taken *before* the error reply goes out, so a
    /// request sent in answer to that reply is never aborted by mistake.
    private func execute(_ r: Request, _ ex: ExecuteRequest) -> [[[UInt8]]] {
        interrupted.store(false, ordering: .relaxed)
        return withStatus(r) { run(r, ex) }
    }

    private func run(_ r: Request, _ ex: ExecuteRequest) -> [[[UInt8]]] {
        let count = shellState.withLock { s -> Int in
            if !ex.silent && ex.storeHistory {
                s.executionCount += 1
                s.history.record(line: s.executionCount, input: ex.code)
            }
            return s.executionCount
        }
        if !ex.silent {
            publish("execute_input", ExecuteInput(code: ex.code, execution_count: count), parent: r)
        }
        let io = RequestIO(dispatcher: self, request: r, allowStdin: ex.allowStdin)
        let outcome = backend.execute(code: ex.code, executionCount: count,
                                      userExpressions: ex.userExpressions, io: io)
        switch outcome {
        case .ok(let result, let userExpressions, let payload):
            if let result, !ex.silent {
                publish("execute_result", ExecuteResult(execution_count: count, data: result, metadata: [:]), parent: r)
                if ex.storeHistory, let text = result["text/plain"]?.stringValue {
                    shellState.withLock { $0.history.setOutput(line: count, text) }
                }
            }
            reply(r, "execute_reply", ExecuteReply(status: "ok", executionCount: count,
                                                   userExpressions: userExpressions, payload: payload))
            return []
        case .error(let ename, let evalue, let traceback):
            publish("error", ErrorContent(ename: ename, evalue: evalue, traceback: traceback), parent: r)
            let queued = ex.stopOnError ? transport.pendingShellRequests() : []
            reply(r, "execute_reply", ExecuteReply(status: "error", executionCount: count, userExpressions: [:],
                                                   payload: [], ename: ename, evalue: evalue, traceback: traceback))
            return queued
        }
    }

    /// After a failed execute with stop_on_error, answers the executes that were queued
    /// as aborted (ipykernel does the same) and handles anything else normally.
    private func abortQueued(_ queued: [[[UInt8]]]) {
        for frames in queued {
            guard let r = try? codec.decode(frames, channel: .shell) else {
                log("dropped a bad message while aborting the shell queue")
                continue
            }
            if r.header.msgType == "execute_request" {
                withStatus(r) {
                    let n = executionCount
                    reply(r, "execute_reply", ExecuteReply(status: "aborted", executionCount: n))
                }
            } else {
                handle(r)
            }
        }
    }

    // MARK: - sending

    private func withStatus<T>(_ r: Request, _ body: () -> T) -> T {
        publishBytes("status", busy, parent: r)
        defer { publishBytes("status", idle, parent: r) }
        return body()
    }

    func reply<C: Encodable>(_ r: Request, _ msgType: String, _ content: C) {
        sendReply(r, msgType, WireCodec.serialize(content))
    }

    private func sendReply(_ r: Request, _ msgType: String, _ content: [UInt8]) {
        transport.send(codec.encode(msgType, contentBytes: content, parentBytes: r.rawHeader, identities: r.identities), on: r.channel)
    }

    func publish<C: Encodable>(_ msgType: String, _ content: C, parent: Request?) {
        publishBytes(msgType, WireCodec.serialize(content), parent: parent)
    }

    private func publishBytes(_ msgType: String, _ content: [UInt8], parent: Request?) {
        let topic = topicPrefix + Array(msgType.utf8)
        transport.send(codec.encode(msgType, contentBytes: content, parentBytes: parent?.rawHeader, identities: [topic]), on: .iopub)
    }

    // MARK: - stdin

    /// Sends input_request on stdin and waits for the matching input_reply.
    func requestInput(for r: Request, prompt: String, password: Bool) throws -> String {
        transport.send(codec.encode("input_request", content: InputRequest(prompt: prompt, password: password),
                                    parentBytes: r.rawHeader, identities: r.identities), on: .stdin)
        while true {
            if interrupted.load(ordering: .relaxed) { throw InputError.interrupted }
            guard let frames = transport.receive(on: .stdin, timeoutMilliseconds: 100) else { continue }
            do {
                let answer = try codec.decode(frames, channel: .stdin)
                guard answer.header.msgType == "input_reply" else {
                    log("ignored a \(answer.header.msgType) on stdin while waiting for input_reply")
                    continue
                }
                return try answer.decode(InputReply.self).value
            } catch {
                log("dropped a message on stdin: \(error)")
            }
        }
    }
}

/// The `ExecutionIO` of one execute_request: everything it publishes has the request as parent.
final class RequestIO: ExecutionIO {
    let dispatcher: Dispatcher
    let request: Request
    let allowStdin: Bool

    init(dispatcher: Dispatcher, request: Request, allowStdin: Bool) {
        self.dispatcher = dispatcher; self.request = request; self.allowStdin = allowStdin
    }

    func stream(_ name: String, _ text: String) {
        dispatcher.publish("stream", StreamContent(name: name, text: text), parent: request)
    }

    func display(data: JSONObject, metadata: JSONObject, displayID: String?, update: Bool) {
        let transient: JSONObject? = displayID.map { ["display_id": .string($0)] }
        dispatcher.publish(update ? "update_display_data" : "display_data",
                           DisplayData(data: data, metadata: metadata, transient: transient), parent: request)
    }

    func clearOutput(wait: Bool) {
        dispatcher.publish("clear_output", ClearOutput(wait: wait), parent: request)
    }

    func input(prompt: String, password: Bool) throws -> String {
        guard allowStdin else { throw InputError.stdinNotAllowed }
        return try dispatcher.requestInput(for: request, prompt: prompt, password: password)
    }
}
