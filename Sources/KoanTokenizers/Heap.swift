/// A binary heap: `pop` returns the element that comes `before` all others (a min-heap with
/// `<`). Used for BPE merge ranks and for the trainer's most frequent pairs.
///
///     var h = Heap<Int>(before: <)
///     h.push(3); h.push(1)
///     h.pop()   // 1
struct Heap<Element> {
    private var a: [Element] = []
    private let before: (Element, Element) -> Bool

    init(before: @escaping (Element, Element) -> Bool) { self.before = before }

    var isEmpty: Bool { a.isEmpty }

    mutating func push(_ x: Element) {
        a.append(x)
        var i = a.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            if !before(a[i], a[p]) { break }
            a.swapAt(p, i)
            i = p
        }
    }

    mutating func pop() -> Element? {
        guard let top = a.first else { return nil }
        let last = a.removeLast()
        if !a.isEmpty {
            a[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < a.count && before(a[l], a[m]) { m = l }
                if r < a.count && before(a[r], a[m]) { m = r }
                if m == i { break }
                a.swapAt(m, i)
                i = m
            }
        }
        return top
    }
}
