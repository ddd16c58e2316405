/// Members of collections and strings (`xs.count`, `xs.append(x)`, `s.uppercased()`).

private let sequences: Set<ValueKind> = [.array, .range, .dict, .string]
private let ordered: Set<ValueKind> = [.array, .range, .string]

func registerCollectionMembers(_ r: Registry) {
    func property(_ kinds: Set<ValueKind>, _ sig: String, _ doc: String, _ get: @escaping (Value) throws -> Value) {
        r.member(kinds, sig, doc, .property { v, _ in try get(v) })
    }
    func method(_ kinds: Set<ValueKind>, _ sig: String, _ doc: String,
                _ body: @escaping (Value, [Value], CallContext) throws -> Value) {
        r.member(kinds, sig, doc, .method(body))
    }
    func mutating(_ kinds: Set<ValueKind>, _ sig: String, _ doc: String,
                  _ body: @escaping (inout Value, [Value], CallContext) throws -> Value) {
        r.member(kinds, sig, doc, .mutating(body))
    }

    // Properties
    property(sequences, "count: Int", "The number of elements.") { v in
        switch v {
        case .array(let xs): return .int(xs.count)
        case .dict(let d): return .int(d.count)
        case .string(let s): return .int(s.count)
        case .range(let r):
            guard let n = r.count else {
                throw Fault(.overflow, "the count of \(Value.range(r).debugDescription) overflows Int")
            }
            return .int(n)
        default: return .int(try v.elements().count)
        }
    }
    property(sequences, "isEmpty: Bool", "Whether there are no elements.") { v in
        switch v {
        case .array(let xs): return .bool(xs.isEmpty)
        case .dict(let d): return .bool(d.count == 0)
        case .string(let s): return .bool(s.isEmpty)
        default: return .bool(try v.elements().isEmpty)
        }
    }
    property(ordered, "first: Element?", "The first element, or nil when empty.") { v in
        if case .string(let s) = v { return s.first.map { .string(String($0)) } ?? .null }
        return try v.elements().first ?? .null
    }
    property(ordered, "last: Element?", "The last element, or nil when empty.") { v in
        if case .string(let s) = v { return s.last.map { .string(String($0)) } ?? .null }
        return try v.elements().last ?? .null
    }
    property([.dict], "keys: [Key]", "The keys, in insertion order.") { v in
        guard case .dict(let d) = v else { return .null }
        return .array(d.keys)
    }
    property([.dict], "values: [Value]", "The values, in insertion order.") { v in
        guard case .dict(let d) = v else { return .null }
        return .array(d.values)
    }
    property([.range], "lowerBound: Int", "The range's lower bound.") { v in
        guard case .range(let r) = v else { return .null }
        return r.lower
    }
    property([.range], "upperBound: Int", "The range's upper bound.") { v in
        guard case .range(let r) = v else { return .null }
        return r.upper
    }
    property(Set(ValueKind.allCases), "description: String", "The textual representation, as print shows it.") { v in
        .string(v.description)
    }

    // Mutating methods
    mutating([.array, .string], "append(_ newElement: Element)", "Adds an element at the end.") { v, a, _ in
        if var xs = v.takeArray() {
            xs.append(a[0])
            v = .array(xs)
        } else if case .string = v {
            let suffix = try a[0].asString()
            if var s = v.takeString() {
                s += suffix
                v = .string(s)
            }
        }
        return .void
    }
    mutating([.array], "append(contentsOf newElements: Sequence)", "Adds the elements of a sequence at the end.") { v, a, _ in
        guard var xs = v.takeArray() else { return .void }
        defer { v = .array(xs) }
        let more = try a[0].elements()
        xs.append(contentsOf: more)
        return .void
    }
    mutating([.array], "insert(_ newElement: Element, at i: Int)", "Inserts an element at position i.") { v, a, _ in
        guard var xs = v.takeArray() else { return .void }
        defer { v = .array(xs) }
        let i = try a[1].asInt()
        guard i >= 0 && i <= xs.count else { throw Subscripts.indexFault(i, xs.count) }
        xs.insert(a[0], at: i)
        return .void
    }
    mutating([.array], "remove(at i: Int) -> Element", "Removes and returns the element at position i.") { v, a, _ in
        guard var xs = v.takeArray() else { return .void }
        defer { v = .array(xs) }
        let i = try a[0].asInt()
        guard i >= 0 && i < xs.count else { throw Subscripts.indexFault(i, xs.count) }
        let removed = xs.remove(at: i)
        return removed
    }
    mutating([.array], "removeLast() -> Element", "Removes and returns the last element (error when empty).") { v, _, _ in
        guard var xs = v.takeArray() else { return .void }
        defer { v = .array(xs) }
        guard !xs.isEmpty else { throw Fault(.index, "can't remove last element from an empty collection") }
        let removed = xs.removeLast()
        return removed
    }
    mutating([.array], "removeFirst() -> Element", "Removes and returns the first element (error when empty).") { v, _, _ in
        guard var xs = v.takeArray() else { return .void }
        defer { v = .array(xs) }
        guard !xs.isEmpty else { throw Fault(.index, "can't remove first element from an empty collection") }
        let removed = xs.removeFirst()
        return removed
    }
    mutating([.array], "popLast() -> Element?", "Removes and returns the last element, or nil when empty.") { v, _, _ in
        guard var xs = v.takeArray() else { return .void }
        defer { v = .array(xs) }
        let removed = xs.popLast()
        return removed ?? .null
    }
    mutating([.array, .dict, .string], "removeAll()", "Removes every element.") { v, _, _ in
        switch v {
        case .array: v = .array([])
        case .dict: v = .dict(OrderedDict())
        case .string: v = .string("")
        default: break
        }
        return .void
    }
    mutating([.dict], "removeValue(forKey key: Key) -> Value?", "Removes a key; returns its value, or nil.") { v, a, _ in
        guard var d = v.takeDict() else { return .void }
        defer { v = .dict(d) }
        let old = d.remove(a[0])
        return old ?? .null
    }
    mutating([.dict], "updateValue(_ value: Value, forKey key: Key) -> Value?", "Sets a value; returns the old one, or nil.") { v, a, _ in
        guard var d = v.takeDict() else { return .void }
        defer { v = .dict(d) }
        let old = d[a[1]]; d.set(a[1], a[0])
        return old ?? .null
    }
    mutating([.array], "sort()", "Sorts the array in place, in increasing order.") { v, _, _ in
        guard var xs = v.takeArray() else { return .void }
        defer { v = .array(xs) }
        try xs.sort(by: valueLess)
        return .void
    }
    mutating([.array], "sort(by areInIncreasingOrder: (Element, Element) -> Bool)", "Sorts the array in place with a comparison closure.") { v, a, ctx in
        guard var xs = v.takeArray() else { return .void }
        defer { v = .array(xs) }
        try xs.sort { try predicate(try ctx.call(a[0], $0, $1)) }
        return .void
    }
    mutating([.array], "reverse()", "Reverses the array in place.") { v, _, _ in
        guard var xs = v.takeArray() else { return .void }
        defer { v = .array(xs) }
        xs.reverse()
        return .void
    }

    // Non-mutating methods on sequences
    method(sequences, "contains(_ element: Element) -> Bool", "Whether the sequence contains the element (a substring, for strings; a key, for dictionaries).") { v, a, _ in
        switch v {
        case .string(let s): return .bool(s.contains(try a[0].asString()))
        case .range(let r):
            guard let x = a[0].asNumber, let lo = r.lower.asNumber, let hi = r.upper.asNumber else { return .bool(false) }
            return .bool(x >= lo && (r.closed ? x <= hi : x < hi))
        case .dict(let d): return .bool(d[a[0]] != nil)
        default: return .bool(try v.elements().contains(a[0]))
        }
    }
    method(sequences, "contains(where predicate: (Element) -> Bool) -> Bool", "Whether some element satisfies the predicate.") { v, a, ctx in
        .bool(try v.elements().contains { try predicate(try ctx.call(a[0], $0)) })
    }
    method(sequences, "allSatisfy(_ predicate: (Element) -> Bool) -> Bool", "Whether every element satisfies the predicate.") { v, a, ctx in
        .bool(try v.elements().allSatisfy { try predicate(try ctx.call(a[0], $0)) })
    }
    method(sequences, "map(_ transform: (Element) -> T) -> [T]", "The results of applying transform to each element.") { v, a, ctx in
        .array(try v.elements().map { try ctx.call(a[0], $0) })
    }
    method(sequences, "compactMap(_ transform: (Element) -> T?) -> [T]", "The non-nil results of transform.") { v, a, ctx in
        .array(try v.elements().map { try ctx.call(a[0], $0) }.filter { !$0.isNil })
    }
    method(sequences, "flatMap(_ transform: (Element) -> [T]) -> [T]", "The concatenated results of transform.") { v, a, ctx in
        .array(try v.elements().flatMap { try ctx.call(a[0], $0).elements() })
    }
    method(sequences, "forEach(_ body: (Element) -> Void)", "Calls body on each element.") { v, a, ctx in
        for x in try v.elements() { _ = try ctx.call(a[0], x) }
        return .void
    }
    method(sequences, "filter(_ isIncluded: (Element) -> Bool) -> [Element]", "The elements that satisfy the predicate (a dictionary stays a dictionary).") { v, a, ctx in
        if case .dict(let d) = v {
            var out = OrderedDict()
            for (k, x) in zip(d.keys, d.values) where try predicate(try ctx.call(a[0], .tuple(TupleValue([k, x], labels: ["key", "value"])))) {
                out.set(k, x)
            }
            return .dict(out)
        }
        return .array(try v.elements().filter { try predicate(try ctx.call(a[0], $0)) })
    }
    method(sequences, "reduce(_ initialResult: T, _ nextPartialResult: (T, Element) -> T) -> T", "Combines the elements, starting from initialResult.") { v, a, ctx in
        try v.elements().reduce(a[0]) { try ctx.call(a[1], $0, $1) }
    }
    method(sequences, "sorted() -> [Element]", "The elements in increasing order.") { v, _, _ in
        .array(try v.elements().sorted(by: valueLess))
    }
    method(sequences, "sorted(by areInIncreasingOrder: (Element, Element) -> Bool) -> [Element]", "The elements ordered by a comparison closure.") { v, a, ctx in
        .array(try v.elements().sorted { try predicate(try ctx.call(a[0], $0, $1)) })
    }
    method(sequences, "reversed() -> [Element]", "The elements in reverse order (a String for strings).") { v, _, _ in
        if case .string(let s) = v { return .string(String(s.reversed())) }
        return .array(try v.elements().reversed())
    }
    method(sequences, "enumerated() -> [(offset: Int, element: Element)]", "Pairs (offset, element) for each element.") { v, _, _ in
        .array(try v.elements().enumerated().map { .tuple(TupleValue([.int($0), $1], labels: ["offset", "element"])) })
    }
    method(sequences, "min() -> Element?", "The least element, or nil when empty.") { v, _, _ in
        try v.elements().min(by: valueLess) ?? .null
    }
    method(sequences, "max() -> Element?", "The greatest element, or nil when empty.") { v, _, _ in
        try v.elements().max(by: valueLess) ?? .null
    }
    method(ordered, "firstIndex(of element: Element) -> Int?", "The index of the first equal element, or nil.") { v, a, _ in
        try v.elements().firstIndex(of: a[0]).map { .int($0) } ?? .null
    }
    method(ordered, "firstIndex(where predicate: (Element) -> Bool) -> Int?", "The index of the first element satisfying the predicate, or nil.") { v, a, ctx in
        try v.elements().firstIndex { try predicate(try ctx.call(a[0], $0)) }.map { .int($0) } ?? .null
    }
    method(ordered, "first(where predicate: (Element) -> Bool) -> Element?", "The first element satisfying the predicate, or nil.") { v, a, ctx in
        try v.elements().first { try predicate(try ctx.call(a[0], $0)) } ?? .null
    }
    method(ordered, "prefix(_ maxLength: Int) -> [Element]", "The first maxLength elements.") { v, a, _ in
        .array(Array(try v.elements().prefix(max(0, try a[0].asInt()))))
    }
    method(ordered, "suffix(_ maxLength: Int) -> [Element]", "The last maxLength elements.") { v, a, _ in
        .array(Array(try v.elements().suffix(max(0, try a[0].asInt()))))
    }
    method(ordered, "dropFirst(_ k: Int = 1) -> [Element]", "All but the first k elements.") { v, a, _ in
        .array(Array(try v.elements().dropFirst(max(0, try a[0].asInt()))))
    }
    method(ordered, "dropLast(_ k: Int = 1) -> [Element]", "All but the last k elements.") { v, a, _ in
        .array(Array(try v.elements().dropLast(max(0, try a[0].asInt()))))
    }
    method([.array], "joined(separator: String = \"\") -> String", "The elements' descriptions joined with separator.") { v, a, _ in
        .string(try v.elements().map(\.description).joined(separator: try a[0].asString()))
    }
    method([.dict], "mapValues(_ transform: (Value) -> T) -> [Key: T]", "The dictionary with each value transformed.") { v, a, ctx in
        guard case .dict(let d) = v else { return .null }
        var out = OrderedDict()
        for (k, x) in zip(d.keys, d.values) { out.set(k, try ctx.call(a[0], x)) }
        return .dict(out)
    }
}

