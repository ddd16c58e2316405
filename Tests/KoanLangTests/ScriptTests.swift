import Foundation
import XCTest
@testable import KoanLang
import KoanLibrary

/// Runs every `Tests/scripts/<feature>/*.koan`. A script is cells separated by a line
/// `// cell`; expectations are comments in the cells:
///
///     // expect: TEXT            a printed line (in order; no unexpected output)
///     // expect stderr: TEXT     a line printed to stderr
///     // expect result: TEXT     the text/plain of the cell's result (consecutive lines joined with "\n")
///     // expect error: TEXT      the cell fails; consecutive lines are joined with "\n"
///                                and the rendered error must contain them
///     // expect ename: NAME      the failure's ename
///     // expect display: TEXT    the text/plain of a shown bundle (in order)
///     // input: TEXT             a line for readLine()
///     // cancel after writes: N  the display interrupts the interpreter after N writes
final class ScriptTests: XCTestCase {
    static var scriptsDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("scripts")
    }

    struct Cell {
        var code: String
        var firstLine: Int
        var expectedOutput: [String] = []
        var expectedStderr: [String] = []
        var expectedDisplays: [String] = []
        var expectedResult: String?
        var expectedError: [String] = []
        var expectedEname: String?
        var input: [String]?
        var cancelAfter: Int?
    }

    static func parse(_ text: String) -> [Cell] {
        var cells: [Cell] = []
        var current = Cell(code: "", firstLine: 1)
        var codeLines: [String] = []
        func directive(_ line: String, _ key: String) -> String? {
            guard let r = line.range(of: "// \(key): ") ?? line.range(of: "// \(key):") else { return nil }
            return String(line[r.upperBound...])
        }
        let lines = text.components(separatedBy: "\n")
        for (i, line) in lines.enumerated() {
            if line.trimmingCharacters(in: .whitespaces) == "// cell" {
                current.code = codeLines.joined(separator: "\n")
                cells.append(current)
                current = Cell(code: "", firstLine: i + 2)
                codeLines = []
                continue
            }
            codeLines.append(line)
            if let t = directive(line, "expect") { current.expectedOutput.append(t) }
            if let t = directive(line, "expect stderr") { current.expectedStderr.append(t) }
            if let t = directive(line, "expect display") { current.expectedDisplays.append(t) }
            if let t = directive(line, "expect result") { current.expectedResult = (current.expectedResult.map { $0 + "\n" } ?? "") + t }
            if let t = directive(line, "expect error") { current.expectedError.append(t) }
            if let t = directive(line, "expect ename") { current.expectedEname = t }
            if let t = directive(line, "input") { current.input = (current.input ?? []) + [t] }
            if let t = directive(line, "cancel after writes") { current.cancelAfter = Int(t) }
        }
        current.code = codeLines.joined(separator: "\n")
        cells.append(current)
        return cells
    }

    func testScripts() throws {
        let fm = FileManager.default
        let features = try fm.contentsOfDirectory(atPath: Self.scriptsDirectory.path).sorted()
        var count = 0
        // KOAN_SCRIPTS=compress runs only the scripts of that feature (while working on it).
        let only = ProcessInfo.processInfo.environment["KOAN_SCRIPTS"]
        for feature in features where only.map({ feature == $0 }) ?? true {
            let dir = Self.scriptsDirectory.appendingPathComponent(feature)
            let files = (try? fm.contentsOfDirectory(atPath: dir.path)) ?? []
            for file in files.sorted() where file.hasSuffix(".koan") {
                let path = dir.appendingPathComponent(file)
                check(script: try String(contentsOf: path, encoding: .utf8), name: "\(feature)/\(file)")
                count += 1
            }
        }
        if only == nil { XCTAssertGreaterThan(count, 10, "scripts found: \(count)") }
        print("ran \(count) scripts")
    }

    /// Equal line by line; an expected line ending in `*` matches any line with that prefix.
    static func linesMatch(_ actual: [String], _ expected: [String]) -> Bool {
        guard actual.count == expected.count else { return false }
        return zip(actual, expected).allSatisfy { a, e in
            e.hasSuffix("*") ? a.hasPrefix(String(e.dropLast())) : a == e
        }
    }

    func check(script: String, name: String) {
        let interpreter = Interpreter(extensions: [KoanLibrary()])
        for (index, cell) in Self.parse(script).enumerated() {
            let display = RecordingDisplay()
            display.interpreter = interpreter
            display.input = cell.input
            display.cancelAfterWrites = cell.cancelAfter
            interpreter.cancellation.reset()
            let result = runCell(interpreter, cell.code, cell: index + 1, display: display)
            let at = "\(name):\(cell.firstLine) (cell \(index + 1))"

            var printed = display.stdout.components(separatedBy: "\n")
            if printed.last == "" { printed.removeLast() }
            XCTAssertTrue(Self.linesMatch(printed, cell.expectedOutput),
                          "printed output of \(at):\n\(printed)\nexpected:\n\(cell.expectedOutput)")
            var errLines = display.stderr.components(separatedBy: "\n")
            if errLines.last == "" { errLines.removeLast() }
            XCTAssertEqual(errLines, cell.expectedStderr, "stderr of \(at)")
            if !cell.expectedDisplays.isEmpty {
                let shown = display.shown.map(\.bundle.plainText)
                XCTAssertTrue(Self.linesMatch(shown, cell.expectedDisplays),
                              "displays of \(at):\n\(shown)\nexpected:\n\(cell.expectedDisplays)")
            }

            if cell.expectedError.isEmpty {
                XCTAssertNil(result.error, "unexpected error in \(at):\n\(result.error?.rendered ?? "")")
                if let expected = cell.expectedResult {
                    XCTAssertEqual(result.value?.plainText, expected, "result of \(at)")
                }
            } else {
                let expected = cell.expectedError.joined(separator: "\n")
                if let error = result.error {
                    XCTAssertTrue(error.rendered.contains(expected),
                                  "error of \(at): expected to contain\n\(expected)\n--- got ---\n\(error.rendered)")
                    if let ename = cell.expectedEname { XCTAssertEqual(error.ename, ename, "ename of \(at)") }
                } else {
                    XCTFail("expected an error in \(at), got result \(result.value?.plainText ?? "nil")")
                }
            }
        }
    }
}
