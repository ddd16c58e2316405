/// One parameter of a builtin, parsed from its signature text.
package struct ParamSpec {
    package var label: String?
    package var name: String
    package var type: String
    package var defaultText: String?
    package var defaultValue: Value?
    package var variadic = false
    package init(label: String?, name: String, type: String, defaultText: String? = nil, defaultValue: Value? = nil,
                 variadic: Bool = false) {
        self.label = label; self.name = name; self.type = type
        self.defaultText = defaultText; self.defaultValue = defaultValue; self.variadic = variadic
    }
    /// A `Double` (or `Double?`) parameter: integer literals passed to it are Doubles.
    var wantsDouble: Bool { type == "Double" || type == "Double?" }
    var shape: ParamShape {
        ParamShape(label: label, hasDefault: defaultText != nil, variadic: variadic, takesClosure: type.contains("->"))
    }
}

/// A builtin function: the one entry that the evaluator, completion, inspection and
/// `%help` all read.
package struct Builtin {
    package let name: String
    package let params: [ParamSpec]
    package let signature: String
    package let doc: String
    package let implementation: ([Value], CallContext) throws -> Value
    package init(name: String, params: [ParamSpec], signature: String, doc: String,
                 implementation: @escaping ([Value], CallContext) throws -> Value) {
        self.name = name; self.params = params; self.signature = signature; self.doc = doc
        self.implementation = implementation
    }
}

/// A member of values of some kinds (`xs.count`, `xs.append(x)`, `s.uppercased()`).
package struct Member {
    package enum Implementation {
        case property((Value, CallContext) throws -> Value)
        case method((Value, [Value], CallContext) throws -> Value)
        case mutating((inout Value, [Value], CallContext) throws -> Value)
    }
    package let name: String
    let kinds: Set<ValueKind>
    /// For members of library objects: the one class of object they belong to (nil: any).
    let objectClass: (any KoanObject.Type)?
    package let params: [ParamSpec]
    package let signature: String
    package let doc: String
    package let implementation: Implementation
    var isProperty: Bool { if case .property = implementation { return true }; return false }
    var isMutating: Bool { if case .mutating = implementation { return true }; return false }

    /// Whether this member applies to `value` (its kind, and its object class when set).
    func applies(to value: Value) -> Bool {
        guard kinds.contains(value.kind) else { return false }
        guard let objectClass else { return true }
        if case .object(let o) = value { return type(of: o) == objectClass }
        return false
    }
}

/// A named constant: `Int.max`, `Double.pi`, `standardError`.
package struct Constant {
    let name: String
    let signature: String
    let doc: String
    let value: Value
}

/// The single source of builtin names, labels, signatures and docs.
///
/// ```swift
/// registry.function("sqrt(_ x: Double) -> Double", "Returns the square root of x.") { args, _ in
///     .double(try args[0].asDouble().squareRoot())
/// }
/// ```
public final class Registry {
    package private(set) var functions: [String: [Builtin]] = [:]
    package private(set) var members: [String: [Member]] = [:]
    package private(set) var constants: [String: Constant] = [:]
    /// Member names of other libraries and what they are here (`reshape` → `reshaped`).
    private(set) var memberAliases: [String: String] = [:]
    private(set) var labelHints: [String: String] = [:]
    /// Option cases by the argument label that takes them (completion).
    private(set) var optionCompletions: [String: [String]] = [:]
    /// What to say when a cell assigns a property objects do not have (`x.requiresGrad = true`).
    private(set) var assignmentHints: [String: String] = [:]

    package func assignmentHint(_ property: String, _ hint: String) {
        assignmentHints[property] = hint
    }
    /// Magic lines added by extensions (`%seed`), by name.
    package private(set) var magics: [String: Magic] = [:]
    /// The qualifiers of qualified names ("Tensor" for `Tensor.zeros`), for the lowering;
    /// they are also the library type names an annotation may use (`let x: Tensor`).
    package private(set) var namespaces: Set<String> = ["Int", "Double", "String", "Bool", "Float"]
    /// State an extension keeps per interpreter (the workspace's random stream), by type.
    private var states: [ObjectIdentifier: AnyObject] = [:]

    /// The language's own builtins; `extensions` add theirs after.
    package init(extensions: [any LanguageExtension] = []) {
        registerCoreFunctions(self)
        registerMathFunctions(self)
        registerDisplayFunctions(self)
        registerCollectionMembers(self)
        registerFormatting(self)
        registerStringMembers(self)
        registerConstants(self)
        for e in extensions { e.register(self) }
    }

