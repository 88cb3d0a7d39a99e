import Foundation
import Testing
@testable import Qwen3TTS

/// Speaker encoders of the fixture Base checkpoints, loaded once per structure and backend.
final class SpeakerEncoderCache: @unchecked Sendable {
    static let shared = SpeakerEncoderCache()
    private var encoders: [String: SpeakerEncoder] = [:]
    private let lock = NSLock()

    func encoder(_ structure: String, backend: String = "cpu") throws -> SpeakerEncoder {
        lock.lock()
        defer { lock.unlock() }
        if let e = encoders[structure + "#" + backend] { return e }
        let dir = fixturesDirectory.appendingPathComponent("checkpoints/\(structure)/base").path
        let config = try ModelConfig.load(path: dir + "/config.json")
        let e = try SpeakerEncoder(checkpoint: try SafeTensorsCheckpoint(directory: dir), config: config.speakerEncoderConfig,
                                   backend: backend == "cpu" ? CPUBackend(threads: 2) : ReferenceBackend())
        encoders[structure + "#" + backend] = e
        return e
    }
}

/// The deterministic test signal also fed to the official code: ((i·7919) mod 2001 − 1000) / 4000.
func integerSignal(_ n: Int) -> [Float] { (0..<n).map { Float((($0 * 7919) % 2001) - 1000) / 4000 } }

@Suite struct SpeakerEncoderTests {
    static let cases: [(String, String)] = ["tiny", "tiny-eq"].flatMap { s in [(s, "cpu"), (s, "reference")] }

    /// x-vector of the golden reference audio (our mels) against `extract_speaker_embedding`.
    @Test(arguments: cases)
    func matchesOfficialEmbedding(_ c: (String, String)) throws {
        let (structure, backend) = c
        let g = try GoldenCase(structure, "ref")
        let encoder = try SpeakerEncoderCache.shared.encoder(structure, backend: backend)
        let xvec = try encoder.embed(samples24k: try g.floats("ref_wav_24k"))
        let expected = try g.floats("ref_spk_embedding")
        #expect(xvec.count == expected.count)
        let error = relativeError(xvec, expected)
        print("[x-vector \(structure) \(backend)] dim \(xvec.count) relative error \(error)")
        #expect(error < 1e-4)
    }

    /// The network alone, on exactly the mels the official encoder saw in the ICL clone run.
    @Test(arguments: ["tiny", "tiny-eq"])
    func matchesOfficialEmbeddingFromMels(_ structure: String) throws {
        let g = try GoldenCase(structure, "clone_icl")
        let encoder = try SpeakerEncoderCache.shared.encoder(structure)
        let xvec = try encoder.embed(mels: try g.rows("spk_encoder_in_mels"))
        #expect(relativeError(xvec, try g.floats("spk_encoder_out_embedding")) < 1e-4)
        #expect(relativeError(xvec, try g.floats("icl_ref_spk_embedding")) < 1e-4)
    }

    /// The shortest input the official code accepts (1281 samples: 5 frames, the dilation-4 reflect pad
    /// needs more than 4), against its output; shorter inputs are typed errors where torch raises.
    @Test func shortestInputs() throws {
        let encoder = try SpeakerEncoderCache.shared.encoder("tiny-eq")
        #expect(encoder.minimumFrames == 5)
        let expected: [Float] = [
            -0.528836, -1.867787, -0.169953, 1.976263, 0.548492, -1.188264, -1.489511, -0.045523, -0.76785, -1.565976,
            -0.534506, 0.834145, 1.774107, 1.400088, 0.172294, 1.361765, -1.74122, 0.711495, 0.68138, 1.569536,
            -0.487348, 1.619699, -1.995362, -0.188113, -0.710162, -1.329525, -0.432034, 1.37618, 2.127886, 0.107246,
            1.889455, -1.382523,
        ]
        #expect(relativeError(try encoder.embed(samples24k: integerSignal(1281)), expected) < 1e-4)
        #expect(try encoder.embed(samples24k: integerSignal(1280)).count == 32)
        #expect(throws: SpeakerEncoderError.self) { try encoder.embed(samples24k: integerSignal(1279)) }
        #expect(throws: MelSpectrogramError.self) { try encoder.embed(samples24k: integerSignal(100)) }
        #expect(throws: MelSpectrogramError.self) { try encoder.embed(samples24k: []) }
        #expect(throws: SpeakerEncoderError.self) { try encoder.embed(mels: [[Float]](repeating: [0], count: 10)) }
    }
}
