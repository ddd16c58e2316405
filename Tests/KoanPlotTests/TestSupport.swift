import Foundation
import XCTest
@testable import KoanPlot
#if canImport(FoundationXML)
import FoundationXML
import KoanTestSupport
#endif

/// Figures covering every kind and the awkward cases, by name.
func sampleFigures() throws -> [(String, Figure)] {
    var out: [(String, Figure)] = []
    var line = try Figure.line(x: nil, y: (0..<20).map { 2.3 * exp(-Double($0) / 6) + 0.1 }, name: "loss")
    line.title = "loss"; line.xLabel = "epoch"
    out.append(("line", line))
    var lines = try Figure.lines([("loss", (0..<20).map { 2.3 / Double($0 + 1) }),
                                  ("val_loss", (0..<20).map { 2.5 / Double($0 + 1) + 0.1 })])
    lines.title = "history"
    out.append(("lines", lines))
    out.append(("scatter", try Figure.scatter(x: [1, 2, 3, 4, 5], y: [2, -1, 4, 3, 0.5])))
    out.append(("bar", try Figure.bar(labels: ["cat", "dog", "bird"], values: [3, 5, -2])))
    out.append(("histogram", try Figure.histogram((0..<200).map { sin(Double($0)) * 3 }, bins: 12)))
    out.append(("heatmap", try Figure.heatmap([[5, 1, 0], [2, 7, 1], [0, 3, 9]],
                                              rowLabels: ["cat", "dog", "bird"], columnLabels: ["cat", "dog", "bird"])))
    var logAxes = try Figure.scatter(x: [1, 10, 100, 1000], y: [0.01, 0.1, 1, 10]).scaled(x: .log, y: .log)
    logAxes.title = "log-log"
    out.append(("log", logAxes))
    var logY = try Figure.line(x: nil, y: [1, 10, 100, 1000]).scaled(y: .log)
    logY.yLabel = "log y"
    out.append(("logY", logY))
    var facets = try Figure.lines([("a", [1, 2, 3]), ("b", [3, 2, 1]), ("c", [2, 2, 2]), ("d", [0, 1, 0])])
    facets.facetBySeries = true; facets.title = "facets"
    out.append(("facets", facets))
    var empty = Figure(); empty.title = "nothing"; empty.xLabel = "x"; empty.yLabel = "y"
    out.append(("empty", empty))
    out.append(("emptyLines", try Figure.lines([])))
    out.append(("emptySeries", try Figure.line(x: nil, y: [])))
    out.append(("emptyHeatmap", try Figure.heatmap([])))
    out.append(("emptyHistogram", try Figure.histogram([], bins: 3)))
    out.append(("nan", try Figure.line(x: nil, y: [1, .nan, 3, .infinity, 5, 4, -.infinity])))
    out.append(("allNaN", try Figure.scatter(x: [.nan, 1], y: [1, .nan])))
    out.append(("nanHeatmap", try Figure.heatmap([[1, .nan], [.infinity, 4]])))
    var escaped = try Figure.bar(labels: ["<&>", "\"quoted\" & 'single'", "a</text>b"], values: [1, 2, 3])
    escaped.title = "<script>&amp; \"x\""; escaped.xLabel = "x <&>"; escaped.yLabel = "y\n<&>"
    out.append(("escaped", escaped))
    var escapedSeries = try Figure.lines([("<&>", [1, 2]), ("a\"b", [2, 1]), ("<&>", [0, 0])])
    escapedSeries.title = "dup & <names>"
    out.append(("escapedSeries", escapedSeries))
    out.append(("escapedHeatmap", try Figure.heatmap([[1, 2]], rowLabels: ["<r&>"], columnLabels: ["<&>", "\"c\""])))
    let longLabels = (0..<12).map { "a rather long category label number \($0) <&>" }
    out.append(("longLabels", try Figure.bar(labels: longLabels, values: (0..<12).map(Double.init))))
    var mixed = Figure(series: [Series(name: "bars", x: [0, 1, 2], y: [1, 2, 3], kind: .bar),
                                Series(name: "trend", x: [0, 1, 2], y: [1.2, 2.1, 2.9], kind: .line),
                                Series(name: "pts", x: [0.5, 1.5], y: [1.5, 2.5], kind: .scatter)])
    mixed.title = "mixed"
    out.append(("mixed", mixed))
    var blues = try Figure.heatmap([[1, 2], [3, 4]], annotate: true)
    blues.heatmap?.colourScale = .blues
    out.append(("bluesHeatmap", blues))
    var tiny = try Figure.line(x: nil, y: [1, 2]); tiny.width = -5; tiny.height = 0
    out.append(("tinySize", tiny))
    out.append(("constant", try Figure.line(x: [3, 3], y: [7, 7])))
    out.append(("huge", try Figure.line(x: [-1e300, 1e300], y: [1e-300, 1e300])))
    return out
}

