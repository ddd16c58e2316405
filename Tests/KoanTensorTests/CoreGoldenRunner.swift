import Foundation
import KoanTensor
import XCTest

/// Runs the cases of `Fixtures/core.json` (written by tools/goldens/core.py).
enum CoreGoldens {
    nonisolated(unsafe) static let cases: [GoldenCase] = (try? GoldenFixture.load("core")) ?? []

    static func generated(_ shape: [Int]) throws -> NDArray {
        let n = shape.reduce(1, *)
        return try NDArray(values: (0..<n).map { Double((($0 * 7919) % 1000) - 500) / 128 }, shape: shape)
    }

    static func items(_ c: GoldenCase, extra: ArraySlice<NDArray>) -> [IndexItem] {
        var rest = extra
        let raw = c.args["items"] as? [[String: Any]] ?? []
        return raw.map { d in
            let t = d["t"] as? String ?? ""
            func opt(_ k: String) -> Int? { (d[k] as? NSNumber)?.intValue }
            switch t {
            case "index": return .index(opt("i") ?? 0)
            case "range": return .range(start: opt("start"), end: opt("end"), step: opt("step") ?? 1)
            case "newAxis": return .newAxis
            case "mask": return .mask(rest.popFirst()!)
            case "gather": return .gather(rest.popFirst()!)
            default: return .all
            }
        }
    }

    static func run(_ c: GoldenCase) throws -> [NDArray] {
        var inputs = c.inputs
        if let g = c.ints("generated") { inputs.insert(try generated(g), at: 0) }
        if c.bool("transpose_input") == true { inputs[0] = inputs[0].transposed() }
        let x = inputs.first
        switch c.op {
        case "unary": return [try x!.unary(UnaryOp(rawValue: c.string("op")!)!)]
        case "binary": return [try NDArray.binary(BinaryOp(rawValue: c.string("op")!)!, inputs[0], inputs[1])]
        case "binary_scalar":
            return [try NDArray.binary(BinaryOp(rawValue: c.string("op")!)!, x!, scalar: c.double("scalar")!,
                                       scalarIsFloat: c.bool("scalarIsFloat")!, scalarOnLeft: c.bool("scalarOnLeft")!)]
        case "where": return [try NDArray.where(inputs[0], inputs[1], inputs[2])]
        case "clamp": return [try x!.clamp(min: c.double("min"), max: c.double("max"))]
        case "reduce":
            return [try x!.reduce(ReduceOp(rawValue: c.string("op")!)!, axes: c.ints("axes"), keepdims: c.bool("keepdims")!)]
        case "variance": return [try x!.variance(axes: c.ints("axes"), correction: c.int("correction")!, keepdims: c.bool("keepdims")!)]
        case "std": return [try x!.std(axes: c.ints("axes"), correction: c.int("correction")!, keepdims: c.bool("keepdims")!)]
        case "cumsum": return [try x!.cumsum(axis: c.int("axis")!)]
        case "sort":
            return [try x!.sorted(axis: c.int("axis")!, descending: c.bool("descending")!),
                    try x!.argsort(axis: c.int("axis")!, descending: c.bool("descending")!)]
        case "topk":
            let r = try x!.topk(c.int("k")!, axis: c.int("axis")!, largest: c.bool("largest")!)
            return [r.values, r.indices]
        case "reshape": return [try x!.reshaped(c.ints("shape")!)]
        case "flatten": return [try x!.flattened()]
        case "permute": return [try x!.permuted(c.ints("axes")!)]
        case "transpose2": return [try x!.transposed(c.int("a")!, c.int("b")!)]
        case "squeeze": return [try x!.squeezed(axis: c.int("axis"))]
        case "unsqueeze": return [try x!.unsqueezed(axis: c.int("axis")!)]
        case "concat": return [try NDArray.concat(inputs, axis: c.int("axis")!)]
        case "stack": return [try NDArray.stack(inputs, axis: c.int("axis")!)]
        case "split": return try x!.split(sizes: c.ints("sizes")!, axis: c.int("axis")!)
        case "split_size": return try x!.split(size: c.int("size")!, axis: c.int("axis")!)
        case "chunk": return try x!.chunk(c.int("n")!, axis: c.int("axis")!)
        case "repeat": return [try x!.repeated(c.ints("reps")!)]
        case "pad":
            let w = (c.args["widths"] as? [[NSNumber]] ?? []).map { ($0[0].intValue, $0[1].intValue) }
            return [try x!.padded(w, value: c.double("value") ?? 0)]
        case "slice": return [try x!.sliced(axis: c.int("axis")!, start: c.int("start")!, end: c.int("end")!, step: c.int("step")!)]
        case "broadcast": return [try x!.broadcast(to: c.ints("shape")!)]
        case "index": return [try x!.index(items(c, extra: inputs[1...]))]
        case "assign":
            var y = x!
            try y.assign(items(c, extra: inputs[2...]), inputs[1])
            return [y]
        case "gather": return [try x!.gather(axis: c.int("axis")!, indices: inputs[1])]
        case "indexSelect": return [try x!.indexSelect(axis: c.int("axis")!, indices: inputs[1])]
        case "scatterAdd": return [try NDArray.scatterAdd(into: c.ints("shape")!, axis: c.int("axis")!, indices: inputs[0], source: inputs[1])]
        case "arange":
            return [try NDArray.arange(start: c.double("start")!, end: c.double("end")!, step: c.double("step")!, dtype: DType(rawValue: c.string("dtype")!)!)]
        case "linspace":
            return [try NDArray.linspace(start: c.double("start")!, end: c.double("end")!, count: c.int("count")!, dtype: DType(rawValue: c.string("dtype")!)!)]
        case "eye": return [try NDArray.eye(c.int("n")!, c.int("m"), dtype: DType(rawValue: c.string("dtype")!)!)]
        default:
            XCTFail("unknown golden op \(c.op)")
            return []
        }
    }

    static func tolerance(_ d: DType) -> (Double, Double) {
        switch d {
        case .float32: (2e-5, 1e-6)
        case .float64: (1e-10, 1e-12)
        case .float16: (1.5e-3, 1e-4)
        case .bfloat16: (1e-2, 1e-3)
        default: (0, 0)
        }
    }

    /// Checks every case whose op is in `ops`; returns the number checked.
    @discardableResult
    static func check(ops: Set<String>, file: StaticString = #filePath, line: UInt = #line) -> Int {
        var n = 0
        for c in cases where ops.contains(c.op) {
            n += 1
            do {
                let got = try run(c)
                guard got.count == c.outputs.count else {
                    XCTFail("\(c.name): \(got.count) outputs, expected \(c.outputs.count)", file: file, line: line)
                    continue
                }
                for (g, e) in zip(got, c.outputs) {
                    let (rtol, atol) = tolerance(e.dtype)
                    assertClose(g, e, rtol: rtol, atol: atol, c.name, file: file, line: line)
                }
            } catch {
                XCTFail("\(c.name): threw \(error)", file: file, line: line)
            }
        }
        XCTAssertGreaterThan(n, 0, "no golden cases for \(ops)", file: file, line: line)
        print("golden cases checked for \(ops.sorted()): \(n)")
        return n
    }
}
