/// Call, member and subscript nodes of the lowered program.

/// One argument expression of a call, with its label as written.
struct ArgumentExpr {
    var label: String?
    var value: Expr
    var trailing = false
    /// For an argument of integer literals only whose value as a Double differs
    /// (`1 / 1000`): that value, taken when the parameter is a `Double`, as Swift types
    /// the literals from the parameter.
    var asDouble: Double? = nil
}

@inline(__always)
func evalArguments(_ args: [ArgumentExpr], _ rt: Runtime, _ f: Frame) throws -> [Argument] {
    var out: [Argument] = []
    out.reserveCapacity(args.count)
    for a in args {
        var argument = Argument(label: a.label, value: try a.value.eval(rt, f), trailing: a.trailing)
        argument.asDouble = a.asDouble
        out.append(argument)
    }
    return out
}

/// `f(x, scale: 2)` where `f` is any function value (user function, closure, builtin value).
final class Call: Expr {
    let callee: Expr
    let args: [ArgumentExpr]
    /// The labels as written, or nil when there is a trailing closure (which may go to a
    /// parameter of another label): then the call always takes the general path.
    let directLabels: [String?]?
    init(_ callee: Expr, _ args: [ArgumentExpr], span: Span) {
        self.callee = callee; self.args = args
        directLabels = args.contains(where: \.trailing) ? nil : args.map(\.label)
        super.init(span: span)
    }
    override func eval(_ rt: Runtime, _ f: Frame) throws -> Value {
        let fn = try callee.eval(rt, f)
        // Fast path: a user function taking these arguments one to one by label (the
        // usual `fib(n - 1)`) binds them without building an `[Argument]` array.
        if let labels = directLabels, case .function(let function) = fn,
           case .user(let def, let captures) = function.kind, def.takesDirectly(labels) {
            return try rt.callUserDirect(def, captures: captures, args, at: span, from: f)
        }
        let values = try evalArguments(args, rt, f)
        return try rt.call(fn, values, at: span, from: f)
    }
}

/// A call of a builtin resolved at lowering time (`print(x)`, `sqrt(2)`): the overload
/// and the argument plan are chosen once, from the labels as written.
final class BuiltinCall: Expr {
    let entry: Builtin
    let plan: [ArgumentSource]
    let args: [ArgumentExpr]

    /// Fails with Swift's message when no overload accepts these labels.
    static func make(_ entries: [Builtin], _ args: [ArgumentExpr], span: Span, hints: Registry? = nil) throws -> BuiltinCall {
        let shapes = args.map { Argument(label: $0.label, value: .void, trailing: $0.trailing) }
        var firstError: Fault?
        for entry in entries {
            switch matchArguments(entry.params.map(\.shape), shapes) {
            case .success(let plan): return BuiltinCall(entry, plan, args, span: span)
            case .failure(let fault): if firstError == nil { firstError = fault }
            }
        }
        var fault = firstError ?? Fault(.type, "no matching call")
        if let shape = shapeAsOneArray(entries, args) { fault.message = shape }
        if let hints { fault = hints.labelHinted(fault, args.map(\.label)) }
        throw fault.at(span)
    }

    /// `Tensor.randn(3, 4)` as PyTorch writes it: the shape is one array here.
    private static func shapeAsOneArray(_ entries: [Builtin], _ args: [ArgumentExpr]) -> String? {
        guard let entry = entries.first, entry.params.first?.type == "[Int]",
              entries.allSatisfy({ $0.params.first?.type == "[Int]" }) else { return nil }
        let leading = args.prefix { $0.label == nil }
        guard leading.count >= 2 else { return nil }
        let dims = leading.map { a -> String in
            if let l = a.value as? Literal, case .int(let i) = l.value { return "\(i)" }
            return "n"
        }
        return "\(entry.name) takes the shape as one array: \(entry.name)([\(dims.joined(separator: ", "))])"
    }

