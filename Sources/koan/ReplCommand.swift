import ArgumentParser
import Foundation
import KoanLang

/// `koan repl`: the engine in a terminal; multi-line input is driven by `completeness(of:)`.
struct ReplCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "repl", abstract: "An interactive Koan session in the terminal.")

    func run() throws {
        let repl = Repl()
        // Route SIGINT on the main thread, before any other thread starts.
        InterruptSignal.route { repl.interpreter.interrupt() }
        let code = onLargeStack { repl.loop() }
        if code != 0 { throw ExitCode(code) }
    }
}

final class Repl: @unchecked Sendable {
    let interpreter = makeInterpreter()

    func loop() -> Int32 {
        FileHandle.standardOutput.write(Data("Koan \(KoanVersion.string) — :quit or Ctrl-D to leave\n".utf8))
        let display = TerminalDisplay()
        var count = 0
        var buffer = ""
        while true {
            prompt(buffer.isEmpty ? "koan> " : "...> ")
            guard let line = readLine(strippingNewline: true) else {
                print("")
                return 0
            }
            if buffer.isEmpty && line.trimmingCharacters(in: .whitespaces) == ":quit" { return 0 }
            buffer += buffer.isEmpty ? line : "\n" + line
            if buffer.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { buffer = ""; continue }
            if case .incomplete = interpreter.completeness(of: buffer) { continue }
            count += 1
            interpreter.cancellation.reset()
            display.beginCell()
            let result = interpreter.execute(buffer, cell: count, display: display)
            buffer = ""
            if let value = result.value { display.show(value, displayID: nil, update: false) }
            if let e = result.error { FileHandle.standardError.write(Data((e.rendered + "\n").utf8)) }
        }
    }

    private func prompt(_ p: String) {
        FileHandle.standardOutput.write(Data(p.utf8))
    }
}

/// A `Display` on a terminal: text as it comes, rich values as their text/plain; a value
/// with a PNG form (a figure) is also written to a temporary file whose path is printed,
/// so a terminal user can open the picture.
final class TerminalDisplay: Display {
    private var figures = 0
    /// The display id of the last single-line output, which an update may overwrite in place.
    private var liveLine: String?
    /// Whether stdout is a terminal (in-place updates need one; pipes get one line per update).
    private let isTTY = isatty(STDOUT_FILENO) != 0

    func write(_ text: String, to stream: KoanLang.OutputStream) {
        liveLine = nil
        (stream == .stdout ? FileHandle.standardOutput : FileHandle.standardError).write(Data(text.utf8))
    }
    /// A new cell starts below the prompt: nothing above may be rewritten.
    func beginCell() { liveLine = nil }

    func show(_ bundle: MimeBundle, displayID: String?, update: Bool) {
        // A progress line: an update of the last shown one-line display rewrites it in place.
        if update, isTTY, let id = displayID, liveLine == id, !bundle.plainText.contains("\n") {
            FileHandle.standardOutput.write(Data("\u{1B}[1A\r\u{1B}[2K\(bundle.plainText)\n".utf8))
            return
        }
        liveLine = displayID != nil && !bundle.plainText.contains("\n") ? displayID : nil
        var text = bundle.plainText
        if case .text(let encoded)? = bundle.data["image/png"], let png = Data(base64Encoded: encoded) {
            figures += 1
            let path = FileManager.default.temporaryDirectory
                .appendingPathComponent("koan-\(getpid())-figure-\(figures).png").path
            if FileManager.default.createFile(atPath: path, contents: png) { text += "\n[figure: \(path)]" }
        }
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }
    func clearOutput(wait: Bool) {}
    func readLine(prompt: String, password: Bool) throws -> String {
        FileHandle.standardOutput.write(Data(prompt.utf8))
        return Swift.readLine(strippingNewline: true) ?? ""
    }
}
