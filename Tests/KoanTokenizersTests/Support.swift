import Foundation
import XCTest

enum Fixtures {
    static func url(_ name: String) throws -> URL {
        guard let u = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures") else {
            throw XCTSkip("missing fixture \(name)")
        }
        return u
    }

    static func goldens() throws -> [String: Any] {
        let data = try Data(contentsOf: try url("tokenizers_goldens.json"))
        guard let d = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw NSError(domain: "goldens", code: 1)
        }
        return d
    }

    static func lines() throws -> [String] {
        try goldens()["lines"] as? [String] ?? []
    }
}
