// The packed-weight cache: a second load maps what the first packed (same bytes, same products),
// and a file that does not check out (corrupted, other format, changed checkpoint, unwritable
// folder) is never used: the matrices are packed again.

import CKernels
import Foundation
import Testing
@testable import TensorCore

@Suite struct PackedWeightCacheTests {
    /// (rows, cols): odd row counts; the last cannot be quantized (cols % 32 != 0) and stays bf16.
    static let shapes = [(64, 96), (33, 64), (8, 32), (10, 50)]

    /// A checkpoint-like file of bf16 matrices, mapped; returns fresh Linear layers over it.
    final class Fixture {
        let folder: String, weightsPath: String

        init() throws {
            folder = NSTemporaryDirectory() + "packcache-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            weightsPath = folder + "/weights.bin"
            var bytes = Data()
            var s: UInt64 = 99
            for (r, c) in PackedWeightCacheTests.shapes {
                for _ in 0..<(r * c) {
                    s = s &* 6364136223846793005 &+ 1442695040888963407
                    let f = (Float(s >> 40) / Float(1 << 24) * 2 - 1) * 0.1
                    withUnsafeBytes(of: UInt16(f.bitPattern >> 16).littleEndian) { bytes.append(contentsOf: $0) }
                }
            }
            try bytes.write(to: URL(fileURLWithPath: weightsPath))
        }

        deinit { try? FileManager.default.removeItem(atPath: folder) }

        func layers() throws -> [Linear] {
            let file = try MappedFile(path: weightsPath)
            var offset = 0
            return PackedWeightCacheTests.shapes.map { (r, c) in
                defer { offset += r * c * 2 }
                return Linear(weight: Tensor(dtype: .bf16, shape: [r, c], data: file.base + offset, owner: file))
            }
        }

