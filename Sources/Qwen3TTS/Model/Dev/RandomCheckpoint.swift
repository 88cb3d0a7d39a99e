// Writes random-weight checkpoints in the exact official folder layout, at the real 0.6B / 1.7B
// dimensions (for benchmarks: random weights cost exactly what trained ones do) or at a tiny size
// (for tests and the built-in demo checkpoint). Same file names, key names, tensor names, dtypes
// (bf16 main model, f32 codec) and shapes as the released Hugging Face repos.

import Foundation

public enum RandomCheckpoint {
    /// Model dimensions to generate.
    public enum Shape: String, CaseIterable, Sendable {
        case tiny
        case size06B = "0.6b"
        case size17B = "1.7b"
    }

    /// Released model kinds; raw values are the command-line spellings.
    public enum Variant: String, CaseIterable, Sendable {
        case base
        case customVoice = "custom-voice"
        case voiceDesign = "voice-design"

        var kind: ModelKind {
            switch self {
            case .base: return .base
            case .customVoice: return .customVoice
            case .voiceDesign: return .voiceDesign
            }
        }
    }

    /// Codec language ids of the released 12 Hz checkpoints.
    static let languageIDs: [String: Int] = [
        "chinese": 2055, "english": 2050, "german": 2053, "italian": 2070, "portuguese": 2071, "spanish": 2054,
        "japanese": 2058, "korean": 2064, "french": 2061, "russian": 2069, "beijing_dialect": 2074,
        "sichuan_dialect": 2062,
    ]
    /// The nine CustomVoice speakers and their codec ids.
    static let speakerIDs: [String: Int] = [
        "aiden": 2861, "sohee": 2864, "ono_anna": 2873, "eric": 2875, "dylan": 2878, "uncle_fu": 3010,
        "ryan": 3061, "vivian": 3065, "serena": 3066,
    ]
    static let speakerDialects: [String: String] = ["eric": "sichuan_dialect", "dylan": "beijing_dialect"]

    /// The 33 Qwen added tokens, in Qwen's order (ids 151643... in the real vocabulary).
    static let addedTokens: [(String, Bool)] = [
        ("<|endoftext|>", true), ("<|im_start|>", true), ("<|im_end|>", true), ("<|object_ref_start|>", true),
        ("<|object_ref_end|>", true), ("<|box_start|>", true), ("<|box_end|>", true), ("<|quad_start|>", true),
        ("<|quad_end|>", true), ("<|vision_start|>", true), ("<|vision_end|>", true), ("<|vision_pad|>", true),
        ("<|image_pad|>", true), ("<|video_pad|>", true), ("<tool_call>", false), ("</tool_call>", false),
        ("<|fim_prefix|>", false), ("<|fim_middle|>", false), ("<|fim_suffix|>", false), ("<|fim_pad|>", false),
        ("<|repo_name|>", false), ("<|file_sep|>", false), ("<tool_response>", false), ("</tool_response>", false),
        ("<think>", false), ("</think>", false), ("<|audio_start|>", true), ("<|audio_end|>", true),
        ("<tts_pad>", true), ("<tts_text_bos>", true), ("<tts_text_eod>", true), ("<tts_text_bos_single>", true),
        ("<|audio_pad|>", true),
    ]

    /// Words the generated BPE learns as single tokens: the prompt template needs "assistant"
    /// and "user" to be one token each, exactly as in the real Qwen vocabulary.
    static let bpeWords = ["assistant", "user", "Ġthe", "Ġand", "Ġto", "Ġof", "Ġis", "Ġvoice", "Ġspeech", "Hello"]

