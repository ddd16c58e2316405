import XCTest
@testable import KoanLang
import KoanLibrary

final class CompletenessTests: XCTestCase {
    let interpreter = Interpreter(extensions: [KoanLibrary()])

    func testComplete() {
        for code in ["1", "print(\"hello, world\")", "let x = 1", "func f() {}", "for i in 0..<3 {\n    print(i)\n}",
                     "", "   \n", "%time 1 + 1", "%workspace", "let s = \"\"\"\n  a\n  \"\"\"", "// just a comment",
                     "let a = [1,\n 2]"] {
            XCTAssertEqual(interpreter.completeness(of: code), .complete, code)
        }
    }

    func testIncomplete() {
        XCTAssertEqual(interpreter.completeness(of: "func f() {"), .incomplete(indent: "    "))
        XCTAssertEqual(interpreter.completeness(of: "let a = [1,"), .incomplete(indent: "    "))
        XCTAssertEqual(interpreter.completeness(of: "for i in 0..<3 {\n  print(i)"), .incomplete(indent: "    "))
        XCTAssertEqual(interpreter.completeness(of: "if x {\n  for i in a {"), .incomplete(indent: "        "))
        XCTAssertEqual(interpreter.completeness(of: "print(1,"), .incomplete(indent: "    "))
        XCTAssertEqual(interpreter.completeness(of: "let s = \"\"\"\nabc"), .incomplete(indent: ""))
        XCTAssertEqual(interpreter.completeness(of: "let y = 1 +"), .incomplete(indent: ""))
        XCTAssertEqual(interpreter.completeness(of: "let y = 1 &&"), .incomplete(indent: ""))
        XCTAssertEqual(interpreter.completeness(of: "%who\nfunc g() {"), .incomplete(indent: "    "))
    }

    /// `1 +* 2` parses (an unknown operator is a folding error, reported when the cell runs),
    /// so it is complete here and fails with a ParseError when executed.
    func testUnknownOperatorIsSyntacticallyComplete() {
        XCTAssertEqual(interpreter.completeness(of: "1 +* 2"), .complete)
        let r = runCell(Interpreter(extensions: [KoanLibrary()]), "1 +* 2")
        XCTAssertEqual(r.error?.ename, "ParseError")
    }

    func testInvalid() {
        for code in ["let = 1", ")", "let x = )", "}", "let 1x = 2", "print(\"a\") )", "1 + * 2", "let x = 1 1",
                     "func f() -> { }", "if { }"] {
            XCTAssertEqual(interpreter.completeness(of: code), .invalid, code)
        }
    }
}
