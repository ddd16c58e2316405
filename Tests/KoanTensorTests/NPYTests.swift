import Foundation
@testable import KoanTensor
import XCTest
import KoanTestSupport

/// Directory of the NumPy-written fixture files (tools/goldens/io.py).
func ioFixturePath(_ file: String) -> String {
    Bundle.module.resourceURL!.appendingPathComponent("Fixtures").appendingPathComponent(file).path
}

/// Same shape, dtype and bit-identical values (NaN payloads aside; -0.0 distinct from 0.0).
func assertIdentical(_ a: NDArray, _ e: NDArray, _ message: String = "", file: StaticString = #filePath, line: UInt = #line) {
    guard a.shape == e.shape, a.dtype == e.dtype else {
        XCTFail("\(message): got \(a.dtype) \(a.shape), expected \(e.dtype) \(e.shape)", file: file, line: line)
        return
    }
    if a.dtype.isFloatingPoint {
        let x = a.doubles(), y = e.doubles()
        for i in 0..<x.count where !(x[i].isNaN && y[i].isNaN) {
            if x[i] != y[i] || x[i].sign != y[i].sign {
                XCTFail("\(message): element \(i): \(x[i]) != expected \(y[i])", file: file, line: line)
                return
            }
        }
    } else {
        XCTAssertEqual(a.ints(), e.ints(), message, file: file, line: line)
    }
}

/// Deterministic generator for the fuzz tests.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

final class NPYTests: XCTestCase {
    var tempDir: String = ""

    override func setUpWithError() throws {
        tempDir = NSTemporaryDirectory() + "koan-npy-\(getpid())-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: tempDir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: tempDir)
    }

    /// One array of each dtype with interesting values, several shapes.
    static func samples() throws -> [(String, NDArray)] {
        var out = [(String, NDArray)]()
        let floats: [Double] = [0, -0.0, 1.5, -2.25, 3.1415927, 1e-3, 65504, .nan, .infinity, -.infinity, 1e-7, 12345.678]
        for dtype in DType.allCases {
            let a = try NDArray(shape: [3, 4], dtype: dtype)
            for (i, v) in floats.enumerated() {
                if dtype.isFloatingPoint { a.storeDouble(v, at: i) } else { a.storeInt(Int64(i * 37 - 100) * (dtype == .int64 ? 1 << 40 : 1), at: i) }
            }
            if dtype == .bool { for i in 0..<12 { a.storeInt(Int64(i % 3 == 0 ? 1 : 0), at: i) } }
            out.append(("\(dtype)_3x4", a))
            let s = try NDArray(shape: [], dtype: dtype)
            s.storeDouble(dtype == .bool ? 1 : -7, at: 0)
            out.append(("\(dtype)_scalar", s))
            out.append(("\(dtype)_empty", try NDArray(shape: [0, 5], dtype: dtype)))
            // A non-contiguous (transposed) view.
            out.append(("\(dtype)_T", NDArray(storage: a.storage, dtype: dtype, shape: [4, 3], strides: [1, 4], offset: 0)))
        }
        return out
    }

    func testRoundTripEveryDType() throws {
        for (name, a) in try Self.samples() {
            let bytes = try NPY.write(a)
            // Header: magic, v1.0, data aligned to 64 bytes.
            XCTAssertEqual(Array(bytes[0..<8]), [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0], name)
            let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            XCTAssertEqual((10 + headerLength) % 64, 0, name)
            XCTAssertEqual(bytes[10 + headerLength - 1], 0x0A, name)
            let b = try NPY.read(bytes, path: name)
            assertIdentical(b, a, name)
            // Through a file as well.
            let path = tempDir + "/\(name).npy"
            try NPY.save(a, path: path)
            assertIdentical(try NPY.load(path: path), a, name)
        }
    }

    func testHeaderText() throws {
        let a = try NDArray(shape: [2, 3], dtype: .float32, zeroed: true)
        let bytes = try NPY.write(a)
        let header = String(decoding: bytes[10..<(10 + Int(bytes[8]))], as: UTF8.self)
        XCTAssertTrue(header.hasPrefix("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"), header)
        let one = try NPY.write(try NDArray(shape: [5], dtype: .bfloat16, zeroed: true))
        XCTAssertTrue(String(decoding: one[10..<80], as: UTF8.self).hasPrefix("{'descr': 'bfloat16', 'fortran_order': False, 'shape': (5,), }"))
        let zero = try NPY.write(try NDArray(shape: [], dtype: .int8, zeroed: true))
        XCTAssertTrue(String(decoding: zero[10..<70], as: UTF8.self).hasPrefix("{'descr': '|i1', 'fortran_order': False, 'shape': (), }"))
    }

