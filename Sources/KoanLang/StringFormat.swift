#if canImport(Glibc)
import Glibc
#endif
import KoanMarkup

/// `String(format: "%.3f", x)` as Foundation formats it (printf conversions), with the
/// arguments checked: `%d` takes an Int, `%f %e %g` a number, `%s %@` anything (its text).
///
///     try StringFormat.format("%5.2f|%-4d|%s", [.double(3.14159), .int(7), .string("ok")])   // " 3.14|7   |ok"
enum StringFormat {
    static func format(_ template: String, _ args: [Value]) throws -> String {
        var out = ""
        var chars = Array(template)[...]
        var next = 0
        while let c = chars.popFirst() {
            guard c == "%" else { out.append(c); continue }
            if chars.first == "%" { chars.removeFirst(); out.append("%"); continue }
            var flags = ""
            while let f = chars.first, "-+ 0#".contains(f) { flags.append(f); chars.removeFirst() }
            var width = ""
            while let d = chars.first, d.isASCII, d.isNumber { width.append(d); chars.removeFirst() }
            var precision: String?
            if chars.first == "." {
                chars.removeFirst()
                var p = ""
                while let d = chars.first, d.isASCII, d.isNumber { p.append(d); chars.removeFirst() }
                precision = p
            }
            // Length modifiers are accepted and ignored: every Int is 64-bit.
            while let l = chars.first, "hlqLzjt".contains(l) { chars.removeFirst() }
            guard let conversion = chars.popFirst() else { throw Fault(.value, "String(format:): the format ends inside a '%' conversion") }
            guard (Int(width) ?? 0) <= 1000, (Int(precision ?? "") ?? 0) <= 1000 else {
                throw Fault(.value, "String(format:): width and precision must be at most 1000")
            }
            guard next < args.count else {
                throw Fault(.value, "String(format:): the format has more conversions than the \(args.count) argument\(args.count == 1 ? "" : "s") given")
            }
            let arg = args[next]
            next += 1
            let spec = "%" + flags + width + (precision.map { "." + $0 } ?? "")
            switch conversion {
            case "d", "i", "u", "x", "X", "o":
                guard case .int(let i) = arg else {
                    throw Fault(.type, "String(format:): %\(conversion) needs an Int, got a value of type '\(arg.typeName)'")
                }
                out += cFormat(spec + "l" + String(conversion), i)
            case "f", "F", "e", "E", "g", "G", "a", "A":
                let x: Double
                switch arg {
                case .double(let d): x = d
                case .int(let i): x = Double(i)
                default: throw Fault(.type, "String(format:): %\(conversion) needs a number, got a value of type '\(arg.typeName)'")
                }
                out += cFormat(spec + String(conversion), x)
            case "s", "@":
                var text: String
                if case .string(let s) = arg { text = s } else { text = arg.description }
                if let p = precision, let n = Int(p) { text = String(text.prefix(n)) }
                let pad = max(0, (Int(width) ?? 0) - text.count)
                out += flags.contains("-") ? text + String(repeating: " ", count: pad) : String(repeating: " ", count: pad) + text
            default:
                throw Fault(.value, "String(format:): unsupported conversion '%\(conversion)'")
            }
        }
        if next < args.count {
            throw Fault(.value, "String(format:): \(args.count) arguments given but the format uses \(next)")
        }
        return out
    }

    /// One conversion through the C library's vsnprintf.
    private static func cFormat(_ spec: String, _ arg: any CVarArg) -> String {
        var buffer = [CChar](repeating: 0, count: 2100)
        let n = withVaList([arg]) { vsnprintf(&buffer, buffer.count, spec, $0) }
        guard n >= 0 else { return "" }
        return String(decoding: buffer.prefix(min(Int(n), buffer.count - 1)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

func registerFormatting(_ r: Registry) {
    r.function("String(format: String, _ arguments: Any...) -> String",
               "Formats numbers and text with printf conversions, as Foundation's String(format:): %d %5.2f %.3e %g %x %s %@ %%.") { a, _ in
        .string(try StringFormat.format(try a[0].asString(), try a[1].elements()))
    }
    r.member([.double, .int], "formatted(digits: Int) -> String",
             "The number with exactly this many digits after the point, correctly rounded (3.14159.formatted(digits: 2) is \"3.14\").",
             .method { v, a, _ in
        let digits = try a[0].asInt()
        guard (0...100).contains(digits) else { throw Fault(.value, "digits must be between 0 and 100, got \(digits)") }
        let x: Double
        switch v {
        case .double(let d): x = d
        case .int(let i): x = Double(i)
        default: throw Fault(.type, noMember(v, "formatted"))
        }
        return .string(PyFormat.fixed(x, digits: digits))
    })
}
