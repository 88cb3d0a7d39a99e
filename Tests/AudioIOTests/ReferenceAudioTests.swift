import Foundation
import Testing
@testable import AudioIO

struct ReferenceAudioTests {
    /// The qwen-tts preprocessing end to end: librosa.load(sr=None, mono=True) of a stereo 8 kHz
    /// file, then librosa.resample to 24 kHz.
    @Test func matchesReferencePreprocessing() throws {
        let ours = try ReferenceAudio.load(path: fixture("reference/stereo_8k.wav"))
        let expected = try loadF32("reference/stereo_8k.f32")
        #expect(ours.count == expected.count)
        let err = maxAbsDiff(ours, expected)
        print("reference preprocessing: max |ours - qwen-tts| = \(err)")
        #expect(err <= ResamplerTests.tolerance)
    }

    /// Each problem gives its own error, naming the file.
    @Test func errorCases() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        func file(_ name: String, _ data: Data) -> String {
            let p = dir.appendingPathComponent(name).path
            try? data.write(to: URL(fileURLWithPath: p))
            return p
        }
        func wav(_ name: String, _ x: [Float], rate: Int = 16000, channels: Int = 1) -> String {
            file(name, WAV.encode(x, sampleRate: rate, channels: channels, format: .float32))
        }
        func expectError(_ path: String, maxSeconds: Double = 60, sourceLocation: SourceLocation = #_sourceLocation,
                         _ match: (AudioError) -> Bool) {
            do {
                _ = try ReferenceAudio.load(path: path, maxSeconds: maxSeconds)
                Issue.record("expected an error for \(path)", sourceLocation: sourceLocation)
            } catch let e as AudioError {
                #expect(match(e), "\(e)", sourceLocation: sourceLocation)
                #expect(e.description.contains((path as NSString).lastPathComponent), sourceLocation: sourceLocation)
                #expect(!e.description.contains("\n"), sourceLocation: sourceLocation)
            } catch {
                Issue.record("unexpected \(error)", sourceLocation: sourceLocation)
            }
        }
        let speech = testSignal(frames: 32000, sampleRate: 16000)  // 2 s

        expectError(dir.appendingPathComponent("missing.wav").path) {
            if case .unreadable(_, let r) = $0 { r.contains("no such file") } else { false }
        }
        expectError(file("notes.txt", Data("hello, this is not audio at all\n".utf8))) {
            if case .unreadable = $0 { true } else { false }
        }
        expectError(file("zero.wav", Data())) { if case .unreadable = $0 { true } else { false } }
        expectError(file("header.wav", WAV.encode(speech, sampleRate: 16000).prefix(30))) {
            if case .unreadable = $0 { true } else { false }
        }
        expectError(wav("empty.wav", [])) { if case .empty = $0 { true } else { false } }
        expectError(wav("silent.wav", [Float](repeating: 0.0005, count: 32000))) {
            if case .silent(_, let db) = $0 { abs(db - -66.02) < 0.01 } else { false }
        }
        expectError(wav("zeros.wav", [Float](repeating: 0, count: 32000))) {
            if case .silent = $0 { true } else { false }
        }
        expectError(wav("short.wav", Array(speech.prefix(15999)))) {
            if case .tooShort(_, let s, 1) = $0 { abs(s - 0.9999375) < 1e-9 } else { false }
        }
        expectError(wav("long.wav", speech), maxSeconds: 1.5) {
            if case .tooLong(_, 2, 1.5) = $0 { true } else { false }
        }
        // Through libsndfile, rejected from the header before decoding.
        let flac = dir.appendingPathComponent("long.flac").path
        try AudioIO.write(testSignal(frames: 72000), to: flac)
        expectError(flac, maxSeconds: 2) {
            if case .tooLong(_, 3, 2) = $0 { true } else { false }
        }
        var withNaN = speech; withNaN[20001] = .nan
        expectError(wav("nan.wav", withNaN)) { if case .nonFinite(_, 20001) = $0 { true } else { false } }
        var withInf = speech; withInf[7] = -.infinity
        expectError(wav("inf.wav", withInf, channels: 2)) { if case .nonFinite(_, 3) = $0 { true } else { false } }
        // Opposite channels cancel when mixed to mono: silence is what the model would get.
        let opposite = speech.flatMap { [$0, -$0] }
        expectError(wav("cancel.wav", opposite, channels: 2)) { if case .silent = $0 { true } else { false } }
    }

    @Test func acceptsBoundaries() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // Exactly 1 s and exactly maxSeconds, just above the silence threshold.
        let p = dir.appendingPathComponent("ok.wav").path
        let x = testSignal(frames: 44100, sampleRate: 44100).map { $0 * 0.0025 }  // peak ~0.0015
        try AudioIO.write(x, sampleRate: 44100, to: p, format: .wav(.float32))
        let y = try ReferenceAudio.load(path: p, maxSeconds: 1)
        // librosa computes ceil(44100 * (24000 / 44100)) = ceil(24000.000000000004) = 24001.
        #expect(y.count == 24001)
        let z = try ReferenceAudio.load(data: Data(contentsOf: URL(fileURLWithPath: p)), name: "upload", maxSeconds: 1)
        #expect(z == y)
    }

    @Test func messagesAreOneLine() {
        let all: [AudioError] = [
            .unreadable(file: "a.wav", reason: "no such file"), .empty(file: "a.wav"), .nonFinite(file: "a.wav", frame: 3),
            .tooShort(file: "a.wav", seconds: 0.5, minimum: 1), .tooLong(file: "a.wav", seconds: 75, maximum: 60),
            .silent(file: "a.wav", peakDBFS: -.infinity), .writeFailed(file: "a.wav", reason: "disk full"),
        ]
        for e in all {
            #expect(e.description.contains("'a.wav'") && !e.description.contains("\n"), "\(e)")
        }
        #expect(AudioError.silent(file: "a.wav", peakDBFS: -.infinity).description.contains("-inf dBFS"))
    }
}
