import Foundation
import KoanTensor
import XCTest

/// Golden cases written by `tools/goldens/<area>.py` into `Fixtures/<area>.json`:
///
///     {"cases": [{"name": "add/broadcast", "op": "add", "args": {...},
///                 "inputs": [T, ...], "outputs": [T, ...]}]}
///     T = {"dtype": "float32", "shape": [2, 3], "data": [1.0, "nan", "inf", "-inf", ...]}
///       | {"dtype": "bfloat16", "shape": [4], "bits": [16256, ...]}   // exact 16-bit patterns
///
/// Floats are written with Python's `repr` (exact for float32 and float64); non-finite
/// values as the strings "nan", "inf", "-inf". `args` is free-form JSON per op.
struct GoldenCase {
    let name: String
    let op: String
    let args: [String: Any]
    let inputs: [NDArray]
    let outputs: [NDArray]

    func int(_ key: String) -> Int? { (args[key] as? NSNumber)?.intValue }
    func double(_ key: String) -> Double? { (args[key] as? NSNumber)?.doubleValue }
    func bool(_ key: String) -> Bool? { (args[key] as? NSNumber)?.boolValue }
    func ints(_ key: String) -> [Int]? { (args[key] as? [NSNumber])?.map(\.intValue) }
    func string(_ key: String) -> String? { args[key] as? String }
}

enum GoldenFixture {
    static func load(_ area: String, file: StaticString = #filePath, line: UInt = #line) throws -> [GoldenCase] {
        guard let url = Bundle.module.url(forResource: area, withExtension: "json", subdirectory: "Fixtures") else {
            XCTFail("missing fixture Fixtures/\(area).json: run tools/goldens/\(area).py", file: file, line: line)
            return []
        }
        let root = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any]
        let cases = root?["cases"] as? [[String: Any]] ?? []
        return try cases.map { c in
            GoldenCase(
                name: c["name"] as? String ?? "?",
                op: c["op"] as? String ?? "?",
                args: c["args"] as? [String: Any] ?? [:],
                inputs: try (c["inputs"] as? [[String: Any]] ?? []).map(array),
                outputs: try (c["outputs"] as? [[String: Any]] ?? []).map(array))
        }
    }

    static func array(_ t: [String: Any]) throws -> NDArray {
        let dtype = DType(rawValue: t["dtype"] as? String ?? "") ?? .float32
        let shape = (t["shape"] as? [NSNumber] ?? []).map(\.intValue)
        let out = try NDArray(shape: shape, dtype: dtype, zeroed: true)
        if let bits = t["bits"] as? [NSNumber] {
            let p = out.pointer(as: UInt16.self)
            for (i, b) in bits.enumerated() { p[i] = b.uint16Value }
        } else if let data = t["data"] as? [Any] {
            for (i, v) in data.enumerated() {
                if let s = v as? String {
                    out.storeDouble(s == "nan" ? .nan : s == "inf" ? .infinity : -.infinity, at: i)
                } else if let n = v as? NSNumber {
                    if dtype.isFloatingPoint { out.storeDouble(n.doubleValue, at: i) } else { out.storeInt(n.int64Value, at: i) }
                }
            }
        }
        return out
    }
}

/// Asserts two arrays have the same shape and dtype and values equal within `rtol`/`atol`
/// (NaN equals NaN); prints both on failure.
func assertClose(_ actual: NDArray, _ expected: NDArray, rtol: Double = 1e-5, atol: Double = 1e-6,
                 checkDType: Bool = true, _ message: String = "", file: StaticString = #filePath, line: UInt = #line) {
    guard actual.shape == expected.shape else {
        XCTFail("\(message): shape \(actual.shape) != expected \(expected.shape)", file: file, line: line)
        return
    }
    if checkDType && actual.dtype != expected.dtype {
        XCTFail("\(message): dtype \(actual.dtype) != expected \(expected.dtype)", file: file, line: line)
        return
    }
    let a = actual.doubles(), e = expected.doubles()
    for i in 0..<a.count {
        let x = a[i], y = e[i]
        if x.isNaN && y.isNaN { continue }
        if x == y { continue }
        if abs(x - y) > atol + rtol * abs(y) || x.isNaN || y.isNaN {
            XCTFail("\(message): element \(i): \(x) != expected \(y)\nactual:   \(a.prefix(20))\nexpected: \(e.prefix(20))", file: file, line: line)
            return
        }
    }
}
