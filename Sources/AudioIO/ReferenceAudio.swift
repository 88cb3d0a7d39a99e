// Voice-cloning reference audio: read, validate, mix to mono, resample to 24 kHz — the
// preprocessing of spec section 7 (librosa.load(sr=None, mono=True) then librosa.resample
// soxr_hq), with a clear error for every input the model cannot use.

import Foundation

public enum ReferenceAudio {
    /// The rate the speech tokenizer and speaker encoder expect.
    public static let sampleRate = 24000
    /// Shortest usable reference, in seconds.
    public static let minimumSeconds = 1.0
    /// A reference whose peak is below this (-60 dBFS) is treated as silent.
    public static let silenceThreshold: Float = 0.001

    /// Loads `path` as mono 24 kHz float samples. Throws `AudioError` for an unreadable file,
    /// no samples, NaN/Inf samples, under `minimumSeconds`, over `maxSeconds`, or silence.
    public static func load(path: String, maxSeconds: Double = 60) throws -> [Float] {
        try prepare(AudioIO.read(path: path, maxSeconds: maxSeconds), name: path, maxSeconds: maxSeconds)
    }

    /// Same as `load(path:)` for a file held in memory; `name` appears in error messages.
    public static func load(data: Data, name: String, maxSeconds: Double = 60) throws -> [Float] {
        try prepare(AudioIO.read(data: data, name: name, maxSeconds: maxSeconds), name: name, maxSeconds: maxSeconds)
    }

    /// Validates decoded audio, then mixes to mono and resamples to 24 kHz.
    public static func prepare(_ audio: AudioBuffer, name: String, maxSeconds: Double = 60) throws -> [Float] {
        guard audio.frameCount > 0 else { throw AudioError.empty(file: name) }
        if let bad = audio.samples.firstIndex(where: { !$0.isFinite }) {
            throw AudioError.nonFinite(file: name, frame: bad / audio.channels)
        }
        let seconds = audio.duration
        guard seconds >= minimumSeconds else { throw AudioError.tooShort(file: name, seconds: seconds, minimum: minimumSeconds) }
        guard seconds <= maxSeconds else { throw AudioError.tooLong(file: name, seconds: seconds, maximum: maxSeconds) }
        let mono = audio.mono()
        // Judged after mixing: that is what the model hears (L = -R stereo really is silence).
        let peak = mono.reduce(Float(0)) { max($0, abs($1)) }
        guard peak >= silenceThreshold else {
            throw AudioError.silent(file: name, peakDBFS: 20 * log10(Double(peak)))
        }
        return try Resampler.resample(mono, from: audio.sampleRate, to: sampleRate)
    }
}
