import Foundation
import XCTest
@testable import JupyterKernel

/// `iopub_welcome` (JEP 65): what the dispatcher answers to each XPUB subscription event.
final class WelcomeTests: XCTestCase {
    var client: TestClient!
    var transport: InMemoryTransport!
    var dispatcher: Dispatcher!

    override func setUpWithError() throws {
        client = try TestClient()
        transport = InMemoryTransport()
        dispatcher = Dispatcher(codec: WireCodec(signer: try Signer(key: "test-key")), backend: FakeBackend(),
                                transport: transport, log: { _ in })
    }

    func testEmptySubscriptionIsWelcomedWithoutATopic() throws {
        let frames = try XCTUnwrap(dispatcher.welcome(forSubscription: [1]))
        XCTAssertEqual(frames.first, WireCodec.delimiter, "the empty subscription gets no topic frame, as ipykernel")
        let raw = try client.codec.split(frames)  // checks the HMAC with the client's key
        XCTAssertEqual(raw.identities, [])
        XCTAssertEqual(String(decoding: raw.parentHeader, as: UTF8.self), "{}")
        let (type, parent, content) = try client.read(frames)
        XCTAssertEqual(type, "iopub_welcome")
        XCTAssertNil(parent)
        XCTAssertEqual(content, ["subscription": .string("")])
        XCTAssertTrue(transport.leftOver.isEmpty, "the transport sends it, not the dispatcher")
    }

    func testTopicSubscriptionIsWelcomedOnThatTopic() throws {
        let topic = Array("kernel.é".utf8)
        let frames = try XCTUnwrap(dispatcher.welcome(forSubscription: [1] + topic))
        XCTAssertEqual(try client.codec.split(frames).identities, [topic])
        let (type, _, content) = try client.read(frames)
        XCTAssertEqual(type, "iopub_welcome")
        XCTAssertEqual(content, ["subscription": .string("kernel.é")])
    }

    func testEverythingElseIsIgnored() {
        for event: [UInt8] in [[], [0], [0] + Array("kernel".utf8), [2, 65], [1, 0xFF, 0xFE], Array("<IDS|MSG>".utf8)] {
            XCTAssertNil(dispatcher.welcome(forSubscription: event), "\(event)")
        }
    }

    func testEachWelcomeHasItsOwnMessageID() throws {
        let a = try client.codec.split(XCTUnwrap(dispatcher.welcome(forSubscription: [1]))).header
        let b = try client.codec.split(XCTUnwrap(dispatcher.welcome(forSubscription: [1]))).header
        XCTAssertNotEqual(try JSONDecoder().decode(Header.self, from: Data(a)).msgID,
                          try JSONDecoder().decode(Header.self, from: Data(b)).msgID)
    }
}
