import KoanTensor

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
    /// The generator unseeded `Tensor.randn` and friends draw from; survives `%reset`.
    let random = RandomState()

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

/// The workspace's random stream: `%seed N` sets the seed and restarts the counter; each
/// unseeded draw takes the next stream of that seed (counter-based, so a draw never depends
/// on the thread count, and rerunning a notebook from `%seed` repeats its numbers).
final class RandomState {
    private(set) var seed: UInt64 = 0
    private var counter: UInt64 = 0

    func reseed(_ seed: UInt64) {
        self.seed = seed
        counter = 0
    }

    func next() -> RandomKey {
        defer { counter &+= 1 }
        return RandomKey(seed: seed, stream: counter &+ 1)
    }
}
