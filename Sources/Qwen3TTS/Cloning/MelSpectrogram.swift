// The log-mel front-end of the speaker encoder. Upstream: `mel_spectrogram` (with
// `dynamic_range_compression_torch` and `librosa.filters.mel`) in modeling_qwen3_tts.py, called by
// `Qwen3TTSForConditionalGeneration.extract_speaker_embedding`:
// reflect-pad (n_fft - hop)/2 on each side -> STFT (periodic Hann, center=False, one-sided)
// -> sqrt(re² + im² + 1e-9) -> Slaney mel filterbank -> log(max(x, 1e-5)).

import Foundation

/// Audio that the mel front-end cannot frame.
public enum MelSpectrogramError: Error, CustomStringConvertible, Sendable {
    case tooShort(samples: Int, minimum: Int)

    public var description: String {
        switch self {
        case .tooShort(let n, let m):
            return "audio too short for the mel spectrogram: \(n) samples, need at least \(m) (reflect padding needs more samples than it pads)"
        }
    }
}

/// A log-mel spectrogram with a fixed configuration (window length = FFT size, as upstream uses it).
public struct MelSpectrogram: Sendable {
    public let sampleRate: Int
    public let fftSize: Int
    public let hopLength: Int
    public let melCount: Int
    /// Slaney-normalised triangular filters [melCount, fftSize/2 + 1], exactly librosa's float32 values.
    public let filterbank: [Float]
    /// Nonzero bin range of each filter, so the projection skips the zeros.
    private let bands: [Range<Int>]
    private let window: [Double]
    private let fft: RadixTwoFFT

    /// The front-end of the speaker encoder: 24 kHz, n_fft 1024, hop 256, 128 mels over 0...12000 Hz.
    public static let speakerEncoder = MelSpectrogram(sampleRate: 24000, fftSize: 1024, hopLength: 256, melCount: 128,
                                                      fmin: 0, fmax: 12000)

    public init(sampleRate: Int, fftSize: Int, hopLength: Int, melCount: Int, fmin: Double, fmax: Double) {
        precondition(fftSize > 1 && fftSize & (fftSize - 1) == 0, "fftSize must be a power of two")
        self.sampleRate = sampleRate
        self.fftSize = fftSize
        self.hopLength = hopLength
        self.melCount = melCount
        let fb = MelSpectrogram.slaneyFilterbank(sampleRate: sampleRate, fftSize: fftSize, melCount: melCount,
                                                 fmin: fmin, fmax: fmax)
        filterbank = fb
        let bins = fftSize / 2 + 1
        bands = (0..<melCount).map { m in
            guard let first = (0..<bins).first(where: { fb[m * bins + $0] != 0 }),
                  let last = (0..<bins).last(where: { fb[m * bins + $0] != 0 }) else { return 0..<0 }
            return first..<(last + 1)
        }
        // torch.hann_window(N) is periodic: 0.5 - 0.5 cos(2πn/N), n < N.
        window = (0..<fftSize).map { 0.5 - 0.5 * cos(2 * Double.pi * Double($0) / Double(fftSize)) }
        fft = RadixTwoFFT(size: fftSize)
    }

    /// Reflect padding needs more samples than it adds, and at least one full window must fit.
    public var minimumSamples: Int { max((fftSize - hopLength) / 2 + 1, hopLength) }

    /// Number of frames for `samples` input samples: floor(samples / hop) once the padding is added.
    public func frameCount(samples: Int) -> Int {
        let padded = samples + 2 * ((fftSize - hopLength) / 2)
        return padded < fftSize ? 0 : (padded - fftSize) / hopLength + 1
    }

    /// Log-mel features [frames][melCount] of mono samples.
    public func compute(_ samples: [Float]) throws -> [[Float]] {
        guard samples.count >= minimumSamples else {
            throw MelSpectrogramError.tooShort(samples: samples.count, minimum: minimumSamples)
        }
        let pad = (fftSize - hopLength) / 2
        let n = samples.count
        // torch reflect padding: mirror around the first/last sample, which itself is not repeated.
        var padded = [Float](repeating: 0, count: n + 2 * pad)
        for i in 0..<pad {
            padded[i] = samples[pad - i]
            padded[pad + n + i] = samples[n - 2 - i]
        }
        for i in 0..<n { padded[pad + i] = samples[i] }

        let bins = fftSize / 2 + 1
        var re = [Double](repeating: 0, count: fftSize), im = re
        var magnitude = [Float](repeating: 0, count: bins)
        var out: [[Float]] = []
        out.reserveCapacity(frameCount(samples: n))
        for f in 0..<frameCount(samples: n) {
            let start = f * hopLength
            for i in 0..<fftSize {
                re[i] = Double(padded[start + i]) * window[i]
                im[i] = 0
            }
            fft.transform(&re, &im)
            for k in 0..<bins { magnitude[k] = Float((re[k] * re[k] + im[k] * im[k] + 1e-9).squareRoot()) }
            var row = [Float](repeating: 0, count: melCount)
            for m in 0..<melCount {
                var acc: Double = 0
                for k in bands[m] { acc += Double(filterbank[m * bins + k]) * Double(magnitude[k]) }
                row[m] = logf(max(Float(acc), 1e-5))
            }
            out.append(row)
        }
        return out
    }

