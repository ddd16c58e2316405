import Foundation
import KoanTensor
import XCTest

/// Bit-exact 16-bit float conversions against NumPy (float16) and ml_dtypes (bfloat16);
/// fixtures from tools/goldens/halffloat.py.
final class HalfFloatTests: XCTestCase {
    nonisolated(unsafe) static let cases: [GoldenCase] = (try? GoldenFixture.load("halffloat")) ?? []

    func hex(_ c: GoldenCase, _ key: String) -> [UInt64] {
        (c.args[key] as? [String] ?? []).map { UInt64($0, radix: 16)! }
    }

    /// Compares 16-bit patterns; NaN matches NaN of the same sign (payload differences are counted).
    func compare16(_ name: String, _ got: [UInt16], _ want: [UInt16], src: [UInt64], isHalf: Bool) -> Int {
        var payloadDiffs = 0
        for i in 0..<want.count where got[i] != want[i] {
            let expMask: UInt16 = isHalf ? 0x7C00 : 0x7F80
            let mantMask: UInt16 = isHalf ? 0x03FF : 0x007F
            let gNaN = got[i] & expMask == expMask && got[i] & mantMask != 0
            let wNaN = want[i] & expMask == expMask && want[i] & mantMask != 0
            if gNaN && wNaN && (got[i] & 0x8000) == (want[i] & 0x8000) {
                if payloadDiffs < 3 { print("\(name): NaN payload: source \(String(src[i], radix: 16)) gave \(String(got[i], radix: 16)), reference \(String(want[i], radix: 16))") }
                payloadDiffs += 1
                continue
            }
            XCTFail("\(name): source bits \(String(src[i], radix: 16)) gave \(String(got[i], radix: 16)), expected \(String(want[i], radix: 16))")
            return payloadDiffs
        }
        return payloadDiffs
    }

    func testNarrowingConversions() throws {
        var checked = 0
        for c in Self.cases where ["f32_to_f16", "f32_to_bf16", "f64_to_f16", "f64_to_bf16"].contains(c.op) {
            let src = hex(c, "src_bits")
            let want = c.outputs[0]
            let wantBits = (0..<want.count).map { want.pointer(as: UInt16.self)[$0] }
            let wide: NDArray
            if c.op.hasPrefix("f32") {
                wide = try NDArray(shape: [src.count], dtype: .float32)
                for (i, b) in src.enumerated() { wide.pointer(as: UInt32.self)[i] = UInt32(b) }
            } else {
                wide = try NDArray(shape: [src.count], dtype: .float64)
                for (i, b) in src.enumerated() { wide.pointer(as: UInt64.self)[i] = b }
            }
            let isHalf = c.op.hasSuffix("f16") && !c.op.hasSuffix("bf16")
            // 1. NDArray.to
            let narrow = try wide.to(isHalf ? .float16 : .bfloat16)
            let got = (0..<narrow.count).map { narrow.pointer(as: UInt16.self)[$0] }
            let d1 = compare16("\(c.name) NDArray.to", got, wantBits, src: src, isHalf: isHalf)
            // 2. HalfFloat directly
            let direct: [UInt16] = src.map { b in
                if c.op.hasPrefix("f32") {
                    let f = Float(bitPattern: UInt32(b))
                    return isHalf ? HalfFloat.float16Bits(f) : HalfFloat.bfloat16Bits(f)
                }
                let d = Double(bitPattern: b)
                return isHalf ? HalfFloat.float16Bits(d) : HalfFloat.bfloat16Bits(d)
            }
            let d2 = compare16("\(c.name) HalfFloat", direct, wantBits, src: src, isHalf: isHalf)
            if d1 + d2 > 0 { print("\(c.name): \(d1) + \(d2) NaN results differ only in payload") }
            checked += 1
        }
        XCTAssertEqual(checked, 4)
    }

    func testWideningConversions() throws {
        var checked = 0
        for c in Self.cases where c.op == "f16_to_f32" || c.op == "bf16_to_f32" {
            let src = (c.args["src_bits16"] as? [NSNumber] ?? []).map(\.uint16Value)
            let want = hex(c, "expected_bits").map { UInt32($0) }
            let isHalf = c.op == "f16_to_f32"
            let narrow = try NDArray(shape: [src.count], dtype: isHalf ? .float16 : .bfloat16)
            for (i, b) in src.enumerated() { narrow.pointer(as: UInt16.self)[i] = b }
            let wide = try narrow.to(.float32)
            let wide64 = try narrow.to(.float64)
            var payloadDiffs = 0
            for i in 0..<src.count {
                let got = wide.pointer(as: UInt32.self)[i]
                let direct = (isHalf ? HalfFloat.float(float16: src[i]) : HalfFloat.float(bfloat16: src[i])).bitPattern
                let g64 = wide64.pointer(as: Double.self)[i]
                let w = Float(bitPattern: want[i])
                if w.isNaN {
                    XCTAssertTrue(Float(bitPattern: got).isNaN && Float(bitPattern: got).sign == w.sign, "\(c.name) \(src[i])")
                    XCTAssertTrue(g64.isNaN && g64.sign == w.sign, "\(c.name) f64 \(src[i])")
                    if got != want[i] {
                        if payloadDiffs < 3 { print("\(c.name): NaN payload: source \(String(src[i], radix: 16)) gave \(String(got, radix: 16)), reference \(String(want[i], radix: 16))") }
                        payloadDiffs += 1
                    }
                } else {
                    XCTAssertEqual(got, want[i], "\(c.name) \(String(src[i], radix: 16))")
                    XCTAssertEqual(g64.bitPattern, Double(w).bitPattern, "\(c.name) f64 \(String(src[i], radix: 16))")
                }
                XCTAssertEqual(direct, got)
            }
            if payloadDiffs > 0 { print("\(c.name): \(payloadDiffs) NaN results differ only in payload") }
            checked += 1
        }
        XCTAssertEqual(checked, 2)
    }

    func testAllBFloat16PatternsRoundTrip() {
        for b in 0...UInt16.max {
            let f = HalfFloat.float(bfloat16: b)
            XCTAssertEqual(f.bitPattern, UInt32(b) << 16)
            if !f.isNaN { XCTAssertEqual(HalfFloat.bfloat16Bits(f), b) }
        }
        for b in 0...UInt16.max {
            let f = HalfFloat.float(float16: b)
            if !f.isNaN { XCTAssertEqual(HalfFloat.float16Bits(f), b) }
        }
    }

    func testHalfArithmeticRoundsOnce() throws {
        // float16: 1 + 2^-11 + 2^-11 computed in float32 then rounded once gives 1 + 2^-10.
        let a = try NDArray(values: [1], shape: [1], dtype: .float16)
        let b = try NDArray(values: [0.00048828125], shape: [1], dtype: .float16)  // 2^-11
        let s = try NDArray.binary(.add, try NDArray.binary(.add, a, b), b)
        XCTAssertEqual(s.doubles(), [1])          // each add rounds back to float16: 1 + 2^-11 -> 1 (ties to even)
        let t = try NDArray.binary(.add, a, try NDArray.binary(.mul, b, scalar: 3, scalarIsFloat: false))
        XCTAssertEqual(t.doubles(), [1.001953125])  // 1 + 3·2^-11 -> 1 + 2^-9 (ties to even)
    }
}
