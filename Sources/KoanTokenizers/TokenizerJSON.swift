import Foundation
import KoanJSON

/// Typed access to a parsed `tokenizer.json`, with errors naming the file and field.
struct JSONReader {
    let path: String

    func req(_ v: JSONValue, _ key: String, _ field: String) throws(TokenizerError) -> JSONValue {
        guard let x = v[key] else { throw .missingField(path: path, field: field.isEmpty ? key : "\(field).\(key)") }
        return x
    }
    func string(_ v: JSONValue, _ field: String) throws(TokenizerError) -> String {
        guard let s = v.string else { throw .wrongType(path: path, field: field, expected: "a string", found: v.kind) }
        return s
    }
    func int(_ v: JSONValue, _ field: String) throws(TokenizerError) -> Int {
        guard let i = v.int else { throw .wrongType(path: path, field: field, expected: "an integer", found: v.kind) }
        return i
    }
    func bool(_ v: JSONValue?, _ field: String, default d: Bool) throws(TokenizerError) -> Bool {
        guard let v, !v.isNull else { return d }
        guard let b = v.bool else { throw .wrongType(path: path, field: field, expected: "a boolean", found: v.kind) }
        return b
    }
    func array(_ v: JSONValue, _ field: String) throws(TokenizerError) -> [JSONValue] {
        guard let a = v.array else { throw .wrongType(path: path, field: field, expected: "an array", found: v.kind) }
        return a
    }
    func object(_ v: JSONValue, _ field: String) throws(TokenizerError) -> [(String, JSONValue)] {
        guard let o = v.object else { throw .wrongType(path: path, field: field, expected: "an object", found: v.kind) }
        return o
    }
    func type(_ v: JSONValue, _ field: String) throws(TokenizerError) -> String {
        try string(try req(v, "type", field), field + ".type")
    }
}

