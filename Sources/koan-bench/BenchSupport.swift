// What every koan-bench mode shares: option parsing, the JSON report, timing and memory.
import Foundation
import KoanLang
import KoanLibrary

/// A mistake in a koan-bench invocation or a failed workload, reported in the JSON output.
struct BenchError: Error, CustomStringConvertible {
    let description: String
}

/// The `--name value` options of a mode, each read with its type, default and allowed values.
///
///     let o = try BenchOptions(["--epochs", "5"], known: ["--epochs"])
///     try o.positiveInt("--epochs", 20)   // 5
struct BenchOptions {
    private var values: [String: String] = [:]

    init(_ args: [String], known: Set<String>) throws {
        var i = 0
        while i < args.count {
            let name = args[i]
            guard known.contains(name) else { throw BenchError(description: "unknown argument '\(name)'") }
            guard i + 1 < args.count else { throw BenchError(description: "\(name) needs a value") }
            values[name] = args[i + 1]
            i += 2
        }
    }

    func text(_ name: String, _ fallback: String, oneOf allowed: [String]) throws -> String {
        let v = values[name] ?? fallback
        guard allowed.contains(v) else {
            throw BenchError(description: "\(name) is one of \(allowed.joined(separator: ", ")), got '\(v)'")
        }
        return v
    }

    func positiveInt(_ name: String, _ fallback: Int) throws -> Int {
        guard let text = values[name] else { return fallback }
        guard let n = Int(text), n > 0 else { throw BenchError(description: "\(name) needs a positive integer, got '\(text)'") }
        return n
    }

    func positiveDouble(_ name: String, _ fallback: Double) throws -> Double {
        guard let text = values[name] else { return fallback }
        guard let x = Double(text), x > 0 else { throw BenchError(description: "\(name) needs a positive number, got '\(text)'") }
        return x
    }
}

/// Prints the mode's result as one JSON line, or `{"error": ...}`: the Python side reads the
/// last line and reports an error itself, so a failure never ends the process abruptly.
func reportJSON(_ body: () throws -> [String: Any]) {
    var out: [String: Any]
    do { out = try body() } catch { out = ["error": "\(error)"] }
    if let data = try? JSONSerialization.data(withJSONObject: out, options: [.sortedKeys]) {
        print(String(decoding: data, as: UTF8.self))
    }
}

/// A display that keeps what cells print and drops the rest.
final class CapturingDisplay: Display {
    var text = ""
    func write(_ text: String, to stream: KoanLang.OutputStream) { self.text += text }
    func show(_ bundle: MimeBundle, displayID: String?, update: Bool) {}
    func clearOutput(wait: Bool) {}
    func readLine(prompt: String, password: Bool) throws -> String { "" }
}

/// Runs Koan cells on one interpreter, throwing the rendered error of a failed cell.
final class CellRunner {
    let interpreter = Interpreter(extensions: [KoanLibrary()])
    let display = CapturingDisplay()
    private var number = 0

    func run(_ code: String) throws {
        number += 1
        let r = interpreter.execute(code, cell: number, display: display)
        if let e = r.error { throw BenchError(description: "cell \(number) failed: \(e.rendered)") }
    }
}

func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

/// Median seconds of `body` over `repeats` runs after one warm-up.
func median(_ repeats: Int, _ body: () throws -> Void) rethrows -> Double {
    try body()
    var times: [Double] = []
    let clock = ContinuousClock()
    for _ in 0..<repeats {
        let start = clock.now
        try body()
        times.append(seconds(clock.now - start))
    }
    times.sort()
    return times[times.count / 2]
}

/// A size field of /proc/self/status in KiB (`VmHWM`: peak resident set; `VmRSS`: current), or 0.
func procStatusKiB(_ field: String) -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix(field + ":") {
        return Int(String(line.dropFirst(field.count + 1).filter(\.isNumber))) ?? 0
    }
    return 0
}

/// `getrusage` max RSS in KiB (Linux reports kilobytes).
func maxRSSKiB() -> Int {
    var usage = rusage()
    guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return 0 }
    return Int(usage.ru_maxrss)
}
