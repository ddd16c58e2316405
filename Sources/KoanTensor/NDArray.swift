/// An n-dimensional array: a dtype, a shape, strides (in elements) and an offset into
/// shared storage. Views (slices, transposes, broadcasts) share storage; writes copy
/// first when the storage is shared (value semantics, copy-on-write).
///
///     var x = try NDArray.zeros([2, 3])
///     let row = try x[[.index(0)]]      // a view
///     x.shape                           // [2, 3]
public struct NDArray: Sendable {
    public private(set) var storage: Storage
    public let dtype: DType
    public let shape: [Int]
    /// Strides in elements (not bytes); 0 for a broadcast axis.
    public let strides: [Int]
    /// Offset of element [0, 0, ...] in elements.
    public let offset: Int

    /// A view over existing storage. The caller guarantees every index stays in bounds.
    public init(storage: Storage, dtype: DType, shape: [Int], strides: [Int], offset: Int) {
        self.storage = storage
        self.dtype = dtype
        self.shape = shape
        self.strides = strides
        self.offset = offset
    }

    /// A new contiguous array, uninitialised unless `zeroed`.
    /// Throws `invalidArgument` for a negative dimension and `allocationTooLarge` (naming the
    /// shape) when it is too large to count (`ShapeArithmetic`) or to allocate.
    public init(shape: [Int], dtype: DType = .float32, zeroed: Bool = false) throws {
        let bytes = try ShapeArithmetic.byteCount(shape, dtype: dtype, op: "tensor")
        do {
            self.storage = try Storage(byteCount: bytes, zeroed: zeroed)
        } catch let TensorError.allocationTooLarge(bytes, limit, nil, _) {
            throw TensorError.allocationTooLarge(bytes: bytes, limit: limit, shape: shape, dtype: dtype)
        }
        self.dtype = dtype
        self.shape = shape
        self.strides = contiguousStrides(shape)
        self.offset = 0
    }

    public var rank: Int { shape.count }
    public var count: Int { shape.reduce(1, *) }
    public var isScalar: Bool { shape.isEmpty }