    private init(_ entry: Builtin, _ plan: [ArgumentSource], _ args: [ArgumentExpr], span: Span) {
        self.entry = entry; self.plan = plan; self.args = args; super.init(span: span)
    }

    override func eval(_ rt: Runtime, _ f: Frame) throws -> Value {
        let values = try evalArguments(args, rt, f)
        let filled = rt.fill(plan, entry.params, values)
        do {
            return try entry.implementation(filled, CallContext(runtime: rt, span: span, frame: f))
        } catch { throw error.positioned(span) }
    }
}

/// A builtin used as a value (`let g = sqrt`, `xs.reduce(0, +)`).
final class BuiltinRef: Expr {
    let function: Function
    init(_ entries: [Builtin], span: Span) {
        function = Function(.builtin(entries)); super.init(span: span)
    }
    override func eval(_ rt: Runtime, _ f: Frame) throws -> Value { .function(function) }
}

/// A member chosen at one call site, with its argument plan. A class so that the cached
/// resolution is handed out by reference on every call (copying `Member` and the plan
/// out of an optional tuple was most of the cost of `xs.append(x)` in a loop).
final class ResolvedMember {
    let entry: Member
    let plan: [ArgumentSource]
    /// The plan takes the arguments as they come (`.argument(0)`, `.argument(1)`, ...),
    /// so the evaluated values are passed on without `fill`.
    let isIdentity: Bool
    /// Arguments of integer literals going to `Double` parameters, as Doubles (see
    /// `ArgumentExpr.asDouble`): (argument index, value).
    let literalDoubles: [(Int, Double)]
    init(_ entry: Member, _ plan: [ArgumentSource], labels: [Argument]) {
        self.entry = entry; self.plan = plan
        literalDoubles = zip(plan, entry.params).compactMap { source, param in
            guard case .argument(let i) = source, param.wantsDouble, let d = labels[i].asDouble else { return nil }
            return (i, d)
        }
        isIdentity = plan.count == entry.params.count && plan.enumerated().allSatisfy { i, source in
            if case .argument(let j) = source { return i == j }
            return false
        }
    }

    /// The values the implementation receives, from the call's argument values in order.
    @inline(__always)
    func arguments(_ values: [Value], _ rt: Runtime, labels: [Argument]) -> [Value] {
        var values = values
        for (i, d) in literalDoubles { values[i] = .double(d) }
        if isIdentity { return values }
        return rt.fill(plan, entry.params, withLabels(labels, values))
    }
}

/// The call's arguments with their labels (`labels` holds the labels, `values` the values).
func withLabels(_ labels: [Argument], _ values: [Value]) -> [Argument] {
    zip(labels, values).map {
        var a = Argument(label: $0.label, value: $1, trailing: $0.trailing)
        a.asDouble = $0.asDouble
        return a
    }
}

@inline(__always)
func evalArgumentValues(_ args: [ArgumentExpr], _ rt: Runtime, _ f: Frame) throws -> [Value] {
    var out: [Value] = []
    out.reserveCapacity(args.count)
    for a in args { out.append(try a.value.eval(rt, f)) }
    return out
}

/// Member resolution at one call site, cached by the receiver's kind and, for library
/// objects, their class (the labels are fixed).
final class MemberSite {
    let name: String
    let labels: [Argument]
    @exclusivity(unchecked) private var cachedKind: ValueKind?
    @exclusivity(unchecked) private var cachedClass: ObjectIdentifier?
    @exclusivity(unchecked) private var cached: ResolvedMember?

    init(name: String, args: [ArgumentExpr]) {
        self.name = name
        self.labels = args.map {
            var a = Argument(label: $0.label, value: .void, trailing: $0.trailing)
            a.asDouble = $0.asDouble
            return a
        }
    }

