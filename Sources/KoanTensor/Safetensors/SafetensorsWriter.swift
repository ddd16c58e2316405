#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import KoanJSON

/// Writing safetensors files (read them back with `SafetensorsFile`).
///
///     let w = try NDArray.randn([4, 3], key: RandomKey(seed: 0))
///     try Safetensors.write([("layer.weight", w)], metadata: ["format": "pt"], to: "model.safetensors")
///     // Python: safetensors.numpy.load_file("model.safetensors")["layer.weight"]
public enum Safetensors {
    /// Writes `tensors` (any strides or views; they are laid out contiguously) with
    /// optional string `metadata` to `path`, atomically: the bytes go to a temporary file
    /// in the same directory, which is fsynced and renamed over `path`, then the directory
    /// is fsynced. On any error the temporary file is removed and a previous file at
    /// `path` is untouched.
    ///
    /// The layout is the reference implementation's: tensors sorted by dtype alignment
    /// (descending), then by name; compact JSON header padded with spaces to a multiple of
    /// 8 bytes. Without metadata the output is byte-identical to `safetensors.numpy.save_file`
    /// (with metadata too, when it has at most one key: Python orders keys by hash).
    /// Names must be non-empty, unique and not `__metadata__`.
    ///
    ///     try Safetensors.write([("a", a), ("b", b.transposed())], to: "/tmp/ab.safetensors")
    public static func write(_ tensors: [(name: String, array: NDArray)], metadata: [String: String] = [:],
                             to path: String) throws {
        try write(tensors, metadata: metadata, to: path, faultInjection: nil)
    }

    /// Points in a write where tests can inject a failure (a simulated crash).
    enum WriteStage: Equatable, Sendable {
        case tempCreated
        case headerWritten
        case tensorWritten(Int)
        case beforeFsync
        case beforeRename
    }

    /// `write` with a hook called at each `WriteStage`; a throwing hook aborts the write
    /// there, exactly as an I/O error would.
    static func write(_ tensors: [(name: String, array: NDArray)], metadata: [String: String], to path: String,
                      faultInjection: ((WriteStage) throws -> Void)?) throws {
        let (header, data) = try prepare(tensors, metadata: metadata, path: path)
        let (dir, base) = splitPath(path)
        let (fd, tempPath) = try createTemp(dir: dir, base: base, target: path)
        var fdOpen = true
        var renamed = false
        defer {
            if fdOpen { close(fd) }
            if !renamed { unlink(tempPath) }
        }
        try faultInjection?(.tempCreated)
        try writeAll(fd, header, target: path)
        try faultInjection?(.headerWritten)
        for (i, a) in data.enumerated() {
            let bytes = a.count * a.dtype.byteSize
            if bytes > 0 {
                try writeAll(fd, UnsafeRawBufferPointer(start: a.baseAddress, count: bytes), target: path)
            }
            try faultInjection?(.tensorWritten(i))
        }
        try faultInjection?(.beforeFsync)
        guard fsync(fd) == 0 else { throw SafetensorsError.cannotWrite(path: path, reason: "fsync: \(FileIO.osReason(errno))") }
        fdOpen = false
        guard close(fd) == 0 else { throw SafetensorsError.cannotWrite(path: path, reason: "close: \(FileIO.osReason(errno))") }
        try faultInjection?(.beforeRename)
        guard rename(tempPath, path) == 0 else {
            throw SafetensorsError.cannotWrite(path: path, reason: FileIO.osReason(errno))
        }
        renamed = true
        try syncDirectory(dir, target: path)
    }

    // MARK: layout

