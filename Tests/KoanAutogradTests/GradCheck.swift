import KoanTensor
import XCTest
@testable import KoanAutograd

/// Deterministic test values in [offset - scale, offset + scale] (a small LCG, independent
/// of the library's random generator).
func values(_ shape: [Int], seed: UInt64, dtype: DType = .float64, scale: Double = 1, offset: Double = 0) throws -> NDArray {
    var state = seed &* 6364136223846793005 &+ 1442695040888963407
    let n = shape.reduce(1, *)
    var v: [Double] = []
    v.reserveCapacity(n)
    for _ in 0..<n {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        let u = Double(state >> 11) / Double(1 << 53)
        v.append(offset + scale * (2 * u - 1))
    }
    return try NDArray(values: v, shape: shape, dtype: dtype)
}

/// A scalar that depends on every element with a different weight, so that gradient
/// errors (wrong positions, wrong reductions) show up.
func wsum(_ t: Tensor) throws -> Tensor {
    let w = try values(t.shape, seed: 4242 &+ UInt64(t.count), dtype: t.dtype.isFloatingPoint ? t.dtype : .float64, offset: 0.3)
    return try (t * Tensor(w)).sum()
}

private func norm(_ v: [Double]) -> Double { v.reduce(0) { $0 + $1 * $1 }.squareRoot() }

/// Relative error ||a - b|| / max(||a||, ||b||); 0 when both are (numerically) zero.
func relativeError(_ a: [Double], _ b: [Double]) -> Double {
    let d = norm(zip(a, b).map { $0 - $1 })
    let s = max(norm(a), norm(b))
    return s < 1e-12 ? d : d / s
}

/// Checks the backward of `f` at float64 `inputs` against central finite differences
/// (relative error ≤ `tol`), then checks that the float32 path gives the float64 gradient
/// (relative error ≤ `tol32`). Inputs listed in `constant` are not perturbed (index tensors).
func checkGradients(_ inputs: [NDArray], tol: Double = 1e-4, tol32: Double = 2e-3, eps: Double = 1e-6,
                    constant: Set<Int> = [], check32: Bool = true,
                    file: StaticString = #filePath, line: UInt = #line,
                    _ f: ([Tensor]) throws -> Tensor) throws {
    let xs = inputs.map { Tensor($0) }
    let (value, grads) = try valueAndGrad(f, at: xs)
    XCTAssertEqual(value.count, 1, file: file, line: line)
    for (i, x) in inputs.enumerated() where !constant.contains(i) {
        XCTAssertEqual(grads[i].shape, x.shape, "gradient shape of input \(i)", file: file, line: line)
        XCTAssertEqual(grads[i].dtype, x.dtype, "gradient dtype of input \(i)", file: file, line: line)
        let base = x.doubles()
        var numeric: [Double] = []
        for j in 0..<base.count {
            let h = eps * max(1, abs(base[j]))
            var plus = base, minus = base
            plus[j] += h
            minus[j] -= h
            var argsP = xs, argsM = xs
            argsP[i] = Tensor(try NDArray(values: plus, shape: x.shape, dtype: x.dtype))
            argsM[i] = Tensor(try NDArray(values: minus, shape: x.shape, dtype: x.dtype))
            let fp = try noGrad { try f(argsP).item() }
            let fm = try noGrad { try f(argsM).item() }
            numeric.append((fp - fm) / (2 * h))
        }
        let analytic = grads[i].doubles()
        let err = relativeError(analytic, numeric)
        XCTAssertLessThanOrEqual(err, tol, "input \(i): analytic \(analytic) vs numeric \(numeric)", file: file, line: line)
    }
    guard check32 else { return }
    let xs32 = try inputs.map { Tensor($0.dtype == .float64 ? try $0.to(.float32) : $0) }
    let (value32, grads32) = try valueAndGrad(f, at: xs32)
    XCTAssertLessThanOrEqual(relativeError([try value32.item()], [try value.item()]), tol32, "float32 value", file: file, line: line)
    for (i, x) in inputs.enumerated() where !constant.contains(i) {
        XCTAssertEqual(grads32[i].dtype, x.dtype == .float64 ? .float32 : x.dtype, file: file, line: line)
        let err = relativeError(grads32[i].doubles(), grads[i].doubles())
        XCTAssertLessThanOrEqual(err, tol32, "float32 gradient of input \(i)", file: file, line: line)
    }
}