    /// The member for this receiver and its argument plan; nil when the name is only a property.
    func resolve(_ receiver: Value, _ registry: Registry) throws -> ResolvedMember? {
        let kind = receiver.kind
        var objectClass: ObjectIdentifier?
        if case .object(let o) = receiver { objectClass = ObjectIdentifier(type(of: o)) }
        if kind == cachedKind, objectClass == cachedClass, let c = cached { return c }
        let entries = registry.members(named: name, for: receiver)
        if entries.isEmpty { return nil }
        var firstError: Fault?
        for entry in entries {
            if entry.isProperty { continue }
            switch matchArguments(entry.params.map(\.shape), labels) {
            case .success(let plan):
                let resolved = ResolvedMember(entry, plan, labels: labels)
                cachedKind = kind; cachedClass = objectClass; cached = resolved
                return resolved
            case .failure(let fault): if firstError == nil { firstError = fault }
            }
        }
        if let firstError { throw registry.labelHinted(firstError, labels.map(\.label)) }
        return nil
    }
}

/// `receiver.name(args)` for a non-mutating member, or a function stored in a property.
final class MethodCall: Expr {
    let receiver: Expr
    let site: MemberSite
    let args: [ArgumentExpr]
    init(_ receiver: Expr, _ name: String, _ args: [ArgumentExpr], span: Span) {
        self.receiver = receiver; self.args = args
        site = MemberSite(name: name, args: args)
        super.init(span: span)
    }
    override func eval(_ rt: Runtime, _ f: Frame) throws -> Value {
        let recv = try receiver.eval(rt, f)
        let values = try evalArgumentValues(args, rt, f)
        let resolved: ResolvedMember?
        do { resolved = try site.resolve(recv, rt.registry) } catch { throw error.positioned(span) }
        if let resolved {
            let context = CallContext(runtime: rt, span: span, frame: f)
            do {
                switch resolved.entry.implementation {
                case .method(let body): return try body(recv, resolved.arguments(values, rt, labels: site.labels), context)
                case .mutating:
                    throw Fault(.type, "cannot use mutating member '\(site.name)' on an immutable value")
                case .property(let get):
                    return try rt.call(try get(recv, context), withLabels(site.labels, values), at: span, from: f)
                }
            } catch { throw error.positioned(span) }
        }
        // A property or tuple element holding a function: `t.f(x)`.
        let function = try MemberGet(Literal(recv, span: span), site.name, span: span).eval(rt, f)
        return try rt.call(function, withLabels(site.labels, values), at: span, from: f)
    }
}

package func noMember(_ v: Value, _ name: String) -> String {
    "value of type '\(v.typeName)' has no member '\(name)'"
}

/// The same, with "did you mean" from the members this value has (and the names PyTorch
/// and NumPy users reach for: `reshape` → `reshaped`).
func noMember(_ v: Value, _ name: String, _ registry: Registry) -> String {
    guard let s = registry.memberSuggestion(for: name, on: v) else { return noMember(v, name) }
    return noMember(v, name) + "; did you mean '\(s)'?"
}

/// `xs.append(x)`: the receiver is a place, mutated in place (no copy of the array).
final class MutatingCall: Expr {
    let receiver: Place
    let site: MemberSite
    let args: [ArgumentExpr]
    /// `append(x)` with one unlabelled argument: on an array it always means
    /// `append(_:)`, which is done directly (see `eval`).
    let appendsOne: Bool
    init(_ receiver: Place, _ name: String, _ args: [ArgumentExpr], span: Span) {
        self.receiver = receiver; self.args = args
        site = MemberSite(name: name, args: args)
        appendsOne = name == "append" && args.count == 1 && args[0].label == nil && !args[0].trailing
        super.init(span: span)
    }
    override func eval(_ rt: Runtime, _ f: Frame) throws -> Value {
        // Arguments first: while the receiver is being mutated its slot is empty.
        var result = Value.void
        if appendsOne {
            // Fast path for the commonest mutation, `xs.append(x)` in a loop: no argument
            // array, no member lookup, no plan; the array is moved out of its place, so it
            // is uniquely referenced and appended to in place.
            var element = try args[0].value.eval(rt, f)
            if case .array(let type)? = receiver.declaredType?.unwrapped, type != .any {
                // `var xs = [1, 2]` holds Ints: `xs.append("x")` is refused as Swift does.
                guard let converted = type.convert(element) else {
                    throw KoanError.failure(.type, "cannot convert value of type '\(element.typeName)' to expected argument type '\(type.name)'",
                                            at: args[0].value.span)
                }
                element = converted
            }
            try receiver.modify(rt, f) { recv in
                if var xs = recv.takeArray() {
                    xs.append(element)
                    recv = .array(xs)
                } else {
                    result = try apply(&recv, [element], rt, f)
                }
            }
            return result
        }
        let values = try evalArgumentValues(args, rt, f)
        try receiver.modify(rt, f) { recv in result = try apply(&recv, values, rt, f) }
        return result
    }

