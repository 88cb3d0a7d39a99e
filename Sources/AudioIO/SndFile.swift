// libsndfile bridge: decoding anything it reads (FLAC, MP3, Ogg Vorbis/Opus, AIFF, odd WAV
// encodings) and encoding FLAC, MP3 and Ogg/Opus. All I/O goes through SF_VIRTUAL_IO so one code
// path serves files, memory, stdout and HTTP streams; libsndfile sees a seekable target only when
// the destination really is one (it then patches FLAC STREAMINFO / the MP3 LAME tag on close).
// libsndfile is loaded at run time (CRuntimeLibs): without it these formats fail with a one-line
// error naming the package to install, and nothing else is affected.

import CRuntimeLibs
import Foundation

/// libsndfile's entry points, or the error that says what to install.
private func sndfileAPI(for feature: String) throws -> rl_sndfile {
    guard let api = rl_sndfile_load() else { throw AudioError.missingLibrary(.sndfile, feature: feature) }
    return api.pointee
}

/// What libsndfile reads from or writes to, reached from C callbacks through `user_data`.
private final class VirtualFile {
    enum Backing {
        case input(Data)
        case output(ByteOutput)
    }

    let backing: Backing
    var readPosition: Int64 = 0
    /// First write error, rethrown after libsndfile returns (callbacks cannot throw).
    var error: Error?

    init(_ backing: Backing) { self.backing = backing }

    var length: Int64 {
        switch backing {
        case .input(let d): Int64(d.count)
        case .output(let o): o.length
        }
    }

    var position: Int64 {
        switch backing {
        case .input: readPosition
        case .output(let o): o.position
        }
    }

    func seek(_ offset: Int64, _ whence: Int32) -> Int64 {
        let target: Int64
        switch whence {
        case SEEK_SET: target = offset
        case SEEK_CUR: target = position + offset
        default: target = length + offset  // SEEK_END
        }
        switch backing {
        case .input:
            guard target >= 0, target <= length else { return -1 }
            readPosition = target
            return target
        case .output(let o):
            return o.seek(to: target) ? target : -1
        }
    }

    func read(_ dst: UnsafeMutableRawPointer, _ count: Int64) -> Int64 {
        switch backing {
        case .input(let d):
            let n = Int(max(0, min(count, Int64(d.count) - readPosition)))
            if n > 0 {
                d.withUnsafeBytes { src in dst.copyMemory(from: src.baseAddress! + Int(readPosition), byteCount: n) }
                readPosition += Int64(n)
            }
            return Int64(n)
        case .output(let o):
            return Int64(o.read(into: dst, count: Int(count)))
        }
    }

    func write(_ src: UnsafeRawPointer, _ count: Int64) -> Int64 {
        guard case .output(let o) = backing, error == nil else { return 0 }
        do {
            try o.write(UnsafeRawBufferPointer(start: src, count: Int(count)))
            return count
        } catch {
            self.error = error
            return 0
        }
    }

    static func from(_ p: UnsafeMutableRawPointer?) -> VirtualFile {
        Unmanaged<VirtualFile>.fromOpaque(p!).takeUnretainedValue()
    }

    /// The callback table; the closures capture nothing, so they convert to C function pointers.
    static var callbacks: rl_sf_virtual_io {
        rl_sf_virtual_io(
            get_filelen: { VirtualFile.from($0).length },
            seek: { off, whence, p in VirtualFile.from(p).seek(off, whence) },
            read: { dst, n, p in VirtualFile.from(p).read(dst!, n) },
            write: { src, n, p in VirtualFile.from(p).write(src!, n) },
            tell: { VirtualFile.from($0).position })
    }
}

private func sfError(_ api: rl_sndfile, _ file: OpaquePointer?) -> String {
    api.strerror(file).map { String(cString: $0) } ?? "unknown libsndfile error"
}

