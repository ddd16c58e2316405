import Foundation
@testable import JupyterKernel

/// A client's view of the wire, for building requests and reading replies in tests.
struct TestClient {
    let codec: WireCodec
    let identity: [UInt8] = Array("client-1".utf8)

    init(key: String = "test-key") throws {
        codec = WireCodec(signer: try Signer(key: key), session: "client-session", username: "tester")
    }

    func request(_ msgType: String, _ content: JSONObject) -> [[UInt8]] {
        codec.encode(msgType, content: content, parent: nil, identities: [identity])
    }

    /// Decodes what the kernel sent: (msg_type, parent msg_id, content).
    func read(_ frames: [[UInt8]]) throws -> (type: String, parent: String?, content: JSONObject) {
        let raw = try codec.split(frames)
        let header = try JSONDecoder().decode(Header.self, from: Data(raw.header))
        let parent = try? JSONDecoder().decode(Header.self, from: Data(raw.parentHeader))
        guard case .object(let content) = try JSONDecoder().decode(JSONValue.self, from: Data(raw.content)) else {
            throw CocoaError(.coderInvalidValue)
        }
        return (header.msgType, parent?.msgID, content)
    }
}

/// A backend whose behaviour each test sets.
final class FakeBackend: KernelBackend, @unchecked Sendable {
    var kernelInfo = KernelInfo(implementation: "fake", implementationVersion: "1",
                                languageInfo: LanguageInfo(name: "fake", version: "1", mimetype: "text/x-fake",
                                                           fileExtension: ".fake", pygmentsLexer: "text", codemirrorMode: "text"),
                                banner: "fake", helpLinks: [])
    var executed: [(String, Int)] = []
    var interrupts = 0
    var onExecute: (String, ExecutionIO) -> ExecuteOutcome = { _, _ in .ok(result: nil, userExpressions: [:]) }

    func execute(code: String, executionCount: Int, userExpressions: [String: String], io: ExecutionIO) -> ExecuteOutcome {
        executed.append((code, executionCount))
        return onExecute(code, io)
    }
    func complete(code: String, cursorPos: Int) -> CompleteReply { CompleteReply(matches: ["print"], cursorStart: 0, cursorEnd: cursorPos) }
    func inspect(code: String, cursorPos: Int, detailLevel: Int) -> InspectReply { InspectReply(found: true, data: ["text/plain": .string("doc")]) }
    func isComplete(code: String) -> IsCompleteReply { IsCompleteReply(status: code.hasSuffix("{") ? "incomplete" : "complete", indent: code.hasSuffix("{") ? "    " : nil) }
    func interrupt() { interrupts += 1 }
}