    func testVersion2HeaderWhenNeeded() throws {
        let shape = [Int](repeating: 1, count: 22_000) + [2]
        let a = try NDArray(shape: shape, dtype: .int32, zeroed: true)
        a.storeInt(5, at: 1)
        let bytes = try NPY.write(a)
        XCTAssertEqual(bytes[6], 2)
        let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
        XCTAssertGreaterThan(headerLength, 65535)
        XCTAssertEqual((12 + headerLength) % 64, 0)
        let b = try NPY.read(bytes, path: "v2")
        XCTAssertEqual(b.shape, shape)
        XCTAssertEqual(b.ints(), [0, 5])
    }

    func testNumPyFixtures() throws {
        let cases = try GoldenFixture.load("io")
        var checked = 0
        for c in cases {
            guard let file = c.string("file") else { continue }
            switch c.op {
            case "npy":
                let a = try NPY.load(path: ioFixturePath(file))
                assertIdentical(a, c.outputs[0], c.name)
                XCTAssertTrue(a.isContiguous, c.name)
                checked += 1
            case "npy_error":
                let contains = c.string("contains") ?? "?"
                let path = ioFixturePath(file)
                let load: () throws -> Any = file.hasSuffix(".npz") ? { try NPY.loadArchive(path: path) } : { try NPY.load(path: path) }
                XCTAssertThrowsError(try load(), c.name) { error in
                    guard case let TensorError.invalidFile(p, reason)? = error as? TensorError else {
                        return XCTFail("\(c.name): unexpected error \(error)")
                    }
                    XCTAssertEqual(p, path)
                    XCTAssertTrue(reason.lowercased().contains(contains.lowercased()), "\(c.name): reason '\(reason)' lacks '\(contains)'")
                }
                checked += 1
            case "npz":
                let members = try NPY.loadArchive(path: ioFixturePath(file))
                XCTAssertEqual(members.map(\.name), c.args["names"] as? [String] ?? [], c.name)
                XCTAssertEqual(members.count, c.outputs.count, c.name)
                for (m, e) in zip(members, c.outputs) { assertIdentical(m.array, e, "\(c.name)/\(m.name)") }
                checked += 1
            default: continue
            }
        }
        XCTAssertGreaterThan(checked, 40)
    }

    func testArchiveRoundTrip() throws {
        let samples = try Self.samples()
        for compressed in [false, true] {
            let path = tempDir + "/all\(compressed).npz"
            try NPY.saveArchive(samples.map { (name: $0.0, array: $0.1) }, path: path, compressed: compressed)
            let back = try NPY.loadArchive(path: path)
            XCTAssertEqual(back.map(\.name), samples.map(\.0))
            for (m, s) in zip(back, samples) { assertIdentical(m.array, s.1, m.name) }
        }
        // Compression really happens for compressible data.
        let z = try NDArray(shape: [10_000], dtype: .float32, zeroed: true)
        let stored = try NPY.writeArchive([("z", z)], compressed: false)
        let packed = try NPY.writeArchive([("z", z)], compressed: true)
        XCTAssertLessThan(packed.count, stored.count / 10)
        assertIdentical(try NPY.readArchive(packed, path: "p").first!.array, z)
    }

    func testArchiveNameErrors() throws {
        let a = try NDArray(shape: [1], dtype: .float32, zeroed: true)
        XCTAssertThrowsError(try NPY.writeArchive([("x", a), ("x", a)])) { error in
            XCTAssertEqual(error as? TensorError, .invalidArgument(op: "saveArchive", message: "duplicate member name 'x'"))
        }
        XCTAssertThrowsError(try NPY.writeArchive([("", a)]))
    }

