import Foundation
import Testing
@testable import AudioIO

/// SNR in dB of `test` against `ref` over ref[lo..<hi], with test[i + lag] matched to ref[i].
func snr(_ ref: [Float], _ test: [Float], lag: Int, from lo0: Int, to hi0: Int) -> Double {
    let lo = max(lo0, -lag), hi = min(hi0, test.count - lag)
    guard hi - lo > 100 else { return -.infinity }
    var s = 0.0, e = 0.0
    for i in lo..<hi {
        let r = Double(ref[i]), d = r - Double(test[i + lag])
        s += r * r; e += d * d
    }
    return 10 * log10(s / max(e, 1e-30))
}

/// Lag within ±maxLag that best aligns `test` to `ref`, searched on a 4000-sample window to keep
/// debug builds fast.
func bestLag(_ ref: [Float], _ test: [Float], maxLag: Int = 2400) -> Int {
    let lo = ref.count / 2, hi = min(lo + 4000, ref.count)
    let lags = Array(-maxLag...maxLag)
    let scores = lags.map { snr(ref, test, lag: $0, from: lo, to: hi) }
    return lags[scores.indices.max { scores[$0] < scores[$1] }!]
}

struct CodecTests {
    static let x = testSignal(frames: 24000)  // 1 s at 24 kHz

    /// Samples per codec frame at 24 kHz: MPEG-2 Layer III 576, Opus 20 ms.
    static func frameSize(_ f: AudioFormat) -> Int { f == .mp3 ? 576 : f == .opus ? 480 : 0 }

    static func check(_ format: AudioFormat, _ back: AudioBuffer, seekable: Bool, sourceLine: SourceLocation = #_sourceLocation) {
        #expect(back.sampleRate == 24000 && back.channels == 1, sourceLocation: sourceLine)
        let x = CodecTests.x
        if format == .flac {
            #expect(back.samples.count == x.count, sourceLocation: sourceLine)
            #expect(maxAbsDiff(back.samples, x) <= 1.0 / 32768, sourceLocation: sourceLine)
            return
        }
        let lag = bestLag(x, back.samples)
        let quality = snr(x, back.samples, lag: lag, from: 240, to: x.count)  // skip the codec's start-up
        let tail = snr(x, back.samples, lag: lag, from: x.count - 480, to: x.count)  // the last 20 ms
        print("\(format) seekable=\(seekable): \(back.samples.count) samples (sent \(x.count)), lag \(lag), SNR \(quality) dB, last 20 ms \(tail) dB")
        if format == .mp3 && !seekable {
            // No LAME tag: the encoder delay (1105) and the empty tag frame (576) stay in front.
            #expect(lag >= 0 && lag <= 1105 + 576, sourceLocation: sourceLine)
            #expect(back.samples.count >= x.count + lag && back.samples.count <= x.count + lag + 2 * 576, sourceLocation: sourceLine)
        } else {
            #expect(abs(lag) <= 1, sourceLocation: sourceLine)
            #expect(abs(back.samples.count - x.count) <= frameSize(format), sourceLocation: sourceLine)
        }
        #expect(quality > (format == .mp3 ? 20 : 12), sourceLocation: sourceLine)
        #expect(tail > 8, sourceLocation: sourceLine)
    }

    @Test(arguments: [AudioFormat.flac, .mp3, .opus])
    func memoryRoundTrip(format: AudioFormat) throws {
        let bytes = try AudioIO.encode(Self.x, format: format)
        Self.check(format, try AudioIO.read(data: bytes, name: "mem.\(format.fileExtension)"), seekable: true)
    }

    @Test(arguments: [AudioFormat.flac, .mp3, .opus])
    func fileRoundTripInChunks(format: AudioFormat) throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("out.\(format.fileExtension)").path
        let sink = try AudioIO.makeSink(format: format, destination: .file(path))
        for start in stride(from: 0, to: Self.x.count, by: 1920) {  // one codec frame per write
            try sink.write(Array(Self.x[start..<min(start + 1920, Self.x.count)]))
        }
        try sink.close()
        try sink.close()  // idempotent
        #expect(throws: AudioError.self) { try sink.write([0]) }
        Self.check(format, try AudioIO.read(path: path), seekable: true)
    }

    /// A pipe cannot seek: libsndfile must still produce a decodable stream.
    @Test(arguments: [AudioFormat.flac, .mp3, .opus])
    func pipeRoundTrip(format: AudioFormat) throws {
        let pipe = PipeCollector()
        let sink = try AudioIO.makeSink(format: format, destination: .fileHandle(pipe.writer))
        for start in stride(from: 0, to: Self.x.count, by: 4000) {
            try sink.write(Array(Self.x[start..<min(start + 4000, Self.x.count)]))
        }
        try sink.close()
        let bytes = try pipe.finish()
        Self.check(format, try AudioIO.read(data: bytes, name: "pipe.\(format.fileExtension)"), seekable: false)
    }

    /// Files written by the reference stack (soundfile) decode like soundfile decodes them.
    @Test(arguments: ["flac", "mp3", "opus"])
    func readsSoundfileFiles(ext: String) throws {
        let audio = try AudioIO.read(path: fixture("lossy/tone.\(ext)"))
        let expected = try loadF32("lossy/tone_\(ext).f32")
        #expect(audio.sampleRate == 24000 && audio.channels == 1)
        #expect(audio.samples.count == expected.count)
        if ext == "flac" {
            #expect(audio.samples == expected)
        } else {
            // Different libmpg123/libopus builds may differ in the last bits.
            let d = maxAbsDiff(Array(audio.samples.prefix(expected.count)), Array(expected.prefix(audio.samples.count)))
            print("\(ext): max |ours - soundfile| = \(d)")
            #expect(d < 1e-3)
        }
    }

    /// libsndfile alone does not flush libopus' lookahead, garbling the last 6.5 ms (errors near
    /// 1.0 on this tone); the sink's trailing silence fixes that.
    @Test func opusEndIsClean() throws {
        let tone = (0..<24000).map { Float(0.5 * sin(Double($0) * 0.05)) }
        let back = try AudioIO.read(data: AudioIO.encode(tone, format: .opus)).samples
        #expect(back.count >= tone.count && back.count <= tone.count + 480)
        let lag = bestLag(tone, back, maxLag: 5)  // the tone is periodic: only small lags are meaningful
        let tailError = (tone.count - 300..<tone.count).map { abs(tone[$0] - back[$0 + lag]) }.max()!
        #expect(tailError < 0.1)
    }

    @Test func rejectsWrongFormatOrRate() {
        #expect(throws: AudioError.self) { try SndFileSink(.stream { _ in }, format: .wav) }
        #expect(throws: AudioError.self) { try SndFileSink(.stream { _ in }, format: .opus, sampleRate: 44100) }
    }

    /// The streaming callback destination (what an HTTP response uses) sees bytes before close.
    @Test func streamCallbackGetsBytesEarly() throws {
        final class Box: @unchecked Sendable { var chunks: [Data] = [] }
        let box = Box()
        let sink = try AudioIO.makeSink(format: .opus, destination: .stream { box.chunks.append($0) })
        for _ in 0..<10 { try sink.write(Array(Self.x.prefix(4800))) }
        let before = box.chunks.count
        try sink.close()
        #expect(before > 0)
        let all = box.chunks.reduce(Data(), +)
        #expect(try AudioIO.read(data: all).frameCount > 40000)
    }
}
