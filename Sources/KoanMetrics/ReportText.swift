import KoanMarkup
/// Text and HTML layout shared by scikit-learn's and seqeval's reports.
enum ReportText {
    static let headers = ["precision", "recall", "f1-score", "support"]

    /// `'{:>{width}s} ' + ' {:>9}' * 4`
    static func header(width: Int) -> String {
        var line = PyFormat.right("", width) + " "
        for header in headers { line += " " + PyFormat.right(header, 9) }
        return line
    }

    /// `'{:>{width}s} ' + ' {:>9.{digits}f}' * 3 + ' {:>9}'` (no newline).
    static func row(_ name: String, _ p: Double, _ r: Double, _ f: Double, _ support: String,
                    width: Int, digits: Int) -> String {
        var line = PyFormat.right(name, width) + " "
        for value in [p, r, f] { line += " " + PyFormat.right(PyFormat.fixed(value, digits: digits), 9) }
        return line + " " + PyFormat.right(support, 9)
    }

    /// scikit-learn's accuracy line: blank precision/recall columns.
    static func accuracyRow(_ value: Double, _ support: String, width: Int, digits: Int) -> String {
        PyFormat.right("accuracy", width) + " " + " " + PyFormat.right("", 9) + " " + PyFormat.right("", 9)
            + " " + PyFormat.right(PyFormat.fixed(value, digits: digits), 9) + " " + PyFormat.right(support, 9)
    }

    /// Column width: `max(len(names), len("weighted avg"), digits)`.
    static func width(names: [String], digits: Int) -> Int {
        max(names.map(PyFormat.length).max() ?? 0, PyFormat.length("weighted avg"), digits)
    }


    /// One HTML table row; `nil` cells are left empty.
    static func htmlRow(_ name: String, _ values: [Double?], _ support: Int, digits: Int, className: String? = nil) -> String {
        var html = className.map { "<tr class=\"\($0)\">" } ?? "<tr>"
        html += "<th>\(htmlEscaped(name))</th>"
        for value in values { html += "<td>\(value.map { PyFormat.fixed($0, digits: digits) } ?? "")</td>" }
        return html + "<td>\(support)</td></tr>"
    }

    static func htmlHead() -> String {
        "<thead><tr><th></th>" + headers.map { "<th>\($0)</th>" }.joined() + "</tr></thead>"
    }
}
