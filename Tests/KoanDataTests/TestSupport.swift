import Foundation
import KoanTensor
import XCTest
@testable import KoanData

/// A fresh temporary directory per test case; files written with `write(_:_:)`.
final class TempDir {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("koandata-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }

    /// Writes `text` byte for byte and returns the path.
    func write(_ name: String, _ text: String) throws -> String {
        let u = url.appendingPathComponent(name)
        try Data(text.utf8).write(to: u)
        return u.path
    }
}

/// Asserts that `body` throws exactly `expected`.
func assertThrows<T>(_ expected: DataError, file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> T) {
    do {
        _ = try body()
        XCTFail("expected \(expected), nothing thrown", file: file, line: line)
    } catch let e as DataError {
        XCTAssertEqual(e, expected, file: file, line: line)
    } catch {
        XCTFail("expected \(expected), got \(error)", file: file, line: line)
    }
}

func rows(_ a: NDArray) -> [[Double]] {
    let w = a.shape.dropFirst().reduce(1, *)
    let d = a.doubles()
    return (0..<a.shape[0]).map { Array(d[($0 * w)..<(($0 + 1) * w)]) }
}
