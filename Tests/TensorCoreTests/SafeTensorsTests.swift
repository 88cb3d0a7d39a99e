import Foundation
import Testing
@testable import TensorCore

/// A fresh temporary folder per test.
private func tempDir() -> String {
    let d = NSTemporaryDirectory() + "st-tests-" + UUID().uuidString
    try! FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    return d
}

/// Writes a safetensors file from a raw header string and data bytes (for malformed cases).
private func writeRaw(_ path: String, header: String, data: [UInt8], declaredLength: UInt64? = nil) {
    var bytes: [UInt8] = []
    let h = Array(header.utf8)
    withUnsafeBytes(of: (declaredLength ?? UInt64(h.count)).littleEndian) { bytes.append(contentsOf: $0) }
    bytes += h + data
    _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
}

private func expectError(_ body: () throws -> Void, _ check: (CheckpointError) -> Bool, sourceLocation: SourceLocation = #_sourceLocation) {
    do {
        try body()
        Issue.record("expected an error", sourceLocation: sourceLocation)
    } catch let e as CheckpointError {
        #expect(check(e), "unexpected error: \(e)", sourceLocation: sourceLocation)
        #expect(!e.description.contains("\n"), "error message should be one line", sourceLocation: sourceLocation)
    } catch {
        Issue.record("unexpected error type: \(error)", sourceLocation: sourceLocation)
    }
}

private func f32Entry(_ name: String, _ values: [Float], shape: [Int]) -> SafeTensorsWriter.Entry {
    SafeTensorsWriter.Entry(name: name, dtype: .f32, shape: shape) { buf in
        values.withUnsafeBytes { buf.copyMemory(from: $0) }
    }
}

@Suite struct SafeTensorsTests {
    @Test func roundTripAllDTypes() throws {
        let dir = tempDir()
        let path = dir + "/t.safetensors"
        let f32: [Float] = [1, -2.5, 3.25, 0, 1e-3, 65504]
        let halfs: [UInt16] = [0x3C00, 0xC000, 0x0001, 0x7BFF, 0x0000, 0x8000]  // 1, -2, min subnormal, 65504, 0, -0
        let bf: [Float] = [1, -2.5, 3.25, 0, 0.0009994507, 65536]
        let i64: [Int64] = [0, -1, 42, Int64.max]
        try SafeTensorsWriter.write([
            f32Entry("a.f32", f32, shape: [2, 3]),
            .init(name: "b.f16", dtype: .f16, shape: [6]) { buf in halfs.withUnsafeBytes { buf.copyMemory(from: $0) } },
            .init(name: "c.bf16", dtype: .bf16, shape: [3, 2]) { buf in
                let p = buf.bindMemory(to: UInt16.self)
                for (i, v) in bf.enumerated() { p[i] = floatToBF16(v) }
            },
            .init(name: "d.i64", dtype: .i64, shape: [4]) { buf in i64.withUnsafeBytes { buf.copyMemory(from: $0) } },
            .init(name: "e.empty", dtype: .f32, shape: [0, 5]) { _ in },
        ], metadata: ["format": "pt"], to: path)

        let file = try SafeTensorsFile(path: path)
        #expect(file.metadata == ["format": "pt"])
        #expect(file.names == ["a.f32", "b.f16", "c.bf16", "d.i64", "e.empty"])
        #expect(file.dataStart % 8 == 0)
        let a = try file.tensor("a.f32")
        #expect(a.dtype == .f32 && a.shape == [2, 3])
        #expect(a.floats() == f32)
        #expect(try file.tensor("b.f16").floats() == [1, -2, Float(5.9604645e-08), 65504, 0, -0])
        #expect(try file.tensor("c.bf16").floats() == bf)
        #expect(try file.tensor("d.i64").ints() == i64.map { Int($0) })
        #expect(try file.tensor("e.empty").elementCount == 0)
    }

    @Test func bf16RoundingMatchesTorch() {
        // Round to nearest even on the dropped 16 bits, as torch's float -> bfloat16 cast does.
        #expect(floatToBF16(1.0) == 0x3F80)
        #expect(floatToBF16(Float(bitPattern: 0x3F80_8000)) == 0x3F80)  // tie, even stays
        #expect(floatToBF16(Float(bitPattern: 0x3F81_8000)) == 0x3F82)  // tie, odd rounds up
        #expect(floatToBF16(Float(bitPattern: 0x3F80_8001)) == 0x3F81)
        #expect(floatToBF16(-Float.infinity) == 0xFF80)
    }

    @Test func missingFile() {
        expectError({ _ = try SafeTensorsFile(path: "/nonexistent/model.safetensors") }) {
            if case .fileNotFound(let p) = $0 { return p == "/nonexistent/model.safetensors" } else { return false }
        }
    }