enum SndFile {
    /// Decodes any format libsndfile recognises, to interleaved float32 (its default scaling:
    /// integers divided by 2^(bits-1), the same as soundfile's `dtype="float32"`).
    /// `maxSeconds` stops decoding (and throws `tooLong`) once the file is known to exceed it.
    static func decode(_ data: Data, name: String, maxSeconds: Double? = nil) throws -> AudioBuffer {
        let api = try sndfileAPI(for: "reading '\(name)' (not a WAV file in an encoding the built-in reader handles)")
        let vf = VirtualFile(.input(data))
        var io = VirtualFile.callbacks
        var info = rl_sf_info()
        let user = Unmanaged.passUnretained(vf).toOpaque()
        guard let sf = api.open_virtual(&io, Int32(RL_SFM_READ), &info, user) else {
            throw AudioError.unreadable(file: name, reason: sfError(api, nil))
        }
        defer { _ = api.close(sf); withExtendedLifetime(vf) {} }
        let channels = Int(info.channels)
        guard channels > 0, info.samplerate > 0 else {
            throw AudioError.unreadable(file: name, reason: "no channels or sample rate in header")
        }
        let rate = Double(info.samplerate)
        // `info.frames` is exact for most formats but only an estimate for MP3 (SF_COUNT_MAX when
        // unknown), so it is used to reject early, and reading still goes block by block.
        let maxFrames = maxSeconds.map { Int(($0 * rate).rounded(.down)) } ?? Int.max
        if info.frames < rl_sf_count.max, Int(info.frames) > maxFrames, let maxSeconds {
            throw AudioError.tooLong(file: name, seconds: Double(info.frames) / rate, maximum: maxSeconds)
        }
        let block = 4096
        var samples: [Float] = []
        var chunk = [Float](repeating: 0, count: block * channels)
        while true {
            let got = chunk.withUnsafeMutableBufferPointer { api.readf_float(sf, $0.baseAddress, rl_sf_count(block)) }
            if got <= 0 { break }
            samples.append(contentsOf: chunk[0..<Int(got) * channels])
            if samples.count / channels > maxFrames, let maxSeconds {
                throw AudioError.tooLong(file: name, seconds: Double(samples.count / channels) / rate, maximum: maxSeconds)
            }
        }
        let err = api.error(sf)
        if err != 0 && samples.isEmpty {
            throw AudioError.unreadable(file: name, reason: sfError(api, sf))
        }
        return AudioBuffer(samples: samples, sampleRate: Int(info.samplerate), channels: channels)
    }

    /// libsndfile major|subtype code for an output format.
    static func formatCode(_ format: AudioFormat) -> Int32? {
        switch format {
        case .flac: Int32(RL_SF_FORMAT_FLAC | RL_SF_FORMAT_PCM_16)
        case .mp3: Int32(RL_SF_FORMAT_MPEG | RL_SF_FORMAT_MPEG_LAYER_III)
        case .opus: Int32(RL_SF_FORMAT_OGG | RL_SF_FORMAT_OPUS)
        case .wav, .pcm: nil
        }
    }
}

/// Streaming FLAC, MP3 or Ogg/Opus encoder (libsndfile). Opus accepts 8, 12, 16, 24 or 48 kHz;
/// MP3 accepts the MPEG-1/2/2.5 rates (24 kHz is MPEG-2).
public final class SndFileSink: AudioSink {
    public let sampleRate: Int
    public let channels: Int
    public let format: AudioFormat
    private let output: ByteOutput
    private let vf: VirtualFile
    private let api: rl_sndfile
    private var sf: OpaquePointer?

    public convenience init(_ destination: AudioDestination, format: AudioFormat, sampleRate: Int = 24000, channels: Int = 1) throws {
        try self.init(output: try ByteOutput(destination), format: format, sampleRate: sampleRate, channels: channels)
    }

    /// Convenience: write to a file path.
    public convenience init(path: String, format: AudioFormat, sampleRate: Int = 24000, channels: Int = 1) throws {
        try self.init(.file(path), format: format, sampleRate: sampleRate, channels: channels)
    }

