import KoanTokenizers
import Foundation
import XCTest
import KoanTestSupport

enum Fixtures {
    static func url(_ name: String) throws -> URL {
        guard let u = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures") else {
            throw XCTSkip("missing fixture \(name)")
        }
        return u
    }

    static func goldens() throws -> [String: Any] {
        let data = try Data(contentsOf: try url("tokenizers_goldens.json"))
        guard let d = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw NSError(domain: "goldens", code: 1)
        }
        return d
    }

    static func lines() throws -> [String] {
        try goldens()["lines"] as? [String] ?? []
    }
}

/// Saves `tok` as tokenizer.json, encodes `lines` with Hugging Face `tokenizers` in a Python
/// subprocess (`Tokenizer.from_file`), and checks that Koan reloads its own file identically.
/// Python or its `tokenizers` package missing: `pythonMissing` (a failure under KOAN_PYTHON or CI).
func huggingFaceEncodings(of tok: Tokenizer, _ lines: [String]) throws -> (ids: [[Int]], decoded: [String], reloaded: Bool) {
    let dir = NSTemporaryDirectory() + "koan-tok-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let tokPath = dir + "/tokenizer.json", linesPath = dir + "/lines.json", outPath = dir + "/out.json"
    try tok.save(tokPath)
    try JSONSerialization.data(withJSONObject: lines).write(to: URL(fileURLWithPath: linesPath))
    let script = """
    import json, sys
    from tokenizers import Tokenizer
    t = Tokenizer.from_file(sys.argv[1])
    lines = json.load(open(sys.argv[2], encoding="utf-8"))
    out = {"ids": [t.encode(l).ids for l in lines], "decoded": [t.decode(t.encode(l).ids) for l in lines]}
    json.dump(out, open(sys.argv[3], "w", encoding="utf-8"))
    """
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = [try oraclePython(importing: ["tokenizers"]), "-c", script, tokPath, linesPath, outPath]
    p.currentDirectoryURL = URL(fileURLWithPath: dir)
    try p.run()
    p.waitUntilExit()
    guard p.terminationStatus == 0 else { throw TokenizerError.invalidArgument("the Hugging Face subprocess failed (status \(p.terminationStatus))") }
    let out = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: outPath))) as? [String: Any] ?? [:]
    let back = try Tokenizer.load(tokPath)
    let reloaded = lines.allSatisfy { back.encoding($0) == tok.encoding($0) }
    return (out["ids"] as? [[Int]] ?? [], out["decoded"] as? [String] ?? [], reloaded)
}

