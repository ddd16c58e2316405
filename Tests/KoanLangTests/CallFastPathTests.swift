import XCTest
@testable import KoanLang
import KoanLibrary

/// Behaviour of the evaluator's fast paths (direct argument binding, reused frames,
/// `append` in place) where they could differ from the general path.
final class CallFastPathTests: XCTestCase {
    func value(_ code: String) -> String? {
        let r = runCell(Interpreter(extensions: [KoanLibrary()]), code)
        XCTAssertNil(r.error, r.error?.rendered ?? "")
        return r.value?.plainText
    }

    func error(_ code: String) -> KoanFailure? { runCell(Interpreter(extensions: [KoanLibrary()]), code).error }

    func testDirectCallConvertsArguments() {
        XCTAssertEqual(value("func half(_ x: Double) -> Double { x / 2 }\nhalf(3)"), "1.5")
        XCTAssertEqual(value("func f(x: Int, y: Int) -> Int { x - y }\nf(x: 5, y: 2)"), "3")
    }

    func testDirectCallArgumentTypeError() {
        let e = error("func f(_ x: Int) -> Int { x }\nf(\"a\")")
        XCTAssertEqual(e?.evalue, "cannot convert value of type 'String' to expected argument type 'Int'")
        XCTAssertEqual(error("func f(_ x: Int) -> Int { x }\nf(x: 1)")?.evalue, "extraneous argument label 'x:' in call")
    }

    func testReusedFramesDoNotShareCapturedParameters() {
        XCTAssertEqual(value("func make(_ n: Int) -> () -> Int { { n } }\nlet a = make(1)\nlet b = make(2)\na() * 10 + b()"), "12")
        XCTAssertEqual(value("func down(_ n: Int) -> Int { n == 0 ? 0 : 1 + down(n - 1) }\ndown(100) + down(3)"), "103")
    }

    func testDefaultValueReadsCapturedVariable() {
        XCTAssertEqual(value("func outer() -> Int {\n    let k = 5\n    func inner(x: Int = k) -> Int { x }\n    return inner() + inner(x: 1)\n}\nouter()"), "6")
    }

    func testReturnTypeStillChecked() {
        XCTAssertEqual(value("func g(_ x: Int) -> Double { return x }\ng(2)"), "2.0")
        XCTAssertEqual(error("func g(_ x: Int) -> Int { return \"s\" }\ng(2)")?.ename, "TypeError")
    }

    func testAppendFastPathFallsBack() {
        XCTAssertEqual(value("var s = \"ab\"\ns.append(\"c\")\ns"), "\"abc\"")
        XCTAssertEqual(value("var m = [[1], [2]]\nm[0].append(5)\nm"), "[[1, 5], [2]]")
        XCTAssertEqual(error("var x = 1\nx.append(2)")?.evalue, "value of type 'Int' has no member 'append'")
    }
}
