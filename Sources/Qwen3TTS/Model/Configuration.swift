// Configurations read from the official checkpoint files: config.json (Qwen3TTSConfig with the
// nested talker, code predictor and speaker encoder configs), generation_config.json, and
// speech_tokenizer/config.json (Qwen3TTSTokenizerV2Config: a Mimi encoder + the V2 decoder).
// Key names are the real ones; a missing key takes the official class's default, exactly as
// `PretrainedConfig.from_pretrained` would, and impossible values are rejected with the key named.

import Foundation

/// A configuration file that is missing, unreadable or describes an impossible model.
public enum ConfigurationError: Error, CustomStringConvertible, Sendable {
    case missingFile(path: String)
    case malformed(path: String, detail: String)
    case invalid(path: String, key: String, reason: String)

    public var description: String {
        switch self {
        case .missingFile(let p): return "configuration file not found: \(p)"
        case .malformed(let p, let d): return "malformed configuration \(p): \(d)"
        case .invalid(let p, let k, let r): return "invalid configuration \(p): \(k) \(r)"
        }
    }
}

// MARK: - Decoding helpers

private extension KeyedDecodingContainer {
    /// The value for `key`, or `fallback` when the key is absent or null (the official default).
    func value<T: Decodable>(_ key: Key, _ fallback: @autoclosure () -> T) throws -> T {
        try decodeIfPresent(T.self, forKey: key) ?? fallback()
    }
}

// Keys are spelled out in CodingKeys: `convertFromSnakeCase` would also rewrite dictionary keys
// such as speaker names ("uncle_fu") and dialect names.
private func makeDecoder() -> JSONDecoder { JSONDecoder() }

func loadJSON<T: Decodable>(_ type: T.Type, path: String) throws -> T {
    guard FileManager.default.fileExists(atPath: path) else { throw ConfigurationError.missingFile(path: path) }
    let data: Data
    do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
        throw ConfigurationError.malformed(path: path, detail: "cannot read: \(error.localizedDescription)")
    }
    do {
        return try makeDecoder().decode(T.self, from: data)
    } catch let e as DecodingError {
        throw ConfigurationError.malformed(path: path, detail: describe(e))
    } catch {
        throw ConfigurationError.malformed(path: path, detail: "\(error)")
    }
}

private func describe(_ e: DecodingError) -> String {
    func path(_ c: [CodingKey]) -> String { c.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".") }
    switch e {
    case .typeMismatch(let t, let c): return "\(path(c.codingPath)): expected \(t)"
    case .valueNotFound(let t, let c): return "\(path(c.codingPath)): missing \(t)"
    case .keyNotFound(let k, let c): return "\((c.codingPath + [k]).map(\.stringValue).joined(separator: ".")): required key missing"
    case .dataCorrupted(let c): return c.codingPath.isEmpty ? "not valid JSON" : "\(path(c.codingPath)): \(c.debugDescription)"
    @unknown default: return "\(e)"
    }
}

/// Collects the checks of one file so each failure names the file and the key.
struct Validator {
    let path: String
    func require(_ ok: Bool, _ key: String, _ reason: @autoclosure () -> String) throws {
        if !ok { throw ConfigurationError.invalid(path: path, key: key, reason: reason()) }
    }
    func positive(_ v: Int, _ key: String) throws { try require(v > 0, key, "must be positive, got \(v)") }
    func positive(_ v: Double, _ key: String) throws { try require(v > 0 && v.isFinite, key, "must be positive, got \(v)") }
    /// Attention geometry shared by every transformer in the model.
    func attention(heads: Int, kvHeads: Int, headDim: Int, prefix: String) throws {
        try positive(heads, "\(prefix)num_attention_heads")
        try positive(kvHeads, "\(prefix)num_key_value_heads")
        try positive(headDim, "\(prefix)head_dim")
        try require(heads % kvHeads == 0, "\(prefix)num_attention_heads",
                    "(\(heads)) must be a multiple of num_key_value_heads (\(kvHeads))")
        try require(headDim % 2 == 0, "\(prefix)head_dim", "must be even for rotary embeddings, got \(headDim)")
    }
}

// MARK: - config.json

