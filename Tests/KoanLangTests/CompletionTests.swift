import XCTest
@testable import KoanLang
import KoanLibrary

final class CompletionTests: XCTestCase {
    func interpreter(_ setup: String = "") -> Interpreter {
        let i = Interpreter(extensions: [KoanLibrary()])
        if !setup.isEmpty {
            let r = runCell(i, setup)
            XCTAssertNil(r.error, r.error?.rendered ?? "")
        }
        return i
    }

    func testBuiltinsKeywordsAndWorkspace() {
        let i = interpreter("let printer = 1\nvar total = 2")
        let c = i.complete("pri", cursor: 3)
        XCTAssertEqual(c.matches, ["print", "printer"])
        XCTAssertEqual(c.start, 0)
        XCTAssertEqual(c.end, 3)
        XCTAssertEqual(i.complete("to", cursor: 2).matches, ["total"])
        XCTAssertEqual(i.complete("gu", cursor: 2).matches, ["guard"])
        XCTAssertEqual(i.complete("let y = tr", cursor: 10).matches, ["true"])
    }

    func testScalarOffsetsWithNonASCII() {
        let i = interpreter()
        let code = "\"é\"; pri"
        let cursor = code.unicodeScalars.count
        let c = i.complete(code, cursor: cursor)
        XCTAssertEqual(c.matches, ["print"])
        XCTAssertEqual(c.start, 5)
        XCTAssertEqual(c.end, 8)
        // A flag emoji is one Character but two scalars.
        let flag = "let 🇫🇷 = 1; sq"
        let f = i.complete(flag, cursor: flag.unicodeScalars.count)
        XCTAssertEqual(f.matches, ["sqrt", "square"])
        XCTAssertEqual(f.start, flag.unicodeScalars.count - 2)
        // Cursor in the middle of the text: only the fragment before it counts.
        let mid = i.complete("pri + 1", cursor: 2)
        XCTAssertEqual(mid.start, 0)
        XCTAssertEqual(mid.end, 2)
        XCTAssertTrue(mid.matches.contains("print"))
    }

    func testMembersByRuntimeType() {
        let i = interpreter("var xs = [1, 2]\nlet name = \"k\"\nlet d = [\"a\": 1]")
        let c = i.complete("xs.ap", cursor: 5)
        XCTAssertEqual(c.matches, ["append"])
        XCTAssertEqual(c.start, 3)
        XCTAssertTrue(i.complete("name.up", cursor: 7).matches == ["uppercased"])
        XCTAssertEqual(i.complete("d.ke", cursor: 4).matches, ["keys"])
        XCTAssertTrue(i.complete("xs.", cursor: 3).matches.contains("count"))
        XCTAssertFalse(i.complete("xs.", cursor: 3).matches.contains("uppercased"))
        XCTAssertEqual(i.complete("Double.p", cursor: 8).matches, ["pi"])
        XCTAssertEqual(i.complete("unknown.co", cursor: 10).matches, [])
    }

    func testArgumentLabels() {
        let i = interpreter("func train(epochs: Int, lr: Double) {}")
        let c = i.complete("stride(", cursor: 7)
        XCTAssertTrue(c.matches.contains("from:"), "\(c.matches)")
        XCTAssertEqual(i.complete("stride(fr", cursor: 9).matches, ["from:"])
        let afterComma = i.complete("stride(from: 0, t", cursor: 17).matches
        XCTAssertTrue(afterComma.contains("to:") && afterComma.contains("through:") && afterComma.contains("true"))
        XCTAssertEqual(i.complete("train(ep", cursor: 8).matches, ["epochs:"])
        XCTAssertEqual(i.complete("print(1, sep", cursor: 12).matches, ["separator:"])
    }

    func testMagics() {
        let i = interpreter()
        let c = i.complete("%wo", cursor: 3)
        XCTAssertEqual(c.matches, ["%workspace"])
        XCTAssertEqual(c.start, 0)
    }

    func testSortedAndDeduplicated() {
        let i = interpreter("let min2 = 1")
        let c = i.complete("mi", cursor: 2)
        XCTAssertEqual(c.matches, c.matches.sorted())
        XCTAssertEqual(Set(c.matches).count, c.matches.count)
        XCTAssertEqual(c.matches, ["min", "min2", "minimum"])
    }

    /// `Tensor.` + Tab lists the type's static members (issue 20, item 4).
    func testStaticMembersOfTypes() {
        let i = interpreter()
        let all = i.complete("Tensor.", cursor: 7)
        XCTAssertTrue(Set(["randn", "zeros", "ones", "eye"]).isSubset(of: Set(all.matches)), "\(all.matches)")
        XCTAssertEqual(all.start, 7)
        let ra = i.complete("let x = Tensor.ra", cursor: 17)
        XCTAssertTrue(ra.matches.contains("randn") && ra.matches.allSatisfy { $0.hasPrefix("ra") }, "\(ra.matches)")
        XCTAssertEqual(ra.start, 15)
        XCTAssertTrue(i.complete("Dataset.", cursor: 8).matches.contains("digits"))
        XCTAssertTrue(i.complete("Int.", cursor: 4).matches.contains("max"))
    }

    /// `optimizer: .ad` → `adamW(`, and a bare `.` after a label lists its cases.
    func testOptionCasesAfterALabel() {
        let i = interpreter()
        let code = "mlp.fit(train, optimizer: .ad"
        let c = i.complete(code, cursor: code.unicodeScalars.count)
        XCTAssertEqual(c.matches, ["adam(", "adamW("])
        let schedule = "mlp.fit(train, schedule: ."
        XCTAssertEqual(Set(i.complete(schedule, cursor: schedule.unicodeScalars.count).matches),
                       ["constant", "cosine(", "linear(", "step(", "exponential("])
        let strategy = "search(space, trials: 5, strategy: ."
        XCTAssertEqual(Set(i.complete(strategy, cursor: strategy.unicodeScalars.count).matches), ["tpe(", "random", "grid"])
    }

    /// Argument labels inside a static member's call: `Tensor.randn([2], se` → `seed:`.
    func testLabelsOfStaticCalls() {
        let i = interpreter()
        let code = "Tensor.randn([2], se"
        // Labels come with the names an argument expression could start with.
        XCTAssertTrue(i.complete(code, cursor: code.unicodeScalars.count).matches.contains("seed:"))
    }

    /// Inside a string argument, a bound model's module and parameter paths (freezing and
    /// LoRA targets name them): `mlp.freeze(except: ["layers.` → `layers.0`, `layers.2.bias`, …
    func testDottedPathsInStrings() {
        let i = interpreter("let mlp = MLP(input: 4, hidden: [8], output: 2)")
        let code = "mlp.freeze(except: [\"layers.2"
        let c = i.complete(code, cursor: code.unicodeScalars.count)
        XCTAssertEqual(c.matches, ["layers.2", "layers.2.bias", "layers.2.weight"])
        XCTAssertEqual(c.start, 21)
        let free = "lora(mlp, targets: [\"lay"
        XCTAssertTrue(i.complete(free, cursor: free.unicodeScalars.count).matches.contains("layers.0.weight"))
        // Not inside a string: the usual names.
        XCTAssertFalse(i.complete("mlp.freeze(except: [la", cursor: 22).matches.contains("layers.0"))
    }
}
