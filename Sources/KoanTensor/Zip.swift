import CZlib

/// A minimal zip reader/writer for `.npz` archives.
///
///     let bytes = try ZipArchive.write([("x.npy", npyBytes)], compress: true)
///     let members = try ZipArchive.read(bytes, path: "m.npz")   // [("x.npy", npyBytes)]
///
/// Reading handles stored (method 0) and deflated (method 8) members, the Zip64 records
/// that Python's `zipfile` writes (NumPy's `savez` forces Zip64 local headers), and
/// checks every member's CRC-32. Writing produces plain (non-Zip64) archives with
/// stored or deflated members, so archives are limited to 4 GiB.
enum ZipArchive {
    static let localSignature: UInt32 = 0x0403_4B50
    static let centralSignature: UInt32 = 0x0201_4B50
    static let endSignature: UInt32 = 0x0605_4B50
    static let zip64EndSignature: UInt32 = 0x0606_4B50
    static let zip64LocatorSignature: UInt32 = 0x0706_4B50

    /// Bounds-checked little-endian reads over the archive bytes.
    struct Reader {
        let bytes: [UInt8]
        let path: String

        func fail(_ reason: String) -> TensorError { .invalidFile(path: path, reason: "malformed zip archive: \(reason)") }

        func u16(_ at: Int) throws -> Int {
            guard at >= 0, at <= bytes.count - 2 else { throw fail("unexpected end of data") }
            return Int(bytes[at]) | Int(bytes[at + 1]) << 8
        }
        func u32(_ at: Int) throws -> Int {
            guard at >= 0, at <= bytes.count - 4 else { throw fail("unexpected end of data") }
            return Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24
        }
        func u64(_ at: Int) throws -> Int {
            let lo = try u32(at), hi = try u32(at + 4)
            guard hi < 0x8000_0000 else { throw fail("size or offset out of range") }
            return lo | hi << 32
        }
        func slice(_ at: Int, _ count: Int) throws -> ArraySlice<UInt8> {
            guard at >= 0, count >= 0, at <= bytes.count, count <= bytes.count - at else { throw fail("unexpected end of data") }
            return bytes[at..<(at + count)]
        }
    }

