import Foundation
import XCTest
@testable import KoanLang
import KoanLibrary

/// Timings of interpreted loops (printed; bounds are loose so that debug builds on a
/// busy 2-core machine pass).
final class PerformanceTests: XCTestCase {
    func time(_ code: String, cells: Int = 3) -> (Double, String?) {
        let interpreter = Interpreter(extensions: [KoanLibrary()])
        var best = Double.infinity
        var value: String?
        for i in 0..<cells {
            let start = Date()
            let r = runCell(interpreter, code, cell: i + 1)
            best = min(best, Date().timeIntervalSince(start))
            XCTAssertNil(r.error, r.error?.rendered ?? "")
            value = r.value?.plainText
        }
        return (best, value)
    }

    func testMillionIterationLoop() {
        let (seconds, value) = time("var s = 0\nfor i in 0..<1_000_000 { s += i }\ns")
        XCTAssertEqual(value, "499999500000")
        print("1,000,000-iteration loop: \(String(format: "%.1f", seconds * 1000)) ms")
        XCTAssertLessThan(seconds, 3.0)
    }

    func testAppendIsAmortisedConstant() {
        let (small, _) = time("var a: [Int] = []\nfor i in 0..<20_000 { a.append(i) }\na.count", cells: 2)
        let (large, value) = time("var a: [Int] = []\nfor i in 0..<200_000 { a.append(i) }\na.count", cells: 2)
        XCTAssertEqual(value, "200000")
        print("append 20k: \(String(format: "%.1f", small * 1000)) ms, 200k: \(String(format: "%.1f", large * 1000)) ms")
        // Ten times the work should take far less than the hundred times a copying append would.
        XCTAssertLessThan(large, small * 30)
    }

    func testIndexAssignmentDoesNotCopy() {
        let (seconds, value) = time("var a = Array(repeating: 0, count: 100_000)\nfor i in 0..<100_000 { a[i] = i }\na[99_999]", cells: 1)
        XCTAssertEqual(value, "99999")
        print("100k index assignments: \(String(format: "%.1f", seconds * 1000)) ms")
        XCTAssertLessThan(seconds, 5.0)
    }
}
