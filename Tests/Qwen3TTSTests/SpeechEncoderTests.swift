import Foundation
import Testing
@testable import Qwen3TTS

/// Codec encoders of the fixture Base checkpoints, loaded once per structure and backend.
final class SpeechEncoderCache: @unchecked Sendable {
    static let shared = SpeechEncoderCache()
    private var encoders: [String: SpeechEncoder] = [:]
    private let lock = NSLock()

    func encoder(_ structure: String, backend: String = "cpu") throws -> SpeechEncoder {
        lock.lock()
        defer { lock.unlock() }
        if let e = encoders[structure + "#" + backend] { return e }
        let dir = fixturesDirectory.appendingPathComponent("checkpoints/\(structure)/base/speech_tokenizer").path
        let e = try SpeechEncoder(directory: dir, backend: backend == "cpu" ? CPUBackend(threads: 2) : ReferenceBackend())
        encoders[structure + "#" + backend] = e
        return e
    }
}

@Suite struct SpeechEncoderTests {
    static let cases: [(String, String)] = ["tiny", "tiny-eq"].flatMap { s in [(s, "cpu"), (s, "reference")] }

    /// Codes of the golden reference audio against the official encode (round-trip case and the ICL prompt).
    @Test(arguments: cases)
    func matchesOfficialCodes(_ c: (String, String)) throws {
        let (structure, backend) = c
        let roundtrip = try GoldenCase(structure, "speech_tokenizer_roundtrip")
        let wav = try roundtrip.floats("input_wav_24k")
        let codes = try SpeechEncoderCache.shared.encoder(structure, backend: backend).encode(samples24k: wav)
        let expected = try roundtrip.intRows("codes")
        #expect(codes.count == (wav.count + 1919) / 1920)
        #expect(codes == expected)
        #expect(codes == (try GoldenCase(structure, "clone_icl").intRows("icl_ref_code")))
        let mismatched = zip(codes, expected).map { zip($0, $1).filter { $0 != $1 }.count }.reduce(0, +)
        print("[codes \(structure) \(backend)] frames \(codes.count), mismatched codes \(mismatched)")
    }

    /// Inputs shorter than a frame and odd lengths, against the official encode of `integerSignal(n)`
    /// (the two fixture structures share one codec).
    @Test(arguments: ["tiny", "tiny-eq"])
    func shortAndOddInputs(_ structure: String) throws {
        let encoder = try SpeechEncoderCache.shared.encoder(structure)
        let expected: [Int: [[Int]]] = [
            1: [[1094, 1901, 1129, 643, 1413, 1450, 36, 1438, 1342, 519, 872, 1691, 1320, 1795, 1473, 1116]],
            100: [[1764, 1358, 959, 1308, 1290, 391, 357, 1715, 995, 707, 615, 1779, 1344, 81, 946, 1116]],
            1921: [[102, 1289, 5, 1039, 1485, 391, 1352, 282, 1575, 1793, 940, 1268, 199, 1676, 1310, 430],
                   [459, 1289, 1206, 643, 1290, 391, 357, 24, 995, 579, 872, 1691, 1601, 522, 1473, 1116]],
            4001: [[102, 1289, 5, 1039, 1485, 391, 1352, 282, 1575, 1793, 940, 1268, 199, 1676, 1310, 430],
                   [1154, 1289, 173, 643, 1033, 391, 2014, 540, 1575, 1793, 872, 1691, 199, 149, 946, 359],
                   [946, 1358, 189, 643, 847, 1388, 658, 540, 995, 579, 872, 121, 1234, 522, 753, 1848]],
        ]
        for (n, codes) in expected.sorted(by: { $0.key < $1.key }) {
            #expect(try encoder.encode(samples24k: integerSignal(n)) == codes, "\(n) samples")
        }
        #expect(try encoder.encode(samples24k: integerSignal(1920)).count == 1)
        #expect(throws: SpeechEncoderError.self) { try encoder.encode(samples24k: []) }
    }

