import KoanTensor
import XCTest
@testable import KoanAutograd

final class ElementwiseGradTests: XCTestCase {
    func testUnaryOps() throws {
        let positive: Set<UnaryOp> = [.log, .sqrt, .rsqrt, .log2, .reciprocal, .log1p]
        let noGradOps: Set<UnaryOp> = [.sign, .floor, .ceil, .round, .logicalNot]
        for op in UnaryOp.allCases where !noGradOps.contains(op) {
            let x = try values([3, 4], seed: 1, offset: positive.contains(op) ? 2 : 0)
            try checkGradients([x]) { xs in try wsum(xs[0].unary(op)) }
            // non-contiguous input: the op sees a transposed view
            try checkGradients([x]) { xs in try wsum(xs[0].transposed().unary(op)) }
        }
    }

    func testNonDifferentiableUnaryHaveNoHistory() throws {
        let x = Tensor(try values([4], seed: 2), requiresGrad: true)
        for op in [UnaryOp.sign, .floor, .ceil, .round] {
            let y = try x.unary(op)
            XCTAssertFalse(y.requiresGrad, "\(op)")
        }
        XCTAssertTrue(try x.unary(.exp).requiresGrad)
    }

    func testBinaryOpsWithBroadcasting() throws {
        let ops: [BinaryOp] = [.add, .sub, .mul, .div, .pow, .maximum, .minimum, .mod, .fmod, .atan2]
        let shapes: [([Int], [Int])] = [([3, 4], [3, 4]), ([3, 1], [4]), ([2, 3, 4], [3, 1]), ([4], [2, 1, 4]), ([], [2, 3])]
        for op in ops {
            for (k, (sa, sb)) in shapes.enumerated() {
                let positive = op == .pow || op == .div || op == .mod || op == .fmod
                let a = try values(sa, seed: UInt64(10 + k), offset: positive ? 2 : 0)
                let b = try values(sb, seed: UInt64(20 + k), offset: positive ? 1.5 : 0.1)
                try checkGradients([a, b]) { xs in try wsum(Tensor.binary(op, xs[0], xs[1])) }
            }
            // transposed operand
            let a = try values([4, 3], seed: 30, offset: 2)
            let b = try values([3, 4], seed: 31, offset: 1.5)
            try checkGradients([a, b]) { xs in try wsum(Tensor.binary(op, xs[0].transposed(), xs[1])) }
        }
    }

    func testBinaryWithOneInputRequiringGrad() throws {
        let a = try values([3, 4], seed: 5)
        let b = try values([4], seed: 6, offset: 2)
        let (_, g) = try valueAndGrad({ x in try wsum(x / Tensor(b)) }, at: Tensor(a))
        let expected = try wsum(Tensor(try NDArray.ones([3, 4], dtype: .float64)) / Tensor(b))
        XCTAssertEqual(g.shape, [3, 4])
        XCTAssertEqual(try g.sum().item(), try expected.item(), accuracy: 1e-12)
    }

    func testComparisonsHaveNoHistory() throws {
        let a = Tensor(try values([3], seed: 1), requiresGrad: true)
        let b = Tensor(try values([3], seed: 2), requiresGrad: true)
        for op in [BinaryOp.eq, .ne, .lt, .le, .gt, .ge, .floorDiv] {
            XCTAssertFalse(try Tensor.binary(op, a, b).requiresGrad, "\(op)")
        }
        XCTAssertTrue(try Tensor.binary(.add, a, b).requiresGrad)
    }

    func testScalarOps() throws {
        let ops: [BinaryOp] = [.add, .sub, .mul, .div, .pow, .maximum, .minimum, .mod, .fmod, .atan2]
        for op in ops {
            for onLeft in [false, true] {
                let x = try values([2, 3], seed: 40, offset: 2)
                try checkGradients([x]) { xs in
                    try wsum(Tensor.binary(op, xs[0], scalar: 1.7, scalarIsFloat: true, scalarOnLeft: onLeft))
                }
            }
        }
        // maximum against a scalar inside the data range
        let x = try values([6], seed: 41)
        try checkGradients([x]) { xs in try wsum(Tensor.binary(.maximum, xs[0], scalar: 0.05, scalarIsFloat: true)) }
    }

    func testOperators() throws {
        let a = try values([2, 3], seed: 50, offset: 2)
        let b = try values([3], seed: 51, offset: 2)
        try checkGradients([a, b]) { xs in
            let (x, y) = (xs[0], xs[1])
            let t1 = try (x + y) * (x - y)
            let t2 = try t1 / y + 2 * x - x / 3 + (1 / x) - (2 - y) + (x * 0.5) + (1.5 + x) - (x - 0.25)
            return try wsum(-t2)
        }
    }

    func testWhereAndClamp() throws {
        let c = try NDArray.binary(.gt, try values([3, 4], seed: 60), scalar: 0, scalarIsFloat: true)
        let a = try values([3, 4], seed: 61)
        let b = try values([4], seed: 62)
        try checkGradients([a, b]) { xs in try wsum(Tensor.where(Tensor(c), xs[0], xs[1])) }
        let x = try values([5, 4], seed: 63)
        try checkGradients([x]) { xs in try wsum(xs[0].clamp(min: -0.3, max: 0.4)) }
        try checkGradients([x]) { xs in try wsum(xs[0].clamp(min: nil, max: 0.1)) }
        try checkGradients([x]) { xs in try wsum(xs[0].transposed().clamp(min: 0, max: nil)) }
    }

    func testDtypeConversion() throws {
        let x = try values([4], seed: 70)
        try checkGradients([x]) { xs in try wsum(xs[0].to(.float64).contiguous()) }
        let (_, g) = try valueAndGrad({ x in try x.to(.float32).sum() }, at: Tensor(x))
        XCTAssertEqual(g.dtype, .float64)
        XCTAssertEqual(g.doubles(), [1, 1, 1, 1])
        // mixed dtypes: each gradient comes back in its input's dtype
        let a = try values([3], seed: 71, dtype: .float32)
        let b = try values([3], seed: 72, dtype: .float64)
        let (_, gs) = try valueAndGrad({ xs in try (xs[0] * xs[1]).sum() }, at: [Tensor(a), Tensor(b)])
        XCTAssertEqual(gs[0].dtype, .float32)
        XCTAssertEqual(gs[1].dtype, .float64)
        XCTAssertLessThan(relativeError(gs[0].doubles(), b.doubles()), 1e-6)
    }
}
