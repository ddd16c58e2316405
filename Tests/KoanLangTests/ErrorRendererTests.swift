import XCTest
@testable import KoanLang
import KoanLibrary

final class ErrorRendererTests: XCTestCase {
    let renderer = ErrorRenderer(sources: [
        7: "let x = 1\nlet y: Int = \"a\"",
        2: "func f(_ x: Int) -> Int {\n    return x / 0\n}",
        12: (1...12).map { "line \($0)" }.joined(separator: "\n"),
        3: "let s = \"é🇫🇷\"; s + 1",
    ])

    func span(_ cell: Int, _ line: Int, _ col: Int, _ endCol: Int) -> Span {
        Span(cell: cell, line: line, column: col, endLine: line, endColumn: endCol)
    }

    func testCompilerLayout() {
        let e = KoanError.failure(.type, "cannot convert value of type 'String' to specified type 'Int'", at: span(7, 2, 14, 17))
        XCTAssertEqual(renderer.render(e), """
            error: cannot convert value of type 'String' to specified type 'Int'
             --> cell[7]:2:14
              |
            2 | let y: Int = "a"
              |              ^~~
            """)
        let failure = renderer.failure(e)
        XCTAssertEqual(failure.ename, "TypeError")
        XCTAssertEqual(failure.evalue, "cannot convert value of type 'String' to specified type 'Int'")
    }

    func testWideLineNumbersAndMultiLineSpans() {
        let e = KoanError.failure(.value, "bad", at: Span(cell: 12, line: 10, column: 1, endLine: 11, endColumn: 3))
        XCTAssertEqual(renderer.render(e), """
            error: bad
              --> cell[12]:10:1
               |
            10 | line 10
               | ^~~~~~~
            """)
    }

    func testScalarColumns() {
        // `s + 1` starts at scalar column 16: the flag is two scalars, é one.
        let e = KoanError.failure(.type, "nope", at: span(3, 1, 16, 21))
        XCTAssertEqual(renderer.render(e), """
            error: nope
             --> cell[3]:1:16
              |
            1 | let s = "é🇫🇷"; s + 1
              |                ^~~~~
            """)
    }

    func testTracebackInnermostLast() {
        let inner = KoanError.failure(.zeroDivision, "division by zero", at: span(2, 2, 12, 17))
        let traced = inner.leaving(function: "f(_:)", calledAt: span(3, 5, 1, 5), from: "top level")
        XCTAssertEqual(renderer.render(traced), """
            error: division by zero
             --> cell[2]:2:12
              |
            2 |     return x / 0
              |            ^~~~~
            traceback (most recent call last):
              cell[3]:5:1 in top level
              cell[2]:2:12 in f(_:)
            """)
        XCTAssertEqual(renderer.failure(traced).ename, "ZeroDivisionError")
    }

    func testAllParseDiagnosticsListed() {
        let e = KoanError.parse([
            ParseDiagnostic(message: "expected ')' to end tuple", span: span(7, 1, 5, 5)),
            ParseDiagnostic(message: "unexpected code", span: span(7, 2, 1, 1)),
        ])
        XCTAssertEqual(renderer.render(e), """
            error: expected ')' to end tuple
             --> cell[7]:1:5
              |
            1 | let x = 1
              |     ^
            error: unexpected code
             --> cell[7]:2:1
              |
            2 | let y: Int = "a"
              | ^
            """)
    }

    func testNoAnsiAndUnknownSource() {
        let e = KoanError.failure(.runtime, "lost", at: span(99, 1, 1, 2))
        XCTAssertEqual(renderer.render(e), "error: lost\n --> cell[99]:1:1")
        XCTAssertFalse(renderer.render(e).contains("\u{1B}"))
    }

    func testInterpreterSurvivesAndKeepsWorkspace() {
        let i = Interpreter(extensions: [KoanLibrary()])
        XCTAssertNil(runCell(i, "var a = 1", cell: 1).error)
        let r = runCell(i, "a = 2\nlet b = [1][5]\na = 3", cell: 2)
        XCTAssertEqual(r.error?.ename, "IndexError")
        XCTAssertEqual(r.error?.evalue, "index 5 out of range for collection of count 1")
        XCTAssertEqual(runCell(i, "a", cell: 3).value?.plainText, "2")
        XCTAssertEqual(i.workspaceNames, ["a"])
    }

    func testEvaluateExpression() {
        let i = Interpreter(extensions: [KoanLibrary()])
        _ = runCell(i, "let x = 20")
        let display = RecordingDisplay()
        XCTAssertEqual(try i.evaluate(expression: "x + 22", display: display).get().plainText, "42")
        switch i.evaluate(expression: "y", display: display) {
        case .success: XCTFail("expected a failure")
        case .failure(let f): XCTAssertEqual(f.ename, "NameError")
        }
    }
}
