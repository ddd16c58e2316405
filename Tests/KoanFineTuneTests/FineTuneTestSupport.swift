import Foundation
import KoanAutograd
import KoanData
import KoanNN
import KoanTensor
import KoanTokenizers
import XCTest

/// A small BERT (vocab 40, dim 16, 2 layers) and ids to run it on.
func smallBERT(seed: UInt64 = 1) throws -> BERT {
    try BERT(vocab: 40, dim: 16, heads: 2, layers: 2, intermediate: 32, maxPositions: 64, key: RandomKey(seed: seed))
}

func ids(_ rows: [[Int]]) throws -> Tensor {
    Tensor(try NDArray(ints: rows.flatMap { $0.map(Int64.init) }, shape: [rows.count, rows[0].count]))
}

/// The largest |a − b|.
func maxDifference(_ a: NDArray, _ b: NDArray) throws -> Double {
    XCTAssertEqual(a.shape, b.shape)
    return zip(a.doubles(), b.doubles()).map { abs($0 - $1) }.max() ?? 0
}

/// Gives every parameter under `prefix` small seeded random values (so a zero-initialised
/// LoRA B or adapter up-projection is not trivially zero in a test).
func randomize(_ model: Module, prefix: String, seed: UInt64) throws {
    var values: [String: NDArray] = [:]
    for (i, (path, t)) in model.parameters.enumerated() where path.contains(prefix) {
        values[path] = try (NDArray.randn(t.shape, key: RandomKey(seed: seed).derived(UInt64(i))) * 0.1).to(t.dtype)
    }
    try model.update(parameters: values)
}

/// A temporary directory, removed at the end of the test.
func temporaryDirectory(_ test: XCTestCase) throws -> String {
    let dir = NSTemporaryDirectory() + "koan-finetune-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
    return dir
}

/// A WordPiece tokenizer trained on a few sentences (has [CLS], [SEP], [PAD], [UNK]).
func smallTokenizer() throws -> Tokenizer {
    try Tokenizer.wordPiece(trainOn: "where is my parcel\ncancel my order please\nthe parcel is late\nrefund my order\nmy order is late\n", vocab: 60, minFrequency: 1)
}
