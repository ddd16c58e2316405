import CSQLite
import Foundation
import KoanJSON

/// A study's trials in a SQLite file with Optuna 5.0.0's RDB schema, so
/// `optuna.load_study(study_name: ..., storage: "sqlite:///studies.db")` reads what Koan
/// wrote and Koan reads, and continues, what Optuna wrote.
///
///     let storage = try SQLiteStorage(url: "sqlite:///studies.db")
///     let study = try Study(name: "mlp", space: space, sampler: TPESampler(seed: 0), storage: storage)
///
/// One storage serves one study, the one `open(study:direction:)` names: the other calls
/// carry only trial ids. Values are stored as Optuna stores them (a parameter's internal
/// representation, infinities and NaN as value types, attributes as JSON text, datetimes as
/// naive UTC). Every call writes through at once; SQLite's errors become
/// `SearchError.storage`.
public final class SQLiteStorage: StudyStorage {
    /// The database file.
    public let path: String
    private let db: OpaquePointer
    private var study: (id: Int64, name: String)?

    /// What Optuna 5.0.0 writes in `version_info` and `alembic_version`.
    static let schemaVersion: Int64 = 12
    static let libraryVersion = "5.0.0"
    static let alembicRevision = "v3.2.0.a"

    /// Opens (creating when absent) the database of `url`: `sqlite:///relative/path.db`,
    /// relative to the current directory, or `sqlite:////absolute/path.db`. A new file gets
    /// Optuna's schema; an existing one must have Optuna's schema version 12 at alembic
    /// revision v3.2.0.a (Optuna 3.2 to 5.0).
    public init(url: String) throws {
        path = try Self.filePath(url)
        var handle: OpaquePointer?
        let rc = sqlite3_open_v2(path, &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nil)
        guard rc == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
            sqlite3_close_v2(handle)
            throw SearchError.storage("cannot open the study storage \(path): \(message)")
        }
        db = handle
        sqlite3_busy_timeout(db, 10_000)
        try execute("PRAGMA foreign_keys = ON")
        try transaction { try prepareSchema() }
    }

    deinit { sqlite3_close_v2(db) }

    /// The file path of a `sqlite:///` URL.
    static func filePath(_ url: String) throws -> String {
        let scheme = "sqlite:///"
        guard url.hasPrefix(scheme), url.count > scheme.count else {
            throw SearchError.storage("storage must be sqlite:///path.db (relative to the current directory) or sqlite:////absolute/path.db, got '\(url)'")
        }
        let path = String(url.dropFirst(scheme.count))
        return path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    // MARK: The schema

    /// Optuna 5.0.0's tables, as SQLAlchemy creates them in SQLite.
    private static let schema = """
        CREATE TABLE studies (
            study_id INTEGER NOT NULL,
            study_name VARCHAR(512) NOT NULL,
            PRIMARY KEY (study_id)
        );
        CREATE UNIQUE INDEX ix_studies_study_name ON studies (study_name);
        CREATE TABLE version_info (
            version_info_id INTEGER NOT NULL,
            schema_version INTEGER,
            library_version VARCHAR(256),
            PRIMARY KEY (version_info_id),
            CHECK (version_info_id=1)
        );
        CREATE TABLE study_directions (
            study_direction_id INTEGER NOT NULL,
            direction VARCHAR(8) NOT NULL,
            study_id INTEGER NOT NULL,
            objective INTEGER NOT NULL,
            PRIMARY KEY (study_direction_id),
            UNIQUE (study_id, objective),
            FOREIGN KEY(study_id) REFERENCES studies (study_id)
        );
        CREATE TABLE study_user_attributes (
            study_user_attribute_id INTEGER NOT NULL,
            study_id INTEGER,
            "key" VARCHAR(512),
            value_json TEXT,
            PRIMARY KEY (study_user_attribute_id),
            UNIQUE (study_id, "key"),
            FOREIGN KEY(study_id) REFERENCES studies (study_id)
        );
        CREATE TABLE study_system_attributes (
            study_system_attribute_id INTEGER NOT NULL,
            study_id INTEGER,
            "key" VARCHAR(512),
            value_json TEXT,
            PRIMARY KEY (study_system_attribute_id),
            UNIQUE (study_id, "key"),
            FOREIGN KEY(study_id) REFERENCES studies (study_id)
        );
        CREATE TABLE trials (
            trial_id INTEGER NOT NULL,
            number INTEGER,
            study_id INTEGER,
            state VARCHAR(8) NOT NULL,
            datetime_start DATETIME,
            datetime_complete DATETIME,
            PRIMARY KEY (trial_id),
            FOREIGN KEY(study_id) REFERENCES studies (study_id)
        );
        CREATE INDEX ix_trials_study_id ON trials (study_id);
        CREATE TABLE trial_user_attributes (
            trial_user_attribute_id INTEGER NOT NULL,
            trial_id INTEGER,
            "key" VARCHAR(512),
            value_json TEXT,
            PRIMARY KEY (trial_user_attribute_id),
            UNIQUE (trial_id, "key"),
            FOREIGN KEY(trial_id) REFERENCES trials (trial_id)
        );
        CREATE TABLE trial_system_attributes (
            trial_system_attribute_id INTEGER NOT NULL,
            trial_id INTEGER,
            "key" VARCHAR(512),
            value_json TEXT,
            PRIMARY KEY (trial_system_attribute_id),
            UNIQUE (trial_id, "key"),
            FOREIGN KEY(trial_id) REFERENCES trials (trial_id)
        );
        CREATE TABLE trial_params (
            param_id INTEGER NOT NULL,
            trial_id INTEGER,
            param_name VARCHAR(512),
            param_value FLOAT,
            distribution_json TEXT,
            PRIMARY KEY (param_id),
            UNIQUE (trial_id, param_name),
            FOREIGN KEY(trial_id) REFERENCES trials (trial_id)
        );
        CREATE TABLE trial_values (
            trial_value_id INTEGER NOT NULL,
            trial_id INTEGER NOT NULL,
            objective INTEGER NOT NULL,
            value FLOAT,
            value_type VARCHAR(7) NOT NULL,
            PRIMARY KEY (trial_value_id),
            UNIQUE (trial_id, objective),
            FOREIGN KEY(trial_id) REFERENCES trials (trial_id)
        );
        CREATE TABLE trial_intermediate_values (
            trial_intermediate_value_id INTEGER NOT NULL,
            trial_id INTEGER NOT NULL,
            step INTEGER NOT NULL,
            intermediate_value FLOAT,
            intermediate_value_type VARCHAR(7) NOT NULL,
            PRIMARY KEY (trial_intermediate_value_id),
            UNIQUE (trial_id, step),
            FOREIGN KEY(trial_id) REFERENCES trials (trial_id)
        );
        CREATE TABLE trial_heartbeats (
            trial_heartbeat_id INTEGER NOT NULL,
            trial_id INTEGER NOT NULL,
            heartbeat DATETIME NOT NULL,
            PRIMARY KEY (trial_heartbeat_id),
            UNIQUE (trial_id),
            FOREIGN KEY(trial_id) REFERENCES trials (trial_id)
        );
        CREATE TABLE alembic_version (
            version_num VARCHAR(32) NOT NULL,
            CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
        );
        """

    /// Creates the schema in an empty database, else checks that it is the one Koan writes.
    private func prepareSchema() throws {
        var tables: [String] = []
        try rows("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name") { tables.append($0.text(0) ?? "") }
        if tables.isEmpty {
            try execute(Self.schema)
            try run("INSERT INTO version_info (version_info_id, schema_version, library_version) VALUES (1, ?, ?)",
                    [.int(Self.schemaVersion), .text(Self.libraryVersion)])
            try run("INSERT INTO alembic_version (version_num) VALUES (?)", [.text(Self.alembicRevision)])
            return
        }
        guard tables.contains("version_info") else {
            throw SearchError.storage("\(path) is not an Optuna study storage: it has tables (\(tables.joined(separator: ", "))) but no version_info")
        }
        var found: (schema: Int64?, library: String?)?
        try rows("SELECT schema_version, library_version FROM version_info") { found = ($0.int(0), $0.text(1)) }
        guard let found, let schema = found.schema else {
            throw SearchError.storage("\(path) has no schema version in its version_info table")
        }
        guard schema == Self.schemaVersion else {
            throw SearchError.storage("\(path) has Optuna schema version \(schema) (written by Optuna \(found.library ?? "?")); Koan reads and writes schema version \(Self.schemaVersion) (Optuna \(Self.libraryVersion))")
        }
        var revision: String?
        if tables.contains("alembic_version") {
            try rows("SELECT version_num FROM alembic_version") { revision = $0.text(0) }
        }
        guard revision == Self.alembicRevision else {
            throw SearchError.storage("\(path) is at Optuna's alembic revision \(revision ?? "none") (written by Optuna \(found.library ?? "?")); Koan reads and writes \(Self.alembicRevision) (Optuna 3.2 to \(Self.libraryVersion)): upgrade it with `optuna storage upgrade --storage sqlite:///\(path)`")
        }
    }

    // MARK: Studies

    /// The direction of the study `name`, nil when the storage has no such study.
    public func storedDirection(study name: String) throws -> Direction? {
        try findStudy(name)?.direction
    }

    /// The study's row id and its one direction.
    private func findStudy(_ name: String) throws -> (id: Int64, direction: Direction)? {
        var id: Int64?
        try rows("SELECT study_id FROM studies WHERE study_name = ?", [.text(name)]) { id = $0.id(0) }
        guard let id else { return nil }
        var directions: [String] = []
        try rows("SELECT direction FROM study_directions WHERE study_id = ? ORDER BY objective", [.int(id)]) {
            directions.append($0.text(0) ?? "")
        }
        guard directions.count == 1 else {
            throw SearchError.storage("study '\(name)' in \(path) has \(directions.count) objectives; Koan's studies have one")
        }
        guard let direction = Direction(rawValue: directions[0]) else {
            throw SearchError.storage("study '\(name)' in \(path) has the unknown direction '\(directions[0])'")
        }
        return (id, direction)
    }

    /// The trials of the study `name` in the order they started, creating the study when
    /// absent. Its stored direction must be `direction`. The storage then serves this study
    /// only.
    public func open(study name: String, direction: Direction) throws -> [TrialRecord] {
        if let study, study.name != name {
            throw SearchError.storage("this storage serves study '\(study.name)'; open study '\(name)' with its own SQLiteStorage")
        }
        let (id, trials) = try transaction {
            let id: Int64
            if let found = try findStudy(name) {
                guard found.direction == direction else {
                    throw SearchError.storage("study '\(name)' in \(path) has direction \(found.direction.rawValue), not \(direction.rawValue)")
                }
                id = found.id
            } else {
                try run("INSERT INTO studies (study_name) VALUES (?)", [.text(name)])
                id = sqlite3_last_insert_rowid(db)
                try run("INSERT INTO study_directions (direction, study_id, objective) VALUES (?, ?, 0)",
                        [.text(direction.rawValue), .int(id)])
            }
            return (id, try loadTrials(study: id))
        }
        study = (id, name)
        return trials
    }

    private func loadTrials(study id: Int64) throws -> [TrialRecord] {
        var trials: [TrialRecord] = []
        var index: [Int64: Int] = [:]
        try rows("SELECT trial_id, number, state, datetime_start, datetime_complete FROM trials WHERE study_id = ? ORDER BY trial_id",
                 [.int(id)]) { row in
            let trialID = row.id(0)
            let number = row.int(1).map(Int.init) ?? trials.count
            guard let state = TrialState(rawValue: row.text(2) ?? "") else {
                throw SearchError.storage("trial \(number) has the unknown state '\(row.text(2) ?? "")'")
            }
            var trial = TrialRecord(number: number, state: state, start: try row.text(3).map { try Self.date($0, trial: number) })
            trial.complete = try row.text(4).map { try Self.date($0, trial: number) }
            trial.storageID = trialID
            index[trialID] = trials.count
            trials.append(trial)
        }
        try rows("""
            SELECT p.trial_id, p.param_name, p.param_value, p.distribution_json FROM trial_params p
            JOIN trials t ON t.trial_id = p.trial_id WHERE t.study_id = ? ORDER BY p.param_id
            """, [.int(id)]) { row in
            guard let i = index[row.id(0)] else { return }
            let name = row.text(1) ?? ""
            let context = "parameter '\(name)' of trial \(trials[i].number)"
            guard let value = row.double(2) else { throw SearchError.storage("\(context) has no value") }
            let distribution = try Distribution(optunaJSON: try Self.json(row.text(3), context))
            trials[i].params.append(TrialParam(name: name, distribution: distribution, internalValue: value))
        }
        try rows("""
            SELECT v.trial_id, v.value, v.value_type FROM trial_values v
            JOIN trials t ON t.trial_id = v.trial_id WHERE t.study_id = ? AND v.objective = 0
            """, [.int(id)]) { row in
            guard let i = index[row.id(0)] else { return }
            trials[i].value = try Self.float(row.double(1), type: row.text(2), "the value of trial \(trials[i].number)")
        }
        try rows("""
            SELECT v.trial_id, v.step, v.intermediate_value, v.intermediate_value_type FROM trial_intermediate_values v
            JOIN trials t ON t.trial_id = v.trial_id WHERE t.study_id = ?
            """, [.int(id)]) { row in
            guard let i = index[row.id(0)] else { return }
            let step = Int(row.id(1))
            trials[i].intermediate[step] = try Self.float(row.double(2), type: row.text(3),
                                                          "the value at step \(step) of trial \(trials[i].number)")
        }
        let attributes = [
            ("SELECT a.trial_id, a.\"key\", a.value_json FROM trial_user_attributes a JOIN trials t ON t.trial_id = a.trial_id WHERE t.study_id = ?",
             \TrialRecord.userAttributes),
            ("SELECT a.trial_id, a.\"key\", a.value_json FROM trial_system_attributes a JOIN trials t ON t.trial_id = a.trial_id WHERE t.study_id = ?",
             \TrialRecord.systemAttributes),
        ]
        for (sql, keyPath) in attributes {
            try rows(sql, [.int(id)]) { row in
                guard let i = index[row.id(0)] else { return }
                let key = row.text(1) ?? ""
                trials[i][keyPath: keyPath][key] = try Self.json(row.text(2), "attribute '\(key)' of trial \(trials[i].number)")
            }
        }
        return trials
    }

    // MARK: Trials

    /// The row id of the study `open` named.
    private func openStudy() throws -> Int64 {
        guard let study else { throw SearchError.storage("no study is open in \(path): call open(study:direction:) first") }
        return study.id
    }

    /// Stores `trial` (its parameters, values and attributes too) in the open study. Its
    /// number is, as in Optuna, the count of the study's trials before it.
    public func insert(_ trial: TrialRecord) throws -> Int64 {
        let studyID = try openStudy()
        return try transaction {
            var count: Int64 = 0
            try rows("SELECT count(*) FROM trials WHERE study_id = ?", [.int(studyID)]) { count = $0.id(0) }
            try run("INSERT INTO trials (number, study_id, state, datetime_start, datetime_complete) VALUES (?, ?, ?, ?, ?)",
                    [.int(count), .int(studyID), .text(trial.state.rawValue),
                     trial.start.map { .text(Self.text($0)) } ?? .null,
                     trial.state.isFinished ? trial.complete.map { .text(Self.text($0)) } ?? .null : .null])
            let id = sqlite3_last_insert_rowid(db)
            for param in trial.params { try setParam(id, param) }
            for (step, value) in trial.intermediate.sorted(by: { $0.key < $1.key }) { try setIntermediate(id, step: step, value: value) }
            for (key, value) in trial.systemAttributes.sorted(by: { $0.key < $1.key }) { try setSystemAttribute(id, key: key, value: value) }
            for (key, value) in trial.userAttributes.sorted(by: { $0.key < $1.key }) { try setUserAttribute(id, key: key, value: value) }
            if let value = trial.value { try setValue(id, value) }
            return id
        }
    }

    /// Stores a parameter's internal representation and its distribution.
    public func setParam(_ trialID: Int64, _ param: TrialParam) throws {
        try run("INSERT INTO trial_params (trial_id, param_name, param_value, distribution_json) VALUES (?, ?, ?, ?)",
                [.int(trialID), .text(param.name), .double(param.internalValue), .text(param.distribution.optunaJSON.text())])
    }

    /// Stores (or replaces) the value reported at `step`.
    public func setIntermediate(_ trialID: Int64, step: Int, value: Double) throws {
        let (stored, type) = Self.stored(value)
        try run("""
            INSERT INTO trial_intermediate_values (trial_id, step, intermediate_value, intermediate_value_type) VALUES (?, ?, ?, ?)
            ON CONFLICT (trial_id, step) DO UPDATE SET intermediate_value = excluded.intermediate_value,
            intermediate_value_type = excluded.intermediate_value_type
            """, [.int(trialID), .int(Int64(step)), stored, .text(type)])
    }

    /// Stores (or replaces) an Optuna system attribute.
    public func setSystemAttribute(_ trialID: Int64, key: String, value: JSONValue) throws {
        try run("""
            INSERT INTO trial_system_attributes (trial_id, "key", value_json) VALUES (?, ?, ?)
            ON CONFLICT (trial_id, "key") DO UPDATE SET value_json = excluded.value_json
            """, [.int(trialID), .text(key), .text(value.text())])
    }

    /// Stores (or replaces) a user attribute.
    public func setUserAttribute(_ trialID: Int64, key: String, value: JSONValue) throws {
        try run("""
            INSERT INTO trial_user_attributes (trial_id, "key", value_json) VALUES (?, ?, ?)
            ON CONFLICT (trial_id, "key") DO UPDATE SET value_json = excluded.value_json
            """, [.int(trialID), .text(key), .text(value.text())])
    }

    /// Ends a trial: its state, its value when it has one, and (for a finished state) the
    /// time it ended.
    public func finish(_ trialID: Int64, state: TrialState, value: Double?, complete: Date) throws {
        try transaction {
            if let value { try setValue(trialID, value) }
            try run("UPDATE trials SET state = ?, datetime_complete = ? WHERE trial_id = ?",
                    [.text(state.rawValue), state.isFinished ? .text(Self.text(complete)) : .null, .int(trialID)])
            guard sqlite3_changes(db) == 1 else { throw SearchError.storage("\(path) has no trial with id \(trialID)") }
        }
    }

    /// Stores (or replaces) the trial's value of objective 0.
    private func setValue(_ trialID: Int64, _ value: Double) throws {
        guard !value.isNaN else { throw SearchError.storage("a trial's value cannot be NaN (Optuna fails such trials)") }
        let (stored, type) = Self.stored(value)
        try run("""
            INSERT INTO trial_values (trial_id, objective, value, value_type) VALUES (?, 0, ?, ?)
            ON CONFLICT (trial_id, objective) DO UPDATE SET value = excluded.value, value_type = excluded.value_type
            """, [.int(trialID), stored, .text(type)])
    }

    // MARK: Optuna's representations

    /// A float as Optuna stores it: finite in the value column, the others as a type alone.
    private static func stored(_ x: Double) -> (SQLValue, String) {
        if x.isNaN { return (.null, "NAN") }
        if x == .infinity { return (.null, "INF_POS") }
        if x == -.infinity { return (.null, "INF_NEG") }
        return (.double(x), "FINITE")
    }

    /// A float from its value column and its value type (`FINITE`, `INF_POS`, `INF_NEG`, `NAN`).
    private static func float(_ value: Double?, type: String?, _ context: String) throws -> Double {
        switch type {
        case "FINITE":
            guard let value else { throw SearchError.storage("\(context) is FINITE without a number") }
            return value
        case "INF_POS": return .infinity
        case "INF_NEG": return -.infinity
        case "NAN": return .nan
        default: throw SearchError.storage("\(context) has the unknown value type '\(type ?? "NULL")'")
        }
    }

    /// An attribute's or a distribution's JSON text, parsed.
    private static func json(_ text: String?, _ context: String) throws -> JSONValue {
        guard let text else { throw SearchError.storage("\(context) has no JSON") }
        do { return try JSONValue(parsing: text) } catch {
            throw SearchError.storage("\(context) is not JSON Koan reads (\(error)): \(text)")
        }
    }

    /// `2026-12-04 13:06:39.708826`: a datetime as SQLAlchemy stores it, in UTC (Optuna 5
    /// keeps naive UTC and shows local time).
    static func text(_ date: Date) -> String {
        let micros = Int64((date.timeIntervalSince1970 * 1e6).rounded())
        var (seconds, fraction) = micros.quotientAndRemainder(dividingBy: 1_000_000)
        if fraction < 0 { seconds -= 1; fraction += 1_000_000 }
        var (days, second) = seconds.quotientAndRemainder(dividingBy: 86_400)
        if second < 0 { days -= 1; second += 86_400 }
        let (y, m, d) = civil(days: days)
        return String(format: "%04lld-%02lld-%02lld %02lld:%02lld:%02lld.%06lld",
                      y, m, d, second / 3600, second / 60 % 60, second % 60, fraction)
    }

    /// Reads `YYYY-MM-DD HH:MM:SS[.ffffff]` (UTC).
    static func date(_ text: String, trial number: Int) throws -> Date {
        let parts = text.split(omittingEmptySubsequences: false, whereSeparator: { "-: T.".contains($0) })
        let digits = parts.allSatisfy { !$0.isEmpty && $0.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") } }
        let fields = parts.prefix(6).compactMap { Int64($0) }
        guard parts.count == 6 || parts.count == 7, digits, fields.count == 6 else {
            throw SearchError.storage("trial \(number) has the datetime '\(text)', not YYYY-MM-DD HH:MM:SS.ffffff")
        }
        let fraction = parts.count == 7 ? Double("0." + parts[6]) ?? 0 : 0
        let seconds = days(year: fields[0], month: fields[1], day: fields[2]) * 86_400 + fields[3] * 3600 + fields[4] * 60 + fields[5]
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
    private static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * ((month + 9) % 12) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The date `days` after 1970-01-01 (Howard Hinnant's `civil_from_days`).
    private static func civil(days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, dayOfYear - (153 * mp + 2) / 5 + 1)
    }

    // MARK: SQLite

    /// A value bound to a statement's `?`.
    enum SQLValue {
        case int(Int64)
        case double(Double)
        case text(String)
        case null
    }

    /// One result row of a statement.
    struct Row {
        fileprivate let handle: OpaquePointer
        /// An INTEGER PRIMARY KEY, a NOT NULL integer or a count.
        func id(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }
        func int(_ column: Int32) -> Int64? { isNull(column) ? nil : sqlite3_column_int64(handle, column) }
        func double(_ column: Int32) -> Double? { isNull(column) ? nil : sqlite3_column_double(handle, column) }
        func text(_ column: Int32) -> String? {
            guard let bytes = sqlite3_column_text(handle, column) else { return nil }
            return String(decoding: UnsafeBufferPointer(start: bytes, count: Int(sqlite3_column_bytes(handle, column))), as: UTF8.self)
        }
        private func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }
    }

    /// The connection's last error.
    private func failure() -> SearchError {
        .storage("SQLite error in \(path): \(String(cString: sqlite3_errmsg(db)))")
    }

    /// Runs SQL without parameters (the schema, transactions), statement after statement.
    func execute(_ sql: String) throws {
        guard sqlite3_exec(db, sql, nil, nil, nil) == SQLITE_OK else { throw failure() }
    }

    /// Runs one statement with `values` bound to its parameters, calling `each` per row.
    func rows(_ sql: String, _ values: [SQLValue] = [], _ each: (Row) throws -> Void) throws {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(db, sql, -1, &statement, nil) == SQLITE_OK, let statement else { throw failure() }
        defer { sqlite3_finalize(statement) }
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        for (i, value) in values.enumerated() {
            let index = Int32(i + 1)
            let rc = switch value {
            case .int(let v): sqlite3_bind_int64(statement, index, v)
            case .double(let v): sqlite3_bind_double(statement, index, v)
            case .text(let v): sqlite3_bind_text(statement, index, v, Int32(v.utf8.count), transient)
            case .null: sqlite3_bind_null(statement, index)
            }
            guard rc == SQLITE_OK else { throw failure() }
        }
        while true {
            switch sqlite3_step(statement) {
            case SQLITE_ROW: try each(Row(handle: statement))
            case SQLITE_DONE: return
            default: throw failure()
            }
        }
    }

    /// Runs one statement that returns no rows.
    func run(_ sql: String, _ values: [SQLValue] = []) throws {
        try rows(sql, values) { _ in }
    }

    /// Runs `body` in a write transaction, rolled back when it throws.
    private func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }
}
