import KoanAutograd
import KoanLang
import KoanTensor

/// A tensor as a language value: it prints as NumPy does, shows an HTML table, and takes
/// part in the language's operators, math functions, subscripts and `for`-`in`.
final class TensorObject: OperandObject, SubscriptableObject, SequenceObject, ShapedObject {
    let tensor: Tensor
    init(_ tensor: Tensor) { self.tensor = tensor }

    var typeName: String { "Tensor" }
    var description: String { tensor.data.formatted() }
    var richRepresentations: [String: MimeData] { ["text/html": .text(tensor.data.html())] }

    var shapeText: String { "\(tensor.shape)" }
    var dtypeText: String { tensor.dtype.rawValue }
    var byteCount: Int { tensor.data.count * tensor.dtype.byteSize }

    func binary(_ op: KoanLang.BinaryOp, _ other: Value, selfOnLeft: Bool) throws -> Value? {
        let (a, b): (Value, Value) = selfOnLeft ? (.object(self), other) : (other, .object(self))
        guard let result = try TensorArithmetic.apply(op, a, b) else { throw Arithmetic.mismatch(op.rawValue, a, b) }
        return result
    }

    func unary(_ op: KoanLang.UnaryOp) throws -> Value? {
        switch op {
        case .neg: return .tensor(try tensor.unary(.neg))
        case .plus: return .object(self)
        case .not: return .tensor(try tensor.unary(.logicalNot))
        case .bitNot: return nil
        }
    }

    func math(_ name: String, _ other: Value?, selfFirst: Bool) throws -> Value? {
        if name == "pow", let other {
            return try TensorArithmetic.binary(.pow, selfFirst ? .object(self) : other, selfFirst ? other : .object(self))
        }
        guard let op = TensorObject.elementwise[name] else { return nil }
        return .tensor(try tensor.unary(op))
    }

    /// The math builtins that apply element by element, by builtin name.
    private static let elementwise: [String: KoanTensor.UnaryOp] = [
        "abs": .abs, "sqrt": .sqrt, "exp": .exp, "log": .log, "log2": .log2, "sin": .sin, "cos": .cos,
        "tan": .tan, "tanh": .tanh, "floor": .floor, "ceil": .ceil, "round": .round]

    func subscriptGet(_ index: [Argument]) throws -> Value { try TensorSubscripts.get(tensor, index) }

    func subscriptSet(_ value: inout Value, _ index: [Argument], _ body: (inout Value) throws -> Void) throws {
        try TensorSubscripts.set(&value, index, body)
    }

    /// Iterating a tensor walks its first axis, as in PyTorch and NumPy.
    func elements() throws -> [Value] {
        guard let n = tensor.shape.first else { throw Fault(.type, "iteration over a 0-d tensor") }
        return try (0..<n).map { .tensor(try tensor.index([.index($0)])) }
    }

    /// Two values are the same tensor when they view the same storage the same way.
    func isSame(as other: any OperandObject) -> Bool {
        guard let o = other as? TensorObject else { return false }
        let x = tensor, y = o.tensor
        return x.data.storage === y.data.storage && x.data.offset == y.data.offset
            && x.shape == y.shape && x.data.strides == y.data.strides && x.dtype == y.dtype
    }

    func hashIdentity(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(tensor.data.storage)) }
}

extension Value {
    /// A tensor as a Koan value (rank-0 results stay tensors, as in PyTorch).
    static func tensor(_ t: Tensor) -> Value { .object(TensorObject(t)) }

    /// The tensor this value holds, if it is one.
    var tensorValue: Tensor? {
        if case .object(let o as TensorObject) = self { return o.tensor }
        return nil
    }
}
