import KoanTensor

/// The order and grouping of samples into mini-batches, fixed up front; batch `i` is built
/// on demand by `batch(_:)`. `Dataset.batches` materialises all of them, `Prefetcher`
/// builds them one ahead on another thread.
///
///     let plan = try digits.batchPlan(64, shuffle: true, seed: 3)
///     let (x, y) = try plan.batch(0)     // x: [64, 64], y: [64]
public struct BatchPlan: Sendable {
    /// The dataset being batched.
    public let dataset: Dataset
    /// Samples per batch (the last batch may be smaller unless `dropLast`).
    public let batchSize: Int
    /// The sample order (`nil`: natural order, batches are views).
    public let order: [Int]?
    /// Number of batches.
    public let count: Int

    /// A plan over `dataset`; throws for `size < 1` or an empty dataset.
    ///
    ///     let plan = try BatchPlan(dataset: ds, size: 32, shuffle: false, seed: 0, dropLast: true)
    public init(dataset: Dataset, size: Int, shuffle: Bool, seed: UInt64, dropLast: Bool) throws {
        guard size >= 1 else { throw DataError.invalidBatchSize(size) }
        guard dataset.count > 0 else { throw DataError.emptyDataset(detail: "cannot batch '\(dataset.name)': it has no samples") }
        self.dataset = dataset
        self.batchSize = size
        self.order = shuffle ? try dataset.permutation(seed: seed) : nil
        let n = dataset.count
        self.count = n / size + (dropLast || n % size == 0 ? 0 : 1)   // no n + size − 1: size may be huge
    }

    /// The sample indices of batch `i`.
    public func indices(_ i: Int) throws -> [Int] {
        guard i >= 0, i < count else { throw DataError.indexOutOfRange(index: i, count: count) }
        let lo = i * batchSize, hi = lo + min(batchSize, dataset.count - lo)
        return order.map { Array($0[lo..<hi]) } ?? Array(lo..<hi)
    }

    /// Batch `i` as `(x, y)`: features `[B, …]` and labels `[B]`. Padded token ids are cut
    /// to the batch's longest row (and `[B, T]` labels with them).
    public func batch(_ i: Int) throws -> (x: NDArray, y: NDArray) {
        let (x, y) = try rawBatch(i)
        guard dataset.isPadded else { return (x, y) }
        let cut = try x.trimmingPadding()
        guard cut.shape != x.shape else { return (x, y) }
        if y.rank == 2, y.shape[1] == x.shape[1] { return (cut, try y.sliced(axis: 1, start: 0, end: cut.shape[1])) }
        return (cut, y)
    }

    private func rawBatch(_ i: Int) throws -> (x: NDArray, y: NDArray) {
        guard i >= 0, i < count else { throw DataError.indexOutOfRange(index: i, count: count) }
        let lo = i * batchSize, hi = lo + min(batchSize, dataset.count - lo)
        guard let order else {
            return (try dataset.features.sliced(axis: 0, start: lo, end: hi),
                    try dataset.labels.sliced(axis: 0, start: lo, end: hi))
        }
        let idx = try NDArray(ints: order[lo..<hi].map(Int64.init), shape: [hi - lo])
        return (try dataset.features.indexSelect(axis: 0, indices: idx),
                try dataset.labels.indexSelect(axis: 0, indices: idx))
    }
}

extension Dataset {
    /// The batching plan behind `batches` (use it with `Prefetcher`).
    ///
    ///     let loader = Prefetcher(try digits.batchPlan(32, shuffle: true, seed: 5))
    public func batchPlan(_ size: Int, shuffle: Bool = false, seed: UInt64 = 0, dropLast: Bool = false) throws -> BatchPlan {
        try BatchPlan(dataset: self, size: size, shuffle: shuffle, seed: seed, dropLast: dropLast)
    }

    /// All mini-batches: every sample exactly once (minus the remainder with `dropLast`),
    /// in natural order or shuffled with `seed`. Unshuffled batches are views.
    ///
    ///     for (x, y) in try digits.batches(128, shuffle: true, seed: 0) { _ = (x, y) }
    public func batches(_ size: Int, shuffle: Bool = false, seed: UInt64 = 0, dropLast: Bool = false) throws -> [(x: NDArray, y: NDArray)] {
        let plan = try batchPlan(size, shuffle: shuffle, seed: seed, dropLast: dropLast)
        return try (0..<plan.count).map { try plan.batch($0) }
    }
}
