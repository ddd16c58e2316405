#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file descriptor opened for reading, closed on deinit, with positioned reads that
/// retry on EINTR and short reads. Errors name `path`.
final class ReadableFile {
    let fd: Int32
    let path: String

    init(path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SafetensorsError.io(path: path, reason: FileIO.osReason(errno)) }
        self.fd = fd
        self.path = path
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw SafetensorsError.io(path: path, reason: FileIO.osReason(errno)) }
        if (st.st_mode & S_IFMT) == S_IFDIR { throw SafetensorsError.io(path: path, reason: FileIO.osReason(EISDIR)) }
    }

    deinit { close(fd) }

    /// The current size of the file in bytes.
    func size() throws -> Int {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw SafetensorsError.io(path: path, reason: FileIO.osReason(errno)) }
        return Int(st.st_size)
    }

    /// Reads exactly `count` bytes at `offset` into `buffer`; a short file is `fileChanged`.
    func read(into buffer: UnsafeMutableRawPointer, count: Int, at offset: Int) throws {
        var done = 0
        while done < count {
            // Large reads in pieces: some systems cap one read below 2 GiB.
            let chunk = min(count - done, 1 << 30)
            let n = pread(fd, buffer + done, chunk, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw SafetensorsError.io(path: path, reason: FileIO.osReason(errno))
            }
            if n == 0 {
                throw SafetensorsError.fileChanged(path: path, reason: "it ended at byte \(offset + done), \(offset + count) bytes were expected")
            }
            done += n
        }
    }

    func readBytes(count: Int, at offset: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        if count > 0 {
            try out.withUnsafeMutableBytes { try read(into: $0.baseAddress!, count: count, at: offset) }
        }
        return out
    }
}

/// libc's write(2) (inside `Safetensors`, `write` names the static method).
func posixWrite(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int) -> Int {
    write(fd, p, n)
}