    /// The one `T` of this interpreter, made by `make` on first use.
    package func state<T: AnyObject>(_ make: () -> T) -> T {
        if let s = states[ObjectIdentifier(T.self)] as? T { return s }
        let s = make()
        states[ObjectIdentifier(T.self)] = s
        return s
    }

    /// Registers a magic line `%name argument`.
    package func magic(_ name: String, usage: String, _ doc: String, _ run: @escaping (String, Display) throws -> Void) {
        magics[name] = Magic(usage: usage, doc: doc, run: run)
    }

    /// Registers a builtin; `hidden` parameters are accepted but not shown in the signature.
    package func function(_ signature: String, _ doc: String, hidden: String? = nil,
                  _ implementation: @escaping ([Value], CallContext) throws -> Value) {
        let parsed = SignatureParser.parse(signature)
        let extra = hidden.map { SignatureParser.parse("hidden(\($0))").params } ?? []
        functions[parsed.name, default: []].append(
            Builtin(name: parsed.name, params: parsed.params + extra, signature: signature, doc: doc,
                    implementation: implementation))
        if let dot = parsed.name.firstIndex(of: ".") { namespaces.insert(String(parsed.name[..<dot])) }
    }

    package func member(_ kinds: Set<ValueKind>, _ signature: String, _ doc: String, _ implementation: Member.Implementation) {
        let parsed = SignatureParser.parse(signature)
        members[parsed.name, default: []].append(
            Member(name: parsed.name, kinds: kinds, objectClass: nil, params: parsed.params, signature: signature, doc: doc,
                   implementation: implementation))
    }

    /// A member of one class of library object (`figure.save(_:)`, `opt.update(_:_:)`):
    /// objects of other classes do not have it, so two classes may use the same name.
    package func member(of objectClass: any KoanObject.Type, _ signature: String, _ doc: String, _ implementation: Member.Implementation) {
        let parsed = SignatureParser.parse(signature)
        members[parsed.name, default: []].append(
            Member(name: parsed.name, kinds: [.object], objectClass: objectClass, params: parsed.params, signature: signature,
                   doc: doc, implementation: implementation))
    }

    /// Declares a library type that annotations may name (`func objective(_ trial: Trial)`)
    /// when no qualified builtin (`Tensor.zeros`) has declared it already.
    package func typeName(_ name: String) {
        namespaces.insert(name)
    }

    package func constant(_ signature: String, _ doc: String, _ value: Value) {
        let name = String(signature.prefix { $0 != ":" })
        constants[name] = Constant(name: name, signature: signature, doc: doc, value: value)
        if let dot = name.firstIndex(of: ".") { namespaces.insert(String(name[..<dot])) }
    }

    /// Members with this name applicable to this value (by kind, and object class for objects).
    func members(named name: String, for value: Value) -> [Member] {
        (members[name] ?? []).filter { $0.applies(to: value) }
    }

    /// Members with this name applicable to values of a kind, whatever their object class.
    func members(named name: String, for kind: ValueKind) -> [Member] {
        (members[name] ?? []).filter { $0.kinds.contains(kind) }
    }

    /// What a misspelt or foreign member name most likely means on this value: a registered
    /// alias (`reshape` → `reshaped`) whose target applies, else the closest member name.
    func memberSuggestion(for name: String, on value: Value) -> String? {
        let names = Set(memberNames(for: value))
        if let target = memberAliases[name], names.contains(target) { return target }
        return suggestion(for: name, among: Array(names))
    }

    /// Registers what a member name from another library means here (`reshape` → `reshaped`),
    /// for "did you mean" when the name is not a member.
    package func memberAlias(_ name: String, means target: String) {
        memberAliases[name] = target
    }

    /// Registers what to say when a call is refused for an argument label PyTorch or Keras
    /// users write (`fit(..., lr: 0.01)`: the learning rate goes in the optimizer).
    package func labelHint(_ label: String, _ hint: String) {
        labelHints[label] = hint
    }

    /// `fault` with the hint of a refused label of the call appended.
    func labelHinted(_ fault: Fault, _ labels: [String?]) -> Fault {
        for case let label? in labels {
            guard let hint = labelHints[label], fault.message.contains("'\(label):'") else { continue }
            // The label matched against another parameter ("expected 'steps:'") would point
            // the wrong way: say where the value goes instead.
            return Fault(fault.kind, "this call has no parameter '\(label):'; \(hint)")
        }
        return fault
    }

