// WAV (RIFF) writing: 16-bit PCM or 32-bit IEEE float, mono or multi-channel.

import Foundation

/// Sample encodings the WAV writer supports.
public enum WAVSampleFormat: Sendable {
    case pcm16
    case float32
}

public enum WAV {
    /// Serializes mono float samples (nominal range [-1, 1]) to a complete WAV file in memory.
    public static func encode(_ samples: [Float], sampleRate: Int, format: WAVSampleFormat = .pcm16) -> Data {
        let bytesPerSample = format == .pcm16 ? 2 : 4
        let dataBytes = samples.count * bytesPerSample
        var d = Data(capacity: 44 + dataBytes)
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { d.append(contentsOf: $0) } }
        func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { d.append(contentsOf: $0) } }
        d.append(contentsOf: Array("RIFF".utf8)); u32(UInt32(36 + dataBytes))
        d.append(contentsOf: Array("WAVE".utf8))
        d.append(contentsOf: Array("fmt ".utf8)); u32(16)
        u16(format == .pcm16 ? 1 : 3)  // 1 = PCM, 3 = IEEE float
        u16(1); u32(UInt32(sampleRate)); u32(UInt32(sampleRate * bytesPerSample))
        u16(UInt16(bytesPerSample)); u16(UInt16(bytesPerSample * 8))
        d.append(contentsOf: Array("data".utf8)); u32(UInt32(dataBytes))
        switch format {
        case .pcm16:
            for s in samples { u16(UInt16(bitPattern: pcm16(s))) }
        case .float32:
            for s in samples { u32(s.bitPattern) }
        }
        return d
    }

    /// Float to 16-bit PCM with clipping (x * 32767, rounded), as soundfile does for PCM_16.
    @inlinable
    public static func pcm16(_ x: Float) -> Int16 {
        let c = min(max(x, -1), 1)
        return Int16((c * 32767).rounded())
    }
}
