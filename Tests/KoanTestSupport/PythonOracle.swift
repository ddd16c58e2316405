import Foundation
import XCTest

// Python oracles for the tests that check Koan against NumPy, safetensors, tokenizers and
// vl-convert: `make test` sets KOAN_PYTHON to the project's .venv, which has exactly what
// requirements-test.txt declares. Only test targets depend on this target.


/// The interpreter named by KOAN_PYTHON (else `python3` on PATH), after checking that it
/// imports every module in `modules`; run it as `/usr/bin/env <python> args…`.
public func oraclePython(importing modules: [String]) throws -> String {
    let python = ProcessInfo.processInfo.environment["KOAN_PYTHON"].flatMap { $0.isEmpty ? nil : $0 } ?? "python3"
    let p = Process(), err = Pipe()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = [python, "-c", "import " + modules.joined(separator: ", ")]
    p.standardOutput = FileHandle.nullDevice
    p.standardError = err
    do { try p.run() } catch { throw pythonMissing("\(python) cannot be started: \(error)") }
    let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    if p.terminationStatus == 127 { throw pythonMissing("the Python interpreter \(python) was not found") }
    guard p.terminationStatus == 0 else {
        let last = message.split(separator: "\n").last.map(String.init) ?? "exit \(p.terminationStatus)"
        throw pythonMissing("\(python) cannot import \(modules.joined(separator: ", ")) (\(last)): declare the missing package in requirements-test.txt")
    }
    return python
}

/// What a test throws when Python or a package is missing: a failure when KOAN_PYTHON is
/// set or CI=true (the declared environment must have it), a skip for a plain `swift test`.
public func pythonMissing(_ message: String) -> Error {
    struct Missing: Error, CustomStringConvertible { var description: String }
    let env = ProcessInfo.processInfo.environment
    let strict = !(env["KOAN_PYTHON"] ?? "").isEmpty || ["true", "1"].contains(env["CI"]?.lowercased() ?? "")
    return strict ? Missing(description: message) : XCTSkip(message + " (make test provides it)")
}
