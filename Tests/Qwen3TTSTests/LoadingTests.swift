import Foundation
import Testing
@testable import Qwen3TTS

/// App assembly in the library: what the CLI and a server share.
@Suite struct LoadingTests {
    let directory = fixturesDirectory.appendingPathComponent("checkpoints/tiny/custom_voice").path

    @Test func loadOptionsLoadAFolderOnTheChosenBackend() throws {
        let tts = try Synthesizer(LoadOptions(model: directory, threads: 1, weights: .q8))
        let backend = try #require(tts.model.backend as? CPUBackend)
        #expect(backend.pool.threadCount == 1 && backend.weightFormat == .q8)
        #expect(tts.model.kind == .customVoice)
    }

    @Test func missingFolderIsAClearError() {
        #expect(throws: (any Error).self) { try Qwen3TTSModel(LoadOptions(model: "/nonexistent/qwen3-tts-model")) }
    }

    @Test func overridesWinOverTheCheckpointDefaults() throws {
        let model = try ModelCache.shared.model("tiny", "custom_voice")
        let defaults = try model.generationOptions()
        #expect(defaults.talker == GenerationOptions(model.generationConfig).talker)
        var o = GenerationOverrides()
        o.greedy = true
        o.temperature = 0.5
        o.subtalkerTopK = 7
        o.seed = 42
        o.maxNewTokens = 9
        o.frameBudget = 0
        let options = try model.generationOptions(o)
        #expect(!options.talker.doSample && !options.subtalker.doSample)
        #expect(options.talker.temperature == 0.5 && options.subtalker.topK == 7)
        #expect(options.talker.topK == defaults.talker.topK, "unset values keep the checkpoint's")
        #expect(options.seed == 42 && options.maxNewTokens == 9 && options.frameBudget == 0)
    }

    @Test(arguments: ["temperature", "top_p", "top_k", "repetition_penalty", "max_new_tokens"])
    func outOfRangeOverridesAreRejectedByName(_ field: String) throws {
        var o = GenerationOverrides()
        switch field {
        case "temperature": o.temperature = 0
        case "top_p": o.topP = 1.5
        case "top_k": o.topK = -1
        case "repetition_penalty": o.repetitionPenalty = -1
        default: o.maxNewTokens = 0
        }
        let error = try #require(throws: GenerationError.self) { try o.validate() }
        #expect(error.description.contains(field))
    }
}
