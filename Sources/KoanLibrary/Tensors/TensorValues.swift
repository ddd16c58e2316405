import KoanLang
import KoanAutograd
import KoanTensor

// Tensors as Koan values: conversions from literals and arguments, and the implicit
// member values (`.float32`, `.adamW(lr: 1e-3)`) that select options.

extension Value {
    /// A tensor from a tensor, a number, a Bool or nested arrays of them.
    func asTensor(dtype: DType? = nil) throws -> Tensor {
        if let t = self.tensorValue {
            guard let dtype, dtype != t.dtype else { return t }
            return try t.to(dtype)
        }
        return Tensor(try TensorLiteral.array(self, dtype: dtype))
    }

    /// An optional tensor argument: nil stays nil.
    func asOptionalTensor() throws -> Tensor? {
        isNil ? nil : try asTensor()
    }

    /// `.float32`, `"float32"` or `DType.float32` as a dtype.
    func asDType() throws -> DType {
        switch self {
        case .object(let o as EnumCase) where o.arguments.isEmpty:
            if let d = DType(rawValue: o.name) { return d }
            throw Fault(.value, "unknown dtype '.\(o.name)'; expected one of \(DType.allCases.map { ".\($0)" }.joined(separator: ", "))")
        case .object(let o as DTypeValue): return o.dtype
        case .string(let s):
            if let d = DType(rawValue: s) { return d }
            throw Fault(.value, "unknown dtype '\(s)'")
        default:
            throw Fault(.type, "cannot convert value of type '\(typeName)' to expected argument type 'DType'")
        }
    }

    func asOptionalDType() throws -> DType? { isNil ? nil : try asDType() }

    /// Axes from nil (all), an Int, or an array of Ints.
    func asAxes() throws -> [Int]? {
        switch self {
        case .null: return nil
        case .int(let i): return [i]
        case .array(let xs): return try xs.map { try $0.asInt() }
        case .tuple(let t): return try t.elements.map { try $0.asInt() }
        default: throw Fault(.type, "cannot convert value of type '\(typeName)' to expected argument type 'Int' (an axis)")
        }
    }

    /// A shape: an array of Ints (or one Int).
    func asShape() throws -> [Int] {
        switch self {
        case .int(let i): return [i]
        case .array(let xs): return try xs.map { try $0.asInt() }
        case .tuple(let t): return try t.elements.map { try $0.asInt() }
        case .object(let o as TensorObject): return o.tensor.data.ints().map { Int($0) }
        default: throw Fault(.type, "cannot convert value of type '\(typeName)' to expected argument type '[Int]' (a shape)")
        }
    }

    /// An Int pair from `3` or `[3, 2]` / `(3, 2)` (kernel sizes, strides, padding).
    func asPair(_ what: String) throws -> (Int, Int) {
        if case .int(let i) = self { return (i, i) }
        let xs = try asShape()
        guard xs.count == 2 else { throw Fault(.value, "\(what) must be an Int or two Ints, got \(xs.count) values") }
        return (xs[0], xs[1])
    }

}

/// A dtype as a value (`x.dtype`): prints `.float32`, compares equal to `.float32`.
final class DTypeValue: KoanObject, NamedCase {
    let dtype: DType
    init(_ dtype: DType) { self.dtype = dtype }
    var caseName: String? { dtype.rawValue }
    var typeName: String { "DType" }
    var description: String { ".\(dtype.rawValue)" }
    var richRepresentations: [String: MimeData] { [:] }
}

/// Nested Koan arrays → an NDArray: the shape is read off the nesting; Ints give int64,
/// any Double gives float32, Bools give bool (as `torch.tensor`), unless `dtype` says.
enum TensorLiteral {
    static func array(_ v: Value, dtype: DType?) throws -> NDArray {
        var shape: [Int] = []
        var probe = v
        while case .array(let xs) = probe {
            shape.append(xs.count)
            guard let first = xs.first else { break }
            probe = first
        }
        var doubles: [Double] = []
        var sawDouble = false, sawBool = false, sawInt = false
        func visit(_ x: Value, depth: Int) throws {
            if depth < shape.count {
                guard case .array(let xs) = x, xs.count == shape[depth] else {
                    throw Fault(.value, "nested arrays must be rectangular to make a tensor: expected \(shape[depth]) elements at depth \(depth)")
                }
                for e in xs { try visit(e, depth: depth + 1) }
                return
            }
            switch x {
            case .int(let i): doubles.append(Double(i)); sawInt = true
            case .double(let d): doubles.append(d); sawDouble = true
            case .bool(let b): doubles.append(b ? 1 : 0); sawBool = true
            case .object(let o as TensorObject) where o.tensor.data.count == 1:
                doubles.append(try o.tensor.data.item()); sawDouble = sawDouble || o.tensor.dtype.isFloatingPoint
            case .array: throw Fault(.value, "nested arrays must be rectangular to make a tensor")
            default: throw Fault(.type, "cannot make a tensor from a value of type '\(x.typeName)'")
            }
        }
        try visit(v, depth: 0)
        let inferred: DType = sawDouble ? .float32 : sawInt ? .int64 : sawBool ? .bool : .float32
        let target = dtype ?? inferred
        if target.isInteger && !sawDouble {
            // Exact for all of Int64 (Double would round large values).
            var ints: [Int64] = []
            ints.reserveCapacity(doubles.count)
            try collectInts(v, into: &ints)
            return try NDArray(ints: ints, shape: shape, dtype: target)
        }
        return try NDArray(values: doubles, shape: shape, dtype: target)
    }

    private static func collectInts(_ v: Value, into out: inout [Int64]) throws {
        switch v {
        case .array(let xs): for x in xs { try collectInts(x, into: &out) }
        case .int(let i): out.append(Int64(i))
        case .bool(let b): out.append(b ? 1 : 0)
        case .object(let o as TensorObject): out.append(contentsOf: o.tensor.data.ints())
        default: out.append(0)
        }
    }

    /// A tensor back to nested Koan arrays (`x.toArray()`): floats → Double, ints → Int, bool → Bool.
    static func value(_ a: NDArray) -> Value {
        let values: [Value]
        switch a.dtype {
        case .bool: values = a.ints().map { .bool($0 != 0) }
        case .int8, .int32, .int64: values = a.ints().map { .int(Int($0)) }
        default: values = a.doubles().map { .double($0) }
        }
        if a.shape.isEmpty { return values.first ?? .null }
        var index = 0
        func build(_ depth: Int) -> Value {
            if depth == a.shape.count - 1 {
                let n = a.shape[depth]
                defer { index += n }
                return .array(Array(values[index..<index + n]))
            }
            return .array((0..<a.shape[depth]).map { _ in build(depth + 1) })
        }
        return build(0)
    }
}
