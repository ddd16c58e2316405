#if canImport(Glibc)
import Glibc
#endif

/// Reading and writing NumPy's `.npy` files and `.npz` archives.
///
///     let x = try NDArray(shape: [2, 3], dtype: .float32, zeroed: true)
///     try NPY.save(x, path: "/tmp/x.npy")            // np.load("/tmp/x.npy") reads it
///     let y = try NPY.load(path: "/tmp/x.npy")       // shape [2, 3], float32
///     try NPY.saveArchive([("w", x), ("b", y)], path: "/tmp/m.npz")
///     let members = try NPY.loadArchive(path: "/tmp/m.npz")   // [("w", …), ("b", …)]
///
/// Reading accepts format versions 1.0, 2.0 and 3.0, little- and big-endian data, and
/// `fortran_order: True` (converted to C order). Descriptors map to dtypes as
/// `<f4` float32, `<f8` float64, `<f2` float16, `|i1` int8, `<i4` int32, `<i8` int64,
/// `|b1` bool; the lossless widenings `|u1`, `<i2`, `<u2` → int32 and `<u4` → int64 are
/// accepted too. Anything else (object arrays, structured dtypes, complex, strings,
/// `<u8`, …) and any malformed file throws `TensorError.invalidFile`.
///
/// bfloat16: `np.save` of an ml_dtypes bfloat16 array writes the descriptor `'<V2'`
/// (raw 2-byte void: the dtype is lost, `np.load` gives back `|V2`). Koan therefore
/// *writes* the descriptor `'bfloat16'`, which `np.load` turns back into an ml_dtypes
/// bfloat16 array, bit for bit, whenever `ml_dtypes` has been imported (without it
/// NumPy reports "descr is not a valid dtype descriptor"). Koan *reads* `'bfloat16'`
/// and also `'<V2'`/`'|V2'` as bfloat16, so files written by `np.save` from ml_dtypes
/// round-trip too (a 2-byte void of any other origin is indistinguishable).
public enum NPY {
    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // \x93NUMPY

    // MARK: public API

    /// Parses the bytes of a `.npy` file; `path` only names the file in errors.
    ///
    ///     let a = try NPY.read(bytes, path: "x.npy")
    public static func read(_ bytes: [UInt8], path: String) throws -> NDArray {
        try bytes.withUnsafeBufferPointer { try read(UnsafeRawBufferPointer($0), path: path) }
    }

    /// Serialises `a` as a `.npy` file (format 1.0, or 2.0 when the header exceeds 64 KiB).
    ///
    ///     let bytes = try NPY.write(x)    // starts with "\u{93}NUMPY\u{1}\u{0}"
    public static func write(_ a: NDArray) throws -> [UInt8] {
        let c = try a.contiguous()
        let header = headerBytes(dtype: c.dtype, shape: c.shape)
        let dataBytes = c.count * c.dtype.byteSize
        var out = [UInt8]()
        out.reserveCapacity(header.count + dataBytes)
        out.append(contentsOf: header)
        if dataBytes > 0 {
            let start = out.count
            out.append(contentsOf: repeatElement(0, count: dataBytes))
            out.withUnsafeMutableBytes { dst in
                (dst.baseAddress! + start).copyMemory(from: c.baseAddress, byteCount: dataBytes)
                if c.dtype == .bool {  // NumPy requires 0/1 bytes for bool
                    for i in start..<(start + dataBytes) where dst[i] > 1 { dst[i] = 1 }
                }
            }
        }
        return out
    }

    /// Reads a `.npy` file. Missing files, permission problems and malformed contents
    /// throw `TensorError.invalidFile` with the reason.
    ///
    ///     let a = try NPY.load(path: "weights.npy")
    public static func load(path: String) throws -> NDArray {
        try read(FileIO.readAll(path: path), path: path)
    }

    /// Writes `a` as a `.npy` file that `np.load` reads.
    ///
    ///     try NPY.save(x, path: "x.npy")
    public static func save(_ a: NDArray, path: String) throws {
        try FileIO.writeAll(write(a), path: path)
    }

