import XCTest
@testable import KoanLang
import KoanLibrary

final class InspectionTests: XCTestCase {
    func testBuiltinSignatureAndDoc() throws {
        let i = Interpreter(extensions: [KoanLibrary()])
        let bundle = try XCTUnwrap(i.inspect("print(1)", cursor: 2, detailLevel: 0))
        XCTAssertTrue(bundle.plainText.hasPrefix(
            "print(_ items: Any..., separator: String = \" \", terminator: String = \"\\n\")\nWrites the textual representations"),
            bundle.plainText)
        // Right after the opening parenthesis: the function being called.
        XCTAssertTrue(try XCTUnwrap(i.inspect("sqrt(", cursor: 5, detailLevel: 0)).plainText.hasPrefix("sqrt(_ x: Double) -> Double"))
        // Overloads are all shown.
        let stride = try XCTUnwrap(i.inspect("stride", cursor: 3, detailLevel: 0)).plainText
        XCTAssertTrue(stride.contains("to end") && stride.contains("through end"), stride)
    }

    func testMembersAndConstants() throws {
        let i = Interpreter(extensions: [KoanLibrary()])
        _ = runCell(i, "var xs = [1]")
        let append = try XCTUnwrap(i.inspect("xs.append(2)", cursor: 5, detailLevel: 0)).plainText
        XCTAssertTrue(append.hasPrefix("append(_ newElement: Element)\nAdds an element at the end."), append)
        XCTAssertTrue(try XCTUnwrap(i.inspect("Double.pi", cursor: 8, detailLevel: 0)).plainText.hasPrefix("Double.pi: Double"))
    }

    func testWorkspaceValuesAndFunctions() throws {
        let i = Interpreter(extensions: [KoanLibrary()])
        _ = runCell(i, "let lr: Double = 3e-4\nvar xs = [1, 2, 3]\nfunc f(_ x: Int, scale: Double = 1) -> Double { Double(x) * scale }")
        XCTAssertEqual(i.inspect("lr", cursor: 1, detailLevel: 0)?.plainText, "let lr: Double\n0.0003")
        XCTAssertEqual(i.inspect("xs.count", cursor: 2, detailLevel: 0)?.plainText, "var xs: [Int]\n[1, 2, 3]")
        XCTAssertEqual(i.inspect("f(2)", cursor: 0, detailLevel: 0)?.plainText,
                       "func f(_ x: Int, scale: Double = 1) -> Double")
    }

    func testNothingKnown() {
        let i = Interpreter(extensions: [KoanLibrary()])
        XCTAssertNil(i.inspect("nothingHere", cursor: 3, detailLevel: 0))
        XCTAssertNil(i.inspect("   ", cursor: 1, detailLevel: 0))
        XCTAssertNil(i.inspect("", cursor: 0, detailLevel: 0))
    }

    func testScalarCursor() throws {
        let i = Interpreter(extensions: [KoanLibrary()])
        let code = "\"🇫🇷é\"; sqrt(2)"
        let offset = Array(code.unicodeScalars).firstIndex(of: "q")!
        XCTAssertTrue(try XCTUnwrap(i.inspect(code, cursor: offset, detailLevel: 0)).plainText.hasPrefix("sqrt"))
    }

    /// Shift-Tab on `Tensor.randn(` shows what `%help Tensor.randn` shows (issue 20, item 4).
    func testStaticMembersOfTypes() throws {
        let i = Interpreter(extensions: [KoanLibrary()])
        let help = try XCTUnwrap(i.registry.help(for: "Tensor.randn"))
        XCTAssertEqual(try XCTUnwrap(i.inspect("Tensor.randn(", cursor: 13, detailLevel: 0)).plainText, help)
        XCTAssertEqual(try XCTUnwrap(i.inspect("Tensor.randn([2])", cursor: 9, detailLevel: 0)).plainText, help)
        XCTAssertTrue(help.hasPrefix("Tensor.randn("), help)
        XCTAssertNotNil(i.inspect("Dataset.digits(", cursor: 15, detailLevel: 0))
    }
}
