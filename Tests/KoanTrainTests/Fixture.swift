import Foundation
import KoanAutograd
import KoanTensor
@testable import KoanTrain
import XCTest

/// Loads `Fixtures/optim.json`, written by `tools/goldens/optim.py` (torch CPU). Tensors are
/// `{"dtype": "float32", "shape": [3, 4], "data": [...]}` with Python-repr floats (exact).
enum Fixture {
    static func root(_ name: String = "optim") throws -> [String: Any] {
        guard let url = Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures") else {
            throw MissingFixture(name: name)
        }
        return try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any] ?? [:]
    }

    static func array(_ t: Any?) throws -> NDArray {
        let d = t as? [String: Any] ?? [:]
        let dtype = DType(rawValue: d["dtype"] as? String ?? "") ?? .float32
        let shape = (d["shape"] as? [NSNumber] ?? []).map(\.intValue)
        let values = (d["data"] as? [NSNumber] ?? []).map(\.doubleValue)
        return try NDArray(values: values, shape: shape, dtype: dtype)
    }

    static func tensors(_ t: Any?) throws -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for (k, v) in t as? [String: Any] ?? [:] { out[k] = Tensor(try array(v)) }
        return out
    }
}

/// Asserts `actual` matches `expected` elementwise: |a - e| <= rtol * |e| + atol.
func assertClose(_ actual: NDArray, _ expected: NDArray, rtol: Double, atol: Double, _ what: String,
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(actual.shape, expected.shape, "\(what): shape", file: file, line: line)
    XCTAssertEqual(actual.dtype, expected.dtype, "\(what): dtype", file: file, line: line)
    let a = actual.doubles(), e = expected.doubles()
    guard a.count == e.count else { return }
    var worst = 0.0, at = 0
    for i in a.indices {
        let err = abs(a[i] - e[i]) - (rtol * abs(e[i]) + atol)
        if err > worst || a[i].isNaN != e[i].isNaN { worst = max(err, 1e-300); at = i }
    }
    if worst > 0 {
        XCTFail("\(what): element \(at) is \(a[at]), expected \(e[at])", file: file, line: line)
    }
}

func parameterList(_ dict: [String: Tensor], order: [String]) -> [(path: String, tensor: Tensor)] {
    order.map { ($0, Tensor(dict[$0]!.data, requiresGrad: true)) }
}

/// Builds an optimizer from a fixture configuration.
func makeOptimizer(kind: String, args: [String: Any], groups: [[String: Any]]) throws -> any Optimizer {
    func d(_ k: String, _ def: Double) -> Double { (args[k] as? NSNumber)?.doubleValue ?? def }
    func b(_ k: String) -> Bool { (args[k] as? NSNumber)?.boolValue ?? false }
    func s(_ k: String) -> [String] { args[k] as? [String] ?? [] }
    let pg = groups.map {
        ParameterGroup($0["prefixes"] as? [String] ?? [], lrScale: ($0["lrScale"] as? NSNumber)?.doubleValue ?? 1,
                       weightDecay: ($0["weightDecay"] as? NSNumber)?.doubleValue)
    }
    switch kind {
    case "sgd":
        return try SGD(lr: d("lr", 0.1), momentum: d("momentum", 0), dampening: d("dampening", 0), nesterov: b("nesterov"),
                       weightDecay: d("weightDecay", 0), groups: pg)
    case "adam":
        return try Adam(lr: d("lr", 1e-3), betas: (d("beta1", 0.9), d("beta2", 0.999)), eps: d("eps", 1e-8),
                        weightDecay: d("weightDecay", 0), amsgrad: b("amsgrad"), groups: pg)
    default:
        return try AdamW(lr: d("lr", 1e-3), betas: (d("beta1", 0.9), d("beta2", 0.999)), eps: d("eps", 1e-8),
                         weightDecay: d("weightDecay", 0.01), amsgrad: b("amsgrad"), noDecay: s("noDecay"), decay: s("decay"),
                         groups: pg)
    }
}

/// A committed fixture that is not in the test bundle: a failure, never a skip.
struct MissingFixture: Error, CustomStringConvertible {
    var name: String
    var description: String { "missing Fixtures/\(name).json: run tools/goldens/\(name).py" }
}
