import Foundation

/// Text being tokenized: scalars plus, for each, the range of original-text scalars it came
/// from (so offsets survive normalisation, Chinese-character padding and byte mapping).
struct AlignedText {
    var scalars: [Unicode.Scalar] = []
    var starts: [Int] = []
    var ends: [Int] = []

    init() {}

    init(_ s: ArraySlice<Unicode.Scalar>) {
        scalars = Array(s)
        starts = Array(s.indices)
        ends = starts.map { $0 + 1 }
    }

    @inline(__always)
    mutating func append(_ u: Unicode.Scalar, _ start: Int, _ end: Int) {
        scalars.append(u); starts.append(start); ends.append(end)
    }

    var count: Int { scalars.count }
}

/// Text normalisers (the `normalizer` field of `tokenizer.json`).
enum Normalizer: Sendable, Equatable {
    case bert(cleanText: Bool, handleChineseChars: Bool, stripAccents: Bool?, lowercase: Bool)
    case lowercase
    case nfd
    case stripAccents
    indirect case sequence([Normalizer])

    func apply(_ t: AlignedText) -> AlignedText {
        switch self {
        case .bert(let clean, let chinese, let strip, let lower):
            var t = t
            if clean { t = Normalizer.cleanText(t) }
            if chinese { t = Normalizer.padChinese(t) }
            if strip ?? lower { t = Normalizer.stripAccentsNFD(t) }
            if lower { t = Normalizer.lowercased(t) }
            return t
        case .lowercase: return Normalizer.lowercased(t)
        case .nfd: return Normalizer.nfd(t, dropMarks: false)
        case .stripAccents: return Normalizer.dropNonspacingMarks(t)
        case .sequence(let list):
            var t = t
            for n in list { t = n.apply(t) }
            return t
        }
    }

    static func cleanText(_ t: AlignedText) -> AlignedText {
        var out = AlignedText()
        out.scalars.reserveCapacity(t.count); out.starts.reserveCapacity(t.count); out.ends.reserveCapacity(t.count)
        for i in 0..<t.count {
            let u = t.scalars[i]
            if u.value == 0 || u.value == 0xFFFD || BertChars.isControl(u) { continue }
            out.append(BertChars.isWhitespace(u) ? " " : u, t.starts[i], t.ends[i])
        }
        return out
    }

    static func padChinese(_ t: AlignedText) -> AlignedText {
        var out = AlignedText()
        for i in 0..<t.count {
            let u = t.scalars[i]
            if u.value >= 0x3400 && BertChars.isChinese(u) {
                out.append(" ", t.starts[i], t.ends[i])
                out.append(u, t.starts[i], t.ends[i])
                out.append(" ", t.starts[i], t.ends[i])
            } else {
                out.append(u, t.starts[i], t.ends[i])
            }
        }
        return out
    }

    /// Canonical decomposition of one scalar (Hangul included), via Foundation.
    static func decompose(_ u: Unicode.Scalar) -> [Unicode.Scalar] {
        var s = ""
        s.unicodeScalars.append(u)
        return Array(s.decomposedStringWithCanonicalMapping.unicodeScalars)
    }

    static func nfd(_ t: AlignedText, dropMarks: Bool) -> AlignedText {
        var out = AlignedText()
        var cache: [UInt32: [Unicode.Scalar]] = [:]
        var i = 0
        while i < t.count {
            let u = t.scalars[i]
            if u.value < 0xC0 {  // nothing below U+00C0 decomposes
                out.append(u, t.starts[i], t.ends[i]); i += 1; continue
            }
            let d: [Unicode.Scalar]
            if let c = cache[u.value] { d = c } else { d = decompose(u); cache[u.value] = d }
            for x in d {
                if dropMarks && x.properties.generalCategory == .nonspacingMark { continue }
                out.append(x, t.starts[i], t.ends[i])
            }
            i += 1
        }
        if !dropMarks { canonicalOrder(&out) }
        return out
    }

    /// Stable sort of runs of combining marks by canonical combining class (the NFD ordering step).
    static func canonicalOrder(_ t: inout AlignedText) {
        var i = 0
        while i < t.count {
            guard t.scalars[i].properties.canonicalCombiningClass.rawValue != 0 else { i += 1; continue }
            var e = i
            while e < t.count && t.scalars[e].properties.canonicalCombiningClass.rawValue != 0 { e += 1 }
            if e - i > 1 {
                let idx = (i..<e).sorted {
                    let a = t.scalars[$0].properties.canonicalCombiningClass.rawValue
                    let b = t.scalars[$1].properties.canonicalCombiningClass.rawValue
                    return a != b ? a < b : $0 < $1
                }
                let sc = idx.map { t.scalars[$0] }, st = idx.map { t.starts[$0] }, en = idx.map { t.ends[$0] }
                for (k, j) in (i..<e).enumerated() { t.scalars[j] = sc[k]; t.starts[j] = st[k]; t.ends[j] = en[k] }
            }
            i = e
        }
    }

