/// What the dispatcher needs from a transport. `ZMQTransport` implements it over ZeroMQ;
/// `InMemoryTransport` implements it for tests.
///
/// Threading contract: `send(_:on: .shell)` and `.stdin` and `receive(on: .stdin)` and
/// `pendingShellRequests()` are called only on the shell thread; `.control` only on the
/// control thread; `.iopub` from any thread (the transport serialises it).
public protocol KernelTransport: AnyObject, Sendable {
    func send(_ frames: [[UInt8]], on channel: Channel)
    /// Waits up to `timeoutMilliseconds` for one message on `channel` (used for stdin).
    func receive(on channel: Channel, timeoutMilliseconds: Int) -> [[UInt8]]?
    /// Messages already queued on shell, taken without waiting (for stop_on_error aborts).
    func pendingShellRequests() -> [[[UInt8]]]
    /// Stop serving (after shutdown_request).
    func stop()
}