/// `speaker_encoder_config` (Base checkpoints): the ECAPA-TDNN x-vector encoder.
public struct SpeakerEncoderConfig: Codable, Sendable, Equatable {
    public var melDim: Int
    public var encDim: Int
    public var encChannels: [Int]
    public var encKernelSizes: [Int]
    public var encDilations: [Int]
    public var encAttentionChannels: Int
    public var encRes2netScale: Int
    public var encSeChannels: Int
    public var sampleRate: Int

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        melDim = try c.value(.melDim, 128)
        encDim = try c.value(.encDim, 1024)
        encChannels = try c.value(.encChannels, [512, 512, 512, 512, 1536])
        encKernelSizes = try c.value(.encKernelSizes, [5, 3, 3, 3, 1])
        encDilations = try c.value(.encDilations, [1, 2, 3, 4, 1])
        encAttentionChannels = try c.value(.encAttentionChannels, 128)
        encRes2netScale = try c.value(.encRes2netScale, 8)
        encSeChannels = try c.value(.encSeChannels, 128)
        sampleRate = try c.value(.sampleRate, 24000)
    }

    func validate(_ v: Validator, talkerHidden: Int) throws {
        let p = "speaker_encoder_config."
        try v.positive(melDim, p + "mel_dim")
        try v.require(encDim == talkerHidden, p + "enc_dim",
                      "(\(encDim)) must equal talker_config.hidden_size (\(talkerHidden)): the x-vector is inserted as a codec embedding")
        try v.require(encChannels.count == 5 && encKernelSizes.count == 5 && encDilations.count == 5, p + "enc_channels",
                      "enc_channels, enc_kernel_sizes and enc_dilations must each list 5 values")
        for (i, ch) in encChannels.enumerated() { try v.positive(ch, p + "enc_channels[\(i)]") }
        try v.positive(encRes2netScale, p + "enc_res2net_scale")
        try v.require(encChannels[1] % encRes2netScale == 0, p + "enc_res2net_scale",
                      "(\(encRes2netScale)) must divide enc_channels[1] (\(encChannels[1]))")
        try v.positive(encAttentionChannels, p + "enc_attention_channels")
        try v.positive(encSeChannels, p + "enc_se_channels")
        try v.require(encChannels[4] == encChannels[1] + encChannels[2] + encChannels[3], p + "enc_channels",
                      "last value (\(encChannels[4])) must be the sum of the three SE-Res2Net block widths")
        try v.positive(sampleRate, p + "sample_rate")
    }

    enum CodingKeys: String, CodingKey {
        case melDim = "mel_dim"
        case encDim = "enc_dim"
        case encChannels = "enc_channels"
        case encKernelSizes = "enc_kernel_sizes"
        case encDilations = "enc_dilations"
        case encAttentionChannels = "enc_attention_channels"
        case encRes2netScale = "enc_res2net_scale"
        case encSeChannels = "enc_se_channels"
        case sampleRate = "sample_rate"
    }
}

/// `rope_scaling` of the talker: multimodal RoPE sections. With equal position streams (always, for
/// TTS) it reduces to plain RoPE, so only its consistency is checked.
public struct RopeScaling: Codable, Sendable, Equatable {
    public var ropeType: String?
    public var type: String?
    public var mropeSection: [Int]?
    public var interleaved: Bool?

    enum CodingKeys: String, CodingKey {
        case ropeType = "rope_type"
        case type
        case mropeSection = "mrope_section"
        case interleaved
    }
}

/// `talker_config.code_predictor_config`: the 5-layer "sub-talker" that fills codebooks 1..15.
public struct CodePredictorConfig: Codable, Sendable, Equatable {
    public var vocabSize: Int
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var numHiddenLayers: Int
    public var numAttentionHeads: Int
    public var numKeyValueHeads: Int
    public var headDim: Int
    public var hiddenAct: String
    public var maxPositionEmbeddings: Int
    public var rmsNormEps: Double
    public var ropeTheta: Double
    public var attentionBias: Bool
    public var useSlidingWindow: Bool
    public var numCodeGroups: Int

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        vocabSize = try c.value(.vocabSize, 2048)
        hiddenSize = try c.value(.hiddenSize, 1024)
        intermediateSize = try c.value(.intermediateSize, 3072)
        numHiddenLayers = try c.value(.numHiddenLayers, 5)
        numAttentionHeads = try c.value(.numAttentionHeads, 16)
        numKeyValueHeads = try c.value(.numKeyValueHeads, 8)
        headDim = try c.value(.headDim, 128)
        hiddenAct = try c.value(.hiddenAct, "silu")
        maxPositionEmbeddings = try c.value(.maxPositionEmbeddings, 32768)
        rmsNormEps = try c.value(.rmsNormEps, 1e-6)
        ropeTheta = try c.value(.ropeTheta, 10000)
        attentionBias = try c.value(.attentionBias, false)
        useSlidingWindow = try c.value(.useSlidingWindow, false)
        numCodeGroups = try c.value(.numCodeGroups, 32)
    }

    enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size"
        case hiddenSize = "hidden_size"
        case intermediateSize = "intermediate_size"
        case numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads"
        case numKeyValueHeads = "num_key_value_heads"
        case headDim = "head_dim"
        case hiddenAct = "hidden_act"
        case maxPositionEmbeddings = "max_position_embeddings"
        case rmsNormEps = "rms_norm_eps"
        case ropeTheta = "rope_theta"
        case attentionBias = "attention_bias"
        case useSlidingWindow = "use_sliding_window"
        case numCodeGroups = "num_code_groups"
    }
}

