import Foundation
@testable import AudioIO

/// Tests/Fixtures/audio, found relative to this file so tests need no bundle resources.
let audioFixtures = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures").appendingPathComponent("audio")

func fixture(_ name: String) -> String { audioFixtures.appendingPathComponent(name).path }

/// Little-endian float32 file written by generate.py.
func loadF32(_ name: String) throws -> [Float] {
    let d = try Data(contentsOf: URL(fileURLWithPath: fixture(name)))
    return d.withUnsafeBytes { raw in
        (0..<d.count / 4).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
    }
}

/// A fresh temporary directory, removed by the caller with `cleanup`.
func temporaryDirectory() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("audioio-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}

func maxAbsDiff(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "length \(a.count) vs \(b.count)")
    return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

/// Signal-to-noise ratio of `test` against `ref` in dB, over the common length.
func snr(_ ref: [Float], _ test: [Float]) -> Double {
    let n = min(ref.count, test.count)
    var s = 0.0, e = 0.0
    for i in 0..<n { s += Double(ref[i] * ref[i]); e += Double((ref[i] - test[i]) * (ref[i] - test[i])) }
    return 10 * log10(s / max(e, 1e-30))
}

/// Deterministic test signal: two sines plus a slow chirp, amplitude 0.6, interleaved channels
/// (channel c is phase-shifted so channels differ).
func testSignal(frames: Int, sampleRate: Int = 24000, channels: Int = 1) -> [Float] {
    var out = [Float](repeating: 0, count: frames * channels)
    for f in 0..<frames {
        let t = Double(f) / Double(sampleRate)
        for c in 0..<channels {
            let v = 0.3 * sin(2 * .pi * 220 * t + Double(c)) + 0.2 * sin(2 * .pi * 1250 * t)
                + 0.1 * sin(2 * .pi * (100 + 800 * t) * t)
            out[f * channels + c] = Float(v)
        }
    }
    return out
}

/// Writes the header and chunks of a WAV file by hand, so tests control every field
/// independently of the writer under test.
struct WAVBuilder {
    var bytes = Data()

    mutating func tag(_ s: String) { bytes.append(contentsOf: Array(s.utf8)) }
    mutating func u16(_ v: Int) { withUnsafeBytes(of: UInt16(truncatingIfNeeded: v).littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u32(_ v: Int) { withUnsafeBytes(of: UInt32(truncatingIfNeeded: v).littleEndian) { bytes.append(contentsOf: $0) } }

    /// A chunk, padded to even length as RIFF requires.
    mutating func chunk(_ id: String, _ payload: Data) {
        tag(id); u32(payload.count); bytes.append(payload)
        if payload.count % 2 == 1 { bytes.append(0) }
    }

    /// `fmt ` payload; `extensible` wraps `tag` in WAVE_FORMAT_EXTENSIBLE.
    static func fmt(tag: Int, channels: Int, rate: Int, bytesPerSample: Int, extensible: Bool = false) -> Data {
        var b = WAVBuilder()
        b.u16(extensible ? 0xFFFE : tag); b.u16(channels); b.u32(rate)
        b.u32(rate * channels * bytesPerSample); b.u16(channels * bytesPerSample); b.u16(bytesPerSample * 8)
        if extensible {
            b.u16(22); b.u16(bytesPerSample * 8); b.u32(channels == 2 ? 3 : 0)
            b.u16(tag)
            b.bytes.append(contentsOf: [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71])
        } else if tag == 3 {
            b.u16(0)
        }
        return b.bytes
    }

    /// Wraps chunks (already serialised) in a RIFF/WAVE header with the correct size.
    static func riff(_ chunks: Data, riffSize: Int? = nil) -> Data {
        var b = WAVBuilder()
        b.tag("RIFF"); b.u32(riffSize ?? chunks.count + 4); b.tag("WAVE")
        b.bytes.append(chunks)
        return b.bytes
    }
}

/// Encodes integer test values in a given container width (little-endian; 8-bit unsigned).
func pcmBytes(_ values: [Int64], width: Int) -> Data {
    var d = Data()
    for v in values {
        let u = width == 1 ? UInt64(v + 128) : UInt64(bitPattern: v)
        for k in 0..<width { d.append(UInt8(truncatingIfNeeded: u >> (8 * UInt64(k)))) }
    }
    return d
}

/// Collects everything written to a pipe on a background thread, so writers never block on a
/// full pipe buffer.
final class PipeCollector: @unchecked Sendable {
    let pipe = Pipe()
    private let lock = NSLock()
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init() {
        let reader = pipe.fileHandleForReading
        Thread.detachNewThread { [self] in
            let all = reader.readDataToEndOfFile()
            lock.lock(); data = all; lock.unlock()
            done.signal()
        }
    }

    var writer: FileHandle { pipe.fileHandleForWriting }

    /// Closes the write end and returns all bytes read.
    func finish() throws -> Data {
        try writer.close()
        done.wait()
        lock.lock(); defer { lock.unlock() }
        return data
    }
}
