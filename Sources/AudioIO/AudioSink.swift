// Streaming audio output: chunks are written as the decoder produces them, so the first audio
// reaches a file, stdout or an HTTP client before synthesis ends.

import Foundation

/// A streaming audio writer. Not thread-safe: use one sink from one task or thread at a time.
public protocol AudioSink: AnyObject {
    var sampleRate: Int { get }
    var channels: Int { get }
    /// Appends float samples (interleaved when `channels > 1`, nominal range [-1, 1]).
    func write(_ samples: [Float]) throws
    /// Finishes the stream (patches headers where the destination can seek). Idempotent;
    /// writes after close throw.
    func close() throws
}

/// WAV writer that streams. The header first carries 0xFFFFFFFF sizes ("unknown length", which
/// ffmpeg, sox, libsndfile and browsers accept); on a seekable destination the RIFF/fact/data
/// sizes are patched on close, on a pipe nothing ever seeks.
public final class WAVFileSink: AudioSink {
    public let sampleRate: Int
    public let channels: Int
    public let format: WAVSampleFormat
    private let output: ByteOutput
    private var dataBytes = 0
    private var closed = false

    public init(_ destination: AudioDestination, sampleRate: Int = 24000, channels: Int = 1,
                format: WAVSampleFormat = .pcm16) throws {
        guard sampleRate > 0, channels > 0 else { throw AudioError.invalid("bad sample rate \(sampleRate) or channel count \(channels)") }
        self.sampleRate = sampleRate
        self.channels = channels
        self.format = format
        output = try ByteOutput(destination)
        // Streaming sizes even when seekable, patched on close: a file left by a crash (or read
        // while still being written) is then still valid for every reader.
        try output.write(WAV.header(sampleRate: sampleRate, channels: channels, format: format, dataBytes: nil))
    }

    public convenience init(path: String, sampleRate: Int = 24000, channels: Int = 1, format: WAVSampleFormat = .pcm16) throws {
        try self.init(.file(path), sampleRate: sampleRate, channels: channels, format: format)
    }

    public func write(_ samples: [Float]) throws {
        guard !closed else { throw AudioError.writeFailed(file: output.name, reason: "write after close") }
        guard samples.count % channels == 0 else { throw AudioError.invalid("sample count \(samples.count) is not a multiple of \(channels) channels") }
        let bytes = format == .pcm16 ? PCM.s16le(samples) : PCM.f32le(samples)
        try output.write(bytes)
        dataBytes += bytes.count
    }

    public func close() throws {
        guard !closed else { return }
        closed = true
        if output.seekable {
            let header = WAV.header(sampleRate: sampleRate, channels: channels, format: format,
                                    dataBytes: UInt32(clamping: dataBytes))
            let end = output.position
            // Rewrite the whole header: it is tiny and carries all three size fields.
            guard output.seek(to: 0) else { throw AudioError.writeFailed(file: output.name, reason: "cannot seek to patch the WAV header") }
            try output.write(header)
            output.seek(to: end)
        }
        try output.close()
    }
}

/// Headerless signed 16-bit little-endian PCM (`--format pcm`), e.g. to stdout.
public final class RawPCMSink: AudioSink {
    public let sampleRate: Int
    public let channels: Int
    private let output: ByteOutput
    private var closed = false

    public init(_ destination: AudioDestination, sampleRate: Int = 24000, channels: Int = 1) throws {
        self.sampleRate = sampleRate
        self.channels = channels
        output = try ByteOutput(destination)
    }

    public convenience init(handle: FileHandle, sampleRate: Int = 24000, channels: Int = 1) throws {
        try self.init(.fileHandle(handle), sampleRate: sampleRate, channels: channels)
    }

    public func write(_ samples: [Float]) throws {
        guard !closed else { throw AudioError.writeFailed(file: output.name, reason: "write after close") }
        try output.write(PCM.s16le(samples))
    }

    public func close() throws {
        guard !closed else { return }
        closed = true
        try output.close()
    }
}

extension AudioIO {
    /// A streaming sink for `format`: WAV and raw PCM in Swift, FLAC/MP3/Opus through libsndfile.
    public static func makeSink(format: AudioFormat, destination: AudioDestination,
                                sampleRate: Int = 24000, channels: Int = 1) throws -> any AudioSink {
        switch format {
        case .wav(let f): try WAVFileSink(destination, sampleRate: sampleRate, channels: channels, format: f)
        case .pcm: try RawPCMSink(destination, sampleRate: sampleRate, channels: channels)
        case .flac, .mp3, .opus: try SndFileSink(destination, format: format, sampleRate: sampleRate, channels: channels)
        }
    }
}
