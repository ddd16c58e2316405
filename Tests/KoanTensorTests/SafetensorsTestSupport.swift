import Foundation
import KoanTensor
import XCTest
@testable import KoanTensor
import KoanTestSupport

/// Shared helpers: fixture paths, scratch directories, raw bytes of arrays, random arrays.
enum SafetensorsTestSupport {
    static func fixture(_ name: String) throws -> String {
        guard let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures/safetensors") else {
            throw XCTSkip("fixture \(name) missing from the test bundle")
        }
        return url.path
    }

    /// A fresh empty directory under the system temp directory.
    static func scratchDirectory(_ label: String) throws -> String {
        let dir = NSTemporaryDirectory() + "koan-st-\(label)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    static func remove(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// The row-major bytes of `a` (through a contiguous copy when needed).
    static func bytes(_ a: NDArray) throws -> [UInt8] {
        let c = try a.contiguous()
        let n = c.count * c.dtype.byteSize
        return Array(UnsafeRawBufferPointer(start: c.baseAddress, count: n))
    }

    static func fileBytes(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// Plain unlink/open/write/close. (Truncating or renaming over an existing file makes
    /// ext4 flush it to disk, which made the fuzz test I/O-bound.)
    static func writeFile(_ bytes: [UInt8], to path: String) throws {
        unlink(path)
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw CocoaError(.fileWriteUnknown) }
        defer { close(fd) }
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + done, bytes.count - done) }
            guard n > 0 else { throw CocoaError(.fileWriteUnknown) }
            done += n
        }
    }

    /// A contiguous array with random bit patterns (bool: random 0/1).
    static func randomBits<G: RandomNumberGenerator>(_ shape: [Int], _ dtype: DType, using rng: inout G) throws -> NDArray {
        let a = try NDArray(shape: shape, dtype: dtype)
        let n = a.count * dtype.byteSize
        let p = a.storage.pointer.assumingMemoryBound(to: UInt8.self)
        for i in 0..<n { p[i] = dtype == .bool ? UInt8.random(in: 0...1, using: &rng) : UInt8.random(in: 0...255, using: &rng) }
        return a
    }

    /// A little header-building helper: 8-byte length prefix + JSON text + data bytes.
    static func file(header: String, data: [UInt8] = []) -> [UInt8] {
        let h = Array(header.utf8)
        var out = [UInt8]()
        var n = UInt64(h.count)
        for _ in 0..<8 { out.append(UInt8(truncatingIfNeeded: n)); n >>= 8 }
        return out + h + data
    }

    /// Files in `dir` (names only).
    static func listing(_ dir: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
    }
}

