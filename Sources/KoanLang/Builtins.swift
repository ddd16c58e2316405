
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Builtin functions: I/O, display, conversions, sequences and math.

func registerCoreFunctions(_ r: Registry) {
    r.function("print(_ items: Any..., separator: String = \" \", terminator: String = \"\\n\")",
               "Writes the textual representations of the items, separated by separator and followed by terminator; `to: &standardError` writes to stderr.",
               hidden: "to: TextOutputStream = nil") { a, ctx in
        let items = try a[0].elements()
        var stream = OutputStream.stdout
        if case .object(let o) = a[3], let token = o as? StreamToken { stream = token.stream }
        let text = items.map(\.description).joined(separator: try a[1].asString()) + (try a[2].asString())
        ctx.display.write(text, to: stream)
        return .void
    }
    r.function("readLine(prompt: String = \"\") -> String?",
               "Reads a line of input from the user (nil at end of input).") { a, ctx in
        do { return .string(try ctx.display.readLine(prompt: try a[0].asString(), password: false)) } catch let f as Fault {
            throw f
        } catch {
            // An interrupt ends a wait for input as it ends a loop.
            try ctx.runtime.checkInterrupt(ctx.span)
            throw Fault(.stdin, "stdin is not available in this frontend (\(error))")
        }
    }
    r.function("type(of value: Any) -> Type", "Returns the dynamic type of a value.") { a, _ in
        .object(TypeObject(a[0].typeName))
    }
    r.function("assert(_ condition: Bool, _ message: String = \"\")",
               "Stops the cell with an AssertionError when condition is false.") { a, _ in
        if try a[0].asBool() { return .void }
        let message = try a[1].asString()
        throw Fault(.assertion, message.isEmpty ? "assertion failed" : "assertion failed: \(message)")
    }
    // Swift's `fatalError` spelled in a cell: a thrown RuntimeError that ends the cell;
    // the kernel and the workspace carry on (it never stops the process).
    r.function("fatalError(_ message: String = \"\")", "Stops the cell with a RuntimeError.") { a, _ in
        let message = try a[0].asString()
        throw Fault(.runtime, message.isEmpty ? "fatal error" : "fatal error: \(message)")
    }
    r.function("Int(_ value: Any) -> Int", "Converts a Double (truncating), Bool or String to Int; nil for a String that is not a number.") { a, _ in
        switch a[0] {
        case .int: return a[0]
        case .double(let d):
            guard d.isFinite, let i = Int(exactly: d.rounded(.towardZero)) else {
                throw Fault(.overflow, "\(d) cannot be converted to Int because it is outside the representable range")
            }
            return .int(i)
        case .bool(let b): return .int(b ? 1 : 0)
        case .string(let s): return Int(s).map { .int($0) } ?? .null
        default: throw Fault(.type, "cannot convert value of type '\(a[0].typeName)' to 'Int'")
        }
    }
    func toDouble(_ a: [Value], _ target: String) throws -> Value {
        switch a[0] {
        case .double: return a[0]
        case .int(let i): return .double(Double(i))
        case .string(let s): return Double(s).map { .double($0) } ?? .null
        default: throw Fault(.type, "cannot convert value of type '\(a[0].typeName)' to '\(target)'")
        }
    }
    r.function("Double(_ value: Any) -> Double", "Converts an Int or String to Double; nil for a String that is not a number.") { a, _ in
        try toDouble(a, "Double")
    }
    r.function("Float(_ value: Any) -> Double", "The same as Double(_:): Koan has one floating-point number type, 64-bit, which the annotations Float and Double both name (tensors have their own dtypes: .float32).") { a, _ in
        try toDouble(a, "Float")
    }
    r.function("String(_ value: Any) -> String", "The textual representation of a value.") { a, _ in
        .string(a[0].description)
    }
    r.function("String(repeating element: String, count: Int) -> String", "A string of count copies of element.") { a, _ in
        let n = try a[1].asInt()
        guard n >= 0 else { throw Fault(.value, "count must not be negative") }
        let element = try a[0].asString()
        try ValueMemory.reserve(count: n, bytesEach: element.utf8.count, "a string of \(n) copies of a \(element.utf8.count)-byte string")
        return .string(String(repeating: element, count: n))
    }
    r.function("Bool(_ value: Any) -> Bool", "Converts \"true\"/\"false\" to Bool (nil otherwise).") { a, _ in
        switch a[0] {
        case .bool: return a[0]
        case .string(let s): return Bool(s).map { .bool($0) } ?? .null
        default: throw Fault(.type, "cannot convert value of type '\(a[0].typeName)' to 'Bool'")
        }
    }
    r.function("Array(_ sequence: Sequence) -> Array", "The elements of a sequence (range, stride, string, dictionary) as an array.") { a, _ in
        .array(try a[0].elements())
    }
    r.function("Array(repeating element: Any, count: Int) -> Array", "An array of count copies of element.") { a, _ in
        let n = try a[1].asInt()
        guard n >= 0 else { throw Fault(.value, "count must not be negative") }
        try ValueMemory.reserve(count: n, bytesEach: ValueMemory.valueBytes, "an array of \(n) elements")
        return .array(Array(repeating: a[0], count: n))
    }
    r.function("stride(from start: Number, to end: Number, by stride: Number) -> StrideTo",
               "The numbers from start up to, not including, end, stepping by stride.") { a, _ in
        try makeStride(a, through: false)
    }
    r.function("stride(from start: Number, through end: Number, by stride: Number) -> StrideThrough",
               "The numbers from start up to and including end, stepping by stride.") { a, _ in
        try makeStride(a, through: true)
    }
    r.function("zip(_ sequence1: Sequence, _ sequence2: Sequence) -> [(Any, Any)]",
               "Pairs of corresponding elements, as long as the shorter sequence.") { a, _ in
        .array(zip(try a[0].elements(), try a[1].elements()).map { .tuple(TupleValue([$0, $1])) })
    }
}