/// `spk_is_dialect` values are either `false` or the dialect's language key.
public enum DialectFlag: Codable, Sendable, Equatable {
    case none
    case dialect(String)

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let s = try? c.decode(String.self) { self = .dialect(s) } else if (try? c.decode(Bool.self)) != nil { self = .none } else {
            throw DecodingError.typeMismatch(String.self, .init(codingPath: decoder.codingPath,
                                                                debugDescription: "expected false or a dialect name"))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .none: try c.encode(false)
        case .dialect(let s): try c.encode(s)
        }
    }
}

/// `talker_config`: the 28-layer decoder that emits codebook 0, plus the codec control ids.
public struct TalkerConfig: Codable, Sendable, Equatable {
    public var codePredictorConfig: CodePredictorConfig
    public var vocabSize: Int
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var numHiddenLayers: Int
    public var numAttentionHeads: Int
    public var numKeyValueHeads: Int
    public var headDim: Int
    public var hiddenAct: String
    public var maxPositionEmbeddings: Int
    public var rmsNormEps: Double
    public var ropeTheta: Double
    public var ropeScaling: RopeScaling?
    public var attentionBias: Bool
    public var useSlidingWindow: Bool
    public var numCodeGroups: Int
    public var textHiddenSize: Int
    public var textVocabSize: Int
    public var codecEosTokenId: Int
    public var codecThinkId: Int
    public var codecNothinkId: Int
    public var codecThinkBosId: Int
    public var codecThinkEosId: Int
    public var codecPadId: Int
    public var codecBosId: Int
    public var spkId: [String: Int]
    public var spkIsDialect: [String: DialectFlag]
    public var codecLanguageId: [String: Int]

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        codePredictorConfig = try c.decodeIfPresent(CodePredictorConfig.self, forKey: .codePredictorConfig)
            ?? JSONDecoder().decode(CodePredictorConfig.self, from: Data("{}".utf8))
        vocabSize = try c.value(.vocabSize, 3072)
        hiddenSize = try c.value(.hiddenSize, 1024)
        intermediateSize = try c.value(.intermediateSize, 2048)
        numHiddenLayers = try c.value(.numHiddenLayers, 20)
        numAttentionHeads = try c.value(.numAttentionHeads, 16)
        numKeyValueHeads = try c.value(.numKeyValueHeads, 2)
        // The official code falls back to hidden_size / num_attention_heads when head_dim is absent.
        headDim = try c.value(.headDim, hiddenSize / max(numAttentionHeads, 1))
        hiddenAct = try c.value(.hiddenAct, "silu")
        maxPositionEmbeddings = try c.value(.maxPositionEmbeddings, 32768)
        rmsNormEps = try c.value(.rmsNormEps, 1e-6)
        ropeTheta = try c.value(.ropeTheta, 10000)
        ropeScaling = try c.decodeIfPresent(RopeScaling.self, forKey: .ropeScaling)
        attentionBias = try c.value(.attentionBias, false)
        useSlidingWindow = try c.value(.useSlidingWindow, false)
        numCodeGroups = try c.value(.numCodeGroups, 32)
        textHiddenSize = try c.value(.textHiddenSize, 2048)
        // No official default: the text embedding table cannot be sized without it.
        textVocabSize = try c.decode(Int.self, forKey: .textVocabSize)
        codecEosTokenId = try c.value(.codecEosTokenId, 4198)
        codecThinkId = try c.value(.codecThinkId, 4202)
        codecNothinkId = try c.value(.codecNothinkId, 4203)
        codecThinkBosId = try c.value(.codecThinkBosId, 4204)
        codecThinkEosId = try c.value(.codecThinkEosId, 4205)
        codecPadId = try c.value(.codecPadId, 4196)
        codecBosId = try c.value(.codecBosId, 4197)
        spkId = try c.value(.spkId, [:])
        spkIsDialect = try c.value(.spkIsDialect, [:])
        codecLanguageId = try c.value(.codecLanguageId, [:])
    }

    /// Whether the code predictor needs `small_to_mtp_projection` (talker wider than the predictor, as in 1.7B).
    public var hasCodePredictorProjection: Bool { hiddenSize != codePredictorConfig.hiddenSize }

    func validate(_ v: Validator) throws {
        let p = "talker_config."
        try v.positive(hiddenSize, p + "hidden_size")
        try v.positive(intermediateSize, p + "intermediate_size")
        try v.positive(numHiddenLayers, p + "num_hidden_layers")
        try v.attention(heads: numAttentionHeads, kvHeads: numKeyValueHeads, headDim: headDim, prefix: p)
        try v.positive(rmsNormEps, p + "rms_norm_eps")
        try v.positive(ropeTheta, p + "rope_theta")
        try v.positive(maxPositionEmbeddings, p + "max_position_embeddings")
        try v.positive(textHiddenSize, p + "text_hidden_size")
        try v.positive(textVocabSize, p + "text_vocab_size")
        try v.require(hiddenAct == "silu", p + "hidden_act", "'\(hiddenAct)' is not supported (only silu)")
        try v.require(!attentionBias, p + "attention_bias", "true is not supported by the Qwen3-TTS talker")
        try v.require(!useSlidingWindow, p + "use_sliding_window", "true is not supported by the Qwen3-TTS talker")
        try v.require(numCodeGroups >= 2, p + "num_code_groups", "must be at least 2, got \(numCodeGroups)")
        if let sections = ropeScaling?.mropeSection {
            try v.require(sections.reduce(0, +) == headDim / 2, p + "rope_scaling.mrope_section",
                          "\(sections) must sum to head_dim/2 (\(headDim / 2))")
        }
        let ids: [(String, Int)] = [
            ("codec_eos_token_id", codecEosTokenId), ("codec_think_id", codecThinkId),
            ("codec_nothink_id", codecNothinkId), ("codec_think_bos_id", codecThinkBosId),
            ("codec_think_eos_id", codecThinkEosId), ("codec_pad_id", codecPadId), ("codec_bos_id", codecBosId),
        ] + spkId.map { ("spk_id.\($0.key)", $0.value) } + codecLanguageId.map { ("codec_language_id.\($0.key)", $0.value) }
        for (key, id) in ids {
            try v.require(id >= 0 && id < vocabSize, p + key, "(\(id)) is outside the codec vocabulary of \(vocabSize)")
        }
        for (spk, flag) in spkIsDialect {
            if case .dialect(let d) = flag {
                try v.require(codecLanguageId[d] != nil, p + "spk_is_dialect.\(spk)", "names '\(d)', which is not in codec_language_id")
            }
        }
        let cp = codePredictorConfig
        let q = p + "code_predictor_config."
        try v.positive(cp.hiddenSize, q + "hidden_size")
        try v.positive(cp.intermediateSize, q + "intermediate_size")
        try v.positive(cp.numHiddenLayers, q + "num_hidden_layers")
        try v.attention(heads: cp.numAttentionHeads, kvHeads: cp.numKeyValueHeads, headDim: cp.headDim, prefix: q)
        try v.positive(cp.rmsNormEps, q + "rms_norm_eps")
        try v.positive(cp.ropeTheta, q + "rope_theta")
        try v.positive(cp.vocabSize, q + "vocab_size")
        try v.require(cp.hiddenAct == "silu", q + "hidden_act", "'\(cp.hiddenAct)' is not supported (only silu)")
        try v.require(cp.numCodeGroups == numCodeGroups, q + "num_code_groups",
                      "(\(cp.numCodeGroups)) must equal talker_config.num_code_groups (\(numCodeGroups))")
        try v.require(cp.vocabSize <= vocabSize, q + "vocab_size",
                      "(\(cp.vocabSize)) must not exceed the talker codec vocabulary (\(vocabSize))")
        try v.require(codecEosTokenId >= cp.vocabSize, p + "codec_eos_token_id",
                      "(\(codecEosTokenId)) must lie above the \(cp.vocabSize) audio codes")
    }

    enum CodingKeys: String, CodingKey {
        case codePredictorConfig = "code_predictor_config"
        case vocabSize = "vocab_size"
        case hiddenSize = "hidden_size"
        case intermediateSize = "intermediate_size"
        case numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads"
        case numKeyValueHeads = "num_key_value_heads"
        case headDim = "head_dim"
        case hiddenAct = "hidden_act"
        case maxPositionEmbeddings = "max_position_embeddings"
        case rmsNormEps = "rms_norm_eps"
        case ropeTheta = "rope_theta"
        case ropeScaling = "rope_scaling"
        case attentionBias = "attention_bias"
        case useSlidingWindow = "use_sliding_window"
        case numCodeGroups = "num_code_groups"
        case textHiddenSize = "text_hidden_size"
        case textVocabSize = "text_vocab_size"
        case codecEosTokenId = "codec_eos_token_id"
        case codecThinkId = "codec_think_id"
        case codecNothinkId = "codec_nothink_id"
        case codecThinkBosId = "codec_think_bos_id"
        case codecThinkEosId = "codec_think_eos_id"
        case codecPadId = "codec_pad_id"
        case codecBosId = "codec_bos_id"
        case spkId = "spk_id"
        case spkIsDialect = "spk_is_dialect"
        case codecLanguageId = "codec_language_id"
    }
}

