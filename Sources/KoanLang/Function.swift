/// A function value: a user function or closure with its captured variables, a builtin,
/// or a builtin method bound to its receiver (`let f = xs.contains`).
package final class Function {
    enum Kind {
        case user(UserFunction, captures: [Box])
        case builtin([Builtin])
        indirect case method(receiver: Value, [Member])
    }
    let kind: Kind
    init(_ kind: Kind) { self.kind = kind }
    /// A function value made by a library (`valueAndGrad(f)` returns one).
    package convenience init(builtin: Builtin) { self.init(.builtin([builtin])) }

    var typeName: String {
        switch kind {
        case .user(let def, _): return def.typeText
        case .builtin, .method: return "Function"
        }
    }

    var displayName: String {
        switch kind {
        case .user(let def, _): return def.displayName
        case .builtin(let entries): return entries.first?.name ?? "builtin"
        case .method(_, let entries): return entries.first?.name ?? "method"
        }
    }
}

/// A local variable resolved at lowering time to a slot of its function's frame.
/// Variables captured by a closure live in a `Box` in that slot instead.
final class LocalVar {
    let name: String
    let slot: Int
    let isLet: Bool
    var type: TypeAnn?
    /// Set during lowering when a closure captures the variable; read at run time.
    @exclusivity(unchecked) var boxed = false
    init(name: String, slot: Int, isLet: Bool, type: TypeAnn?) {
        self.name = name; self.slot = slot; self.isLet = isLet; self.type = type
    }

    /// Binds a fresh variable (a new box per declaration, so each loop iteration's
    /// closures see their own iteration's variable, as in Swift).
    @inline(__always)
    func store(_ value: Value, in frame: Frame) {
        if boxed { frame.boxes[slot] = Box(value) } else { frame.slots[slot] = value }
    }

    @inline(__always)
    func load(_ frame: Frame) -> Value {
        if boxed { return frame.boxes[slot]?.value ?? .void }
        return frame.slots[slot]
    }

    /// Assigns to the existing variable (its box, if captured).
    @inline(__always)
    func assign(_ value: Value, in frame: Frame) {
        if boxed, let box = frame.boxes[slot] { box.value = value } else if boxed {
            frame.boxes[slot] = Box(value)
        } else {
            frame.slots[slot] = value
        }
    }

    /// In-place access for assignment and mutating methods (no copy of the value).
    @inline(__always)
    func modify<R>(_ frame: Frame, _ body: (inout Value) throws -> R) rethrows -> R {
        if boxed {
            if let box = frame.boxes[slot] { return try body(&box.pointer.pointee) }
            let box = Box(.void)
            frame.boxes[slot] = box
            return try body(&box.pointer.pointee)
        }
        return try body(&frame.slots[slot])
    }
}

/// A parameter of a user function: `scale: Double = 1` has label "scale", name "scale".
struct Param {
    var label: String?
    var name: String
    var type: TypeAnn?
    var defaultValue: Expr?
    var defaultText: String?
    var variadic: Bool
    var local: LocalVar
    var shape: ParamShape {
        var takesClosure: Bool?
        if let type { if case .function = type { takesClosure = true } else if type != .any { takesClosure = false } }
        return ParamShape(label: label, hasDefault: defaultValue != nil, variadic: variadic, takesClosure: takesClosure)
    }
}

/// A lowered user function or closure.
final class UserFunction {
    let name: String
    var params: [Param] = [] {
        didSet {
            hasPlainParameters = params.allSatisfy { $0.defaultValue == nil && !$0.variadic }
            paramLabels = params.map(\.label)
            paramLocals = params.map(\.local)
            paramTypes = params.map(\.type)
            paramChecks = params.map { TypeCheck($0.type) }
            displayName = Self.displayName(name, isClosure: isClosure, params: params)
        }
    }
    /// No defaults and no variadics: arguments map one to one.
    private(set) var hasPlainParameters = true
    // The parameters' labels, locals and types, kept apart so that binding arguments on
    // every call neither copies whole `Param`s nor rebuilds anything.
    private(set) var paramLabels: [String?] = []
    private(set) var paramLocals: [LocalVar] = []
    private(set) var paramTypes: [TypeAnn?] = []
    private(set) var paramChecks: [TypeCheck] = []
    var returnType: TypeAnn? { didSet { returnCheck = TypeCheck(returnType) } }
    private(set) var returnCheck = TypeCheck.none
    var body: Block = Block([])
    var slotCount = 0
    /// Slots of the new frame that receive the captured boxes, in capture order.
    var captureSlots: [Int] = []
    let isClosure: Bool
    /// Frames of finished calls kept for reuse (see FramePool.swift).
    @exclusivity(unchecked) var freeFrames: Frame?
    @exclusivity(unchecked) var freeFrameCount = 0
    /// A closure using `$0`, `$1`, ...
    var implicitParameters = false
    let span: Span

    /// `f(_:scale:)`, or "closure": the frame name in tracebacks. Stored (updated with
    /// `params`) because every call names its frame with it.
    private(set) var displayName: String

    init(name: String, isClosure: Bool, span: Span) {
        self.name = name; self.isClosure = isClosure; self.span = span
        displayName = Self.displayName(name, isClosure: isClosure, params: [])
    }

