import Foundation
import XCTest
@testable import KoanLang
import KoanLibrary

/// The docs and the product agree (issue 20, item 11): every function a docs page calls in
/// its cell examples resolves in a cell, and every registered function is in the docs.
final class DocsConsistencyTests: XCTestCase {
    static var docsDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs")
    }

    /// Pages about the product's surface (architecture.md and performance.md describe the
    /// Swift packages and the benches, whose Swift functions are not cell functions).
    static func userPages() throws -> [(name: String, text: String)] {
        let files = try FileManager.default.contentsOfDirectory(atPath: docsDirectory.path)
            .filter { $0.hasSuffix(".md") && $0 != "architecture.md" && $0 != "performance.md" }.sorted()
        return try files.map { ($0, try String(contentsOf: docsDirectory.appendingPathComponent($0), encoding: .utf8)) }
    }

    /// The fenced blocks a user would type into a cell: ```swift or unmarked fences.
    static func cellBlocks(_ text: String) -> [String] {
        var blocks: [String] = [], current: [String]?, keep = false
        for line in text.components(separatedBy: "\n") {
            let t = line.trimmingCharacters(in: .whitespaces)
            if t.hasPrefix("```") {
                if current != nil {
                    if keep, let c = current { blocks.append(c.joined(separator: "\n")) }
                    current = nil
                } else {
                    let language = t.dropFirst(3).trimmingCharacters(in: .whitespaces)
                    keep = language.isEmpty || language == "swift"
                    current = []
                }
            } else if current != nil {
                current?.append(line)
            }
        }
        return blocks
    }

    /// Names called as functions in a block (`name(`), not after a dot, outside comments
    /// and strings; names the block itself declares (`func f(`, `let f =`) are not calls.
    static func calledNames(_ block: String) -> (called: Set<String>, declared: Set<String>) {
        func groups(_ p: String, _ t: String) -> [String] { Self.groups(p, t) }
        var called: Set<String> = [], declared: Set<String> = []
        let call = #"(?<![.\w$])([A-Za-z_][A-Za-z0-9_]*)\("#
        let declaration = #"(?:func|let|var)\s+\(?([A-Za-z_][A-Za-z0-9_]*)"#
        for raw in block.components(separatedBy: "\n") {
            var line = raw
            if let comment = line.range(of: "//") { line = String(line[..<comment.lowerBound]) }
            let t = line.trimmingCharacters(in: .whitespaces)
            // Output shown in a block (errors, tracebacks) is not code.
            if t.hasPrefix("error:") || t.hasPrefix("-->") || t.hasPrefix("|") || t.hasPrefix("traceback") || t.hasPrefix("cell[") { continue }
            line = line.replacingOccurrences(of: #""(?:[^"\\]|\\.)*""#, with: "\"\"", options: .regularExpression)
            called.formUnion(groups(call, line))
            declared.formUnion(groups(declaration, line))
            declared.formUnion(groups(#"([A-Za-z_][A-Za-z0-9_]*)\s+in\b"#, line))   // closure parameters: `{ m in`
        }
        return (called, declared)
    }

    /// The first capture group of every match of `pattern` in `text`.
    static func groups(_ pattern: String, _ text: String) -> [String] {
        guard let re = try? NSRegularExpression(pattern: pattern) else { return [] }
        let ns = text as NSString
        return re.matches(in: text, range: NSRange(location: 0, length: ns.length)).map { ns.substring(with: $0.range(at: 1)) }
    }

    /// Names the docs mention that are not Koan cell functions, on purpose: the Python names
    /// errors point away from (language.md), C functions a rounding rule is compared with
    /// (compression.md), KoanNN's Swift API for the block diagram and Keras's `summary(inputShape:)`
    /// it is compared with (models.md).
    static let foreign: Set<String> = ["help", "len", "range", "fma", "rint", "format", "modelDiagram", "summary"]

    func testEveryFunctionTheDocsCallResolves() throws {
        let registry = Interpreter(extensions: [KoanLibrary()]).registry
        let swiftWords: Set<String> = ["if", "for", "while", "switch", "guard", "return", "func", "in", "repeat",
                                       "catch", "init", "map", "filter", "reduce", "sorted", "forEach"]
        var missing: [String] = []
        var checked = 0
        for (page, text) in try Self.userPages() {
            var declared: Set<String> = []
            var calls: Set<String> = []
            for block in Self.cellBlocks(text) {
                let (c, d) = Self.calledNames(block)
                calls.formUnion(c); declared.formUnion(d)
            }
            // Inline spans that start with a call are cell functions too: `attention(q, k, v, ...)`.
            calls.formUnion(Self.groups(#"`([A-Za-z_][A-Za-z0-9_]*)\("#, text))
            for name in calls.subtracting(declared).subtracting(swiftWords).sorted() {
                checked += 1
                // Members (`reshaped(`) resolve on their values; snake_case names are Python's,
                // named for comparison; `foreign` are named on purpose as what not to write.
                if registry.members[name] != nil || name.contains("_") || Self.foreign.contains(name) { continue }
                // Option cases with arguments (`adamW(` after `optimizer: .`).
                if registry.optionCompletions.values.contains(where: { $0.contains(name + "(") }) { continue }
                if registry.functions[name] == nil && registry.constants[name] == nil {
                    missing.append("\(page): \(name)(")
                }
            }
        }
        XCTAssertGreaterThan(checked, 50, "the docs should be read")
        XCTAssertTrue(missing.isEmpty, "functions the docs call that do not resolve in a cell:\n" + missing.joined(separator: "\n"))
    }

    func testEveryRegisteredFunctionIsDocumented() throws {
        let registry = Interpreter(extensions: [KoanLibrary()]).registry
        let all = try FileManager.default.contentsOfDirectory(atPath: Self.docsDirectory.path).filter { $0.hasSuffix(".md") }
        let text = try all.map { try String(contentsOf: Self.docsDirectory.appendingPathComponent($0), encoding: .utf8) }
            .joined(separator: "\n")
        // Names inside backticks, and the member part of qualified ones (`Tensor.randn` is
        // documented by `Tensor.randn(...)` or under Tensor as `.randn`).
        let fences = #"```[a-z]*\n([\s\S]*?)```"#
        let inline = text.replacingOccurrences(of: fences, with: " ", options: .regularExpression)
        let spans = (Self.groups(#"`([^`]+)`"#, inline) + Self.groups(fences, text)).joined(separator: " ")
        var undocumented: [String] = []
        for name in registry.functions.keys.sorted() where name.first?.isLetter == true {
            let leaf = name.split(separator: ".").last.map(String.init) ?? name
            let pattern = "(?<![A-Za-z0-9_])\(NSRegularExpression.escapedPattern(for: leaf))(?![A-Za-z0-9_])"
            if Self.groups("(\(pattern))", spans).isEmpty { undocumented.append(name) }
        }
        XCTAssertTrue(undocumented.isEmpty, "registered functions no docs page names (in backticks):\n" + undocumented.joined(separator: "\n"))
    }
}
