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
    @Option(name: .customShort("p"), parsing: .upToNextOption, help: "NAME VALUE: a parameter (repeatable).")
    var parameter: [String] = []

    func validate() throws {
        if parameter.count % 2 != 0 { throw ValidationError("-p takes a NAME and a VALUE") }
    }

    func run() throws {
        var nb: Notebook
        do { nb = try Notebook(path: notebook) } catch { throw ValidationError("cannot read \(notebook): \(error)") }
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
