// Decoded audio in memory, the output formats we write, and the one error type of this target.

import Foundation

/// Decoded audio: float samples nominally in [-1, 1], **interleaved** (frame-major:
/// `samples[frame * channels + channel]`), which is how WAV, libsndfile and libsoxr all lay
/// samples out, so no reader or resampler has to transpose.
public struct AudioBuffer: Sendable, Equatable {
    public var samples: [Float]
    public var sampleRate: Int
    public var channels: Int

    public init(samples: [Float], sampleRate: Int, channels: Int) {
        precondition(channels > 0 && samples.count % channels == 0, "samples must hold whole frames")
        self.samples = samples
        self.sampleRate = sampleRate
        self.channels = channels
    }

    /// Number of frames (samples per channel).
    public var frameCount: Int { samples.count / channels }

    /// Duration in seconds.
    public var duration: Double { sampleRate > 0 ? Double(frameCount) / Double(sampleRate) : 0 }

    /// One channel, de-interleaved.
    public func channel(_ c: Int) -> [Float] {
        precondition(c >= 0 && c < channels)
        return stride(from: c, to: samples.count, by: channels).map { samples[$0] }
    }

    /// Mean of the channels, as `librosa.to_mono` (sequential float32 sum, then divide).
    public func mono() -> [Float] {
        if channels == 1 { return samples }
        let n = frameCount, ch = channels, scale = Float(ch)
        return [Float](unsafeUninitializedCapacity: n) { out, count in
            samples.withUnsafeBufferPointer { s in
                for f in 0..<n {
                    var acc: Float = 0
                    for c in 0..<ch { acc += s[f * ch + c] }
                    out[f] = acc / scale
                }
            }
            count = n
        }
    }
}

/// Encoding of a 16-bit or float WAV file.
public enum WAVSampleFormat: Sendable, Hashable {
    /// Signed 16-bit PCM (WAVE_FORMAT_PCM); floats converted as soundfile does (see `PCM.int16`).
    case pcm16
    /// 32-bit IEEE float (WAVE_FORMAT_IEEE_FLOAT), samples stored unchanged.
    case float32
}

/// The output formats of `--format` and the server's `response_format`.
public enum AudioFormat: Sendable, Hashable {
    case wav(WAVSampleFormat)
    /// Headerless signed 16-bit little-endian PCM.
    case pcm
    /// FLAC, 16-bit (libsndfile).
    case flac
    /// MPEG-1/2 Layer III (libsndfile + LAME).
    case mp3
    /// Opus in an Ogg container (libsndfile + libopus).
    case opus

    /// 16-bit WAV, the default output.
    public static let wav = AudioFormat.wav(.pcm16)

    /// Parses a format name: `wav`, `wav-f32` (float WAV), `pcm`, `flac`, `mp3`, `opus`.
    public init?(name: String) {
        switch name.lowercased() {
        case "wav", "wave": self = .wav(.pcm16)
        case "wav-f32", "wav32f", "f32": self = .wav(.float32)
        case "pcm", "raw", "s16le": self = .pcm
        case "flac": self = .flac
        case "mp3", "mpeg": self = .mp3
        case "opus", "ogg": self = .opus
        default: return nil
        }
    }

    /// The format a file name's extension implies (`out.mp3` -> `.mp3`), or nil.
    public init?(pathExtension path: String) {
        let ext = URL(fileURLWithPath: path).pathExtension.lowercased()
        guard !ext.isEmpty, ext != "f32", ext != "wav32f" else { return nil }
        self.init(name: ext)
    }

    /// Names accepted by `init(name:)`, for help texts.
    public static let names = ["wav", "wav-f32", "pcm", "flac", "mp3", "opus"]

    public var fileExtension: String {
        switch self {
        case .wav: "wav"
        case .pcm: "pcm"
        case .flac: "flac"
        case .mp3: "mp3"
        case .opus: "opus"
        }
    }

    /// MIME type for HTTP responses.
    public var mimeType: String {
        switch self {
        case .wav: "audio/wav"
        case .pcm: "audio/pcm"
        case .flac: "audio/flac"
        case .mp3: "audio/mpeg"
        case .opus: "audio/ogg; codecs=opus"
        }
    }
}

/// Every failure of this target. Messages are one line and name the file concerned.
public enum AudioError: Error, CustomStringConvertible, Equatable, Sendable {
    /// Missing, not audio, unsupported encoding or corrupt header.
    case unreadable(file: String, reason: String)
    /// The file decodes to zero samples.
    case empty(file: String)
    /// A NaN or infinite sample at the given frame.
    case nonFinite(file: String, frame: Int)
    /// Shorter than the minimum a voice reference needs.
    case tooShort(file: String, seconds: Double, minimum: Double)
    /// Longer than the configured maximum.
    case tooLong(file: String, seconds: Double, maximum: Double)
    /// Peak below the silence threshold.
    case silent(file: String, peakDBFS: Double)
    /// Writing or encoding failed.
    case writeFailed(file: String, reason: String)
    /// Bad argument (sample rate, channel count, format) or resampler failure.
    case invalid(String)
    /// A feature needs an optional system library that is not installed.
    case missingLibrary(OptionalLibrary, feature: String)

    var isTooLong: Bool { if case .tooLong = self { true } else { false } }
    var isMissingLibrary: Bool { if case .missingLibrary = self { true } else { false } }

    public var description: String {
        func s(_ x: Double) -> String { String(format: "%.2f", x) }
        switch self {
        case .unreadable(let f, let r): return "cannot read audio file '\(f)': \(r)"
        case .empty(let f): return "audio file '\(f)' contains no samples"
        case .nonFinite(let f, let i): return "audio file '\(f)' contains a NaN or infinite sample (frame \(i))"
        case .tooShort(let f, let t, let m):
            return "reference audio '\(f)' is too short: \(s(t)) s (need at least \(s(m)) s)"
        case .tooLong(let f, let t, let m):
            return "reference audio '\(f)' is too long: \(s(t)) s (at most \(s(m)) s allowed; trim it first)"
        case .silent(let f, let p):
            return "reference audio '\(f)' is silent (peak \(p.isFinite ? s(p) : "-inf") dBFS)"
        case .writeFailed(let f, let r): return "cannot write audio to '\(f)': \(r)"
        case .invalid(let m): return m
        case .missingLibrary(let lib, let feature):
            return "\(feature) needs \(lib.name), which is not installed: \(lib.installHint)"
        }
    }
}