/// Which of the three released model kinds a checkpoint is.
public enum ModelKind: String, Codable, Sendable {
    case base
    case customVoice = "custom_voice"
    case voiceDesign = "voice_design"
}

/// config.json of a Qwen3-TTS checkpoint (model_type `qwen3_tts`).
public struct ModelConfig: Codable, Sendable, Equatable {
    public var talkerConfig: TalkerConfig
    public var speakerEncoderConfig: SpeakerEncoderConfig
    public var tokenizerType: String?
    public var ttsModelSize: String?
    public var ttsModelType: ModelKind
    public var imStartTokenId: Int
    public var imEndTokenId: Int
    public var ttsPadTokenId: Int
    public var ttsBosTokenId: Int
    public var ttsEosTokenId: Int

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        talkerConfig = try c.decode(TalkerConfig.self, forKey: .talkerConfig)
        speakerEncoderConfig = try c.decodeIfPresent(SpeakerEncoderConfig.self, forKey: .speakerEncoderConfig)
            ?? JSONDecoder().decode(SpeakerEncoderConfig.self, from: Data("{}".utf8))
        tokenizerType = try c.decodeIfPresent(String.self, forKey: .tokenizerType)
        ttsModelSize = try c.decodeIfPresent(String.self, forKey: .ttsModelSize)
        ttsModelType = try c.decode(ModelKind.self, forKey: .ttsModelType)
        imStartTokenId = try c.value(.imStartTokenId, 151644)
        imEndTokenId = try c.value(.imEndTokenId, 151645)
        ttsPadTokenId = try c.value(.ttsPadTokenId, 151671)
        ttsBosTokenId = try c.value(.ttsBosTokenId, 151672)
        ttsEosTokenId = try c.value(.ttsEosTokenId, 151673)
    }

    /// Reads and validates `config.json` at `path`.
    public static func load(path: String) throws -> ModelConfig {
        let config = try loadJSON(ModelConfig.self, path: path)
        try config.validate(Validator(path: path))
        return config
    }

    func validate(_ v: Validator) throws {
        try talkerConfig.validate(v)
        if let t = tokenizerType {
            try v.require(t == "qwen3_tts_tokenizer_12hz", "tokenizer_type",
                          "'\(t)' is not supported (only the 12 Hz codec, qwen3_tts_tokenizer_12hz)")
        }
        if let s = ttsModelSize {
            try v.require(s == "0b6" || s == "1b7", "tts_model_size", "'\(s)' is not a known size (0b6 or 1b7)")
        }
        if ttsModelType == .base { try speakerEncoderConfig.validate(v, talkerHidden: talkerConfig.hiddenSize) }
        if ttsModelType == .customVoice {
            try v.require(!talkerConfig.spkId.isEmpty, "talker_config.spk_id", "is empty, but a custom_voice model needs speakers")
        }
        for (key, id) in [("im_start_token_id", imStartTokenId), ("im_end_token_id", imEndTokenId),
                          ("tts_pad_token_id", ttsPadTokenId), ("tts_bos_token_id", ttsBosTokenId),
                          ("tts_eos_token_id", ttsEosTokenId)] {
            try v.require(id >= 0 && id < talkerConfig.textVocabSize, key,
                          "(\(id)) is outside the text vocabulary of \(talkerConfig.textVocabSize)")
        }
    }

    enum CodingKeys: String, CodingKey {
        case talkerConfig = "talker_config"
        case speakerEncoderConfig = "speaker_encoder_config"
        case tokenizerType = "tokenizer_type"
        case ttsModelSize = "tts_model_size"
        case ttsModelType = "tts_model_type"
        case imStartTokenId = "im_start_token_id"
        case imEndTokenId = "im_end_token_id"
        case ttsPadTokenId = "tts_pad_token_id"
        case ttsBosTokenId = "tts_bos_token_id"
        case ttsEosTokenId = "tts_eos_token_id"
    }
}

