import Foundation
import XCTest
@testable import JupyterKernel

final class DispatcherTests: XCTestCase {
    var client: TestClient!
    var backend: FakeBackend!
    var transport: InMemoryTransport!
    var dispatcher: Dispatcher!
    var logged: LogSink!

    override func setUpWithError() throws {
        client = try TestClient()
        backend = FakeBackend()
        transport = InMemoryTransport()
        logged = LogSink()
        let sink = logged!
        dispatcher = Dispatcher(codec: WireCodec(signer: try Signer(key: "test-key")), backend: backend,
                                transport: transport, log: { sink.append($0) })
    }

    private func iopub() throws -> [(type: String, parent: String?, content: JSONObject)] {
        try transport.drain(.iopub).map { try client.read($0) }
    }

    private func replies(_ channel: Channel = .shell) throws -> [(type: String, parent: String?, content: JSONObject)] {
        try transport.drain(channel).map { try client.read($0) }
    }

    private func execute(_ code: String, _ extra: JSONObject = [:]) -> [[UInt8]] {
        var content: JSONObject = ["code": .string(code), "silent": .bool(false), "store_history": .bool(true),
                                   "user_expressions": .object([:]), "allow_stdin": .bool(false), "stop_on_error": .bool(true)]
        for (k, v) in extra { content[k] = v }
        return client.request("execute_request", content)
    }

    func testStartingStatus() throws {
        dispatcher.start()
        let out = try iopub()
        XCTAssertEqual(out.map(\.type), ["status"])
        XCTAssertEqual(out[0].content["execution_state"], .string("starting"))
    }

    func testKernelInfoIsWrappedInBusyIdle() throws {
        let req = client.request("kernel_info_request", [:])
        dispatcher.handle(req, on: .control)
        let reply = try replies(.control)
        XCTAssertEqual(reply.map(\.type), ["kernel_info_reply"])
        XCTAssertEqual(reply[0].content["implementation"], .string("fake"))
        XCTAssertEqual(reply[0].content["protocol_version"], .string("5.3"))
        let out = try iopub()
        XCTAssertEqual(out.map { $0.content["execution_state"] }, [.string("busy"), .string("idle")])
        let requestID = try client.codec.split(req).header
        let parentID = try JSONDecoder().decode(Header.self, from: Data(requestID)).msgID
        XCTAssertTrue(out.allSatisfy { $0.parent == parentID })
    }

    func testExecuteOrderAndCount() throws {
        backend.onExecute = { _, io in
            io.stream("stdout", "hi\n")
            return .ok(result: ["text/plain": .string("2")], userExpressions: [:])
        }
        dispatcher.handle(execute("1+1"), on: .shell)
        XCTAssertEqual(try iopub().map(\.type), ["status", "execute_input", "stream", "execute_result", "status"])
        let r = try replies()
        XCTAssertEqual(r[0].content["status"], .string("ok"))
        XCTAssertEqual(r[0].content["execution_count"], .int(1))
        XCTAssertEqual(r[0].content["payload"], .array([]))
        dispatcher.handle(execute("2"), on: .shell)
        XCTAssertEqual(try replies()[0].content["execution_count"], .int(2))
        XCTAssertEqual(backend.executed.map(\.1), [1, 2])
    }

    func testPayloadGoesIntoTheReply() throws {
        let page: JSONValue = .object(["source": .string("page"), "data": .object(["text/plain": .string("help")]), "start": .int(0)])
        backend.onExecute = { _, _ in .ok(result: nil, userExpressions: [:], payload: [page]) }
        dispatcher.handle(execute("%help print"), on: .shell)
        XCTAssertEqual(try replies()[0].content["payload"], .array([page]))
    }

    func testSilentAndNoHistoryDoNotCount() throws {
        backend.onExecute = { _, _ in .ok(result: ["text/plain": .string("x")], userExpressions: [:]) }
        dispatcher.handle(execute("a", ["silent": .bool(true)]), on: .shell)
        XCTAssertEqual(try iopub().map(\.type), ["status", "status"])
        XCTAssertEqual(try replies()[0].content["execution_count"], .int(0))
        dispatcher.handle(execute("b", ["store_history": .bool(false)]), on: .shell)
        XCTAssertEqual(try replies()[0].content["execution_count"], .int(0))
        dispatcher.handle(execute("c"), on: .shell)
        XCTAssertEqual(try replies()[0].content["execution_count"], .int(1))
    }

