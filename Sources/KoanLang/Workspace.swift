/// Every top-level binding, persistent across cells. A name keeps one `Global` for the
/// life of the workspace (until `%reset`), so code lowered earlier sees redeclarations.
///
/// ```swift
/// let g = workspace.global("x")   // created on first use, unbound until declared
/// ```
final class Workspace {
    private(set) var globals: [String: Global] = [:]
    /// Names in order of first declaration (for `%workspace`).
    private var order: [String] = []

    func global(_ name: String) -> Global {
        if let g = globals[name] { return g }
        let g = Global(name: name)
        globals[name] = g
        order.append(name)
        return g
    }

    func existing(_ name: String) -> Global? { globals[name] }

    /// Bound names, in declaration order.
    var names: [String] { order.filter { globals[$0]?.value != nil } }

    var bound: [Global] { names.compactMap { globals[$0] } }

    func reset() {
        for g in globals.values { g.value = nil; g.function = nil }
        globals = [:]
        order = []
    }
}
