/// The result of encoding one text: token ids with their strings, character offsets into
/// the input (in Unicode scalars, like Python string indices; special tokens get 0..<0),
/// segment type ids, the attention mask and which positions are special tokens.
///
///     let e = tok.encoding("Hello world")
///     e.ids       // [101, 7592, 2088, 102]
///     e.tokens    // ["[CLS]", "hello", "world", "[SEP]"]
///     e.offsets   // [0..<0, 0..<5, 6..<11, 0..<0]
public struct Encoding: Sendable, Equatable {
    public var ids: [Int] = []
    public var tokens: [String] = []
    public var offsets: [Range<Int>] = []
    public var typeIds: [Int] = []
    public var attentionMask: [Int] = []
    public var specialTokensMask: [Int] = []

    public init() {}

    public var count: Int { ids.count }

    mutating func appendToken(_ id: Int, _ token: String, _ offset: Range<Int>) {
        ids.append(id); tokens.append(token); offsets.append(offset)
        typeIds.append(0); attentionMask.append(1); specialTokensMask.append(0)
    }

    mutating func appendSpecial(_ id: Int, _ token: String, typeId: Int) {
        ids.append(id); tokens.append(token); offsets.append(0..<0)
        typeIds.append(typeId); attentionMask.append(1); specialTokensMask.append(1)
    }

    mutating func append(_ e: Encoding, typeId: Int) {
        ids += e.ids; tokens += e.tokens; offsets += e.offsets
        typeIds += Array(repeating: typeId, count: e.count)
        attentionMask += e.attentionMask; specialTokensMask += e.specialTokensMask
    }

    mutating func truncate(to n: Int, fromLeft: Bool) {
        guard count > n else { return }
        let n = max(0, n)
        if fromLeft {
            let d = count - n
            ids.removeFirst(d); tokens.removeFirst(d); offsets.removeFirst(d)
            typeIds.removeFirst(d); attentionMask.removeFirst(d); specialTokensMask.removeFirst(d)
        } else {
            ids.removeLast(count - n); tokens.removeLast(tokens.count - n); offsets.removeLast(offsets.count - n)
            typeIds.removeLast(typeIds.count - n); attentionMask.removeLast(attentionMask.count - n)
            specialTokensMask.removeLast(specialTokensMask.count - n)
        }
    }

    mutating func pad(to n: Int, id: Int, token: String, typeId: Int, left: Bool) {
        guard count < n else { return }
        let k = n - count
        if left {
            ids.insert(contentsOf: repeatElement(id, count: k), at: 0)
            tokens.insert(contentsOf: repeatElement(token, count: k), at: 0)
            offsets.insert(contentsOf: repeatElement(0..<0, count: k), at: 0)
            typeIds.insert(contentsOf: repeatElement(typeId, count: k), at: 0)
            attentionMask.insert(contentsOf: repeatElement(0, count: k), at: 0)
            specialTokensMask.insert(contentsOf: repeatElement(1, count: k), at: 0)
        } else {
            ids += repeatElement(id, count: k); tokens += repeatElement(token, count: k)
            offsets += repeatElement(0..<0, count: k); typeIds += repeatElement(typeId, count: k)
            attentionMask += repeatElement(0, count: k); specialTokensMask += repeatElement(1, count: k)
        }
    }
}
