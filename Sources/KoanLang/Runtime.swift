// Variable storage (frame slots, boxes, globals) lives in manually managed buffers rather
// than in class `var`s: this avoids dynamic exclusivity checks on every access (a third
// of the run time of a simple loop) and, more importantly, the trap those checks raise
// when user code reads a variable while a mutating method is working on it
// (`xs.sort { _, _ in xs.isEmpty }`): the read simply sees the value being mutated moved
// out. Each buffer is owned by exactly one object and freed in its deinit.

/// A variable captured by a closure (or a local declared in a scope a closure captures):
/// shared by reference, as Swift captures variables.
final class Box {
    /// The variable; mutate through `pointer.pointee` to mutate in place.
    let pointer: UnsafeMutablePointer<Value>
    init(_ value: Value) {
        pointer = .allocate(capacity: 1)
        pointer.initialize(to: value)
    }
    deinit {
        pointer.deinitialize(count: 1)
        pointer.deallocate()
    }
    var value: Value {
        get { pointer.pointee }
        set { pointer.pointee = newValue }
    }
}

/// A top-level binding of the workspace. Redeclaring the name in a later cell replaces
/// the value in place, so functions that refer to it see the new value.
final class Global {
    let name: String
    private let storage: UnsafeMutablePointer<Value?>
    /// nil until the declaration has run (or after `%reset`).
    var value: Value? {
        get { storage.pointee }
        set { storage.pointee = newValue }
    }
    var isLet: Bool
    var type: TypeAnn?
    /// The user function declared under this name, if it is a `func`.
    var function: UserFunction?
    init(name: String, value: Value? = nil, isLet: Bool = false) {
        self.name = name; self.isLet = isLet
        storage = .allocate(capacity: 1)
        storage.initialize(to: value)
    }
    deinit {
        storage.deinitialize(count: 1)
        storage.deallocate()
    }
}

/// The activation record of one user function call (or of a cell's top level).
final class Frame {
    /// One value per local slot (slot numbers are fixed by the lowering).
    let slots: UnsafeMutablePointer<Value>
    /// The box of each captured local (nil for locals no closure captures).
    let boxes: UnsafeMutablePointer<Box?>
    private let count: Int
    /// The name shown in tracebacks: "top level", "f(_:scale:)", "closure".
    let name: String
    @exclusivity(unchecked) var returnValue: Value = .void

    init(slotCount: Int, name: String) {
        count = max(1, slotCount)
        // Slots and boxes share one allocation (a frame is made per call): the values
        // first, then the boxes. `Value`'s stride is a multiple of its alignment, which
        // is at least a pointer's, so the boxes are aligned.
        let valueBytes = count * MemoryLayout<Value>.stride
        let raw = UnsafeMutableRawPointer.allocate(
            byteCount: valueBytes + count * MemoryLayout<Box?>.stride,
            alignment: max(MemoryLayout<Value>.alignment, MemoryLayout<Box?>.alignment))
        slots = raw.bindMemory(to: Value.self, capacity: count)
        slots.initialize(repeating: .void, count: count)
        boxes = (raw + valueBytes).bindMemory(to: Box?.self, capacity: count)
        boxes.initialize(repeating: nil, count: count)
        self.name = name
    }

    /// The next frame in a function's pool of free frames (see FramePool.swift).
    @exclusivity(unchecked) var nextFree: Frame?

    /// Empties every slot (releasing the values) so that the frame can be reused.
    @inline(__always)
    func reset() {
        for i in 0..<count {
            slots[i] = .void
            boxes[i] = nil
        }
        returnValue = .void
    }

    deinit {
        // Element by element: `deinitialize(count:)` with a run-time count goes through
        // the generic `swift_arrayDestroy`, which is slow for a frame's few slots.
        for i in 0..<count {
            (slots + i).deinitialize(count: 1)
            (boxes + i).deinitialize(count: 1)
        }
        UnsafeMutableRawPointer(slots).deallocate()
    }
}

/// The state an evaluation needs besides the frame: output, interruption, call depth.
final class Runtime {
    let display: Display
    let cancellation: Cancellation
    let registry: Registry
    @exclusivity(unchecked) var depth = 0
    let maxDepth: Int

    init(display: Display, cancellation: Cancellation, registry: Registry, maxDepth: Int) {
        self.display = display
        self.cancellation = cancellation
        self.registry = registry
        self.maxDepth = maxDepth
    }

    @inline(__always)
    func checkInterrupt(_ span: Span) throws {
        if cancellation.isCancelled { throw KoanError.interrupted(at: span) }
    }

