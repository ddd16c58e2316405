import XCTest
@testable import KoanLang
import KoanLibrary

/// How library values show in a notebook: the rich forms next to text/plain.
final class LibraryDisplayTests: XCTestCase {
    func testModelShowsItsModuleTreeBesideItsBlockDiagram() throws {
        let interpreter = Interpreter(extensions: [KoanLibrary()])
        let result = try XCTUnwrap(runCell(interpreter, "MLP(input: 4, hidden: [3], output: 2, seed: 1)").value)
        guard case .text(let svg)? = result.data["image/svg+xml"], case .text(let html)? = result.data["text/html"] else {
            return XCTFail("a model should have text/html and image/svg+xml forms, got \(result.data.keys.sorted())")
        }
        XCTAssertTrue(svg.hasPrefix("<svg"), svg)
        XCTAssertTrue(svg.contains("Linear 4→3") && svg.contains("Linear 3→2") && svg.contains("[N, 3]"), svg)
        // The module tree, nested as the text form, with each module's parameters and shapes.
        XCTAssertTrue(html.contains("<table>") && html.contains(svg), html)
        XCTAssertTrue(html.contains("padding-left:40px;text-align:left\"><code>(0): Linear(in: 4, out: 3, bias: true)</code>"), html)
        XCTAssertTrue(html.contains("<code>weight [3, 4] · bias [3]</code>") && html.contains("23 parameters (23 trainable)"), html)
        XCTAssertTrue(result.plainText.contains("23 parameters"), result.plainText)
    }

    func testParametersShowAsATableNotValues() throws {
        let interpreter = Interpreter(extensions: [KoanLibrary()])
        let result = try XCTUnwrap(runCell(interpreter, "MLP(input: 4, hidden: [3], output: 2, seed: 1).parameters").value)
        guard case .text(let html)? = result.data["text/html"] else { return XCTFail("no text/html") }
        XCTAssertTrue(html.contains("<th>trainable</th>") && html.contains("<code>layers.2.bias</code>"), html)
        XCTAssertFalse(result.plainText.contains("[["), "no weight values in the table:\n\(result.plainText)")
    }

    /// After early stopping the fit display looks finished: a full bar, the epoch it stopped
    /// after, and the summary names the best epoch once (issue 20, item 7).
    func testEarlyStoppedFitLooksFinished() throws {
        let interpreter = Interpreter(extensions: [KoanLibrary()])
        let display = RecordingDisplay()
        let code = """
            let d = Dataset.digits().normalized()
            let (tr, te) = d.split(0.8, seed: 1)
            let m = MLP(input: 64, hidden: [32], output: 10, seed: 1)
            let run = m.fit(tr, epochs: 200, batchSize: 256, optimizer: .adamW(lr: 1 / 20), validation: te, earlyStopping: .patience(1))
            run
            """
        let result = runCell(interpreter, code, display: display)
        XCTAssertNil(result.error, result.error?.rendered ?? "")
        let final = try XCTUnwrap(display.shown.last?.bundle.plainText)
        let summary = try XCTUnwrap(result.value?.plainText.split(separator: "\n").first.map(String.init))
        guard let match = summary.firstMatch(of: /early stopping after epoch (\d+) \(best epoch (\d+)\)/) else {
            return XCTFail("the run should stop early: \(summary)")
        }
        XCTAssertTrue(final.hasPrefix("[████████████████████] 100% · epoch \(match.1)/200 · "), final)
        XCTAssertTrue(final.hasSuffix("early stopping after epoch \(match.1) (best epoch \(match.2))"), final)
        XCTAssertEqual(summary.components(separatedBy: "best epoch").count, 2, "best epoch once: \(summary)")
        guard case .text(let html)? = display.shown.last?.bundle.data["text/html"] else { return XCTFail("no text/html frame") }
        XCTAssertTrue(html.contains("<progress value=\"1.0\" max=\"1\""), html)
    }

    /// `plot(run.history, ...)` numbers epochs from 1, as the run's table does.
    func testHistoryPlotsAgainstTheEpochColumn() throws {
        let interpreter = Interpreter(extensions: [KoanLibrary()])
        let result = runCell(interpreter, "plot([\"epoch\": [1.0, 2.0, 3.0], \"loss\": [0.9, 0.5, 0.4]])")
        XCTAssertNil(result.error, result.error?.rendered ?? "")
        XCTAssertEqual(result.value?.plainText.split(separator: "\n").first, "line chart 'loss' (1 series, 3 points; x 1…3, y 0.4…0.9)")
    }

    /// `%workspace` shows a model on one line (its layer and parameter count), not its tree
    /// squashed onto one line (issue 20, item 12).
    func testWorkspaceShowsAModelOnOneLine() throws {
        let interpreter = Interpreter(extensions: [KoanLibrary()])
        let display = RecordingDisplay()
        XCTAssertNil(runCell(interpreter, "let m = MLP(input: 4, hidden: [8], output: 2)\nlet n = 3\n%workspace", display: display).error)
        let table = try XCTUnwrap(display.shown.last?.bundle.plainText)
        XCTAssertEqual(table, """
            name  kind  type  value
            m     let   MLP   MLP: 58 parameters (58 trainable)
            n     let   Int   3
            """)
    }
}