    /// Registers the cases an option argument takes (the signatures `OptionCase.match` reads),
    /// for completion after `label: .`: `optimizer: .ad` → `adamW(`.
    package func optionCases(_ labels: [String], _ signatures: [String]) {
        let names = signatures.map { sig -> String in
            guard let open = sig.firstIndex(of: "(") else { return sig }
            return String(sig[..<open]) + "("
        }
        for label in labels { optionCompletions[label, default: []] += names }
    }

    /// Every member name applicable to a value (completion).
    func memberNames(for value: Value) -> [String] {
        members.values.flatMap { $0 }.filter { $0.applies(to: value) }.map(\.name)
    }

    /// Every member name applicable to a kind (completion without a value).
    func memberNames(for kind: ValueKind) -> [String] {
        members.values.flatMap { $0 }.filter { $0.kinds.contains(kind) && $0.objectClass == nil }.map(\.name)
    }

    /// Whether some member of this name mutates its receiver (lowering uses it to treat
    /// the receiver as an assignable place).
    func isMutatingMember(_ name: String) -> Bool {
        (members[name] ?? []).contains { $0.isMutating }
    }

    /// Signature and doc for `%help` and inspection.
    func help(for name: String) -> String? {
        if name.hasPrefix("%"), let m = magics[String(name.dropFirst())] { return "\(m.usage)\n\(m.doc)" }
        if let fs = functions[name] {
            return fs.map { "\($0.signature)\n\($0.doc)" }.joined(separator: "\n\n")
        }
        if let c = constants[name] { return "\(c.signature)\n\(c.doc)" }
        if let ms = members[name] {
            return ms.map { m in
                let on = m.kinds.map(\.rawValue).sorted().joined(separator: ", ")
                return "\(m.signature)    (on \(on))\n\(m.doc)"
            }.joined(separator: "\n\n")
        }
        return nil
    }
}

/// Parses `name(_ items: Any..., separator: String = " ") -> Type` into parameters.
enum SignatureParser {
    static func parse(_ signature: String) -> (name: String, params: [ParamSpec]) {
        let chars = Array(signature)
        guard let open = chars.firstIndex(where: { $0 == "(" || $0 == ":" }), chars[open] == "(" else {
            return (String(signature.prefix { $0 != ":" && $0 != " " }), [])
        }
        let name = String(chars[..<open])
        var depth = 0, inString = false, escaped = false
        var current = "", parts: [String] = []
        var i = open + 1
        while i < chars.count {
            let c = chars[i]
            i += 1
            if inString {
                current.append(c)
                if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == "\"" { inString = false }
                continue
            }
            if c == "\"" { inString = true; current.append(c); continue }
            if c == "(" || c == "[" { depth += 1 }
            if c == ")" || c == "]" {
                if depth == 0 { break }
                depth -= 1
            }
            if c == "," && depth == 0 { parts.append(current); current = ""; continue }
            current.append(c)
        }
        if !current.trimmingSpaces.isEmpty { parts.append(current) }
        return (name, parts.map(param))
    }

    private static func param(_ text: String) -> ParamSpec {
        let t = text.trimmingSpaces
        let colon = t.firstIndex(of: ":") ?? t.endIndex
        let names = t[..<colon].split(separator: " ").map(String.init)
        var rest = colon < t.endIndex ? String(t[t.index(after: colon)...]).trimmingSpaces : "Any"
        var defaultText: String?
        if let eq = rest.firstRange(of: " = ") {
            defaultText = String(rest[eq.upperBound...])
            rest = String(rest[..<eq.lowerBound])
        }
        let variadic = rest.hasSuffix("...")
        let label = names.first == "_" ? nil : names.first
        let name = names.count > 1 ? names[1] : (names.first ?? "_")
        return ParamSpec(label: label, name: name, type: rest, defaultText: defaultText,
                         defaultValue: defaultText.map(literal), variadic: variadic)
    }

    /// The value of a default written in a signature: a string, number, Bool or nil.
    static func literal(_ text: String) -> Value {
        if text == "nil" { return .null }
        if text == "true" { return .bool(true) }
        if text == "false" { return .bool(false) }
        if let i = Int(text) { return .int(i) }
        if let d = Double(text) { return .double(d) }
        if text.hasPrefix("\""), text.hasSuffix("\""), text.count >= 2 {
            let inner = text.dropFirst().dropLast()
            return .string(String(inner).replacing("\\n", with: "\n").replacing("\\t", with: "\t"))
        }
        return .null
    }
}

extension StringProtocol {
    package var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