    /// Reads an `.npz` archive (as written by `np.savez` and `np.savez_compressed`).
    /// Member names are returned without the `.npy` suffix, in archive order.
    ///
    ///     for (name, array) in try NPY.loadArchive(path: "model.npz") { print(name, array.shape) }
    public static func loadArchive(path: String) throws -> [(name: String, array: NDArray)] {
        try readArchive(FileIO.readAll(path: path), path: path)
    }

    /// Writes an `.npz` archive of `.npy` members (stored, or deflated when `compressed`)
    /// that `np.load` reads. Names get the `.npy` suffix; they must be non-empty and unique.
    ///
    ///     try NPY.saveArchive([("w", w), ("b", b)], path: "model.npz", compressed: true)
    public static func saveArchive(_ arrays: [(name: String, array: NDArray)], path: String,
                                   compressed: Bool = false) throws {
        try FileIO.writeAll(writeArchive(arrays, compressed: compressed), path: path)
    }

    /// Parses the bytes of an `.npz` archive; `path` only names the file in errors.
    public static func readArchive(_ bytes: [UInt8], path: String) throws -> [(name: String, array: NDArray)] {
        let members = try ZipArchive.read(bytes, path: path)
        var out = [(name: String, array: NDArray)]()
        for m in members {
            if m.name.hasSuffix("/") { continue }  // a directory entry
            guard m.name.hasSuffix(".npy") else {
                throw TensorError.invalidFile(path: path, reason: "archive member '\(m.name)' is not a .npy file")
            }
            do {
                let array = try read(m.data, path: path)
                out.append((String(m.name.dropLast(4)), array))
            } catch let TensorError.invalidFile(_, reason) {
                throw TensorError.invalidFile(path: path, reason: "archive member '\(m.name)': \(reason)")
            }
        }
        return out
    }

    /// Serialises arrays as the bytes of an `.npz` archive.
    public static func writeArchive(_ arrays: [(name: String, array: NDArray)], compressed: Bool = false) throws -> [UInt8] {
        var seen = Set<String>()
        var members = [(name: String, data: [UInt8])]()
        for (name, array) in arrays {
            guard !name.isEmpty else {
                throw TensorError.invalidArgument(op: "saveArchive", message: "member names must not be empty")
            }
            guard seen.insert(name).inserted else {
                throw TensorError.invalidArgument(op: "saveArchive", message: "duplicate member name '\(name)'")
            }
            members.append((name + ".npy", try write(array)))
        }
        return try ZipArchive.write(members, compress: compressed)
    }

    // MARK: header

    /// The descriptor written for each dtype (see the type's comment about bfloat16).
    public static func descr(for dtype: DType) -> String {
        switch dtype {
        case .float32: "<f4"
        case .float64: "<f8"
        case .float16: "<f2"
        case .bfloat16: "bfloat16"
        case .int8: "|i1"
        case .int32: "<i4"
        case .int64: "<i8"
        case .bool: "|b1"
        }
    }

    static func shapeText(_ shape: [Int]) -> String {
        switch shape.count {
        case 0: "()"
        case 1: "(\(shape[0]),)"
        default: "(" + shape.map(String.init).joined(separator: ", ") + ")"
        }
    }

    static func headerBytes(dtype: DType, shape: [Int]) -> [UInt8] {
        let dict = "{'descr': '\(descr(for: dtype))', 'fortran_order': False, 'shape': \(shapeText(shape)), }"
        var text = Array(dict.utf8)
        // Pad with spaces and end with "\n" so that the data starts on a 64-byte boundary.
        var prefix = 10
        if (prefix + text.count + 1 + 63) / 64 * 64 - prefix > 65535 { prefix = 12 }
        let total = (prefix + text.count + 1 + 63) / 64 * 64
        text.append(contentsOf: repeatElement(0x20, count: total - prefix - text.count - 1))
        text.append(0x0A)
        var out = magic
        if prefix == 10 {
            out += [1, 0, UInt8(text.count & 0xFF), UInt8(text.count >> 8)]
        } else {
            let n = UInt32(text.count)
            out += [2, 0, UInt8(n & 0xFF), UInt8((n >> 8) & 0xFF), UInt8((n >> 16) & 0xFF), UInt8(n >> 24)]
        }
        return out + text
    }

    /// How the file stores one element.
    struct SourceType {
        enum Kind { case float, signed, unsigned, bool, bfloat16 }
        var kind: Kind
        var size: Int
        var bigEndian: Bool
        var dtype: DType
    }