    /// Calls the member on the receiver being mutated, with the call's argument values.
    private func apply(_ recv: inout Value, _ values: [Value], _ rt: Runtime, _ f: Frame) throws -> Value {
        let resolved: ResolvedMember?
        do { resolved = try site.resolve(recv, rt.registry) } catch { throw error.positioned(span) }
        guard let resolved else {
            throw KoanError.failure(.type, noMember(recv, site.name, rt.registry), at: span)
        }
        let context = CallContext(runtime: rt, span: span, frame: f)
        do {
            switch resolved.entry.implementation {
            case .mutating(let body): return try body(&recv, resolved.arguments(values, rt, labels: site.labels), context)
            case .method(let body): return try body(recv, resolved.arguments(values, rt, labels: site.labels), context)
            case .property(let get):
                return try rt.call(try get(recv, context), withLabels(site.labels, values), at: span, from: f)
            }
        } catch { throw error.positioned(span) }
    }
}

/// `base.name`: a property, a tuple element (`t.0`, `t.label`), or a bound method.
final class MemberGet: Expr {
    let base: Expr
    let name: String
    init(_ base: Expr, _ name: String, span: Span) { self.base = base; self.name = name; super.init(span: span) }
    override func eval(_ rt: Runtime, _ f: Frame) throws -> Value {
        let v = try base.eval(rt, f)
        return try member(of: v, rt, f)
    }

    func member(of v: Value, _ rt: Runtime, _ f: Frame) throws -> Value {
        if case .tuple(let t) = v {
            if let i = Int(name), i >= 0, i < t.elements.count { return t.elements[i] }
            if let i = t.index(ofLabel: name) { return t.elements[i] }
        }
        let entries = rt.registry.members(named: name, for: v)
        if entries.isEmpty { throw KoanError.failure(.type, noMember(v, name, rt.registry), at: span) }
        let properties = entries.filter(\.isProperty)
        if !properties.isEmpty {
            return try rt.callMethod(properties, on: v, [], at: span, from: f)
        }
        return .function(Function(.method(receiver: v, entries.filter { !$0.isMutating })))
    }
}

/// `a[i]`, `d[k]`, `a[1..<3]`, `d[k, default: v]`.
final class SubscriptGet: Expr {
    let base: Expr
    let args: [ArgumentExpr]
    init(_ base: Expr, _ args: [ArgumentExpr], span: Span) { self.base = base; self.args = args; super.init(span: span) }
    override func eval(_ rt: Runtime, _ f: Frame) throws -> Value {
        let v = try base.eval(rt, f)
        let index = try evalArguments(args, rt, f)
        do { return try Subscripts.get(v, index) } catch { throw error.positioned(span) }
    }
}

