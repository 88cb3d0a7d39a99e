import Foundation
import Testing
@testable import Qwen3TTS

/// One golden case dumped by scripts/fixtures/make_goldens.py from the official implementation.
struct GoldenCase {
    let structure: String
    let name: String
    let meta: [String: Any]
    let tensors: SafeTensorsFile

    init(_ structure: String, _ name: String) throws {
        self.structure = structure
        self.name = name
        let dir = fixturesDirectory.appendingPathComponent("golden/\(structure)/\(name)")
        meta = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("meta.json"))) as! [String: Any]
        tensors = try SafeTensorsFile(path: dir.appendingPathComponent("tensors.safetensors").path)
    }

    func floats(_ name: String) throws -> [Float] { try tensors.tensor(name).floats() }
    func shape(_ name: String) -> [Int] { tensors.tensors[name]?.shape ?? [] }
    func rows(_ name: String) throws -> [[Float]] {
        let s = shape(name), v = try floats(name)
        return (0..<s[0]).map { Array(v[($0 * s[1])..<(($0 + 1) * s[1])]) }
    }
    func intRows(_ name: String) throws -> [[Int]] {
        let s = shape(name), v = try tensors.tensor(name).ints()
        return (0..<s[0]).map { Array(v[($0 * s[1])..<(($0 + 1) * s[1])]) }
    }
    var gen: [String: Any] { meta["gen_kwargs"] as! [String: Any] }
}

/// max |a - b| / max |b|: the relative error measure used against the reference dumps.
func relativeError(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "length \(a.count) vs \(b.count)")
    var diff: Float = 0, scale: Float = 1e-12
    for i in a.indices {
        diff = max(diff, abs(a[i] - b[i]))
        scale = max(scale, abs(b[i]))
    }
    return diff / scale
}

let checkpointVariant: [String: String] = [
    "custom_voice": "custom_voice", "custom_voice_dialect_auto": "custom_voice", "custom_voice_rp105": "custom_voice",
    "custom_voice_streaming_text": "custom_voice", "custom_voice_instruct": "custom_voice", "voice_design": "voice_design",
    "clone_xvec": "base", "clone_icl": "base", "clone_xvec_nonstreaming": "base", "clone_icl_nonstreaming": "base",
]

/// Models are loaded once per checkpoint folder and shared by the tests.
final class ModelCache: @unchecked Sendable {
    static let shared = ModelCache()
    private var models: [String: Qwen3TTSModel] = [:]
    private let lock = NSLock()
    /// `backend` is "reference" (naive loops), "cpu" (the optimized kernels, bf16 weights as
    /// stored), "cpu-f32" (the kernels on weights widened to f32 at load) or "cpu-q8"/"cpu-q4"
    /// (block-quantized at load).
    func model(_ structure: String, _ variant: String, backend: String = "cpu") throws -> Qwen3TTSModel {
        let dir = fixturesDirectory.appendingPathComponent("checkpoints/\(structure)/\(variant)").path
        lock.lock()
        defer { lock.unlock() }
        if let m = models[dir + "#" + backend] { return m }
        let b: Backend = switch backend {
        case "cpu": CPUBackend(threads: 2)
        case "cpu-f32": CPUBackend(threads: 2, weights: .f32)
        case "cpu-q8": CPUBackend(threads: 2, weights: .q8)
        case "cpu-q4": CPUBackend(threads: 2, weights: .q4)
        default: ReferenceBackend()
        }
        let m = try Qwen3TTSModel(directory: dir, backend: b)
        models[dir + "#" + backend] = m
        return m
    }
}