    /// BERT's accent stripping: NFD, then drop category Mn.
    static func stripAccentsNFD(_ t: AlignedText) -> AlignedText { nfd(t, dropMarks: true) }

    static func dropNonspacingMarks(_ t: AlignedText) -> AlignedText {
        var out = AlignedText()
        for i in 0..<t.count where t.scalars[i].properties.generalCategory != .nonspacingMark {
            out.append(t.scalars[i], t.starts[i], t.ends[i])
        }
        return out
    }

    /// Context-free full Unicode lowercase mapping, scalar by scalar (like Rust's `to_lowercase`).
    static func lowercased(_ t: AlignedText) -> AlignedText {
        var out = AlignedText()
        out.scalars.reserveCapacity(t.count); out.starts.reserveCapacity(t.count); out.ends.reserveCapacity(t.count)
        for i in 0..<t.count {
            let u = t.scalars[i]
            if u.value < 0x80 {
                out.append(u.value >= 0x41 && u.value <= 0x5A ? Unicode.Scalar(u.value + 32) ?? u : u, t.starts[i], t.ends[i])
                continue
            }
            let props = u.properties
            if !props.changesWhenLowercased { out.append(u, t.starts[i], t.ends[i]); continue }
            for x in props.lowercaseMapping.unicodeScalars { out.append(x, t.starts[i], t.ends[i]) }
        }
        return out
    }
}

/// Pre-tokenizers (the `pre_tokenizer` field of `tokenizer.json`).
enum PreTokenizer: Sendable, Equatable {
    /// Split on whitespace (dropped) and isolate each punctuation character.
    case bert
    /// GPT-2 byte level: optional prefix space, optional GPT-2 split, then bytes → printable chars.
    case byteLevel(addPrefixSpace: Bool, useRegex: Bool)
    /// Split on whitespace only.
    case whitespaceSplit
    indirect case sequence([PreTokenizer])

    /// Splits `t` into words (ranges of the returned text). Byte-level rewrites the text.
    func apply(_ t: AlignedText, words: [Range<Int>]) -> (AlignedText, [Range<Int>]) {
        switch self {
        case .bert, .whitespaceSplit:
            let isolatePunct = self == .bert
            var out: [Range<Int>] = []
            for w in words {
                var start = w.lowerBound
                var i = w.lowerBound
                while i < w.upperBound {
                    let u = t.scalars[i]
                    if BertChars.isWhitespace(u) {
                        if i > start { out.append(start..<i) }
                        start = i + 1
                    } else if isolatePunct && BertChars.isPunctuation(u) {
                        if i > start { out.append(start..<i) }
                        out.append(i..<(i + 1))
                        start = i + 1
                    }
                    i += 1
                }
                if w.upperBound > start { out.append(start..<w.upperBound) }
            }
            return (t, out)
        case .byteLevel(let prefix, let useRegex):
            var src = t
            var words = words
            if prefix, let first = src.scalars.first, first != " " {
                src.scalars.insert(" ", at: 0); src.starts.insert(src.starts[0], at: 0); src.ends.insert(src.starts[0], at: 0)
                words = words.map { ($0.lowerBound == 0 ? 0 : $0.lowerBound + 1)..<($0.upperBound + 1) }
            }
            var pieces: [Range<Int>] = []
            if useRegex {
                for w in words {
                    for r in GPT2Split.split(Array(src.scalars[w])) { pieces.append((r.lowerBound + w.lowerBound)..<(r.upperBound + w.lowerBound)) }
                }
            } else {
                pieces = words
            }
            var out = AlignedText()
            var outWords: [Range<Int>] = []
            let table = ByteLevelTable.byteToScalar
            for p in pieces {
                let s = out.count
                for i in p {
                    let u = src.scalars[i]
                    if u.value < 0x80 {
                        out.append(table[Int(u.value)], src.starts[i], src.ends[i])
                    } else {
                        for b in String(Character(u)).utf8 { out.append(table[Int(b)], src.starts[i], src.ends[i]) }
                    }
                }
                if out.count > s { outWords.append(s..<out.count) }
            }
            return (out, outWords)
        case .sequence(let list):
            var t = t, w = words
            for p in list { (t, w) = p.apply(t, words: w) }
            return (t, w)
        }
    }
}

/// One element of a `TemplateProcessing` template.
enum TemplatePiece: Sendable, Equatable {
    case special(String, typeId: Int)
    case sequenceA(typeId: Int)
    case sequenceB(typeId: Int)
}

