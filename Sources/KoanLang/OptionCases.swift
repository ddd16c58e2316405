// Options written as implicit members, read against small signatures, so that
// `.adamW(lr: 1e-3)`, `.cosine(warmup: 100)` and `.patience(3)` take Swift's argument
// rules and messages:
//
//     let (name, args) = try OptionCase.match(value, "schedule", [
//         "constant", "cosine(warmup: Int = 0, total: Int? = nil, minLR: Double = 0)"])

package enum OptionCase {
    /// The case `value` names and its arguments filled against the matching signature
    /// (defaults included). `what` names the option in messages.
    package static func match(_ value: Value, _ what: String, _ signatures: [String]) throws -> (name: String, args: [Value]) {
        let parsed = signatures.map { SignatureParser.parse($0) }
        guard case .object(let o as EnumCase) = value else {
            throw Fault(.type, "\(what) must be one of \(list(parsed)), got a value of type '\(value.typeName)'")
        }
        guard let (name, params) = parsed.first(where: { $0.name == o.name }) else {
            throw Fault(.value, "unknown \(what) '.\(o.name)'; expected one of \(list(parsed))")
        }
        switch matchArguments(params.map(\.shape), o.arguments) {
        case .failure(let fault): throw Fault(fault.kind, "in .\(name)(...): \(fault.message)")
        case .success(let plan):
            let values = fillArguments(plan, params, o.arguments)
            return (name, values)
        }
    }

    private static func list(_ parsed: [(name: String, params: [ParamSpec])]) -> String {
        parsed.map { ".\($0.name)" + ($0.params.isEmpty ? "" : "(...)") }.joined(separator: ", ")
    }
}

/// The value of an implicit member expression: `.bfloat16`, `.cosine(warmup: 100)`.
/// Builtins read it by name; it prints as it was written.
package final class EnumCase: KoanObject, NamedCase {
    package let name: String
    package let arguments: [Argument]
    package init(_ name: String, _ arguments: [Argument] = []) { self.name = name; self.arguments = arguments }
    package var typeName: String { "EnumCase" }
    package var caseName: String? { arguments.isEmpty ? name : nil }
    package var description: String {
        if arguments.isEmpty { return ".\(name)" }
        let parts = arguments.map { a in (a.label.map { "\($0): " } ?? "") + (a.asDouble.map { "\($0)" } ?? a.value.debugDescription) }
        return ".\(name)(\(parts.joined(separator: ", ")))"
    }
    package var richRepresentations: [String: MimeData] { [:] }
}

/// `..` in a subscript: the whole axis (`x[.., 2]`).
package final class WholeAxis: KoanObject {
    package var typeName: String { "UnboundedRange" }
    package var description: String { ".." }
    package var richRepresentations: [String: MimeData] { [:] }
}

/// An option without arguments, compared by name: `x.dtype == .float32`.
package protocol NamedCase: AnyObject {
    var caseName: String? { get }
}
