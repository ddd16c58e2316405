import Foundation
import KoanPlot
import XCTest

final class Base64Tests: XCTestCase {
    func testRFC4648Vectors() {
        let cases = ["": "", "f": "Zg==", "fo": "Zm8=", "foo": "Zm9v", "foob": "Zm9vYg==", "fooba": "Zm9vYmE=", "foobar": "Zm9vYmFy"]
        for (plain, encoded) in cases { XCTAssertEqual(base64(Array(plain.utf8)), encoded, plain) }
    }

    func testMatchesFoundation() {
        var generator = SystemRandomNumberGenerator()
        for n in 0..<200 {
            let bytes = (0..<n).map { _ in UInt8.random(in: 0...255, using: &generator) }
            XCTAssertEqual(base64(bytes), Data(bytes).base64EncodedString())
        }
    }
}
