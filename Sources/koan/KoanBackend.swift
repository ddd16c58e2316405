import Foundation
import JupyterKernel
import KoanLang

/// The Koan language as a Jupyter `KernelBackend`: MIME bundles in, messages out.
final class KoanBackend: KernelBackend, @unchecked Sendable {
    let interpreter = makeInterpreter()
    let kernelInfo: KernelInfo

    init() {
        kernelInfo = KernelInfo(
            implementation: "koan",
            implementationVersion: KoanVersion.string,
            languageInfo: LanguageInfo(name: "koan", version: KoanVersion.string, mimetype: "text/x-koan",
                                       fileExtension: ".koan", pygmentsLexer: "swift", codemirrorMode: "swift"),
            banner: "Koan \(KoanVersion.full): Swift-syntax cells over one persistent workspace. %help for help.",
            helpLinks: [HelpLink(text: "The Swift Programming Language", url: "https://docs.swift.org/swift-book/")]
        )
    }

    func execute(code: String, executionCount: Int, userExpressions: [String: String], io: ExecutionIO) -> ExecuteOutcome {
        interpreter.cancellation.reset()
        let display = JupyterDisplay(io)
        let result = interpreter.execute(code, cell: executionCount, display: display)
        if let e = result.error {
            display.flush()
            // The last line names the error as IPython's tracebacks do (`TypeError: …`):
            // nbconvert and papermill print the traceback only, so that is where users see it.
            return .error(ename: e.ename, evalue: e.evalue, traceback: e.tracebackLines + ["\(e.ename): \(e.evalue)"])
        }
        var expressions: JSONObject = [:]
        for (name, expression) in userExpressions {
            switch interpreter.evaluate(expression: expression, display: display) {
            case .success(let bundle):
                expressions[name] = .object(["status": .string("ok"), "data": .object(bundle.json), "metadata": .object([:])])
            case .failure(let e):
                expressions[name] = .object(["status": .string("error"), "ename": .string(e.ename), "evalue": .string(e.evalue),
                                             "traceback": .array(e.tracebackLines.map(JSONValue.string))])
            }
        }
        display.flush()
        let pages = display.pages.map { page -> JSONValue in
            .object(["source": .string("page"), "data": .object(page.json), "start": .int(0)])
        }
        return .ok(result: result.value.map(\.json), userExpressions: expressions, payload: pages)
    }

    func complete(code: String, cursorPos: Int) -> CompleteReply {
        let c = interpreter.complete(code, cursor: cursorPos)
        return CompleteReply(matches: c.matches, cursorStart: c.start, cursorEnd: c.end)
    }

    func inspect(code: String, cursorPos: Int, detailLevel: Int) -> InspectReply {
        guard let bundle = interpreter.inspect(code, cursor: cursorPos, detailLevel: detailLevel) else {
            return InspectReply(found: false, data: [:])
        }
        return InspectReply(found: true, data: bundle.json)
    }

    func isComplete(code: String) -> IsCompleteReply {
        switch interpreter.completeness(of: code) {
        case .complete: return IsCompleteReply(status: "complete")
        case .incomplete(let indent): return IsCompleteReply(status: "incomplete", indent: indent)
        case .invalid: return IsCompleteReply(status: "invalid")
        }
    }

    func interrupt() { interpreter.interrupt() }
}

extension MimeBundle {
    /// The bundle as a Jupyter `data` object: JSON types are embedded as JSON, the rest as strings.
    var json: JSONObject {
        var out: JSONObject = [:]
        for (mime, value) in data {
            switch value {
            case .text(let s): out[mime] = .string(s)
            case .json(let s): out[mime] = (try? JSONValue.parse(s)) ?? .string(s)
            }
        }
        return out
    }
}

/// A cell's `Display` on Jupyter. Printed text is buffered briefly and sent as few stream
/// messages (as ipykernel does); anything else flushes it first so order is kept.
final class JupyterDisplay: Display {
    private let io: ExecutionIO
    /// Help text for the pager, sent as `page` payloads in the execute reply.
    private(set) var pages: [MimeBundle] = []
    private var pending: [(KoanLang.OutputStream, String)] = []
    private var pendingBytes = 0
    private var lastFlush = DispatchTime.now().uptimeNanoseconds

    init(_ io: ExecutionIO) { self.io = io }

    func write(_ text: String, to stream: KoanLang.OutputStream) {
        if let last = pending.last, last.0 == stream {
            pending[pending.count - 1].1 += text
        } else {
            pending.append((stream, text))
        }
        pendingBytes += text.utf8.count
        let now = DispatchTime.now().uptimeNanoseconds
        if pendingBytes > 1 << 16 || now - lastFlush > 50_000_000 { flush() }
    }

    func flush() {
        for (stream, text) in pending { io.stream(stream == .stdout ? "stdout" : "stderr", text) }
        pending = []; pendingBytes = 0
        lastFlush = DispatchTime.now().uptimeNanoseconds
    }

    func show(_ bundle: MimeBundle, displayID: String?, update: Bool) {
        flush()
        io.display(data: bundle.json, metadata: [:], displayID: displayID, update: update)
    }

    func clearOutput(wait: Bool) {
        flush()
        io.clearOutput(wait: wait)
    }

    func readLine(prompt: String, password: Bool) throws -> String {
        flush()
        return try io.input(prompt: prompt, password: password)
    }

    func page(_ bundle: MimeBundle) { pages.append(bundle) }
}