    struct DescrFailure: Error { let message: String }

    static func parseDescr(_ d: String) -> Result<SourceType, DescrFailure> {
        if d == "bfloat16" || d == "<V2" || d == "|V2" || d == "=V2" {
            return .success(SourceType(kind: .bfloat16, size: 2, bigEndian: false, dtype: .bfloat16))
        }
        var chars = Array(d)
        var big = false
        if let first = chars.first, "<>|=".contains(first) {
            big = first == ">"
            chars.removeFirst()
        }
        guard let kind = chars.first else { return .failure(DescrFailure(message: "empty dtype descriptor")) }
        let size = Int(String(chars.dropFirst())) ?? -1
        switch (kind, size) {
        case ("f", 2): return .success(SourceType(kind: .float, size: 2, bigEndian: big, dtype: .float16))
        case ("f", 4): return .success(SourceType(kind: .float, size: 4, bigEndian: big, dtype: .float32))
        case ("f", 8): return .success(SourceType(kind: .float, size: 8, bigEndian: big, dtype: .float64))
        case ("i", 1): return .success(SourceType(kind: .signed, size: 1, bigEndian: big, dtype: .int8))
        case ("i", 2): return .success(SourceType(kind: .signed, size: 2, bigEndian: big, dtype: .int32))
        case ("i", 4): return .success(SourceType(kind: .signed, size: 4, bigEndian: big, dtype: .int32))
        case ("i", 8): return .success(SourceType(kind: .signed, size: 8, bigEndian: big, dtype: .int64))
        case ("u", 1): return .success(SourceType(kind: .unsigned, size: 1, bigEndian: big, dtype: .int32))
        case ("u", 2): return .success(SourceType(kind: .unsigned, size: 2, bigEndian: big, dtype: .int32))
        case ("u", 4): return .success(SourceType(kind: .unsigned, size: 4, bigEndian: big, dtype: .int64))
        case ("b", 1): return .success(SourceType(kind: .bool, size: 1, bigEndian: big, dtype: .bool))
        case ("O", _): return .failure(DescrFailure(message: "object arrays are not supported (descr '\(d)')"))
        case ("u", 8): return .failure(DescrFailure(message: "uint64 data (descr '\(d)') is not supported: it does not fit int64"))
        case ("c", _): return .failure(DescrFailure(message: "complex data (descr '\(d)') is not supported"))
        case ("U", _), ("S", _), ("a", _): return .failure(DescrFailure(message: "string data (descr '\(d)') is not supported"))
        case ("M", _), ("m", _): return .failure(DescrFailure(message: "datetime data (descr '\(d)') is not supported"))
        default: return .failure(DescrFailure(message: "unsupported dtype descriptor '\(d)'"))
        }
    }

    // MARK: reading