    @Test func truncatedFiles() throws {
        let dir = tempDir()
        // Empty file, and a file shorter than the 8-byte length prefix.
        _ = FileManager.default.createFile(atPath: dir + "/empty.safetensors", contents: Data())
        expectError({ _ = try SafeTensorsFile(path: dir + "/empty.safetensors") }) {
            if case .truncated = $0 { return true } else { return false }
        }
        _ = FileManager.default.createFile(atPath: dir + "/short.safetensors", contents: Data([1, 2, 3]))
        expectError({ _ = try SafeTensorsFile(path: dir + "/short.safetensors") }) {
            if case .truncated = $0 { return true } else { return false }
        }
        // Header length larger than the rest of the file.
        writeRaw(dir + "/hdr.safetensors", header: "{}", data: [], declaredLength: 4096)
        expectError({ _ = try SafeTensorsFile(path: dir + "/hdr.safetensors") }) {
            if case .truncated = $0 { return true } else { return false }
        }
        // A valid file cut short in its data section.
        let good = dir + "/good.safetensors"
        try SafeTensorsWriter.write([f32Entry("w", [Float](repeating: 1, count: 64), shape: [8, 8])], to: good)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: good))
        _ = FileManager.default.createFile(atPath: dir + "/cut.safetensors", contents: bytes.prefix(bytes.count - 10))
        expectError({ _ = try SafeTensorsFile(path: dir + "/cut.safetensors") }) {
            if case .truncated(_, let d) = $0 { return d.contains("'w'") } else { return false }
        }
    }

    @Test func oversizedHeader() throws {
        let dir = tempDir()
        writeRaw(dir + "/big.safetensors", header: "{}", data: [], declaredLength: 200_000_000)
        expectError({ _ = try SafeTensorsFile(path: dir + "/big.safetensors") }) {
            if case .headerTooLarge(_, let b, _) = $0 { return b == 200_000_000 } else { return false }
        }
        writeRaw(dir + "/huge.safetensors", header: "{}", data: [], declaredLength: UInt64.max)
        expectError({ _ = try SafeTensorsFile(path: dir + "/huge.safetensors") }) {
            if case .headerTooLarge = $0 { return true } else { return false }
        }
    }

    @Test(arguments: [
        ("not json", "{\"a\": "),
        ("array top level", "[1, 2]"),
        ("entry not object", "{\"a\": 3}"),
        ("missing dtype", "{\"a\": {\"shape\": [1], \"data_offsets\": [0, 4]}}"),
        ("unknown dtype", "{\"a\": {\"dtype\": \"F12\", \"shape\": [1], \"data_offsets\": [0, 4]}}"),
        ("negative dim", "{\"a\": {\"dtype\": \"F32\", \"shape\": [-1], \"data_offsets\": [0, 4]}}"),
        ("fractional dim", "{\"a\": {\"dtype\": \"F32\", \"shape\": [1.5], \"data_offsets\": [0, 4]}}"),
        ("string dim", "{\"a\": {\"dtype\": \"F32\", \"shape\": [\"1\"], \"data_offsets\": [0, 4]}}"),
        ("missing offsets", "{\"a\": {\"dtype\": \"F32\", \"shape\": [1]}}"),
        ("one offset", "{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0]}}"),
        ("bad metadata", "{\"__metadata__\": {\"k\": 1}}"),
        ("overflowing shape", "{\"a\": {\"dtype\": \"F32\", \"shape\": [4294967296, 4294967296, 4294967296], \"data_offsets\": [0, 4]}}"),
    ])
    func malformedHeaders(_ name: String, _ header: String) {
        let dir = tempDir()
        writeRaw(dir + "/m.safetensors", header: header, data: [UInt8](repeating: 0, count: 16))
        expectError({ _ = try SafeTensorsFile(path: dir + "/m.safetensors") }) {
            if case .malformedHeader(let p, _) = $0 { return p.hasSuffix("m.safetensors") } else { return false }
        }
    }

    @Test func offsetsOutOfRange() {
        let dir = tempDir()
        // begin > end
        writeRaw(dir + "/r.safetensors", header: "{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [8, 4]}}",
                 data: [UInt8](repeating: 0, count: 16))
        expectError({ _ = try SafeTensorsFile(path: dir + "/r.safetensors") }) {
            if case .offsetsOutOfRange(_, let t, _) = $0 { return t == "w" } else { return false }
        }
        // Range size disagrees with dtype x shape.
        writeRaw(dir + "/s.safetensors", header: "{\"w\": {\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [0, 8]}}",
                 data: [UInt8](repeating: 0, count: 16))
        expectError({ _ = try SafeTensorsFile(path: dir + "/s.safetensors") }) {
            if case .offsetsOutOfRange(_, let t, _) = $0 { return t == "w" } else { return false }
        }
        // Negative begin.
        writeRaw(dir + "/n.safetensors", header: "{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [-4, 0]}}",
                 data: [UInt8](repeating: 0, count: 16))
        expectError({ _ = try SafeTensorsFile(path: dir + "/n.safetensors") }) {
            if case .offsetsOutOfRange = $0 { return true } else { return false }
        }
    }

    @Test func overlappingTensors() {
        let dir = tempDir()
        let header = """
            {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, \
            "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}
            """
        writeRaw(dir + "/o.safetensors", header: header, data: [UInt8](repeating: 0, count: 16))
        expectError({ _ = try SafeTensorsFile(path: dir + "/o.safetensors") }) {
            if case .overlappingTensors(_, let a, let b) = $0 { return [a, b].sorted() == ["a", "b"] } else { return false }
        }
    }

    @Test func checkpointLookupChecksShapeDTypeAndPresence() throws {
        let dir = tempDir()
        try SafeTensorsWriter.write([f32Entry("layer.weight", [Float](repeating: 0.5, count: 6), shape: [2, 3])],
                                    to: dir + "/model.safetensors")
        let ckpt = try SafeTensorsCheckpoint(directory: dir)
        #expect(try ckpt.tensor("layer.weight", shape: [2, 3], dtypes: [.f32, .bf16]).floats().allSatisfy { $0 == 0.5 })
        expectError({ _ = try ckpt.tensor("layer.weight", shape: [3, 2]) }) {
            if case .shapeMismatch(let n, let p, let f, let e) = $0 {
                return n == "layer.weight" && p.hasSuffix("model.safetensors") && f == [2, 3] && e == [3, 2]
            }
            return false
        }
        expectError({ _ = try ckpt.tensor("layer.weight", dtypes: [.bf16]) }) {
            if case .dtypeMismatch(let n, _, let f, _) = $0 { return n == "layer.weight" && f == .f32 } else { return false }
        }
        expectError({ _ = try ckpt.tensor("layer.bias") }) {
            if case .missingTensor(let n, let p) = $0 { return n == "layer.bias" && p.hasSuffix("model.safetensors") }
            return false
        }
    }

    @Test func missingCheckpointFile() {
        let dir = tempDir()
        expectError({ _ = try SafeTensorsCheckpoint(directory: dir) }) {
            if case .fileNotFound(let p) = $0 { return p.hasSuffix("/model.safetensors") } else { return false }
        }
    }

    @Test func shardedCheckpoint() throws {
        let dir = tempDir()
        try SafeTensorsWriter.write([f32Entry("a", [1, 2], shape: [2])], to: dir + "/model-00001-of-00002.safetensors")
        try SafeTensorsWriter.write([f32Entry("b", [3, 4, 5], shape: [3])], to: dir + "/model-00002-of-00002.safetensors")
        let index = """
            {"metadata": {"total_size": 20}, "weight_map": {"a": "model-00001-of-00002.safetensors", \
            "b": "model-00002-of-00002.safetensors"}}
            """
        try index.write(toFile: dir + "/model.safetensors.index.json", atomically: true, encoding: .utf8)
        let ckpt = try SafeTensorsCheckpoint(directory: dir)
        #expect(ckpt.files.count == 2)
        #expect(ckpt.names == ["a", "b"])
        #expect(try ckpt.tensor("a").floats() == [1, 2])
        #expect(try ckpt.tensor("b", shape: [3]).floats() == [3, 4, 5])

        // The index names a tensor its shard does not hold.
        let bad = """
            {"weight_map": {"a": "model-00001-of-00002.safetensors", "c": "model-00001-of-00002.safetensors"}}
            """
        try bad.write(toFile: dir + "/model.safetensors.index.json", atomically: true, encoding: .utf8)
        expectError({ _ = try SafeTensorsCheckpoint(directory: dir) }) {
            if case .missingTensor(let n, let p) = $0 { return n == "c" && p.hasSuffix("00001-of-00002.safetensors") }
            return false
        }
        // The index names a shard that is not there.
        let gone = "{\"weight_map\": {\"a\": \"model-00009-of-00009.safetensors\"}}"
        try gone.write(toFile: dir + "/model.safetensors.index.json", atomically: true, encoding: .utf8)
        expectError({ _ = try SafeTensorsCheckpoint(directory: dir) }) {
            if case .fileNotFound(let p) = $0 { return p.hasSuffix("model-00009-of-00009.safetensors") } else { return false }
        }
        // A damaged index.
        try "{\"weight_map\": 3}".write(toFile: dir + "/model.safetensors.index.json", atomically: true, encoding: .utf8)
        expectError({ _ = try SafeTensorsCheckpoint(directory: dir) }) {
            if case .malformedIndex = $0 { return true } else { return false }
        }
        try "{\"weight_map\": {\"a\": \"../escape.safetensors\"}}".write(
            toFile: dir + "/model.safetensors.index.json", atomically: true, encoding: .utf8)
        expectError({ _ = try SafeTensorsCheckpoint(directory: dir) }) {
            if case .malformedIndex = $0 { return true } else { return false }
        }
    }

    @Test func halfConversionIsExactForAllValues() {
        // Every finite f16 value converts exactly: compare against the platform's Float16 where available.
        #if !(os(macOS) && arch(x86_64))
        for bits in UInt16(0)...UInt16.max {
            let expected = Float(Float16(bitPattern: bits))
            let got = halfToFloat(bits)
            if expected.isNaN { #expect(got.isNaN) } else if got != expected {
                Issue.record("f16 \(bits): \(got) != \(expected)")
                break
            }
        }
        #endif
    }
}