    /// The members of a zip archive in central-directory order.
    static func read(_ bytes: [UInt8], path: String) throws -> [(name: String, data: [UInt8])] {
        let r = Reader(bytes: bytes, path: path)
        guard bytes.count >= 22 else {
            throw TensorError.invalidFile(path: path, reason: bytes.starts(with: [0x50, 0x4B]) ? "malformed zip archive: too short" : "not a zip archive")
        }
        // End of central directory: scan back over a comment of up to 64 KiB.
        var end = -1
        var at = bytes.count - 22
        let lowest = max(0, bytes.count - 22 - 65535)
        while at >= lowest {
            if bytes[at] == 0x50, bytes[at + 1] == 0x4B, bytes[at + 2] == 0x05, bytes[at + 3] == 0x06 { end = at; break }
            at -= 1
        }
        guard end >= 0 else {
            throw TensorError.invalidFile(path: path, reason: bytes.starts(with: [0x50, 0x4B]) ? "malformed zip archive: no end of central directory record" : "not a zip archive")
        }
        let disk = try r.u16(end + 4), cdDisk = try r.u16(end + 6)
        var entryCount = try r.u16(end + 10)
        var cdSize = try r.u32(end + 12)
        var cdOffset = try r.u32(end + 16)
        guard disk == 0, cdDisk == 0 else { throw r.fail("multi-disk archives are not supported") }
        if entryCount == 0xFFFF || cdSize == 0xFFFF_FFFF || cdOffset == 0xFFFF_FFFF {
            let locator = end - 20
            guard locator >= 0, try r.u32(locator) == Int(zip64LocatorSignature) else {
                throw r.fail("missing Zip64 end of central directory locator")
            }
            let z = try r.u64(locator + 8)
            guard try r.u32(z) == Int(zip64EndSignature) else { throw r.fail("bad Zip64 end of central directory record") }
            entryCount = try r.u64(z + 32)
            cdSize = try r.u64(z + 40)
            cdOffset = try r.u64(z + 48)
        }
        guard cdOffset <= bytes.count, cdSize <= bytes.count - cdOffset else {
            throw r.fail("central directory lies outside the file")
        }
        guard entryCount <= cdSize / 46 else { throw r.fail("entry count \(entryCount) does not fit the central directory") }

        var members = [(name: String, data: [UInt8])]()
        var p = cdOffset
        for _ in 0..<entryCount {
            guard try r.u32(p) == Int(centralSignature) else { throw r.fail("bad central directory entry") }
            let flags = try r.u16(p + 8)
            let method = try r.u16(p + 10)
            let crc = try r.u32(p + 16)
            var compressedSize = try r.u32(p + 20)
            var size = try r.u32(p + 24)
            let nameLength = try r.u16(p + 28), extraLength = try r.u16(p + 30), commentLength = try r.u16(p + 32)
            var localOffset = try r.u32(p + 42)
            let nameBytes = Array(try r.slice(p + 46, nameLength))
            let name = String(decoding: nameBytes, as: UTF8.self)
            // Zip64 extended information: present fields replace the 0xFFFFFFFF ones, in order.
            var e = p + 46 + nameLength
            let extraEnd = e + extraLength
            while e + 4 <= extraEnd {
                let id = try r.u16(e), len = try r.u16(e + 2)
                if id == 1 {
                    var q = e + 4
                    if size == 0xFFFF_FFFF { size = try r.u64(q); q += 8 }
                    if compressedSize == 0xFFFF_FFFF { compressedSize = try r.u64(q); q += 8 }
                    if localOffset == 0xFFFF_FFFF { localOffset = try r.u64(q); q += 8 }
                    guard q <= e + 4 + len else { throw r.fail("bad Zip64 extra field for '\(name)'") }
                }
                e += 4 + len
            }
            p = extraEnd + commentLength
            guard flags & 1 == 0 else { throw r.fail("member '\(name)' is encrypted") }

            guard try r.u32(localOffset) == Int(localSignature) else { throw r.fail("bad local header for '\(name)'") }
            let localName = try r.u16(localOffset + 26), localExtra = try r.u16(localOffset + 28)
            let dataStart = localOffset + 30 + localName + localExtra
            let compressed = try r.slice(dataStart, compressedSize)
            let data: [UInt8]
            switch method {
            case 0:
                guard compressedSize == size else { throw r.fail("stored member '\(name)' has inconsistent sizes") }
                data = Array(compressed)
            case 8:
                // Deflate cannot expand more than ~1032:1; anything beyond is a corrupt size field.
                guard size <= compressedSize * 1100 + 1024 else { throw r.fail("member '\(name)' has an implausible size") }
                data = try inflateRaw(compressed, size: size, fail: { r.fail("member '\(name)': \($0)") })
            default:
                throw r.fail("member '\(name)' uses compression method \(method); only stored and deflate are supported")
            }
            guard crc32(data) == UInt32(crc) else { throw r.fail("CRC-32 mismatch in member '\(name)'") }
            members.append((name, data))
        }
        return members
    }

