import KoanJSON

/// One tensor of a safetensors file, as its header describes it.
///
///     for e in file.entries { print(e.name, e.dtype, e.shape) }   // embeddings.word_embeddings.weight F32 [30522, 384]
public struct SafetensorsEntry: Sendable, Equatable {
    public let name: String
    public let dtype: SafetensorsDType
    public let shape: [Int]
    /// The tensor's bytes, relative to the start of the byte buffer (the header's `data_offsets`).
    public let byteRange: Range<Int>

    /// Number of elements (product of `shape`; 1 for a 0-d tensor).
    public var count: Int { shape.reduce(1, *) }
}

/// A safetensors file whose header has been read and validated; tensors are read from
/// disk on demand, each with a single positioned read straight into the array's storage.
///
///     let file = try SafetensorsFile(path: "model.safetensors")
///     file.entries.count                 // 104
///     file.metadata["format"]            // "pt"
///     let w = try file.array("embeddings.word_embeddings.weight")   // float32 [30522, 384]
///     for (name, array) in try file.arrays() { print(name, array.shape) }
///
/// `init` checks the whole header against the real file size before anything is
/// allocated from it: the length prefix (at most 100 MB and inside the file), the JSON
/// (a UTF-8 object, padding spaces allowed), every entry's dtype, shape (non-negative
/// integers, no overflow) and `data_offsets` (ordered, inside the buffer, exactly
/// `count × itemsize` bytes), no overlaps or gaps between tensors, and a byte buffer
/// that the tensors cover completely, as the format requires. Each violation throws a
/// `SafetensorsError` naming the file and the tensor/field.
///
/// Dtypes map to Koan's as F64 → float64, F32 → float32, F16 → float16, BF16 → bfloat16,
/// I64 → int64, I32 → int32, I8 → int8, BOOL → bool. Other valid safetensors dtypes (U8,
/// I16, U16, U32, U64, C64, the F8/F6/F4 formats) pass validation and are listed in
/// `entries`, but loading one throws `SafetensorsError.unsupportedDType`.
public struct SafetensorsFile: Sendable {
    /// Largest header accepted (the reference implementation's limit).
    public static let maxHeaderBytes = 100_000_000
    /// Deepest JSON nesting accepted in a header; headers need 3 levels, hostile input gets no deeper.
    static let maxHeaderDepth = 64

    public let path: String
    /// The tensors in the order the header lists them.
    public let entries: [SafetensorsEntry]
    /// The header's `__metadata__` (empty when absent).
    public let metadata: [String: String]
    /// File offset of the byte buffer (8 + header length).
    public let dataStart: Int
    /// Size of the file when the header was read.
    public let fileSize: Int
    private let index: [String: Int]

    /// Opens `path` and reads and validates its header (no tensor data is read).
    public init(path: String) throws {
        let file = try ReadableFile(path: path)
        let size = try file.size()
        func bad(_ reason: String) -> SafetensorsError { .invalidHeader(path: path, reason: reason) }
        guard size >= 8 else {
            throw bad("the file has \(size) bytes, fewer than the 8-byte header length")
        }
        let prefix = try file.readBytes(count: 8, at: 0)
        var n: UInt64 = 0
        for i in (0..<8).reversed() { n = n << 8 | UInt64(prefix[i]) }
        guard n <= UInt64(Self.maxHeaderBytes) else {
            throw bad("the header length \(n) exceeds the limit of \(Self.maxHeaderBytes) bytes")
        }
        let headerLength = Int(n)
        guard headerLength <= size - 8 else {
            throw bad("the header length \(headerLength) exceeds the \(size - 8) bytes after the length prefix")
        }
        let header = try file.readBytes(count: headerLength, at: 8)
        let parsed = try Self.parseHeader(header, bufferSize: size - 8 - headerLength, path: path)
        self.path = path
        self.entries = parsed.entries
        self.metadata = parsed.metadata
        self.dataStart = 8 + headerLength
        self.fileSize = size
        var index = [String: Int](minimumCapacity: parsed.entries.count)
        for (i, e) in parsed.entries.enumerated() { index[e.name] = i }
        self.index = index
    }

