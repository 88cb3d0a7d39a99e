import Foundation
import Testing
@testable import Qwen3TTS

@Suite struct MelSpectrogramTests {
    /// Mels of the golden 24 kHz reference (76767 samples, an odd length) against the official
    /// `mel_spectrogram` output that the speaker encoder was fed. The largest absolute error (about 5.7e-4)
    /// sits on a near-silent bin (log mel about -10.6): an exact float64 pipeline in numpy differs from
    /// torch's float32 STFT by the same amount there, so that is the reference's own rounding, not ours.
    @Test(arguments: ["tiny", "tiny-eq"])
    func matchesOfficialMels(_ structure: String) throws {
        let g = try GoldenCase(structure, "ref")
        let wav = try g.floats("ref_wav_24k")
        let expected = try g.rows("ref_mels")
        let mels = try MelSpectrogram.speakerEncoder.compute(wav)
        #expect(mels.count == expected.count)
        #expect(mels.count == wav.count / 256)
        let error = relativeError(mels.flatMap { $0 }, expected.flatMap { $0 })
        var maxAbs: Float = 0
        for (a, b) in zip(mels.flatMap { $0 }, expected.flatMap { $0 }) { maxAbs = max(maxAbs, abs(a - b)) }
        print("[mel \(structure)] frames \(mels.count) max abs error \(maxAbs), relative \(error)")
        #expect(error < 1e-4)
    }

    /// The FFT against a direct DFT on a non-trivial signal.
    @Test func fftMatchesDFT() {
        let n = 64
        let fft = RadixTwoFFT(size: n)
        var re = (0..<n).map { sin(Double($0) * 0.37) + 0.25 * Double($0 % 5) }, im = [Double](repeating: 0, count: n)
        let input = re
        fft.transform(&re, &im)
        for k in 0..<n {
            var sr = 0.0, si = 0.0
            for t in 0..<n {
                sr += input[t] * cos(-2 * Double.pi * Double(k * t) / Double(n))
                si += input[t] * sin(-2 * Double.pi * Double(k * t) / Double(n))
            }
            #expect(abs(sr - re[k]) < 1e-9 && abs(si - im[k]) < 1e-9, "bin \(k)")
        }
    }

    /// Spot values of librosa.filters.mel(sr=24000, n_fft=1024, n_mels=128, fmin=0, fmax=12000).
    @Test func filterbankMatchesLibrosa() {
        let fb = MelSpectrogram.speakerEncoder.filterbank
        #expect(fb.count == 128 * 513)
        // librosa's band edges: filter 0 covers bins 1...2, filter 127 bins 485...511.
        #expect(fb[0] == 0 && fb[3] == 0 && fb[127 * 513 + 484] == 0 && fb[127 * 513 + 512] == 0)
        for (m, k, v) in [(0, 1, Float(0.033550426)), (0, 2, 0.00856908318), (10, 13, 0.0178640708), (64, 90, 0.0137171727),
                          (127, 498, 0.00308680045), (127, 508, 0.00091271347)] {
            #expect(abs(fb[m * 513 + k] - v) <= 1e-9, "filter \(m) bin \(k): \(fb[m * 513 + k])")
        }
    }

    /// Too little audio for the reflect padding is a typed error, not a crash; odd lengths frame as floor(n / hop).
    @Test func shortAndOddInputs() throws {
        let mel = MelSpectrogram.speakerEncoder
        for n in [0, 1, 255, 384] {
            #expect(throws: MelSpectrogramError.self) { try mel.compute([Float](repeating: 0.1, count: n)) }
        }
        for n in [385, 511, 1001, 2049] {
            let x = (0..<n).map { Float(sin(Double($0) * 0.05)) * 0.3 }
            let mels = try mel.compute(x)
            #expect(mels.count == n / 256 && mels.allSatisfy { $0.count == 128 && $0.allSatisfy(\.isFinite) })
        }
        // Silence hits the log floor exactly.
        let silent = try mel.compute([Float](repeating: 0, count: 1024))
        #expect(silent.allSatisfy { $0.allSatisfy { $0 == logf(1e-5) } })
    }
}
