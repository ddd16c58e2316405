import Foundation
import XCTest
@testable import KoanLang
import KoanLibrary

final class InterpreterTests: XCTestCase {
    func testInterruptFromAnotherThread() {
        let interpreter = Interpreter(extensions: [KoanLibrary()])
        XCTAssertNil(runCell(interpreter, "var n = 0", cell: 1).error)
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.2) { interpreter.interrupt() }
        let result = runCell(interpreter, "while true {\n    n += 1\n}", cell: 2)
        XCTAssertEqual(result.error?.ename, "Interrupted")
        XCTAssertEqual(result.error?.evalue, "interrupted")
        XCTAssertTrue(result.error?.rendered.hasPrefix("error: interrupted\n --> cell[2]:1:1") ?? false,
                      result.error?.rendered ?? "")
        interpreter.cancellation.reset()
        let n = Int(runCell(interpreter, "n", cell: 3).value?.plainText ?? "") ?? 0
        XCTAssertGreaterThan(n, 0)
    }

    /// `%help` alone lists the magics, the library's too (the console banner advertises it).
    func testHelpAloneListsTheMagics() {
        let interpreter = Interpreter(extensions: [KoanLibrary()])
        let display = RecordingDisplay()
        let result = runCell(interpreter, "%help", display: display)
        XCTAssertNil(result.error, result.error?.rendered ?? "")
        let text = display.stdout + display.shown.map(\.bundle.plainText).joined()
        XCTAssertTrue(text.hasPrefix("Koan: Swift-syntax cells over one persistent workspace."), text)
        for line in ["%help <name>", "%workspace, %who", "%time <statement>", "%reset", "%seed <Int>", "%memory", "%threads"] {
            XCTAssertTrue(text.contains(line), "missing \(line) in\n\(text)")
        }
    }

    func testWorkspaceNamesInDeclarationOrder() {
        let interpreter = Interpreter(extensions: [KoanLibrary()])
        _ = runCell(interpreter, "let b = 1\nvar a = 2\nfunc c() {}")
        XCTAssertEqual(interpreter.workspaceNames, ["b", "a", "c"])
        _ = runCell(interpreter, "%reset")
        XCTAssertEqual(interpreter.workspaceNames, [])
    }

    func testDisplayCalls() {
        let interpreter = Interpreter(extensions: [KoanLibrary()])
        let display = RecordingDisplay()
        let r = runCell(interpreter, "display(HTML(\"<b>x</b>\"), id: \"p\")\nupdateDisplay(\"done\", id: \"p\")\nclearOutput(wait: true)",
                        display: display)
        XCTAssertNil(r.error)
        XCTAssertNil(r.value)
        XCTAssertEqual(display.shown.count, 2)
        XCTAssertEqual(display.shown[0].bundle.data["text/html"], .text("<b>x</b>"))
        XCTAssertEqual(display.shown[0].bundle.plainText, "<b>x</b>")
        XCTAssertEqual(display.shown[0].id, "p")
        XCTAssertFalse(display.shown[0].update)
        XCTAssertEqual(display.shown[1].bundle.plainText, "\"done\"")
        XCTAssertTrue(display.shown[1].update)
        XCTAssertEqual(display.clears, [true])
    }

    func testRichResults() {
        let interpreter = Interpreter(extensions: [KoanLibrary()])
        let md = runCell(interpreter, "Markdown(\"# T\")").value
        XCTAssertEqual(md?.data["text/markdown"], .text("# T"))
        XCTAssertEqual(md?.plainText, "# T")
        let table = runCell(interpreter, "let x = 1\n%workspace", display: RecordingDisplay())
        XCTAssertNil(table.error)
        let display = RecordingDisplay()
        _ = runCell(interpreter, "let w = Tensor.zeros([3, 2])\n%workspace", display: display)
        XCTAssertEqual(display.shown.last?.bundle.plainText, """
            name  kind  type    shape   dtype    bytes  value
            x     let   Int                             1
            w     let   Tensor  [3, 2]  float32  24
            """)
    }

    func testReadLinePrompt() {
        let interpreter = Interpreter(extensions: [KoanLibrary()])
        let display = RecordingDisplay()
        display.input = ["42"]
        let r = runCell(interpreter, "let s = readLine(prompt: \"n? \")\nInt(s ?? \"\") ?? 0", display: display)
        XCTAssertEqual(r.value?.plainText, "42")
        XCTAssertEqual(display.prompts, ["n? "])
    }

    func testVoidResultsAreNil() {
        let interpreter = Interpreter(extensions: [KoanLibrary()])
        XCTAssertNil(runCell(interpreter, "print(1)").value)
        XCTAssertNil(runCell(interpreter, "var q = 1\nq = 2").value)
        XCTAssertNil(runCell(interpreter, "for _ in 0..<1 {}").value)
        XCTAssertNil(runCell(interpreter, "").value)
        XCTAssertNil(runCell(interpreter, "// only a comment").value)
        XCTAssertEqual(runCell(interpreter, "q").value?.plainText, "2")
    }

    /// Swift rejects reading a variable while a mutating method works on it; Koan must
    /// not trap: the cell fails or finishes, and the variable keeps its elements.
    func testOverlappingAccessDoesNotCrash() {
        let interpreter = Interpreter(extensions: [KoanLibrary()])
        for (i, code) in ["var xs = [3, 1, 2]\nxs.sort { a, b in xs.isEmpty || a < b }",
                          "func f() -> [Int] {\n    var ys = [3, 1, 2]\n    ys.sort { a, b in ys.count > 5 || a < b }\n    return ys\n}\nf()",
                          "var zs = [[1], [2]]\nzs[0].append(zs.count)\nzs"].enumerated() {
            _ = runCell(interpreter, code, cell: i + 1)
        }
        XCTAssertEqual(runCell(interpreter, "xs.sorted()", cell: 9).value?.plainText, "[1, 2, 3]")
        XCTAssertEqual(runCell(interpreter, "zs", cell: 10).value?.plainText, "[[1, 2], [2]]")
    }
}
