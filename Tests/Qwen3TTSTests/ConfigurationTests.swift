import Foundation
import Testing
@testable import Qwen3TTS

private func tempDir() -> String {
    let d = NSTemporaryDirectory() + "cfg-tests-" + UUID().uuidString
    try! FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    return d
}

/// Loads a JSON object from a fixture, lets `edit` change it, writes it to a temp file.
private func edited(_ fixture: String, _ edit: (inout [String: Any]) -> Void) throws -> String {
    let data = try Data(contentsOf: URL(fileURLWithPath: fixture))
    var obj = try JSONSerialization.jsonObject(with: data) as! [String: Any]
    edit(&obj)
    let path = tempDir() + "/" + (fixture as NSString).lastPathComponent
    try JSONSerialization.data(withJSONObject: obj).write(to: URL(fileURLWithPath: path))
    return path
}

/// A Swift-made tiny checkpoint, created once per process (the maker itself is under test elsewhere).
let madeTinyCheckpoints: [RandomCheckpoint.Variant: String] = {
    var out: [RandomCheckpoint.Variant: String] = [:]
    for v in RandomCheckpoint.Variant.allCases {
        let dir = tempDir() + "/tiny-\(v.rawValue)"
        try! RandomCheckpoint.write(shape: .tiny, variant: v, to: dir)
        out[v] = dir
    }
    return out
}()

@Suite struct ConfigurationTests {
    let customVoice = madeTinyCheckpoints[.customVoice]!
    let base = madeTinyCheckpoints[.base]!

    @Test func readsRealKeyNames() throws {
        let c = try ModelConfig.load(path: customVoice + "/config.json")
        #expect(c.ttsModelType == .customVoice)
        #expect(c.tokenizerType == "qwen3_tts_tokenizer_12hz")
        let t = c.talkerConfig
        #expect(t.hiddenSize == 64 && t.numHiddenLayers == 2 && t.headDim == 16 && t.numCodeGroups == 16)
        #expect(t.codecEosTokenId == 2150 && t.codecPadId == 2148 && t.codecBosId == 2149)
        #expect(t.spkId["uncle_fu"] == 3010, "speaker names must keep their snake_case spelling")
        #expect(t.spkIsDialect["dylan"] == .dialect("beijing_dialect"))
        #expect(t.spkIsDialect["ryan"] == DialectFlag.none)
        #expect(t.codecLanguageId["sichuan_dialect"] == 2062)
        #expect(t.ropeScaling?.mropeSection == [3, 3, 2])
        #expect(t.codePredictorConfig.hiddenSize == 32 && t.hasCodePredictorProjection)

        let g = try GenerationConfig.load(path: customVoice + "/generation_config.json")
        #expect(g.doSample && g.topK == 50 && g.maxNewTokens == 8192 && g.repetitionPenalty == 1.05)

        let s = try SpeechTokenizerConfig.load(path: customVoice + "/speech_tokenizer/config.json")
        #expect(s.decoderConfig.upsampleRates == [8, 5, 4, 3] && s.decoderConfig.slidingWindow == 72)
        #expect(s.decodeUpsampleRate == 1920 && s.encoderValidNumQuantizers == 16)
        #expect(s.encoderConfig.upsamplingRatios == [8, 6, 5, 4])
    }