    private static func displayName(_ name: String, isClosure: Bool, params: [Param]) -> String {
        if isClosure { return "closure" }
        return "\(name)(\(params.map { "\($0.label ?? "_"):" }.joined()))"
    }

    /// Whether a call with these argument labels (none trailing) binds its arguments one
    /// to one, in order, to the parameters: no defaults, variadics or relabelling.
    @inline(__always)
    func takesDirectly(_ labels: [String?]) -> Bool {
        hasPlainParameters && labels == paramLabels
    }

    /// `(Int, Double) -> Double`
    var typeText: String {
        let ps = params.map { $0.type?.name ?? "Any" }.joined(separator: ", ")
        return "(\(ps)) -> \(returnType?.name ?? (isClosure ? "Any" : "()"))"
    }

    /// `func f(_ x: Int, scale: Double = 1) -> Double`
    var signature: String {
        let ps = params.map { p -> String in
            var s = p.label == p.name ? p.name : "\(p.label ?? "_") \(p.name)"
            if let t = p.type { s += ": \(t.name)\(p.variadic ? "..." : "")" }
            if let d = p.defaultText { s += " = \(d)" }
            return s
        }
        let ret = returnType.map { " -> \($0.name)" } ?? ""
        return "func \(name)(\(ps.joined(separator: ", ")))\(ret)"
    }

    func checkReturn(_ value: Value, at span: Span) throws -> Value {
        if returnCheck.accepts(value) { return value }
        guard let type = returnType else { return value }
        if let v = type.convert(value) { return v }
        throw KoanError.failure(.type, "cannot convert return value of type '\(value.typeName)' to return type '\(type.name)'", at: span)
    }
}

/// A quick test that a value needs no conversion to a type annotation, so that calls and
/// returns skip `TypeAnn.convert` (and copying the annotation) in the usual case.
enum TypeCheck {
    /// No annotation, or `Any`: every value is accepted as is.
    case none
    /// `Int`, `Double`, `Bool` or `String`: a value of that kind is accepted as is.
    case exact(ValueKind)
    /// Anything else: always go through `TypeAnn.convert`.
    case convert

    init(_ type: TypeAnn?) {
        switch type {
        case nil, .any?: self = .none
        case .int?: self = .exact(.int)
        case .double?: self = .exact(.double)
        case .bool?: self = .exact(.bool)
        case .string?: self = .exact(.string)
        default: self = .convert
        }
    }

    /// True when `TypeAnn.convert` would return the value unchanged.
    @inline(__always)
    func accepts(_ value: Value) -> Bool {
        switch self {
        case .none: return true
        case .exact(let kind): return value.kind == kind
        case .convert: return false
        }
    }
}

/// The shape of a parameter as far as argument matching is concerned.
struct ParamShape {
    var label: String?
    var hasDefault: Bool
    var variadic: Bool
    /// Whether the parameter is a function (nil: unknown). A trailing closure only
    /// goes to a parameter that may be a function, whatever its label.
    var takesClosure: Bool? = nil

    func accepts(_ arg: Argument) -> Bool {
        if arg.trailing { return takesClosure != false }
        return arg.label == label
    }
}

/// Where each parameter's value comes from.
enum ArgumentSource {
    case argument(Int)
    case variadic([Int])
    case defaultValue
}

/// Matches call arguments to parameters by label, as Swift does, with Swift's messages.
func matchArguments(_ params: [ParamShape], _ args: [Argument]) -> Result<[ArgumentSource], Fault> {
    var plan: [ArgumentSource] = []
    var i = 0
    for (k, p) in params.enumerated() {
        if p.variadic {
            var taken: [Int] = []
            if i < args.count, p.accepts(args[i]) {
                taken.append(i); i += 1
                while i < args.count, args[i].label == nil { taken.append(i); i += 1 }
            }
            plan.append(taken.isEmpty && p.hasDefault ? .defaultValue : .variadic(taken))
            continue
        }
        if i < args.count, p.accepts(args[i]) {
            plan.append(.argument(i)); i += 1
            continue
        }
        if p.hasDefault {
            // Only skip when the argument belongs to a later parameter.
            if i < args.count, !params[(k + 1)...].contains(where: { $0.accepts(args[i]) }) {
                return .failure(labelFault(have: args[i].label, expected: p.label))
            }
            plan.append(.defaultValue)
            continue
        }
        if i < args.count {
            return .failure(labelFault(have: args[i].label, expected: p.label))
        }
        let name = p.label.map { "'\($0)'" } ?? "#\(k + 1)"
        return .failure(Fault(.type, "missing argument for parameter \(name) in call"))
    }
    if i < args.count {
        if let l = args[i].label { return .failure(Fault(.type, "extra argument '\(l)' in call")) }
        return .failure(Fault(.type, "extra argument in call"))
    }
    return .success(plan)
}

private func labelFault(have: String?, expected: String?) -> Fault {
    switch (have, expected) {
    case (nil, let e?): return Fault(.type, "missing argument label '\(e):' in call")
    case (let h?, nil): return Fault(.type, "extraneous argument label '\(h):' in call")
    case (let h?, let e?): return Fault(.type, "incorrect argument label in call (have '\(h):', expected '\(e):')")
    case (nil, nil): return Fault(.type, "extra argument in call")
    }
}