    /// True when elements lie in row-major order with no gaps, starting at `offset`.
    public var isContiguous: Bool {
        var expected = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) where shape[i] != 1 {
            if strides[i] != expected { return false }
            expected *= shape[i]
        }
        return true
    }

    /// Pointer to element [0, 0, ...].
    @inline(__always)
    public var baseAddress: UnsafeMutableRawPointer {
        storage.pointer + offset * dtype.byteSize
    }

    /// Typed pointer to element [0, 0, ...]; `T` must match `dtype`'s layout.
    @inline(__always)
    public func pointer<T>(as: T.Type) -> UnsafeMutablePointer<T> {
        baseAddress.assumingMemoryBound(to: T.self)
    }

    /// Makes the storage unique before a write (copies shared storage, keeping layout contiguous).
    public mutating func makeUnique() throws {
        if !isKnownUniquelyReferenced(&storage) {
            self = try contiguousCopy()
        }
    }

    /// A contiguous array with the same values; `self` when already contiguous.
    public func contiguous() throws -> NDArray {
        isContiguous ? self : try contiguousCopy()
    }

    /// Always a fresh contiguous copy (own storage).
    public func contiguousCopy() throws -> NDArray {
        let out = try NDArray(shape: shape, dtype: dtype)
        let size = dtype.byteSize
        let src = baseAddress
        let dst = out.storage.pointer
        if isContiguous {
            dst.copyMemory(from: src, byteCount: count * size)
            return out
        }
        var i = 0
        forEachOffset { off in
            (dst + i * size).copyMemory(from: src + off * size, byteCount: size)
            i += 1
        }
        return out
    }

    /// Visits the element offsets (relative to `baseAddress`, in elements) in row-major order.
    @inline(__always)
    public func forEachOffset(_ body: (Int) -> Void) {
        let n = count
        if n == 0 { return }
        let r = shape.count
        if r == 0 { body(0); return }
        let innerSize = shape[r - 1]
        let innerStride = strides[r - 1]
        var index = [Int](repeating: 0, count: r)
        var base = 0
        var done = 0
        while done < n {
            var off = base
            for _ in 0..<innerSize {
                body(off)
                off += innerStride
            }
            done += innerSize
            // advance the outer index
            var axis = r - 2
            while axis >= 0 {
                index[axis] += 1
                base += strides[axis]
                if index[axis] < shape[axis] { break }
                base -= strides[axis] * shape[axis]
                index[axis] = 0
                axis -= 1
            }
            if axis < 0 { break }
        }
    }

    /// Element at a flat storage offset (relative to `baseAddress`) as Double.
    @inline(__always)
    public func loadDouble(at off: Int) -> Double {
        let p = baseAddress
        switch dtype {
        case .float32: return Double(p.assumingMemoryBound(to: Float.self)[off])
        case .float64: return p.assumingMemoryBound(to: Double.self)[off]
        case .float16: return Double(HalfFloat.float(float16: p.assumingMemoryBound(to: UInt16.self)[off]))
        case .bfloat16: return Double(HalfFloat.float(bfloat16: p.assumingMemoryBound(to: UInt16.self)[off]))
        case .int8: return Double(p.assumingMemoryBound(to: Int8.self)[off])
        case .int32: return Double(p.assumingMemoryBound(to: Int32.self)[off])
        case .int64: return Double(p.assumingMemoryBound(to: Int64.self)[off])
        case .bool: return p.assumingMemoryBound(to: UInt8.self)[off] != 0 ? 1 : 0
        }
    }

    /// Element at a flat storage offset as Int64 (exact for integer dtypes; floats truncate toward zero, NaN → 0).
    @inline(__always)
    public func loadInt(at off: Int) -> Int64 {
        let p = baseAddress
        switch dtype {
        case .int8: return Int64(p.assumingMemoryBound(to: Int8.self)[off])
        case .int32: return Int64(p.assumingMemoryBound(to: Int32.self)[off])
        case .int64: return p.assumingMemoryBound(to: Int64.self)[off]
        case .bool: return p.assumingMemoryBound(to: UInt8.self)[off] != 0 ? 1 : 0
        default: return saturatingInt64(loadDouble(at: off))
        }
    }

    /// Stores a Double at a flat storage offset, converting to `dtype` (round to nearest even
    /// for the float formats; integers truncate toward zero and wrap like NumPy's astype).
    @inline(__always)
    public func storeDouble(_ v: Double, at off: Int) {
        let p = baseAddress
        switch dtype {
        case .float32: p.assumingMemoryBound(to: Float.self)[off] = Float(v)
        case .float64: p.assumingMemoryBound(to: Double.self)[off] = v
        case .float16: p.assumingMemoryBound(to: UInt16.self)[off] = HalfFloat.float16Bits(v)
        case .bfloat16: p.assumingMemoryBound(to: UInt16.self)[off] = HalfFloat.bfloat16Bits(v)
        case .int8: p.assumingMemoryBound(to: Int8.self)[off] = Int8(truncatingIfNeeded: saturatingInt64(v))
        case .int32: p.assumingMemoryBound(to: Int32.self)[off] = Int32(truncatingIfNeeded: saturatingInt64(v))
        case .int64: p.assumingMemoryBound(to: Int64.self)[off] = saturatingInt64(v)
        case .bool: p.assumingMemoryBound(to: UInt8.self)[off] = v != 0 ? 1 : 0
        }
    }

    /// Stores an Int64 at a flat storage offset (integers wrap, floats convert).
    @inline(__always)
    public func storeInt(_ v: Int64, at off: Int) {
        let p = baseAddress
        switch dtype {
        case .int8: p.assumingMemoryBound(to: Int8.self)[off] = Int8(truncatingIfNeeded: v)
        case .int32: p.assumingMemoryBound(to: Int32.self)[off] = Int32(truncatingIfNeeded: v)
        case .int64: p.assumingMemoryBound(to: Int64.self)[off] = v
        case .bool: p.assumingMemoryBound(to: UInt8.self)[off] = v != 0 ? 1 : 0
        default: storeDouble(Double(v), at: off)
        }
    }

    /// All elements in row-major order as Doubles.
    public func doubles() -> [Double] {
        var out = [Double]()
        out.reserveCapacity(count)
        forEachOffset { out.append(loadDouble(at: $0)) }
        return out
    }

    /// All elements in row-major order as Int64s.
    public func ints() -> [Int64] {
        var out = [Int64]()
        out.reserveCapacity(count)
        forEachOffset { out.append(loadInt(at: $0)) }
        return out
    }

    /// The only element of a one-element array.
    public func item() throws -> Double {
        guard count == 1 else {
            throw TensorError.invalidArgument(op: "item", message: "only a tensor with one element converts to a scalar, this one has shape \(shape)")
        }
        return loadDouble(at: 0)
    }

    /// Converts to `dtype` (a copy; `self` when the dtype already matches).
    public func to(_ target: DType) throws -> NDArray {
        if target == dtype { return self }
        let out = try NDArray(shape: shape, dtype: target)
        try convert(from: self, into: out)
        return out
    }
}