    init(output: ByteOutput, format: AudioFormat, sampleRate: Int, channels: Int) throws {
        guard let code = SndFile.formatCode(format) else {
            throw AudioError.invalid("SndFileSink encodes flac, mp3 or opus, not \(format.fileExtension)")
        }
        guard sampleRate > 0, channels > 0 else { throw AudioError.invalid("bad sample rate \(sampleRate) or channel count \(channels)") }
        let api = try sndfileAPI(for: "writing \(format.fileExtension)")
        self.api = api
        self.sampleRate = sampleRate
        self.channels = channels
        self.format = format
        self.output = output
        vf = VirtualFile(.output(output))
        var io = VirtualFile.callbacks
        var info = rl_sf_info(frames: 0, samplerate: Int32(sampleRate), channels: Int32(channels), format: code, sections: 0, seekable: 0)
        guard api.format_check(&info) != 0 else {
            let hint = format == .mp3 ? " (MP3 needs libsndfile 1.1 or newer, built with LAME and mpg123)" : ""
            throw AudioError.writeFailed(file: output.name, reason: "libsndfile cannot write \(format.fileExtension) at \(sampleRate) Hz, \(channels) channel(s)\(hint)")
        }
        guard let sf = api.open_virtual(&io, Int32(RL_SFM_WRITE), &info, Unmanaged.passUnretained(vf).toOpaque()) else {
            throw AudioError.writeFailed(file: output.name, reason: vf.error.map { "\($0)" } ?? sfError(api, nil))
        }
        self.sf = sf
        // soundfile turns clipping on; without it out-of-range floats wrap around in FLAC.
        _ = api.command(sf, Int32(RL_SFC_SET_CLIPPING), nil, Int32(RL_SF_TRUE))
        if format == .mp3 {
            // Constant bitrate: LAME reserves a first frame for the Xing/Info tag and fills it on
            // close only if it can seek back. A pipe or HTTP stream keeps that frame empty, and
            // decoders (mpg123 via libsndfile included) then estimate the length from the
            // first frame's bitrate, which truncates a VBR stream but is exact for CBR.
            // Level 0.63 gives 64 kbps at 16-24 kHz (MPEG-2) and 128 kbps at 32-48 kHz.
            var level = 0.63
            _ = api.command(sf, Int32(RL_SFC_SET_COMPRESSION_LEVEL), &level, Int32(MemoryLayout<Double>.size))
            var mode = Int32(RL_SF_BITRATE_MODE_CONSTANT)
            _ = api.command(sf, Int32(RL_SFC_SET_BITRATE_MODE), &mode, Int32(MemoryLayout<Int32>.size))
        }
    }

    deinit { if let sf { _ = api.close(sf) } }

    public func write(_ samples: [Float]) throws {
        guard let sf else { throw AudioError.writeFailed(file: output.name, reason: "write after close") }
        guard samples.count % channels == 0 else { throw AudioError.invalid("sample count \(samples.count) is not a multiple of \(channels) channels") }
        // Lossy encoders get finite, in-range input (NaN would poison LAME's and Opus' state).
        let clean = samples.map { $0.isNaN ? 0 : min(max($0, -1), 1) }
        let frames = rl_sf_count(clean.count / channels)
        let done = clean.withUnsafeBufferPointer { api.writef_float(sf, $0.baseAddress, frames) }
        if let e = vf.error { throw e }
        guard done == frames else { throw AudioError.writeFailed(file: output.name, reason: sfError(api, sf)) }
    }

    public func close() throws {
        guard sf != nil else { return }
        if format == .opus {
            // libsndfile ends the Ogg stream without flushing libopus' 6.5 ms lookahead, which
            // garbles the last 6.5 ms; trailing silence of that length carries the real end out.
            let pad = Int((0.0065 * Double(sampleRate)).rounded(.up))
            try write([Float](repeating: 0, count: pad * channels))
        }
        guard let sf else { return }
        self.sf = nil
        let rc = api.close(sf)
        if let e = vf.error { throw e }
        guard rc == 0 else {
            throw AudioError.writeFailed(file: output.name, reason: api.error_number(rc).map { String(cString: $0) } ?? "error \(rc)")
        }
        try output.close()
    }

    /// The encoded bytes, for a sink created over memory (see `AudioIO.encode`).
    var memoryBytes: Data { output.buffer }
}