    func testErrorPublishesAndAbortsQueuedExecutes() throws {
        backend.onExecute = { code, _ in
            code == "bad" ? .error(ename: "NameError", evalue: "no x", traceback: ["error: no x"]) : .ok(result: nil, userExpressions: [:])
        }
        transport.queueShell(execute("queued"))
        transport.queueShell(client.request("kernel_info_request", [:]))
        dispatcher.handle(execute("bad"), on: .shell)
        let r = try replies()
        XCTAssertEqual(r.map(\.type), ["execute_reply", "execute_reply", "kernel_info_reply"])
        XCTAssertEqual(r[0].content["status"], .string("error"))
        XCTAssertEqual(r[0].content["ename"], .string("NameError"))
        XCTAssertEqual(r[0].content["traceback"], .array([.string("error: no x")]))
        XCTAssertEqual(r[1].content["status"], .string("aborted"))
        XCTAssertEqual(backend.executed.map(\.0), ["bad"], "the queued execute must not run")
        let out = try iopub().map(\.type)
        XCTAssertTrue(out.contains("error"))
    }

    func testRequestSentAfterTheErrorReplyIsNotAborted() throws {
        backend.onExecute = { code, _ in
            code == "bad" ? .error(ename: "E", evalue: "v", traceback: []) : .ok(result: nil, userExpressions: [:])
        }
        let transport = self.transport!, next = execute("next")
        // A client that sends its next cell as soon as it sees the error reply.
        transport.onSend = { channel, _ in
            if channel == .shell { transport.onSend = nil; transport.queueShell(next) }
        }
        dispatcher.handle(execute("bad"), on: .shell)
        XCTAssertEqual(try replies().map { $0.content["status"] }, [.string("error")])
        let waiting = transport.pendingShellRequests()
        XCTAssertEqual(waiting.count, 1, "the later request is left for the shell loop, not aborted")
        dispatcher.handle(waiting[0], on: .shell)
        XCTAssertEqual(try replies().map { $0.content["status"] }, [.string("ok")])
    }

    func testStopOnErrorFalseRunsQueued() throws {
        backend.onExecute = { _, _ in .error(ename: "E", evalue: "v", traceback: []) }
        transport.queueShell(execute("next"))
        dispatcher.handle(execute("bad", ["stop_on_error": .bool(false)]), on: .shell)
        XCTAssertEqual(try replies().count, 1)
        XCTAssertEqual(transport.pendingShellRequests().count, 1, "queued work stays queued")
    }

    func testInputRoundTripAndRefusal() throws {
        let client = self.client!, transport = self.transport!
        transport.onSend = { channel, frames in
            guard channel == .stdin else { return }
            transport.queueStdin(client.codec.encode("input_reply", content: ["value": JSONValue.string("Ada")],
                                                     parent: nil, identities: [client.identity]))
            _ = frames
        }
        var got: String?
        backend.onExecute = { _, io in
            got = try? io.input(prompt: "name? ", password: false)
            return .ok(result: nil, userExpressions: [:])
        }
        dispatcher.handle(execute("readLine()", ["allow_stdin": .bool(true)]), on: .shell)
        XCTAssertEqual(got, "Ada")
        let asked = try replies(.stdin)
        XCTAssertEqual(asked.map(\.type), ["input_request"])
        XCTAssertEqual(asked[0].content["prompt"], .string("name? "))

        var refusal: Error?
        backend.onExecute = { _, io in
            do { _ = try io.input(prompt: "", password: false) } catch { refusal = error }
            return .ok(result: nil, userExpressions: [:])
        }
        dispatcher.handle(execute("readLine()"), on: .shell)
        XCTAssertEqual(refusal as? InputError, .stdinNotAllowed)
    }

    func testInterruptEndsAWaitForInput() throws {
        let dispatcher = self.dispatcher!
        var outcome: Error?
        backend.onExecute = { _, io in
            dispatcher.interrupt()
            do { _ = try io.input(prompt: "", password: false) } catch { outcome = error }
            return .ok(result: nil, userExpressions: [:])
        }
        dispatcher.handle(execute("readLine()", ["allow_stdin": .bool(true)]), on: .shell)
        XCTAssertEqual(outcome as? InputError, .interrupted)
    }

    func testInterruptRequest() throws {
        dispatcher.handle(client.request("interrupt_request", [:]), on: .control)
        XCTAssertEqual(backend.interrupts, 1)
        XCTAssertEqual(try replies(.control).map(\.type), ["interrupt_reply"])
    }