private func makeStride(_ a: [Value], through: Bool) throws -> Value {
    for v in a where !v.isNumber {
        throw Fault(.type, "cannot convert value of type '\(v.typeName)' to expected argument type 'Int'")
    }
    if a[2].asNumber == 0 { throw Fault(.value, "stride step must not be zero") }
    return .stride(StrideValue(from: a[0], to: a[1], by: a[2], through: through))
}

func registerDisplayFunctions(_ r: Registry) {
    r.function("display(_ value: Any, id: String? = nil)",
               "Shows a value richly now; with id, a later updateDisplay(_:id:) replaces it in place.") { a, ctx in
        let id: String? = a[1].isNil ? nil : try a[1].asString()
        ctx.display.show(a[0].mimeBundle, displayID: id, update: false)
        return .void
    }
    r.function("updateDisplay(_ value: Any, id: String)",
               "Replaces the output shown with display(_:id:) under the same id.") { a, ctx in
        ctx.display.show(a[0].mimeBundle, displayID: try a[1].asString(), update: true)
        return .void
    }
    r.function("clearOutput(wait: Bool = false)",
               "Clears the cell's output; with wait, just before the next output arrives.") { a, ctx in
        ctx.display.clearOutput(wait: try a[0].asBool())
        return .void
    }
    r.function("HTML(_ html: String) -> HTML", "A value shown as text/html (with a text/plain fallback).") { a, _ in
        .object(RichText(mimeType: "text/html", text: try a[0].asString(), typeName: "HTML"))
    }
    r.function("Markdown(_ markdown: String) -> Markdown", "A value shown as text/markdown (with a text/plain fallback).") { a, _ in
        .object(RichText(mimeType: "text/markdown", text: try a[0].asString(), typeName: "Markdown"))
    }
}

