import XCTest
@testable import KoanLang
import KoanLibrary

/// How library values show in a notebook: the rich forms next to text/plain.
final class LibraryDisplayTests: XCTestCase {
    func testModelShowsItsParameterTableBesideItsBlockDiagram() throws {
        let interpreter = Interpreter(extensions: [KoanLibrary()])
        let result = try XCTUnwrap(runCell(interpreter, "MLP(input: 4, hidden: [3], output: 2, seed: 1)").value)
        guard case .text(let svg)? = result.data["image/svg+xml"], case .text(let html)? = result.data["text/html"] else {
            return XCTFail("a model should have text/html and image/svg+xml forms, got \(result.data.keys.sorted())")
        }
        XCTAssertTrue(svg.hasPrefix("<svg"), svg)
        XCTAssertTrue(svg.contains("Linear 4→3") && svg.contains("Linear 3→2") && svg.contains("[N, 3]"), svg)
        XCTAssertTrue(html.contains("<table>") && html.contains("layers.0.weight") && html.contains(svg), html)
        XCTAssertTrue(result.plainText.contains("23 parameters"), result.plainText)
    }

    func testParametersShowAsATableNotValues() throws {
        let interpreter = Interpreter(extensions: [KoanLibrary()])
        let result = try XCTUnwrap(runCell(interpreter, "MLP(input: 4, hidden: [3], output: 2, seed: 1).parameters").value)
        guard case .text(let html)? = result.data["text/html"] else { return XCTFail("no text/html") }
        XCTAssertTrue(html.contains("<th>trainable</th>") && html.contains("<code>layers.2.bias</code>"), html)
        XCTAssertFalse(result.plainText.contains("[["), "no weight values in the table:\n\(result.plainText)")
    }
}
