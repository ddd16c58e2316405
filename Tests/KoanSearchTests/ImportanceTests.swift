import Foundation
import XCTest
import KoanJSON
@testable import KoanSearch

/// A storage that hands a study the trials of a golden case, and keeps nothing.
final class FixtureStorage: StudyStorage {
    let records: [TrialRecord]
    init(_ records: [TrialRecord]) { self.records = records }
    func open(study name: String, direction: Direction) throws -> [TrialRecord] { records }
    func insert(_ trial: TrialRecord) throws -> Int64 { 0 }
    func setParam(_ trialID: Int64, _ param: TrialParam) throws {}
    func setIntermediate(_ trialID: Int64, step: Int, value: Double) throws {}
    func setSystemAttribute(_ trialID: Int64, key: String, value: JSONValue) throws {}
    func setUserAttribute(_ trialID: Int64, key: String, value: JSONValue) throws {}
    func finish(_ trialID: Int64, state: TrialState, value: Double?, complete: Date) throws {}
}

/// `importance(study)` against Optuna 5.0.0's `get_param_importances` (PED-ANOVA) on the
/// studies of tools/goldens/search_importance.py.
final class ImportanceTests: XCTestCase {
    func testMatchesOptunaPedAnova() throws {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/search_importance", withExtension: "json"))
        let golden = try JSONValue(parsing: String(decoding: try Data(contentsOf: url), as: UTF8.self))
        let cases = try XCTUnwrap(golden["cases"]?.array)
        XCTAssertEqual(cases.count, 8)
        for c in cases {
            let name = try XCTUnwrap(c["name"]?.string)
            let direction = try XCTUnwrap(Direction(rawValue: try XCTUnwrap(c["direction"]?.string)))
            var records: [TrialRecord] = []
            for (number, t) in try XCTUnwrap(c["trials"]?.array).enumerated() {
                var r = TrialRecord(number: number, state: try XCTUnwrap(TrialState(rawValue: try XCTUnwrap(t["state"]?.string))), start: nil)
                r.value = t["value"]?.double
                for p in try XCTUnwrap(t["params"]?.array) {
                    let items = try XCTUnwrap(p.array)
                    let d = try Distribution(optunaJSON: try JSONValue(parsing: try XCTUnwrap(items[2].string)))
                    r.params.append(TrialParam(name: try XCTUnwrap(items[0].string), distribution: d, internalValue: try XCTUnwrap(items[1].double)))
                }
                records.append(r)
            }
            let study = try Study(name: name, direction: direction, space: [], sampler: RandomSampler(seed: 0), storage: FixtureStorage(records))
            let koan = importance(study)
            let expected = try XCTUnwrap(c["importance"]?.array).map { ($0.array?[0].string ?? "", $0.array?[1].double ?? .nan) }
            XCTAssertEqual(Set(koan.map(\.name)), Set(expected.map(\.0)), name)
            let byName = Dictionary(uniqueKeysWithValues: koan.map { ($0.name, $0.importance) })
            for (param, value) in expected {
                XCTAssertEqual(byName[param] ?? .nan, value, accuracy: 1e-9 + 1e-7 * abs(value), "\(name): \(param)")
            }
            // The same order where the values differ (Optuna orders ties arbitrarily).
            let distinct = Set(expected.map(\.1)).count == expected.count
            if distinct { XCTAssertEqual(koan.map(\.name), expected.map(\.0), name) }
        }
    }
}
