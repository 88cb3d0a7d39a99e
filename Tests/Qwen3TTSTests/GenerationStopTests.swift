import Foundation
import Testing
@testable import Qwen3TTS

/// The tiny custom-voice fixture with the talker's EOS logit row replaced by 2x the row of a code
/// the greedy run picks at frame 3: all other logits are unchanged, so the run must follow the
/// golden codes exactly until EOS wins (no earlier than the third token, the EOS ban).
private func checkpointWithEagerEOS(structure: String, favouring code: Int) throws -> String {
    let src = fixturesDirectory.appendingPathComponent("checkpoints/\(structure)/custom_voice").path
    let dir = NSTemporaryDirectory() + "eos-" + UUID().uuidString
    let fm = FileManager.default
    try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
    for f in try fm.contentsOfDirectory(atPath: src) where f != "model.safetensors" {
        try fm.createSymbolicLink(atPath: dir + "/" + f, withDestinationPath: src + "/" + f)
    }
    let file = try SafeTensorsFile(path: src + "/model.safetensors")
    let entries = try file.names.map { name -> SafeTensorsWriter.Entry in
        let t = try file.tensor(name)
        return SafeTensorsWriter.Entry(name: name, dtype: t.dtype, shape: t.shape) { buf in
            buf.copyMemory(from: UnsafeRawBufferPointer(start: t.data, count: t.byteCount))
            if name == "talker.codec_head.weight" {
                let h = t.shape[1]
                let p = buf.bindMemory(to: UInt16.self)
                for i in 0..<h {
                    let v = Float(bitPattern: UInt32(p[code * h + i]) << 16)
                    p[2150 * h + i] = floatToBF16(2 * v)
                }
            }
        }
    }
    try SafeTensorsWriter.write(entries, to: dir + "/model.safetensors")
    return dir
}

@Suite struct GenerationStopTests {
    func run(_ dir: String, _ g: GoldenCase, maxNewTokens: Int = 24, frameBudget: Int? = nil) throws -> GenerationResult {
        let model = try Qwen3TTSModel(directory: dir, backend: CPUBackend(threads: 2))
        var (req, opts) = try request(for: g)
        opts.maxNewTokens = maxNewTokens
        opts.frameBudget = frameBudget
        var streamed: [[Int]] = []
        let result = try model.generate(req, options: opts) { streamed.append($0); return true }
        #expect(streamed == result.frames, "every frame is delivered as it is made")
        return result
    }

    @Test(arguments: ["tiny", "tiny-eq"])
    func stopsAtEOSWithoutEmittingIt(_ structure: String) throws {
        let g = try GoldenCase(structure, "custom_voice")
        let golden = try g.intRows("talker_codes")
        let dir = try checkpointWithEagerEOS(structure: structure, favouring: golden[3][0])
        let result = try run(dir, g)
        #expect(result.stopReason == .eos)
        #expect(result.frames.count >= 2 && result.frames.count <= 3, "EOS is banned for two tokens, then wins by frame 3")
        #expect(result.frames == Array(golden.prefix(result.frames.count)), "frames before EOS are the golden ones")
    }

    @Test func maxNewTokensMeansNMinusOneFrames() throws {
        let g = try GoldenCase("tiny", "custom_voice")
        let dir = fixturesDirectory.appendingPathComponent("checkpoints/tiny/custom_voice").path
        let result = try run(dir, g, maxNewTokens: 6)
        #expect(result.stopReason == .maxNewTokens)
        #expect(result.frames == Array(try g.intRows("talker_codes").prefix(5)))
        let one = try run(dir, g, maxNewTokens: 1)
        #expect(one.frames.isEmpty && one.stopReason == .maxNewTokens)
    }

    @Test func frameBudgetStopsARunaway() throws {
        let g = try GoldenCase("tiny", "custom_voice")
        let dir = fixturesDirectory.appendingPathComponent("checkpoints/tiny/custom_voice").path
        let result = try run(dir, g, frameBudget: 4)
        #expect(result.stopReason == .frameBudget)
        #expect(result.frames == Array(try g.intRows("talker_codes").prefix(4)))
        #expect(GenerationOptions.defaultFrameBudget(textTokens: 10) == 170)
    }

