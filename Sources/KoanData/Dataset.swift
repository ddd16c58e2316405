import KoanTensor

/// A supervised dataset held in memory: `features` with the samples along the first axis
/// (float32, shape `[N, …]`) and `labels` of shape `[N]` (int64 class ids, or float32 for
/// regression targets). Value type: every transformation returns a new dataset and shares
/// tensor storage where it can.
///
///     let digits = try Dataset.digits()                    // 1797 × 64, labels 0…9
///     let (train, test) = try digits.split(0.8, seed: 42)
///     for (x, y) in try train.batches(32, shuffle: true, seed: 1) { _ = (x, y) }
public struct Dataset: Sendable {
    /// Samples along axis 0: float32, or int64 for token ids.
    public var features: NDArray
    /// Labels with the samples along axis 0: one per sample (`[N]`), or one per position for
    /// sequence tasks (`[N, T]`: next-token or tag ids); int64 class ids or float32 targets.
    public var labels: NDArray
    /// Names of the classes, indexed by class id (`nil` when labels were numeric).
    public var classNames: [String]?
    /// A short name used in messages ("digits", the file name, …).
    public var name: String
    /// Shape of one sample as an image, channels first (`[1, 8, 8]` for digits), when known.
    public var imageShape: [Int]?
    /// The known range of raw feature values (`0...16` for digits), used by `normalized()`.
    public var valueRange: ClosedRange<Double>?
    /// The raw text of each sample (text classification datasets; see `TextDatasets.swift`).
    public var texts: [String]?
    /// The words of each sentence (token classification datasets; labels are `[N, words]`).
    public var words: [[String]]?
    /// True when the features are token ids padded with `paddingID`: each batch is cut to
    /// its longest row (labels `[N, T]` with it).
    public var isPadded = false

    /// Wraps tensors as a dataset; floating features are converted to float32 and integer
    /// features (token ids) to int64, integer labels to int64 and floating labels to float32.
    ///
    ///     let ds = try Dataset(features: try NDArray.zeros([4, 2]),
    ///                          labels: try NDArray(ints: [0, 1, 0, 1], shape: [4]))
    public init(features: NDArray, labels: NDArray, classNames: [String]? = nil, name: String = "dataset",
                imageShape: [Int]? = nil, valueRange: ClosedRange<Double>? = nil) throws {
        guard features.rank >= 1 else {
            throw DataError.shapeMismatch(detail: "\(name): features need a sample axis, got shape \(features.shape)")
        }
        guard labels.rank >= 1, labels.shape[0] == features.shape[0] else {
            throw DataError.shapeMismatch(detail: "\(name): labels of shape \(labels.shape) do not match \(features.shape[0]) samples (features \(features.shape))")
        }
        if let s = imageShape, s.contains(where: { $0 < 0 })
            || ShapeArithmetic.productIfRepresentable(s) != features.shape.dropFirst().reduce(1, *) {
            throw DataError.shapeMismatch(detail: "\(name): image shape \(s) does not hold a sample of shape \(Array(features.shape.dropFirst()))")
        }
        self.features = features.dtype.isFloatingPoint || features.dtype == .bool ? try features.to(.float32) : try features.to(.int64)
        self.labels = try labels.to(labels.dtype.isFloatingPoint ? .float32 : .int64)
        self.classNames = classNames
        self.name = name
        self.imageShape = imageShape
        self.valueRange = valueRange
    }

    /// Number of samples N.
    public var count: Int { features.shape[0] }
    /// Shape of one sample (features' shape without the first axis).
    public var featureShape: [Int] { Array(features.shape.dropFirst()) }
    /// True when labels are class ids (int64) rather than regression targets.
    public var isClassification: Bool { labels.dtype == .int64 }
    /// Number of classes: `classNames.count` when known, else the largest label + 1
    /// (0 for regression targets or an empty dataset).
    public var classCount: Int {
        if let names = classNames { return names.count }
        guard isClassification, count > 0 else { return 0 }
        return Int(labels.ints().max() ?? -1) + 1
    }

    /// The same dataset with other features/labels, keeping the metadata.
    public func with(features: NDArray, labels: NDArray) throws -> Dataset {
        var d = try Dataset(features: features, labels: labels, classNames: classNames, name: name,
                            imageShape: imageShape, valueRange: valueRange)
        d.isPadded = isPadded && features.shape == self.features.shape
        return d
    }

