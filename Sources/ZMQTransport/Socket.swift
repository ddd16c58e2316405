import CZeroMQ
import Foundation

/// A ZeroMQ failure, with errno's text from libzmq.
public struct ZMQError: Error, CustomStringConvertible {
    public let operation: String
    public let code: Int32
    public var description: String { "\(operation): \(String(cString: zmq_strerror(code)))" }
    static func last(_ operation: String) -> ZMQError { ZMQError(operation: operation, code: zmq_errno()) }
}

/// One ZeroMQ socket. Not thread-safe: each socket is used by one thread at a time
/// (handed over at thread start, which is a full memory barrier).
final class Socket: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer

    init(context: UnsafeMutableRawPointer, type: Int32) throws {
        guard let h = zmq_socket(context, type) else { throw ZMQError.last("zmq_socket") }
        handle = h
        var linger: Int32 = 1000
        zmq_setsockopt(h, ZMQ_LINGER, &linger, MemoryLayout<Int32>.size)
    }

    func bind(_ endpoint: String) throws {
        guard zmq_bind(handle, endpoint) == 0 else { throw ZMQError.last("zmq_bind \(endpoint)") }
    }

    func setInt(_ option: Int32, _ value: Int32) {
        var v = value
        zmq_setsockopt(handle, option, &v, MemoryLayout<Int32>.size)
    }

    /// The file descriptor libzmq signals when the socket's state may have changed
    /// (`ZMQ_FD`). Another thread may wait on it with poll(2) while this one uses the
    /// socket; it is edge-like, so whoever wakes must still ask the socket itself.
    func fileDescriptor() throws -> Int32 {
        var fd: Int32 = -1
        var size = MemoryLayout<Int32>.size
        guard zmq_getsockopt(handle, ZMQ_FD, &fd, &size) == 0 else { throw ZMQError.last("zmq_getsockopt ZMQ_FD") }
        return fd
    }

    /// Sends all frames as one multipart message. Returns false if libzmq refused.
    @discardableResult
    func send(_ frames: [[UInt8]]) -> Bool {
        for (i, f) in frames.enumerated() {
            let flags: Int32 = i < frames.count - 1 ? ZMQ_SNDMORE : 0
            let rc = f.withUnsafeBytes { buf in
                zmq_send(handle, buf.baseAddress, buf.count, flags)
            }
            if rc < 0 { return false }
        }
        return true
    }

    /// Waits up to `timeout` ms (-1: forever) for the socket to be readable.
    func poll(timeout: Int) -> Bool {
        var item = zmq_pollitem_t(socket: handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0)
        let rc = zmq_poll(&item, 1, timeout)
        return rc > 0 && (item.revents & Int16(ZMQ_POLLIN)) != 0
    }

    /// Receives one whole multipart message (blocking unless `dontWait`).
    func receive(dontWait: Bool = false) -> [[UInt8]]? {
        var frames: [[UInt8]] = []
        while true {
            var msg = zmq_msg_t()
            zmq_msg_init(&msg)
            defer { zmq_msg_close(&msg) }
            let rc = zmq_msg_recv(&msg, handle, dontWait && frames.isEmpty ? ZMQ_DONTWAIT : 0)
            if rc < 0 { return frames.isEmpty ? nil : frames }
            let size = zmq_msg_size(&msg)
            if let data = zmq_msg_data(&msg), size > 0 {
                frames.append(Array(UnsafeRawBufferPointer(start: data, count: size)))
            } else {
                frames.append([])
            }
            if zmq_msg_more(&msg) == 0 { return frames }
        }
    }

    func close() { zmq_close(handle) }
}