    /// The entry called `name`, if the file holds one.
    public func entry(_ name: String) -> SafetensorsEntry? {
        index[name].map { entries[$0] }
    }

    /// Reads one tensor (only its bytes) as a contiguous array.
    ///
    ///     let bias = try file.array("pooler.dense.bias")   // float32 [384]
    public func array(_ name: String) throws -> NDArray {
        guard let i = index[name] else {
            throw SafetensorsError.tensorNotFound(path: path, name: name, available: entries.map(\.name))
        }
        let file = try openUnchanged()
        return try read(entries[i], from: file)
    }

    /// Reads every tensor, in header order.
    ///
    ///     let weights = try SafetensorsFile(path: "model.safetensors").arrays()
    public func arrays() throws -> [(name: String, array: NDArray)] {
        let file = try openUnchanged()
        var out = [(name: String, array: NDArray)]()
        out.reserveCapacity(entries.count)
        for e in entries {
            out.append((e.name, try read(e, from: file)))
        }
        return out
    }

    // MARK: reading data

    private func openUnchanged() throws -> ReadableFile {
        let file = try ReadableFile(path: path)
        let size = try file.size()
        guard size == fileSize else {
            throw SafetensorsError.fileChanged(path: path, reason: "its size was \(fileSize) bytes, now it is \(size)")
        }
        return file
    }

    private func read(_ e: SafetensorsEntry, from file: ReadableFile) throws -> NDArray {
        guard let dtype = e.dtype.koanDType else {
            throw SafetensorsError.unsupportedDType(path: path, tensor: e.name, dtype: e.dtype.rawValue)
        }
        let out = try NDArray(shape: e.shape, dtype: dtype)
        let bytes = e.byteRange.count
        guard bytes > 0 else { return out }
        try file.read(into: out.storage.pointer, count: bytes, at: dataStart + e.byteRange.lowerBound)
        Self.fromLittleEndian(out.storage.pointer, count: e.count, dtype: dtype)
        if dtype == .bool {
            // Koan's bools are 0 or 1; any nonzero byte means true.
            let p = out.storage.pointer.assumingMemoryBound(to: UInt8.self)
            for k in 0..<bytes where p[k] > 1 { p[k] = 1 }
        }
        return out
    }

    /// Byte-swaps in place on big-endian hosts (the format is little-endian); a no-op otherwise.
    static func fromLittleEndian(_ p: UnsafeMutableRawPointer, count: Int, dtype: DType) {
        #if _endian(big)
        switch dtype.byteSize {
        case 2:
            let q = p.assumingMemoryBound(to: UInt16.self)
            for i in 0..<count { q[i] = q[i].byteSwapped }
        case 4:
            let q = p.assumingMemoryBound(to: UInt32.self)
            for i in 0..<count { q[i] = q[i].byteSwapped }
        case 8:
            let q = p.assumingMemoryBound(to: UInt64.self)
            for i in 0..<count { q[i] = q[i].byteSwapped }
        default:
            break
        }
        #endif
    }

    // MARK: header validation

    struct ParsedHeader {
        var entries: [SafetensorsEntry]
        var metadata: [String: String]
    }