// MARK: - generation_config.json

/// Sampling defaults shipped with the checkpoint (`generation_config.json`).
public struct GenerationConfig: Codable, Sendable, Equatable {
    public var doSample: Bool
    public var temperature: Double
    public var topK: Int
    public var topP: Double
    public var repetitionPenalty: Double
    public var subtalkerDosample: Bool
    public var subtalkerTemperature: Double
    public var subtalkerTopK: Int
    public var subtalkerTopP: Double
    public var maxNewTokens: Int

    /// The wrapper's hard defaults, used for keys the file does not set (max_new_tokens 2048).
    public static let officialDefaults = GenerationConfig(
        doSample: true, temperature: 0.9, topK: 50, topP: 1.0, repetitionPenalty: 1.05,
        subtalkerDosample: true, subtalkerTemperature: 0.9, subtalkerTopK: 50, subtalkerTopP: 1.0, maxNewTokens: 2048)

    public init(doSample: Bool, temperature: Double, topK: Int, topP: Double, repetitionPenalty: Double,
                subtalkerDosample: Bool, subtalkerTemperature: Double, subtalkerTopK: Int, subtalkerTopP: Double,
                maxNewTokens: Int) {
        self.doSample = doSample
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.repetitionPenalty = repetitionPenalty
        self.subtalkerDosample = subtalkerDosample
        self.subtalkerTemperature = subtalkerTemperature
        self.subtalkerTopK = subtalkerTopK
        self.subtalkerTopP = subtalkerTopP
        self.maxNewTokens = maxNewTokens
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = GenerationConfig.officialDefaults
        doSample = try c.value(.doSample, d.doSample)
        temperature = try c.value(.temperature, d.temperature)
        topK = try c.value(.topK, d.topK)
        topP = try c.value(.topP, d.topP)
        repetitionPenalty = try c.value(.repetitionPenalty, d.repetitionPenalty)
        subtalkerDosample = try c.value(.subtalkerDosample, d.subtalkerDosample)
        subtalkerTemperature = try c.value(.subtalkerTemperature, d.subtalkerTemperature)
        subtalkerTopK = try c.value(.subtalkerTopK, d.subtalkerTopK)
        subtalkerTopP = try c.value(.subtalkerTopP, d.subtalkerTopP)
        maxNewTokens = try c.value(.maxNewTokens, d.maxNewTokens)
    }

