// TEMPORARY until KoanSearch.SQLiteStorage lands (delete).
import Foundation
import KoanJSON
import KoanSearch
final class SQLiteStorage: StudyStorage {
    init(url: String) throws { throw SearchError.storage("not yet") }
    func open(study name: String, direction: Direction) throws -> [TrialRecord] { [] }
    func insert(_ trial: TrialRecord) throws -> Int64 { 0 }
    func setParam(_ trialID: Int64, _ param: TrialParam) throws {}
    func setIntermediate(_ trialID: Int64, step: Int, value: Double) throws {}
    func setSystemAttribute(_ trialID: Int64, key: String, value: JSONValue) throws {}
    func setUserAttribute(_ trialID: Int64, key: String, value: JSONValue) throws {}
    func finish(_ trialID: Int64, state: TrialState, value: Double?, complete: Date) throws {}
}