    func testHistory() throws {
        for code in ["let a = 1", "print(a)", "a + 1"] { dispatcher.handle(execute(code), on: .shell) }
        _ = transport.drain(.shell)
        dispatcher.handle(client.request("history_request", ["hist_access_type": .string("tail"), "n": .int(2),
                                                             "output": .bool(false), "raw": .bool(true)]), on: .shell)
        XCTAssertEqual(try replies()[0].content["history"],
                       .array([.array([.int(1), .int(2), .string("print(a)")]), .array([.int(1), .int(3), .string("a + 1")])]))
        dispatcher.handle(client.request("history_request", ["hist_access_type": .string("search"), "pattern": .string("*a =*"),
                                                             "output": .bool(false), "raw": .bool(true)]), on: .shell)
        XCTAssertEqual(try replies()[0].content["history"], .array([.array([.int(1), .int(1), .string("let a = 1")])]))
        dispatcher.handle(client.request("history_request", ["hist_access_type": .string("range"), "session": .int(0),
                                                             "start": .int(2), "stop": .int(3), "output": .bool(false), "raw": .bool(true)]), on: .shell)
        XCTAssertEqual(try replies()[0].content["history"], .array([.array([.int(1), .int(2), .string("print(a)")])]))
    }

    func testCommOpenUnknownTargetIsClosed() throws {
        dispatcher.handle(client.request("comm_open", ["comm_id": .string("c1"), "target_name": .string("nope"), "data": .object([:])]), on: .shell)
        let out = try iopub()
        XCTAssertEqual(out.map(\.type), ["status", "comm_close", "status"])
        XCTAssertEqual(out[1].content["comm_id"], .string("c1"))
        dispatcher.handle(client.request("comm_info_request", [:]), on: .shell)
        XCTAssertEqual(try replies()[0].content["comms"], .object([:]))
    }

    func testBadMessagesAreDroppedAndLogged() throws {
        let stranger = try TestClient(key: "wrong")
        dispatcher.handle(stranger.request("kernel_info_request", [:]), on: .shell)
        dispatcher.handle([Array("garbage".utf8)], on: .shell)
        dispatcher.handle(client.request("no_such_request", [:]), on: .shell)
        dispatcher.handle(client.request("execute_request", ["silent": .bool(true)]), on: .shell)  // no code
        XCTAssertEqual(transport.leftOver, [:], "nothing may be sent for a dropped message")
        XCTAssertEqual(logged.lines.count, 4)
        XCTAssertTrue(logged.lines[0].contains("invalid HMAC signature"), logged.lines[0])
        XCTAssertTrue(logged.lines[2].contains("unknown type 'no_such_request'"), logged.lines[2])
        // Still alive afterwards.
        dispatcher.handle(client.request("kernel_info_request", [:]), on: .shell)
        XCTAssertEqual(try replies().map(\.type), ["kernel_info_reply"])
    }

    func testShutdownRepliesThenStops() throws {
        dispatcher.handle(client.request("shutdown_request", ["restart": .bool(true)]), on: .control)
        let r = try replies(.control)
        XCTAssertEqual(r.map(\.type), ["shutdown_reply"])
        XCTAssertEqual(r[0].content["restart"], .bool(true))
        XCTAssertTrue(transport.stopped)
        XCTAssertTrue(try iopub().map(\.type).contains("shutdown_reply"))
    }

    func testCompleteInspectIsComplete() throws {
        dispatcher.handle(client.request("complete_request", ["code": .string("pri"), "cursor_pos": .int(3)]), on: .shell)
        let c = try replies()[0].content
        XCTAssertEqual(c["matches"], .array([.string("print")]))
        XCTAssertEqual(c["cursor_end"], .int(3))
        dispatcher.handle(client.request("is_complete_request", ["code": .string("func f() {")]), on: .shell)
        let ic = try replies()[0].content
        XCTAssertEqual(ic["status"], .string("incomplete"))
        XCTAssertEqual(ic["indent"], .string("    "))
        dispatcher.handle(client.request("inspect_request", ["code": .string("print"), "cursor_pos": .int(5), "detail_level": .int(0)]), on: .shell)
        XCTAssertEqual(try replies()[0].content["found"], .bool(true))
    }
}

final class LogSink: @unchecked Sendable {
    private let lock = NSLock()
    private var _lines: [String] = []
    func append(_ s: String) { lock.lock(); _lines.append(s); lock.unlock() }
    var lines: [String] { lock.lock(); defer { lock.unlock() }; return _lines }
}