    /// Reads and validates `generation_config.json`; a missing file means the official defaults.
    public static func load(path: String) throws -> GenerationConfig {
        guard FileManager.default.fileExists(atPath: path) else { return officialDefaults }
        let config = try loadJSON(GenerationConfig.self, path: path)
        try config.validate(Validator(path: path))
        return config
    }

    func validate(_ v: Validator) throws {
        try v.require(temperature > 0 && temperature.isFinite, "temperature", "must be positive, got \(temperature)")
        try v.require(subtalkerTemperature > 0 && subtalkerTemperature.isFinite, "subtalker_temperature",
                      "must be positive, got \(subtalkerTemperature)")
        try v.require(topK >= 0, "top_k", "must not be negative, got \(topK)")
        try v.require(subtalkerTopK >= 0, "subtalker_top_k", "must not be negative, got \(subtalkerTopK)")
        try v.require(topP > 0 && topP <= 1, "top_p", "must be in (0, 1], got \(topP)")
        try v.require(subtalkerTopP > 0 && subtalkerTopP <= 1, "subtalker_top_p", "must be in (0, 1], got \(subtalkerTopP)")
        try v.require(repetitionPenalty > 0 && repetitionPenalty.isFinite, "repetition_penalty",
                      "must be positive, got \(repetitionPenalty)")
        try v.require(maxNewTokens > 0, "max_new_tokens", "must be positive, got \(maxNewTokens)")
    }

    enum CodingKeys: String, CodingKey {
        case doSample = "do_sample"
        case temperature
        case topK = "top_k"
        case topP = "top_p"
        case repetitionPenalty = "repetition_penalty"
        case subtalkerDosample = "subtalker_dosample"
        case subtalkerTemperature = "subtalker_temperature"
        case subtalkerTopK = "subtalker_top_k"
        case subtalkerTopP = "subtalker_top_p"
        case maxNewTokens = "max_new_tokens"
    }
}

// MARK: - speech_tokenizer/config.json

/// `decoder_config` of the 12 Hz codec (Qwen3TTSTokenizerV2DecoderConfig).
public struct CodecDecoderConfig: Codable, Sendable, Equatable {
    public var codebookSize: Int
    public var codebookDim: Int
    public var hiddenSize: Int
    public var latentDim: Int
    public var maxPositionEmbeddings: Int
    public var ropeTheta: Double
    public var numAttentionHeads: Int
    public var numKeyValueHeads: Int
    public var headDim: Int
    public var attentionBias: Bool
    public var slidingWindow: Int
    public var intermediateSize: Int
    public var hiddenAct: String
    public var layerScaleInitialScale: Double
    public var rmsNormEps: Double
    public var numHiddenLayers: Int
    public var numQuantizers: Int
    public var upsampleRates: [Int]
    public var upsamplingRatios: [Int]
    public var decoderDim: Int

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        codebookSize = try c.value(.codebookSize, 2048)
        codebookDim = try c.value(.codebookDim, 512)
        hiddenSize = try c.value(.hiddenSize, 1024)
        latentDim = try c.value(.latentDim, 1024)
        maxPositionEmbeddings = try c.value(.maxPositionEmbeddings, 8000)
        ropeTheta = try c.value(.ropeTheta, 10000)
        numAttentionHeads = try c.value(.numAttentionHeads, 16)
        numKeyValueHeads = try c.value(.numKeyValueHeads, 16)
        headDim = try c.value(.headDim, hiddenSize / max(numAttentionHeads, 1))
        attentionBias = try c.value(.attentionBias, false)
        slidingWindow = try c.value(.slidingWindow, 72)
        intermediateSize = try c.value(.intermediateSize, 3072)
        hiddenAct = try c.value(.hiddenAct, "silu")
        layerScaleInitialScale = try c.value(.layerScaleInitialScale, 0.01)
        rmsNormEps = try c.value(.rmsNormEps, 1e-5)
        numHiddenLayers = try c.value(.numHiddenLayers, 8)
        numQuantizers = try c.value(.numQuantizers, 16)
        upsampleRates = try c.value(.upsampleRates, [8, 5, 4, 3])
        upsamplingRatios = try c.value(.upsamplingRatios, [2, 2])
        decoderDim = try c.value(.decoderDim, 1536)
    }

    enum CodingKeys: String, CodingKey {
        case codebookSize = "codebook_size"
        case codebookDim = "codebook_dim"
        case hiddenSize = "hidden_size"
        case latentDim = "latent_dim"
        case maxPositionEmbeddings = "max_position_embeddings"
        case ropeTheta = "rope_theta"
        case numAttentionHeads = "num_attention_heads"
        case numKeyValueHeads = "num_key_value_heads"
        case headDim = "head_dim"
        case attentionBias = "attention_bias"
        case slidingWindow = "sliding_window"
        case intermediateSize = "intermediate_size"
        case hiddenAct = "hidden_act"
        case layerScaleInitialScale = "layer_scale_initial_scale"
        case rmsNormEps = "rms_norm_eps"
        case numHiddenLayers = "num_hidden_layers"
        case numQuantizers = "num_quantizers"
        case upsampleRates = "upsample_rates"
        case upsamplingRatios = "upsampling_ratios"
        case decoderDim = "decoder_dim"
    }
}