    /// librosa.filters.mel(sr, n_fft, n_mels, fmin, fmax, htk=False, norm="slaney"), reproduced step by step:
    /// float64 ramps, stored as float32, then scaled in float64 by the Slaney area norm and stored as float32.
    public static func slaneyFilterbank(sampleRate: Int, fftSize: Int, melCount: Int, fmin: Double, fmax: Double) -> [Float] {
        let bins = fftSize / 2 + 1
        // np.fft.rfftfreq(n_fft, 1/sr): k / (n * d).
        let step = 1.0 / (Double(fftSize) * (1.0 / Double(sampleRate)))
        let fftFreqs = (0..<bins).map { Double($0) * step }
        // mel_frequencies: np.linspace over the Slaney mel scale, then back to Hz.
        let lo = hzToMel(fmin), hi = hzToMel(fmax)
        let count = melCount + 2
        let delta = (hi - lo) / Double(count - 1)
        let melF = (0..<count).map { i in melToHz(i == count - 1 ? hi : Double(i) * delta + lo) }

        var weights = [Float](repeating: 0, count: melCount * bins)
        for m in 0..<melCount {
            let lower = melF[m + 1] - melF[m], upper = melF[m + 2] - melF[m + 1]
            let enorm = 2.0 / (melF[m + 2] - melF[m])
            for k in 0..<bins {
                let rise = -(melF[m] - fftFreqs[k]) / lower
                let fall = (melF[m + 2] - fftFreqs[k]) / upper
                let w = Float(max(0, min(rise, fall)))
                weights[m * bins + k] = Float(Double(w) * enorm)
            }
        }
        return weights
    }

    // Slaney's auditory-toolbox mel scale: linear below 1 kHz (200/3 Hz per mel), logarithmic above.
    private static let melSpacing = 200.0 / 3
    private static let logRegionHz = 1000.0
    private static let logRegionMel = 1000.0 / melSpacing
    private static let logStep = log(6.4) / 27

    static func hzToMel(_ hz: Double) -> Double {
        hz >= logRegionHz ? logRegionMel + log(hz / logRegionHz) / logStep : hz / melSpacing
    }

    static func melToHz(_ mel: Double) -> Double {
        mel >= logRegionMel ? logRegionHz * exp(logStep * (mel - logRegionMel)) : melSpacing * mel
    }
}

/// In-place iterative radix-2 complex FFT (decimation in time) with precomputed twiddles.
struct RadixTwoFFT: Sendable {
    let size: Int
    private let cosTable: [Double]
    private let sinTable: [Double]
    private let reversed: [Int]

    init(size: Int) {
        self.size = size
        cosTable = (0..<(size / 2)).map { cos(-2 * Double.pi * Double($0) / Double(size)) }
        sinTable = (0..<(size / 2)).map { sin(-2 * Double.pi * Double($0) / Double(size)) }
        let bits = size.trailingZeroBitCount
        reversed = (0..<size).map { i in
            var r = 0
            for b in 0..<bits where i & (1 << b) != 0 { r |= 1 << (bits - 1 - b) }
            return r
        }
    }

    /// X[k] = Σ x[n] e^{-2πi kn/N}, in place.
    func transform(_ re: inout [Double], _ im: inout [Double]) {
        for i in 0..<size where i < reversed[i] {
            re.swapAt(i, reversed[i])
            im.swapAt(i, reversed[i])
        }
        var half = 1
        while half < size {
            let stride = size / (2 * half)
            var start = 0
            while start < size {
                for j in 0..<half {
                    let wr = cosTable[j * stride], wi = sinTable[j * stride]
                    let a = start + j, b = a + half
                    let tr = re[b] * wr - im[b] * wi
                    let ti = re[b] * wi + im[b] * wr
                    re[b] = re[a] - tr
                    im[b] = im[a] - ti
                    re[a] += tr
                    im[a] += ti
                }
                start += 2 * half
            }
            half *= 2
        }
    }
}
