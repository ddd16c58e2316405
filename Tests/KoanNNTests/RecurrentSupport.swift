import Foundation
import KoanAutograd
import KoanTensor
import XCTest

/// One case of Fixtures/recurrent.json (written by tools/goldens/recurrent.py; see its
/// docstring for the format).
struct RecurrentGolden {
    let name: String
    let kind: String
    let layers: Int
    let batch: Int
    let steps: Int
    let inputSize: Int
    let hiddenSize: Int
    let bias: Bool
    let params: [String: NDArray]
    let arrays: [String: NDArray]
    let grads: [String: NDArray]

    static func array(_ any: Any?) throws -> NDArray {
        guard let d = any as? [String: Any], let shape = (d["shape"] as? [NSNumber])?.map(\.intValue),
              let data = d["data"] as? [NSNumber] else {
            throw TensorError.invalidArgument(op: "golden", message: "bad tensor entry")
        }
        return try NDArray(values: data.map(\.doubleValue), shape: shape, dtype: .float32)
    }

    static func dict(_ any: Any?) throws -> [String: NDArray] {
        guard let d = any as? [String: Any] else { return [:] }
        return try d.mapValues { try array($0) }
    }

    static func loadAll(file: StaticString = #filePath, line: UInt = #line) throws -> [RecurrentGolden] {
        guard let url = Bundle.module.url(forResource: "recurrent", withExtension: "json", subdirectory: "Fixtures") else {
            XCTFail("missing Fixtures/recurrent.json: run tools/goldens/recurrent.py", file: file, line: line)
            return []
        }
        let root = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any]
        return try (root?["cases"] as? [[String: Any]] ?? []).map { c in
            var arrays: [String: NDArray] = [:]
            for k in ["x", "h0", "c0", "output", "h_n", "c_n", "w_out", "w_h", "w_c"] where c[k] != nil {
                arrays[k] = try array(c[k])
            }
            func int(_ k: String) -> Int { (c[k] as? NSNumber)?.intValue ?? -1 }
            return RecurrentGolden(
                name: c["name"] as? String ?? "?", kind: c["kind"] as? String ?? "?",
                layers: int("layers"), batch: int("batch"), steps: int("steps"), inputSize: int("input_size"),
                hiddenSize: int("hidden_size"), bias: (c["bias"] as? Bool) ?? true,
                params: try dict(c["params"]), arrays: arrays, grads: try dict(c["grads"]))
        }
    }
}

/// max |a - b| / (atol + rtol·|b|) over the elements; ≤ 1 means within tolerance.
/// Records the worst absolute and relative errors seen in `stats`.
@discardableResult
func assertRecurrentClose(_ a: NDArray, _ b: NDArray, rtol: Double = 1e-5, atol: Double = 1e-6, _ msg: String = "",
                 stats: ErrorStats? = nil, file: StaticString = #filePath, line: UInt = #line) -> Double {
    XCTAssertEqual(a.shape, b.shape, "shape \(msg)", file: file, line: line)
    guard a.shape == b.shape else { return .infinity }
    let x = a.doubles(), y = b.doubles()
    var worst = 0.0, at = -1
    for i in 0..<x.count {
        let diff = abs(x[i] - y[i])
        stats?.add(abs: diff, rel: diff / Swift.max(abs(y[i]), 1e-3))
        let ratio = diff / (atol + rtol * abs(y[i]))
        if !(ratio <= worst) { worst = ratio.isNaN ? .infinity : ratio; at = i }
    }
    if worst > 1 { XCTFail("\(msg): element \(at): \(x[at]) vs \(y[at])", file: file, line: line) }
    return worst
}

/// Worst errors over many comparisons (for the report).
final class ErrorStats: @unchecked Sendable {
    var maxAbs = 0.0
    var maxRel = 0.0
    var count = 0
    func add(abs a: Double, rel r: Double) {
        maxAbs = Swift.max(maxAbs, a)
        maxRel = Swift.max(maxRel, r)
        count += 1
    }
}

/// A deterministic tensor of N(0, scale²) values.
func randomTensor(_ shape: [Int], seed: UInt64, scale: Double = 1, dtype: DType = .float32) throws -> Tensor {
    Tensor(try NDArray.randn(shape, key: RandomKey(seed: seed), dtype: dtype) * scale)
}
