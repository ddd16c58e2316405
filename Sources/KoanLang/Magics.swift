import KoanMarkup

/// Magic lines: `%workspace`, `%who`, `%time <stmt>`, `%reset`, `%help <name>`, and those
/// extensions register (the library's `%seed N`, `%threads N`, `%memory [LIMIT]`).
extension Interpreter {
    static let coreMagicNames = ["workspace", "who", "time", "reset", "help"]

    /// Every magic a cell may use (completion).
    var magicNames: [String] { Interpreter.coreMagicNames + registry.magics.keys.sorted() }

    func runMagic(_ text: String, line: Int, source: CellSource, cell: Int, display: Display,
                  declared: inout [String: Bool]) throws -> Value? {
        let scalars = Array(text.unicodeScalars)
        let percent = scalars.firstIndex(of: "%") ?? 0
        var nameEnd = percent + 1
        while nameEnd < scalars.count, ScalarText.isIdentifierScalar(scalars[nameEnd]) { nameEnd += 1 }
        let name = String(String.UnicodeScalarView(scalars[(percent + 1)..<nameEnd]))
        let argument = String(String.UnicodeScalarView(scalars[nameEnd...])).trimmingSpaces
        let span = Span(cell: cell, line: line, column: percent + 1, endLine: line, endColumn: nameEnd + 1)

        switch name {
        case "workspace":
            display.show(workspaceTable(), displayID: nil, update: false)
            return nil
        case "who":
            let names = workspace.names
            display.write((names.isEmpty ? "the workspace is empty" : names.joined(separator: "  ")) + "\n", to: .stdout)
            return nil
        case "reset":
            workspace.reset()
            declared = [:]
            return nil
        case "help":
            guard !argument.isEmpty else {
                display.page(MimeBundle(plain: helpOverview()))
                return nil
            }
            guard let help = helpText(for: argument) else {
                throw KoanError.failure(.name, "no help for '\(argument)': it is not a builtin, member or workspace name", at: span)
            }
            display.page(MimeBundle(plain: help))
            return nil
        case "time":
            guard !argument.isEmpty else {
                throw KoanError.failure(.value, "usage: %time <statement>", at: span)
            }
            // The statement keeps its columns: the magic's name is blanked, not removed.
            var lines = source.text.split(separator: "\n", omittingEmptySubsequences: false).map { _ in "" }
            let blanked = String(repeating: " ", count: nameEnd) + String(String.UnicodeScalarView(scalars[nameEnd...]))
            lines[line - 1] = blanked
            let clock = ContinuousClock()
            let start = clock.now
            let value = try runSwift(lines.joined(separator: "\n"), cell: cell, display: display, declared: &declared).value
            let elapsed = clock.now - start
            display.write("wall time: \(Interpreter.format(elapsed))\n", to: .stdout)
            return value
        default:
            guard let magic = registry.magics[name] else {
                throw KoanError.failure(.unsupported, "unknown magic '%\(name)'", at: span)
            }
            do { try magic.run(argument, display) } catch { throw error.positioned(span) }
            return nil
        }
    }

    /// `%%time` (the only cell magic): runs the rest of the cell and prints its wall time,
    /// as IPython's `%%time` does; the cell's value is the rest's value.
    func runCellMagic(_ name: String, line: Int, body: CellSource, cell: Int, display: Display) throws -> Value? {
        guard name == "time" else {
            let span = Span(cell: cell, line: line, column: 1, endLine: line, endColumn: 3 + name.count)
            throw KoanError.failure(.unsupported, "unknown cell magic '%%\(name)'; Koan's cell magic is %%time (line magics: %help)", at: span)
        }
        let clock = ContinuousClock()
        let start = clock.now
        let value = try run(body, cell: cell, display: display)
        display.write("wall time: \(Interpreter.format(clock.now - start))\n", to: .stdout)
        return value
    }

