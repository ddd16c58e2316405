import Foundation
import KoanJSON
import KoanTestSupport
import XCTest
@testable import KoanSearch

/// SQLiteStorage against itself (every field of a trial survives a reopen) and against
/// Optuna 5.0.0 (each reads, and continues, the other's studies).
final class SQLiteStorageTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("koan-sqlite-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private func url(_ file: String) -> String { "sqlite:///" + directory.appendingPathComponent(file).path }

    /// Every kind of parameter Optuna has.
    private static func space() throws -> [(name: String, distribution: Distribution)] {
        [("x", try .uniform(-1, 1)), ("lr", try .logUniform(1e-5, 1e-1)), ("n", try .integer(1, 9, step: 2)),
         ("k", try .integer(1, 64, log: true)), ("d", try .uniform(0, 1, step: 0.25)),
         ("act", try .choice([.string("relu"), .string("gelu"), .null])), ("w", try .choice([.int(16), .double(32.5), .bool(true)]))]
    }

    /// A complete, a pruned, a failed, a complete-with-infinities and a running trial.
    private func runTrials(_ study: Study) throws {
        func sampleAll(_ i: Int) throws { for (name, _) in study.space { _ = try study.suggest(i, name) } }
        var i = try study.ask()
        try sampleAll(i)
        try study.report(i, 0.9, step: 0)
        try study.report(i, 0.5, step: 1)
        try study.tell(i, .value(0.4))

        i = try study.ask()
        try sampleAll(i)
        try study.report(i, 0.8, step: 0)
        try study.report(i, .nan, step: 1)
        try study.report(i, 0.7, step: 2)
        try study.tell(i, .pruned)

        i = try study.ask()
        _ = try study.suggest(i, "lr")
        try study.tell(i, .failed("boom"))

        i = try study.ask()
        try sampleAll(i)
        try study.setSystemAttribute(i, "completed_rung_0", .number(.double(0.25)))
        try study.report(i, .infinity, step: 3)
        try study.report(i, -.infinity, step: 4)
        try study.tell(i, .value(-1.5))

        i = try study.ask()
        _ = try study.suggest(i, "act")
    }

    // MARK: Koan and Koan

    func testReopeningGivesBackEveryField() throws {
        let url = url("round.db")
        let space = try Self.space()
        let study = try Study(name: "round", space: space, sampler: RandomSampler(seed: 1), storage: SQLiteStorage(url: url))
        try runTrials(study)

        let reopened = try Study(name: "round", space: space, sampler: RandomSampler(seed: 2), storage: SQLiteStorage(url: url))
        XCTAssertEqual(reopened.trials.count, 5)
        assertSame(reopened.trials.dropLast(), study.trials.dropLast())
        // The trial left running is failed on reopening, in the file too.
        let left = try XCTUnwrap(reopened.trials.last)
        XCTAssertEqual(left.state, .fail)
        XCTAssertEqual(left.userAttributes["fail_reason"], .string("left running by a kernel that stopped"))
        XCTAssertEqual(left.params, study.trials.last?.params)
        XCTAssertEqual(reopened.best?.number, 3)

        let again = try SQLiteStorage(url: url).open(study: "round", direction: .minimize)
        assertSame(again[...], reopened.trials[...])
        XCTAssertEqual(again.map(\.number), [0, 1, 2, 3, 4])

        // The trials go on with the next number.
        let index = try reopened.ask()
        XCTAssertEqual(reopened.trials[index].number, 5)
        try reopened.tell(index, .value(2))
        XCTAssertEqual(try SQLiteStorage(url: url).open(study: "round", direction: .minimize).last?.number, 5)
    }

    func testDirectionMismatchNamesBoth() throws {
        let url = url("direction.db")
        _ = try Study(name: "up", direction: .maximize, space: [], sampler: RandomSampler(seed: 0), storage: SQLiteStorage(url: url))
        let storage = try SQLiteStorage(url: url)
        XCTAssertEqual(try storage.storedDirection(study: "up"), .maximize)
        XCTAssertNil(try storage.storedDirection(study: "absent"))
        assertStorageError(try storage.open(study: "up", direction: .minimize), contains: ["MAXIMIZE", "MINIMIZE", "'up'"])
    }

    func testOneStoragePerStudy() throws {
        let storage = try SQLiteStorage(url: url("one.db"))
        assertStorageError(try storage.insert(TrialRecord(number: 0, state: .running, start: Date())), contains: ["no study is open"])
        _ = try storage.open(study: "a", direction: .minimize)
        assertStorageError(try storage.open(study: "b", direction: .minimize), contains: ["'a'", "'b'"])
    }

    func testBadURLs() {
        for url in ["studies.db", "sqlite://studies.db", "sqlite:///", "postgresql://host/db", "SQLITE:///x.db"] {
            assertStorageError(try SQLiteStorage(url: url), contains: ["sqlite:///path.db", url])
        }
        assertStorageError(try SQLiteStorage(url: url("missing/dir/x.db")), contains: ["cannot open", "missing/dir/x.db"])
    }

    func testRelativeURL() throws {
        let previous = FileManager.default.currentDirectoryPath
        XCTAssertTrue(FileManager.default.changeCurrentDirectoryPath(directory.path))
        defer { _ = FileManager.default.changeCurrentDirectoryPath(previous) }
        let storage = try SQLiteStorage(url: "sqlite:///relative.db")
        XCTAssertEqual(URL(fileURLWithPath: storage.path).standardizedFileURL.resolvingSymlinksInPath(),
                       directory.appendingPathComponent("relative.db").standardizedFileURL.resolvingSymlinksInPath())
        XCTAssertTrue(FileManager.default.fileExists(atPath: directory.appendingPathComponent("relative.db").path))
    }

    func testOtherSchemasAreRejected() throws {
        let url = url("versions.db")
        let storage = try SQLiteStorage(url: url)
        try storage.run("UPDATE version_info SET schema_version = ?", [.int(11)])
        assertStorageError(try SQLiteStorage(url: url), contains: ["schema version 11", "schema version 12"])

        try storage.run("UPDATE version_info SET schema_version = ?", [.int(12)])
        try storage.run("UPDATE alembic_version SET version_num = ?", [.text("v3.0.0.d")])
        assertStorageError(try SQLiteStorage(url: url), contains: ["v3.0.0.d", "v3.2.0.a", "optuna storage upgrade"])

        let other = try SQLiteStorage(url: self.url("other.db"))
        try other.execute("DROP TABLE version_info")
        assertStorageError(try SQLiteStorage(url: self.url("other.db")), contains: ["not an Optuna study storage"])

        let text = directory.appendingPathComponent("text.db")
        try Data("not a database, just some text that is long enough to be looked at".utf8).write(to: text)
        assertStorageError(try SQLiteStorage(url: self.url("text.db")), contains: ["SQLite error", "not a database"])
    }

    func testDatetimesAreUTCWithMicroseconds() throws {
        let date = Date(timeIntervalSince1970: 1_796_389_599.708826)
        XCTAssertEqual(SQLiteStorage.text(date), "2026-12-04 13:06:39.708826")
        XCTAssertEqual(SQLiteStorage.text(Date(timeIntervalSince1970: 951_782_400)), "2000-02-29 00:00:00.000000")
        XCTAssertEqual(try SQLiteStorage.date("2026-12-04 13:06:39.708826", trial: 0).timeIntervalSince1970, 1_796_389_599.708826, accuracy: 1e-6)
        XCTAssertEqual(try SQLiteStorage.date("2000-02-29 00:00:00", trial: 0).timeIntervalSince1970, 951_782_400)
        assertStorageError(try SQLiteStorage.date("yesterday", trial: 3), contains: ["trial 3", "yesterday"])
    }

    // MARK: Koan and Optuna

    func testOptunaReadsKoansStudy() throws {
        let python = try oraclePython(importing: ["optuna"])
        let url = url("koan.db")
        let study = try Study(name: "koan", space: try Self.space(), sampler: RandomSampler(seed: 3), storage: SQLiteStorage(url: url))
        try runTrials(study)

        let out = try runPython(python, Self.dumpPython + """
            storage = sys.argv[1]
            reference = sys.argv[2]
            study = optuna.load_study(study_name="koan", storage=storage)
            optuna.create_study(study_name="reference", storage=reference)
            def schema(url):
                connection = sqlite3.connect(url[len("sqlite:///"):])
                rows = connection.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name").fetchall()
                return {"objects": [[t, n, tn, " ".join(s.split()) if s else None] for t, n, tn, s in rows],
                        "version": connection.execute("SELECT * FROM version_info").fetchall(),
                        "alembic": connection.execute("SELECT * FROM alembic_version").fetchall()}
            # Optuna writes into Koan's file too.
            other = optuna.create_study(study_name="from-optuna", storage=storage, direction="maximize")
            other.optimize(lambda t: t.suggest_int("i", 0, 3), n_trials=2)
            print(json.dumps({"trials": dump(study), "best": study.best_trial.number, "best_value": study.best_value,
                              "direction": study.direction.name, "koan": schema(storage), "optuna": schema(reference)}, allow_nan=False))
            """, [url, self.url("reference.db")])

        XCTAssertEqual(out["koan"], out["optuna"], "Koan's schema is not Optuna's")
        XCTAssertEqual(out["direction"], .string("MINIMIZE"))
        XCTAssertEqual(out["best"]?.int, study.best?.number)
        XCTAssertEqual(out["best_value"]?.double, study.best?.value)
        try assertMatches(out["trials"], study.trials)

        let fromOptuna = try SQLiteStorage(url: url).open(study: "from-optuna", direction: .maximize)
        XCTAssertEqual(fromOptuna.map(\.state), [.complete, .complete])
        XCTAssertEqual(fromOptuna.map { $0.param("i")?.distribution }, [Distribution?](repeating: try .integer(0, 3), count: 2))
    }

    func testKoanReadsAndContinuesOptunasStudy() throws {
        let python = try oraclePython(importing: ["optuna"])
        let url = url("optuna.db")
        let written = try runPython(python, Self.dumpPython + """
            study = optuna.create_study(study_name="py", storage=sys.argv[1], direction="maximize",
                                        sampler=optuna.samplers.RandomSampler(seed=0))
            def objective(t):
                x = t.suggest_float("x", -1, 1)
                t.suggest_float("lr", 1e-5, 1e-1, log=True)
                t.suggest_int("n", 1, 9, step=2)
                t.suggest_int("k", 1, 64, log=True)
                t.suggest_float("d", 0, 1, step=0.25)
                t.suggest_categorical("act", ["relu", "gelu", None])
                t.suggest_categorical("w", [16, 32.5, True])
                t.set_user_attr("note", {"number": t.number, "tags": ["a", "b"]})
                t.storage.set_trial_system_attr(t._trial_id, "sys", [1, 2.5, None])
                for step in range(3):
                    t.report(float("nan") if (t.number, step) == (1, 1) else x + step, step)
                if t.number == 2:
                    raise optuna.TrialPruned()
                if t.number == 3:
                    raise ValueError("boom")
                return float("-inf") if t.number == 4 else x
            study.optimize(objective, n_trials=7, catch=(ValueError,))
            print(json.dumps({"trials": dump(study)}, allow_nan=False))
            """, [url])

        let study = try Study(name: "py", direction: .maximize, space: try Self.space(), sampler: RandomSampler(seed: 4),
                              storage: SQLiteStorage(url: url))
        XCTAssertEqual(study.trials.map(\.state), [.complete, .complete, .pruned, .fail, .complete, .complete, .complete])
        XCTAssertEqual(study.trials[4].value, -.infinity)
        XCTAssertTrue(study.trials[1].intermediate[1]?.isNaN ?? false)
        try assertMatches(written["trials"], study.trials)

        try study.optimize(trials: study.finishedCount + 3) { trial in
            for (name, _) in study.space { _ = try trial[name] }
            guard case .double(let x) = try trial["x"] else { return nil }
            try trial.report(x, step: 0)
            return 10 + x
        }
        XCTAssertEqual(study.trials.count, 10)

        let reread = try runPython(python, Self.dumpPython + """
            study = optuna.load_study(study_name="py", storage=sys.argv[1])
            print(json.dumps({"trials": dump(study), "best": study.best_trial.number, "best_value": study.best_value}, allow_nan=False))
            """, [url])
        try assertMatches(reread["trials"], study.trials)
        XCTAssertEqual(reread["best"]?.int, study.best?.number)
        XCTAssertGreaterThanOrEqual(study.best?.number ?? 0, 7)
        XCTAssertEqual(reread["best_value"]?.double, study.best?.value)
    }

    // MARK: Helpers

    /// Python that prints a study's trials as JSON (non-finite floats as "nan", "inf", "-inf";
    /// datetimes as POSIX timestamps).
    private static let dumpPython = """
        import json, math, sqlite3, sys
        import optuna
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        def num(x):
            if isinstance(x, float) and not math.isfinite(x):
                return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
            return x
        def dump(study):
            return [{"number": t.number, "state": t.state.name, "value": num(t.value), "params": t.params,
                     "distributions": {k: json.loads(optuna.distributions.distribution_to_json(d)) for k, d in t.distributions.items()},
                     "intermediate": {str(k): num(v) for k, v in t.intermediate_values.items()},
                     "user_attrs": t.user_attrs, "system_attrs": t.system_attrs,
                     "start": t.datetime_start.timestamp() if t.datetime_start else None,
                     "complete": t.datetime_complete.timestamp() if t.datetime_complete else None}
                    for t in study.trials]

        """

    /// Runs `script` with `python` in a time zone far from UTC and parses what it prints.
    private func runPython(_ python: String, _ script: String, _ arguments: [String]) throws -> JSONValue {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python, "-c", script] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["TZ"] = "Asia/Tokyo"
        process.environment = environment
        let stdout = directory.appendingPathComponent("python-\(UUID().uuidString).out")
        let stderr = directory.appendingPathComponent("python-\(UUID().uuidString).err")
        for file in [stdout, stderr] { try Data().write(to: file) }
        process.standardOutput = try FileHandle(forWritingTo: stdout)
        process.standardError = try FileHandle(forWritingTo: stderr)
        try process.run()
        process.waitUntilExit()
        let output = try String(contentsOf: stdout, encoding: .utf8)
        guard process.terminationStatus == 0 else {
            throw PythonFailed(message: try String(contentsOf: stderr, encoding: .utf8))
        }
        return try JSONValue(parsing: output)
    }

    private struct PythonFailed: Error, CustomStringConvertible { var message: String; var description: String { "Python failed: \(message)" } }

    /// Optuna's view of trials (`dumpPython`) against Koan's.
    private func assertMatches(_ python: JSONValue?, _ koan: [TrialRecord], file: StaticString = #filePath, line: UInt = #line) throws {
        let trials = try XCTUnwrap(python?.array, "no trials in Python's output", file: file, line: line)
        XCTAssertEqual(trials.count, koan.count, file: file, line: line)
        for (p, k) in zip(trials, koan) {
            let at = "trial \(k.number)"
            XCTAssertEqual(p["number"]?.int, k.number, at, file: file, line: line)
            XCTAssertEqual(p["state"]?.string, k.state.rawValue, at, file: file, line: line)
            XCTAssertEqual(p["value"], k.value.map(Self.json) ?? .null, at, file: file, line: line)
            let params = p["params"]?.object ?? []
            XCTAssertEqual(Set(params.map(\.0)), Set(k.params.map(\.name)), at, file: file, line: line)
            for (name, value) in params {
                XCTAssertEqual(value, k.param(name)?.value.json, "\(at) '\(name)'", file: file, line: line)
                let distribution = try Distribution(optunaJSON: try XCTUnwrap(p["distributions"]?[name]))
                XCTAssertEqual(distribution, k.param(name)?.distribution, "\(at) '\(name)'", file: file, line: line)
            }
            let intermediate = p["intermediate"]?.object ?? []
            XCTAssertEqual(intermediate.count, k.intermediate.count, at, file: file, line: line)
            for (step, value) in intermediate {
                XCTAssertEqual(value, k.intermediate[Int(step) ?? -1].map(Self.json), "\(at) step \(step)", file: file, line: line)
            }
            XCTAssertEqual(Self.sorted(p["user_attrs"]), Self.sorted(.object(k.userAttributes.map { ($0.key, $0.value) })), at, file: file, line: line)
            XCTAssertEqual(Self.sorted(p["system_attrs"]), Self.sorted(.object(k.systemAttributes.map { ($0.key, $0.value) })), at, file: file, line: line)
            assertClose(p["start"]?.double, k.start, at, file: file, line: line)
            assertClose(p["complete"]?.double, k.complete, at, file: file, line: line)
        }
    }

    /// A float as `dumpPython` prints it.
    private static func json(_ x: Double) -> JSONValue {
        x.isFinite ? .number(.double(x)) : .string(x.isNaN ? "nan" : (x > 0 ? "inf" : "-inf"))
    }

    private static func sorted(_ object: JSONValue?) -> JSONValue? {
        object?.object.map { .object($0.sorted { $0.0 < $1.0 }) }
    }

    private func assertClose(_ timestamp: Double?, _ date: Date?, _ message: String, file: StaticString, line: UInt) {
        XCTAssertEqual(timestamp == nil, date == nil, message, file: file, line: line)
        if let timestamp, let date {
            XCTAssertEqual(timestamp, date.timeIntervalSince1970, accuracy: 2e-6, message, file: file, line: line)
        }
    }

    /// Koan's trials against Koan's: every field (datetimes to the microsecond).
    private func assertSame(_ a: ArraySlice<TrialRecord>, _ b: ArraySlice<TrialRecord>, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, file: file, line: line)
        for (x, y) in zip(a, b) {
            let at = "trial \(y.number)"
            XCTAssertEqual(x.number, y.number, at, file: file, line: line)
            XCTAssertEqual(x.state, y.state, at, file: file, line: line)
            XCTAssertEqual(x.params, y.params, at, file: file, line: line)
            XCTAssertEqual(x.value.map(Self.json), y.value.map(Self.json), at, file: file, line: line)
            XCTAssertEqual(x.intermediate.mapValues(Self.json), y.intermediate.mapValues(Self.json), at, file: file, line: line)
            XCTAssertEqual(x.userAttributes, y.userAttributes, at, file: file, line: line)
            XCTAssertEqual(x.systemAttributes, y.systemAttributes, at, file: file, line: line)
            XCTAssertEqual(x.storageID, y.storageID, at, file: file, line: line)
            for (p, q) in [(x.start, y.start), (x.complete, y.complete)] {
                XCTAssertEqual(p == nil, q == nil, at, file: file, line: line)
                if let p, let q { XCTAssertEqual(p.timeIntervalSince1970, q.timeIntervalSince1970, accuracy: 1e-6, at, file: file, line: line) }
            }
        }
    }

    private func assertStorageError(_ expression: @autoclosure () throws -> some Any, contains parts: [String],
                                    file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try expression(), file: file, line: line) { error in
            guard case SearchError.storage(let message) = error else {
                return XCTFail("\(error) is not a storage error", file: file, line: line)
            }
            for part in parts { XCTAssertTrue(message.contains(part), "'\(message)' does not mention '\(part)'", file: file, line: line) }
        }
    }
}