    /// The samples at `indices` (in that order; repeats allowed).
    ///
    ///     let firstTen = try digits.subset(Array(0..<10))
    public func subset(_ indices: [Int]) throws -> Dataset {
        let n = count
        for i in indices where i < 0 || i >= n { throw DataError.indexOutOfRange(index: i, count: n) }
        let idx = try NDArray(ints: indices.map(Int64.init), shape: [indices.count])
        var d = try with(features: try features.indexSelect(axis: 0, indices: idx),
                         labels: try labels.indexSelect(axis: 0, indices: idx))
        d.isPadded = isPadded
        d.texts = texts.map { t in indices.map { t[$0] } }
        d.words = words.map { w in indices.map { w[$0] } }
        return d
    }

    /// A random permutation of the sample order (Philox, from `seed`).
    ///
    ///     let s = try digits.shuffled(seed: 7)      // same seed, same order
    public func shuffled(seed: UInt64) throws -> Dataset {
        try subset(try permutation(seed: seed))
    }

    /// `0..<count` permuted by `NDArray.randperm` with `RandomKey(seed:)`.
    func permutation(seed: UInt64) throws -> [Int] {
        try NDArray.randperm(count, key: RandomKey(seed: seed)).ints().map { Int($0) }
    }

    /// Shuffles with `seed`, then puts the first `round(fraction · N)` samples (ties to even,
    /// like Python's `round`) in `train` and the rest in `test`. Not stratified.
    ///
    ///     let (train, test) = try digits.split(0.8, seed: 0)   // 1438 and 359 samples
    public func split(_ fraction: Double, seed: UInt64) throws -> (train: Dataset, test: Dataset) {
        guard fraction > 0, fraction < 1 else { throw DataError.invalidFraction(fraction) }
        guard count > 0 else { throw DataError.emptyDataset(detail: "cannot split '\(name)': it has no samples") }
        let nTrain = Int((fraction * Double(count)).rounded(.toNearestOrEven))
        guard nTrain > 0, nTrain < count else {
            throw DataError.emptyDataset(detail: "split(\(fraction)) of the \(count) samples of '\(name)' leaves the \(nTrain == 0 ? "training" : "test") set empty")
        }
        let order = try permutation(seed: seed)
        return (try subset(Array(order[..<nTrain])), try subset(Array(order[nTrain...])))
    }

    /// Applies `transform` to the whole features tensor; the result must keep the sample axis.
    /// The image shape is kept only if the per-sample size is unchanged.
    ///
    ///     let centred = try digits.map { try $0 - 8 }
    public func map(_ transform: (NDArray) throws -> NDArray) throws -> Dataset {
        let out = try transform(features)
        guard out.rank >= 1, out.shape[0] == count else {
            throw DataError.shapeMismatch(detail: "map over '\(name)' must keep \(count) samples on axis 0, got shape \(out.shape)")
        }
        let keepsImage = imageShape.map { ShapeArithmetic.productIfRepresentable($0) == out.shape.dropFirst().reduce(1, *) } ?? false
        return try Dataset(features: out, labels: labels, classNames: classNames, name: name,
                           imageShape: keepsImage ? imageShape : nil, valueRange: nil)
    }

    /// Features rescaled to 0…1: `(x − lo) / (hi − lo)` over `valueRange` when known
    /// (digits: divides by 16), else over the observed minimum and maximum.
    ///
    ///     let x = try Dataset.digits().normalized().features    // values in 0…1
    public func normalized() throws -> Dataset {
        let range: ClosedRange<Double>
        if let r = valueRange {
            range = r
        } else {
            guard count > 0, features.count > 0 else {
                throw DataError.emptyDataset(detail: "cannot normalise '\(name)': it has no feature values")
            }
            range = try features.reduce(.min).item()...features.reduce(.max).item()
        }
        let width = range.upperBound - range.lowerBound
        let scaled = width > 0 ? try (features - range.lowerBound) / width : try features - range.lowerBound
        var out = try map { _ in scaled }
        out.imageShape = imageShape
        out.valueRange = 0...1
        return out
    }

    /// Features reshaped to images `[N, C, H, W]` (a view), using `imageShape`.
    ///
    ///     let imgs = try Dataset.digits().images()    // [1797, 1, 8, 8]
    public func images() throws -> NDArray {
        guard let s = imageShape else {
            throw DataError.unsupported(detail: "'\(name)' has no image shape; set `imageShape` or use `features.reshaped`")
        }
        return try features.reshaped([count] + s)
    }
}
