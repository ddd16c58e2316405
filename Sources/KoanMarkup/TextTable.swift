/// Rows laid out as plain-text columns: each cell padded to its column's width (numbers
/// right-aligned where asked), two spaces between columns, no trailing spaces. The one
/// layout of every text table a cell shows (`%workspace`, a run's epochs, `model.parameters`).
///
///     textTable([["path", "count"], ["0.weight", "12"]], rightAligned: [1])
///     // ["path      count", "0.weight     12"]
public func textTable(_ rows: [[String]], rightAligned: Set<Int> = []) -> [String] {
    let columns = rows.map(\.count).max() ?? 0
    let widths = (0..<columns).map { c in rows.map { c < $0.count ? $0[c].count : 0 }.max() ?? 0 }
    return rows.map { row in
        var line = row.enumerated().map { c, cell in
            let pad = String(repeating: " ", count: widths[c] - cell.count)
            return rightAligned.contains(c) ? pad + cell : cell + pad
        }.joined(separator: "  ")
        while line.last == " " { line.removeLast() }
        return line
    }
}