/// `encoder_config` of the 12 Hz codec: a Hugging Face MimiConfig (only the keys the encoder uses).
public struct CodecEncoderConfig: Codable, Sendable, Equatable {
    public var samplingRate: Int
    public var audioChannels: Int
    public var numFilters: Int
    public var kernelSize: Int
    public var lastKernelSize: Int
    public var residualKernelSize: Int
    public var dilationGrowthRate: Int
    public var numResidualLayers: Int
    public var compress: Int
    public var upsamplingRatios: [Int]
    public var hiddenSize: Int
    public var numHiddenLayers: Int
    public var numAttentionHeads: Int
    public var numKeyValueHeads: Int
    public var headDim: Int
    public var intermediateSize: Int
    public var normEps: Double
    public var ropeTheta: Double
    public var slidingWindow: Int?
    public var numQuantizers: Int
    public var numSemanticQuantizers: Int
    public var codebookSize: Int
    public var codebookDim: Int
    public var vectorQuantizationHiddenDimension: Int
    public var frameRate: Double
    public var layerScaleInitialScale: Double

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        samplingRate = try c.value(.samplingRate, 24000)
        audioChannels = try c.value(.audioChannels, 1)
        numFilters = try c.value(.numFilters, 64)
        kernelSize = try c.value(.kernelSize, 7)
        lastKernelSize = try c.value(.lastKernelSize, 3)
        residualKernelSize = try c.value(.residualKernelSize, 3)
        dilationGrowthRate = try c.value(.dilationGrowthRate, 2)
        numResidualLayers = try c.value(.numResidualLayers, 1)
        compress = try c.value(.compress, 2)
        upsamplingRatios = try c.value(.upsamplingRatios, [8, 6, 5, 4])
        hiddenSize = try c.value(.hiddenSize, 512)
        numHiddenLayers = try c.value(.numHiddenLayers, 8)
        numAttentionHeads = try c.value(.numAttentionHeads, 8)
        numKeyValueHeads = try c.value(.numKeyValueHeads, numAttentionHeads)
        headDim = try c.value(.headDim, hiddenSize / max(numAttentionHeads, 1))
        intermediateSize = try c.value(.intermediateSize, 2048)
        normEps = try c.value(.normEps, 1e-5)
        ropeTheta = try c.value(.ropeTheta, 10000)
        slidingWindow = try c.decodeIfPresent(Int.self, forKey: .slidingWindow) ?? 250
        numQuantizers = try c.value(.numQuantizers, 32)
        numSemanticQuantizers = try c.value(.numSemanticQuantizers, 1)
        codebookSize = try c.value(.codebookSize, 2048)
        codebookDim = try c.value(.codebookDim, 256)
        vectorQuantizationHiddenDimension = try c.value(.vectorQuantizationHiddenDimension, 256)
        frameRate = try c.value(.frameRate, 12.5)
        layerScaleInitialScale = try c.value(.layerScaleInitialScale, 0.01)
    }

    enum CodingKeys: String, CodingKey {
        case samplingRate = "sampling_rate"
        case audioChannels = "audio_channels"
        case numFilters = "num_filters"
        case kernelSize = "kernel_size"
        case lastKernelSize = "last_kernel_size"
        case residualKernelSize = "residual_kernel_size"
        case dilationGrowthRate = "dilation_growth_rate"
        case numResidualLayers = "num_residual_layers"
        case compress
        case upsamplingRatios = "upsampling_ratios"
        case hiddenSize = "hidden_size"
        case numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads"
        case numKeyValueHeads = "num_key_value_heads"
        case headDim = "head_dim"
        case intermediateSize = "intermediate_size"
        case normEps = "norm_eps"
        case ropeTheta = "rope_theta"
        case slidingWindow = "sliding_window"
        case numQuantizers = "num_quantizers"
        case numSemanticQuantizers = "num_semantic_quantizers"
        case codebookSize = "codebook_size"
        case codebookDim = "codebook_dim"
        case vectorQuantizationHiddenDimension = "vector_quantization_hidden_dimension"
        case frameRate = "frame_rate"
        case layerScaleInitialScale = "layer_scale_initial_scale"
    }
}