        var cacheFiles: [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: folder + "/cache")) ?? []).filter { $0.hasSuffix(".qpack") }
        }
    }

    private func packedBytes(_ layers: [Linear]) -> [[UInt8]] {
        layers.map { layer in
            guard case .quantized(let q) = layer.prepared else { return [] }
            return Array(UnsafeRawBufferPointer(start: q.data, count: q.byteCount))
        }
    }

    private func mapped(_ layers: [Linear]) -> [Bool] {
        layers.map { layer in
            if case .quantized(let q) = layer.prepared { return q.isMapped }
            return false
        }
    }

    private func outputs(_ layers: [Linear], _ backend: CPUBackend) -> [[Float]] {
        layers.map { layer in
            let x = FloatBuffer((0..<(2 * layer.inFeatures)).map { Float($0 % 7) * 0.25 - 0.7 })
            let y = FloatBuffer(count: 2 * layer.outFeatures)
            backend.linear(layer, x.pointer, y.pointer, rows: 2, batchInvariant: true)
            return Array(UnsafeBufferPointer(start: y.pointer, count: y.count))
        }
    }

    @Test(arguments: [WeightFormat.q8, .q4])
    func secondLoadMapsWhatTheFirstPacked(_ format: WeightFormat) throws {
        let f = try Fixture()
        let cache = PackedWeightCache(directory: f.folder + "/cache")
        let first = try f.layers(), packer = CPUBackend(threads: 2, weights: format, packCache: cache)
        packer.prepare(first)
        #expect(mapped(first) == [false, false, false, false])
        #expect(f.cacheFiles.count == 1)
        if case .some(.quantized) = first[3].prepared { Issue.record("a 50-wide matrix cannot be quantized") }

        let second = try f.layers(), loader = CPUBackend(threads: 2, weights: format, packCache: cache)
        loader.prepare(second)
        #expect(mapped(second) == [true, true, true, false])
        #expect(packedBytes(second) == packedBytes(first))
        #expect(outputs(second, loader) == outputs(first, packer))

        // Uncached, the same bytes: the cache changes where they come from, nothing else.
        let plain = try f.layers()
        CPUBackend(threads: 1, weights: format).prepare(plain)
        #expect(packedBytes(plain) == packedBytes(first))
    }

    @Test func aFileThatDoesNotCheckOutIsPackedAgainAndRewritten() throws {
        let f = try Fixture()
        let cache = PackedWeightCache(directory: f.folder + "/cache")
        let reference = try f.layers()
        CPUBackend(threads: 2, weights: .q4, packCache: cache).prepare(reference)
        let path = f.folder + "/cache/" + f.cacheFiles[0]

        // One flipped bit in the first matrix (the data starts at the first page after the header).
        let handle = try #require(FileHandle(forUpdatingAtPath: path))
        try handle.seek(toOffset: 4096 + 10)
        let byte = try #require(try handle.read(upToCount: 1)).first!
        try handle.seek(toOffset: 4096 + 10)
        try handle.write(contentsOf: Data([byte ^ 0x10]))
        try handle.close()
        let afterCorruption = try f.layers()
        CPUBackend(threads: 2, weights: .q4, packCache: cache).prepare(afterCorruption)
        #expect(mapped(afterCorruption) == [false, false, false, false])
        #expect(packedBytes(afterCorruption) == packedBytes(reference))
        // ... and the file was written again, so the next load maps it.
        let next = try f.layers()
        CPUBackend(threads: 2, weights: .q4, packCache: cache).prepare(next)
        #expect(mapped(next) == [true, true, true, false])

        // A truncated file and a foreign one.
        try Data("Q3TTSPK1".utf8).write(to: URL(fileURLWithPath: path))
        let afterTruncation = try f.layers()
        CPUBackend(threads: 2, weights: .q4, packCache: cache).prepare(afterTruncation)
        #expect(mapped(afterTruncation) == [false, false, false, false])
        #expect(packedBytes(afterTruncation) == packedBytes(reference))
    }

    @Test func anotherFormatOrAChangedCheckpointDoesNotMatch() throws {
        let f = try Fixture()
        let cache = PackedWeightCache(directory: f.folder + "/cache")
        CPUBackend(threads: 2, weights: .q4, packCache: cache).prepare(try f.layers())
        let q8 = try f.layers()
        CPUBackend(threads: 2, weights: .q8, packCache: cache).prepare(q8)
        #expect(mapped(q8) == [false, false, false, false])
        #expect(f.cacheFiles.count == 2)

        // The checkpoint file is replaced (new modification time): its old cache file is not used.
        let data = try Data(contentsOf: URL(fileURLWithPath: f.weightsPath))
        try FileManager.default.removeItem(atPath: f.weightsPath)
        try data.write(to: URL(fileURLWithPath: f.weightsPath))
        let replaced = try f.layers()
        CPUBackend(threads: 2, weights: .q4, packCache: cache).prepare(replaced)
        #expect(mapped(replaced) == [false, false, false, false])
    }

    @Test func anUnwritableCacheOnlyMeansPackingEveryTime() throws {
        let f = try Fixture()
        // A regular file where the cache folder should be: nothing can be created under it.
        FileManager.default.createFile(atPath: f.folder + "/blocked", contents: Data("x".utf8))
        let cache = PackedWeightCache(directory: f.folder + "/blocked/cache")
        let layers = try f.layers()
        CPUBackend(threads: 2, weights: .q4, packCache: cache).prepare(layers)
        #expect(mapped(layers) == [false, false, false, false])
        let plain = try f.layers()
        CPUBackend(threads: 2, weights: .q4).prepare(plain)
        #expect(packedBytes(layers) == packedBytes(plain))
    }

    @Test func fingerprintSeesEveryByte() {
        var bytes = [UInt8](repeating: 0, count: 1000)
        for i in bytes.indices { bytes[i] = UInt8(truncatingIfNeeded: i &* 31) }
        let base = bytes.withUnsafeBytes { ck_fingerprint64($0.baseAddress, $0.count, 1) }
        for i in [0, 63, 64, 500, 999] {
            var changed = bytes
            changed[i] ^= 1
            #expect(changed.withUnsafeBytes { ck_fingerprint64($0.baseAddress, $0.count, 1) } != base, "byte \(i)")
        }
        #expect(bytes.withUnsafeBytes { ck_fingerprint64($0.baseAddress, 999, 1) } != base, "length")
    }
}