func registerStringMembers(_ r: Registry) {
    func string(_ sig: String, _ doc: String, _ body: @escaping (String, [Value]) throws -> Value) {
        r.member([.string], sig, doc, .method { v, a, _ in try body(try v.asString(), a) })
    }
    string("uppercased() -> String", "The string in upper case.") { s, _ in .string(s.uppercased()) }
    string("lowercased() -> String", "The string in lower case.") { s, _ in .string(s.lowercased()) }
    string("hasPrefix(_ prefix: String) -> Bool", "Whether the string begins with prefix.") { s, a in
        .bool(s.hasPrefix(try a[0].asString()))
    }
    string("hasSuffix(_ suffix: String) -> Bool", "Whether the string ends with suffix.") { s, a in
        .bool(s.hasSuffix(try a[0].asString()))
    }
    string("split(separator: String) -> [String]", "The pieces between separators (empty pieces omitted).") { s, a in
        let sep = try a[0].asString()
        guard !sep.isEmpty else { throw Fault(.value, "separator must not be empty") }
        return .array(s.split(separator: sep).map { .string(String($0)) })
    }
    string("components(separatedBy separator: String) -> [String]", "The pieces between separators (empty pieces kept).") { s, a in
        let sep = try a[0].asString()
        guard !sep.isEmpty else { throw Fault(.value, "separator must not be empty") }
        return .array(s.split(separator: sep, omittingEmptySubsequences: false).map { .string(String($0)) })
    }
    string("replacingOccurrences(of target: String, with replacement: String) -> String", "The string with every target replaced.") { s, a in
        let target = try a[0].asString()
        guard !target.isEmpty else { return .string(s) }
        return .string(s.replacing(target, with: try a[1].asString()))
    }
    string("trimmingWhitespace() -> String", "The string without leading and trailing spaces, tabs and newlines.") { s, _ in
        var sub = Substring(s)
        while let c = sub.first, c.isWhitespace { sub = sub.dropFirst() }
        while let c = sub.last, c.isWhitespace { sub = sub.dropLast() }
        return .string(String(sub))
    }
    r.member([.int], "isMultiple(of other: Int) -> Bool", "Whether the number is a multiple of other.", .method { v, a, _ in
        let d = try a[0].asInt()
        return .bool(d == 0 ? (try v.asInt()) == 0 : (try v.asInt()) % d == 0)
    })
    r.member([.double, .int], "squareRoot() -> Double", "The square root.", .method { v, _, _ in
        .double((try v.asDouble()).squareRoot())
    })
    r.member([.double, .int], "rounded() -> Double", "Rounded to the nearest whole number.", .method { v, _, _ in
        .double((try v.asDouble()).rounded())
    })
}
