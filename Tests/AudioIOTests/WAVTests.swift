import Foundation
import Testing
@testable import AudioIO

struct WAVReadTests {
    struct Manifest: Decodable { let rate: Int; let channels: Int; let frames: Int }

    /// Files written by soundfile (PEAK/fact chunks, u8..f64) and sox (WAVE_FORMAT_EXTENSIBLE,
    /// 3 channels) decode to exactly what soundfile.read(dtype="float32") returns.
    @Test(arguments: ["sf_u8_stereo", "sf_s16_mono", "sf_s24_stereo", "sf_s32_mono", "sf_f32_stereo", "sf_f64_mono",
                      "sox_s24_3ch_ext", "sox_s16_3ch_ext", "sox_f32_3ch", "sox_u8_3ch"])
    func matchesSoundfile(name: String) throws {
        let manifest = try JSONDecoder().decode([String: Manifest].self,
                                                from: Data(contentsOf: URL(fileURLWithPath: fixture("wav/manifest.json"))))
        let m = try #require(manifest[name])
        let audio = try AudioIO.read(path: fixture("wav/\(name).wav"))
        #expect(audio.sampleRate == m.rate)
        #expect(audio.channels == m.channels)
        #expect(audio.frameCount == m.frames)
        let expected = try loadF32("wav/\(name).f32")
        #expect(audio.samples == expected)
        // The Swift reader, not libsndfile, handled it.
        let direct = try WAV.decode(Data(contentsOf: URL(fileURLWithPath: fixture("wav/\(name).wav"))), name: name)
        #expect(direct == audio)
    }

    /// Hand-built headers for every integer width and channel count: exact integer scaling.
    @Test(arguments: [1, 2, 3, 4], [1, 2, 3, 6])
    func integerWidths(width: Int, channels: Int) throws {
        let maxV = Int64(1) << (8 * width - 1)
        let frames = 50
        // Extremes, zero, and a ramp.
        var values: [Int64] = [maxV - 1, -maxV, 0, 1, -1]
        while values.count < frames * channels { values.append(Int64(values.count * 7919) % maxV - maxV / 2) }
        values = Array(values.prefix(frames * channels))
        var chunks = WAVBuilder()
        chunks.chunk("fmt ", WAVBuilder.fmt(tag: 1, channels: channels, rate: 16000, bytesPerSample: width))
        chunks.chunk("data", pcmBytes(values, width: width))
        let audio = try AudioIO.read(data: WAVBuilder.riff(chunks.bytes), name: "built")
        #expect(audio.channels == channels && audio.sampleRate == 16000 && audio.frameCount == frames)
        let expected = values.map { Float($0) / Float(maxV) }
        #expect(audio.samples == expected)
    }

    @Test(arguments: [4, 8], [1, 2, 5])
    func floatWidths(width: Int, channels: Int) throws {
        let values = testSignal(frames: 40, channels: channels).enumerated().map { $0.element * (1 + Float($0.offset % 3)) }
        var payload = Data()
        for v in values {
            if width == 4 { withUnsafeBytes(of: v.bitPattern.littleEndian) { payload.append(contentsOf: $0) } }
            else { withUnsafeBytes(of: Double(v).bitPattern.littleEndian) { payload.append(contentsOf: $0) } }
        }
        var chunks = WAVBuilder()
        chunks.chunk("fmt ", WAVBuilder.fmt(tag: 3, channels: channels, rate: 44100, bytesPerSample: width))
        chunks.chunk("data", payload)
        let audio = try AudioIO.read(data: WAVBuilder.riff(chunks.bytes), name: "built")
        #expect(audio.samples == values)  // values above 1 are kept, not clipped
        #expect(audio.channels == channels && audio.sampleRate == 44100)
    }

    @Test(arguments: [(1, 2), (1, 3), (3, 4), (3, 8), (1, 1)])
    func extensible(tag: Int, width: Int) throws {
        var chunks = WAVBuilder()
        chunks.chunk("fmt ", WAVBuilder.fmt(tag: tag, channels: 2, rate: 48000, bytesPerSample: width, extensible: true))
        let plain = WAVBuilder.riff({
            var c = WAVBuilder()
            c.chunk("fmt ", WAVBuilder.fmt(tag: tag, channels: 2, rate: 48000, bytesPerSample: width))
            c.chunk("data", Data((0..<(width * 2 * 10)).map { UInt8(truncatingIfNeeded: $0 &* 37) }))
            return c.bytes
        }())
        chunks.chunk("data", Data((0..<(width * 2 * 10)).map { UInt8(truncatingIfNeeded: $0 &* 37) }))
        let ext = try AudioIO.read(data: WAVBuilder.riff(chunks.bytes), name: "ext")
        let ref = try AudioIO.read(data: plain, name: "plain")
        #expect(ext.frameCount == 10)
        #expect(ext.samples.count == ref.samples.count)
        #expect(zip(ext.samples, ref.samples).allSatisfy { $0.0 == $0.1 || ($0.0.isNaN && $0.1.isNaN) })
    }