    /// The header bytes (length prefix included) and the arrays in layout order, contiguous
    /// and little-endian.
    static func prepare(_ tensors: [(name: String, array: NDArray)], metadata: [String: String],
                        path: String) throws -> (header: [UInt8], data: [NDArray]) {
        var seen = Set<String>()
        for (name, _) in tensors {
            guard !name.isEmpty else {
                throw SafetensorsError.invalidName(path: path, name: name, reason: "is empty")
            }
            guard name != "__metadata__" else {
                throw SafetensorsError.invalidName(path: path, name: name, reason: "is reserved for the metadata")
            }
            guard seen.insert(name).inserted else {
                throw SafetensorsError.invalidName(path: path, name: name, reason: "appears more than once")
            }
        }
        let order = tensors.indices.sorted { i, j in
            let a = SafetensorsDType(tensors[i].array.dtype).layoutRank
            let b = SafetensorsDType(tensors[j].array.dtype).layoutRank
            if a != b { return a > b }
            // Byte order of the UTF-8 names, as Rust compares strings.
            return tensors[i].name.utf8.lexicographicallyPrecedes(tensors[j].name.utf8)
        }
        // serde_json's layout and escaping (JSONWriter's compact style), so headers match
        // the reference writer byte for byte.
        var members: [(String, JSONValue)] = []
        if !metadata.isEmpty {
            let keys = metadata.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            members.append(("__metadata__", .object(keys.map { ($0, .string(metadata[$0] ?? "")) })))
        }
        var data = [NDArray]()
        data.reserveCapacity(tensors.count)
        var offset = 0
        for i in order {
            let (name, array) = tensors[i]
            let c = try littleEndianContiguous(array)
            let bytes = c.count * c.dtype.byteSize
            members.append((name, ["dtype": .string(SafetensorsDType(c.dtype).rawValue),
                                   "shape": .array(c.shape.map { JSONValue($0) }),
                                   "data_offsets": [JSONValue(offset), JSONValue(offset + bytes)]]))
            offset += bytes
            data.append(c)
        }
        var json = JSONWriter.bytes(.object(members))
        json.append(contentsOf: repeatElement(0x20, count: (8 - json.count % 8) % 8))
        guard json.count <= SafetensorsFile.maxHeaderBytes else {
            throw SafetensorsError.cannotWrite(path: path,
                reason: "the header would have \(json.count) bytes, over the format's limit of \(SafetensorsFile.maxHeaderBytes)")
        }
        var header = [UInt8]()
        header.reserveCapacity(8 + json.count)
        var n = UInt64(json.count)
        for _ in 0..<8 { header.append(UInt8(truncatingIfNeeded: n)); n >>= 8 }
        header.append(contentsOf: json)
        return (header, data)
    }

    /// A contiguous array whose bytes are what the file stores: little-endian, bools 0/1.
    static func littleEndianContiguous(_ a: NDArray) throws -> NDArray {
        var c = try a.contiguous()
        var needsBoolFix = false
        if c.dtype == .bool {
            let p = c.baseAddress.assumingMemoryBound(to: UInt8.self)
            needsBoolFix = (0..<c.count).contains { p[$0] > 1 }
        }
        if needsBoolFix {
            if c.storage === a.storage { c = try a.contiguousCopy() }
            let p = c.baseAddress.assumingMemoryBound(to: UInt8.self)
            for i in 0..<c.count where p[i] > 1 { p[i] = 1 }
        }
        #if _endian(big)
        if c.dtype.byteSize > 1 {
            if c.storage === a.storage { c = try a.contiguousCopy() }
            SafetensorsFile.fromLittleEndian(c.baseAddress, count: c.count, dtype: c.dtype)
        }
        #endif
        return c
    }

    // MARK: files

    static func splitPath(_ path: String) -> (dir: String, base: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let dir = String(path[..<slash])
        return (dir.isEmpty ? "/" : dir, String(path[path.index(after: slash)...]))
    }

    /// A new file `<dir>/.<base>.tmp-<random>` opened for writing (never an existing file).
    static func createTemp(dir: String, base: String, target: String) throws -> (Int32, String) {
        for _ in 0..<16 {
            let suffix = String(UInt64.random(in: 0...UInt64.max), radix: 36)
            let temp = (dir == "/" ? "" : dir) + "/." + base + ".tmp-" + suffix
            let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            if fd >= 0 { return (fd, temp) }
            if errno == EEXIST || errno == EINTR { continue }
            throw SafetensorsError.cannotWrite(path: target, reason: "cannot create a temporary file in '\(dir)': \(FileIO.osReason(errno))")
        }
        throw SafetensorsError.cannotWrite(path: target, reason: "cannot create a temporary file in '\(dir)'")
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8], target: String) throws {
        try bytes.withUnsafeBytes { try writeAll(fd, $0, target: target) }
    }

    static func writeAll(_ fd: Int32, _ buf: UnsafeRawBufferPointer, target: String) throws {
        guard let base = buf.baseAddress else { return }
        var done = 0
        while done < buf.count {
            let n = posixWrite(fd, base + done, min(buf.count - done, 1 << 30))
            if n < 0 {
                if errno == EINTR { continue }
                throw SafetensorsError.cannotWrite(path: target, reason: FileIO.osReason(errno))
            }
            done += n
        }
    }

    /// Makes the rename durable. File systems that cannot fsync a directory (EINVAL) are accepted.
    static func syncDirectory(_ dir: String, target: String) throws {
        let fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw SafetensorsError.cannotWrite(path: target, reason: "cannot open directory '\(dir)': \(FileIO.osReason(errno))") }
        defer { close(fd) }
        if fsync(fd) != 0 && errno != EINVAL {
            throw SafetensorsError.cannotWrite(path: target, reason: "fsync of directory '\(dir)': \(FileIO.osReason(errno))")
        }
    }
}
