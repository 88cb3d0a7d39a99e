// WAV (RIFF) in pure Swift, so WAV works without any system library.
// Reads PCM 8/16/24/32-bit, IEEE float 32/64-bit and WAVE_FORMAT_EXTENSIBLE of those; walks every
// chunk (fact, PEAK, LIST, ... in any order, odd sizes padded). Writes 16-bit PCM or 32-bit float.
// Integer-to-float scaling matches libsndfile (what soundfile/librosa use in the reference), so a
// file decodes to the same float32 values here and there.

import Foundation

/// Sample conversions shared by every writer.
public enum PCM {
    /// Float to int16 exactly as soundfile writes PCM_16 (libsndfile with clipping on, which
    /// soundfile always enables): scale by 2^31, round to nearest int32, keep the top 16 bits.
    /// In range this is `floor(x * 32768)`, not `round(x * 32767)`; |x| >= 1 clips to
    /// 32767 / -32768. NaN becomes 0 (libsndfile would give -32768).
    @inlinable
    public static func int16(_ x: Float) -> Int16 {
        if x.isNaN { return 0 }
        if x >= 1 { return .max }
        if x <= -1 { return .min }
        let v = Int32((x * 2_147_483_648).rounded(.toNearestOrEven))
        return Int16(truncatingIfNeeded: v >> 16)
    }

    /// Little-endian s16 bytes of `samples`.
    public static func s16le(_ samples: [Float]) -> Data {
        var d = Data(count: samples.count * 2)
        d.withUnsafeMutableBytes { raw in
            for (i, s) in samples.enumerated() {
                raw.storeBytes(of: UInt16(bitPattern: int16(s)).littleEndian, toByteOffset: 2 * i, as: UInt16.self)
            }
        }
        return d
    }

    /// Little-endian f32 bytes of `samples`.
    static func f32le(_ samples: [Float]) -> Data {
        var d = Data(count: samples.count * 4)
        d.withUnsafeMutableBytes { raw in
            for (i, s) in samples.enumerated() {
                raw.storeBytes(of: s.bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self)
            }
        }
        return d
    }
}

public enum WAV {
    /// Size field value that marks an unknown length (written to pipes; players accept it).
    public static let streamingSize: UInt32 = 0xFFFF_FFFF

    /// A complete WAV file in memory. `samples` are interleaved when `channels > 1`.
    public static func encode(_ samples: [Float], sampleRate: Int, channels: Int = 1,
                              format: WAVSampleFormat = .pcm16) -> Data {
        let body = format == .pcm16 ? PCM.s16le(samples) : PCM.f32le(samples)
        var d = header(sampleRate: sampleRate, channels: channels, format: format, dataBytes: UInt32(clamping: body.count))
        d.append(body)
        return d
    }

