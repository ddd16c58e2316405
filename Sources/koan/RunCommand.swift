import ArgumentParser
import Foundation
import JupyterKernel
import KoanLang

/// `koan run NB.ipynb`: executes a notebook in-process, headless, and writes the outputs.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Execute a notebook headless and write the executed copy.",
        discussion: "Parameters (-p NAME VALUE) are injected after the cell tagged `parameters`, as papermill does.")

    @ArgumentParser.Argument(help: "The notebook to run.") var notebook: String
    @Option(name: .shortAndLong, help: "Where to write the executed notebook (default: NAME.out.ipynb).") var output: String?
    /// Filled from `-p NAME VALUE` pairs, which `splitParameters` turns into `-p NAME -p VALUE`
    /// before parsing, so a VALUE may start with a dash (`-p lr -1e-3`).
    @Option(name: .customShort("p"), parsing: .unconditionalSingleValue, help: "NAME VALUE: a parameter (repeatable); values may be negative numbers.")
    var parameter: [String] = []

    /// `run nb.ipynb -p epochs -1` → `run nb.ipynb -p epochs -p -1`: each `-p` then takes the
    /// next word whatever it is, and a negative number is not read as an option.
    static func splitParameters(_ arguments: [String]) -> [String] {
        guard arguments.first == "run" else { return arguments }
        var out: [String] = [], i = 0
        while i < arguments.count {
            if arguments[i] == "-p", i + 2 < arguments.count {
                out += ["-p", arguments[i + 1], "-p", arguments[i + 2]]
                i += 3
            } else {
                out.append(arguments[i])
                i += 1
            }
        }
        return out
    }

    func validate() throws {
        if parameter.count % 2 != 0 { throw ValidationError("-p takes a NAME and a VALUE") }
    }

    func run() throws {
        guard FileManager.default.fileExists(atPath: notebook) else { throw fail("no such notebook: \(notebook)") }
        var nb: Notebook
        do { nb = try Notebook(path: notebook) } catch {
            throw fail("cannot read \(notebook) as a notebook: \(RunCommand.reason(error))")
        }
        let params = stride(from: 0, to: parameter.count, by: 2).map { (parameter[$0], parameter[$0 + 1]) }
        nb.inject(parameters: params)
        let fm = FileManager.default
        let written = output ?? (notebook.hasSuffix(".ipynb") ? String(notebook.dropLast(6)) : notebook) + ".out.ipynb"
        let outPath = absolute(written)
        let job = NotebookJob(notebook: nb)
        InterruptSignal.route { job.interpreter.interrupt() }
        // Cells run in the notebook's directory, as in Jupyter, nbclient and papermill, so a
        // notebook's relative paths (`read("data/corpus.txt")`) mean the same everywhere.
        let started = fm.currentDirectoryPath
        let directory = (absolute(notebook) as NSString).deletingLastPathComponent
        guard fm.changeCurrentDirectoryPath(directory) else { throw ValidationError("cannot enter \(directory)") }
        let code = onLargeStack { job.execute() }
        _ = fm.changeCurrentDirectoryPath(started)
        try job.notebook.write(to: outPath)
        if code != 0 { throw ExitCode(code) }
        print("wrote \(written)")
    }

    /// Writes one line on stderr; the error to throw for exit status 1 (no usage text: the
    /// command line was right).
    private func fail(_ message: String) -> ExitCode {
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
        return ExitCode.failure
    }

    /// A short reason for a file that could not be read: not Foundation's error dump.
    static func reason(_ error: Error) -> String {
        let ns = error as NSError
        if ns.domain == NSCocoaErrorDomain, let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if case DecodingError.dataCorrupted = error { return "it is not valid JSON" }
        if error is DecodingError { return "it is not an nbformat 4 notebook" }
        let text = "\(error)"
        return text.count > 200 ? String(text.prefix(200)) + "…" : text
    }

    /// `path` made absolute against the directory `koan run` started in.
    private func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(path)
    }
}

/// Runs every code cell in order with one interpreter; stops at the first error, except in
/// cells tagged `raises-exception`.
final class NotebookJob: @unchecked Sendable {
    var notebook: Notebook
    let interpreter = makeInterpreter()
    init(notebook: Notebook) { self.notebook = notebook }

    func execute() -> Int32 {
        var cells = notebook.cells
        var count = 0
        defer { notebook.cells = cells }
        for i in cells.indices where cells[i]["cell_type"] == .string("code") {
            count += 1
            let display = NotebookDisplay()
            let result = interpreter.execute(Notebook.source(of: cells[i]), cell: count, display: display)
            if let value = result.value { display.result(value, count: count) }
            if let e = result.error { display.error(e) }
            cells[i]["outputs"] = .array(display.outputs.map(JSONValue.object))
            cells[i]["execution_count"] = .int(count)
            // A cell tagged `raises-exception` is expected to fail (nbclient's and papermill's rule).
            if let e = result.error, !Notebook.tags(of: cells[i]).contains("raises-exception") {
                FileHandle.standardError.write(Data("\(e.rendered)\nkoan run: cell \(i + 1) (execution count \(count)) failed: \(e.ename): \(e.evalue)\n".utf8))
                return 1
            }
        }
        return 0
    }
}
