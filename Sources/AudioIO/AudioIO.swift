// Entry points: read any supported file, encode or write a whole clip in any output format.

import Foundation

public enum AudioIO {
    /// Reads an audio file. RIFF/WAVE in PCM 8/16/24/32-bit or float 32/64-bit (plain or
    /// WAVE_FORMAT_EXTENSIBLE) is decoded in Swift; everything else (FLAC, MP3, Ogg Vorbis/Opus,
    /// AIFF, A-law/mu-law WAV, RF64, ...) through libsndfile. Samples are interleaved floats
    /// scaled as soundfile's `dtype="float32"`.
    public static func read(path: String) throws -> AudioBuffer {
        try read(path: path, maxSeconds: nil)
    }

    /// Decodes an audio file held in memory (an upload, base64 payload, ...). `name` is used in
    /// error messages.
    public static func read(data: Data, name: String = "<memory>") throws -> AudioBuffer {
        try read(data: data, name: name, maxSeconds: nil)
    }

    /// `maxSeconds` makes an over-long file fail with `.tooLong` before it is fully decoded.
    static func read(path: String, maxSeconds: Double?) throws -> AudioBuffer {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe)
        } catch {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot open file" : "no such file"
            throw AudioError.unreadable(file: path, reason: reason)
        }
        return try read(data: data, name: path, maxSeconds: maxSeconds)
    }

    static func read(data: Data, name: String, maxSeconds: Double?) throws -> AudioBuffer {
        guard !data.isEmpty else { throw AudioError.unreadable(file: name, reason: "file is empty (0 bytes)") }
        let isWAV = data.count >= 12 && data.prefix(4) == Data("RIFF".utf8) && data.dropFirst(8).prefix(4) == Data("WAVE".utf8)
        if isWAV {
            do {
                return try WAV.decode(data, name: name, maxSeconds: maxSeconds)
            } catch let unsupported as WAV.UnsupportedEncoding {
                // A valid WAV in an encoding the Swift reader leaves to libsndfile.
                do {
                    return try SndFile.decode(data, name: name, maxSeconds: maxSeconds)
                } catch let e as AudioError where e.isTooLong || e.isMissingLibrary {
                    throw e
                } catch {
                    throw AudioError.unreadable(file: name, reason: "unsupported WAV encoding (\(unsupported.reason))")
                }
            }
        }
        return try SndFile.decode(data, name: name, maxSeconds: maxSeconds)
    }

    /// A whole clip encoded in `format` (for HTTP responses and tests).
    public static func encode(_ samples: [Float], sampleRate: Int = 24000, channels: Int = 1, format: AudioFormat) throws -> Data {
        switch format {
        case .wav(let f): return WAV.encode(samples, sampleRate: sampleRate, channels: channels, format: f)
        case .pcm: return PCM.s16le(samples)
        case .flac, .mp3, .opus:
            let sink = try SndFileSink(output: ByteOutput(), format: format, sampleRate: sampleRate, channels: channels)
            try sink.write(samples)
            try sink.close()
            return sink.memoryBytes
        }
    }

    /// Writes a whole clip to `path`; the format defaults to the one the extension names
    /// (unknown extensions: 16-bit WAV).
    public static func write(_ samples: [Float], sampleRate: Int = 24000, channels: Int = 1, to path: String,
                             format: AudioFormat? = nil) throws {
        let sink = try makeSink(format: format ?? AudioFormat(pathExtension: path) ?? .wav, destination: .file(path),
                                sampleRate: sampleRate, channels: channels)
        try sink.write(samples)
        try sink.close()
    }
}