/// Row-major strides for `shape`.
public func contiguousStrides(_ shape: [Int]) -> [Int] {
    var strides = [Int](repeating: 1, count: shape.count)
    var acc = 1
    for i in stride(from: shape.count - 1, through: 0, by: -1) {
        strides[i] = acc
        // Nothing wraps for a valid shape (ShapeArithmetic); for any other the strides are
        // meaningless, but computing them is no trap.
        acc = acc &* max(shape[i], 1)
    }
    return strides
}

@inline(__always)
func saturatingInt64(_ v: Double) -> Int64 {
    if v.isNaN { return 0 }
    if v >= 9.223372036854775807e18 { return Int64.max }
    if v <= -9.223372036854775808e18 { return Int64.min }
    return Int64(v)
}

/// Element-wise dtype conversion of `source` into the contiguous `out` of the same shape.
func convert(from source: NDArray, into out: NDArray) throws {
    let n = source.count
    let src = try source.contiguous()
    switch (src.dtype, out.dtype) {
    case (.float32, .float16):
        let s = src.pointer(as: Float.self), d = out.pointer(as: UInt16.self)
        parallelFor(n) { r in for i in r { d[i] = HalfFloat.float16Bits(s[i]) } }
    case (.float32, .bfloat16):
        let s = src.pointer(as: Float.self), d = out.pointer(as: UInt16.self)
        parallelFor(n) { r in for i in r { d[i] = HalfFloat.bfloat16Bits(s[i]) } }
    case (.float16, .float32):
        let s = src.pointer(as: UInt16.self), d = out.pointer(as: Float.self)
        parallelFor(n) { r in for i in r { d[i] = HalfFloat.float(float16: s[i]) } }
    case (.bfloat16, .float32):
        let s = src.pointer(as: UInt16.self), d = out.pointer(as: Float.self)
        parallelFor(n) { r in for i in r { d[i] = HalfFloat.float(bfloat16: s[i]) } }
    case (.float32, .float64):
        let s = src.pointer(as: Float.self), d = out.pointer(as: Double.self)
        parallelFor(n) { r in for i in r { d[i] = Double(s[i]) } }
    case (.float64, .float32):
        let s = src.pointer(as: Double.self), d = out.pointer(as: Float.self)
        parallelFor(n) { r in for i in r { d[i] = Float(s[i]) } }
    default:
        if src.dtype.isFloatingPoint || out.dtype.isFloatingPoint {
            parallelFor(n) { r in for i in r { out.storeDouble(src.loadDouble(at: i), at: i) } }
        } else {
            parallelFor(n) { r in for i in r { out.storeInt(src.loadInt(at: i), at: i) } }
        }
    }
}
