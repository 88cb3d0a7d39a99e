import Foundation
import Testing
@testable import AudioIO

/// Truncated and corrupted files of every format must fail with an AudioError or decode to
/// something, never crash or hang.
struct RobustnessTests {
    /// Small deterministic generator (SplitMix64), so failures are reproducible.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static func sample(_ format: AudioFormat) throws -> Data {
        try AudioIO.encode(testSignal(frames: 6000), format: format)
    }

    /// Decoding must not crash; an error must be an AudioError naming the input.
    static func survive(_ data: Data, _ label: String) {
        do {
            let a = try AudioIO.read(data: data, name: label)
            #expect(a.channels > 0 && a.samples.count % a.channels == 0, "\(label)")
            _ = try? ReferenceAudio.prepare(a, name: label)
        } catch let e as AudioError {
            #expect(e.description.contains(label), "\(label): \(e)")
        } catch {
            Issue.record("\(label): non-AudioError \(error)")
        }
    }

    @Test(arguments: ["wav", "wav-f32", "flac", "mp3", "opus"])
    func truncated(name: String) throws {
        let whole = try Self.sample(AudioFormat(name: name)!)
        var cuts = [0, 1, 3, 4, 8, 11, 12, 16, 20, 24, 36, 40, 43, 44, 45, 57, 58, 100, 200, 500]
        cuts += [whole.count / 3, whole.count / 2, whole.count - 1]
        for cut in cuts where cut < whole.count {
            Self.survive(whole.prefix(cut), "\(name)-cut-\(cut)")
        }
    }

    @Test(arguments: ["wav", "wav-f32", "flac", "mp3", "opus"])
    func corrupted(name: String) throws {
        let whole = try Self.sample(AudioFormat(name: name)!)
        var rng = SplitMix(state: UInt64(name.utf8.reduce(0) { $0 &* 31 &+ UInt64($1) }))
        for trial in 0..<60 {
            var bytes = whole
            // Half the trials hit the header region, where parsers are most fragile.
            let region = trial % 2 == 0 ? min(128, bytes.count) : bytes.count
            for _ in 0..<Int.random(in: 1...16, using: &rng) {
                bytes[Int.random(in: 0..<region, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            }
            Self.survive(bytes, "\(name)-corrupt-\(trial)")
        }
    }

    @Test func garbageBehindMagicNumbers() {
        var rng = SplitMix(state: 7)
        let junk = Data((0..<4096).map { _ in UInt8.random(in: 0...255, using: &rng) })
        let magics = ["", "RIFF\u{10}\0\0\0WAVE", "RIFF\u{FF}\u{FF}\u{FF}\u{FF}WAVEfmt ", "fLaC", "OggS", "ID3", "FORM", "\u{FF}\u{FB}"]
        for (i, magic) in magics.enumerated() {
            Self.survive(Data(magic.utf8) + junk, "magic-\(i)")
            Self.survive(Data(magic.utf8), "bare-magic-\(i)")
        }
        // A fmt chunk claiming huge sizes must not make the reader allocate or read past the end.
        var c = WAVBuilder()
        c.chunk("fmt ", WAVBuilder.fmt(tag: 1, channels: 65535, rate: Int(UInt32.max), bytesPerSample: 4))
        c.tag("data"); c.u32(0xFFFF_FFF0)
        Self.survive(WAVBuilder.riff(c.bytes), "huge-fmt")
    }

    @Test func fixturesSurviveTruncation() throws {
        for name in ["lossy/tone.mp3", "lossy/tone.opus", "lossy/tone.flac", "wav/sox_s24_3ch_ext.wav", "wav/sf_f32_stereo.wav"] {
            let whole = try Data(contentsOf: URL(fileURLWithPath: fixture(name)))
            for cut in stride(from: 0, to: whole.count, by: max(1, whole.count / 25)) {
                Self.survive(whole.prefix(cut), "\(name)@\(cut)")
            }
        }
    }
}
