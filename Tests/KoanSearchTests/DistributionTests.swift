import Foundation
import KoanJSON
@testable import KoanSearch
import XCTest

final class DistributionTests: XCTestCase {
    func testLogUniformRejectsNonPositiveLow() {
        XCTAssertThrowsError(try Distribution.logUniform(0, 1))
    }

    /// A golden's "make": how Koan builds the distribution.
    static func make(_ m: JSONValue?) throws -> Distribution {
        guard let m, let kind = m["kind"]?.string else { throw GoldenError("a case without kind") }
        switch kind {
        case "uniform": return try .uniform(gnum(m["low"]), gnum(m["high"]), step: m["step"].map(gnum))
        case "log_uniform": return try .logUniform(gnum(m["low"]), gnum(m["high"]))
        case "int": return try .integer(m["low"]?.int ?? 0, m["high"]?.int ?? 0, step: m["step"]?.int ?? 1, log: m["log"]?.bool ?? false)
        case "choice": return try .choice(try (m["choices"]?.array ?? []).map(ParamValue.init(json:)))
        default: throw GoldenError("unknown kind \(kind)")
        }
    }

    /// distribution_to_json of every kind: Koan writes the same JSON (compact, keys in
    /// Optuna's order), reads Optuna's text back to the same distribution, and keeps the
    /// `high` Optuna keeps (a stepped float's is adjusted in decimal).
    func testOptunaJSONGoldens() throws {
        let cases = try SearchGoldens.cases("distributions")
        for c in cases {
            let d = try DistributionTests.make(c["make"])
            let text = c["json"]?.string ?? ""
            XCTAssertEqual(d.optunaJSON.text(), c["compact"]?.string, "written: \(text)")
            XCTAssertEqual(try Distribution(optunaJSON: try JSONValue(parsing: text)), d, "read: \(text)")
            switch d {
            case let .float(_, high, _, _): XCTAssertEqual(high, gnum(c["high"]), "high of \(text)")
            case let .int(_, high, _, _): XCTAssertEqual(Double(high), gnum(c["high"]), "high of \(text)")
            case .categorical: break
            }
        }
        for c in try SearchGoldens.cases("legacy_distributions") {
            let legacy = try Distribution(optunaJSON: try JSONValue(parsing: c["json"]?.string ?? ""))
            let modern = try Distribution(optunaJSON: try JSONValue(parsing: c["modern"]?.string ?? ""))
            XCTAssertEqual(legacy, modern, c["json"]?.string ?? "")
            XCTAssertEqual(legacy.optunaJSON.text(), try JSONValue(parsing: c["modern"]?.string ?? "").text())
        }
    }

    /// Grid points: the values Optuna's samplers give for each step (binary arithmetic,
    /// clipped to high); BruteForceSampler's decimal enumeration is the same within 1e-15.
    func testGridPointsGoldens() throws {
        for c in try SearchGoldens.cases("grid") {
            let isFloat = c["float"]?.bool ?? false
            let d: Distribution = isFloat
                ? try .uniform(gnum(c["low"]), gnum(c["high"]), step: gnum(c["step"]))
                : try .integer(c["low"]?.int ?? 0, c["high"]?.int ?? 0, step: c["step"]?.int ?? 1)
            let points = try XCTUnwrap(d.gridPoints, "\(d)")
            let mine: [Double] = points.map { p in
                switch p { case .double(let x): x; case .int(let i): Double(i); default: .nan }
            }
            XCTAssertEqual(mine, gnums(c["values"]), "\(d)")
            for (a, e) in zip(mine, gnums(c["decimal"])) { XCTAssertEqual(a, e, accuracy: 1e-15 * Swift.max(1, Swift.abs(e)), "\(d)") }
            XCTAssertEqual(mine.count, gnums(c["decimal"]).count, "\(d)")
            // Every point is one the trial keeps as it is.
            for p in points { XCTAssertEqual(d.toInternal(p).map(d.toExternal), p, "\(p) in \(d)") }
        }
    }

    /// Stepped values round half to even, as the TPE sampler's np.round.
    func testSteppedFloatRoundsHalfToEven() throws {
        let d = try Distribution.uniform(0, 2, step: 0.5)
        XCTAssertEqual(d.toExternal(0.25), .double(0))
        XCTAssertEqual(d.toExternal(0.75), .double(1))
        XCTAssertEqual(d.toExternal(0.7500001), .double(1))
        XCTAssertEqual(d.toExternal(2.3), .double(2))
    }

    func testInternalReprIgnoresBounds() throws {
        let d = try Distribution.uniform(0, 1)
        XCTAssertEqual(d.internalRepr(.double(1.5)), 1.5)
        XCTAssertNil(d.toInternal(.double(1.5)))
        XCTAssertNil(try Distribution.logUniform(1e-3, 1).internalRepr(.double(0)))
        XCTAssertEqual(try Distribution.choice([.string("a"), .string("b")]).internalRepr(.string("b")), 1)
        XCTAssertNil(try Distribution.choice([.string("a")]).internalRepr(.string("z")))
    }
}
