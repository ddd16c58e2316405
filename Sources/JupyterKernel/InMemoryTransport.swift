import Foundation

/// A transport you feed and drain, for tests of the dispatcher without sockets.
///
/// ```swift
/// let t = InMemoryTransport()
/// t.queueShell(frames)               // seen by pendingShellRequests()
/// t.queueStdin(replyFrames)          // answered to receive(on: .stdin)
/// t.onSend = { channel, frames in }  // react to what the kernel sends
/// dispatcher.handle(frames, on: .shell)
/// let out = t.drain(.iopub)          // everything sent, in order
/// ```
public final class InMemoryTransport: KernelTransport, @unchecked Sendable {
    private let lock = NSLock()
    private var sent: [Channel: [[[UInt8]]]] = [:]
    private var queuedShell: [[[UInt8]]] = []
    private var queuedStdin: [[[UInt8]]] = []
    public private(set) var stopped = false
    /// Called after each send (lets a test answer an input_request, or play a client
    /// that reacts to a reply).
    public var onSend: ((Channel, [[UInt8]]) -> Void)?

    public init() {}

    public func send(_ frames: [[UInt8]], on channel: Channel) {
        lock.lock(); sent[channel, default: []].append(frames); let hook = onSend; lock.unlock()
        hook?(channel, frames)
    }

    public func receive(on channel: Channel, timeoutMilliseconds: Int) -> [[UInt8]]? {
        lock.lock(); defer { lock.unlock() }
        guard channel == .stdin, !queuedStdin.isEmpty else { return nil }
        return queuedStdin.removeFirst()
    }

    public func pendingShellRequests() -> [[[UInt8]]] {
        lock.lock(); defer { lock.unlock() }
        let q = queuedShell; queuedShell = []; return q
    }

    public func stop() { lock.lock(); stopped = true; lock.unlock() }

    public func queueShell(_ frames: [[UInt8]]) { lock.lock(); queuedShell.append(frames); lock.unlock() }
    public func queueStdin(_ frames: [[UInt8]]) { lock.lock(); queuedStdin.append(frames); lock.unlock() }

    /// Everything sent on `channel` since the last drain, in order.
    public func drain(_ channel: Channel) -> [[[UInt8]]] {
        lock.lock(); defer { lock.unlock() }
        let out = sent[channel] ?? []; sent[channel] = []; return out
    }

    /// What has been sent and not drained, for tests that check nothing is left over.
    public var leftOver: [Channel: Int] {
        lock.lock(); defer { lock.unlock() }
        return sent.filter { !$0.value.isEmpty }.mapValues(\.count)
    }
}
