/// Compile-time scopes of the lowering pass: which name is which slot.

/// The locals of one function (or of a cell's top level) being lowered.
final class FunctionScope {
    let parent: FunctionScope?
    /// Innermost block last. For the top level, block 0 holds no names: its
    /// declarations are workspace globals.
    var blocks: [[String: LocalVar]] = [[:]]
    var slotCount = 0
    /// Captured outer variables and the local each is reached through.
    var captures: [(outer: LocalVar, inner: LocalVar)] = []
    let isTopLevel: Bool
    /// For closures: `$0`, `$1`, ... by index.
    var implicitParameters: [Int: LocalVar] = [:]
    let isClosure: Bool
    /// Labels of enclosing loops (nil for unlabeled), to check `break`/`continue`.
    var loops: [String?] = []
    /// Depth of enclosing `switch` statements (a plain `break` may leave them).
    var switches = 0
    var switchLabels: [String] = []
    /// The declared return type of the function, the context of its `return` values.
    var returnType: TypeAnn?

    init(parent: FunctionScope?, isTopLevel: Bool, isClosure: Bool) {
        self.parent = parent; self.isTopLevel = isTopLevel; self.isClosure = isClosure
    }

    /// True where declarations become workspace globals.
    var atGlobalLevel: Bool { isTopLevel && blocks.count == 1 }

    func newSlot() -> Int {
        slotCount += 1
        return slotCount - 1
    }

    func declare(_ name: String, isLet: Bool, type: TypeAnn?) -> LocalVar {
        let v = LocalVar(name: name, slot: newSlot(), isLet: isLet, type: type)
        if name != "_" { blocks[blocks.count - 1][name] = v }
        return v
    }

    func isDeclaredInCurrentBlock(_ name: String) -> Bool { blocks[blocks.count - 1][name] != nil }

    /// A local of this function, or an outer function's local captured into this one.
    func lookup(_ name: String) -> LocalVar? {
        for block in blocks.reversed() {
            if let v = block[name] { return v }
        }
        if let c = captures.first(where: { $0.inner.name == name }) { return c.inner }
        guard let parent, let outer = parent.lookup(name) else { return nil }
        outer.boxed = true
        let inner = LocalVar(name: name, slot: newSlot(), isLet: outer.isLet, type: outer.type)
        inner.boxed = true
        captures.append((outer, inner))
        return inner
    }

    /// Every visible local name (for "did you mean" suggestions).
    var visibleNames: [String] {
        blocks.flatMap { $0.keys } + captures.map(\.inner.name) + (parent?.visibleNames ?? [])
    }
}

/// The Levenshtein distance between two short strings (for "did you mean").
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    for i in 1...a.count {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[b.count]
}

/// The closest candidate within edit distance 1...2, if any.
func suggestion(for name: String, among candidates: [String]) -> String? {
    var best: (String, Int)?
    for c in Set(candidates) where c != name {
        let d = editDistance(name, c)
        guard d >= 1, d <= 2 else { continue }
        if let b = best, d > b.1 || (d == b.1 && c >= b.0) { continue }
        best = (c, d)
    }
    return best?.0
}