extension Tokenizer {
    /// Loads a Hugging Face `tokenizer.json`. Supported: models WordPiece and BPE;
    /// normalizers BertNormalizer, Lowercase, NFD, StripAccents, Sequence; pre-tokenizers
    /// BertPreTokenizer, ByteLevel, WhitespaceSplit, Sequence; post-processors
    /// TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevel, Sequence; decoders
    /// WordPiece and ByteLevel; `padding` and `truncation`. Anything else throws
    /// `TokenizerError.unsupported` naming the file and field.
    ///
    ///     let tok = try Tokenizer.load("all-MiniLM-L6-v2/tokenizer.json")
    ///     tok.padding?.strategy   // .fixed(128)
    public static func load(_ path: String) throws -> Tokenizer {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw TokenizerError.cannotOpen(path: path, reason: (error as NSError).localizedDescription)
        }
        let root: JSONValue
        // Lone \u surrogates become U+FFFD, as the loader always did.
        do { root = try JSONValue(parsing: data, loneSurrogates: .replace) } catch {
            throw TokenizerError.invalidJSON(path: path, reason: error.description)
        }
        return try fromJSON(root, path: path)
    }

    static func fromJSON(_ root: JSONValue, path: String) throws(TokenizerError) -> Tokenizer {
        let r = JSONReader(path: path)
        guard root.object != nil else { throw .wrongType(path: path, field: "(root)", expected: "an object", found: root.kind) }

        // Added tokens.
        var added: [AddedToken] = []
        if let a = root["added_tokens"], !a.isNull {
            for (k, t) in try r.array(a, "added_tokens").enumerated() {
                let f = "added_tokens[\(k)]"
                added.append(AddedToken(id: try r.int(try r.req(t, "id", f), f + ".id"),
                                        content: try r.string(try r.req(t, "content", f), f + ".content"),
                                        special: try r.bool(t["special"], f + ".special", default: false)))
            }
        }

        // Model.
        let m = try r.req(root, "model", "")
        let mtype = try r.type(m, "model")
        let vocabObj = try r.object(try r.req(m, "vocab", "model"), "model.vocab")
        var vocab = [String](repeating: "", count: vocabObj.count)
        var seen = [Bool](repeating: false, count: vocabObj.count)
        for (tok, v) in vocabObj {
            let id = try r.int(v, "model.vocab[\"\(tok)\"]")
            guard id >= 0, id < vocab.count, !seen[id] else {
                throw .invalidValue(path: path, field: "model.vocab", reason: "ids must be 0..<\(vocab.count) without repeats; '\(tok)' has \(id)")
            }
            vocab[id] = tok; seen[id] = true
        }
        let model: Model
        switch mtype {
        case "WordPiece":
            let unk = try r.string(try r.req(m, "unk_token", "model"), "model.unk_token")
            let prefix = try m["continuing_subword_prefix"].map { v throws(TokenizerError) in try r.string(v, "model.continuing_subword_prefix") } ?? "##"
            let maxc = try m["max_input_chars_per_word"].map { v throws(TokenizerError) in try r.int(v, "model.max_input_chars_per_word") } ?? 100
            model = .wordPiece(WordPieceModel(vocab: vocab, unkToken: unk, prefix: prefix, maxInputCharsPerWord: maxc))
        case "BPE":
            for key in ["dropout", "continuing_subword_prefix", "end_of_word_suffix"] {
                if let v = m[key], !v.isNull, !(v.string == "") {
                    throw .unsupported(path: path, field: "model.\(key)", value: "\(v.string ?? v.kind)", supported: ["null"])
                }
            }
            for key in ["byte_fallback", "fuse_unk"] where try r.bool(m[key], "model.\(key)", default: false) {
                throw .unsupported(path: path, field: "model.\(key)", value: "true", supported: ["false"])
            }
            let unk = try m["unk_token"].flatMap { v throws(TokenizerError) in v.isNull ? nil : try r.string(v, "model.unk_token") }
            var ids: [TokenKey: Int] = [:]
            for (i, t) in vocab.enumerated() where ids[tokenKey(t)] == nil { ids[tokenKey(t)] = i }
            var merges: [(Int, Int)] = []
            let mlist = try r.array(try r.req(m, "merges", "model"), "model.merges")
            for (k, item) in mlist.enumerated() {
                let f = "model.merges[\(k)]"
                var a: String, b: String
                if let s = item.string {
                    let parts = s.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
                    guard parts.count == 2 else { throw .invalidValue(path: path, field: f, reason: "'\(s)' is not two tokens separated by a space") }
                    a = String(parts[0]); b = String(parts[1])
                } else if let p = item.array, p.count == 2, let x = p[0].string, let y = p[1].string {
                    a = x; b = y
                } else { throw .wrongType(path: path, field: f, expected: "\"a b\" or [\"a\", \"b\"]", found: item.kind) }
                guard let ia = ids[tokenKey(a)], let ib = ids[tokenKey(b)] else {
                    throw .invalidValue(path: path, field: f, reason: "token '\(ids[tokenKey(a)] == nil ? a : b)' is not in model.vocab")
                }
                merges.append((ia, ib))
            }
            do {
                model = .bpe(try BPEModel(vocab: vocab, merges: merges, unkToken: unk,
                                          ignoreMerges: try r.bool(m["ignore_merges"], "model.ignore_merges", default: false)))
            } catch {
                throw .invalidValue(path: path, field: "model.merges", reason: error.description)
            }
        default:
            throw .unsupported(path: path, field: "model.type", value: mtype, supported: ["WordPiece", "BPE"])
        }

        func normalizer(_ v: JSONValue, _ f: String) throws(TokenizerError) -> Normalizer {
            let t = try r.type(v, f)
            switch t {
            case "BertNormalizer":
                let strip: Bool? = try v["strip_accents"].flatMap { x throws(TokenizerError) in x.isNull ? nil : try r.bool(x, f + ".strip_accents", default: false) }
                return .bert(cleanText: try r.bool(v["clean_text"], f + ".clean_text", default: true),
                             handleChineseChars: try r.bool(v["handle_chinese_chars"], f + ".handle_chinese_chars", default: true),
                             stripAccents: strip, lowercase: try r.bool(v["lowercase"], f + ".lowercase", default: true))
            case "Lowercase": return .lowercase
            case "NFD": return .nfd
            case "StripAccents": return .stripAccents
            case "Sequence":
                var list: [Normalizer] = []
                for (k, x) in try r.array(try r.req(v, "normalizers", f), f + ".normalizers").enumerated() {
                    list.append(try normalizer(x, f + ".normalizers[\(k)]"))
                }
                return .sequence(list)
            default:
                throw .unsupported(path: path, field: f + ".type", value: t, supported: ["BertNormalizer", "Lowercase", "NFD", "StripAccents", "Sequence"])
            }
        }
        func preTokenizer(_ v: JSONValue, _ f: String) throws(TokenizerError) -> PreTokenizer {
            let t = try r.type(v, f)
            switch t {
            case "BertPreTokenizer": return .bert
            case "WhitespaceSplit": return .whitespaceSplit
            case "ByteLevel":
                return .byteLevel(addPrefixSpace: try r.bool(v["add_prefix_space"], f + ".add_prefix_space", default: true),
                                  useRegex: try r.bool(v["use_regex"], f + ".use_regex", default: true))
            case "Sequence":
                var list: [PreTokenizer] = []
                for (k, x) in try r.array(try r.req(v, "pretokenizers", f), f + ".pretokenizers").enumerated() {
                    list.append(try preTokenizer(x, f + ".pretokenizers[\(k)]"))
                }
                return .sequence(list)
            default:
                throw .unsupported(path: path, field: f + ".type", value: t, supported: ["BertPreTokenizer", "ByteLevel", "WhitespaceSplit", "Sequence"])
            }
        }
        func pairToken(_ v: JSONValue, _ f: String) throws(TokenizerError) -> (String, Int) {
            let a = try r.array(v, f)
            guard a.count == 2 else { throw .wrongType(path: path, field: f, expected: "[token, id]", found: "\(a.count) items") }
            return (try r.string(a[0], f + "[0]"), try r.int(a[1], f + "[1]"))
        }
        func template(_ v: JSONValue, _ f: String) throws(TokenizerError) -> [TemplatePiece] {
            var out: [TemplatePiece] = []
            for (k, x) in try r.array(v, f).enumerated() {
                let g = "\(f)[\(k)]"
                if let s = x["SpecialToken"] {
                    out.append(.special(try r.string(try r.req(s, "id", g + ".SpecialToken"), g + ".SpecialToken.id"),
                                        typeId: try r.int(try r.req(s, "type_id", g + ".SpecialToken"), g + ".SpecialToken.type_id")))
                } else if let s = x["Sequence"] {
                    let id = try r.string(try r.req(s, "id", g + ".Sequence"), g + ".Sequence.id")
                    let type = try r.int(try r.req(s, "type_id", g + ".Sequence"), g + ".Sequence.type_id")
                    out.append(id == "B" ? .sequenceB(typeId: type) : .sequenceA(typeId: type))
                } else {
                    throw .unsupported(path: path, field: g, value: x.kind, supported: ["SpecialToken", "Sequence"])
                }
            }
            return out
        }
        func postProcessor(_ v: JSONValue, _ f: String) throws(TokenizerError) -> PostProcessor {
            let t = try r.type(v, f)
            switch t {
            case "TemplateProcessing":
                var specials: [String: (ids: [Int], tokens: [String])] = [:]
                if let sp = v["special_tokens"], !sp.isNull {
                    for (name, s) in try r.object(sp, f + ".special_tokens") {
                        let g = "\(f).special_tokens[\"\(name)\"]"
                        let ids = try r.array(try r.req(s, "ids", g), g + ".ids").enumerated().map { k, x throws(TokenizerError) in try r.int(x, "\(g).ids[\(k)]") }
                        let toks = try r.array(try r.req(s, "tokens", g), g + ".tokens").enumerated().map { k, x throws(TokenizerError) in try r.string(x, "\(g).tokens[\(k)]") }
                        specials[name] = (ids, toks)
                    }
                }
                let single = try template(try r.req(v, "single", f), f + ".single")
                let pair = try v["pair"].map { x throws(TokenizerError) in try template(x, f + ".pair") } ?? []
                return .template(single: single, pair: pair, specials: specials)
            case "BertProcessing":
                return .bert(cls: try pairToken(try r.req(v, "cls", f), f + ".cls"), sep: try pairToken(try r.req(v, "sep", f), f + ".sep"))
            case "RobertaProcessing":
                return .roberta(cls: try pairToken(try r.req(v, "cls", f), f + ".cls"), sep: try pairToken(try r.req(v, "sep", f), f + ".sep"),
                                trimOffsets: try r.bool(v["trim_offsets"], f + ".trim_offsets", default: true),
                                addPrefixSpace: try r.bool(v["add_prefix_space"], f + ".add_prefix_space", default: true))
            case "ByteLevel":
                return .byteLevel(trimOffsets: try r.bool(v["trim_offsets"], f + ".trim_offsets", default: true))
            case "Sequence":
                var list: [PostProcessor] = []
                for (k, x) in try r.array(try r.req(v, "processors", f), f + ".processors").enumerated() {
                    list.append(try postProcessor(x, f + ".processors[\(k)]"))
                }
                return .sequence(list)
            default:
                throw .unsupported(path: path, field: f + ".type", value: t,
                                   supported: ["TemplateProcessing", "BertProcessing", "RobertaProcessing", "ByteLevel", "Sequence"])
            }
        }
        func decoder(_ v: JSONValue, _ f: String) throws(TokenizerError) -> Decoder {
            let t = try r.type(v, f)
            switch t {
            case "WordPiece":
                return .wordPiece(prefix: try v["prefix"].map { x throws(TokenizerError) in try r.string(x, f + ".prefix") } ?? "##",
                                  cleanup: try r.bool(v["cleanup"], f + ".cleanup", default: true))
            case "ByteLevel": return .byteLevel
            default: throw .unsupported(path: path, field: f + ".type", value: t, supported: ["WordPiece", "ByteLevel"])
            }
        }

        let norm = try root["normalizer"].flatMap { v throws(TokenizerError) in v.isNull ? nil : try normalizer(v, "normalizer") }
        let pre = try root["pre_tokenizer"].flatMap { v throws(TokenizerError) in v.isNull ? nil : try preTokenizer(v, "pre_tokenizer") }
        let post = try root["post_processor"].flatMap { v throws(TokenizerError) in v.isNull ? nil : try postProcessor(v, "post_processor") }
        let dec = try root["decoder"].flatMap { v throws(TokenizerError) in v.isNull ? nil : try decoder(v, "decoder") }

        var padding: PaddingConfig? = nil
        if let p = root["padding"], !p.isNull {
            var cfg = PaddingConfig()
            let s = try r.req(p, "strategy", "padding")
            if s.string == "BatchLongest" { cfg.strategy = .batchLongest }
            else if let fixed = s["Fixed"] { cfg.strategy = .fixed(try r.int(fixed, "padding.strategy.Fixed")) }
            else { throw .unsupported(path: path, field: "padding.strategy", value: s.string ?? s.kind, supported: ["BatchLongest", "{\"Fixed\": n}"]) }
            if let d = p["direction"]?.string { cfg.left = d == "Left" }
            if let m = p["pad_to_multiple_of"], !m.isNull { cfg.padToMultipleOf = try r.int(m, "padding.pad_to_multiple_of") }
            if let x = p["pad_id"] { cfg.padId = try r.int(x, "padding.pad_id") }
            if let x = p["pad_type_id"] { cfg.padTypeId = try r.int(x, "padding.pad_type_id") }
            if let x = p["pad_token"] { cfg.padToken = try r.string(x, "padding.pad_token") }
            padding = cfg
        }
        var truncation: TruncationConfig? = nil
        if let t = root["truncation"], !t.isNull {
            var cfg = TruncationConfig(maxLength: try r.int(try r.req(t, "max_length", "truncation"), "truncation.max_length"))
            if let d = t["direction"]?.string { cfg.left = d == "Left" }
            if let s = t["strategy"]?.string { cfg.strategy = s }
            if let s = t["stride"] { cfg.stride = try r.int(s, "truncation.stride") }
            truncation = cfg
        }
        return Tokenizer(model: model, normalizer: norm, preTokenizer: pre, postProcessor: post, decoder: dec,
                         addedTokens: added, padding: padding, truncation: truncation)
    }

    // MARK: Saving

    /// Writes this tokenizer as a Hugging Face `tokenizer.json` that
    /// `tokenizers.Tokenizer.from_file` loads. Character tokenizers have no HF equivalent
    /// here and throw `TokenizerError.invalidArgument`.
    ///
    ///     try Tokenizer.bpe(trainOn: text, vocab: 512).save("bpe.json")
    public func save(_ path: String) throws {
        let text = try jsonString()
        do { try text.write(toFile: path, atomically: true, encoding: .utf8) } catch {
            throw TokenizerError.cannotWrite(path: path, reason: (error as NSError).localizedDescription)
        }
    }

    /// The `tokenizer.json` text (see `save`).
    public func jsonString() throws(TokenizerError) -> String {
        func n(_ i: Int) -> JSONValue { JSONValue(i) }
        func s(_ x: String) -> JSONValue { .string(x) }
        func normJSON(_ x: Normalizer) -> JSONValue {
            switch x {
            case .bert(let c, let h, let sa, let l):
                return .object([("type", s("BertNormalizer")), ("clean_text", .bool(c)), ("handle_chinese_chars", .bool(h)),
                                ("strip_accents", sa.map { .bool($0) } ?? .null), ("lowercase", .bool(l))])
            case .lowercase: return .object([("type", s("Lowercase"))])
            case .nfd: return .object([("type", s("NFD"))])
            case .stripAccents: return .object([("type", s("StripAccents"))])
            case .sequence(let l): return .object([("type", s("Sequence")), ("normalizers", .array(l.map(normJSON)))])
            }
        }
        func preJSON(_ x: PreTokenizer) -> JSONValue {
            switch x {
            case .bert: return .object([("type", s("BertPreTokenizer"))])
            case .whitespaceSplit: return .object([("type", s("WhitespaceSplit"))])
            case .byteLevel(let p, let u):
                return .object([("type", s("ByteLevel")), ("add_prefix_space", .bool(p)), ("trim_offsets", .bool(true)), ("use_regex", .bool(u))])
            case .sequence(let l): return .object([("type", s("Sequence")), ("pretokenizers", .array(l.map(preJSON)))])
            }
        }
        func tmplJSON(_ t: [TemplatePiece]) -> JSONValue {
            .array(t.map { p in
                switch p {
                case .special(let id, let ty): .object([("SpecialToken", .object([("id", s(id)), ("type_id", n(ty))]))])
                case .sequenceA(let ty): .object([("Sequence", .object([("id", s("A")), ("type_id", n(ty))]))])
                case .sequenceB(let ty): .object([("Sequence", .object([("id", s("B")), ("type_id", n(ty))]))])
                }
            })
        }
        func postJSON(_ x: PostProcessor) -> JSONValue {
            switch x {
            case .template(let single, let pair, let specials):
                let sp: [(String, JSONValue)] = specials.keys.sorted().map { k in
                    let v = specials[k] ?? ([], [])
                    return (k, .object([("id", s(k)), ("ids", .array(v.ids.map(n))), ("tokens", .array(v.tokens.map(s)))]))
                }
                return .object([("type", s("TemplateProcessing")), ("single", tmplJSON(single)), ("pair", tmplJSON(pair)), ("special_tokens", .object(sp))])
            case .bert(let c, let sep):
                return .object([("type", s("BertProcessing")), ("sep", .array([s(sep.0), n(sep.1)])), ("cls", .array([s(c.0), n(c.1)]))])
            case .roberta(let c, let sep, let t, let a):
                return .object([("type", s("RobertaProcessing")), ("sep", .array([s(sep.0), n(sep.1)])), ("cls", .array([s(c.0), n(c.1)])),
                                ("trim_offsets", .bool(t)), ("add_prefix_space", .bool(a))])
            case .byteLevel(let t):
                return .object([("type", s("ByteLevel")), ("add_prefix_space", .bool(true)), ("trim_offsets", .bool(t)), ("use_regex", .bool(true))])
            case .sequence(let l): return .object([("type", s("Sequence")), ("processors", .array(l.map(postJSON)))])
            }
        }
        func decJSON(_ x: Decoder) -> JSONValue {
            switch x {
            case .wordPiece(let p, let c): return .object([("type", s("WordPiece")), ("prefix", s(p)), ("cleanup", .bool(c))])
            case .byteLevel:
                return .object([("type", s("ByteLevel")), ("add_prefix_space", .bool(true)), ("trim_offsets", .bool(true)), ("use_regex", .bool(true))])
            }
        }
        let modelJSON: JSONValue
        switch model {
        case .wordPiece(let m):
            modelJSON = .object([("type", s("WordPiece")), ("unk_token", s(m.unkToken)), ("continuing_subword_prefix", s(m.prefix)),
                                 ("max_input_chars_per_word", n(m.maxInputCharsPerWord)),
                                 ("vocab", .object(m.vocab.enumerated().map { ($1, n($0)) }))])
        case .bpe(let m):
            modelJSON = .object([("type", s("BPE")), ("dropout", .null), ("unk_token", m.unkToken.map(s) ?? .null),
                                 ("continuing_subword_prefix", .null), ("end_of_word_suffix", .null), ("fuse_unk", .bool(false)),
                                 ("byte_fallback", .bool(false)), ("ignore_merges", .bool(m.ignoreMerges)),
                                 ("vocab", .object(m.vocab.enumerated().map { ($1, n($0)) })),
                                 ("merges", .array(m.mergeList.map { .array([s(m.vocab[$0.0]), s(m.vocab[$0.1])]) }))])
        case .chars:
            throw .invalidArgument("character tokenizers cannot be saved as tokenizer.json (no Hugging Face equivalent); use Tokenizer.bytes or Tokenizer.bpe")
        }
        var root: [(String, JSONValue)] = [("version", s("1.0"))]
        root.append(("truncation", truncation.map { t in
            .object([("direction", s(t.left ? "Left" : "Right")), ("max_length", n(t.maxLength)), ("strategy", s(t.strategy)), ("stride", n(t.stride))])
        } ?? .null))
        root.append(("padding", padding.map { p in
            let strat: JSONValue = switch p.strategy { case .batchLongest: s("BatchLongest"); case .fixed(let k): .object([("Fixed", n(k))]) }
            return .object([("strategy", strat), ("direction", s(p.left ? "Left" : "Right")), ("pad_to_multiple_of", p.padToMultipleOf.map(n) ?? .null),
                            ("pad_id", n(p.padId)), ("pad_type_id", n(p.padTypeId)), ("pad_token", s(p.padToken))])
        } ?? .null))
        root.append(("added_tokens", .array(addedTokens.map { a in
            .object([("id", n(a.id)), ("content", s(a.content)), ("single_word", .bool(false)), ("lstrip", .bool(false)),
                     ("rstrip", .bool(false)), ("normalized", .bool(false)), ("special", .bool(a.special))])
        })))
        root.append(("normalizer", normalizer.map(normJSON) ?? .null))
        root.append(("pre_tokenizer", preTokenizer.map(preJSON) ?? .null))
        root.append(("post_processor", postProcessor.map(postJSON) ?? .null))
        root.append(("decoder", decoder.map(decJSON) ?? .null))
        root.append(("model", modelJSON))
        return JSONValue.object(root).text(.pretty)
    }
}
