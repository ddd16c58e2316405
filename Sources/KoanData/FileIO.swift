#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The bytes of the file at `path`; `DataError.cannotOpen` with the OS reason on failure.
func readFileBytes(_ path: String) throws -> [UInt8] {
    let fd = open(path, O_RDONLY)
    if fd < 0 { throw DataError.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
    defer { close(fd) }
    var out: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 {
            if errno == EINTR { continue }
            throw DataError.cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        if n == 0 { break }
        out.append(contentsOf: chunk[..<n])
    }
    return out
}

/// Splits text into lines on `\n`, dropping a `\r` before it; yields (1-based line number, line).
func textLines(_ bytes: [UInt8]) -> [(line: Int, text: Substring)] {
    var text = String(decoding: bytes, as: UTF8.self)
    if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
    var out: [(Int, Substring)] = []
    var n = 0
    // Split on unicode scalars so "\r\n" (one Character) is seen as two scalars.
    for raw in text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false) {
        n += 1
        var line = Substring(raw)
        if line.unicodeScalars.last == "\r" { line = Substring(line.unicodeScalars.dropLast()) }
        out.append((n, line))
    }
    return out
}