func registerMathFunctions(_ r: Registry) {
    r.function("min(_ x: Comparable, _ y: Comparable, _ rest: Comparable...) -> Comparable",
               "The least of the arguments.") { a, _ in
        var best = a[0]
        for v in [a[1]] + (try a[2].elements()) where try valueLess(v, best) { best = v }
        return best
    }
    r.function("max(_ x: Comparable, _ y: Comparable, _ rest: Comparable...) -> Comparable",
               "The greatest of the arguments.") { a, _ in
        var best = a[0]
        for v in [a[1]] + (try a[2].elements()) where try valueLess(best, v) { best = v }
        return best
    }
    r.function("abs(_ x: Number) -> Number", "The absolute value of x.") { a, _ in
        switch a[0] {
        case .int(let i):
            guard i != Int.min else { throw Fault(.overflow, "abs(\(i)) overflows Int") }
            return .int(Swift.abs(i))
        case .double(let d): return .double(Swift.abs(d))
        case .object(let o as any OperandObject):
            if let r = try o.math("abs", nil, selfFirst: true) { return r }
            fallthrough
        default: throw Fault(.type, "cannot convert value of type '\(a[0].typeName)' to expected argument type 'Double'")
        }
    }
    /// Each of these takes a number, or an object with element-wise math (a tensor).
    func unary(_ name: String, _ doc: String, elementwise: Bool = true, _ f: @escaping (Double) -> Double) {
        r.function("\(name)(_ x: Double) -> Double", doc + (elementwise ? " On a tensor, element-wise." : "")) { a, _ in
            if case .object(let o as any OperandObject) = a[0], let r = try o.math(name, nil, selfFirst: true) { return r }
            return .double(f(try a[0].asDouble()))
        }
    }
    unary("sqrt", "The square root of x.") { $0.squareRoot() }
    unary("exp", "e raised to the power x.") { exp($0) }
    unary("log", "The natural logarithm of x.") { log($0) }
    unary("log2", "The base-2 logarithm of x.") { log2($0) }
    unary("log10", "The base-10 logarithm of x.", elementwise: false) { log10($0) }
    unary("sin", "The sine of x (radians).") { sin($0) }
    unary("cos", "The cosine of x (radians).") { cos($0) }
    unary("tan", "The tangent of x (radians).") { tan($0) }
    unary("tanh", "The hyperbolic tangent of x.") { tanh($0) }
    unary("floor", "x rounded down to a whole number.") { $0.rounded(.down) }
    unary("ceil", "x rounded up to a whole number.") { $0.rounded(.up) }
    unary("round", "x rounded to the nearest whole number (halves away from zero; on tensors halves to even, as NumPy).") { $0.rounded() }
    r.function("pow(_ x: Double, _ y: Double) -> Double", "x raised to the power y (element-wise when either is a tensor).") { a, _ in
        if case .object(let o as any OperandObject) = a[0], let r = try o.math("pow", a[1], selfFirst: true) { return r }
        if case .object(let o as any OperandObject) = a[1], let r = try o.math("pow", a[0], selfFirst: false) { return r }
        return .double(pow(try a[0].asDouble(), try a[1].asDouble()))
    }
}

func registerConstants(_ r: Registry) {
    r.constant("Int.max: Int", "The largest Int: 9223372036854775807.", .int(Int.max))
    r.constant("Int.min: Int", "The smallest Int: -9223372036854775808.", .int(Int.min))
    r.constant("Double.pi: Double", "π, 3.141592653589793.", .double(Double.pi))
    r.constant("Double.infinity: Double", "Positive infinity.", .double(Double.infinity))
    r.constant("Double.nan: Double", "Not a number.", .double(Double.nan))
    r.constant("Double.greatestFiniteMagnitude: Double", "The largest finite Double.", .double(Double.greatestFiniteMagnitude))
    r.constant("standardError: TextOutputStream", "The standard error stream, for print(..., to: &standardError).",
               .object(StreamToken(.stderr)))
}