    func testMalformedHeaders() throws {
        func npy(_ header: String, data: [UInt8] = [], version: UInt8 = 1) -> [UInt8] {
            var h = Array(header.utf8)
            h.append(0x0A)
            return [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, version, 0, UInt8(h.count & 0xFF), UInt8(h.count >> 8)] + h + data
        }
        let cases: [(String, [UInt8], String)] = [
            ("notdict", npy("[1, 2]"), "not a dictionary"),
            ("nokeys", npy("{'descr': '<f4'}"), "needs the keys"),
            ("extrakey", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (), 'x': 1}"), "unexpected key"),
            ("badshape", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}"), "non-negative"),
            ("shapelist", npy("{'descr': '<f4', 'fortran_order': False, 'shape': 3}"), "not a tuple"),
            ("overflow", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999, 99999999999)}"),
             "shape [99999999999, 99999999999, 99999999999] has 999999999970000000000299999999999 elements, more than Int can count"),
            ("bigint", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (999999999999999999999999,)}"), "integer too large"),
            ("deep", npy(String(repeating: "(", count: 5000)), "nesting"),
            ("fortran", npy("{'descr': '<f4', 'fortran_order': 1, 'shape': ()}"), "fortran_order"),
            ("descr", npy("{'descr': '<q9', 'fortran_order': False, 'shape': ()}"), "unsupported dtype"),
            ("unterminated", npy("{'descr': '<f4"), "unterminated"),
            ("garbage", npy("{'descr': '<f4', 'fortran_order': False, 'shape': ()} xyz"), "unexpected text"),
            ("short", [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1], "truncated"),
            ("hlen", [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, 0xFF, 0xFF, 0x7B], "truncated header"),
        ]
        for (name, bytes, reason) in cases {
            XCTAssertThrowsError(try NPY.read(bytes, path: name), name) { error in
                guard case let TensorError.invalidFile(path, r)? = error as? TensorError else { return XCTFail("\(name): \(error)") }
                XCTAssertEqual(path, name)
                XCTAssertTrue(r.contains(reason), "\(name): '\(r)' lacks '\(reason)'")
            }
        }
        // Accepted variations: double quotes, key order, no trailing comma, Python 2 longs.
        let ok = try NPY.read(npy("{\"shape\": (2L,), \"fortran_order\": False, \"descr\": \"<i4\"}", data: [1, 0, 0, 0, 2, 0, 0, 0]), path: "ok")
        XCTAssertEqual(ok.ints(), [1, 2])
        XCTAssertEqual(ok.dtype, .int32)
    }

    func testFileErrors() throws {
        XCTAssertThrowsError(try NPY.load(path: tempDir + "/missing.npy")) { error in
            XCTAssertEqual(error as? TensorError, .invalidFile(path: tempDir + "/missing.npy", reason: "No such file or directory"))
        }
        XCTAssertThrowsError(try NPY.load(path: tempDir)) { error in
            XCTAssertEqual(error as? TensorError, .invalidFile(path: tempDir, reason: "Is a directory"))
        }
        XCTAssertThrowsError(try NPY.loadArchive(path: tempDir + "/missing.npz"))
        let a = try NDArray(shape: [1], dtype: .float32, zeroed: true)
        XCTAssertThrowsError(try NPY.save(a, path: tempDir + "/no/such/dir/x.npy")) { error in
            guard case let TensorError.cannotWrite(_, reason)? = error as? TensorError else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("No such file or directory"), reason)
        }
        if getuid() != 0 {  // root ignores permissions
            let locked = tempDir + "/locked.npy"
            try NPY.save(a, path: locked)
            chmod(locked, 0)
            XCTAssertThrowsError(try NPY.load(path: locked)) { error in
                XCTAssertEqual(error as? TensorError, .invalidFile(path: locked, reason: "Permission denied"))
            }
        }
        // Not an npz.
        let npyPath = tempDir + "/plain.npy"
        try NPY.save(a, path: npyPath)
        XCTAssertThrowsError(try NPY.loadArchive(path: npyPath)) { error in
            XCTAssertEqual(error as? TensorError, .invalidFile(path: npyPath, reason: "not a zip archive"))
        }
    }

    /// Truncated and randomly corrupted copies of valid files must throw, never crash.
    func testFuzzReader() throws {
        var inputs = [[UInt8]]()
        for file in ["io/f4.npy", "io/i8.npy", "io/fortran_f4.npy", "io/order_be_f8.npy", "io/version3.npy", "io/bf16_v2.npy", "io/scalar_f8.npy"] {
            inputs.append(Array(try Data(contentsOf: URL(fileURLWithPath: ioFixturePath(file)))))
        }
        var archives = [[UInt8]]()
        for file in ["io/savez.npz", "io/savez_compressed.npz"] {
            archives.append(Array(try Data(contentsOf: URL(fileURLWithPath: ioFixturePath(file)))))
        }
        let samples = try Self.samples()
        archives.append(try NPY.writeArchive(samples.prefix(6).map { (name: $0.0, array: $0.1) }, compressed: true))
        var rng = SplitMix64(state: 42)
        func mutate(_ original: [UInt8]) -> [UInt8] {
            var b = original
            switch rng.next() % 3 {
            case 0: b = Array(b.prefix(Int(rng.next() % UInt64(b.count))))
            case 1:
                for _ in 0..<(1 + rng.next() % 4) { b[Int(rng.next() % UInt64(b.count))] = UInt8(truncatingIfNeeded: rng.next()) }
            default:
                // Corrupt inside the header/directory region more often.
                let region = min(b.count, 128)
                let i = b.count > 200 && rng.next() % 2 == 0 ? b.count - 1 - Int(rng.next() % UInt64(min(b.count, 120))) : Int(rng.next() % UInt64(region))
                b[i] = UInt8(truncatingIfNeeded: rng.next())
            }
            return b
        }
        var threw = 0, passed = 0
        for i in 0..<3000 {
            let base = i % 2 == 0 ? inputs[i / 2 % inputs.count] : archives[i / 2 % archives.count]
            let bytes = mutate(base)
            do {
                if i % 2 == 0 { _ = try NPY.read(bytes, path: "fuzz") } else { _ = try NPY.readArchive(bytes, path: "fuzz") }
                passed += 1
            } catch let e as TensorError {
                guard case .invalidFile = e else { return XCTFail("unexpected error \(e)") }
                threw += 1
            }
        }
        XCTAssertGreaterThan(threw, 1000)
        XCTAssertEqual(threw + passed, 3000)
    }

    /// NumPy (and ml_dtypes for bfloat16) must read what Koan writes.
    func testNumPyReadsOurFiles() throws {
        let python = try oraclePython(importing: ["numpy", "ml_dtypes"])
        let samples = try Self.samples()
        for (name, a) in samples { try NPY.save(a, path: tempDir + "/\(name).npy") }
        try NPY.saveArchive(samples.map { (name: $0.0, array: $0.1) }, path: tempDir + "/stored.npz")
        try NPY.saveArchive(samples.map { (name: $0.0, array: $0.1) }, path: tempDir + "/deflated.npz", compressed: true)
        let script = """
        import json, os, sys, numpy as np, ml_dtypes
        d = sys.argv[1]
        def enc(a):
            if a.dtype.kind == 'V' or a.dtype == ml_dtypes.bfloat16:
                return {"dtype": "bfloat16", "shape": list(a.shape), "bits": [int(x) for x in np.ascontiguousarray(a).view(np.uint16).ravel()]}
            vals = [repr(float(x)) if a.dtype.kind == 'f' else int(x) for x in a.ravel()]
            return {"dtype": str(a.dtype), "shape": list(a.shape), "data": vals}
        out = {}
        for f in sorted(os.listdir(d)):
            if f.endswith('.npy'):
                out[f] = enc(np.load(os.path.join(d, f)))
            elif f.endswith('.npz'):
                with np.load(os.path.join(d, f)) as z:
                    for k in z.files:
                        out[f + '/' + k] = enc(z[k])
        print(json.dumps(out))
        """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [python, "-c", script, tempDir]
        let pipe = Pipe(), errPipe = Pipe()
        p.standardOutput = pipe
        p.standardError = errPipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        let err = errPipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, String(decoding: err, as: UTF8.self))
        let result = try JSONSerialization.jsonObject(with: data) as? [String: [String: Any]] ?? [:]
        var checked = 0
        for (name, a) in samples {
            for key in ["\(name).npy", "stored.npz/\(name)", "deflated.npz/\(name)"] {
                guard let r = result[key] else { XCTFail("numpy did not read \(key)"); continue }
                let numpyDType = r["dtype"] as? String ?? ""
                XCTAssertEqual(numpyDType, a.dtype == .bool ? "bool" : a.dtype.rawValue, key)
                XCTAssertEqual((r["shape"] as? [NSNumber])?.map(\.intValue), a.shape, key)
                let c = try a.contiguous()
                if let bits = r["bits"] as? [NSNumber] {
                    let p = c.pointer(as: UInt16.self)
                    XCTAssertEqual(bits.map(\.uint16Value), (0..<c.count).map { p[$0] }, key)
                } else if a.dtype.isFloatingPoint {
                    let values = (r["data"] as? [String] ?? []).map { s -> Double in
                        s == "nan" ? .nan : s == "inf" ? .infinity : s == "-inf" ? -.infinity : Double(s)!
                    }
                    let mine = a.doubles()
                    XCTAssertEqual(values.count, mine.count, key)
                    for (x, y) in zip(values, mine) where !(x.isNaN && y.isNaN) {
                        XCTAssertTrue(x == y && x.sign == y.sign, "\(key): numpy \(x) vs \(y)")
                    }
                } else {
                    XCTAssertEqual((r["data"] as? [NSNumber])?.map(\.int64Value), a.ints(), key)
                }
                checked += 1
            }
        }
        XCTAssertEqual(checked, samples.count * 3)
    }
}