/// Post-processors (the `post_processor` field): add special tokens around a sequence.
enum PostProcessor: Sendable, Equatable {
    /// `single` template; `specials` maps a template token name to its ids.
    case template(single: [TemplatePiece], pair: [TemplatePiece], specials: [String: (ids: [Int], tokens: [String])])
    case bert(cls: (String, Int), sep: (String, Int))
    case roberta(cls: (String, Int), sep: (String, Int), trimOffsets: Bool, addPrefixSpace: Bool)
    case byteLevel(trimOffsets: Bool)
    indirect case sequence([PostProcessor])

    static func == (a: PostProcessor, b: PostProcessor) -> Bool {
        switch (a, b) {
        case (.template(let s1, let p1, let d1), .template(let s2, let p2, let d2)):
            return s1 == s2 && p1 == p2 && d1.count == d2.count
                && d1.allSatisfy { k, v in d2[k].map { $0.ids == v.ids && $0.tokens == v.tokens } ?? false }
        case (.bert(let c1, let s1), .bert(let c2, let s2)): return c1 == c2 && s1 == s2
        case (.roberta(let c1, let s1, let t1, let a1), .roberta(let c2, let s2, let t2, let a2)):
            return c1 == c2 && s1 == s2 && t1 == t2 && a1 == a2
        case (.byteLevel(let x), .byteLevel(let y)): return x == y
        case (.sequence(let x), .sequence(let y)): return x == y
        default: return false
        }
    }

    /// Number of special tokens added to a single sequence.
    var addedCount: Int {
        switch self {
        case .template(let single, _, let specials):
            return single.reduce(0) { n, p in
                if case .special(let name, _) = p { return n + (specials[name]?.ids.count ?? 0) }
                return n
            }
        case .bert, .roberta: return 2
        case .byteLevel: return 0
        case .sequence(let l): return l.reduce(0) { $0 + $1.addedCount }
        }
    }

    func process(_ e: Encoding) -> Encoding {
        switch self {
        case .template(let single, _, let specials):
            var out = Encoding()
            for p in single {
                switch p {
                case .special(let name, let type):
                    guard let sp = specials[name] else { continue }
                    for (id, tok) in zip(sp.ids, sp.tokens) { out.appendSpecial(id, tok, typeId: type) }
                case .sequenceA(let type), .sequenceB(let type):
                    out.append(e, typeId: type)
                }
            }
            return out
        case .bert(let cls, let sep), .roberta(let cls, let sep, _, _):
            var out = Encoding()
            out.appendSpecial(cls.1, cls.0, typeId: 0)
            out.append(e, typeId: 0)
            out.appendSpecial(sep.1, sep.0, typeId: 0)
            return out
        case .byteLevel: return e
        case .sequence(let l):
            var e = e
            for p in l { e = p.process(e) }
            return e
        }
    }
}

/// Decoders (the `decoder` field): tokens back to text.
enum Decoder: Sendable, Equatable {
    case wordPiece(prefix: String, cleanup: Bool)
    case byteLevel

    func decode(_ tokens: [String]) -> String {
        switch self {
        case .wordPiece(let prefix, let cleanup):
            var out = ""
            for (i, tok) in tokens.enumerated() {
                var t: String
                if i != 0 {
                    if !prefix.isEmpty && tok.unicodeScalars.starts(with: prefix.unicodeScalars) {
                        t = ""
                        t.unicodeScalars.append(contentsOf: tok.unicodeScalars.dropFirst(prefix.unicodeScalars.count))
                    } else { t = " " + tok }
                } else { t = tok }
                if cleanup { t = Decoder.cleanup(t) }
                out += t
            }
            return out
        case .byteLevel:
            var bytes: [UInt8] = []
            for tok in tokens {
                var tb: [UInt8] = []
                var ok = true
                for u in tok.unicodeScalars {
                    guard let b = ByteLevelTable.byte(for: u) else { ok = false; break }
                    tb.append(b)
                }
                bytes.append(contentsOf: ok ? tb : Array(tok.utf8))
            }
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    /// The WordPiece decoder's clean-up of tokenisation spaces (applied to each token),
    /// on Unicode scalars (so a combining mark after a space cannot hide a match).
    static func cleanup(_ s: String) -> String {
        guard s.contains(" ") else { return s }
        var u = Array(s.unicodeScalars)
        for (from, to) in cleanupRules { u = replaceScalars(u, Array(from.unicodeScalars), Array(to.unicodeScalars)) }
        var out = ""
        out.unicodeScalars.append(contentsOf: u)
        return out
    }

    static let cleanupRules: [(String, String)] = [
        (" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"), (" 'm", "'m"),
        (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re"),
    ]

    static func replaceScalars(_ s: [Unicode.Scalar], _ from: [Unicode.Scalar], _ to: [Unicode.Scalar]) -> [Unicode.Scalar] {
        guard s.count >= from.count else { return s }
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(s.count)
        var i = 0
        while i < s.count {
            if i + from.count <= s.count && s[i..<(i + from.count)].elementsEqual(from) {
                out += to; i += from.count
            } else { out.append(s[i]); i += 1 }
        }
        return out
    }
}