    /// Calls any function value with positional or labelled arguments.
    func call(_ callee: Value, _ args: [Argument], at span: Span, from caller: Frame) throws -> Value {
        if case .object(let o as any CallableObject) = callee {
            do { return try o.call(args) } catch { throw error.positioned(span) }
        }
        guard case .function(let fn) = callee else {
            throw KoanError.failure(.type, "cannot call value of non-function type '\(callee.typeName)'", at: span)
        }
        switch fn.kind {
        case .user(let def, let captures):
            return try callUser(def, captures: captures, args, at: span, from: caller)
        case .builtin(let entries):
            return try callBuiltin(entries, args, at: span, from: caller)
        case .method(let receiver, let entries):
            return try callMethod(entries, on: receiver, args, at: span, from: caller)
        }
    }

    func callUser(_ def: UserFunction, captures: [Box], _ args: [Argument],
                  at span: Span, from caller: Frame) throws -> Value {
        try checkInterrupt(span)
        if depth >= maxDepth {
            throw KoanError.failure(.recursion, "maximum recursion depth (\(maxDepth)) exceeded", at: span)
        }
        var frame = def.makeFrame(captures: captures)
        try bindArguments(def, args, into: frame, at: span)
        let result = try run(def, in: frame, at: span, from: caller)
        def.recycle(&frame)
        return result
    }

    /// The fast path of `Call` for a user function whose parameters take the call's
    /// arguments one to one (`def.takesDirectly`): the arguments are evaluated straight
    /// into the new frame's slots, with no `[Argument]` array and no label matching.
    /// Errors come in the same order as through `callUser`: those of the arguments,
    /// then interruption, recursion depth, argument types.
    func callUserDirect(_ def: UserFunction, captures: [Box], _ args: [ArgumentExpr],
                        at span: Span, from caller: Frame) throws -> Value {
        var frame = def.makeFrame(captures: captures)
        let locals = def.paramLocals, checks = def.paramChecks
        var needsConversion = false
        for i in 0..<args.count {
            var value = try args[i].value.eval(self, caller)
            if let d = args[i].asDouble, def.paramTypes[i]?.literalScalar == .double { value = .double(d) }
            if !checks[i].accepts(value) { needsConversion = true }
            locals[i].store(value, in: frame)
        }
        try checkInterrupt(span)
        if depth >= maxDepth {
            throw KoanError.failure(.recursion, "maximum recursion depth (\(maxDepth)) exceeded", at: span)
        }
        if needsConversion {
            // Converting a value that already conforms leaves it as it is, so all the
            // annotated parameters may go through `convert` here.
            let types = def.paramTypes
            for i in 0..<types.count {
                guard let type = types[i] else { continue }
                try locals[i].modify(frame) { value in
                    guard let converted = type.convert(value) else { throw argumentTypeError(value, type, span) }
                    value = converted
                }
            }
        }
        let result = try run(def, in: frame, at: span, from: caller)
        def.recycle(&frame)
        return result
    }

    /// Runs a user function's body in its frame (arguments bound), adding the caller's
    /// frame to the traceback of any error leaving it.
    @inline(__always)
    private func run(_ def: UserFunction, in frame: Frame,
                     at span: Span, from caller: Frame) throws -> Value {
        depth += 1
        defer { depth -= 1 }
        do {
            _ = try def.body.exec(self, frame)
            let value = frame.returnValue
            if def.returnCheck.accepts(value) { return value }
            return try def.checkReturn(value, at: span)
        } catch let error as KoanError {
            throw error.leaving(function: def.displayName, calledAt: span, from: caller.name)
        }
    }

    private func bindArguments(_ def: UserFunction, _ args: [Argument], into frame: Frame, at span: Span) throws {
        var args = args
        // A closure of n > 1 parameters called with one n-tuple receives its elements
        // (`dict.map { (k, v) in ... }`).
        if def.isClosure, def.params.count > 1, args.count == 1,
           case .tuple(let t) = args[0].value, t.elements.count == def.params.count {
            args = t.elements.map { Argument(label: nil, value: $0) }
        }
        if def.isClosure, def.params.isEmpty == false, def.params.allSatisfy({ $0.label == nil }),
           def.implicitParameters, args.count > def.params.count {
            args = Array(args.prefix(def.params.count))
        }
        if args.count == def.paramLabels.count, def.hasPlainParameters,
           zip(args, def.paramLabels).allSatisfy({ $0.label == $1 || $0.trailing }) {
            // The common case: one argument per parameter, labels as declared.
            let locals = def.paramLocals, types = def.paramTypes
            for i in 0..<args.count {
                var value = args[i].value
                if let d = args[i].asDouble, types[i]?.literalScalar == .double { value = .double(d) }
                if let type = types[i] {
                    guard let converted = type.convert(value) else { throw argumentTypeError(value, type, span) }
                    value = converted
                }
                locals[i].store(value, in: frame)
            }
            return
        }
        let plan = try matchArguments(def.params.map(\.shape), args).get(span)
        for (param, source) in zip(def.params, plan) {
            var value: Value
            switch source {
            case .argument(let i):
                value = args[i].value
                if let d = args[i].asDouble, param.type?.literalScalar == .double { value = .double(d) }
            case .variadic(let idx): value = .array(idx.map { args[$0].value })
            case .defaultValue:
                guard let d = param.defaultValue else { value = .null; break }
                value = try d.eval(self, frame)
            }
            if let type = param.type {
                guard let converted = type.convert(value) else { throw argumentTypeError(value, type, span) }
                value = converted
            }
            param.local.store(value, in: frame)
        }
    }