/// Reading and writing through subscripts, shared by expressions and places.
enum Subscripts {
    static func get(_ v: Value, _ index: [Argument]) throws -> Value {
        switch v {
        case .object(let o as any SubscriptableObject): return try o.subscriptGet(index)
        case .array(let xs):
            guard index.count == 1, index[0].label == nil else { throw Fault(.type, "arrays take one index: a[i]") }
            switch index[0].value {
            case .int(let i):
                guard i >= 0 && i < xs.count else { throw indexFault(i, xs.count) }
                return xs[i]
            case .range(let r):
                let (lo, hi) = try bounds(r, count: xs.count)
                return .array(Array(xs[lo..<hi]))
            default:
                throw Fault(.type, "cannot subscript a value of type '\(v.typeName)' with an argument of type '\(index[0].value.typeName)'")
            }
        case .dict(let d):
            guard let key = index.first?.value, index[0].label == nil else {
                throw Fault(.type, "dictionaries take one key: d[key]")
            }
            if index.count == 2, index[1].label == "default" { return d[key] ?? index[1].value }
            guard index.count == 1 else { throw Fault(.type, "extra argument in subscript") }
            return d[key] ?? .null
        case .string(let s):
            guard index.count == 1, case .int(let i) = index[0].value else {
                throw Fault(.type, "strings are indexed by Int here: s[i]")
            }
            let chars = Array(s)
            guard i >= 0 && i < chars.count else { throw indexFault(i, chars.count) }
            return .string(String(chars[i]))
        case .tuple(let t):
            guard index.count == 1, case .int(let i) = index[0].value, i >= 0, i < t.elements.count else {
                throw Fault(.type, "cannot subscript a value of type '\(v.typeName)'")
            }
            return t.elements[i]
        case .range(let r):
            guard index.count == 1, case .int(let i) = index[0].value, let (lo, hi) = r.intBounds else {
                throw Fault(.type, "cannot subscript a value of type '\(v.typeName)'")
            }
            guard i >= 0 && i < hi - lo else { throw indexFault(i, hi - lo) }
            return .int(lo + i)
        default:
            throw Fault(.type, "value of type '\(v.typeName)' has no subscripts")
        }
    }

    /// Writes `newValue` at `index` inside `v` (nil removes a dictionary entry).
    static func set(_ v: inout Value, _ index: [Argument], _ body: (inout Value) throws -> Void) throws {
        if case .object(let o as any SubscriptableObject) = v { return try o.subscriptSet(&v, index, body) }
        if case .array(let xs) = v {
            guard index.count == 1, case .int(let i) = index[0].value else {
                throw Fault(.type, "arrays are assigned by one Int index: a[i] = x")
            }
            guard i >= 0 && i < xs.count else { throw indexFault(i, xs.count) }
        }
        if case .int(let i) = index.first?.value, case .array = v, var xs = v.takeArray() {
            defer { v = .array(xs) }
            try body(&xs[i])
        } else if var d = v.takeDict() {
            defer { v = .dict(d) }
            guard let key = index.first?.value else { throw Fault(.type, "dictionaries take one key: d[key]") }
            let fallback: Value = index.count == 2 && index[1].label == "default" ? index[1].value : .null
            try d.modify(key, default: fallback, body)
        } else if case .tuple(let t) = v, index.count == 1, case .int(let i) = index[0].value, i >= 0, i < t.elements.count,
                  var tuple = v.takeTuple() {
            defer { v = .tuple(tuple) }
            try body(&tuple.elements[i])
        } else {
            throw Fault(.type, "cannot assign through subscript: value of type '\(v.typeName)' is not mutable by index")
        }
    }

    static func indexFault(_ i: Int, _ count: Int) -> Fault {
        Fault(.index, "index \(i) out of range for collection of count \(count)")
    }

    static func bounds(_ r: RangeValue, count: Int) throws -> (Int, Int) {
        guard let (lo, hi) = r.intBounds else { throw Fault(.type, "ranges used as indices must have Int bounds") }
        guard lo >= 0, hi <= count, lo <= hi else {
            throw Fault(.index, "range \(r.lower.description)\(r.closed ? "..." : "..<")\(r.upper.description) out of bounds for collection of count \(count)")
        }
        return (lo, hi)
    }
}
