import KoanTensor

/// One parsed CSV record: its fields and the 1-based line it starts on.
struct CSVRecord {
    var fields: [String]
    var line: Int
}

/// An RFC 4180 style parser: `"`-quoted fields may hold the delimiter, newlines and `""`
/// (an escaped quote); `\r\n` and `\n` both end a record; blank lines are skipped.
///
///     let records = try CSVParser.parse("a,b\n\"1,5\",2\r\n\n", delimiter: ",", path: "x.csv")
///     // [["a", "b"] @1, ["1,5", "2"] @2]
enum CSVParser {
    static func parse(_ text: String, delimiter: Character, path: String) throws -> [CSVRecord] {
        let delim = delimiter.unicodeScalars.first!
        let quote: Unicode.Scalar = "\"", lf: Unicode.Scalar = "\n", cr: Unicode.Scalar = "\r"
        let scalars = Array(text.unicodeScalars)
        var records: [CSVRecord] = []
        var fields: [String] = []
        var field = String.UnicodeScalarView()
        var inQuotes = false, wasQuoted = false
        var line = 1, recordLine = 1
        var i = scalars.startIndex
        if i < scalars.endIndex, scalars[i] == "\u{FEFF}" { i += 1 }

        func endRecord() {
            fields.append(String(field))
            let blank = fields.count == 1 && fields[0].isEmpty && !wasQuoted
            if !blank { records.append(CSVRecord(fields: fields, line: recordLine)) }
            fields = []
            field = String.UnicodeScalarView()
            wasQuoted = false
        }

        while i < scalars.endIndex {
            let c = scalars[i]
            if inQuotes {
                if c == quote {
                    if i + 1 < scalars.endIndex, scalars[i + 1] == quote { field.append(quote); i += 1 }
                    else { inQuotes = false }
                } else {
                    if c == lf { line += 1 }
                    field.append(c)
                }
            } else if c == quote && field.allSatisfy({ $0 == " " || $0 == "\t" }) && !wasQuoted {
                field = String.UnicodeScalarView()
                inQuotes = true
                wasQuoted = true
            } else if c == delim {
                fields.append(String(field))
                field = String.UnicodeScalarView()
                wasQuoted = false
            } else if c == cr && i + 1 < scalars.endIndex && scalars[i + 1] == lf {
                // part of "\r\n": the "\n" ends the record
            } else if c == lf {
                endRecord()
                line += 1
                recordLine = line
            } else {
                field.append(c)
            }
            i += 1
        }
        if inQuotes { throw DataError.unterminatedQuote(path: path, line: recordLine) }
        if !fields.isEmpty || !field.isEmpty || wasQuoted { endRecord() }
        return records
    }
}

func trimmed(_ s: String) -> String {
    var sub = Substring(s)
    while let f = sub.first, f == " " || f == "\t" { sub.removeFirst() }
    while let l = sub.last, l == " " || l == "\t" { sub.removeLast() }
    return String(sub)
}

func fileName(_ path: String) -> String {
    path.split(separator: "/").last.map(String.init) ?? path
}

/// Turns raw label texts into a label tensor: numbers → int64 when all are integral (else
/// float32); anything else → class ids in sorted order of the distinct strings.
func makeLabels(_ raw: [String]) throws -> (labels: NDArray, classNames: [String]?) {
    let numbers = raw.map { Double(trimmed($0)) }
    if numbers.allSatisfy({ $0 != nil }) {
        let values = numbers.map { $0! }
        if values.allSatisfy({ $0 == $0.rounded() && abs($0) < 9.0e15 }) {
            return (try NDArray(ints: values.map { Int64($0) }, shape: [values.count]), nil)
        }
        return (try NDArray(values: values, shape: [values.count], dtype: .float32), nil)
    }
    let names = Array(Set(raw)).sorted()
    var id: [String: Int64] = [:]
    for (k, n) in names.enumerated() { id[n] = Int64(k) }
    return (try NDArray(ints: raw.map { id[$0]! }, shape: [raw.count]), names)
}

extension Dataset {
    /// Loads a CSV file: every column except `label` is a numeric feature (float32, shape
    /// `[N, columns − 1]`); the label column is numeric (int64 if all integral, else float32)
    /// or text (class ids in sorted order of the names, kept in `classNames`).
    /// Quoted fields may contain the delimiter, quotes (`""`) and newlines; `\r\n` line ends
    /// and blank lines are accepted. Without a header, columns are named "0", "1", ….
    ///
    ///     // iris.csv: sepal_length,sepal_width,petal_length,petal_width,species
    ///     let iris = try Dataset.csv(path: "iris.csv", label: "species")
    ///     iris.classNames   // ["setosa", "versicolor", "virginica"]
    public static func csv(path: String, label: String, hasHeader: Bool = true, delimiter: Character = ",") throws -> Dataset {
        guard delimiter.unicodeScalars.count == 1, delimiter != "\"", delimiter != "\n", delimiter != "\r\n" else {
            throw DataError.unsupported(detail: "csv: the delimiter must be one character other than a quote or newline, got \(String(reflecting: delimiter))")
        }
        let bytes = try readFileBytes(path)
        let records = try CSVParser.parse(String(decoding: bytes, as: UTF8.self), delimiter: delimiter, path: path)
        let names: [String]
        let rows: ArraySlice<CSVRecord>
        if hasHeader {
            guard let header = records.first else {
                throw DataError.emptyDataset(detail: "'\(path)' has no header and no rows")
            }
            names = header.fields.map(trimmed)
            rows = records.dropFirst()
        } else {
            names = (0..<(records.first?.fields.count ?? 0)).map(String.init)
            rows = records[...]
        }
        guard let labelIndex = names.firstIndex(of: label) else {
            throw DataError.unknownColumn(path: path, name: label, available: names)
        }
        guard !rows.isEmpty else { throw DataError.emptyDataset(detail: "'\(path)' has no data rows") }
        let width = names.count
        var values: [Double] = []
        values.reserveCapacity(rows.count * (width - 1))
        var rawLabels: [String] = []
        rawLabels.reserveCapacity(rows.count)
        for r in rows {
            guard r.fields.count == width else {
                throw DataError.wrongFieldCount(path: path, line: r.line, expected: width, found: r.fields.count)
            }
            for (j, f) in r.fields.enumerated() {
                if j == labelIndex { rawLabels.append(f); continue }
                guard let v = Double(trimmed(f)) else {
                    throw DataError.notNumeric(path: path, line: r.line, column: names[j], index: j, value: f)
                }
                values.append(v)
            }
        }
        let features = try NDArray(values: values, shape: [rows.count, width - 1], dtype: .float32)
        let (labels, classNames) = try makeLabels(rawLabels)
        return try Dataset(features: features, labels: labels, classNames: classNames, name: fileName(path))
    }
}
