import CZeroMQ
import Foundation
import JupyterKernel
import Synchronization

/// Serves a `Dispatcher` over the five Jupyter channels exactly as the connection file says.
///
/// Threads: heartbeat (REP echo), control (ROUTER), shell (ROUTER + stdin ROUTER, runs cells
/// on a 512 MiB stack). IOPub is published from any of them under one lock (a queue and an
/// owner thread cost a thread wake-up per message: 0.1 ms of every round trip). Only this
/// module imports libzmq.
///
/// IOPub is an XPUB socket: each subscription a client sends (also a repeated one, with
/// `ZMQ_XPUB_VERBOSE`) is answered with an `iopub_welcome` (JEP 65), so a client learns
/// that its SUB socket is connected at once instead of probing with kernel_info until a
/// status message gets through. Subscriptions are read under the IOPub lock too: by
/// `serve`'s own thread when the socket's `ZMQ_FD` wakes it, and after every publish
/// (a publisher's send may process the notification, which then never reaches that fd).
///
/// ```swift
/// let server = try ZMQKernelServer(connection: info)
/// try server.serve { transport in Dispatcher(codec: codec, backend: backend, transport: transport) }
/// ```
public final class ZMQKernelServer: KernelTransport, @unchecked Sendable {
    private let context: UnsafeMutableRawPointer
    private let shell, control, stdin, iopub, heartbeat: Socket
    private let stopping = Atomic<Bool>(false)
    private let iopubLock = NSLock()
    private var iopubClosed = false
    /// Wakes `serve`'s thread when the IOPub socket has something to read (subscriptions).
    private let iopubSignal: Int32
    /// Builds the welcome for one XPUB event; set once in `serve`, read under `iopubLock`.
    private var welcome: (([UInt8]) -> [[UInt8]]?)?
    private let log: @Sendable (String) -> Void

    public init(connection c: ConnectionInfo,
                log: @escaping @Sendable (String) -> Void = stderrLog) throws {
        guard let ctx = zmq_ctx_new() else { throw ZMQError.last("zmq_ctx_new") }
        context = ctx
        self.log = log
        shell = try Socket(context: ctx, type: ZMQ_ROUTER)
        control = try Socket(context: ctx, type: ZMQ_ROUTER)
        stdin = try Socket(context: ctx, type: ZMQ_ROUTER)
        iopub = try Socket(context: ctx, type: ZMQ_XPUB)
        iopub.setInt(ZMQ_XPUB_VERBOSE, 1)
        iopubSignal = try iopub.fileDescriptor()
        heartbeat = try Socket(context: ctx, type: ZMQ_REP)
        // IOPub and shell first: they are what a starting client's wait_for_ready needs,
        // and a connect refused before the bind is retried only 100–200 ms later.
        try iopub.bind(c.endpoint(port: c.iopubPort))
        try shell.bind(c.endpoint(port: c.shellPort))
        try control.bind(c.endpoint(port: c.controlPort))
        try stdin.bind(c.endpoint(port: c.stdinPort))
        try heartbeat.bind(c.endpoint(port: c.hbPort))
    }

    /// Starts every thread, hands the dispatcher its messages, and returns after shutdown.
    /// With `watchParent`, it also stops when the process that started it dies (as
    /// ipykernel does when jupyter_client sets JPY_PARENT_PID), so no kernel is orphaned.
    public func serve(watchParent: Bool = false, _ makeDispatcher: (KernelTransport) -> Dispatcher) {
        let parent = getppid()
        let dispatcher = makeDispatcher(self)
        iopubLock.lock(); welcome = dispatcher.welcome(forSubscription:); iopubLock.unlock()
        let done = DispatchGroup()
        startThread("koan-heartbeat", group: done) { [self] in
            while !stopping.load(ordering: .relaxed) {
                if heartbeat.poll(timeout: 100), let ping = heartbeat.receive() { heartbeat.send(ping) }
            }
        }
        startThread("koan-control", group: done) { [self] in
            while !stopping.load(ordering: .relaxed) {
                if control.poll(timeout: 100), let frames = control.receive() { dispatcher.handle(frames, on: .control) }
            }
        }
        let shellDone = DispatchSemaphore(value: 0)
        let shellThread = Thread { [self] in
            while !stopping.load(ordering: .relaxed) {
                if shell.poll(timeout: 100), let frames = shell.receive() { dispatcher.handle(frames, on: .shell) }
            }
            shellDone.signal()
        }
        shellThread.name = "koan-shell"
        shellThread.stackSize = 512 << 20
        dispatcher.start()
        shellThread.start()

        // Answer IOPub subscriptions until shutdown; a cell that ignores the interrupt gets two seconds.
        while !stopping.load(ordering: .relaxed) {
            var item = pollfd(fd: iopubSignal, events: Int16(POLLIN), revents: 0)
            _ = poll(&item, 1, 50)  // readable, timed out or EINTR: look in any case
            iopubLock.lock(); answerSubscriptions(); iopubLock.unlock()
            if watchParent && getppid() != parent {
                log("the parent process \(parent) is gone; shutting down")
                dispatcher.interrupt()
                stop()
            }
        }
        if shellDone.wait(timeout: .now() + 2) == .timedOut { log("the running cell did not stop; exiting anyway") }
        _ = done.wait(timeout: .now() + 2)
        iopubLock.lock(); iopubClosed = true; welcome = nil; iopubLock.unlock()
        for s in [shell, control, stdin, iopub, heartbeat] { s.close() }
        zmq_ctx_term(context)
    }

    /// Publishes a welcome for each subscription waiting on the XPUB socket (at most 64, so
    /// a flood of them cannot hold the lock for long). Call with `iopubLock` held.
    private func answerSubscriptions() {
        guard !iopubClosed, let welcome else { return }
        for _ in 0..<64 {
            guard let event = iopub.receive(dontWait: true) else { return }
            // Subscriptions are single frames; anything else a peer sends upstream is dropped.
            if event.count == 1, let frames = welcome(event[0]) { iopub.send(frames) }
        }
    }

    private func startThread(_ name: String, group: DispatchGroup, _ body: @escaping @Sendable () -> Void) {
        group.enter()
        let t = Thread { body(); group.leave() }
        t.name = name
        t.start()
    }

    // MARK: KernelTransport

    public func send(_ frames: [[UInt8]], on channel: Channel) {
        switch channel {
        case .shell: shell.send(frames)
        case .control: control.send(frames)
        case .stdin: stdin.send(frames)
        case .iopub:
            // Any thread publishes directly, one at a time: the lock orders messages and
            // hands the socket between threads with a full memory barrier (libzmq's rule).
            iopubLock.lock()
            if !iopubClosed { iopub.send(frames); answerSubscriptions() }
            iopubLock.unlock()
        }
    }

    public func receive(on channel: Channel, timeoutMilliseconds: Int) -> [[UInt8]]? {
        let s: Socket
        switch channel {
        case .shell: s = shell
        case .control: s = control
        case .stdin: s = stdin
        case .iopub: return nil
        }
        return s.poll(timeout: timeoutMilliseconds) ? s.receive() : nil
    }

    public func pendingShellRequests() -> [[[UInt8]]] {
        var out: [[[UInt8]]] = []
        while let frames = shell.receive(dontWait: true) { out.append(frames) }
        return out
    }

    public func stop() { stopping.store(true, ordering: .relaxed) }
}
