import Foundation

/// Turns SIGINT into a call, never a death: SIGINT is blocked in every thread (threads
/// inherit the mask, so call this before starting any) and one thread waits for it
/// with `sigwait`. jupyter_client's interrupt_mode "signal" sends exactly this.
enum InterruptSignal {
    static func route(to handler: @escaping @Sendable () -> Void) {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        pthread_sigmask(SIG_BLOCK, &set, nil)
        let t = Thread {
            var waitSet = sigset_t()
            sigemptyset(&waitSet)
            sigaddset(&waitSet, SIGINT)
            while true {
                var sig: Int32 = 0
                if sigwait(&waitSet, &sig) == 0 && sig == SIGINT { handler() }
            }
        }
        t.name = "koan-signals"
        t.start()
    }
}