    /// fact, PEAK, LIST and an odd-sized chunk (padded) before data, a chunk after data, and
    /// fmt after an unknown chunk.
    @Test func extraChunksAndPadding() throws {
        let values: [Int64] = [100, -200, 300, -400, 32767, -32768]
        var c = WAVBuilder()
        c.chunk("JUNK", Data(repeating: 0, count: 28))
        c.chunk("fmt ", WAVBuilder.fmt(tag: 1, channels: 2, rate: 22050, bytesPerSample: 2))
        c.chunk("fact", Data([3, 0, 0, 0]))
        c.chunk("PEAK", Data(repeating: 1, count: 24))
        var list = Data("INFO".utf8); list.append(contentsOf: Array("ISFTn".utf8)); list.append(contentsOf: [5, 0, 0, 0])
        list.append(contentsOf: Array("tool\0".utf8)); list.append(0)
        c.chunk("LIST", list)
        c.chunk("odd!", Data([1, 2, 3]))  // 3 bytes + 1 pad byte
        c.chunk("data", pcmBytes(values, width: 2))
        c.chunk("LIST", Data("INFOtrailing".utf8))
        let audio = try AudioIO.read(data: WAVBuilder.riff(c.bytes), name: "chunks")
        #expect(audio.channels == 2 && audio.frameCount == 3 && audio.sampleRate == 22050)
        #expect(audio.samples == values.map { Float($0) / 32768 })
    }

    /// An odd-sized data chunk of 8-bit samples is followed by a pad byte, then more chunks.
    @Test func oddDataChunk() throws {
        var c = WAVBuilder()
        c.chunk("fmt ", WAVBuilder.fmt(tag: 1, channels: 1, rate: 8000, bytesPerSample: 1))
        c.chunk("data", pcmBytes([-128, 0, 127], width: 1))
        c.chunk("cue ", Data(repeating: 0, count: 4))
        let audio = try AudioIO.read(data: WAVBuilder.riff(c.bytes), name: "odd")
        #expect(audio.samples == [-1, 0, 127.0 / 128])
    }

    /// Streamed files (0xFFFFFFFF sizes) and files cut mid-data yield the whole frames present.
    @Test func streamingAndTruncatedData() throws {
        var c = WAVBuilder()
        c.chunk("fmt ", WAVBuilder.fmt(tag: 1, channels: 2, rate: 24000, bytesPerSample: 2))
        c.tag("data"); c.u32(0xFFFF_FFFF)
        c.bytes.append(pcmBytes([1, 2, 3, 4, 5], width: 2))  // 2.5 frames
        let audio = try AudioIO.read(data: WAVBuilder.riff(c.bytes, riffSize: 0xFFFF_FFFF), name: "stream")
        #expect(audio.frameCount == 2)
        #expect(audio.samples == [1, 2, 3, 4].map { Float($0) / 32768 })
    }

    /// Malformed headers are clear errors naming the file.
    @Test(arguments: [
        ("no fmt", { () -> Data in var c = WAVBuilder(); c.chunk("data", Data(count: 8)); return WAVBuilder.riff(c.bytes) }()),
        ("no data", { () -> Data in var c = WAVBuilder(); c.chunk("fmt ", WAVBuilder.fmt(tag: 1, channels: 1, rate: 8000, bytesPerSample: 2)); return WAVBuilder.riff(c.bytes) }()),
        ("zero channels", { () -> Data in var c = WAVBuilder(); c.chunk("fmt ", WAVBuilder.fmt(tag: 1, channels: 0, rate: 8000, bytesPerSample: 2)); c.chunk("data", Data(count: 8)); return WAVBuilder.riff(c.bytes) }()),
        ("zero rate", { () -> Data in var c = WAVBuilder(); c.chunk("fmt ", WAVBuilder.fmt(tag: 1, channels: 1, rate: 0, bytesPerSample: 2)); c.chunk("data", Data(count: 8)); return WAVBuilder.riff(c.bytes) }()),
        ("short fmt", { () -> Data in var c = WAVBuilder(); c.chunk("fmt ", Data(count: 10)); c.chunk("data", Data(count: 8)); return WAVBuilder.riff(c.bytes) }()),
        ("header only", Data("RIFF\u{24}\0\0\0WAVE".utf8)),
        ("not wave", Data("RIFF\u{24}\0\0\0AVI LIST".utf8)),
        ("bad block align", { () -> Data in
            var f = WAVBuilder.fmt(tag: 1, channels: 2, rate: 8000, bytesPerSample: 2); f[12] = 3
            var c = WAVBuilder(); c.chunk("fmt ", f); c.chunk("data", Data(count: 8)); return WAVBuilder.riff(c.bytes) }()),
    ])
    func malformed(label: String, bytes: Data) {
        do {
            _ = try AudioIO.read(data: bytes, name: "bad-\(label).wav")
            Issue.record("\(label): expected an error")
        } catch let e as AudioError {
            guard case .unreadable(let file, _) = e else { Issue.record("\(label): \(e)"); return }
            #expect(file == "bad-\(label).wav")
            #expect(e.description.contains("bad-\(label).wav"))
        } catch {
            Issue.record("\(label): unexpected \(error)")
        }
    }

