/// A trie over Unicode scalars with two roots (0: word-initial tokens, 1: continuation
/// tokens with their `##` prefix removed), used for greedy longest-match WordPiece.
struct ScalarTrie: Sendable {
    var edges: [Int: Int32] = [:]      // (node << 21 | scalar) -> child
    var tokenId: [Int32] = [-1, -1]    // per node

    mutating func insert<S: Sequence>(_ scalars: S, root: Int, id: Int) where S.Element == Unicode.Scalar {
        var node = root
        for u in scalars {
            let key = node << 21 | Int(u.value)
            if let c = edges[key] { node = Int(c) } else {
                let c = tokenId.count
                tokenId.append(-1)
                edges[key] = Int32(c)
                node = c
            }
        }
        if tokenId[node] < 0 { tokenId[node] = Int32(id) }
    }
}

/// Key for byte-exact token lookups (Swift `String` equality is canonical equivalence,
/// which would merge distinct vocabulary entries).
typealias TokenKey = [UInt32]
@inline(__always) func tokenKey(_ s: String) -> TokenKey { s.unicodeScalars.map(\.value) }

/// The vocabulary-driven part of a tokenizer (`model` in `tokenizer.json`).
enum Model: Sendable {
    case wordPiece(WordPieceModel)
    case bpe(BPEModel)
    case chars(CharsModel)

    var vocab: [String] {
        switch self {
        case .wordPiece(let m): m.vocab
        case .bpe(let m): m.vocab
        case .chars(let m): m.vocab
        }
    }
}

struct WordPieceModel: Sendable {
    var vocab: [String]
    var unkToken: String
    var unkId: Int
    var prefix: String
    var maxInputCharsPerWord: Int
    var trie = ScalarTrie()

    init(vocab: [String], unkToken: String, prefix: String, maxInputCharsPerWord: Int) {
        self.vocab = vocab
        self.unkToken = unkToken
        self.prefix = prefix
        self.maxInputCharsPerWord = maxInputCharsPerWord
        let ukey = tokenKey(unkToken)
        unkId = vocab.firstIndex { tokenKey($0) == ukey } ?? -1
        let p = Array(prefix.unicodeScalars)
        for (id, tok) in vocab.enumerated() {
            let s = Array(tok.unicodeScalars)
            trie.insert(s, root: 0, id: id)
            if !p.isEmpty, s.count > p.count, Array(s[0..<p.count]) == p { trie.insert(s[p.count...], root: 1, id: id) }
        }
    }

    /// Greedy longest-match-first over `t.scalars[word]`; emits (id, first, last+1) in text indices.
    func tokenize(_ t: AlignedText, _ word: Range<Int>, into out: inout [(Int, Int, Int)]) {
        if word.count > maxInputCharsPerWord {
            if unkId >= 0 { out.append((unkId, word.lowerBound, word.upperBound)) }
            return
        }
        let mark = out.count
        var start = word.lowerBound
        while start < word.upperBound {
            var node = start == word.lowerBound ? 0 : 1
            var best = -1, bestEnd = start
            var i = start
            while i < word.upperBound {
                guard let c = trie.edges[node << 21 | Int(t.scalars[i].value)] else { break }
                node = Int(c)
                i += 1
                let id = trie.tokenId[node]
                if id >= 0 { best = Int(id); bestEnd = i }
            }
            if best < 0 {
                out.removeLast(out.count - mark)
                if unkId >= 0 { out.append((unkId, word.lowerBound, word.upperBound)) }
                return
            }
            out.append((best, start, bestEnd))
            start = bestEnd
        }
    }
}

struct BPEModel: Sendable {
    var vocab: [String]
    var ids: [TokenKey: Int]
    /// (left id << 32 | right id) -> (rank, merged id)
    var merges: [Int: (rank: Int, id: Int)]
    var mergeList: [(Int, Int)]
    var unkToken: String?
    var ignoreMerges: Bool