    static func read(_ buf: UnsafeRawBufferPointer, path: String) throws -> NDArray {
        func bad(_ reason: String) -> TensorError { .invalidFile(path: path, reason: reason) }
        guard buf.count >= 6, (0..<6).allSatisfy({ buf[$0] == magic[$0] }) else {
            throw bad("not a .npy file (bad magic bytes)")
        }
        guard buf.count >= 10 else { throw bad("truncated header") }
        let major = buf[6], minor = buf[7]
        let headerLength: Int, headerStart: Int
        switch major {
        case 1:
            headerLength = Int(buf[8]) | Int(buf[9]) << 8
            headerStart = 10
        case 2, 3:
            guard buf.count >= 12 else { throw bad("truncated header") }
            headerLength = Int(buf[8]) | Int(buf[9]) << 8 | Int(buf[10]) << 16 | Int(buf[11]) << 24
            headerStart = 12
        default:
            throw bad("unsupported .npy format version \(major).\(minor)")
        }
        guard headerLength <= buf.count - headerStart else {
            throw bad("truncated header: \(headerLength) header bytes announced, \(buf.count - headerStart) present")
        }
        let header = UnsafeRawBufferPointer(rebasing: buf[headerStart..<(headerStart + headerLength)])
        var parser = PyLiteralParser(bytes: header, utf8: major >= 3)
        let value: PyLiteral
        do {
            value = try parser.parseTop()
        } catch let e as PyLiteralParser.Failure {
            throw bad("malformed header: \(e.message)")
        }
        guard case let .dict(items) = value else { throw bad("malformed header: not a dictionary") }
        var descrValue: PyLiteral?, fortranValue: PyLiteral?, shapeValue: PyLiteral?
        for (key, v) in items {
            switch key {
            case "descr": descrValue = v
            case "fortran_order": fortranValue = v
            case "shape": shapeValue = v
            default: throw bad("malformed header: unexpected key '\(key)'")
            }
        }
        guard let descrValue, let fortranValue, let shapeValue else {
            throw bad("malformed header: it needs the keys 'descr', 'fortran_order' and 'shape'")
        }
        let source: SourceType
        switch descrValue {
        case let .string(s):
            switch parseDescr(s) {
            case let .success(t): source = t
            case let .failure(f): throw bad(f.message)
            }
        case .list: throw bad("structured dtypes are not supported")
        default: throw bad("malformed header: 'descr' is not a string")
        }
        guard case let .bool(fortran) = fortranValue else {
            throw bad("malformed header: 'fortran_order' is not True or False")
        }
        guard case let .tuple(dims) = shapeValue else { throw bad("malformed header: 'shape' is not a tuple") }
        var shape = [Int]()
        for d in dims {
            guard case let .int(n) = d, n >= 0 else {
                throw bad("malformed header: 'shape' must hold non-negative integers")
            }
            shape.append(n)
        }
        // The same size rule as every tensor (ShapeArithmetic), reported as a bad file.
        let count: Int
        do { count = try ShapeArithmetic.elementCount(shape, dtype: source.dtype, op: "load") } catch let e as TensorError {
            throw bad(e.description)
        }
        let dataStart = headerStart + headerLength
        let available = buf.count - dataStart
        let (needed, overflow) = count.multipliedReportingOverflow(by: source.size)
        guard !overflow else { throw bad("shape \(shapeText(shape)) is too large") }
        guard available == needed else {
            let what = available < needed ? "truncated data" : "unexpected trailing data"
            throw bad("\(what): shape \(shapeText(shape)) of '\(descrText(descrValue))' needs \(needed) bytes, the file has \(available)")
        }
        let flat = try NDArray(shape: [count], dtype: source.dtype)
        if count > 0 {
            decode(UnsafeRawBufferPointer(rebasing: buf[dataStart...]), source: source, count: count, into: flat)
        }
        let strides: [Int]
        if fortran && shape.count > 1 {
            var s = [Int](repeating: 1, count: shape.count)
            var acc = 1
            for i in 0..<shape.count { s[i] = acc; acc = acc &* max(shape[i], 1) }  // fits: the shape is checked
            strides = s
        } else {
            strides = contiguousStrides(shape)
        }
        let array = NDArray(storage: flat.storage, dtype: source.dtype, shape: shape, strides: strides, offset: 0)
        return try array.contiguous()
    }

    private static func descrText(_ v: PyLiteral) -> String {
        if case let .string(s) = v { return s }
        return "?"
    }

    /// Copies `count` elements from `src` (file layout) into the contiguous `out`.
    private static func decode(_ src: UnsafeRawBufferPointer, source: SourceType, count: Int, into out: NDArray) {
        let dst = out.baseAddress
        let base = src.baseAddress!
        let size = source.size
        let swap = source.bigEndian && size > 1
        // Same layout as the target dtype: one copy, then byte-swap in place if needed.
        if size == out.dtype.byteSize && source.kind != .unsigned && (source.kind == .bool) == (out.dtype == .bool) {
            dst.copyMemory(from: base, byteCount: count * size)
            if swap {
                switch size {
                case 2:
                    let p = dst.assumingMemoryBound(to: UInt16.self)
                    for i in 0..<count { p[i] = p[i].byteSwapped }
                case 4:
                    let p = dst.assumingMemoryBound(to: UInt32.self)
                    for i in 0..<count { p[i] = p[i].byteSwapped }
                default:
                    let p = dst.assumingMemoryBound(to: UInt64.self)
                    for i in 0..<count { p[i] = p[i].byteSwapped }
                }
            }
            if source.kind == .bool {
                let p = dst.assumingMemoryBound(to: UInt8.self)
                for i in 0..<count where p[i] > 1 { p[i] = 1 }
            }
            return
        }
        // Widening integer conversions.
        for i in 0..<count {
            let at = base + i * size
            var v: Int64
            switch size {
            case 1:
                let b = at.load(as: UInt8.self)
                v = source.kind == .signed ? Int64(Int8(bitPattern: b)) : Int64(b)
            case 2:
                var b = at.loadUnaligned(as: UInt16.self)
                if swap { b = b.byteSwapped }
                v = source.kind == .signed ? Int64(Int16(bitPattern: b)) : Int64(b)
            default:
                var b = at.loadUnaligned(as: UInt32.self)
                if swap { b = b.byteSwapped }
                v = source.kind == .signed ? Int64(Int32(bitPattern: b)) : Int64(b)
            }
            out.storeInt(v, at: i)
        }
    }
}