    /// "4GiB", "512 MiB", "1.5GB", "1000000" → bytes (binary and decimal units).
    package static func parseBytes(_ text: String) -> Int? {
        let t = String(text.filter { $0 != " " })
        let units: [(String, Double)] = [("TiB", 0x1p40), ("GiB", 0x1p30), ("MiB", 0x1p20), ("KiB", 0x1p10),
                                         ("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("KB", 1e3), ("B", 1)]
        for (suffix, scale) in units where t.hasSuffix(suffix) {
            guard let v = Double(t.dropLast(suffix.count)), v > 0, v * scale < 0x1p62 else { return nil }
            return Int(v * scale)
        }
        guard let n = Int(t), n > 0 else { return nil }
        return n
    }

    /// "1.23 ms", "45.6 µs", "2.35 s"
    static func format(_ d: Duration) -> String {
        let (seconds, attoseconds) = d.components
        let total = Double(seconds) + Double(attoseconds) / 1e18
        func fixed(_ x: Double) -> String { PyFormat.fixed(x, digits: 2) }
        if total >= 1 { return "\(fixed(total)) s" }
        if total >= 1e-3 { return "\(fixed(total * 1e3)) ms" }
        return "\(fixed(total * 1e6)) µs"
    }

    /// `%help` alone: the magics, and how to ask about a name.
    func helpOverview() -> String {
        var lines = ["Koan: Swift-syntax cells over one persistent workspace.", "",
                     "%help <name>        the signature and documentation of a function, type, member or binding",
                     "                    (%help Tensor.randn, %help fit, %help mlp)",
                     "%workspace, %who    what the workspace holds",
                     "%time <statement>   the wall time of one statement; %%time on a cell's first line times the cell",
                     "%reset              empties the workspace"]
        for name in registry.magics.keys.sorted() {
            guard let m = registry.magics[name] else { continue }
            lines.append(m.usage + String(repeating: " ", count: max(1, 20 - m.usage.count)) + m.doc)
        }
        lines += ["", "Tab completes names and members; Shift-Tab shows the signature under the cursor.",
                  "Documentation: docs/language.md in the Koan repository."]
        return lines.joined(separator: "\n")
    }

    /// Signature and doc of a builtin or member, or a summary of a workspace name.
    func helpText(for name: String) -> String? {
        if let g = workspace.existing(name), let value = g.value {
            if let def = g.function { return def.signature }
            return "\(g.isLet ? "let" : "var") \(name): \(g.type?.name ?? value.typeName) = \(value.summary())"
        }
        return registry.help(for: name)
    }

    /// `%workspace`: every binding with its kind, type, and for tensors shape, dtype and
    /// bytes; other values get a short summary.
    func workspaceTable() -> MimeBundle {
        let rows: [[String]] = workspace.bound.compactMap { g in
            guard let value = g.value else { return nil }
            if let def = g.function { return [g.name, "func", def.typeText, "", "", "", def.signature] }
            let kind = g.isLet ? "let" : "var"
            let type = g.type?.name ?? value.typeName
            if case .object(let o as any ShapedObject) = value {
                return [g.name, kind, type, o.shapeText, o.dtypeText, "\(o.byteCount)", ""]
            }
            return [g.name, kind, type, "", "", "", value.summary()]
        }
        if rows.isEmpty {
            return MimeBundle(["text/plain": .text("the workspace is empty"),
                               "text/html": .text("<p>the workspace is empty</p>")])
        }
        let header = ["name", "kind", "type", "shape", "dtype", "bytes", "value"]
        // Tensor columns only when some binding is a tensor.
        let columns = rows.contains { !$0[3].isEmpty } ? Array(0..<7) : [0, 1, 2, 6]
        let table = ([header] + rows).map { r in columns.map { r[$0] } }
        let plain = textTable(table).joined(separator: "\n")
        var html = "<table><thead><tr>" + table[0].map { "<th>\($0)</th>" }.joined() + "</tr></thead><tbody>"
        for r in table.dropFirst() {
            html += "<tr>" + r.map { "<td><code>\(htmlEscaped($0))</code></td>" }.joined() + "</tr>"
        }
        html += "</tbody></table>"
        return MimeBundle(["text/plain": .text(plain), "text/html": .text(html)])
    }
}