    init(vocab: [String], merges: [(Int, Int)], unkToken: String?, ignoreMerges: Bool) throws(TokenizerError) {
        self.vocab = vocab
        var ids: [TokenKey: Int] = [:]
        for (i, t) in vocab.enumerated() where ids[tokenKey(t)] == nil { ids[tokenKey(t)] = i }
        self.ids = ids
        self.mergeList = merges
        var m: [Int: (rank: Int, id: Int)] = [:]
        for (rank, (a, b)) in merges.enumerated() {
            guard let merged = ids[tokenKey(vocab[a] + vocab[b])] else {
                throw .invalidArgument("merge \(rank) ('\(vocab[a])' '\(vocab[b])') makes a token missing from the vocabulary")
            }
            let key = a << 32 | b
            if m[key] == nil { m[key] = (rank, merged) }
        }
        self.merges = m
        self.unkToken = unkToken
        self.ignoreMerges = ignoreMerges
    }

    /// A model without merges (cannot fail).
    init(mergeFreeVocab vocab: [String]) {
        self.vocab = vocab
        var ids: [TokenKey: Int] = [:]
        for (i, t) in vocab.enumerated() where ids[tokenKey(t)] == nil { ids[tokenKey(t)] = i }
        self.ids = ids
        merges = [:]; mergeList = []; unkToken = nil; ignoreMerges = false
    }

    /// BPE on one word: lowest-rank pair first, leftmost among equals (a heap, like `tokenizers`).
    func tokenize(_ t: AlignedText, _ word: Range<Int>, into out: inout [(Int, Int, Int)]) {
        if ignoreMerges, let id = ids[t.scalars[word].map(\.value)] {
            out.append((id, word.lowerBound, word.upperBound)); return
        }
        var sym: [Int] = [], st: [Int] = [], en: [Int] = []
        sym.reserveCapacity(word.count)
        let unk = unkToken.flatMap { ids[tokenKey($0)] }
        for i in word {
            if let id = ids[[t.scalars[i].value]] { sym.append(id); st.append(i); en.append(i + 1) }
            else if let u = unk { sym.append(u); st.append(i); en.append(i + 1) }
        }
        let n = sym.count
        if n > 1 && !merges.isEmpty {
            var next = Array(1...n); next[n - 1] = -1
            var prev = Array(-1..<(n - 1))
            var alive = [Bool](repeating: true, count: n)
            var heap = Heap<UInt64>(before: <)
            for i in 0..<(n - 1) {
                if let m = merges[sym[i] << 32 | sym[i + 1]] { heap.push(UInt64(m.rank) << 32 | UInt64(i)) }
            }
            while let top = heap.pop() {
                let i = Int(top & 0xFFFF_FFFF), rank = Int(top >> 32)
                guard alive[i], next[i] >= 0 else { continue }
                let j = next[i]
                guard let m = merges[sym[i] << 32 | sym[j]], m.rank == rank else { continue }
                sym[i] = m.id; en[i] = en[j]
                alive[j] = false
                next[i] = next[j]
                if next[j] >= 0 { prev[next[j]] = i }
                if prev[i] >= 0, let m2 = merges[sym[prev[i]] << 32 | sym[i]] { heap.push(UInt64(m2.rank) << 32 | UInt64(prev[i])) }
                if next[i] >= 0, let m2 = merges[sym[i] << 32 | sym[next[i]]] { heap.push(UInt64(m2.rank) << 32 | UInt64(i)) }
            }
            var i = 0
            while i >= 0 && i < n { out.append((sym[i], st[i], en[i])); i = next[i] }
        } else {
            for i in 0..<n { out.append((sym[i], st[i], en[i])) }
        }
    }
}

/// Character-level model: one id per distinct Character, `<unk>` for others.
struct CharsModel: Sendable {
    var vocab: [String]
    var ids: [TokenKey: Int]
    var unkId: Int
}

