import KoanTensor

/// Creation statics that wrap NDArray's (results have no grad; use
/// `Tensor(_:requiresGrad:)` or `requiringGrad()` for parameters).
///
///     let w = try Tensor.randn([784, 128], key: RandomKey(seed: 0)).requiringGrad()
extension Tensor {
    public static func zeros(_ shape: [Int], dtype: DType = .float32) throws -> Tensor {
        Tensor(try NDArray.zeros(shape, dtype: dtype))
    }
    public static func ones(_ shape: [Int], dtype: DType = .float32) throws -> Tensor {
        Tensor(try NDArray.ones(shape, dtype: dtype))
    }
    public static func full(_ shape: [Int], value: Double, dtype: DType = .float32) throws -> Tensor {
        Tensor(try NDArray.full(shape, value: value, dtype: dtype))
    }
    /// A rank-0 tensor.
    public static func scalar(_ value: Double, dtype: DType = .float32) throws -> Tensor {
        Tensor(try NDArray.scalar(value, dtype: dtype))
    }
    /// `try Tensor(values: [1, 2, 3, 4], shape: [2, 2])`
    public init(values: [Double], shape: [Int], dtype: DType = .float32) throws {
        self.init(try NDArray(values: values, shape: shape, dtype: dtype))
    }
    /// `try Tensor(ints: [0, 2], shape: [2])` (int64 by default).
    public init(ints: [Int64], shape: [Int], dtype: DType = .int64) throws {
        self.init(try NDArray(ints: ints, shape: shape, dtype: dtype))
    }
    public static func arange(start: Double, end: Double, step: Double = 1, dtype: DType) throws -> Tensor {
        Tensor(try NDArray.arange(start: start, end: end, step: step, dtype: dtype))
    }
    public static func linspace(start: Double, end: Double, count: Int, dtype: DType = .float32) throws -> Tensor {
        Tensor(try NDArray.linspace(start: start, end: end, count: count, dtype: dtype))
    }
    public static func eye(_ n: Int, _ m: Int? = nil, dtype: DType = .float32) throws -> Tensor {
        Tensor(try NDArray.eye(n, m, dtype: dtype))
    }
    /// N(0, 1) samples: `try Tensor.randn([2, 3], key: RandomKey(seed: 7))`.
    public static func randn(_ shape: [Int], key: RandomKey, dtype: DType = .float32) throws -> Tensor {
        Tensor(try NDArray.randn(shape, key: key, dtype: dtype))
    }
    public static func rand(_ shape: [Int], key: RandomKey, low: Double = 0, high: Double = 1, dtype: DType = .float32) throws -> Tensor {
        Tensor(try NDArray.rand(shape, key: key, low: low, high: high, dtype: dtype))
    }
    public static func randint(low: Int64, high: Int64, shape: [Int], key: RandomKey, dtype: DType = .int64) throws -> Tensor {
        Tensor(try NDArray.randint(low: low, high: high, shape: shape, key: key, dtype: dtype))
    }
    /// 1 with probability `p` (dropout masks).
    public static func bernoulli(_ shape: [Int], p: Double, key: RandomKey, dtype: DType = .float32) throws -> Tensor {
        Tensor(try NDArray.bernoulli(shape, p: p, key: key, dtype: dtype))
    }
    public static func randperm(_ n: Int, key: RandomKey) throws -> Tensor {
        Tensor(try NDArray.randperm(n, key: key))
    }
}
