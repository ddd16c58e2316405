import Foundation
import KoanJSON
@testable import KoanSearch
import XCTest

final class PrunerTests: XCTestCase {
    /// Replays a golden script (tools/goldens/search.py, `run_pruner`): each trial reports
    /// in turn, the pruner is asked after each report, a trial stops at the first yes
    /// (pruned), else ends complete with its value or stays running. Returns the decisions.
    static func replay(_ script: [JSONValue], study: Study, pruner: any Pruner) throws -> [[Bool]] {
        var decisions: [[Bool]] = []
        for item in script {
            let index = try study.ask()
            var mine: [Bool] = []
            var pruned = false
            let reports = item["reports"]?.array ?? []
            for r in reports {
                try study.report(index, gnum(r[1]), step: r[0]?.int ?? 0)
                let d = try pruner.prune(study, trial: index)
                mine.append(d)
                if d { pruned = true; break }
            }
            decisions.append(mine)
            if pruned {
                try study.tell(index, .pruned)
            } else if item["end"]?.string != "running" {
                let value = item["value"].map(gnum) ?? reports.last.map { gnum($0[1]) } ?? 0
                try study.tell(index, .value(value))
            }
        }
        return decisions
    }

    static func expectedDecisions(_ c: JSONValue) -> [[Bool]] {
        (c["decisions"]?.array ?? []).map { ($0.array ?? []).compactMap(\.bool) }
    }

    func testMedianAndPercentilePrunerGoldens() throws {
        let cases = try SearchGoldens.cases("median")
        var judged = 0
        for c in cases {
            let name = c["name"]?.string ?? "?"
            let direction: Direction = c["direction"]?.string == "maximize" ? .maximize : .minimize
            let pruner = try MedianPruner(percentile: gnum(c["percentile"]), startupTrials: c["n_startup_trials"]?.int ?? 5,
                                          warmupSteps: c["n_warmup_steps"]?.int ?? 0, intervalSteps: c["interval_steps"]?.int ?? 1,
                                          minTrials: c["n_min_trials"]?.int ?? 1)
            let study = try Study(name: name, direction: direction, space: [], sampler: RandomSampler(seed: 0), pruner: pruner)
            let decisions = try PrunerTests.replay(c["script"]?.array ?? [], study: study, pruner: pruner)
            XCTAssertEqual(decisions, PrunerTests.expectedDecisions(c), name)
            XCTAssertEqual(study.trials.map(\.state.rawValue), (c["states"]?.array ?? []).compactMap(\.string), "\(name): states")
            judged += decisions.joined().count
        }
        print("median/percentile pruner: \(cases.count) scripts, \(judged) decisions")
    }

    func testSuccessiveHalvingPrunerGoldens() throws {
        let cases = try SearchGoldens.cases("successive_halving")
        var judged = 0
        for c in cases {
            let name = c["name"]?.string ?? "?"
            let direction: Direction = c["direction"]?.string == "maximize" ? .maximize : .minimize
            let pruner = try SuccessiveHalvingPruner(minResource: c["min_resource"]?.int, reductionFactor: c["reduction_factor"]?.int ?? 4,
                                                     minEarlyStoppingRate: c["min_early_stopping_rate"]?.int ?? 0)
            let study = try Study(name: name, direction: direction, space: [], sampler: RandomSampler(seed: 0), pruner: pruner)
            let decisions = try PrunerTests.replay(c["script"]?.array ?? [], study: study, pruner: pruner)
            XCTAssertEqual(decisions, PrunerTests.expectedDecisions(c), name)
            XCTAssertEqual(study.trials.map(\.state.rawValue), (c["states"]?.array ?? []).compactMap(\.string), "\(name): states")
            let attrs = c["system_attrs"]?.array ?? []
            XCTAssertEqual(attrs.count, study.trials.count, "\(name): trials")
            for (t, expected) in zip(study.trials, attrs) {
                let mine = t.systemAttributes.filter { $0.key.hasPrefix("completed_rung_") }
                let theirs = Dictionary(uniqueKeysWithValues: (expected.object ?? []).map { ($0.0, gnum($0.1)) })
                XCTAssertEqual(mine.mapValues { $0.double ?? .nan }, theirs, "\(name): trial \(t.number) rungs")
            }
            judged += decisions.joined().count
        }
        print("successive halving: \(cases.count) scripts, \(judged) decisions")
    }

    /// NumPy's linear percentile, interpolated from above at a fraction of ½ or more.
    func testPercentileInterpolatesAsNumPy() {
        XCTAssertEqual(MedianPruner.percentile([0.1, 0.7], 50), 0.7 - (0.7 - 0.1) * 0.5)
        XCTAssertEqual(MedianPruner.percentile([0.1, 0.7], 50), 0.39999999999999997)
        XCTAssertEqual(MedianPruner.percentile([3, 1, 2], 50), 2)
        XCTAssertEqual(MedianPruner.percentile([1, 2, 3, 4], 25), 1.75)
        XCTAssertEqual(MedianPruner.percentile([5], 90), 5)
    }

    func testMedianPrunerDoesNotJudgeBeforeStartup() throws {
        let pruner = try MedianPruner(startupTrials: 2)
        let study = try Study(name: "s", space: [], sampler: RandomSampler(seed: 0), pruner: pruner)
        let a = try study.ask()
        try study.report(a, 1, step: 0)
        XCTAssertFalse(try pruner.prune(study, trial: a))
        try study.tell(a, .value(1))
        let b = try study.ask()
        try study.report(b, 100, step: 0)
        XCTAssertFalse(try pruner.prune(study, trial: b), "one complete trial of two")
    }
}
