import Foundation

/// Character classes used by BERT's normalizer and pre-tokenizer, with the same definitions
/// as Hugging Face `tokenizers` (which follow Google's original BERT code).
enum BertChars {
    /// Whitespace: tab, newline, carriage return, plus Unicode White_Space.
    @inline(__always)
    static func isWhitespace(_ u: Unicode.Scalar) -> Bool {
        let v = u.value
        if v < 0x80 { return v == 0x20 || (v >= 0x09 && v <= 0x0D) }
        return u.properties.isWhitespace
    }

    /// Control: any "Other" category (Cc, Cf, Cs, Co, Cn) except tab, newline, carriage return.
    @inline(__always)
    static func isControl(_ u: Unicode.Scalar) -> Bool {
        let v = u.value
        if v == 0x09 || v == 0x0A || v == 0x0D { return false }
        if v >= 0x20 && v < 0x7F { return false }
        switch u.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned: return true
        default: return false
        }
    }

    /// Punctuation: every non-alphanumeric printable ASCII character (33–47, 58–64, 91–96,
    /// 123–126, so `$ + < = > ^ \` |` and `~` count) plus Unicode categories P*.
    @inline(__always)
    static func isPunctuation(_ u: Unicode.Scalar) -> Bool {
        let v = u.value
        if v < 0x80 {
            return (v >= 33 && v <= 47) || (v >= 58 && v <= 64) || (v >= 91 && v <= 96) || (v >= 123 && v <= 126)
        }
        switch u.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation: return true
        default: return false
        }
    }

    /// CJK ideographs that BERT surrounds with spaces (the ranges used by `tokenizers`).
    @inline(__always)
    static func isChinese(_ u: Unicode.Scalar) -> Bool {
        switch u.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F,
             0x2B740...0x2B81F, 0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F: return true
        default: return false
        }
    }
}

/// GPT-2's reversible byte ↔ printable-character table: the 188 printable Latin-1 bytes map
/// to themselves, the other 68 to U+0100 onwards in byte order.
enum ByteLevelTable {
    static let byteToScalar: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        var next: UInt32 = 256
        for b in 0..<256 {
            let printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF)
            if printable { table[b] = Unicode.Scalar(UInt8(b)) } else {
                table[b] = Unicode.Scalar(next) ?? " "
                next += 1
            }
        }
        return table
    }()

    /// Inverse of `byteToScalar`, indexed by scalar value (all < 0x144); -1 where unmapped.
    static let scalarToByte: [Int16] = {
        var inv = [Int16](repeating: -1, count: 0x144)
        for (b, s) in byteToScalar.enumerated() { inv[Int(s.value)] = Int16(b) }
        return inv
    }()

    @inline(__always)
    static func byte(for u: Unicode.Scalar) -> UInt8? {
        let v = Int(u.value)
        guard v < scalarToByte.count, scalarToByte[v] >= 0 else { return nil }
        return UInt8(scalarToByte[v])
    }
}

/// The GPT-2 pre-tokenisation split, written without a regex. It reproduces
/// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
/// and returns the half-open index ranges of the pieces of `s`.
enum GPT2Split {
    enum Kind: UInt8 { case letter, number, space, other }

    @inline(__always)
    static func kind(_ u: Unicode.Scalar) -> Kind {
        let v = u.value
        if v < 0x80 {
            if (v >= 0x41 && v <= 0x5A) || (v >= 0x61 && v <= 0x7A) { return .letter }
            if v >= 0x30 && v <= 0x39 { return .number }
            if v == 0x20 || (v >= 0x09 && v <= 0x0D) { return .space }
            return .other
        }
        if u.properties.isWhitespace { return .space }
        switch u.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return .letter
        case .decimalNumber, .letterNumber, .otherNumber: return .number
        default: return .other
        }
    }

    static func split(_ s: [Unicode.Scalar]) -> [Range<Int>] {
        let n = s.count
        var kinds = [Kind](repeating: .other, count: n)
        for i in 0..<n { kinds[i] = kind(s[i]) }
        var out: [Range<Int>] = []
        var i = 0
        while i < n {
            // Contractions.
            if s[i] == "'" && i + 1 < n {
                let c1 = s[i + 1]
                if c1 == "s" || c1 == "t" || c1 == "m" || c1 == "d" { out.append(i..<(i + 2)); i += 2; continue }
                if i + 2 < n {
                    let c2 = s[i + 2]
                    if (c1 == "r" && c2 == "e") || (c1 == "v" && c2 == "e") || (c1 == "l" && c2 == "l") {
                        out.append(i..<(i + 3)); i += 3; continue
                    }
                }
            }
            // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`
            var j = i
            if s[i] == " " && i + 1 < n && kinds[i + 1] != .space { j = i + 1 }
            let k = kinds[j]
            if k != .space {
                var e = j + 1
                while e < n && kinds[e] == k { e += 1 }
                out.append(i..<e); i = e; continue
            }
            // `\s+(?!\S)` then `\s+`.
            var e = i + 1
            while e < n && kinds[e] == .space { e += 1 }
            if e < n && e - i > 1 { e -= 1 }
            out.append(i..<e); i = e
        }
        return out
    }
}