/// speech_tokenizer/config.json (model_type `qwen3_tts_tokenizer_12hz`).
public struct SpeechTokenizerConfig: Codable, Sendable, Equatable {
    public var encoderConfig: CodecEncoderConfig
    public var decoderConfig: CodecDecoderConfig
    public var encoderValidNumQuantizers: Int
    public var inputSampleRate: Int
    public var outputSampleRate: Int
    public var decodeUpsampleRate: Int
    public var encodeDownsampleRate: Int

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let empty = Data("{}".utf8)
        encoderConfig = try c.decodeIfPresent(CodecEncoderConfig.self, forKey: .encoderConfig)
            ?? JSONDecoder().decode(CodecEncoderConfig.self, from: empty)
        decoderConfig = try c.decodeIfPresent(CodecDecoderConfig.self, forKey: .decoderConfig)
            ?? JSONDecoder().decode(CodecDecoderConfig.self, from: empty)
        encoderValidNumQuantizers = try c.value(.encoderValidNumQuantizers, 16)
        inputSampleRate = try c.value(.inputSampleRate, 24000)
        outputSampleRate = try c.value(.outputSampleRate, 24000)
        decodeUpsampleRate = try c.value(.decodeUpsampleRate, 1920)
        encodeDownsampleRate = try c.value(.encodeDownsampleRate, 1920)
    }

    /// Reads and validates speech_tokenizer/config.json.
    public static func load(path: String) throws -> SpeechTokenizerConfig {
        let config = try loadJSON(SpeechTokenizerConfig.self, path: path)
        try config.validate(Validator(path: path))
        return config
    }

    func validate(_ v: Validator) throws {
        let d = decoderConfig
        let p = "decoder_config."
        try v.positive(d.codebookSize, p + "codebook_size")
        try v.require(d.codebookDim > 0 && d.codebookDim % 2 == 0, p + "codebook_dim", "must be positive and even, got \(d.codebookDim)")
        try v.positive(d.hiddenSize, p + "hidden_size")
        try v.positive(d.latentDim, p + "latent_dim")
        try v.positive(d.decoderDim, p + "decoder_dim")
        try v.positive(d.intermediateSize, p + "intermediate_size")
        try v.positive(d.numHiddenLayers, p + "num_hidden_layers")
        try v.attention(heads: d.numAttentionHeads, kvHeads: d.numKeyValueHeads, headDim: d.headDim, prefix: p)
        try v.positive(d.slidingWindow, p + "sliding_window")
        try v.positive(d.rmsNormEps, p + "rms_norm_eps")
        try v.require(d.numQuantizers >= 2, p + "num_quantizers", "must be at least 2, got \(d.numQuantizers)")
        try v.require(!d.upsampleRates.isEmpty && d.upsampleRates.allSatisfy { $0 > 0 }, p + "upsample_rates",
                      "must be positive, got \(d.upsampleRates)")
        try v.require(d.upsamplingRatios.allSatisfy { $0 > 0 }, p + "upsampling_ratios", "must be positive, got \(d.upsamplingRatios)")
        try v.require(d.decoderDim >> d.upsampleRates.count > 0, p + "decoder_dim",
                      "(\(d.decoderDim)) halves \(d.upsampleRates.count) times and must stay positive")
        let total = (d.upsampleRates + d.upsamplingRatios).reduce(1, *)
        try v.require(total == decodeUpsampleRate, "decode_upsample_rate",
                      "(\(decodeUpsampleRate)) must equal the product of upsample_rates and upsampling_ratios (\(total))")
        try v.positive(inputSampleRate, "input_sample_rate")
        try v.positive(outputSampleRate, "output_sample_rate")
        try v.positive(encodeDownsampleRate, "encode_downsample_rate")
        let e = encoderConfig
        try v.require(encoderValidNumQuantizers > 0 && encoderValidNumQuantizers <= e.numQuantizers, "encoder_valid_num_quantizers",
                      "(\(encoderValidNumQuantizers)) must be in 1...encoder_config.num_quantizers (\(e.numQuantizers))")
        try v.require(encoderValidNumQuantizers == d.numQuantizers, "encoder_valid_num_quantizers",
                      "(\(encoderValidNumQuantizers)) must equal decoder_config.num_quantizers (\(d.numQuantizers))")
        try v.attention(heads: e.numAttentionHeads, kvHeads: e.numKeyValueHeads, headDim: e.headDim, prefix: "encoder_config.")
        try v.require(e.upsamplingRatios.allSatisfy { $0 > 0 }, "encoder_config.upsampling_ratios", "must be positive")
    }

    enum CodingKeys: String, CodingKey {
        case encoderConfig = "encoder_config"
        case decoderConfig = "decoder_config"
        case encoderValidNumQuantizers = "encoder_valid_num_quantizers"
        case inputSampleRate = "input_sample_rate"
        case outputSampleRate = "output_sample_rate"
        case decodeUpsampleRate = "decode_upsample_rate"
        case encodeDownsampleRate = "encode_downsample_rate"
    }
}
