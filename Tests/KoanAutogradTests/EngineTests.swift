import Foundation
import KoanTensor
import XCTest
@testable import KoanAutograd

final class EngineTests: XCTestCase {
    func testNoGradRecordsNothing() throws {
        let x = Tensor(try values([3], seed: 1), requiresGrad: true)
        let y = try noGrad { try (x * x).sum() }
        XCTAssertFalse(y.requiresGrad)
        XCTAssertNil(y.node)
        XCTAssertTrue(try (x * x).requiresGrad)
        let z = try noGrad { try withGrad { try x * 2 } }
        XCTAssertTrue(z.requiresGrad)
        // tensors without grad create no node even with grad mode on
        let c = Tensor(try values([3], seed: 2))
        XCTAssertNil(try (c * c + 1).unary(.exp).node)
        // valueAndGrad works inside noGrad (it turns recording on for f)
        let g = try noGrad { try grad({ x in try (x * x).sum() }, at: x) }
        XCTAssertEqual(g.doubles(), try (x.data * 2).doubles())
    }

    func testNoGradIsTaskLocal() async throws {
        let x = Tensor(try values([2], seed: 3), requiresGrad: true)
        let inside = try noGrad { try (x * 2).requiresGrad }
        XCTAssertFalse(inside)
        let other = try await Task.detached { try (x * 2).requiresGrad }.value
        XCTAssertTrue(other)
        let child = try await noGrad {
            async let inner = Task { try (x * 2).requiresGrad }.value
            return try await inner
        }
        XCTAssertFalse(child)
    }

    func testDeepChainBackward() throws {
        let x = Tensor(try NDArray(values: [1], shape: [1], dtype: .float64))
        let (v, g) = try valueAndGrad({ x in
            var y = x
            for _ in 0..<100_000 { y = try y * 1.00001 }
            return try y.sum()
        }, at: x)
        let expected = Foundation.pow(1.00001, 100_000.0)
        XCTAssertEqual(try v.item(), expected, accuracy: 1e-9)
        XCTAssertEqual(try g.item(), expected, accuracy: 1e-9)
    }

    func testDeepChainFreedWithoutBackward() throws {
        // dropping a long un-differentiated graph must not recurse in deinit
        var y = Tensor(try NDArray.ones([1], dtype: .float64), requiresGrad: true)
        for _ in 0..<100_000 { y = try y + 1 }
        XCTAssertEqual(try y.item(), 100_001)
        y = Tensor(try NDArray.zeros([1]))
        XCTAssertFalse(y.requiresGrad)
    }

    func testGraphFreedAfterBackward() throws {
        weak var weakNode: Node?
        weak var weakLeaf: Node?
        let x = Tensor(try values([4], seed: 4))
        let (_, g) = try valueAndGrad({ x in
            let y = try x.unary(.exp) * x
            weakNode = y.node
            weakLeaf = x.node
            return try y.sum()
        }, at: x)
        XCTAssertNil(weakNode)
        XCTAssertNil(weakLeaf)
        XCTAssertEqual(g.shape, [4])

        // general backward: saved arrays are released while the user still holds the output
        let a = Tensor(try values([4], seed: 5), requiresGrad: true)
        let h = try a * a
        let out = try h.sum()
        _ = try backward(out, wrt: [a])
        XCTAssertNil(h.node?.backward)
        XCTAssertThrowsError(try backward(out, wrt: [a])) { e in
            guard case TensorError.invalidArgument(op: "backward", _) = e else { return XCTFail("\(e)") }
        }
        // retainGraph keeps it usable
        let out2 = try (a * a).sum()
        let g1 = try backward(out2, wrt: [a], retainGraph: true)
        let g2 = try backward(out2, wrt: [a])
        XCTAssertEqual(g1[0].doubles(), g2[0].doubles())
    }

    func testNonScalarOutputThrows() throws {
        let x = Tensor(try values([2, 3], seed: 6))
        XCTAssertThrowsError(try valueAndGrad({ x in try x * 2 }, at: x)) { e in
            guard case let TensorError.invalidArgument(op, message) = e else { return XCTFail("\(e)") }
            XCTAssertEqual(op, "valueAndGrad")
            XCTAssertTrue(message.contains("[2, 3]"), message)
        }
        let y = try Tensor(x.data, requiresGrad: true) * 2
        XCTAssertThrowsError(try backward(y, wrt: []))
        XCTAssertThrowsError(try backward(y, seed: try NDArray.ones([3]), wrt: []))
    }

