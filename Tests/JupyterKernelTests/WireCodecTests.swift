import Foundation
import XCTest
@testable import JupyterKernel

final class WireCodecTests: XCTestCase {
    func testRoundTripKeepsIdentitiesAndBuffers() throws {
        let client = try TestClient()
        var frames = client.request("execute_request", ["code": .string("1+1")])
        frames.append(Array("buffer".utf8))
        let kernel = WireCodec(signer: try Signer(key: "test-key"))
        let raw = try kernel.split(frames)
        XCTAssertEqual(raw.identities, [client.identity])
        XCTAssertEqual(raw.buffers, [Array("buffer".utf8)])
        let request = try kernel.decode(frames, channel: .shell)
        XCTAssertEqual(request.header.msgType, "execute_request")
        XCTAssertEqual(request.header.session, "client-session")
        XCTAssertEqual(try request.decode(ExecuteRequest.self).code, "1+1")
    }

    func testRejectsBadSignatureBeforeParsing() throws {
        let client = try TestClient(key: "other-key")
        let kernel = WireCodec(signer: try Signer(key: "test-key"))
        XCTAssertThrowsError(try kernel.split(client.request("kernel_info_request", [:]))) {
            XCTAssertEqual($0 as? WireCodec.DecodeError, .badSignature)
        }
        // Garbage JSON with a bad signature is rejected for the signature, never parsed.
        let garbage: [[UInt8]] = [WireCodec.delimiter, Array("00".utf8), [0xff, 0xfe], [], [], []]
        XCTAssertThrowsError(try kernel.decode(garbage, channel: .shell)) {
            XCTAssertEqual($0 as? WireCodec.DecodeError, .badSignature)
        }
    }

    func testRejectsMissingDelimiterAndFrames() throws {
        let kernel = WireCodec(signer: try Signer(key: ""))
        XCTAssertThrowsError(try kernel.split([Array("a".utf8), Array("b".utf8)])) {
            XCTAssertEqual($0 as? WireCodec.DecodeError, .missingDelimiter)
        }
        XCTAssertThrowsError(try kernel.split([WireCodec.delimiter, [], Array("{}".utf8)])) {
            XCTAssertEqual($0 as? WireCodec.DecodeError, .missingFrames(2))
        }
    }

    func testMalformedHeaderWithValidSignature() throws {
        let signer = try Signer(key: "k")
        let body: [[UInt8]] = [Array("not json".utf8), Array("{}".utf8), Array("{}".utf8), Array("{}".utf8)]
        let frames = [WireCodec.delimiter, Array(signer.sign(body).utf8)] + body
        let kernel = WireCodec(signer: signer)
        XCTAssertThrowsError(try kernel.decode(frames, channel: .shell)) { error in
            guard case .malformedHeader = error as? WireCodec.DecodeError else { return XCTFail("\(error)") }
        }
    }

    func testHeaderFieldsAndDate() throws {
        let codec = WireCodec(signer: try Signer(key: ""), session: "s")
        let h = codec.header("status")
        XCTAssertEqual(h.version, "5.3")
        XCTAssertEqual(h.session, "s")
        XCTAssertNotEqual(h.msgID, codec.header("status").msgID)
        // 2026-11-23T11:17:54.123456Z
        XCTAssertNotNil(h.date.range(of: #"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$"#, options: .regularExpression), h.date)
    }

    func testHandWrittenHeaderIsTheCodableHeader() throws {
        let h = Header(msgID: "a\"b\\c", session: "s\u{1}\n", username: "ü", date: "2026-01-01T00:00:00.000000Z", msgType: "status")
        let decoded = try JSONDecoder().decode(Header.self, from: Data(WireCodec.serialize(h)))
        XCTAssertEqual(decoded, h)
    }

    func testConnectionFileEndpoints() throws {
        let json = #"{"shell_port": 1, "iopub_port": 2, "stdin_port": 3, "control_port": 4, "hb_port": 5, "ip": "127.0.0.1", "key": "k", "transport": "tcp", "signature_scheme": "hmac-sha256"}"#
        let info = try JSONDecoder().decode(ConnectionInfo.self, from: Data(json.utf8))
        XCTAssertEqual(info.endpoint(port: info.shellPort), "tcp://127.0.0.1:1")
        var ipc = info
        ipc.transport = "ipc"; ipc.ip = "/tmp/kernel"
        XCTAssertEqual(ipc.endpoint(port: 5), "ipc:///tmp/kernel-5")
    }

    func testGlob() {
        XCTAssertTrue(Glob.matches("*1*", "a = 1 + 2"))
        XCTAssertTrue(Glob.matches("pri?t*", "print(x)"))
        XCTAssertFalse(Glob.matches("x*", "let x"))
        XCTAssertTrue(Glob.matches("*", ""))
    }
}
