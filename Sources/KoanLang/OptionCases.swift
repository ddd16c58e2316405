// Options written as implicit members, read against small signatures, so that
// `.adamW(lr: 1e-3)`, `.cosine(warmup: 100)` and `.patience(3)` take Swift's argument
// rules and messages:
//
//     let (name, args) = try OptionCase.match(value, "schedule", [
//         "constant", "cosine(warmup: Int = 0, total: Int? = nil, minLR: Double = 0)"])

enum OptionCase {
    /// The case `value` names and its arguments filled against the matching signature
    /// (defaults included). `what` names the option in messages.
    static func match(_ value: Value, _ what: String, _ signatures: [String]) throws -> (name: String, args: [Value]) {
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