    private func argumentTypeError(_ value: Value, _ type: TypeAnn, _ span: Span) -> KoanError {
        .failure(.type, "cannot convert value of type '\(value.typeName)' to expected argument type '\(type.name)'", at: span)
    }

    func callBuiltin(_ entries: [Builtin], _ args: [Argument], at span: Span, from caller: Frame) throws -> Value {
        try firstMatching(entries, params: \.params, args, at: span, from: caller) { entry, values, context in
            try entry.implementation(values, context)
        }
    }

    func callMethod(_ entries: [Member], on receiver: Value, _ args: [Argument],
                    at span: Span, from caller: Frame) throws -> Value {
        try firstMatching(entries, params: \.params, args, at: span, from: caller) { entry, values, context in
            switch entry.implementation {
            case .property(let get): return try get(receiver, context)
            case .method(let call): return try call(receiver, values, context)
            case .mutating:
                throw Fault(.type, "cannot use mutating member '\(entry.name)' on an immutable value")
            }
        }
    }

    /// Calls the first overload whose labels match the arguments; otherwise throws the
    /// first mismatch (the most specific message), positioned at the call.
    private func firstMatching<Entry>(_ entries: [Entry], params: KeyPath<Entry, [ParamSpec]>, _ args: [Argument],
                                      at span: Span, from caller: Frame,
                                      _ call: (Entry, [Value], CallContext) throws -> Value) throws -> Value {
        var firstError: Fault?
        for entry in entries {
            let specs = entry[keyPath: params]
            switch matchArguments(specs.map(\.shape), args) {
            case .failure(let fault):
                if firstError == nil { firstError = fault }
            case .success(let plan):
                let values = fill(plan, specs, args)
                let context = CallContext(runtime: self, span: span, frame: caller)
                do { return try call(entry, values, context) } catch { throw error.positioned(span) }
            }
        }
        throw (firstError ?? Fault(.type, "no matching call")).at(span)
    }

    func fill(_ plan: [ArgumentSource], _ params: [ParamSpec], _ args: [Argument]) -> [Value] {
        fillArguments(plan, params, args)
    }
}

/// The value of each parameter under a matched plan: its argument, its variadic arguments, or
/// its default (`nil` when the signature's default is not a literal).
func fillArguments(_ plan: [ArgumentSource], _ params: [ParamSpec], _ args: [Argument]) -> [Value] {
    zip(plan, params).map { source, param in
        switch source {
        case .argument(let i):
            if let d = args[i].asDouble, param.wantsDouble { return .double(d) }
            return args[i].value
        case .variadic(let idx): return .array(idx.map { args[$0].value })
        case .defaultValue: return param.defaultValue ?? .null
        }
    }
}

/// One argument of a call, as written (`scale: 2` has label "scale").
package struct Argument {
    package var label: String?
    package var value: Value
    /// A trailing closure: it may fill a labelled parameter (`xs.sorted { ... }` is `sorted(by:)`).
    var trailing = false
    /// The argument's value as a Double when it is integer literals only and Swift would
    /// type them from a `Double` parameter (`.adamW(lr: 1 / 1000)`); see `ArgumentExpr`.
    var asDouble: Double? = nil
    package init(label: String?, value: Value, trailing: Bool = false) {
        self.label = label; self.value = value; self.trailing = trailing
    }
}

/// What builtins receive besides their arguments: a way to call back into user code.
package struct CallContext {
    let runtime: Runtime
    let span: Span
    let frame: Frame

    package var display: Display { runtime.display }
    /// The cancellation flag long library calls check between steps.
    package var cancellation: Cancellation { runtime.cancellation }
    /// Calls a function value with labelled arguments.
    package func call(_ function: Value, arguments: [Argument]) throws -> Value {
        try runtime.call(function, arguments, at: span, from: frame)
    }
    /// The interpreter's registry (extensions keep their per-interpreter state there).
    package var registry: Registry { runtime.registry }

    /// Calls a function value (a closure passed to `map`, an operator passed to `reduce`).
    package func call(_ function: Value, _ args: Value...) throws -> Value {
        try runtime.call(function, args.map { Argument(label: nil, value: $0) }, at: span, from: frame)
    }

    func checkInterrupt() throws { try runtime.checkInterrupt(span) }
}

extension Result where Failure == Fault {
    func get(_ span: Span) throws -> Success {
        switch self {
        case .success(let v): return v
        case .failure(let f): throw f.at(span)
        }
    }
}
