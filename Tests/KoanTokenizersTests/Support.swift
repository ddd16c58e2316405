import KoanTokenizers
import Foundation
import XCTest

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
/// Skips only when python3 or the `tokenizers` package is missing.
func huggingFaceEncodings(of tok: Tokenizer, _ lines: [String]) throws -> (ids: [[Int]], decoded: [String], reloaded: Bool) {
    let dir = NSTemporaryDirectory() + "koan-tok-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let tokPath = dir + "/tokenizer.json", linesPath = dir + "/lines.json", outPath = dir + "/out.json"
    try tok.save(tokPath)
    try JSONSerialization.data(withJSONObject: lines).write(to: URL(fileURLWithPath: linesPath))
    let script = """
    import json, sys
    try:
        from tokenizers import Tokenizer
    except ImportError:
        sys.exit(77)
    t = Tokenizer.from_file(sys.argv[1])
    lines = json.load(open(sys.argv[2], encoding="utf-8"))
    out = {"ids": [t.encode(l).ids for l in lines], "decoded": [t.decode(t.encode(l).ids) for l in lines]}
    json.dump(out, open(sys.argv[3], "w", encoding="utf-8"))
    """
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3", "-c", script, tokPath, linesPath, outPath]
    p.currentDirectoryURL = URL(fileURLWithPath: dir)
    do { try p.run() } catch { throw XCTSkip("python3 not runnable: \(error)") }
    p.waitUntilExit()
    if p.terminationStatus == 77 { throw XCTSkip("python package tokenizers not installed") }
    guard p.terminationStatus == 0 else { throw TokenizerError.invalidArgument("the Hugging Face subprocess failed (status \(p.terminationStatus))") }
    let out = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: outPath))) as? [String: Any] ?? [:]
    let back = try Tokenizer.load(tokPath)
    let reloaded = lines.allSatisfy { back.encoding($0) == tok.encoding($0) }
    return (out["ids"] as? [[Int]] ?? [], out["decoded"] as? [String] ?? [], reloaded)
}
