import Foundation
import KoanTensor
import XCTest
@testable import KoanTensor

/// Koan → file → Koan keeps every bit, for every dtype and for views of any layout; bad
/// write requests are typed errors; writes are atomic.
final class SafetensorsRoundTripTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        dir = try SafetensorsTestSupport.scratchDirectory("roundtrip")
    }

    override func tearDown() {
        SafetensorsTestSupport.remove(dir)
    }

    func testEveryDTypeRoundTripsBitIdentically() throws {
        var rng = SplitMix64(state: 7)
        var tensors = [(name: String, array: NDArray)]()
        for dtype in DType.allCases {
            for (k, shape) in [[], [1], [7], [3, 5], [2, 3, 4], [0], [4, 0, 2]].enumerated() {
                tensors.append(("\(dtype).\(k)", try SafetensorsTestSupport.randomBits(shape, dtype, using: &rng)))
            }
        }
        let path = dir + "/all.safetensors"
        try Safetensors.write(tensors, metadata: ["k": "v", "format": "koan"], to: path)
        let file = try SafetensorsFile(path: path)
        XCTAssertEqual(file.metadata, ["k": "v", "format": "koan"])
        XCTAssertEqual(file.entries.count, tensors.count)
        let back = Dictionary(uniqueKeysWithValues: try file.arrays().map { ($0.name, $0.array) })
        for (name, a) in tensors {
            let b = try XCTUnwrap(back[name], name)
            XCTAssertEqual(b.dtype, a.dtype, name)
            XCTAssertEqual(b.shape, a.shape, name)
            XCTAssertEqual(try SafetensorsTestSupport.bytes(b), try SafetensorsTestSupport.bytes(a), name)
        }
    }

    func testNonContiguousInputsAreWrittenInRowMajorOrder() throws {
        var rng = SplitMix64(state: 11)
        let base = try SafetensorsTestSupport.randomBits([4, 6], .float32, using: &rng)
        let t = base.transposed()                                               // [6, 4], strides [1, 6]
        let stepped = try base.sliced(axis: 1, start: 1, end: 6, step: 2)       // [4, 3]
        let offsetRow = try base.sliced(axis: 0, start: 2, end: 3)              // contiguous, offset 12
        let broadcast = NDArray(storage: base.storage, dtype: .float32, shape: [3, 6], strides: [0, 1], offset: 6)
        let reversed = NDArray(storage: base.storage, dtype: .float32, shape: [6], strides: [-1], offset: 5)
        let b16 = try SafetensorsTestSupport.randomBits([3, 4, 2], .bfloat16, using: &rng)
        let permuted = try b16.permuted([2, 0, 1])
        let i64 = try SafetensorsTestSupport.randomBits([5, 2], .int64, using: &rng).transposed()
        let boolT = try SafetensorsTestSupport.randomBits([3, 2], .bool, using: &rng).transposed()
        let inputs: [(name: String, array: NDArray)] = [
            ("t", t), ("stepped", stepped), ("row", offsetRow), ("broadcast", broadcast), ("reversed", reversed),
            ("permuted", permuted), ("i64", i64), ("bool", boolT),
        ]
        XCTAssertFalse(t.isContiguous)
        XCTAssertFalse(stepped.isContiguous)
        XCTAssertFalse(broadcast.isContiguous)
        let path = dir + "/views.safetensors"
        try Safetensors.write(inputs, to: path)
        let file = try SafetensorsFile(path: path)
        for (name, a) in inputs {
            let b = try file.array(name)
            XCTAssertEqual(b.shape, a.shape, name)
            XCTAssertEqual(try SafetensorsTestSupport.bytes(b), try SafetensorsTestSupport.bytes(a), name)
        }
        // Spot check against an explicit element order: "reversed" is row 0 backwards.
        let row0 = Array(try SafetensorsTestSupport.bytes(base).prefix(24))
        let expectedReversed = (0..<6).flatMap { i in row0[(5 - i) * 4..<(6 - i) * 4] }
        XCTAssertEqual(try SafetensorsTestSupport.bytes(try file.array("reversed")), expectedReversed)
    }

    func testBoolBytesAreNormalised() throws {
        let a = try NDArray(shape: [4], dtype: .bool)
        let p = a.storage.pointer.assumingMemoryBound(to: UInt8.self)
        (p[0], p[1], p[2], p[3]) = (0, 1, 2, 255)
        let path = dir + "/bool.safetensors"
        try Safetensors.write([("b", a)], to: path)
        let bytes = try SafetensorsTestSupport.fileBytes(path)
        XCTAssertEqual(Array(bytes.suffix(4)), [0, 1, 1, 1])
        XCTAssertEqual(p[3], 255, "the caller's array is not modified")
        // And a file with bool bytes > 1 reads as 0/1.
        var raw = bytes
        raw[raw.count - 1] = 7
        try SafetensorsTestSupport.writeFile(raw, to: path)
        XCTAssertEqual(try SafetensorsTestSupport.bytes(try SafetensorsFile(path: path).array("b")), [0, 1, 1, 1])
    }

    func testEmptyFileAndHeaderPadding() throws {
        let path = dir + "/empty.safetensors"
        try Safetensors.write([], to: path)
        XCTAssertEqual(try SafetensorsTestSupport.fileBytes(path), [8, 0, 0, 0, 0, 0, 0, 0] + Array("{}      ".utf8))
        let file = try SafetensorsFile(path: path)
        XCTAssertTrue(file.entries.isEmpty)
        XCTAssertTrue(try file.arrays().isEmpty)
        for n in 1...9 {
            try Safetensors.write([(String(repeating: "x", count: n), try NDArray.zeros([1]))], to: path)
            let bytes = try SafetensorsTestSupport.fileBytes(path)
            let headerLength = Int(bytes[0]) | Int(bytes[1]) << 8
            XCTAssertEqual(headerLength % 8, 0)
            XCTAssertEqual(bytes.count, 8 + headerLength + 4)
        }
    }

    func testBadNamesAreRejectedBeforeTouchingTheFile() throws {
        let path = dir + "/names.safetensors"
        let x = try NDArray.zeros([2])
        try Safetensors.write([("keep", x)], to: path)
        let before = try SafetensorsTestSupport.fileBytes(path)
        let cases: [([(name: String, array: NDArray)], SafetensorsError)] = [
            ([("", x)], .invalidName(path: path, name: "", reason: "is empty")),
            ([("a", x), ("b", x), ("a", x)], .invalidName(path: path, name: "a", reason: "appears more than once")),
            ([("__metadata__", x)], .invalidName(path: path, name: "__metadata__", reason: "is reserved for the metadata")),
        ]
        for (tensors, expected) in cases {
            XCTAssertThrowsError(try Safetensors.write(tensors, to: path)) { error in
                XCTAssertEqual(error as? SafetensorsError, expected)
            }
        }
        XCTAssertEqual(try SafetensorsTestSupport.fileBytes(path), before)
        XCTAssertEqual(try SafetensorsTestSupport.listing(dir), ["names.safetensors"])
    }

    func testWriteIntoMissingDirectoryIsATypedError() throws {
        let path = dir + "/no/such/dir/x.safetensors"
        XCTAssertThrowsError(try Safetensors.write([("a", try NDArray.zeros([1]))], to: path)) { error in
            guard case let .cannotWrite(p, reason)? = error as? SafetensorsError else { return XCTFail("\(error)") }
            XCTAssertEqual(p, path)
            XCTAssertTrue(reason.contains("No such file"), reason)
        }
    }

    func testWritingOverADirectoryFailsAndCleansUp() throws {
        let path = dir + "/adir"
        try FileManager.default.createDirectory(atPath: path + "/inner", withIntermediateDirectories: true)
        XCTAssertThrowsError(try Safetensors.write([("a", try NDArray.zeros([1]))], to: path)) { error in
            guard case .cannotWrite? = error as? SafetensorsError else { return XCTFail("\(error)") }
        }
        XCTAssertEqual(try SafetensorsTestSupport.listing(dir), ["adir"])
    }

    /// A crash at any point of a write leaves the previous file loadable and no temp file.
    func testFaultInjectionLeavesThePreviousFileIntact() throws {
        struct SimulatedCrash: Error {}
        let path = dir + "/model.safetensors"
        var rng = SplitMix64(state: 3)
        let old = [("w", try SafetensorsTestSupport.randomBits([8, 8], .float32, using: &rng)),
                   ("b", try SafetensorsTestSupport.randomBits([8], .float32, using: &rng))]
        try Safetensors.write(old, metadata: ["version": "1"], to: path)
        let oldBytes = try SafetensorsTestSupport.fileBytes(path)
        let new = [("w", try SafetensorsTestSupport.randomBits([16, 8], .float32, using: &rng)),
                   ("b", try SafetensorsTestSupport.randomBits([16], .float64, using: &rng)),
                   ("c", try SafetensorsTestSupport.randomBits([3], .int8, using: &rng))]
        let stages: [Safetensors.WriteStage] = [.tempCreated, .headerWritten, .tensorWritten(0), .tensorWritten(1),
                                                .tensorWritten(2), .beforeFsync, .beforeRename]
        var seen = [Safetensors.WriteStage]()
        for stage in stages {
            var sawTemp = false
            XCTAssertThrowsError(try Safetensors.write(new, metadata: ["version": "2"], to: path, faultInjection: { s in
                if s == .tempCreated { sawTemp = (try? SafetensorsTestSupport.listing(self.dir).count) == 2 }
                if s == stage { throw SimulatedCrash() }
            })) { error in
                XCTAssertTrue(error is SimulatedCrash, "\(error)")
            }
            XCTAssertTrue(sawTemp, "the temporary file exists during the write (\(stage))")
            XCTAssertEqual(try SafetensorsTestSupport.listing(dir), ["model.safetensors"], "no temp file left after a crash at \(stage)")
            XCTAssertEqual(try SafetensorsTestSupport.fileBytes(path), oldBytes, "previous file untouched after a crash at \(stage)")
            let file = try SafetensorsFile(path: path)
            XCTAssertEqual(file.metadata["version"], "1")
            XCTAssertEqual(try SafetensorsTestSupport.bytes(try file.array("w")), try SafetensorsTestSupport.bytes(old[0].1))
        }
        // Without a crash the hook sees every stage, in order, and the new file replaces the old.
        try Safetensors.write(new, metadata: ["version": "2"], to: path, faultInjection: { seen.append($0) })
        XCTAssertEqual(seen, stages)
        XCTAssertEqual(try SafetensorsTestSupport.listing(dir), ["model.safetensors"])
        let file = try SafetensorsFile(path: path)
        XCTAssertEqual(file.metadata["version"], "2")
        XCTAssertEqual(try SafetensorsTestSupport.bytes(try file.array("b")), try SafetensorsTestSupport.bytes(new[1].1))
    }

    func testReaderNoticesAFileThatChangedAfterOpening() throws {
        let path = dir + "/changing.safetensors"
        try Safetensors.write([("a", try NDArray.zeros([4]))], to: path)
        let file = try SafetensorsFile(path: path)
        try Safetensors.write([("a", try NDArray.zeros([8]))], to: path)
        XCTAssertThrowsError(try file.array("a")) { error in
            guard case .fileChanged? = error as? SafetensorsError else { return XCTFail("\(error)") }
        }
    }

    func testMissingFileAndDirectoryAreIOErrors() throws {
        XCTAssertThrowsError(try SafetensorsFile(path: dir + "/missing.safetensors")) { error in
            XCTAssertEqual(error as? SafetensorsError, .io(path: dir + "/missing.safetensors", reason: "No such file or directory"))
        }
        XCTAssertThrowsError(try SafetensorsFile(path: dir)) { error in
            XCTAssertEqual(error as? SafetensorsError, .io(path: dir, reason: "Is a directory"))
        }
    }
}
