// The complete tensor list (name, dtype, shape) of an official checkpoint, derived from its
// configuration. It mirrors the module tree of `Qwen3TTSForConditionalGeneration` (main
// model.safetensors) and `Qwen3TTSTokenizerV2Model` (speech_tokenizer/model.safetensors); the
// random-checkpoint maker writes exactly this list, and a test checks it against layouts dumped
// from the official classes (Tests/Fixtures/layouts).

/// One tensor of the official layout.
public struct TensorSpec: Sendable, Equatable {
    public let name: String
    public let dtype: DType
    public let shape: [Int]
}

public enum CheckpointLayout {
    /// Tensors of the main `model.safetensors` (stored bf16 in the released checkpoints).
    public static func model(_ config: ModelConfig, dtype: DType = .bf16) -> [TensorSpec] {
        var out: [TensorSpec] = []
        func add(_ name: String, _ shape: [Int]) { out.append(TensorSpec(name: name, dtype: dtype, shape: shape)) }
        let t = config.talkerConfig
        let h = t.hiddenSize
        add("talker.model.text_embedding.weight", [t.textVocabSize, t.textHiddenSize])
        add("talker.model.codec_embedding.weight", [t.vocabSize, h])
        decoderLayers("talker.model", hidden: h, heads: t.numAttentionHeads, kvHeads: t.numKeyValueHeads,
                      headDim: t.headDim, intermediate: t.intermediateSize, layers: t.numHiddenLayers, add: add)
        add("talker.model.norm.weight", [h])
        add("talker.text_projection.linear_fc1.weight", [t.textHiddenSize, t.textHiddenSize])
        add("talker.text_projection.linear_fc1.bias", [t.textHiddenSize])
        add("talker.text_projection.linear_fc2.weight", [h, t.textHiddenSize])
        add("talker.text_projection.linear_fc2.bias", [h])
        add("talker.codec_head.weight", [t.vocabSize, h])

        let cp = t.codePredictorConfig
        let p = "talker.code_predictor"
        if t.hasCodePredictorProjection {
            add("\(p).small_to_mtp_projection.weight", [cp.hiddenSize, h])
            add("\(p).small_to_mtp_projection.bias", [cp.hiddenSize])
        }
        for k in 0..<(t.numCodeGroups - 1) {
            add("\(p).model.codec_embedding.\(k).weight", [cp.vocabSize, h])
            add("\(p).lm_head.\(k).weight", [cp.vocabSize, cp.hiddenSize])
        }
        decoderLayers("\(p).model", hidden: cp.hiddenSize, heads: cp.numAttentionHeads, kvHeads: cp.numKeyValueHeads,
                      headDim: cp.headDim, intermediate: cp.intermediateSize, layers: cp.numHiddenLayers, add: add)
        add("\(p).model.norm.weight", [cp.hiddenSize])

        if config.ttsModelType == .base {
            let s = config.speakerEncoderConfig
            let ch = s.encChannels
            func conv(_ name: String, _ cout: Int, _ cin: Int, _ k: Int) {
                add("speaker_encoder.\(name).weight", [cout, cin, k])
                add("speaker_encoder.\(name).bias", [cout])
            }
            conv("blocks.0.conv", ch[0], s.melDim, s.encKernelSizes[0])
            for b in 1...3 {
                let width = ch[b] / s.encRes2netScale
                conv("blocks.\(b).tdnn1.conv", ch[b], ch[b - 1], 1)
                for j in 0..<(s.encRes2netScale - 1) {
                    conv("blocks.\(b).res2net_block.blocks.\(j).conv", width, width, s.encKernelSizes[b])
                }
                conv("blocks.\(b).tdnn2.conv", ch[b], ch[b], 1)
                conv("blocks.\(b).se_block.conv1", s.encSeChannels, ch[b], 1)
                conv("blocks.\(b).se_block.conv2", ch[b], s.encSeChannels, 1)
            }
            conv("mfa.conv", ch[4], ch[4], s.encKernelSizes[4])
            conv("asp.tdnn.conv", s.encAttentionChannels, ch[4] * 3, 1)
            conv("asp.conv", ch[4], s.encAttentionChannels, 1)
            conv("fc", s.encDim, ch[4] * 2, 1)
        }
        return out
    }

