/// Inspection (Shift-Tab in Jupyter): signature and doc of builtins and members, or a
/// summary of a workspace binding.
extension Interpreter {
    /// Inspection at `cursor` (a Unicode-scalar offset); nil when nothing known is there.
    public func inspect(_ code: String, cursor: Int, detailLevel: Int) -> MimeBundle? {
        let text = ScalarText(code)
        let cursor = min(max(0, cursor), text.scalars.count)
        var start = text.identifierStart(before: cursor)
        var end = text.identifierEnd(from: cursor)
        if start == end, let open = openParen(text, before: cursor) {
            // On `print(|`: inspect the function being called.
            end = open
            start = text.identifierStart(before: open)
        }
        guard start < end else { return nil }
        let name = text.string(start, end)
        if start > 0, text.scalars[start - 1] == "." {
            return memberHelp(text, name: name, dot: start - 1).map { MimeBundle(plain: $0) }
        }
        if let g = workspace.existing(name), let value = g.value {
            if let def = g.function { return MimeBundle(plain: def.signature) }
            let kind = g.isLet ? "let" : "var"
            let shown = detailLevel > 0 ? value.debugDescription : value.summary(limit: 200)
            return MimeBundle(plain: "\(kind) \(name): \(g.type?.name ?? value.typeName)\n\(shown)")
        }
        if let help = registry.help(for: name), registry.functions[name] != nil || registry.constants[name] != nil {
            return MimeBundle(plain: help)
        }
        return nil
    }

    private func memberHelp(_ text: ScalarText, name: String, dot: Int) -> String? {
        let receiverStart = text.identifierStart(before: dot)
        let receiver = text.string(receiverStart, dot)
        if let c = registry.constants["\(receiver).\(name)"] { return "\(c.signature)\n\(c.doc)" }
        // `Tensor.randn(`: a static member, as `%help Tensor.randn` shows it.
        if registry.functions["\(receiver).\(name)"] != nil { return registry.help(for: "\(receiver).\(name)") }
        if let value = workspace.existing(receiver)?.value {
            let entries = registry.members(named: name, for: value)
            guard !entries.isEmpty else { return nil }
            return entries.map { "\($0.signature)\n\($0.doc)" }.joined(separator: "\n\n")
        }
        return registry.members[name] == nil ? nil : registry.help(for: name)
    }

    /// The offset of the `(` just before the cursor (ignoring spaces), if any.
    private func openParen(_ text: ScalarText, before cursor: Int) -> Int? {
        var i = cursor - 1
        while i >= 0, text.scalars[i] == " " { i -= 1 }
        return i >= 0 && text.scalars[i] == "(" ? i : nil
    }
}
