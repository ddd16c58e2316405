import Foundation
import KoanAutograd
import KoanTensor
import XCTest
import KoanTestSupport

/// Path of a committed fixture.
func fixturePath(_ name: String) throws -> String {
    guard let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures") else {
        throw MissingLMFixture(name: name)
    }
    return url.path
}

/// Token ids as an int64 tensor [rows, n].
func ids(_ rows: [[Int]]) throws -> Tensor {
    try Tensor(ints: rows.flatMap { $0.map(Int64.init) }, shape: [rows.count, rows.first?.count ?? 0])
}

func cosine(_ a: [Double], _ b: [Double]) -> Double {
    let dot = zip(a, b).reduce(0) { $0 + $1.0 * $1.1 }
    let na = a.reduce(0) { $0 + $1 * $1 }.squareRoot(), nb = b.reduce(0) { $0 + $1 * $1 }.squareRoot()
    return dot / (na * nb)
}

/// A committed fixture that is not in the test bundle: a failure, never a skip.
struct MissingLMFixture: Error, CustomStringConvertible {
    var name: String
    var description: String { "missing Fixtures/\(name): run tools/goldens/gpt.py or minilm.py" }
}