// MARK: - Python literal parser (the .npy header dictionary)

enum PyLiteral {
    case string(String)
    case int(Int)
    case bool(Bool)
    case none
    case tuple([PyLiteral])
    case list([PyLiteral])
    case dict([(String, PyLiteral)])
}

/// Parses the subset of Python literals that `.npy` headers use (NumPy itself uses
/// `ast.literal_eval`): dicts with string keys, strings, integers, True/False/None,
/// tuples and lists. Nesting is limited so hostile headers cannot exhaust the stack.
struct PyLiteralParser {
    struct Failure: Error { let message: String }
    let bytes: UnsafeRawBufferPointer
    let utf8: Bool
    var pos = 0
    var depth = 0

    init(bytes: UnsafeRawBufferPointer, utf8: Bool) {
        self.bytes = bytes
        self.utf8 = utf8
    }

    mutating func parseTop() throws -> PyLiteral {
        let v = try parseValue()
        skipSpace()
        guard pos == bytes.count else { throw Failure(message: "unexpected text after the dictionary at byte \(pos)") }
        return v
    }

    private mutating func skipSpace() {
        while pos < bytes.count, [0x20, 0x09, 0x0A, 0x0D, 0x0C, 0x0B, 0x00].contains(bytes[pos]) { pos += 1 }
    }