    /// Parses and validates header bytes against a byte buffer of `bufferSize` bytes.
    static func parseHeader(_ header: [UInt8], bufferSize: Int, path: String) throws -> ParsedHeader {
        func bad(_ reason: String) -> SafetensorsError { .invalidHeader(path: path, reason: reason) }
        guard String(validating: header, as: UTF8.self) != nil else {
            throw bad("the header is not valid UTF-8")
        }
        let root: JSONValue
        do {
            root = try JSONValue(parsing: header, maxDepth: maxHeaderDepth)
        } catch {
            throw bad("malformed JSON: \(error)")
        }
        guard case let .object(members) = root else {
            throw bad("the header is \(root.kind), not a JSON object")
        }

        var metadata = [String: String]()
        var sawMetadata = false
        var entries = [SafetensorsEntry]()
        var seen = Set<String>()
        for (key, value) in members {
            if key == "__metadata__" {
                guard !sawMetadata else { throw bad("'__metadata__' appears twice") }
                sawMetadata = true
                metadata = try parseMetadata(value, path: path)
                continue
            }
            guard seen.insert(key).inserted else {
                throw SafetensorsError.invalidTensor(path: path, tensor: key, field: "", reason: "the name appears twice in the header")
            }
            entries.append(try parseEntry(name: key, value, bufferSize: bufferSize, path: path))
        }
        try checkLayout(entries, bufferSize: bufferSize, path: path)
        return ParsedHeader(entries: entries, metadata: metadata)
    }

    static func parseMetadata(_ value: JSONValue, path: String) throws -> [String: String] {
        func bad(_ reason: String) -> SafetensorsError { .invalidHeader(path: path, reason: reason) }
        switch value {
        case .null:
            return [:]
        case let .object(items):
            var out = [String: String](minimumCapacity: items.count)
            for (k, v) in items {
                guard case let .string(s) = v else {
                    throw bad("'__metadata__' value of key '\(k)' is \(v.kind), metadata values must be strings")
                }
                guard out.updateValue(s, forKey: k) == nil else { throw bad("'__metadata__' has key '\(k)' twice") }
            }
            return out
        default:
            throw bad("'__metadata__' is \(value.kind), it must be an object of strings")
        }
    }

    static func parseEntry(name: String, _ value: JSONValue, bufferSize: Int, path: String) throws -> SafetensorsEntry {
        func bad(_ field: String, _ reason: String) -> SafetensorsError {
            .invalidTensor(path: path, tensor: name, field: field, reason: reason)
        }
        guard case let .object(fields) = value else {
            throw bad("", "the entry is \(value.kind), not an object with 'dtype', 'shape' and 'data_offsets'")
        }
        var dtypeValue: JSONValue?, shapeValue: JSONValue?, offsetsValue: JSONValue?
        for (k, v) in fields {
            switch k {
            case "dtype":
                guard dtypeValue == nil else { throw bad(k, "the field appears twice") }
                dtypeValue = v
            case "shape":
                guard shapeValue == nil else { throw bad(k, "the field appears twice") }
                shapeValue = v
            case "data_offsets":
                guard offsetsValue == nil else { throw bad(k, "the field appears twice") }
                offsetsValue = v
            default:
                continue  // unknown fields are ignored, as the reference implementation does
            }
        }
        guard let dtypeValue else { throw bad("dtype", "the field is missing") }
        guard let shapeValue else { throw bad("shape", "the field is missing") }
        guard let offsetsValue else { throw bad("data_offsets", "the field is missing") }

        guard case let .string(dtypeName) = dtypeValue else {
            throw bad("dtype", "expected a string such as \"F32\", found \(dtypeValue.kind)")
        }
        guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
            throw bad("dtype", "unknown dtype \"\(dtypeName)\"")
        }

        guard case let .array(dims) = shapeValue else {
            throw bad("shape", "expected an array of non-negative integers, found \(shapeValue.kind)")
        }
        var shape = [Int]()
        shape.reserveCapacity(dims.count)
        for (axis, d) in dims.enumerated() {
            shape.append(try nonNegativeInt(d) { bad("shape", "dimension \(axis) \($0)") })
        }
        // The same size rule as every tensor (ShapeArithmetic): the product of the
        // dimensions, zeros counted as 1, must fit in Int (so [0, 2^32, 2^32] is refused too).
        let count: Int
        do { count = try ShapeArithmetic.elementCount(shape, op: "load") } catch let e as TensorError {
            throw bad("shape", e.description)
        }