    @Test func missingKeysTakeOfficialDefaults() throws {
        let path = try edited(customVoice + "/config.json") { obj in
            var t = obj["talker_config"] as! [String: Any]
            t.removeValue(forKey: "head_dim")  // falls back to hidden_size / num_attention_heads
            t.removeValue(forKey: "rope_scaling")
            obj["talker_config"] = t
            obj.removeValue(forKey: "im_start_token_id")
        }
        // The edited file's token ids are outside the tiny text vocabulary once im_start takes its
        // official default (151644), which validation must catch.
        #expect(throws: ConfigurationError.self) { _ = try ModelConfig.load(path: path) }
        let decoded = try JSONDecoder().decode(ModelConfig.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(decoded.talkerConfig.headDim == 16)
        #expect(decoded.imStartTokenId == 151644)
        let g = try JSONDecoder().decode(GenerationConfig.self, from: Data("{}".utf8))
        #expect(g == GenerationConfig.officialDefaults && g.maxNewTokens == 2048)
        #expect(try GenerationConfig.load(path: tempDir() + "/absent.json") == .officialDefaults)
    }

    @Test func missingAndMalformedFiles() throws {
        do {
            _ = try ModelConfig.load(path: "/nonexistent/config.json")
            Issue.record("expected an error")
        } catch let e as ConfigurationError {
            #expect(e.description == "configuration file not found: /nonexistent/config.json")
        }
        let bad = tempDir() + "/config.json"
        try "{\"talker_config\": ".write(toFile: bad, atomically: true, encoding: .utf8)
        #expect(throws: ConfigurationError.self) { _ = try ModelConfig.load(path: bad) }
        let wrongType = try edited(customVoice + "/config.json") { obj in
            var t = obj["talker_config"] as! [String: Any]
            t["hidden_size"] = "wide"
            obj["talker_config"] = t
        }
        do {
            _ = try ModelConfig.load(path: wrongType)
            Issue.record("expected an error")
        } catch let e as ConfigurationError {
            #expect(e.description.contains("talker_config.hidden_size"), "\(e)")
        }
    }

    /// Each impossible value is rejected and the message names the key.
    @Test func rejectsImpossibleTalkerValues() throws {
        let cases: [(String, (inout [String: Any]) -> Void)] = [
            ("talker_config.hidden_size", { o in o["hidden_size"] = 0 }),
            ("talker_config.num_attention_heads", { o in o["num_key_value_heads"] = 3 }),
            ("talker_config.head_dim", { o in o["head_dim"] = 15 }),
            ("talker_config.rms_norm_eps", { o in o["rms_norm_eps"] = -1.0 }),
            ("talker_config.codec_eos_token_id", { o in o["codec_eos_token_id"] = 5000 }),
            ("talker_config.spk_id.ryan", { o in
                var s = o["spk_id"] as! [String: Any]; s["ryan"] = -3; o["spk_id"] = s }),
            ("talker_config.spk_is_dialect.eric", { o in
                var s = o["spk_is_dialect"] as! [String: Any]; s["eric"] = "klingon_dialect"; o["spk_is_dialect"] = s }),
            ("talker_config.rope_scaling.mrope_section", { o in
                o["rope_scaling"] = ["mrope_section": [1, 1, 1], "rope_type": "default"] }),
            ("talker_config.code_predictor_config.num_code_groups", { o in
                var c = o["code_predictor_config"] as! [String: Any]; c["num_code_groups"] = 8; o["code_predictor_config"] = c }),
            ("talker_config.hidden_act", { o in o["hidden_act"] = "relu" }),
        ]
        for (key, edit) in cases {
            let path = try edited(customVoice + "/config.json") { obj in
                var t = obj["talker_config"] as! [String: Any]
                edit(&t)
                obj["talker_config"] = t
            }
            do {
                _ = try ModelConfig.load(path: path)
                Issue.record("expected \(key) to be rejected")
            } catch let ConfigurationError.invalid(p, k, _) {
                #expect(p == path)
                #expect(k == key)
            }
        }
    }

    @Test func rejectsImpossibleTopLevelValues() throws {
        for (key, edit) in [
            ("tts_model_type", { (o: inout [String: Any]) in o["tts_model_type"] = "karaoke" }),
            ("tokenizer_type", { (o: inout [String: Any]) in o["tokenizer_type"] = "qwen3_tts_tokenizer_25hz" }),
            ("tts_model_size", { (o: inout [String: Any]) in o["tts_model_size"] = "7b" }),
            ("tts_pad_token_id", { (o: inout [String: Any]) in o["tts_pad_token_id"] = 999_999 }),
        ] as [(String, (inout [String: Any]) -> Void)] {
            let path = try edited(customVoice + "/config.json", edit)
            #expect(throws: ConfigurationError.self, "\(key)") { _ = try ModelConfig.load(path: path) }
        }
        // Base checkpoints: the x-vector must have the talker's width.
        let path = try edited(base + "/config.json") { obj in
            var s = obj["speaker_encoder_config"] as! [String: Any]
            s["enc_dim"] = 63
            obj["speaker_encoder_config"] = s
        }
        do {
            _ = try ModelConfig.load(path: path)
            Issue.record("expected enc_dim to be rejected")
        } catch let ConfigurationError.invalid(_, k, _) {
            #expect(k == "speaker_encoder_config.enc_dim")
        }
    }

    @Test func rejectsImpossibleCodecAndGenerationValues() throws {
        let st = customVoice + "/speech_tokenizer/config.json"
        for (key, edit) in [
            ("decode_upsample_rate", { (o: inout [String: Any]) in o["decode_upsample_rate"] = 2000 }),
            ("decoder_config.sliding_window", { (o: inout [String: Any]) in
                var d = o["decoder_config"] as! [String: Any]; d["sliding_window"] = 0; o["decoder_config"] = d }),
            ("decoder_config.codebook_dim", { (o: inout [String: Any]) in
                var d = o["decoder_config"] as! [String: Any]; d["codebook_dim"] = 7; o["decoder_config"] = d }),
            ("encoder_valid_num_quantizers", { (o: inout [String: Any]) in o["encoder_valid_num_quantizers"] = 64 }),
        ] as [(String, (inout [String: Any]) -> Void)] {
            let path = try edited(st, edit)
            do {
                _ = try SpeechTokenizerConfig.load(path: path)
                Issue.record("expected \(key) to be rejected")
            } catch let ConfigurationError.invalid(_, k, _) {
                #expect(k == key)
            }
        }
        for (key, edit) in [
            ("temperature", { (o: inout [String: Any]) in o["temperature"] = 0.0 }),
            ("top_p", { (o: inout [String: Any]) in o["top_p"] = 1.5 }),
            ("top_k", { (o: inout [String: Any]) in o["top_k"] = -1 }),
            ("max_new_tokens", { (o: inout [String: Any]) in o["max_new_tokens"] = 0 }),
        ] as [(String, (inout [String: Any]) -> Void)] {
            let path = try edited(customVoice + "/generation_config.json", edit)
            do {
                _ = try GenerationConfig.load(path: path)
                Issue.record("expected \(key) to be rejected")
            } catch let ConfigurationError.invalid(_, k, _) {
                #expect(k == key)
            }
        }
    }
}
