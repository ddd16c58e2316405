// How libraries extend the language without the language knowing them: an extension
// registers builtins, members, constants and magics in the interpreter's `Registry`, and
// its objects (tensors, models, datasets) join in operators, subscripts, `for`-`in`, math
// functions, `%workspace` and error rendering through the protocols below.
//
//     struct Greeter: LanguageExtension {
//         func register(_ r: Registry) {
//             r.function("greet(_ name: String) -> String", "Says hello.") { a, _ in
//                 .string("hello, \(try a[0].asString())")
//             }
//         }
//     }
//     let interpreter = Interpreter(extensions: [Greeter()])

/// A set of builtins added to every interpreter it is given to (the executable wires the
/// library's bindings in this way). `register` runs once per interpreter.
public protocol LanguageExtension: Sendable {
    func register(_ registry: Registry)
}

/// A library object that the language's operators and math functions apply to (a tensor).
/// Each method answers nil where the object has no meaning for the operation; the language
/// then uses its own rules (and its own error).
package protocol OperandObject: KoanObject {
    /// `self op other` when `selfOnLeft`, else `other op self`.
    func binary(_ op: BinaryOp, _ other: Value, selfOnLeft: Bool) throws -> Value?
    func unary(_ op: UnaryOp) throws -> Value?
    /// An element-wise math builtin by name: `sqrt`, `exp`, `abs`, … and `pow` (with `other`).
    func math(_ name: String, _ other: Value?, selfFirst: Bool) throws -> Value?
    /// Whether two values are the same (`==` on values used as keys, `===`).
    func isSame(as other: any OperandObject) -> Bool
    func hashIdentity(into hasher: inout Hasher)
}

/// A library object read (and perhaps written) through subscripts: `x[i, j]`, `x[1..<3]`,
/// `model.parameters["0.weight"]`.
package protocol SubscriptableObject: KoanObject {
    func subscriptGet(_ index: [Argument]) throws -> Value
    /// `x[i] = v`, `x[i] += v`: `value` holds this object and may be replaced.
    func subscriptSet(_ value: inout Value, _ index: [Argument], _ body: (inout Value) throws -> Void) throws
}

extension SubscriptableObject {
    package func subscriptSet(_ value: inout Value, _ index: [Argument], _ body: (inout Value) throws -> Void) throws {
        throw Fault(.type, "cannot assign through subscript: value of type '\(typeName)' is read-only")
    }
}

/// A library object `for x in object` walks.
package protocol SequenceObject: KoanObject {
    func elements() throws -> [Value]
}

/// A library object whose description spans lines (a model's tree): `%workspace` shows
/// this line instead.
package protocol SummarizedObject: KoanObject {
    var summaryLine: String { get }
}

/// A library object named by dotted paths in strings (a model's modules and parameters:
/// `freeze(except: ["layers.2"])`), which completion offers inside a string argument.
package protocol PathNamedObject: KoanObject {
    var completablePaths: [String] { get }
}

/// A library object called like a function: `model(x)`.
package protocol CallableObject: KoanObject {
    func call(_ args: [Argument]) throws -> Value
}

/// The shape, dtype and size columns of `%workspace` (and the one-line summary of an
/// object in inspection).
package protocol ShapedObject: KoanObject {
    var shapeText: String { get }
    var dtypeText: String { get }
    var byteCount: Int { get }
}

/// A library error the language renders with an error name of its own choice
/// (`ShapeError`, `IOError`, …) rather than `RuntimeError`.
package protocol KindedError: Error, CustomStringConvertible {
    var errorKind: ErrorKind { get }
}

/// A magic line added by an extension: `%seed 3`, `%threads 2`.
package struct Magic {
    let usage: String
    let doc: String
    /// Runs with the text after the magic's name (trimmed); throws `Fault`s.
    let run: (_ argument: String, _ display: Display) throws -> Void
}