    /// 12 s (300 frames at 25 Hz, beyond the configured 250-frame sliding window) against the official
    /// encode, summarised by a checksum Σ code·(flat index + 1) mod 1e9+7. transformers 4.57.3 attends over
    /// the full causal context here; with the window applied, 3 of the 151 frames would differ (checksum 862986805).
    @Test func longInputUsesFullCausalAttention() throws {
        let codes = try SpeechEncoderCache.shared.encoder("tiny").encode(samples24k: integerSignal(24000 * 12 + 7))
        #expect(codes.count == 151)
        var checksum = 0
        for (i, c) in codes.joined().enumerated() { checksum = (checksum + c * (i + 1)) % 1_000_000_007 }
        #expect(checksum == 867_918_514)
        #expect(codes.last == [1343, 1901, 542, 1578, 1033, 391, 2014, 540, 1575, 1793, 872, 1691, 199, 149, 946, 359])
    }

    /// A speech_tokenizer folder without weights is a clear error.
    @Test func missingDirectory() {
        #expect(throws: (any Error).self) { try SpeechEncoder(directory: "/nonexistent/speech_tokenizer", backend: ReferenceBackend()) }
    }
}

/// Timing of the cloning front-end on a real-dimension Base checkpoint; runs only when
/// QWEN3TTS_BENCH_CHECKPOINT names one (e.g. made by `qwen3-tts dev make-checkpoint --shape 0.6b --variant base`).
/// Best in a release build: `swift test -c release -Xswiftc -enable-testing --filter CloningFrontEndBenchmark`.
@Suite struct CloningFrontEndBenchmark {
    static let checkpoint = ProcessInfo.processInfo.environment["QWEN3TTS_BENCH_CHECKPOINT"]

    /// 10 s of integer-derived audio (bit-identical in numpy) with a stepped envelope.
    static func signal(_ n: Int) -> [Float] {
        (0..<n).map { i -> Float in
            let wave = Float((i * 7919) % 2001 - 1000) / 4000
            let envelope = Float((i / 2400) % 5 + 1) / 5
            return wave * envelope
        }
    }

    @Test(.enabled(if: checkpoint != nil)) func tenSecondReference() throws {
        let dir = CloningFrontEndBenchmark.checkpoint!
        let backend = CPUBackend(threads: 2)
        let samples = CloningFrontEndBenchmark.signal(240_000)
        func time<T>(_ body: () throws -> T) rethrows -> (T, Double) {
            let start = DispatchTime.now().uptimeNanoseconds
            let value = try body()
            return (value, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        let config = try ModelConfig.load(path: dir + "/config.json")
        let (speaker, loadSpeaker) = try time {
            try SpeakerEncoder(checkpoint: try SafeTensorsCheckpoint(directory: dir), config: config.speakerEncoderConfig, backend: backend)
        }
        let (codec, loadCodec) = try time { try SpeechEncoder(directory: dir + "/speech_tokenizer", backend: backend) }
        let (mels, melTime) = try time { try MelSpectrogram.speakerEncoder.compute(samples) }
        var xvec: [Float] = [], codes: [[Int]] = []
        var xvecTimes: [Double] = [], codecTimes: [Double] = []
        for _ in 0..<3 {
            let (x, tx) = try time { try speaker.embed(samples24k: samples) }
            let (c, tc) = try time { try codec.encode(samples24k: samples) }
            xvec = x; codes = c
            xvecTimes.append(tx); codecTimes.append(tc)
        }
        var checksum = 0
        for (i, c) in codes.joined().enumerated() { checksum = (checksum + c * (i + 1)) % 1_000_000_007 }
        print("[bench] load: speaker encoder \(loadSpeaker) s, codec encoder \(loadCodec) s")
        print("[bench] 10 s audio: mel \(melTime) s (\(mels.count) frames); x-vector (mel included) \(xvecTimes) s; codec encode \(codecTimes) s")
        print("[bench] x-vector dim \(xvec.count) first \(Array(xvec.prefix(4))); codes \(codes.count)x\(codes.first?.count ?? 0) checksum \(checksum) first \(codes.first ?? [])")
        #expect(xvec.allSatisfy(\.isFinite) && codes.count == 125)
    }
}