        guard case let .array(offs) = offsetsValue, offs.count == 2 else {
            throw bad("data_offsets", "expected an array of two integers [begin, end], found \(offsetsValue.kind)")
        }
        let begin = try nonNegativeInt(offs[0]) { bad("data_offsets", "begin \($0)") }
        let end = try nonNegativeInt(offs[1]) { bad("data_offsets", "end \($0)") }
        guard begin <= end else {
            throw bad("data_offsets", "begin \(begin) is after end \(end)")
        }
        guard end <= bufferSize else {
            throw bad("data_offsets", "end \(end) is past the end of the \(bufferSize)-byte data buffer")
        }
        let (bits, o) = count.multipliedReportingOverflow(by: dtype.bitSize)
        guard !o else { throw bad("shape", "the byte size of shape \(shape) with dtype \(dtype) overflows") }
        guard bits % 8 == 0 else {
            throw bad("shape", "\(count) elements of the \(dtype.bitSize)-bit dtype \(dtype) do not fill whole bytes")
        }
        guard bits / 8 == end - begin else {
            throw bad("data_offsets", "[\(begin), \(end)] spans \(end - begin) bytes, but shape \(shape) of \(dtype) needs \(bits / 8)")
        }
        return SafetensorsEntry(name: name, dtype: dtype, shape: shape, byteRange: begin..<end)
    }

    /// A JSON integer ≥ 0 that fits Int; `fail` builds the error from a description of the problem.
    /// Only integer literals qualify (`1.0` and `1e0` do not, nor `-0`, as in the reference).
    static func nonNegativeInt(_ v: JSONValue, _ fail: (String) -> SafetensorsError) throws -> Int {
        switch v {
        case let .number(.int(i)):
            guard i >= 0 else { throw fail("is negative (\(i))") }
            guard let n = Int(exactly: i) else { throw fail("is too large (\(i))") }
            return n
        case let .number(.double(d)):
            // Integer literals beyond Int64 (and -0) arrive as doubles.
            if d == 0 && d.sign == .minus { throw fail("is negative (-0)") }
            if d == d.rounded() && abs(d) >= 0x1p63 { throw fail(d < 0 ? "is negative (\(d))" : "is too large (\(d))") }
            throw fail("is \(d), not an integer")
        default:
            throw fail("is \(v.kind), not an integer")
        }
    }

    /// Tensors, sorted by offsets, must tile the byte buffer exactly: no overlap, no gap,
    /// nothing left over at the end.
    static func checkLayout(_ entries: [SafetensorsEntry], bufferSize: Int, path: String) throws {
        let order = entries.indices.sorted {
            let a = entries[$0].byteRange, b = entries[$1].byteRange
            return (a.lowerBound, a.upperBound, $0) < (b.lowerBound, b.upperBound, $1)
        }
        var end = 0
        var previous: String?
        for i in order {
            let e = entries[i]
            let r = e.byteRange
            if r.lowerBound < end, let previous {
                throw SafetensorsError.invalidTensor(path: path, tensor: e.name, field: "data_offsets",
                    reason: "[\(r.lowerBound), \(r.upperBound)] overlaps tensor '\(previous)', which ends at \(end)")
            }
            if r.lowerBound > end {
                let after = previous.map { "after tensor '\($0)' " } ?? "at the start of the buffer "
                throw SafetensorsError.invalidTensor(path: path, tensor: e.name, field: "data_offsets",
                    reason: "[\(r.lowerBound), \(r.upperBound)] leaves bytes \(end)..<\(r.lowerBound) \(after)uncovered")
            }
            end = r.upperBound
            previous = e.name
        }
        guard end == bufferSize else {
            throw SafetensorsError.invalidHeader(path: path,
                reason: "the tensors cover \(end) bytes of the \(bufferSize)-byte data buffer; the rest is unaccounted for")
        }
    }
}
