import Foundation
import Testing
@testable import AudioIO

struct ResamplerTests {
    /// Largest difference allowed against librosa.resample (soxr_hq). Both sides run libsoxr's
    /// HQ recipe in float32; only the library build (SIMD path, FFT engine) differs.
    static let tolerance: Float = 1e-5

    @Test(arguments: [8000, 16000, 22050, 44100, 48000])
    func matchesLibrosa(rate: Int) throws {
        let input = try AudioIO.read(path: fixture("resample/in_\(rate).wav"))
        #expect(input.sampleRate == rate && input.channels == 1)
        let expected = try loadF32("resample/out_\(rate).f32")
        let ours = try Resampler.resample(input.samples, from: rate, to: 24000)
        #expect(ours.count == expected.count)
        let err = maxAbsDiff(ours, expected)
        print("resample \(rate) -> 24000: \(ours.count) samples, max |ours - librosa| = \(err)")
        #expect(err <= Self.tolerance)
    }

    /// Output length is librosa's ceil(n * out / in), for awkward lengths too.
    @Test(arguments: [(44100, 1), (44100, 7), (22050, 12345), (8000, 3), (48000, 47999), (16000, 0)])
    func lengthRule(rate: Int, frames: Int) throws {
        let x = testSignal(frames: frames, sampleRate: rate)
        let y = try Resampler.resample(x, from: rate, to: 24000)
        #expect(y.count == Int((Double(frames) * 24000 / Double(rate)).rounded(.up)))
    }

    @Test func identityAndErrors() throws {
        let x = testSignal(frames: 100)
        #expect(try Resampler.resample(x, from: 24000, to: 24000) == x)
        #expect(throws: AudioError.self) { try Resampler.resample(x, from: 0, to: 24000) }
        #expect(throws: AudioError.self) { try Resampler.resample(x, from: 16000, to: 24000, channels: 3) }
    }

    /// Channels are resampled independently (librosa applies soxr per channel).
    @Test func stereoEqualsPerChannel() throws {
        let x = testSignal(frames: 4410, sampleRate: 44100, channels: 2)
        let y = try Resampler.resample(x, from: 44100, to: 24000, channels: 2)
        let buffer = AudioBuffer(samples: y, sampleRate: 24000, channels: 2)
        let source = AudioBuffer(samples: x, sampleRate: 44100, channels: 2)
        for c in 0..<2 {
            let single = try Resampler.resample(source.channel(c), from: 44100, to: 24000)
            #expect(maxAbsDiff(buffer.channel(c), single) <= 1e-6)
        }
    }

    /// A 1 kHz tone keeps its amplitude and frequency through 44.1 kHz -> 24 kHz.
    @Test func tonePreserved() throws {
        let n = 44100
        let x = (0..<n).map { Float(0.5 * sin(2 * Double.pi * 1000 * Double($0) / 44100)) }
        let y = try Resampler.resample(x, from: 44100, to: 24000)
        let ideal = (0..<y.count).map { Float(0.5 * sin(2 * Double.pi * 1000 * Double($0) / 24000)) }
        // Away from the edges the HQ filter is flat and linear-phase (delay compensated).
        #expect(maxAbsDiff(Array(y[1000..<23000]), Array(ideal[1000..<23000])) < 1e-3)
    }
}
