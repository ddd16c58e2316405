import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The memory limit for the language's own values (arrays, strings, dictionaries), the
/// same one tensors count against (`%memory`): a value that would not fit is a
/// `MemoryError`, never an out-of-memory kill of the kernel.
///
///     try ValueMemory.reserve(count: n, bytesEach: MemoryLayout<Value>.stride, "an array of \(n) elements")
///
/// The library wires `limit` and `inUse` to the tensor runtime (`configure`); until then
/// the limit is three quarters of physical RAM and nothing else is counted.
package enum ValueMemory {
    package typealias Gauge = @Sendable () -> Int
    private static let gauges = Mutex<(limit: Gauge, inUse: Gauge)>((limit: { defaultLimit }, inUse: { 0 }))

    package static func configure(limit: @escaping Gauge, inUse: @escaping Gauge) {
        gauges.withLock { $0 = (limit, inUse) }
    }

    static var defaultLimit: Int {
        let pages = Int(sysconf(Int32(_SC_PHYS_PAGES))), size = Int(sysconf(Int32(_SC_PAGESIZE)))
        return pages > 0 && size > 0 ? pages / 4 * 3 * size : 8 << 30
    }

    /// Bytes of one element of an array or dictionary entry, as stored.
    static let valueBytes = MemoryLayout<Value>.stride

    /// Throws a `MemoryError` when `count` items of `bytesEach` bytes would pass what is
    /// left of the limit. `what` names the value in the message.
    package static func reserve(count: Int, bytesEach: Int, _ what: @autoclosure () -> String) throws {
        let (limit, inUse) = gauges.withLock { ($0.limit(), $0.inUse()) }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: max(1, bytesEach))
        if !overflow, bytes <= limit - inUse { return }
        let size = overflow ? "more bytes than Int can count" : bytesText(bytes)
        let held = inUse > 0 ? " (\(bytesText(inUse)) of it in use)" : ""
        throw Fault(.memory, "\(what()) needs \(size), more than the memory limit of \(bytesText(limit))\(held) allows; see %memory")
    }

    static func bytesText(_ n: Int) -> String {
        let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var value = Double(n), unit = 0
        while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
        return unit == 0 ? "\(n) bytes" : "\((value * 10).rounded() / 10) \(units[unit])"
    }
}