    /// mu-law WAV is valid but left to libsndfile by the Swift reader.
    @Test func muLawGoesThroughLibsndfile() throws {
        var c = WAVBuilder()
        var f = WAVBuilder.fmt(tag: 7, channels: 1, rate: 8000, bytesPerSample: 1)
        f.append(contentsOf: [0, 0])  // cbSize
        c.chunk("fmt ", f)
        c.chunk("fact", Data([4, 0, 0, 0]))
        c.chunk("data", Data([0xFF, 0x7F, 0x00, 0x80]))  // +0, -0, -max, +max
        let audio = try AudioIO.read(data: WAVBuilder.riff(c.bytes), name: "ulaw")
        #expect(audio.frameCount == 4)
        #expect(abs(audio.samples[0]) < 1e-3 && audio.samples[2] < -0.9 && audio.samples[3] > 0.9)
    }
}

struct WAVWriteTests {
    /// soundfile's PCM_16 conversion reproduced bit for bit (halfway values, tiny values, clipping).
    @Test func int16MatchesSoundfile() throws {
        let input = try loadF32("pcm16/input.f32")
        let written = try AudioIO.read(path: fixture("pcm16/output.wav"))
        let expected = written.samples.map { Int16($0 * 32768) }
        let ours = input.map(PCM.int16)
        let mismatches = zip(ours, expected).enumerated().filter { $0.element.0 != $0.element.1 }
        #expect(mismatches.isEmpty, "first: \(mismatches.prefix(5).map { "x=\(input[$0.offset]) ours=\($0.element.0) sf=\($0.element.1)" })")
        #expect(PCM.int16(.nan) == 0)
        #expect(PCM.int16(.infinity) == .max && PCM.int16(-.infinity) == .min)
    }

    @Test(arguments: [WAVSampleFormat.pcm16, .float32], [1, 2, 3])
    func roundTrip(format: WAVSampleFormat, channels: Int) throws {
        let x = testSignal(frames: 1000, channels: channels)
        let bytes = WAV.encode(x, sampleRate: 24000, channels: channels, format: format)
        #expect(bytes.count == (format == .pcm16 ? 44 + 2 * x.count : 58 + 4 * x.count))
        let back = try AudioIO.read(data: bytes)
        #expect(back.sampleRate == 24000 && back.channels == channels)
        if format == .float32 {
            #expect(back.samples == x)
        } else {
            #expect(back.samples == x.map { Float(PCM.int16($0)) / 32768 })
            #expect(maxAbsDiff(back.samples, x) <= 1.0 / 32768)
        }
    }

    @Test func canonicalHeader() {
        let d = WAV.encode([0, 0.5, -0.5], sampleRate: 24000)
        #expect(Array(d.prefix(4)) == Array("RIFF".utf8))
        #expect(d[4] == 42 && d[5] == 0)  // 36 + 6 data bytes
        #expect(Array(d[36..<40]) == Array("data".utf8) && d[40] == 6)
        #expect(Array(d[44...]) == [0, 0, 0, 0x40, 0, 0xC0])  // 0.5 -> 16384, -0.5 -> -16384
    }

    @Test func writeFilesByExtension() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let x = testSignal(frames: 24000)
        for name in ["a.wav", "b.flac", "c.pcm"] {
            try AudioIO.write(x, to: dir.appendingPathComponent(name).path)
        }
        #expect(try AudioIO.read(path: dir.appendingPathComponent("a.wav").path).frameCount == 24000)
        let flac = try AudioIO.read(path: dir.appendingPathComponent("b.flac").path)
        #expect(maxAbsDiff(flac.samples, x) <= 1.0 / 32768)
        #expect(try Data(contentsOf: dir.appendingPathComponent("c.pcm")) == PCM.s16le(x))
    }

    @Test func formatNames() {
        #expect(AudioFormat(name: "wav") == .wav(.pcm16))
        #expect(AudioFormat(name: "WAV-F32") == .wav(.float32))
        #expect(AudioFormat(name: "opus") == .opus)
        #expect(AudioFormat(name: "aac") == nil)
        #expect(AudioFormat(pathExtension: "/x/y.MP3") == .mp3)
        #expect(AudioFormat(pathExtension: "noext") == nil)
        for n in AudioFormat.names { #expect(AudioFormat(name: n) != nil) }
    }
}
