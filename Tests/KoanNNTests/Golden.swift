import Foundation
import KoanAutograd
import KoanTensor
import XCTest

/// One case of Fixtures/nn_modules.json (written by tools/goldens/nn_modules.py; see its
/// docstring for the format).
struct NNGolden {
    let name: String
    let kind: String
    let args: [String: Any]
    let params: [String: NDArray]
    let buffers: [String: NDArray]
    let buffersAfter: [String: NDArray]
    let inputs: [NDArray]
    let outputs: [NDArray]
    let grads: [NDArray]
    let seed: NDArray?

    func int(_ k: String) -> Int? { (args[k] as? NSNumber)?.intValue }
    func double(_ k: String) -> Double? { (args[k] as? NSNumber)?.doubleValue }
    func ints(_ k: String) -> [Int]? { (args[k] as? [NSNumber])?.map(\.intValue) }
    func string(_ k: String) -> String? { args[k] as? String }

    static func array(_ any: Any?) throws -> NDArray {
        guard let d = any as? [String: Any], let shape = (d["shape"] as? [NSNumber])?.map(\.intValue),
              let dtype = d["dtype"] as? String, let data = d["data"] as? [NSNumber] else {
            throw TensorError.invalidArgument(op: "golden", message: "bad tensor entry")
        }
        if dtype == "int64" { return try NDArray(ints: data.map(\.int64Value), shape: shape) }
        return try NDArray(values: data.map(\.doubleValue), shape: shape, dtype: .float32)
    }

    static func dict(_ any: Any?) throws -> [String: NDArray] {
        guard let d = any as? [String: Any] else { return [:] }
        return try d.mapValues { try array($0) }
    }

    static func loadAll(file: StaticString = #filePath, line: UInt = #line) throws -> [String: NNGolden] {
        guard let url = Bundle.module.url(forResource: "nn_modules", withExtension: "json", subdirectory: "Fixtures") else {
            XCTFail("missing Fixtures/nn_modules.json: run tools/goldens/nn_modules.py", file: file, line: line)
            return [:]
        }
        let root = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any]
        var out: [String: NNGolden] = [:]
        for c in root?["cases"] as? [[String: Any]] ?? [] {
            let g = NNGolden(
                name: c["name"] as? String ?? "?", kind: c["kind"] as? String ?? "?",
                args: c["args"] as? [String: Any] ?? [:],
                params: try dict(c["params"]), buffers: try dict(c["buffers"]), buffersAfter: try dict(c["buffers_after"]),
                inputs: try (c["inputs"] as? [Any] ?? []).map { try array($0) },
                outputs: try (c["outputs"] as? [Any] ?? []).map { try array($0) },
                grads: try (c["grads"] as? [Any] ?? []).map { try array($0) },
                seed: c["seed"] == nil ? nil : try array(c["seed"]))
            out[g.name] = g
        }
        return out
    }
}

func assertClose(_ a: NDArray, _ b: NDArray, rtol: Double = 1e-5, atol: Double = 1e-5, _ msg: String = "",
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.shape, b.shape, "shape \(msg)", file: file, line: line)
    guard a.shape == b.shape else { return }
    let x = a.doubles(), y = b.doubles()
    var worst = 0.0, at = -1
    for i in 0..<x.count {
        let err = abs(x[i] - y[i]) - (atol + rtol * abs(y[i]))
        if err > worst || (x[i].isNaN != y[i].isNaN) { worst = Swift.max(err, 1); at = i }
    }
    if at >= 0 { XCTFail("\(msg): element \(at): \(x[at]) vs \(y[at])", file: file, line: line) }
}
