import XCTest
@testable import KoanPlot

final class TicksTests: XCTestCase {
    func testUnitRange() {
        XCTAssertEqual(niceTicks(min: 0, max: 1, count: 5), [0, 0.2, 0.4, 0.6, 0.8, 1])
    }

    func testOneTwoFiveSteps() {
        XCTAssertEqual(niceTicks(min: 0.12, max: 2.3, count: 5), [0.5, 1, 1.5, 2])
        XCTAssertEqual(niceTicks(min: 0, max: 100, count: 5), [0, 20, 40, 60, 80, 100])
        XCTAssertEqual(niceTicks(min: 0, max: 10, count: 10), Array(0...10).map(Double.init))
        XCTAssertEqual(niceTicks(min: -3, max: 3, count: 3), [-2, 0, 2])
        XCTAssertEqual(niceTicks(min: 0, max: 19, count: 5), [0, 5, 10, 15])
        for (lo, hi) in [(0.0, 1.0), (-7.3, 1234.5), (1e-9, 3e-9), (5e6, 9e6), (-1, -0.001)] {
            let t = niceTicks(min: lo, max: hi, count: 5)
            XCTAssertGreaterThanOrEqual(t.count, 2, "\(lo)…\(hi)")
            let step = t[1] - t[0]
            let mantissa = step / pow(10, log10(step).rounded(.down))
            XCTAssertTrue([1, 2, 5, 10].contains { abs(mantissa - $0) < 1e-6 }, "step \(step) for \(lo)…\(hi)")
            XCTAssertTrue(t.allSatisfy { $0 >= lo - 1e-12 * abs(lo) && $0 <= hi + 1e-12 * abs(hi) }, "\(t)")
        }
    }

    func testNoFloatingNoise() {
        let t = niceTicks(min: 0, max: 0.7, count: 7)
        XCTAssertEqual(t, [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7])
        XCTAssertTrue(t.map { "\($0)" }.allSatisfy { $0.count <= 3 }, "\(t)")
    }

    func testDegenerateInputs() {
        XCTAssertEqual(niceTicks(min: 3, max: 3, count: 5), [3])
        XCTAssertEqual(niceTicks(min: 1, max: 0, count: 5), [0, 0.2, 0.4, 0.6, 0.8, 1])
        XCTAssertEqual(niceTicks(min: .nan, max: 1, count: 5), [])
        XCTAssertEqual(niceTicks(min: 0, max: .infinity, count: 5), [])
        XCTAssertEqual(niceTicks(min: -Double.greatestFiniteMagnitude, max: .greatestFiniteMagnitude, count: 5), [])
        XCTAssertEqual(niceTicks(min: 0, max: 1, count: 0), [0, 1])
        XCTAssertEqual(niceTicks(min: 0, max: 1, count: -4), [0, 1])
        XCTAssertLessThanOrEqual(niceTicks(min: 0, max: 1, count: Int.max).count, 10_001)
    }

    func testAxes() {
        let a = Axis.linear([0.12, 2.3], includeZero: false)
        XCTAssertEqual(a.lo, 0); XCTAssertEqual(a.hi, 2.5)
        XCTAssertEqual(a.labels, ["0.0", "0.5", "1.0", "1.5", "2.0", "2.5"])
        let bars = Axis.linear([3, 5], includeZero: true)
        XCTAssertEqual(bars.lo, 0)
        let log = Axis.logarithmic([0.5, 200])
        XCTAssertEqual(log.lo, 0.1, accuracy: 1e-12); XCTAssertEqual(log.hi, 1000, accuracy: 1e-9)
        XCTAssertEqual(log.unit(1), 1.0 / 4, accuracy: 1e-12)
        let oneDecade = Axis.logarithmic([2, 9])
        XCTAssertEqual(oneDecade.ticks, [1, 2, 5, 10])
        XCTAssertEqual(Axis.linear([], includeZero: false).ticks.first, 0)
        XCTAssertEqual(Axis.linear([4, 4], includeZero: false).ticks.count >= 2, true)
    }

    func testNumberFormatting() {
        XCTAssertEqual(formatNumber(19), "19")
        XCTAssertEqual(formatNumber(0.1234), "0.123")
        XCTAssertEqual(formatNumber(2.2987), "2.3")
        XCTAssertEqual(formatNumber(-0.0), "0")
        XCTAssertEqual(formatNumber(.nan), "NaN")
        XCTAssertEqual(formatNumber(1.5e7), "1.5e+07")
        XCTAssertEqual(formatTick(0.30000000000000004, step: 0.1), "0.3")
    }
}
