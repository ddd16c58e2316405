import Foundation

/// Runs `body` on a thread with a 512 MiB stack (deep user recursion is caught by the
/// interpreter's depth limit long before this overflows) and waits for it.
func onLargeStack(_ body: @escaping @Sendable () -> Int32) -> Int32 {
    let box = ResultBox()
    let done = DispatchSemaphore(value: 0)
    let t = Thread { box.value = body(); done.signal() }
    t.stackSize = 512 << 20
    t.start()
    done.wait()
    return box.value
}

private final class ResultBox: @unchecked Sendable {
    var value: Int32 = 0
}
