import Foundation
import Testing
@testable import AudioIO

struct SinkTests {
    static let x = testSignal(frames: 36000, channels: 1)  // 1.5 s, bigger than a pipe buffer as WAV

    static func writeInChunks(_ sink: any AudioSink, _ x: [Float], chunk: Int = 1920) throws {
        for start in stride(from: 0, to: x.count, by: chunk) {
            try sink.write(Array(x[start..<min(start + chunk, x.count)]))
        }
        try sink.close()
    }

    @Test(arguments: [WAVSampleFormat.pcm16, .float32])
    func wavToFilePatchesSizes(format: WAVSampleFormat) throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("s.wav").path
        try Self.writeInChunks(try WAVFileSink(path: path, format: format), Self.x)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        // Identical to encoding the whole clip at once: sizes were patched.
        #expect(bytes == WAV.encode(Self.x, sampleRate: 24000, format: format))
    }

    @Test(arguments: [WAVSampleFormat.pcm16, .float32])
    func wavToPipeUsesStreamingHeader(format: WAVSampleFormat) throws {
        let pipe = PipeCollector()
        try Self.writeInChunks(try WAVFileSink(.fileHandle(pipe.writer), format: format), Self.x)
        let bytes = try pipe.finish()
        let whole = WAV.encode(Self.x, sampleRate: 24000, format: format)
        #expect(bytes.count == whole.count)
        let sizes = WAV.sizeFieldOffsets(format: format)
        let u32 = { (o: Int) in bytes.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: o, as: UInt32.self)) } }
        #expect(u32(sizes.riff) == 0xFFFF_FFFF && u32(sizes.data) == 0xFFFF_FFFF)
        #expect(bytes.dropFirst(sizes.data + 4) == whole.dropFirst(sizes.data + 4))  // same samples
        let back = try AudioIO.read(data: bytes, name: "pipe.wav")
        #expect(back.frameCount == Self.x.count)
        #expect(back.samples == (try AudioIO.read(data: whole)).samples)
    }

    /// stdout redirected to a regular file (`> out.wav`) is seekable: sizes get patched.
    @Test func wavToRegularFileHandle() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("h.wav")
        try Data().write(to: url)
        let handle = try FileHandle(forWritingTo: url)
        try Self.writeInChunks(try WAVFileSink(.fileHandle(handle)), Self.x)
        try handle.close()
        #expect(try Data(contentsOf: url) == WAV.encode(Self.x, sampleRate: 24000))
    }

    @Test func rawPCMToPipe() throws {
        let pipe = PipeCollector()
        try Self.writeInChunks(try RawPCMSink(handle: pipe.writer), Self.x, chunk: 777)
        #expect(try pipe.finish() == PCM.s16le(Self.x))
    }

    @Test func writesAfterCloseAndBadChunksThrow() throws {
        let sink = try WAVFileSink(.stream { _ in })
        #expect(throws: AudioError.self) { try WAVFileSink(.stream { _ in }, channels: 2).write([1, 2, 3]) }
        try sink.close()
        #expect(throws: AudioError.self) { try sink.write([0]) }
        #expect(throws: AudioError.self) { try WAVFileSink(path: "/nonexistent-dir/x.wav") }
    }

    /// A failing destination (client hung up) surfaces as an error, not a crash.
    @Test(arguments: [AudioFormat.wav, .pcm, .flac, .mp3, .opus])
    func destinationErrorsPropagate(format: AudioFormat) throws {
        struct Gone: Error {}
        var failed = false
        do {
            let sink = try AudioIO.makeSink(format: format, destination: .stream { _ in throw Gone() })
            try Self.writeInChunks(sink, Self.x)
        } catch {
            failed = true
        }
        #expect(failed)
    }
}
