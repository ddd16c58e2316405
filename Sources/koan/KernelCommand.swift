import ArgumentParser
import Foundation
import JupyterKernel
import ZMQTransport

/// `koan kernel -f CONNECTION_FILE`: what Jupyter starts (see kernelspec/kernel.json).
struct KernelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernel", abstract: "Run as a Jupyter kernel on the channels of a connection file.")

    @Option(name: [.customShort("f"), .customLong("connection-file")], help: "The connection file Jupyter wrote.")
    var connectionFile: String

    func run() throws {
        let info: ConnectionInfo
        do { info = try ConnectionInfo.load(path: connectionFile) } catch {
            throw ValidationError("cannot read connection file '\(connectionFile)': \(error)")
        }
        let signer: Signer
        do { signer = try Signer(key: info.key, scheme: info.signatureScheme) } catch {
            throw ValidationError("\(error)")
        }
        let codec = WireCodec(signer: signer)
        // Route SIGINT before any thread starts, so every thread inherits the blocked mask.
        let router = InterruptRouter()
        InterruptSignal.route { router.fire() }
        // Bind first: a client that connects before the ports exist retries only after
        // libzmq's reconnect interval (100–200 ms by default), so every millisecond spent
        // before binding can cost a frontend a tenth of a second. What clients send
        // meanwhile waits in the sockets.
        let server = try ZMQKernelServer(connection: info)
        let backend = KoanBackend()
        server.serve(watchParent: ProcessInfo.processInfo.environment["JPY_PARENT_PID"] != nil) { transport in
            let d = Dispatcher(codec: codec, backend: backend, transport: transport)
            router.target = d
            return d
        }
    }
}

/// Forwards SIGINT to the dispatcher once it exists.
final class InterruptRouter: @unchecked Sendable {
    private let lock = NSLock()
    private var _target: Dispatcher?
    var target: Dispatcher? {
        get { lock.lock(); defer { lock.unlock() }; return _target }
        set { lock.lock(); _target = newValue; lock.unlock() }
    }
    func fire() { target?.interrupt() }
}