/// Runs `python` with `arguments`; returns exit status and combined output.
func runPython(_ python: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = [python] + arguments
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = pipe
    try p.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// Compiles and renders each spec with vl-convert in one python process; returns name → error for failures.
/// Without vl-convert-python it throws `pythonMissing`.
func vlConvertFailures(_ specs: [(String, String)]) throws -> [String: String] {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("koanplot-vl-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    for (name, spec) in specs {
        try spec.write(to: dir.appendingPathComponent(name + ".json"), atomically: true, encoding: .utf8)
    }
    let script = """
    import json, os, sys, vl_convert as vlc
    d = sys.argv[1]
    for f in sorted(os.listdir(d)):
        name = f[:-5]
        try:
            spec = json.load(open(os.path.join(d, f)))
            # the spec says Vega-Lite v5: check with the newest 5.x vl-convert ships, and its default
            v5 = [v for v in vlc.get_vegalite_versions() if v.startswith("5.")]
            for version in ([v5[-1]] if v5 else []) + [None]:
                kwargs = {"vl_version": version} if version else {}
                svg = vlc.vegalite_to_svg(spec, **kwargs)
                assert svg.lstrip().startswith("<svg"), "not an svg"
            print("OK", name)
        except Exception as e:
            print("FAIL", name, repr(e).replace("\\n", " ")[:400])
    """
    let (status, output) = try runPython(try oraclePython(importing: ["vl_convert"]), ["-c", script, dir.path])
    var failures: [String: String] = [:]
    var ok = Set<String>()
    for line in output.split(separator: "\n") {
        let parts = line.split(separator: " ", maxSplits: 2).map(String.init)
        if parts.first == "OK", parts.count > 1 { ok.insert(parts[1]) }
        if parts.first == "FAIL", parts.count > 1 { failures[parts[1]] = parts.count > 2 ? parts[2] : "" }
    }
    for (name, _) in specs where !ok.contains(name) && failures[name] == nil {
        failures[name] = "no result (python exit \(status)): \(output.suffix(500))"
    }
    return failures
}

/// Throws if `svg` is not well-formed XML with an `<svg>` root.
func assertWellFormedXML(_ svg: String, _ name: String, file: StaticString = #filePath, line: UInt = #line) {
    #if canImport(FoundationXML)
    do {
        let doc = try XMLDocument(xmlString: svg, options: [])
        XCTAssertEqual(doc.rootElement()?.name, "svg", name, file: file, line: line)
    } catch {
        XCTFail("\(name): SVG is not well-formed XML: \(error)", file: file, line: line)
    }
    #else
    XCTAssertTrue(simpleWellFormed(svg), "\(name): SVG is not well-formed", file: file, line: line)
    #endif
}

/// A small well-formedness check: balanced tags, quoted attributes, only known entities in text.
func simpleWellFormed(_ xml: String) -> Bool {
    var stack: [Substring] = []
    var s = Substring(xml)
    if s.hasPrefix("<?xml"), let end = s.range(of: "?>") { s = s[end.upperBound...] }
    let entities = ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"]
    var sawRoot = false
    while let lt = s.firstIndex(of: "<") {
        let text = s[..<lt]
        if text.contains(">") { return false }
        var t = text
        while let amp = t.firstIndex(of: "&") {
            guard entities.contains(where: { t[amp...].hasPrefix($0) }) else { return false }
            t = t[t.index(after: amp)...]
        }
        guard let gt = s[lt...].firstIndex(of: ">") else { return false }
        let tag = s[s.index(after: lt)..<gt]
        if tag.hasPrefix("/") {
            guard stack.popLast() == tag.dropFirst() else { return false }
        } else {
            let selfClosing = tag.hasSuffix("/")
            let body = selfClosing ? tag.dropLast() : tag
            let name = body.prefix { !$0.isWhitespace }
            guard !name.isEmpty, body.filter({ $0 == "\"" }).count % 2 == 0, !body.contains("<") else { return false }
            if stack.isEmpty && sawRoot { return false }
            sawRoot = true
            if !selfClosing { stack.append(name) }
        }
        s = s[s.index(after: gt)...]
    }
    return stack.isEmpty && sawRoot && s.allSatisfy { $0.isWhitespace }
}

/// Whether two colours are within `tolerance` on every channel.
func close(_ p: (r: UInt8, g: UInt8, b: UInt8, a: UInt8)?, _ hex: String, tolerance: Int = 8) -> Bool {
    guard let p, hex.count == 7, let v = Int(hex.dropFirst(), radix: 16) else { return false }
    let r = (v >> 16) & 0xff, g = (v >> 8) & 0xff, b = v & 0xff
    return abs(Int(p.r) - r) <= tolerance && abs(Int(p.g) - g) <= tolerance && abs(Int(p.b) - b) <= tolerance && p.a == 255
}