    func testBackwardWithSeedAndIntermediateTargets() throws {
        let x = Tensor(try values([2, 3], seed: 7), requiresGrad: true)
        let h = try x * 3
        let y = try h.unary(.square)
        let seed = try values([2, 3], seed: 8)
        let gs = try backward(y, seed: seed, wrt: [x, h])
        let gh = try seed * h.data * 2
        XCTAssertLessThan(relativeError(gs[1].doubles(), gh.doubles()), 1e-12)
        XCTAssertLessThan(relativeError(gs[0].doubles(), try (gh * 3).doubles()), 1e-12)
    }

    func testUnusedAndIntegerInputsGetZeros() throws {
        let a = Tensor(try values([3], seed: 9))
        let b = Tensor(try values([2, 2], seed: 10, dtype: .float32))
        let i = Tensor(try NDArray(ints: [1, 2, 3], shape: [3]))
        let (v, gs) = try valueAndGrad({ xs in try (xs[0] * xs[2]).sum() }, at: [a, b, i])
        XCTAssertEqual(try v.item(), try (a.data * i.data).sum().item(), accuracy: 1e-12)
        XCTAssertFalse(v.requiresGrad)
        XCTAssertEqual(gs[0].doubles(), [1, 2, 3])
        XCTAssertEqual(gs[1].shape, [2, 2])
        XCTAssertEqual(gs[1].dtype, .float32)
        XCTAssertEqual(gs[1].doubles(), [0, 0, 0, 0])
        XCTAssertEqual(gs[2].dtype, .int64)
        XCTAssertEqual(gs[2].doubles(), [0, 0, 0])
        XCTAssertFalse(Tensor(i.data, requiresGrad: true).requiresGrad)
        XCTAssertFalse(gs.contains { $0.requiresGrad })
    }

    func testReusedTensorAccumulates() throws {
        let x = Tensor(try NDArray(values: [2], shape: [], dtype: .float64))
        let (v, g) = try valueAndGrad({ x in
            let y = try x * x          // x used twice
            return try y * x + y       // y used twice
        }, at: x)
        XCTAssertEqual(try v.item(), 12)
        XCTAssertEqual(try g.item(), 16)   // 3x² + 2x
    }

    func testCreationStaticsAndProperties() throws {
        let z = try Tensor.zeros([2, 3])
        XCTAssertEqual(z.shape, [2, 3])
        XCTAssertEqual(z.dtype, .float32)
        XCTAssertFalse(z.requiresGrad)
        let r = try Tensor.randn([4], key: RandomKey(seed: 1), dtype: .float64)
        XCTAssertEqual(r.doubles(), try NDArray.randn([4], key: RandomKey(seed: 1), dtype: .float64).doubles())
        XCTAssertEqual(try Tensor.ones([2]).doubles(), [1, 1])
        XCTAssertEqual(try Tensor.full([2], value: 3).doubles(), [3, 3])
        XCTAssertEqual(try Tensor.scalar(4).item(), 4)
        XCTAssertEqual(try Tensor(values: [1, 2], shape: [2]).doubles(), [1, 2])
        XCTAssertEqual(try Tensor(ints: [1, 2], shape: [2]).dtype, .int64)
        XCTAssertEqual(try Tensor.arange(start: 0, end: 3, dtype: .int64).ints(), [0, 1, 2])
        XCTAssertEqual(try Tensor.linspace(start: 0, end: 1, count: 3).doubles(), [0, 0.5, 1])
        XCTAssertEqual(try Tensor.eye(2).doubles(), [1, 0, 0, 1])
        XCTAssertEqual(try Tensor.rand([3], key: RandomKey(seed: 2)).shape, [3])
        XCTAssertEqual(try Tensor.randint(low: 0, high: 5, shape: [3], key: RandomKey(seed: 3)).dtype, .int64)
        XCTAssertEqual(try Tensor.bernoulli([3], p: 0.5, key: RandomKey(seed: 4)).shape, [3])
        XCTAssertEqual(try Tensor.randperm(4, key: RandomKey(seed: 5)).ints().sorted(), [0, 1, 2, 3])
        let w = Tensor(try values([2], seed: 11), requiresGrad: true)
        XCTAssertTrue(w.isLeaf)
        let y = try w * 2
        XCTAssertFalse(y.isLeaf)
        XCTAssertFalse(y.detached().requiresGrad)
        XCTAssertTrue(y.detached().requiringGrad().isLeaf)
    }

    func testIntegerScalarOperators() throws {
        let i = Tensor(try NDArray(ints: [1, 2], shape: [2]))
        XCTAssertEqual(try (i + 1).dtype, .int64)
        let x = try values([3], seed: 12)
        try checkGradients([x]) { xs in try wsum(2 * xs[0] + 1 - (3 - xs[0]) / 2 * (xs[0] / 4)) }
    }
}