    @Test func cancellingFromTheFrameCallbackStops() throws {
        let g = try GoldenCase("tiny", "custom_voice")
        let model = try ModelCache.shared.model("tiny", "custom_voice")
        let (req, opts) = try request(for: g)
        var count = 0
        let result = try model.generate(req, options: opts) { _ in count += 1; return count < 3 }
        #expect(result.stopReason == .cancelled && result.frames.count == 3)
    }

    @Test func seededSamplingIsReproducible() throws {
        let g = try GoldenCase("tiny-eq", "custom_voice")
        let model = try ModelCache.shared.model("tiny-eq", "custom_voice")
        var (req, _) = try request(for: g)
        req.textLayout = nil
        func sample(_ seed: UInt64) throws -> [[Int]] {
            try model.generate(req, options: GenerationOptions(model.generationConfig, seed: seed).with(maxNewTokens: 12)).frames
        }
        let a = try sample(1), b = try sample(1), c = try sample(2)
        #expect(a == b)
        #expect(a != c)
        #expect(a.count == 11 && a.allSatisfy { $0.count == 16 })
    }

    @Test func badRequestsAreClearErrors() throws {
        let cv = try ModelCache.shared.model("tiny", "custom_voice")
        let opts = GenerationOptions(cv.generationConfig).with(maxNewTokens: 3)
        func message(_ model: Qwen3TTSModel, _ r: SpeechRequest) -> String {
            do { _ = try model.generate(r, options: opts); return "" } catch { return "\(error)" }
        }
        #expect(message(cv, SpeechRequest(text: "Hi", speaker: "nobody")).contains("unknown speaker 'nobody'"))
        #expect(message(cv, SpeechRequest(text: "Hi")).contains("needs --speaker"))
        #expect(message(cv, SpeechRequest(text: "", speaker: "ryan")).contains("empty"))
        #expect(message(cv, SpeechRequest(text: "Hi", language: "Klingon", speaker: "ryan")).contains("unsupported language 'Klingon'"))
        #expect(message(cv, SpeechRequest(text: "Hi", language: "beijing_dialect", speaker: "ryan")).contains("unsupported language"))
        let vd = try ModelCache.shared.model("tiny", "voice_design")
        #expect(message(vd, SpeechRequest(text: "Hi", speaker: "ryan")).contains("no built-in speakers"))
        let base = try ModelCache.shared.model("tiny", "base")
        #expect(message(base, SpeechRequest(text: "Hi")).contains("clones a voice"))
        let shortVoice = VoicePrompt(xVector: [Float](repeating: 0, count: 7))
        #expect(message(base, SpeechRequest(text: "Hi", voice: shortVoice)).contains("x-vector has 7 values"))
        let h = base.config.talkerConfig.hiddenSize
        let noText = VoicePrompt(xVector: [Float](repeating: 0, count: h), referenceCodes: [[Int](repeating: 1, count: 16)])
        #expect(message(base, SpeechRequest(text: "Hi", voice: noText)).contains("reference transcript"))
        let badCode = VoicePrompt(xVector: [Float](repeating: 0, count: h), referenceCodes: [[Int](repeating: 4096, count: 16)],
                                  referenceText: "x")
        #expect(message(base, SpeechRequest(text: "Hi", voice: badCode)).contains("outside"))
    }

    @Test func instructIsDroppedOnTheSmallCustomVoiceModel() throws {
        // tiny-eq is labelled 0b6: the official wrapper ignores instruct there; tiny (1b7) honours it.
        let small = try ModelCache.shared.model("tiny-eq", "custom_voice")
        let r = SpeechRequest(text: "Hello.", speaker: "ryan", instruct: "Whisper.")
        let p = try small.prompt(for: r)
        #expect(p.notes.contains { $0.contains("ignores --instruct") })
        #expect(p.prefill.count == (try small.prompt(for: SpeechRequest(text: "Hello.", speaker: "ryan"))).prefill.count)
        let large = try ModelCache.shared.model("tiny", "custom_voice")
        #expect(try large.prompt(for: r).prefill.count > (try large.prompt(for: SpeechRequest(text: "Hello.", speaker: "ryan"))).prefill.count)
    }
}

extension GenerationOptions {
    func with(maxNewTokens n: Int) -> GenerationOptions {
        var o = self
        o.maxNewTokens = n
        return o
    }
}
