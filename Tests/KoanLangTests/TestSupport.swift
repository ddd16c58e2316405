import Foundation
@testable import KoanLang

/// A `Display` that records everything, can feed `readLine`, and can interrupt the
/// interpreter after a number of writes (to test cancellation without threads).
final class RecordingDisplay: Display {
    var stdout = ""
    var stderr = ""
    var writes = 0
    var shown: [(bundle: MimeBundle, id: String?, update: Bool)] = []
    var clears: [Bool] = []
    var input: [String]?
    var prompts: [String] = []
    var cancelAfterWrites: Int?
    weak var interpreter: Interpreter?

    func write(_ text: String, to stream: KoanLang.OutputStream) {
        if stream == .stdout { stdout += text } else { stderr += text }
        writes += 1
        if let n = cancelAfterWrites, writes >= n { interpreter?.interrupt() }
    }

    func show(_ bundle: MimeBundle, displayID: String?, update: Bool) {
        shown.append((bundle, displayID, update))
    }

    func clearOutput(wait: Bool) { clears.append(wait) }

    struct NoStdin: Error {}

    func readLine(prompt: String, password: Bool) throws -> String {
        prompts.append(prompt)
        guard var lines = input, !lines.isEmpty else { throw NoStdin() }
        let line = lines.removeFirst()
        input = lines
        return line
    }
}

/// Runs `body` on a thread with a 512 MiB stack (as the kernel does) and waits for it.
final class ThreadBox<T>: @unchecked Sendable {
    var body: (() -> T)?
    var result: T?
}

func onBigStack<T>(_ body: @escaping () -> T) -> T {
    let box = ThreadBox<T>()
    box.body = body
    let done = DispatchSemaphore(value: 0)
    let thread = Thread {
        box.result = box.body?()
        done.signal()
    }
    thread.stackSize = 512 << 20
    thread.start()
    done.wait()
    guard let result = box.result else { preconditionFailure("thread did not produce a result") }
    return result
}

/// Runs one cell on a big stack.
func runCell(_ interpreter: Interpreter, _ code: String, cell: Int = 1, display: RecordingDisplay = RecordingDisplay())
    -> ExecutionResult {
    final class Pair: @unchecked Sendable {
        let interpreter: Interpreter
        let display: RecordingDisplay
        init(_ i: Interpreter, _ d: RecordingDisplay) { interpreter = i; display = d }
    }
    let pair = Pair(interpreter, display)
    return onBigStack { pair.interpreter.execute(code, cell: cell, display: pair.display) }
}
