import Foundation
import JupyterKernel

/// The write end of the self-pipe the SIGINT handler writes to (set once, before the
/// handler is installed; read by the handler only).
nonisolated(unsafe) private var interruptPipeWrite: Int32 = -1

/// Turns SIGINT into a call, never a death. A signal handler (which may run on any
/// thread, including OpenBLAS's worker threads, created before `main` with SIGINT
/// unblocked) only writes one byte to a pipe, which is async-signal-safe; one thread
/// reads the pipe and calls `handler`. jupyter_client's interrupt_mode "signal" sends
/// exactly this.
enum InterruptSignal {
    static func route(to handler: @escaping @Sendable () -> Void) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else {
            stderrLog("koan: cannot create the interrupt pipe (errno \(errno)); Ctrl-C will not interrupt")
            return
        }
        interruptPipeWrite = fds[1]
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in
            var byte: UInt8 = 1
            _ = write(interruptPipeWrite, &byte, 1)
        }
        sigemptyset(&action.sa_mask)
        action.sa_flags = SA_RESTART
        sigaction(SIGINT, &action, nil)
        let readEnd = fds[0]
        let t = Thread {
            var byte: UInt8 = 0
            while true {
                let n = read(readEnd, &byte, 1)
                if n == 1 { handler() } else if n < 0 && errno == EINTR { continue } else { break }
            }
        }
        t.name = "koan-signals"
        t.start()
    }
}