    private mutating func parseValue() throws -> PyLiteral {
        skipSpace()
        guard pos < bytes.count else { throw Failure(message: "unexpected end of header") }
        depth += 1
        defer { depth -= 1 }
        guard depth <= 32 else { throw Failure(message: "nesting too deep") }
        let c = bytes[pos]
        switch c {
        case UInt8(ascii: "{"):
            pos += 1
            var items = [(String, PyLiteral)]()
            while true {
                skipSpace()
                guard pos < bytes.count else { throw Failure(message: "unterminated dictionary") }
                if bytes[pos] == UInt8(ascii: "}") { pos += 1; return .dict(items) }
                guard case let .string(key) = try parseValue() else {
                    throw Failure(message: "dictionary keys must be strings")
                }
                skipSpace()
                guard pos < bytes.count, bytes[pos] == UInt8(ascii: ":") else { throw Failure(message: "expected ':' after key '\(key)'") }
                pos += 1
                let value = try parseValue()
                if items.contains(where: { $0.0 == key }) { throw Failure(message: "duplicate key '\(key)'") }
                items.append((key, value))
                skipSpace()
                guard pos < bytes.count else { throw Failure(message: "unterminated dictionary") }
                if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
                guard bytes[pos] == UInt8(ascii: "}") else { throw Failure(message: "expected ',' or '}' at byte \(pos)") }
            }
        case UInt8(ascii: "("), UInt8(ascii: "["):
            let close = c == UInt8(ascii: "(") ? UInt8(ascii: ")") : UInt8(ascii: "]")
            pos += 1
            var items = [PyLiteral]()
            var sawComma = false
            while true {
                skipSpace()
                guard pos < bytes.count else { throw Failure(message: "unterminated sequence") }
                if bytes[pos] == close {
                    pos += 1
                    if close == UInt8(ascii: ")") && items.count == 1 && !sawComma {
                        return items[0]  // (x) is just x
                    }
                    return close == UInt8(ascii: ")") ? .tuple(items) : .list(items)
                }
                items.append(try parseValue())
                skipSpace()
                guard pos < bytes.count else { throw Failure(message: "unterminated sequence") }
                if bytes[pos] == UInt8(ascii: ",") { pos += 1; sawComma = true; continue }
                guard bytes[pos] == close else { throw Failure(message: "expected ',' or a closing bracket at byte \(pos)") }
            }
        case UInt8(ascii: "'"), UInt8(ascii: "\""):
            pos += 1
            var raw = [UInt8]()
            while true {
                guard pos < bytes.count else { throw Failure(message: "unterminated string") }
                let b = bytes[pos]
                pos += 1
                if b == c { break }
                if b == UInt8(ascii: "\\") {
                    guard pos < bytes.count else { throw Failure(message: "unterminated string") }
                    raw.append(bytes[pos])
                    pos += 1
                    continue
                }
                raw.append(b)
            }
            if utf8 {
                guard let s = String(validating: raw, as: UTF8.self) else { throw Failure(message: "invalid UTF-8 in a string") }
                return .string(s)
            }
            return .string(String(raw.map { Character(Unicode.Scalar($0)) }))  // latin-1
        default:
            if c == UInt8(ascii: "-") || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) {
                var negative = false
                if c == UInt8(ascii: "-") { negative = true; pos += 1 }
                var n = 0
                var digits = 0
                while pos < bytes.count, bytes[pos] >= UInt8(ascii: "0"), bytes[pos] <= UInt8(ascii: "9") {
                    let (m, o1) = n.multipliedReportingOverflow(by: 10)
                    let (a, o2) = m.addingReportingOverflow(Int(bytes[pos] - UInt8(ascii: "0")))
                    guard !o1 && !o2 else { throw Failure(message: "integer too large") }
                    n = a
                    digits += 1
                    pos += 1
                }
                guard digits > 0 else { throw Failure(message: "expected a digit at byte \(pos)") }
                if pos < bytes.count, bytes[pos] == UInt8(ascii: "L") || bytes[pos] == UInt8(ascii: "l") { pos += 1 }  // Python 2 long
                return .int(negative ? -n : n)
            }
            for (word, value) in [("True", PyLiteral.bool(true)), ("False", .bool(false)), ("None", .none)] {
                let w = Array(word.utf8)
                if pos + w.count <= bytes.count, (0..<w.count).allSatisfy({ bytes[pos + $0] == w[$0] }) {
                    pos += w.count
                    return value
                }
            }
            throw Failure(message: "unexpected character at byte \(pos)")
        }
    }
}

// MARK: - Files

enum FileIO {
    static func osReason(_ code: Int32) -> String {
        String(cString: strerror(code))
    }

    /// All bytes of the file at `path`.
    static func readAll(path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw TensorError.invalidFile(path: path, reason: osReason(errno)) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw TensorError.invalidFile(path: path, reason: osReason(errno)) }
        if (st.st_mode & S_IFMT) == S_IFDIR { throw TensorError.invalidFile(path: path, reason: osReason(EISDIR)) }
        var out = [UInt8]()
        var capacity = max(Int(st.st_size), 0) + 1
        var length = 0
        while true {
            if length == capacity { capacity *= 2 }
            if out.count < capacity { out.append(contentsOf: repeatElement(0, count: capacity - out.count)) }
            let n = out.withUnsafeMutableBytes { buf in
                Glibc.read(fd, buf.baseAddress! + length, capacity - length)
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw TensorError.invalidFile(path: path, reason: osReason(errno))
            }
            if n == 0 { break }
            length += n
        }
        out.removeSubrange(length...)
        return out
    }

    /// Writes `bytes` to `path`, replacing the file.
    static func writeAll(_ bytes: [UInt8], path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw TensorError.cannotWrite(path: path, reason: osReason(errno)) }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { buf in
                Glibc.write(fd, buf.baseAddress! + written, bytes.count - written)
            }
            if n < 0 {
                if errno == EINTR { continue }
                let reason = osReason(errno)
                close(fd)
                throw TensorError.cannotWrite(path: path, reason: reason)
            }
            written += n
        }
        if close(fd) != 0 {
            throw TensorError.cannotWrite(path: path, reason: osReason(errno))
        }
    }
}
