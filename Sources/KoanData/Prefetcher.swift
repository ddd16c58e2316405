import Dispatch
import KoanTensor
import Foundation

/// A data loader that builds the next batch on a background thread while the caller works
/// on the current one: at most one batch ahead, batches in exactly the plan's order (so the
/// output equals `Dataset.batches` with the same arguments), cancellable at any time.
///
///     let loader = Prefetcher(try train.batchPlan(64, shuffle: true, seed: epoch))
///     while let (x, y) = try loader.next() { _ = (x, y) /* train step */ }
///
/// `next()` calls are serialised (one consumer at a time gets the batches in order);
/// `cancel()` may be called from any thread. The background work only reads the
/// immutable plan and hands its result over through a lock, so there is no shared mutable
/// state outside `LockedValue` (a pthread mutex, which ThreadSanitizer understands).
public final class Prefetcher: Sendable {
    /// The plan being loaded.
    public let plan: BatchPlan
    private let consumer = LockedValue(ConsumerState())
    private let flag = CancelFlag()

    private struct ConsumerState: Sendable {
        var nextIndex = 0
        var pending: PendingBatch?
    }

    /// Starts preparing batch `first` (0 unless resuming part-way through an epoch)
    /// immediately in the background.
    ///
    ///     let loader = Prefetcher(try ds.batchPlan(16))
    public init(_ plan: BatchPlan, startingAt first: Int = 0) {
        self.plan = plan
        consumer.withLock { state in
            state.nextIndex = max(0, first)
            if state.nextIndex < plan.count { state.pending = start(state.nextIndex) }
        }
    }

    deinit { cancel() }

    /// Number of batches in the plan.
    public var count: Int { plan.count }
    /// True once `cancel()` was called.
    public var isCancelled: Bool { flag.isSet }

    /// Stops the loader: `next()` returns `nil` from now on, and a batch not yet started
    /// in the background is skipped.
    public func cancel() { flag.set() }

    /// The next batch in plan order (waiting for the background thread if it is still
    /// building it), or `nil` after the last batch or once cancelled. Errors thrown while
    /// building a batch are rethrown here, for that batch.
    public func next() throws -> (x: NDArray, y: NDArray)? {
        let result: Result<(x: NDArray, y: NDArray), any Error>? = consumer.withLock { state in
            guard !isCancelled, state.nextIndex < plan.count else { return nil }
            let i = state.nextIndex
            let current = state.pending ?? start(i)
            state.nextIndex = i + 1
            state.pending = i + 1 < plan.count ? start(i + 1) : nil
            return current.wait()
        }
        guard let result, !isCancelled else { return nil }
        return try result.get()
    }

    /// Every remaining batch, in order.
    public func collect() throws -> [(x: NDArray, y: NDArray)] {
        var out: [(x: NDArray, y: NDArray)] = []
        while let b = try next() { out.append(b) }
        return out
    }

    private func start(_ index: Int) -> PendingBatch {
        let pending = PendingBatch()
        let plan = self.plan
        let flag = self.flag
        DispatchQueue.global(qos: .userInitiated).async {
            if flag.isSet {
                pending.finish(.failure(DataError.unsupported(detail: "the prefetcher was cancelled")))
            } else {
                pending.finish(Result { try plan.batch(index) })
            }
        }
        return pending
    }
}

/// The cancellation flag, shared with background jobs (which do not keep the prefetcher alive).
private final class CancelFlag: Sendable {
    private let value = LockedValue(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}

/// One batch being built in the background: a result slot and a semaphore.
private final class PendingBatch: Sendable {
    private let slot = LockedValue<Result<(x: NDArray, y: NDArray), any Error>?>(nil)
    private let done = DispatchSemaphore(value: 0)

    func finish(_ result: Result<(x: NDArray, y: NDArray), any Error>) {
        slot.withLock { $0 = result }
        done.signal()
    }

    func wait() -> Result<(x: NDArray, y: NDArray), any Error> {
        done.wait()
        // `finish` stored the result before signalling; keep it for repeated waits.
        let r = slot.withLock { $0 }
        done.signal()
        return r ?? .failure(DataError.unsupported(detail: "prefetched batch missing"))
    }
}

/// A value guarded by an `NSLock` (pthread mutex). `Synchronization.Mutex` would do, but on
/// Linux it is futex-based and invisible to ThreadSanitizer, which then reports false races.
/// The value is only reachable inside `withLock`, hence the audited `@unchecked Sendable`.
final class LockedValue<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