/// The request and options a golden case was generated with.
func request(for g: GoldenCase) throws -> (SpeechRequest, GenerationOptions) {
    let m = g.meta
    var voice: VoicePrompt?
    if g.name.hasPrefix("clone") {
        let xvec = try g.floats("spk_encoder_out_embedding")
        if m["x_vector_only_mode"] as? Bool == true {
            voice = VoicePrompt(xVector: xvec)
        } else {
            voice = VoicePrompt(xVector: try g.floats("icl_ref_spk_embedding"), referenceCodes: try g.intRows("icl_ref_code"),
                                referenceText: m["ref_text"] as? String)
        }
    }
    let r = SpeechRequest(text: m["text"] as! String, language: m["language"] as? String, speaker: m["speaker"] as? String,
                          instruct: m["instruct"] as? String, voice: voice,
                          textLayout: (m["non_streaming_mode"] as! Bool) ? .nonStreaming : .streaming)
    let gen = g.gen
    let o = GenerationOptions(talker: .greedy, subtalker: .greedy,
                              repetitionPenalty: (gen["repetition_penalty"] as! NSNumber).doubleValue,
                              maxNewTokens: gen["max_new_tokens"] as! Int)
    return (r, o)
}

@Suite struct GenerationGoldenTests {
    static let cases: [(String, String)] = ["tiny", "tiny-eq"].flatMap { s in checkpointVariant.keys.sorted().map { (s, $0) } }

    /// Prompt embeddings, per-layer hidden states, logits and greedy codes against the official run,
    /// with the optimized CPU kernels and with the naive reference backend.
    @Test(arguments: cases, ["cpu", "cpu-f32", "reference"])
    func matchesOfficialGreedyRun(_ c: (String, String), _ backend: String) throws {
        let (structure, name) = c
        let g = try GoldenCase(structure, name)
        let model = try ModelCache.shared.model(structure, checkpointVariant[name]!, backend: backend)
        let (req, opts) = try request(for: g)
        let tol: Float = 1e-4

        // Prompt.
        let prompt = try model.prompt(for: req)
        let expectedPrefill = try g.rows("talker_prefill_inputs_embeds")
        #expect(prompt.prefill.count == expectedPrefill.count, "prefill length")
        for (r, (a, b)) in zip(prompt.prefill, expectedPrefill).enumerated() {
            #expect(relativeError(a, b) < tol, "prefill row \(r)")
        }
        #expect(relativeError(prompt.padEmbedding, try g.floats("tts_pad_embed")) < tol)
        // The official code pads an empty trailing queue with TPAD; compare what it holds.
        let trailing = try g.rows("talker_trailing_text_hidden")
        let ours = prompt.trailingText.isEmpty ? [prompt.padEmbedding] : prompt.trailingText
        #expect(ours.count == trailing.count, "trailing text length")
        for (a, b) in zip(ours, trailing) { #expect(relativeError(a, b) < tol, "trailing text") }

        // Generation with traces.
        var layers: [Int: [Float]] = [:]
        var stepLogits: [Int: [Float]] = [:]
        var cpLogits: [[Float]] = []
        let (_, result) = try model.generateTraced(req, options: opts, prefillLayer: { layers[$0] = $1 }, step: { frame, talker, sub in
            stepLogits[frame] = talker
            if frame == 0 { cpLogits = sub }
        })
        let layerCount = model.config.talkerConfig.numHiddenLayers
        for i in 0...layerCount {
            let name = String(format: "talker_prefill_hidden_L%02d_last", i)
            #expect(relativeError(try #require(layers[i], "no \(name)"), try g.floats(name)) < tol, "\(name)")
        }
        #expect(relativeError(try #require(stepLogits[0], "no prefill logits"), try g.floats("talker_prefill_logits_last")) < tol, "prefill logits")
        let step1 = try #require(stepLogits[1], "no step 1 logits")
        #expect(relativeError(step1, try g.floats("talker_step1_logits")) < tol, "step 1 logits")
        let expectedCP = try g.rows("cp_frame0_logits")
        #expect(cpLogits.count == expectedCP.count)
        for (k, (a, b)) in zip(cpLogits, expectedCP).enumerated() { #expect(relativeError(a, b) < tol, "code predictor logits \(k)") }

        // Codes, frame by frame.
        let expected = try g.intRows("talker_codes")
        #expect(result.frames.count == expected.count, "frame count")
        for (t, (a, b)) in zip(result.frames, expected).enumerated() where a != b {
            Issue.record("frame \(t): \(a) != \(b)")
            break
        }
        #expect(result.stopReason == (expected.count == (g.gen["max_new_tokens"] as! Int) - 1 ? .maxNewTokens : .eos))
    }
}
