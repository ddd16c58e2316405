import Foundation
import KoanTensor
import XCTest
@testable import KoanData

/// Parity with `sklearn.datasets.load_digits()` via Fixtures/digits.json (tools/goldens/digits.py).
final class DigitsTests: XCTestCase {
    struct Sample: Decodable { let index: Int; let features: [Int]; let label: Int }
    struct Fixture: Decodable {
        let shape: [Int]; let images_shape: [Int]; let checksum: String; let feature_sum: Int
        let class_counts: [Int]; let target_names: [Int]; let samples: [Sample]
    }

    func fixture() throws -> Fixture {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "digits", withExtension: "json", subdirectory: "Fixtures"))
        return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }

    func testMatchesSklearn() throws {
        let f = try fixture()
        let d = try Dataset.digits()
        XCTAssertEqual(d.features.shape, f.shape)
        XCTAssertEqual(d.features.dtype, .float32)
        XCTAssertEqual(d.labels.dtype, .int64)
        XCTAssertEqual(d.count, 1797)
        XCTAssertEqual(d.featureShape, [64])
        XCTAssertEqual(d.classCount, 10)
        XCTAssertEqual(d.classNames, f.target_names.map(String.init))
        XCTAssertEqual(d.name, "digits")

        let x = d.features.doubles(), y = d.labels.ints()
        XCTAssertTrue(x.allSatisfy { $0 >= 0 && $0 <= 16 && $0 == $0.rounded() })
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in x.map({ UInt8($0) }) + y.map({ UInt8($0) }) { h ^= UInt64(b); h = h &* 0x100_0000_01B3 }
        XCTAssertEqual(String(h), f.checksum)
        XCTAssertEqual(Int(x.reduce(0, +)), f.feature_sum)
        var counts = [Int](repeating: 0, count: 10)
        for v in y { counts[Int(v)] += 1 }
        XCTAssertEqual(counts, f.class_counts)
        for s in f.samples {
            XCTAssertEqual(Array(x[(s.index * 64)..<((s.index + 1) * 64)]), s.features.map(Double.init), "row \(s.index)")
            XCTAssertEqual(y[s.index], Int64(s.label), "label \(s.index)")
        }
    }

    func testImagesAndNormalized() throws {
        let d = try Dataset.digits()
        let imgs = try d.images()
        XCTAssertEqual(imgs.shape, [1797, 1, 8, 8])
        XCTAssertEqual(imgs.doubles(), d.features.doubles())
        let n = try d.normalized()
        XCTAssertEqual(n.features.doubles(), d.features.doubles().map { Double(Float($0) / 16) })
        XCTAssertEqual(try n.images().shape, [1797, 1, 8, 8])
        XCTAssertEqual(n.labels.ints(), d.labels.ints())
    }
}