    /// Header up to and including the `data` chunk header. `dataBytes == nil` writes
    /// `streamingSize` in the RIFF, fact and data size fields (length not known yet).
    /// 16-bit PCM: the canonical 44-byte header. Float: an 18-byte fmt and a fact chunk, as the
    /// WAV spec asks of non-PCM data (and as libsndfile writes).
    public static func header(sampleRate: Int, channels: Int, format: WAVSampleFormat, dataBytes: UInt32?) -> Data {
        let bytesPerSample = format == .pcm16 ? 2 : 4
        let fmtSize = format == .pcm16 ? 16 : 18
        let factSize = format == .pcm16 ? 0 : 12
        let headerBytes = 12 + 8 + fmtSize + factSize + 8
        var d = Data(capacity: headerBytes)
        func tag(_ s: String) { d.append(contentsOf: Array(s.utf8)) }
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { d.append(contentsOf: $0) } }
        func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { d.append(contentsOf: $0) } }
        let riffSize = dataBytes.map { UInt32(clamping: Int($0) + headerBytes - 8) } ?? streamingSize
        tag("RIFF"); u32(riffSize); tag("WAVE")
        tag("fmt "); u32(UInt32(fmtSize))
        u16(format == .pcm16 ? 1 : 3)
        u16(UInt16(channels)); u32(UInt32(sampleRate))
        u32(UInt32(sampleRate * channels * bytesPerSample))
        u16(UInt16(channels * bytesPerSample)); u16(UInt16(bytesPerSample * 8))
        if format == .float32 {
            u16(0)  // cbSize
            tag("fact"); u32(4)
            u32(dataBytes.map { $0 / UInt32(channels * bytesPerSample) } ?? streamingSize)
        }
        tag("data"); u32(dataBytes ?? streamingSize)
        return d
    }

    /// Byte offsets of the size fields in a `header(...)`, for patching after streaming.
    static func sizeFieldOffsets(format: WAVSampleFormat) -> (riff: Int, fact: Int?, data: Int) {
        format == .pcm16 ? (4, nil, 40) : (4, 46, 54)
    }

    /// Decoding failures that mean "valid WAV, but an encoding this reader leaves to libsndfile".
    struct UnsupportedEncoding: Error { let reason: String }

    /// Decodes a RIFF/WAVE file. Throws `AudioError.unreadable` for a malformed file and
    /// `UnsupportedEncoding` for well-formed files in encodings this reader does not handle
    /// (A-law, mu-law, ADPCM, ...), which the caller can hand to libsndfile.
    ///
    /// A `data` chunk that claims more bytes than the file holds (a streamed header, or a
    /// truncated download) yields the whole frames present, as libsndfile does.
    /// `maxSeconds` rejects a too-long file before any sample is converted.
    static func decode(_ file: Data, name: String, maxSeconds: Double? = nil) throws -> AudioBuffer {
        try file.withUnsafeBytes { (raw: UnsafeRawBufferPointer) throws -> AudioBuffer in
            func bad(_ why: String) -> AudioError { .unreadable(file: name, reason: why) }
            func u16(_ o: Int) -> Int { Int(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: UInt16.self))) }
            func u32(_ o: Int) -> Int { Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: UInt32.self))) }
            func id(_ o: Int) -> String { String(decoding: raw[o..<o + 4], as: UTF8.self) }

            guard raw.count >= 12, id(0) == "RIFF", id(8) == "WAVE" else { throw bad("not a RIFF/WAVE file") }

            var fmt: Range<Int>?
            var dataRange: Range<Int>?
            var offset = 12
            // Walk chunks: id(4) size(4) payload, padded to an even length.
            while offset + 8 <= raw.count {
                let chunk = id(offset), size = u32(offset + 4)
                let start = offset + 8
                let end = min(start + size, raw.count)
                if chunk == "fmt " {
                    guard end - start >= 16 else { throw bad("fmt chunk too short (\(end - start) bytes)") }
                    fmt = start..<end
                } else if chunk == "data" {
                    if dataRange == nil { dataRange = start..<end }
                }
                offset = start + size + (size & 1)
            }
            guard let fmt else { throw bad("no fmt chunk") }
            guard let dataRange else { throw bad("no data chunk") }

            var tag = u16(fmt.lowerBound)
            let channels = u16(fmt.lowerBound + 2)
            let sampleRate = u32(fmt.lowerBound + 4)
            let blockAlign = u16(fmt.lowerBound + 12)
            let bits = u16(fmt.lowerBound + 14)
            if tag == 0xFFFE {
                // WAVE_FORMAT_EXTENSIBLE: the real tag is the first two bytes of the SubFormat GUID,
                // whose remaining 14 bytes are the fixed KSDATAFORMAT suffix.
                guard fmt.count >= 40 else { throw bad("WAVE_FORMAT_EXTENSIBLE fmt chunk too short") }
                let guid = fmt.lowerBound + 24
                let suffix: [UInt8] = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71]
                guard Array(raw[guid + 2..<guid + 16]) == suffix else {
                    throw UnsupportedEncoding(reason: "non-standard WAVE_FORMAT_EXTENSIBLE sub-format")
                }
                tag = u16(guid)
            }
            guard channels > 0 else { throw bad("fmt chunk says 0 channels") }
            guard sampleRate > 0 else { throw bad("fmt chunk says sample rate 0") }
            guard tag == 1 || tag == 3 else {
                throw UnsupportedEncoding(reason: String(format: "WAV format tag 0x%04X", tag))
            }
            // The container width (block align / channels) decides the layout; `bits` may be
            // smaller (e.g. 20 valid bits in 24), which is fine since samples are MSB-aligned.
            guard blockAlign > 0, blockAlign % channels == 0 else {
                throw bad("block align \(blockAlign) does not fit \(channels) channels")
            }
            let width = blockAlign / channels
            guard tag == 1 ? [1, 2, 3, 4].contains(width) : [4, 8].contains(width) else {
                throw UnsupportedEncoding(reason: "\(tag == 1 ? "integer" : "float") samples of \(width) bytes (\(bits) bits)")
            }

            let frames = dataRange.count / blockAlign
            let seconds = Double(frames) / Double(sampleRate)
            if let maxSeconds, seconds > maxSeconds {
                throw AudioError.tooLong(file: name, seconds: seconds, maximum: maxSeconds)
            }
            let n = frames * channels
            let base = dataRange.lowerBound
            let samples = [Float](unsafeUninitializedCapacity: n) { out, count in
                switch (tag, width) {
                case (1, 1):  // 8-bit WAV is unsigned, offset 128
                    for i in 0..<n { out[i] = Float(Int(raw[base + i]) - 128) * (1 / 128) }
                case (1, 2):
                    for i in 0..<n {
                        out[i] = Float(Int16(littleEndian: raw.loadUnaligned(fromByteOffset: base + 2 * i, as: Int16.self))) * (1 / 32768)
                    }
                case (1, 3):
                    for i in 0..<n {
                        let o = base + 3 * i
                        let v = Int32(bitPattern: UInt32(raw[o]) << 8 | UInt32(raw[o + 1]) << 16 | UInt32(raw[o + 2]) << 24)
                        out[i] = Float(v >> 8) * (1 / 8_388_608)
                    }
                case (1, 4):
                    for i in 0..<n {
                        out[i] = Float(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: base + 4 * i, as: Int32.self))) * (1 / 2_147_483_648)
                    }
                case (3, 4):
                    for i in 0..<n {
                        out[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: base + 4 * i, as: UInt32.self)))
                    }
                default:  // (3, 8)
                    for i in 0..<n {
                        out[i] = Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: base + 8 * i, as: UInt64.self))))
                    }
                }
                count = n
            }
            return AudioBuffer(samples: samples, sampleRate: sampleRate, channels: channels)
        }
    }
}
