/// A chunk tagging scheme, as in seqeval's `seqeval.scheme` (used by strict mode).
///
/// ```swift
/// try seqevalReport(trueTags: [["B-PER", "E-PER"]], predTags: [["S-PER", "O"]],
///                   scheme: .iobes, mode: .strict)
/// ```
public enum TagScheme: Sendable, Hashable, CustomStringConvertible {
    case iob1, iob2, ioe1, ioe2, iobes, bilou

    /// The seqeval class name.
    ///
    /// ```swift
    /// TagScheme.iob2.description  // "IOB2"
    /// ```
    public var description: String {
        switch self {
        case .iob1: return "IOB1"
        case .iob2: return "IOB2"
        case .ioe1: return "IOE1"
        case .ioe2: return "IOE2"
        case .iobes: return "IOBES"
        case .bilou: return "BILOU"
        }
    }

    var allowedPrefixNames: String {
        TagPrefix.all.filter { allowed & $0.bit != 0 }.map(\.name).joined(separator: "|")
    }

    var allowed: UInt8 {
        switch self {
        case .iob1, .iob2: return TagPrefix.i | TagPrefix.o | TagPrefix.b
        case .ioe1, .ioe2: return TagPrefix.i | TagPrefix.o | TagPrefix.e
        case .iobes: return TagPrefix.i | TagPrefix.o | TagPrefix.b | TagPrefix.e | TagPrefix.s
        case .bilou: return TagPrefix.b | TagPrefix.i | TagPrefix.l | TagPrefix.o | TagPrefix.u
        }
    }

    typealias Pattern = (prev: UInt8, current: UInt8, condition: TagCondition)

    var startPatterns: [Pattern] {
        let (i, o, b, e, s, u) = (TagPrefix.i, TagPrefix.o, TagPrefix.b, TagPrefix.e, TagPrefix.s, TagPrefix.u)
        switch self {
        case .iob1: return [(o, i, .any), (i, i, .diff), (b, i, .any), (i, b, .same), (b, b, .same)]
        case .ioe1: return [(o, i, .any), (i, i, .diff), (e, i, .any), (e, e, .same)]
        case .iob2: return [(TagPrefix.any, b, .any)]
        case .ioe2: return [(o, i, .any), (o, e, .any), (e, i, .any), (e, e, .any), (i, i, .diff), (i, e, .diff)]
        case .iobes: return [(TagPrefix.any, b, .any), (TagPrefix.any, s, .any)]
        case .bilou: return [(TagPrefix.any, b, .any), (TagPrefix.any, u, .any)]
        }
    }

    var insidePatterns: [Pattern] {
        let (i, b, e, l) = (TagPrefix.i, TagPrefix.b, TagPrefix.e, TagPrefix.l)
        switch self {
        case .iob1, .iob2: return [(b, i, .same), (i, i, .same)]
        case .ioe1, .ioe2: return [(i, i, .same), (i, e, .same)]
        case .iobes: return [(b, i, .same), (b, e, .same), (i, i, .same), (i, e, .same)]
        case .bilou: return [(b, i, .same), (b, l, .same), (i, i, .same), (i, l, .same)]
        }
    }

    var endPatterns: [Pattern] {
        let (i, o, b, e, s, l, u) = (TagPrefix.i, TagPrefix.o, TagPrefix.b, TagPrefix.e, TagPrefix.s, TagPrefix.l, TagPrefix.u)
        switch self {
        case .iob1: return [(i, i, .diff), (i, o, .any), (i, b, .any), (b, o, .any), (b, i, .diff), (b, b, .same)]
        case .ioe1: return [(i, i, .diff), (i, o, .any), (i, e, .diff), (e, i, .same), (e, e, .same)]
        case .iob2: return [(i, o, .any), (i, i, .diff), (i, b, .any), (b, o, .any), (b, i, .diff), (b, b, .any)]
        case .ioe2: return [(e, TagPrefix.any, .any)]
        case .iobes: return [(s, TagPrefix.any, .any), (e, TagPrefix.any, .any)]
        case .bilou: return [(u, TagPrefix.any, .any), (l, TagPrefix.any, .any)]
        }
    }

    /// seqeval's `auto_detect`, from the set of prefixes seen in the truth tags.
    static func detect(prefixes: UInt8) -> TagScheme? {
        let (i, o, b, e, s, l, u) = (TagPrefix.i, TagPrefix.o, TagPrefix.b, TagPrefix.e, TagPrefix.s, TagPrefix.l, TagPrefix.u)
        let iob2: [UInt8] = [i | o | b, i | b, b | o, b]
        let ioe2: [UInt8] = [i | o | e, i | e, e | o, e]
        let iobes: [UInt8] = [i | o | b | e | s, i | b | e | s, i | o | b | e, o | b | e | s, i | b | e, b | e | s, o | b | e, b | e, s]
        let bilou: [UInt8] = [i | o | b | l | u, i | b | l | u, i | o | b | l, o | b | l | u, i | b | l, b | l | u, o | b | l, b | l, u]
        if iob2.contains(prefixes) { return .iob2 }
        if ioe2.contains(prefixes) { return .ioe2 }
        if iobes.contains(prefixes) { return .iobes }
        if bilou.contains(prefixes) { return .bilou }
        return nil
    }
}

enum TagCondition { case same, diff, any }

/// seqeval's `Prefix` flags as bits.
enum TagPrefix {
    static let i: UInt8 = 1, o: UInt8 = 2, b: UInt8 = 4, e: UInt8 = 8, s: UInt8 = 16, u: UInt8 = 32, l: UInt8 = 64
    static let any: UInt8 = 127
    static let all: [(name: String, bit: UInt8)] = [("I", i), ("O", o), ("B", b), ("E", e), ("S", s), ("U", u), ("L", l)]

    static func bit(for scalar: Unicode.Scalar) -> UInt8? {
        switch scalar {
        case "I": return i
        case "O": return o
        case "B": return b
        case "E": return e
        case "S": return s
        case "U": return u
        case "L": return l
        default: return nil
        }
    }
}
