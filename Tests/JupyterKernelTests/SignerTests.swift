import Crypto
import Foundation
import XCTest
@testable import JupyterKernel

final class SignerTests: XCTestCase {
    let frames: [[UInt8]] = ["{\"msg_id\":\"1\"}", "{}", "{}", "{\"code\":\"1+1\"}"].map { Array($0.utf8) }

    func testSignatureMatchesAnIndependentHMAC() throws {
        let signer = try Signer(key: "secret")
        var h = HMAC<SHA256>(key: SymmetricKey(data: Data("secret".utf8)))
        for f in frames { h.update(data: f) }
        let expected = h.finalize().map { String(format: "%02x", $0) }.joined()
        XCTAssertEqual(signer.sign(frames), expected)
        XCTAssertEqual(expected.count, 64)
    }

    func testKnownVector() throws {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let signer = try Signer(key: "Jefe")
        XCTAssertEqual(signer.sign([Array("what do ya want ".utf8), Array("for nothing?".utf8)]),
                       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    func testVerifyAcceptsOwnSignatureAndRejectsTampering() throws {
        let signer = try Signer(key: "k")
        let sig = Array(signer.sign(frames).utf8)
        XCTAssertTrue(signer.verify(signature: sig, frames: frames))
        XCTAssertTrue(signer.verify(signature: Array(signer.sign(frames).uppercased().utf8), frames: frames))
        var tampered = frames
        tampered[3] = Array("{\"code\":\"2+2\"}".utf8)
        XCTAssertFalse(signer.verify(signature: sig, frames: tampered))
        XCTAssertFalse(signer.verify(signature: Array("zz".utf8), frames: frames))
        XCTAssertFalse(signer.verify(signature: [], frames: frames))
        XCTAssertFalse(signer.verify(signature: Array(sig.dropLast(2)), frames: frames))
    }

    func testEmptyKeyMeansUnsigned() throws {
        let signer = try Signer(key: "")
        XCTAssertFalse(signer.isSigning)
        XCTAssertEqual(signer.sign(frames), "")
        XCTAssertTrue(signer.verify(signature: [], frames: frames))
    }

    func testSchemes() throws {
        XCTAssertEqual(try Signer(key: "k", scheme: "hmac-sha512").sign(frames).count, 128)
        XCTAssertThrowsError(try Signer(key: "k", scheme: "hmac-md5")) { error in
            XCTAssertEqual(error as? Signer.SignerError, .unsupportedScheme("hmac-md5"))
        }
    }
}
