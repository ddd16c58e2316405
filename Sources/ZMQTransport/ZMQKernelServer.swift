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
    private let log: @Sendable (String) -> Void

    public init(connection c: ConnectionInfo,
                log: @escaping @Sendable (String) -> Void = stderrLog) throws {
        guard let ctx = zmq_ctx_new() else { throw ZMQError.last("zmq_ctx_new") }
        context = ctx
        self.log = log
        shell = try Socket(context: ctx, type: ZMQ_ROUTER)
        control = try Socket(context: ctx, type: ZMQ_ROUTER)
        stdin = try Socket(context: ctx, type: ZMQ_ROUTER)
        iopub = try Socket(context: ctx, type: ZMQ_PUB)
        heartbeat = try Socket(context: ctx, type: ZMQ_REP)
        try shell.bind(c.endpoint(port: c.shellPort))
        try control.bind(c.endpoint(port: c.controlPort))
        try stdin.bind(c.endpoint(port: c.stdinPort))
        try iopub.bind(c.endpoint(port: c.iopubPort))
        try heartbeat.bind(c.endpoint(port: c.hbPort))
    }

    /// Starts every thread, hands the dispatcher its messages, and returns after shutdown.
    /// With `watchParent`, it also stops when the process that started it dies (as
    /// ipykernel does when jupyter_client sets JPY_PARENT_PID), so no kernel is orphaned.
    public func serve(watchParent: Bool = false, _ makeDispatcher: (KernelTransport) -> Dispatcher) {
        let parent = getppid()
        let dispatcher = makeDispatcher(self)
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

        // Wait for shutdown; a cell that ignores the interrupt gets two seconds.
        while !stopping.load(ordering: .relaxed) {
            usleep(50_000)
            if watchParent && getppid() != parent {
                log("the parent process \(parent) is gone; shutting down")
                dispatcher.interrupt()
                stop()
            }
        }
        if shellDone.wait(timeout: .now() + 2) == .timedOut { log("the running cell did not stop; exiting anyway") }
        _ = done.wait(timeout: .now() + 2)
        iopubLock.lock(); iopubClosed = true; iopubLock.unlock()
        for s in [shell, control, stdin, iopub, heartbeat] { s.close() }
        zmq_ctx_term(context)
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
            if !iopubClosed { iopub.send(frames) }
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
