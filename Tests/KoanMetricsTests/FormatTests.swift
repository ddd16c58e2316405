import XCTest
@testable import KoanMetrics
import KoanMarkup

final class FormatTests: XCTestCase {
    /// Expected strings are Python's `format(value, '.Nf')`.
    func testFixedMatchesPython() {
        let cases: [(Double, Int, String)] = [
            (0.125, 2, "0.12"), (0.375, 2, "0.38"), (2.5, 0, "2"), (3.5, 0, "4"), (0.5, 0, "0"),
            (1e22, 2, "10000000000000000000000.00"), (5e-324, 6, "0.000000"),
            (0.1, 20, "0.10000000000000000555"), (123456.789, 1, "123456.8"), (0.9999999, 2, "1.00"),
            (9.995, 2, "9.99"), (1.0 / 3.0, 6, "0.333333"), (2.0 / 3.0, 0, "1"), (0.0, 3, "0.000"),
            (-0.0, 2, "-0.00"), (-0.001, 2, "-0.00"), (1.0, 0, "1"), (0.045, 2, "0.04"), (1e-7, 3, "0.000"),
            (0.6666666666666666, 4, "0.6667"), (.nan, 2, "nan"), (.infinity, 2, "inf"), (-.infinity, 0, "-inf"),
            (1.7976931348623157e308, 1, "179769313486231570814527423731704356798070567525844996598917476803157260780028538760589558632766878171540458953514382464234321326889464182768467546703537516986049910576551282076245490090389328944075868508455133942304583236903222948165808559332123348274797826204144723168738177180919299881250404026184124858368.0"),
        ]
        for (value, digits, expected) in cases {
            XCTAssertEqual(PyFormat.fixed(value, digits: digits), expected, "format(\(value), '.\(digits)f')")
        }
    }

    func testRightAlignCountsUnicodeScalars() {
        XCTAssertEqual(PyFormat.right("é", 3), "  é")
        XCTAssertEqual(PyFormat.right("e\u{301}", 3), " e\u{301}")  // two scalars, like Python len()
        XCTAssertEqual(PyFormat.right("toolong", 3), "toolong")
    }

    func testPairwiseSumMatchesNumpyShape() {
        // np.sum([0.1] * 10) == 1.0 with pairwise summation (naive left fold gives 0.9999999999999999).
        XCTAssertEqual(Numpy.sum(Array(repeating: 0.1, count: 10)), 1.0)
        XCTAssertEqual(Numpy.sum([]), 0)
        XCTAssertTrue(Numpy.nanAverage([]).isNaN)
        XCTAssertTrue(Numpy.nanAverage([.nan, .nan]).isNaN)
        XCTAssertEqual(Numpy.nanAverage([1, .nan, 0]), 0.5)
        XCTAssertEqual(Numpy.nanAverage([1, 0], weights: [0, 0]), 0.5)
    }

    func testLabelOrdering() {
        XCTAssertEqual(([10, -2, 3] as [Label]).sorted(), [-2, 3, 10])
        XCTAssertEqual((["b", "B", "a", "é", "z"] as [Label]).sorted(), ["B", "a", "b", "z", "é"])
        XCTAssertNotEqual(Label.string("e\u{301}"), Label.string("\u{e9}"))
        XCTAssertEqual(Set<Label>(["e\u{301}", "\u{e9}"]).count, 2)
    }
}