    /// Writes a complete checkpoint folder to `directory` (created; must not already hold a checkpoint).
    /// With `weights: false` only the configuration and tokenizer files are written.
    public static func write(shape: Shape, variant: Variant, to directory: String, seed: UInt64 = 1234,
                             weights: Bool = true, log: (String) -> Void = { _ in }) throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: directory + "/speech_tokenizer", withIntermediateDirectories: true)

        // 1. Text tokenizer: byte-level BPE (256 byte symbols + merges for `bpeWords`) and the added tokens.
        var vocab: [String: Int] = [:]
        for b in 0...255 { vocab[ByteLevel.text(of: [UInt8(b)])] = vocab.count }
        var merges: [String] = []
        for word in bpeWords {
            var symbols = word.map { String($0) }
            while symbols.count > 1 {
                let merged = symbols[0] + symbols[1]
                if vocab[merged] == nil {
                    merges.append("\(symbols[0]) \(symbols[1])")
                    vocab[merged] = vocab.count
                }
                symbols = [merged] + symbols.dropFirst(2)
            }
        }
        let real = shape != .tiny
        let firstAdded = real ? 151643 : vocab.count
        let textVocabSize = real ? 151936 : (firstAdded + addedTokens.count + 63) / 64 * 64
        var addedDecoder: [String: Any] = [:]
        var addedID: [String: Int] = [:]
        for (i, (content, special)) in addedTokens.enumerated() {
            addedID[content] = firstAdded + i
            addedDecoder[String(firstAdded + i)] = [
                "content": content, "lstrip": false, "normalized": false, "rstrip": false,
                "single_word": false, "special": special,
            ] as [String: Any]
        }
        try writeJSON(vocab, to: directory + "/vocab.json")
        try ("#version: 0.2\n" + merges.joined(separator: "\n") + "\n").write(
            toFile: directory + "/merges.txt", atomically: true, encoding: .utf8)
        try writeJSON([
            "add_bos_token": false, "add_prefix_space": false, "added_tokens_decoder": addedDecoder,
            "bos_token": NSNull(), "clean_up_tokenization_spaces": false, "eos_token": "<|im_end|>",
            "errors": "replace", "model_max_length": 131072, "pad_token": "<|endoftext|>",
            "split_special_tokens": false, "tokenizer_class": "Qwen2Tokenizer", "unk_token": NSNull(),
        ] as [String: Any], to: directory + "/tokenizer_config.json")

        // 2. Configurations.
        let dims = Dimensions(shape)
        var talker: [String: Any] = [
            "hidden_size": dims.hidden, "intermediate_size": dims.intermediate, "num_hidden_layers": dims.layers,
            "num_attention_heads": dims.heads, "num_key_value_heads": dims.kvHeads, "head_dim": dims.headDim,
            "text_hidden_size": dims.textHidden, "text_vocab_size": textVocabSize, "vocab_size": 3072,
            "num_code_groups": 16, "hidden_act": "silu", "max_position_embeddings": 32768, "rms_norm_eps": 1e-6,
            "rope_theta": 1_000_000, "attention_bias": false, "use_sliding_window": false,
            "position_id_per_seconds": 13, "model_type": "qwen3_tts_talker",
            "rope_scaling": ["interleaved": true, "mrope_section": dims.mropeSection, "rope_type": "default"] as [String: Any],
            "codec_bos_id": 2149, "codec_eos_token_id": 2150, "codec_pad_id": 2148, "codec_think_id": 2154,
            "codec_nothink_id": 2155, "codec_think_bos_id": 2156, "codec_think_eos_id": 2157,
            "codec_language_id": languageIDs,
            "code_predictor_config": [
                "hidden_size": dims.cpHidden, "intermediate_size": dims.cpIntermediate, "num_hidden_layers": dims.cpLayers,
                "num_attention_heads": dims.cpHeads, "num_key_value_heads": dims.cpKvHeads, "head_dim": dims.headDim,
                "vocab_size": 2048, "num_code_groups": 16, "hidden_act": "silu", "max_position_embeddings": 65536,
                "rms_norm_eps": 1e-6, "rope_theta": 1_000_000, "attention_bias": false, "use_sliding_window": false,
                "rope_scaling": NSNull(), "model_type": "qwen3_tts_talker_code_predictor",
            ] as [String: Any],
        ]
        let customVoice = variant == .customVoice
        talker["spk_id"] = customVoice ? speakerIDs : [String: Int]()
        var dialects: [String: Any] = [:]
        if customVoice { for s in speakerIDs.keys { dialects[s] = speakerDialects[s] ?? false } }
        talker["spk_is_dialect"] = dialects
        let sizeLabel = (shape == .size17B || variant == .voiceDesign) ? "1b7" : "0b6"
        let configObject: [String: Any] = [
            "architectures": ["Qwen3TTSForConditionalGeneration"], "model_type": "qwen3_tts",
            "tokenizer_type": "qwen3_tts_tokenizer_12hz", "tts_model_size": sizeLabel,
            "tts_model_type": variant.kind.rawValue, "dtype": "bfloat16",
            "im_start_token_id": addedID["<|im_start|>"]!, "im_end_token_id": addedID["<|im_end|>"]!,
            "tts_pad_token_id": addedID["<tts_pad>"]!, "tts_bos_token_id": addedID["<tts_text_bos>"]!,
            "tts_eos_token_id": addedID["<tts_text_eod>"]!, "assistant_token_id": vocab["assistant"]!,
            "talker_config": talker,
            "speaker_encoder_config": [
                "enc_dim": dims.hidden, "sample_rate": 24000, "mel_dim": 128, "enc_channels": dims.spkChannels,
                "enc_kernel_sizes": [5, 3, 3, 3, 1], "enc_dilations": [1, 2, 3, 4, 1],
                "enc_attention_channels": dims.spkAttention, "enc_res2net_scale": dims.spkScale,
                "enc_se_channels": dims.spkSE,
            ] as [String: Any],
        ]
        try writeJSON(configObject, to: directory + "/config.json")
        try writeJSON([
            "do_sample": true, "repetition_penalty": 1.05, "temperature": 0.9, "top_p": 1.0, "top_k": 50,
            "subtalker_dosample": true, "subtalker_temperature": 0.9, "subtalker_top_p": 1.0, "subtalker_top_k": 50,
            "max_new_tokens": 8192,
        ] as [String: Any], to: directory + "/generation_config.json")
        try writeJSON(["padding_side": "left", "padding_value": 0.0, "processor_class": "Qwen3TTSProcessor",
                       "return_attention_mask": true] as [String: Any], to: directory + "/preprocessor_config.json")
        try writeJSON(dims.speechTokenizerConfig, to: directory + "/speech_tokenizer/config.json")
        try writeJSON(["chunk_length_s": NSNull(), "feature_extractor_type": "EncodecFeatureExtractor", "feature_size": 1,
                       "overlap": NSNull(), "padding_side": "right", "padding_value": 0.0,
                       "return_attention_mask": true, "sampling_rate": 24000] as [String: Any],
                      to: directory + "/speech_tokenizer/preprocessor_config.json")
        try writeJSON(["framework": "pytorch", "task": "feature-extraction", "allow_remote": true] as [String: Any],
                      to: directory + "/speech_tokenizer/configuration.json")

        // 3. Weights, laid out from the configurations just written (so they cannot disagree).
        guard weights else { return }
        let model = try ModelConfig.load(path: directory + "/config.json")
        let codec = try SpeechTokenizerConfig.load(path: directory + "/speech_tokenizer/config.json")
        let mainSpecs = CheckpointLayout.model(model)
        log("writing \(mainSpecs.count) tensors to model.safetensors")
        try SafeTensorsWriter.write(mainSpecs.map { entry($0, seed: seed) }, metadata: ["format": "pt"],
                                    to: directory + "/model.safetensors")
        let codecSpecs = CheckpointLayout.speechTokenizer(codec)
        log("writing \(codecSpecs.count) tensors to speech_tokenizer/model.safetensors")
        try SafeTensorsWriter.write(codecSpecs.map { entry($0, seed: seed &+ 1) }, metadata: ["format": "pt"],
                                    to: directory + "/speech_tokenizer/model.safetensors")
    }

    /// A tensor filled with seeded random values whose scale follows the tensor's role
    /// (norm weights near 1, small biases, fan-in scaled matrices), so activations stay sane.
    static func entry(_ spec: TensorSpec, seed: UInt64) -> SafeTensorsWriter.Entry {
        SafeTensorsWriter.Entry(name: spec.name, dtype: spec.dtype, shape: spec.shape) { buffer in
            var rng = SplitMix64(seed: seed ^ fnv1a(spec.name))
            let leaf = spec.name.split(separator: ".").last.map(String.init) ?? ""
            let n = spec.shape.reduce(1, *)
            let fanIn = spec.shape.count > 1 ? spec.shape.dropFirst().reduce(1, *) : 1
            // Uniform(-a, a) has standard deviation a / sqrt(3).
            var center: Float = 0, halfWidth: Float
            if leaf == "cluster_usage" { center = 1.0; halfWidth = 0.5 }
            else if leaf == "embedding_sum" || leaf == "embed_sum" { halfWidth = 1.732 }
            else if leaf == "initialized" { center = 1; halfWidth = 0 }
            else if leaf == "alpha" || leaf == "beta" { halfWidth = 0.1732 }
            else if leaf == "scale" { center = 0.1; halfWidth = 0.05 }
            else if spec.shape.count == 1 && (spec.name.contains("norm") || leaf == "gamma") { center = 1; halfWidth = 0.1732 }
            else if spec.shape.count == 1 { halfWidth = 0.0346 }
            else if spec.name.contains("embedding") { halfWidth = 1.732 / Float(spec.shape.last!).squareRoot() }
            else { halfWidth = 1.732 / Float(fanIn).squareRoot() }
            // The random codec would saturate its final clamp; keep the waveform audible instead.
            if spec.name.hasPrefix("decoder.decoder."), leaf == "weight", spec.shape.first == 1 { halfWidth *= 0.003 }
            switch spec.dtype {
            case .bf16:
                let p = buffer.bindMemory(to: UInt16.self)
                for i in 0..<n { p[i] = floatToBF16(center + halfWidth * rng.nextSignedUnit()) }
            default:
                let p = buffer.bindMemory(to: Float.self)
                for i in 0..<n { p[i] = center + halfWidth * rng.nextSignedUnit() }
            }
        }
    }

    /// Per-shape dimensions (the real ones from the published configs; tiny as in the test fixtures).
    struct Dimensions {
        var hidden, intermediate, layers, heads, kvHeads, headDim, textHidden: Int
        var mropeSection: [Int]
        var cpHidden, cpIntermediate, cpLayers, cpHeads, cpKvHeads: Int
        var spkChannels: [Int]
        var spkAttention, spkScale, spkSE: Int
        var speechTokenizerConfig: [String: Any]

        init(_ shape: Shape) {
            let realDecoder: [String: Any] = [
                "hidden_size": 512, "intermediate_size": 1024, "num_hidden_layers": 8, "num_attention_heads": 16,
                "num_key_value_heads": 16, "head_dim": 64, "latent_dim": 1024, "codebook_dim": 512, "decoder_dim": 1536,
            ]
            let realEncoder: [String: Any] = [
                "hidden_size": 512, "num_filters": 64, "num_hidden_layers": 8, "num_attention_heads": 8,
                "num_key_value_heads": 8, "head_dim": 64, "intermediate_size": 2048, "codebook_dim": 256,
                "vector_quantization_hidden_dimension": 256, "upsample_groups": 512,
            ]
            switch shape {
            case .tiny:
                (hidden, intermediate, layers, heads, kvHeads, headDim, textHidden) = (64, 128, 2, 4, 2, 16, 32)
                mropeSection = [3, 3, 2]
                (cpHidden, cpIntermediate, cpLayers, cpHeads, cpKvHeads) = (32, 64, 2, 2, 1)
                spkChannels = [32, 32, 32, 32, 96]
                (spkAttention, spkScale, spkSE) = (16, 4, 16)
                speechTokenizerConfig = Self.codecConfig(
                    decoder: ["hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1, "num_attention_heads": 2,
                              "num_key_value_heads": 2, "head_dim": 16, "latent_dim": 32, "codebook_dim": 16,
                              "decoder_dim": 64],
                    encoder: ["hidden_size": 32, "num_filters": 8, "num_hidden_layers": 1, "num_attention_heads": 2,
                              "num_key_value_heads": 2, "head_dim": 16, "intermediate_size": 64, "codebook_dim": 16,
                              "vector_quantization_hidden_dimension": 16, "upsample_groups": 32])
            case .size06B, .size17B:
                let big = shape == .size17B
                (hidden, intermediate, layers, heads, kvHeads, headDim, textHidden) =
                    (big ? 2048 : 1024, big ? 6144 : 3072, 28, 16, 8, 128, 2048)
                mropeSection = [24, 20, 20]
                (cpHidden, cpIntermediate, cpLayers, cpHeads, cpKvHeads) = (1024, 3072, 5, 16, 8)
                spkChannels = [512, 512, 512, 512, 1536]
                (spkAttention, spkScale, spkSE) = (128, 8, 128)
                speechTokenizerConfig = Self.codecConfig(decoder: realDecoder, encoder: realEncoder)
            }
        }

        static func codecConfig(decoder: [String: Any], encoder: [String: Any]) -> [String: Any] {
            let dec = decoder.merging([
                "codebook_size": 2048, "rope_theta": 10000, "attention_bias": false, "sliding_window": 72,
                "hidden_act": "silu", "layer_scale_initial_scale": 0.01, "rms_norm_eps": 1e-5, "num_quantizers": 16,
                "num_semantic_quantizers": 1, "semantic_codebook_size": 4096, "upsample_rates": [8, 5, 4, 3],
                "upsampling_ratios": [2, 2], "max_position_embeddings": 8000, "attention_dropout": 0.0,
                "vector_quantization_hidden_dimension": decoder["codebook_dim"]!,
            ] as [String: Any]) { a, _ in a }
            let enc = encoder.merging([
                "audio_channels": 1, "sampling_rate": 24000, "frame_rate": 12.5, "kernel_size": 7,
                "residual_kernel_size": 3, "last_kernel_size": 3, "num_residual_layers": 1, "compress": 2,
                "dilation_growth_rate": 2, "upsampling_ratios": [8, 6, 5, 4], "hidden_act": "gelu", "norm_eps": 1e-5,
                "layer_scale_initial_scale": 0.01, "rope_theta": 10000.0, "max_position_embeddings": 8000,
                "sliding_window": 250, "num_quantizers": 32, "num_semantic_quantizers": 1, "codebook_size": 2048,
                "pad_mode": "constant", "use_causal_conv": true, "use_conv_shortcut": false, "trim_right_ratio": 1.0,
            ] as [String: Any]) { a, _ in a }
            return [
                "architectures": ["Qwen3TTSTokenizerV2Model"], "model_type": "qwen3_tts_tokenizer_12hz",
                "encoder_config": enc, "decoder_config": dec, "encoder_valid_num_quantizers": 16,
                "input_sample_rate": 24000, "output_sample_rate": 24000, "decode_upsample_rate": 1920,
                "encode_downsample_rate": 1920, "dtype": "float32",
            ]
        }
    }

    static func writeJSON(_ object: Any, to path: String) throws {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        try data.write(to: URL(fileURLWithPath: path))
    }

    static func fnv1a(_ s: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }
}

/// SplitMix64: a tiny, fast, seedable generator (Steele et al.), good enough for random weights
/// and reproducible sampling.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [-1, 1).
    @inline(__always)
    public mutating func nextSignedUnit() -> Float {
        Float(Int32(truncatingIfNeeded: next() >> 32)) * (1.0 / 2_147_483_648.0)
    }
}