    /// A zip archive holding `members` (stored, or deflated when `compress`).
    static func write(_ members: [(name: String, data: [UInt8])], compress: Bool = false) throws -> [UInt8] {
        func tooLarge() -> TensorError {
            .invalidArgument(op: "saveArchive", message: "archives over 4 GiB need Zip64, which writing does not support")
        }
        guard members.count < 0xFFFF else {
            throw TensorError.invalidArgument(op: "saveArchive", message: "at most 65534 members are supported, got \(members.count)")
        }
        var out = [UInt8]()
        var central = [UInt8]()
        func put16(_ v: Int, _ buf: inout [UInt8]) { buf += [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF)] }
        func put32(_ v: Int, _ buf: inout [UInt8]) {
            buf += [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8((v >> 24) & 0xFF)]
        }
        for (name, data) in members {
            let nameBytes = Array(name.utf8)
            guard nameBytes.count <= 0xFFFF else {
                throw TensorError.invalidArgument(op: "saveArchive", message: "member name too long")
            }
            let crc = Int(crc32(data))
            var method = 0
            var payload = data
            if compress {
                let packed = try deflateRaw(data)
                if packed.count < data.count { payload = packed; method = 8 }
            }
            guard data.count < 0xFFFF_FFFF, payload.count < 0xFFFF_FFFF, out.count < 0xFFFF_FFFF else { throw tooLarge() }
            let offset = out.count
            let flags = nameBytes.allSatisfy({ $0 < 0x80 }) ? 0 : 0x0800  // UTF-8 names
            let dosTime = 0, dosDate = (0 << 9) | (1 << 5) | 1          // 1980-01-01 00:00
            put32(Int(localSignature), &out)
            put16(20, &out); put16(flags, &out); put16(method, &out)
            put16(dosTime, &out); put16(dosDate, &out)
            put32(crc, &out); put32(payload.count, &out); put32(data.count, &out)
            put16(nameBytes.count, &out); put16(0, &out)
            out += nameBytes
            out += payload

            put32(Int(centralSignature), &central)
            put16(0x0314, &central)  // made by: Unix, spec 2.0
            put16(20, &central); put16(flags, &central); put16(method, &central)
            put16(dosTime, &central); put16(dosDate, &central)
            put32(crc, &central); put32(payload.count, &central); put32(data.count, &central)
            put16(nameBytes.count, &central); put16(0, &central); put16(0, &central)  // name, extra, comment
            put16(0, &central); put16(0, &central)                                    // disk, internal attributes
            put32(0o100644 << 16, &central)                                           // external: regular file rw-r--r--
            put32(offset, &central)
            central += nameBytes
        }
        let cdOffset = out.count
        guard cdOffset < 0xFFFF_FFFF, central.count < 0xFFFF_FFFF else { throw tooLarge() }
        out += central
        put32(Int(endSignature), &out)
        put16(0, &out); put16(0, &out)
        put16(members.count, &out); put16(members.count, &out)
        put32(central.count, &out); put32(cdOffset, &out)
        put16(0, &out)
        return out
    }

    // MARK: zlib

    static func crc32<C: Collection>(_ data: C) -> UInt32 where C.Element == UInt8 {
        var crc: UInt = 0
        let done: Bool? = data.withContiguousStorageIfAvailable { buf in
            var p = buf.baseAddress
            var left = buf.count
            while left > 0, let q = p {
                let n = min(left, 1 << 30)
                crc = CZlib.crc32(crc, q, uInt(n))
                p = q + n
                left -= n
            }
            return true
        }
        if done == nil { return crc32(Array(data)) }
        return UInt32(truncatingIfNeeded: crc)
    }

    static func inflateRaw(_ input: ArraySlice<UInt8>, size: Int, fail: (String) -> TensorError) throws -> [UInt8] {
        guard input.count < Int(UInt32.max), size < Int(UInt32.max) else { throw fail("member too large") }
        // The declared size comes from the file: it must fit the tensor memory limit too.
        guard size <= TensorRuntime.memoryLimit else { throw TensorError.allocationTooLarge(bytes: size, limit: TensorRuntime.memoryLimit) }
        var output = [UInt8](repeating: 0, count: size)
        var stream = z_stream()
        guard inflateInit2_(&stream, -15, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw fail("cannot initialise zlib")
        }
        defer { inflateEnd(&stream) }
        let status: Int32 = input.withUnsafeBufferPointer { inBuf in
            output.withUnsafeMutableBufferPointer { outBuf in
                var scratch: UInt8 = 0
                stream.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress)
                stream.avail_in = uInt(inBuf.count)
                if size > 0 {
                    stream.next_out = outBuf.baseAddress
                    stream.avail_out = uInt(size)
                    return inflate(&stream, Z_FINISH)
                }
                return withUnsafeMutablePointer(to: &scratch) { s in
                    stream.next_out = s
                    stream.avail_out = 0
                    return inflate(&stream, Z_FINISH)
                }
            }
        }
        guard status == Z_STREAM_END, Int(stream.total_out) == size else {
            if status == Z_DATA_ERROR { throw fail("corrupt deflate data") }
            if status == Z_BUF_ERROR || status == Z_OK { throw fail("deflate data does not match the recorded size") }
            throw fail("inflate failed (zlib status \(status))")
        }
        return output
    }

    static func deflateRaw(_ input: [UInt8]) throws -> [UInt8] {
        guard input.count < Int(UInt32.max) else {
            throw TensorError.invalidArgument(op: "saveArchive", message: "member too large to compress")
        }
        var stream = z_stream()
        guard deflateInit2_(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY,
                            zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw TensorError.invalidArgument(op: "saveArchive", message: "cannot initialise zlib")
        }
        defer { deflateEnd(&stream) }
        let bound = Int(deflateBound(&stream, uLong(input.count)))
        var output = [UInt8](repeating: 0, count: bound + 16)
        let capacity = output.count
        let status: Int32 = input.withUnsafeBufferPointer { inBuf in
            output.withUnsafeMutableBufferPointer { outBuf in
                stream.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress)
                stream.avail_in = uInt(inBuf.count)
                stream.next_out = outBuf.baseAddress
                stream.avail_out = uInt(capacity)
                return deflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END else {
            throw TensorError.invalidArgument(op: "saveArchive", message: "deflate failed (zlib status \(status))")
        }
        output.removeSubrange(Int(stream.total_out)...)
        return output
    }
}
