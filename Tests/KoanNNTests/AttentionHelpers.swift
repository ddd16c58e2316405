import Foundation
import KoanAutograd
import KoanTensor
import XCTest

/// One case of Fixtures/attention.json (written by tools/goldens/attention.py; see its docstring).
struct AttentionGolden {
    let name: String
    let kind: String
    let args: [String: Any]
    let arrays: [String: NDArray]

    func bool(_ k: String) -> Bool { (args[k] as? NSNumber)?.boolValue ?? false }
    func int(_ k: String) -> Int { (args[k] as? NSNumber)?.intValue ?? -1 }
    func array(_ k: String, file: StaticString = #filePath, line: UInt = #line) throws -> NDArray {
        guard let a = arrays[k] else {
            XCTFail("\(name): missing array \(k)", file: file, line: line)
            throw TensorError.invalidArgument(op: "golden", message: "missing \(k)")
        }
        return a
    }

    static func decode(_ any: Any?) throws -> NDArray {
        guard let d = any as? [String: Any], let shape = (d["shape"] as? [NSNumber])?.map(\.intValue),
              let dtype = d["dtype"] as? String, let data = d["data"] as? [NSNumber] else {
            throw TensorError.invalidArgument(op: "golden", message: "bad array entry")
        }
        switch dtype {
        case "bool": return try NDArray(ints: data.map(\.int64Value), shape: shape).to(.bool)
        case "int64": return try NDArray(ints: data.map(\.int64Value), shape: shape)
        default: return try NDArray(values: data.map(\.doubleValue), shape: shape, dtype: .float32)
        }
    }

    static func loadAll(file: StaticString = #filePath, line: UInt = #line) throws -> [AttentionGolden] {
        guard let url = Bundle.module.url(forResource: "attention", withExtension: "json", subdirectory: "Fixtures") else {
            XCTFail("missing Fixtures/attention.json: run tools/goldens/attention.py", file: file, line: line)
            return []
        }
        let root = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any]
        return try (root?["cases"] as? [[String: Any]] ?? []).map { c in
            let raw = c["arrays"] as? [String: Any] ?? [:]
            return AttentionGolden(name: c["name"] as? String ?? "?", kind: c["kind"] as? String ?? "?",
                                   args: c["args"] as? [String: Any] ?? [:], arrays: try raw.mapValues { try decode($0) })
        }
    }
}

/// max |a − b| (∞ on a shape mismatch or NaN).
func maxAbsDiff(_ a: NDArray, _ b: NDArray) -> Double {
    guard a.shape == b.shape else { return .infinity }
    var worst = 0.0
    for (x, y) in zip(a.doubles(), b.doubles()) {
        let d = abs(x - y)
        if d.isNaN { return .infinity }
        worst = max(worst, d)
    }
    return worst
}

/// Fails unless max |a − b| ≤ tol; returns the error for reporting.
@discardableResult
func assertClose(_ a: NDArray, _ b: NDArray, tol: Double, _ msg: String, file: StaticString = #filePath, line: UInt = #line) -> Double {
    XCTAssertEqual(a.shape, b.shape, "\(msg): shape", file: file, line: line)
    let e = maxAbsDiff(a, b)
    XCTAssertLessThanOrEqual(e, tol, "\(msg): max abs error \(e)", file: file, line: line)
    return e
}

func randn(_ shape: [Int], seed: UInt64, dtype: DType = .float32) throws -> Tensor {
    Tensor(try NDArray.randn(shape, key: RandomKey(seed: seed), dtype: dtype))
}

/// Output and gradients (w.r.t. q, k, v) of `f` seeded with `g`.
func outputAndGrads(_ f: ([Tensor]) throws -> Tensor, _ inputs: [Tensor], seed g: NDArray) throws -> (NDArray, [NDArray]) {
    let leaves = inputs.map { $0.detached().requiringGrad() }
    let y = try f(leaves)
    let grads = try backward(y, seed: g, wrt: leaves)
    return (y.data, grads)
}

/// Central finite differences (float64) of L = Σ f(inputs)·w against autograd; returns the
/// max abs error over all inputs' elements.
func finiteDifferenceError(_ f: ([Tensor]) throws -> Tensor, _ inputs: [Tensor], eps: Double = 1e-6) throws -> Double {
    let probe = try f(inputs.map { $0.detached() })
    let w = try NDArray.randn(probe.shape, key: RandomKey(seed: 99), dtype: .float64)
    func loss(_ xs: [Tensor]) throws -> Double { try (f(xs) * Tensor(w)).sum().item() }
    let analytic = try grad({ xs in try (f(xs) * Tensor(w)).sum() }, at: inputs)
    var worst = 0.0
    for (n, x) in inputs.enumerated() {
        let base = try x.data.contiguousCopy().doubles()
        for e in 0..<base.count {
            func shifted(_ delta: Double) throws -> Double {
                var vals = base
                vals[e] += delta
                var xs = inputs
                xs[n] = try Tensor(values: vals, shape: x.shape, dtype: .float64)
                return try loss(xs)
            }
            let numeric = (try shifted(eps) - shifted(-eps)) / (2 * eps)
            worst = max(worst, abs(numeric - analytic[n].doubles()[e]))
        }
    }
    return worst
}