    /// Qwen3-style decoder layers (pre-norm, q/k-norm, SwiGLU) under `prefix.layers.N`.
    static func decoderLayers(_ prefix: String, hidden: Int, heads: Int, kvHeads: Int, headDim: Int,
                              intermediate: Int, layers: Int, add: (String, [Int]) -> Void) {
        for l in 0..<layers {
            let p = "\(prefix).layers.\(l)"
            add("\(p).input_layernorm.weight", [hidden])
            add("\(p).self_attn.q_proj.weight", [heads * headDim, hidden])
            add("\(p).self_attn.k_proj.weight", [kvHeads * headDim, hidden])
            add("\(p).self_attn.v_proj.weight", [kvHeads * headDim, hidden])
            add("\(p).self_attn.o_proj.weight", [hidden, heads * headDim])
            add("\(p).self_attn.q_norm.weight", [headDim])
            add("\(p).self_attn.k_norm.weight", [headDim])
            add("\(p).post_attention_layernorm.weight", [hidden])
            add("\(p).mlp.gate_proj.weight", [intermediate, hidden])
            add("\(p).mlp.up_proj.weight", [intermediate, hidden])
            add("\(p).mlp.down_proj.weight", [hidden, intermediate])
        }
    }

    /// Tensors of `speech_tokenizer/model.safetensors` (stored f32): codec encoder and decoder.
    public static func speechTokenizer(_ config: SpeechTokenizerConfig, dtype: DType = .f32) -> [TensorSpec] {
        var out: [TensorSpec] = []
        func add(_ name: String, _ shape: [Int]) { out.append(TensorSpec(name: name, dtype: dtype, shape: shape)) }
        func conv(_ name: String, _ cout: Int, _ cin: Int, _ k: Int, bias: Bool = true) {
            add("\(name).weight", [cout, cin, k])
            if bias { add("\(name).bias", [cout]) }
        }

        // Decoder (Qwen3TTSTokenizerV2Decoder).
        let d = config.decoderConfig
        let half = d.codebookDim / 2
        for (group, count) in [("rvq_first", 1), ("rvq_rest", d.numQuantizers - 1)] {
            let q = "decoder.quantizer.\(group)"
            for i in 0..<count {
                add("\(q).vq.layers.\(i)._codebook.cluster_usage", [d.codebookSize])
                add("\(q).vq.layers.\(i)._codebook.embedding_sum", [d.codebookSize, half])
            }
            conv("\(q).input_proj", half, d.codebookDim, 1, bias: false)
            conv("\(q).output_proj", d.codebookDim, half, 1, bias: false)
        }
        conv("decoder.pre_conv.conv", d.latentDim, d.codebookDim, 3)
        let t = "decoder.pre_transformer"
        add("\(t).input_proj.weight", [d.hiddenSize, d.latentDim])
        add("\(t).input_proj.bias", [d.hiddenSize])
        for l in 0..<d.numHiddenLayers {
            let p = "\(t).layers.\(l)"
            add("\(p).input_layernorm.weight", [d.hiddenSize])
            add("\(p).self_attn.q_proj.weight", [d.numAttentionHeads * d.headDim, d.hiddenSize])
            add("\(p).self_attn.k_proj.weight", [d.numKeyValueHeads * d.headDim, d.hiddenSize])
            add("\(p).self_attn.v_proj.weight", [d.numKeyValueHeads * d.headDim, d.hiddenSize])
            add("\(p).self_attn.o_proj.weight", [d.hiddenSize, d.numAttentionHeads * d.headDim])
            add("\(p).self_attn_layer_scale.scale", [d.hiddenSize])
            add("\(p).post_attention_layernorm.weight", [d.hiddenSize])
            add("\(p).mlp.gate_proj.weight", [d.intermediateSize, d.hiddenSize])
            add("\(p).mlp.up_proj.weight", [d.intermediateSize, d.hiddenSize])
            add("\(p).mlp.down_proj.weight", [d.hiddenSize, d.intermediateSize])
            add("\(p).mlp_layer_scale.scale", [d.hiddenSize])
        }
        add("\(t).norm.weight", [d.hiddenSize])
        add("\(t).output_proj.weight", [d.latentDim, d.hiddenSize])
        add("\(t).output_proj.bias", [d.latentDim])
        for (i, ratio) in d.upsamplingRatios.enumerated() {
            let u = "decoder.upsample.\(i)"
            add("\(u).0.conv.weight", [d.latentDim, d.latentDim, ratio])  // ConvTranspose1d [in, out, k]
            add("\(u).0.conv.bias", [d.latentDim])
            conv("\(u).1.dwconv.conv", d.latentDim, 1, 7)
            add("\(u).1.norm.weight", [d.latentDim])
            add("\(u).1.norm.bias", [d.latentDim])
            add("\(u).1.pwconv1.weight", [4 * d.latentDim, d.latentDim])
            add("\(u).1.pwconv1.bias", [4 * d.latentDim])
            add("\(u).1.pwconv2.weight", [d.latentDim, 4 * d.latentDim])
            add("\(u).1.pwconv2.bias", [d.latentDim])
            add("\(u).1.gamma", [d.latentDim])
        }
        conv("decoder.decoder.0.conv", d.decoderDim, d.latentDim, 7)
        for (i, rate) in d.upsampleRates.enumerated() {
            let cin = d.decoderDim >> i, cout = d.decoderDim >> (i + 1)
            let b = "decoder.decoder.\(i + 1).block"
            add("\(b).0.alpha", [cin])
            add("\(b).0.beta", [cin])
            add("\(b).1.conv.weight", [cin, cout, 2 * rate])  // ConvTranspose1d [in, out, k]
            add("\(b).1.conv.bias", [cout])
            for u in 2...4 {
                add("\(b).\(u).act1.alpha", [cout])
                add("\(b).\(u).act1.beta", [cout])
                conv("\(b).\(u).conv1.conv", cout, cout, 7)
                add("\(b).\(u).act2.alpha", [cout])
                add("\(b).\(u).act2.beta", [cout])
                conv("\(b).\(u).conv2.conv", cout, cout, 1)
            }
        }
        let n = d.upsampleRates.count
        add("decoder.decoder.\(n + 1).alpha", [d.decoderDim >> n])
        add("decoder.decoder.\(n + 1).beta", [d.decoderDim >> n])
        conv("decoder.decoder.\(n + 2).conv", 1, d.decoderDim >> n, 7)

        // Encoder (Hugging Face Mimi: SEANet, transformer, downsample, split RVQ).
        let e = config.encoderConfig
        var index = 0
        var channels = e.numFilters
        conv("encoder.encoder.layers.\(index).conv", channels, e.audioChannels, e.kernelSize)
        index += 1
        for ratio in e.upsamplingRatios.reversed() {
            for _ in 0..<e.numResidualLayers {
                conv("encoder.encoder.layers.\(index).block.1.conv", channels / e.compress, channels, e.residualKernelSize)
                conv("encoder.encoder.layers.\(index).block.3.conv", channels, channels / e.compress, 1)
                index += 1
            }
            index += 1  // ELU
            conv("encoder.encoder.layers.\(index).conv", channels * 2, channels, ratio * 2)
            index += 1
            channels *= 2
        }
        index += 1  // ELU
        conv("encoder.encoder.layers.\(index).conv", e.hiddenSize, channels, e.lastKernelSize)
        for l in 0..<e.numHiddenLayers {
            let p = "encoder.encoder_transformer.layers.\(l)"
            add("\(p).input_layernorm.weight", [e.hiddenSize])
            add("\(p).input_layernorm.bias", [e.hiddenSize])
            add("\(p).self_attn.q_proj.weight", [e.numAttentionHeads * e.headDim, e.hiddenSize])
            add("\(p).self_attn.k_proj.weight", [e.numKeyValueHeads * e.headDim, e.hiddenSize])
            add("\(p).self_attn.v_proj.weight", [e.numKeyValueHeads * e.headDim, e.hiddenSize])
            add("\(p).self_attn.o_proj.weight", [e.hiddenSize, e.numAttentionHeads * e.headDim])
            add("\(p).self_attn_layer_scale.scale", [e.hiddenSize])
            add("\(p).post_attention_layernorm.weight", [e.hiddenSize])
            add("\(p).post_attention_layernorm.bias", [e.hiddenSize])
            add("\(p).mlp.fc1.weight", [e.intermediateSize, e.hiddenSize])
            add("\(p).mlp.fc2.weight", [e.hiddenSize, e.intermediateSize])
            add("\(p).mlp_layer_scale.scale", [e.hiddenSize])
        }
        // Mimi downsamples 25 Hz -> 12.5 Hz with a stride-2 conv of kernel 4.
        conv("encoder.downsample.conv", e.hiddenSize, e.hiddenSize, 4, bias: false)
        for (group, count) in [("semantic", e.numSemanticQuantizers), ("acoustic", e.numQuantizers - e.numSemanticQuantizers)] {
            let q = "encoder.quantizer.\(group)_residual_vector_quantizer"
            if e.vectorQuantizationHiddenDimension != e.hiddenSize {
                conv("\(q).input_proj", e.vectorQuantizationHiddenDimension, e.hiddenSize, 1, bias: false)
                conv("\(q).output_proj", e.hiddenSize, e.vectorQuantizationHiddenDimension, 1, bias: false)
            }
            for i in 0..<count {
                add("\(q).layers.\(i).codebook.cluster_usage", [e.codebookSize])
                add("\(q).layers.\(i).codebook.embed_sum", [e.codebookSize, e.codebookDim])
                add("\(q).layers.\(i).codebook.initialized", [1])
            }
        }
        return out
    }
}
