// The codec encoder that turns a 24 kHz reference recording into 12.5 Hz frames of 16 codes (for ICL
// voice cloning). Upstream: `Qwen3TTSTokenizerV2Model.encode` -> `Qwen3TTSTokenizerV2Encoder`, which is
// Hugging Face `MimiModel` (transformers 4.57.3 modeling_mimi.py): `MimiEncoder` (SEANet, causal convs),
// `MimiTransformerModel` (encoder_transformer), the stride-2 `downsample` conv, and
// `MimiSplitResidualVectorQuantizer.encode`; the first `encoder_valid_num_quantizers` codes are kept and
// trimmed to ceil(samples / encode_downsample_rate) frames.

import Foundation

/// A speech-tokenizer folder the encoder cannot use, or audio it cannot encode.
public enum SpeechEncoderError: Error, CustomStringConvertible, Sendable {
    case emptyAudio
    case unsupported(path: String, key: String, value: String)

    public var description: String {
        switch self {
        case .emptyAudio: return "cannot encode empty audio: the reference needs at least one sample"
        case .unsupported(let p, let k, let v): return "unsupported codec encoder setting in \(p): \(k) = \(v)"
        }
    }
}

/// Encodes 24 kHz mono audio into codec frames of `encoder_valid_num_quantizers` codes.
public final class SpeechEncoder: @unchecked Sendable {
    public let config: SpeechTokenizerConfig
    private let backend: Backend
    private let seanet: [SEANetLayer]
    private let transformer: TransformerStack  // encoder.encoder_transformer.layers.*: LayerNorm, GELU MLP, layer scales
    private let downsample: Conv1dLayer  // encoder.downsample.conv.weight [hidden, hidden, 2·(25 Hz / 12.5 Hz)], stride 2
    private let semantic: ResidualQuantizer
    private let acoustic: ResidualQuantizer

    /// Loads the encoder half of a `speech_tokenizer/` folder (config.json + model.safetensors).
    public init(directory: String, backend: Backend) throws {
        let configPath = (directory as NSString).appendingPathComponent("config.json")
        config = try SpeechTokenizerConfig.load(path: configPath)
        try SpeechEncoder.checkUnmodelledKeys(configPath)
        self.backend = backend
        let w = try SafeTensorsCheckpoint(directory: directory)
        let e = config.encoderConfig

        func conv(_ name: String, _ cout: Int, _ cin: Int, _ k: Int, stride: Int = 1, dilation: Int = 1, bias: Bool = true) throws -> Conv1dLayer {
            let b: Tensor? = bias ? try w.tensor("\(name).bias", shape: [cout], dtypes: floatWeightTypes) : nil
            return Conv1dLayer(weight: try w.tensor("\(name).weight", shape: [cout, cin, k], dtypes: floatWeightTypes),
                               bias: b, stride: stride, dilation: dilation)
        }
        // SEANet, in the order of `MimiEncoder.layers` (ELUs take an index too).
        var layers: [SEANetLayer] = []
        var channels = e.numFilters
        func name(_ suffix: String) -> String { "encoder.encoder.layers.\(layers.count)\(suffix)" }
        layers.append(.conv(try conv(name(".conv"), channels, e.audioChannels, e.kernelSize)))  // [filters, 1, 7]
        for ratio in e.upsamplingRatios.reversed() {
            for j in 0..<e.numResidualLayers {
                let hidden = channels / e.compress
                let dilation = Int(pow(Double(e.dilationGrowthRate), Double(j)))
                layers.append(.residual(
                    try conv(name(".block.1.conv"), hidden, channels, e.residualKernelSize, dilation: dilation),  // [C/2, C, 3]
                    try conv(name(".block.3.conv"), channels, hidden, 1)))                                       // [C, C/2, 1]
            }
            layers.append(.elu)
            layers.append(.conv(try conv(name(".conv"), channels * 2, channels, ratio * 2, stride: ratio)))    // [2C, C, 2r]
            channels *= 2
        }
        layers.append(.elu)
        layers.append(.conv(try conv(name(".conv"), e.hiddenSize, channels, e.lastKernelSize)))              // [hidden, C, 3]
        seanet = layers

        // Full causal attention (window 0): in transformers 4.57.3 the eager/sdpa Mimi path builds its
        // mask with `create_causal_mask`, which ignores `sliding_window` (only flash-attention-2 applies it).
        transformer = try TransformerStack(w, prefix: "encoder.encoder_transformer", geometry: TransformerGeometry(
            hidden: e.hiddenSize, intermediate: e.intermediateSize, layers: e.numHiddenLayers, heads: e.numAttentionHeads,
            kvHeads: e.numKeyValueHeads, headDim: e.headDim, eps: Float(e.normEps), ropeTheta: e.ropeTheta,
            norm: .layer, qkNorm: false, mlp: .gelu, layerScale: true, window: 0, finalNorm: false))

        // MimiModel: kernel 2·int(encodec_frame_rate / frame_rate), encodec_frame_rate = ceil(sr / hop).
        let hop = e.upsamplingRatios.reduce(1, *)
        let encodecRate = (Double(e.samplingRate) / Double(hop)).rounded(.up)
        downsample = try conv("encoder.downsample.conv", e.hiddenSize, e.hiddenSize, 2 * Int(encodecRate / e.frameRate),
                              stride: 2, bias: false)

        // HF compares the projected latent with the codebook directly, so the two widths must agree.
        guard e.codebookDim == e.vectorQuantizationHiddenDimension else {
            throw SpeechEncoderError.unsupported(path: configPath, key: "encoder_config.codebook_dim",
                                                 value: "\(e.codebookDim) (vector_quantization_hidden_dimension is \(e.vectorQuantizationHiddenDimension))")
        }
        let valid = config.encoderValidNumQuantizers
        let q = "encoder.quantizer"
        semantic = try ResidualQuantizer(w, prefix: "\(q).semantic_residual_vector_quantizer", e,
                                         layers: min(valid, e.numSemanticQuantizers))
        acoustic = try ResidualQuantizer(w, prefix: "\(q).acoustic_residual_vector_quantizer", e,
                                         layers: max(0, valid - e.numSemanticQuantizers))
    }

    /// MimiConfig keys that change the computation but are not in `CodecEncoderConfig`; only the values
    /// every released checkpoint uses are implemented.
    private static func checkUnmodelledKeys(_ path: String) throws {
        guard let data = FileManager.default.contents(atPath: path),
              let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let enc = root["encoder_config"] as? [String: Any] else { return }
        let expected = [("use_causal_conv", "true"), ("pad_mode", "constant"), ("use_conv_shortcut", "false"),
                        ("hidden_act", "gelu"), ("attention_bias", "false")]
        for (key, value) in expected {
            guard let v = enc[key] else { continue }
            let text = (v as? String) ?? ((v as? Bool).map { $0 ? "true" : "false" } ?? "\(v)")
            if text != value { throw SpeechEncoderError.unsupported(path: path, key: "encoder_config.\(key)", value: text) }
        }
    }

    /// Codes [frames][encoder_valid_num_quantizers] of 24 kHz mono samples, frames = ceil(samples / 1920).
    /// The official wrapper feeds one unpadded waveform (EncodecFeatureExtractor does not pad a single
    /// input), so nothing is added here either.
    public func encode(samples24k: [Float]) throws -> [[Int]] {
        guard !samples24k.isEmpty else { throw SpeechEncoderError.emptyAudio }
        let e = config.encoderConfig

        // SEANet, channels-first [C, T].
        var x = FloatBuffer(samples24k)
        var length = samples24k.count
        var channels = e.audioChannels
        for layer in seanet {
            switch layer {
            case .elu:
                backend.elu(x.pointer, count: channels * length)
            case .conv(let c):
                (x, length) = causalConv(c, x, length: length)
                channels = c.outChannels
            case .residual(let c1, let c2):
                let h = FloatBuffer(count: channels * length)
                h.pointer.update(from: x.pointer, count: h.count)
                backend.elu(h.pointer, count: h.count)
                var (y, _) = causalConv(c1, h, length: length)
                backend.elu(y.pointer, count: y.count)
                (y, _) = causalConv(c2, y, length: length)
                backend.add(x.pointer, y.pointer, count: x.count)
            }
        }

        // Transformer over rows [T, hidden].
        let d = e.hiddenSize
        let rows = FloatBuffer(count: length * d)
        backend.transpose(x.pointer, rows: channels, cols: length, into: rows.pointer)
        try transformer.forward(rows.pointer, segments: [Segment(cache: transformer.makeCache(capacity: length, backend: backend), rows: length)],
                                scratch: TransformerScratch(), backend: backend)
        backend.transpose(rows.pointer, rows: length, cols: d, into: x.pointer)

        // Downsample to 12.5 Hz: causal, but padded by repeating the edge frames (pad_mode="replicate").
        let k = downsample.kernelSize, s = downsample.stride
        let left = k - s, right = (length + s - 1) / s * s - length
        let padded = FloatBuffer(count: d * (left + length + right))
        let tp = left + length + right
        for c in 0..<d {
            let src = x.pointer + c * length, dst = padded.pointer + c * tp
            for i in 0..<left { dst[i] = src[0] }
            (dst + left).update(from: src, count: length)
            for i in 0..<right { dst[left + length + i] = src[length - 1] }
        }
        let frames = downsample.outputLength(tp, padLeft: 0, padRight: 0)
        let z = FloatBuffer(count: d * frames)
        backend.conv1d(downsample, padded.pointer, length: tp, padLeft: 0, padRight: 0, z.pointer)
        let latent = FloatBuffer(count: frames * d)
        backend.transpose(z.pointer, rows: d, cols: frames, into: latent.pointer)

        // Split RVQ: both quantizers start from the same latent (the acoustic one does not see the semantic residual).
        let semanticCodes = semantic.encode(latent, frames: frames, backend: backend)
        let acousticCodes = acoustic.encode(latent, frames: frames, backend: backend)
        let keep = min(frames, (samples24k.count + config.encodeDownsampleRate - 1) / config.encodeDownsampleRate)
        return (0..<keep).map { semanticCodes[$0] + acousticCodes[$0] }
    }

    /// `MimiConv1d` with causal zero padding: (k_eff - stride) on the left plus the right "extra" padding that
    /// completes the last window (`_get_extra_padding_for_conv1d`); the output has ceil(length / stride) frames.
    private func causalConv(_ c: Conv1dLayer, _ x: FloatBuffer, length: Int) -> (FloatBuffer, Int) {
        let kEff = c.dilation * (c.kernelSize - 1) + 1
        let left = kEff - c.stride
        let extra = (length + c.stride - 1) / c.stride * c.stride - length
        let out = c.outputLength(length, padLeft: left, padRight: extra)
        let y = FloatBuffer(count: c.outChannels * out)
        backend.conv1d(c, x.pointer, length: length, padLeft: left, padRight: extra, y.pointer)
        return (y, out)
    }
}

/// One entry of `MimiEncoder.layers`.
private enum SEANetLayer {
    case conv(Conv1dLayer)
    case elu
    /// `MimiResnetBlock`: x + conv2(elu(conv1(elu(x)))) (identity shortcut).
    case residual(Conv1dLayer, Conv1dLayer)
}

/// `MimiResidualVectorQuantizer.encode` over its first `layers` codebooks.
private final class ResidualQuantizer {
    let inputProj: Linear?      // input_proj.weight [vq_hidden, hidden, 1] (absent when vq_hidden == hidden)
    // layers.N.codebook.embed_sum [codebook_size, codebook_dim] / max(layers.N.codebook.cluster_usage [codebook_size], 1e-5)
    let codebooks: [Linear]
    let norms: [[Float]]        // ‖codebook vector‖² per entry
    let dim: Int

    init(_ w: SafeTensorsCheckpoint, prefix p: String, _ e: CodecEncoderConfig, layers: Int) throws {
        dim = e.vectorQuantizationHiddenDimension
        if dim != e.hiddenSize {
            let t = try w.tensor("\(p).input_proj.weight", shape: [dim, e.hiddenSize, 1], dtypes: floatWeightTypes)
            inputProj = Linear(weight: Tensor(dtype: t.dtype, shape: [dim, e.hiddenSize], data: t.data, owner: t.owner))
        } else {
            inputProj = nil
        }
        var books: [Linear] = [], norms: [[Float]] = []
        for i in 0..<layers {
            let c = "\(p).layers.\(i).codebook"
            let sum = try w.tensor("\(c).embed_sum", shape: [e.codebookSize, e.codebookDim], dtypes: floatWeightTypes).floats()
            let usage = try w.tensor("\(c).cluster_usage", shape: [e.codebookSize], dtypes: floatWeightTypes).floats()
            let table = FloatBuffer(count: e.codebookSize * dim)
            var norm = [Float](repeating: 0, count: e.codebookSize)
            for j in 0..<e.codebookSize {
                let u = max(usage[j], 1e-5)
                for m in 0..<dim {
                    table[j * dim + m] = sum[j * dim + m] / u
                    norm[j] += table[j * dim + m] * table[j * dim + m]
                }
            }
            books.append(Linear(weight: Tensor(dtype: .f32, shape: [e.codebookSize, dim], data: UnsafeRawPointer(table.pointer), owner: table)))
            norms.append(norm)
        }
        codebooks = books
        self.norms = norms
    }

    /// Codes [frames][layers] of latent rows [frames, hidden].
    func encode(_ latent: FloatBuffer, frames: Int, backend: Backend) -> [[Int]] {
        var codes = [[Int]](repeating: [], count: frames)
        guard !codebooks.isEmpty else { return codes }
        let residual = FloatBuffer(count: frames * dim)
        if let proj = inputProj {
            backend.linear(proj, latent.pointer, residual.pointer, rows: frames)
        } else {
            residual.pointer.update(from: latent.pointer, count: frames * dim)
        }
        let size = codebooks[0].outFeatures
        let dots = FloatBuffer(count: frames * size)
        for (book, norm) in zip(codebooks, norms) {
            backend.linear(book, residual.pointer, dots.pointer, rows: frames)
            for f in 0..<frames {
                let r = residual.pointer + f * dim
                var rr: Float = 0
                for m in 0..<dim { rr += r[m] * r[m] }
                // torch.cdist (p=2, more than 25 vectors) expands ‖x−y‖² = ‖x‖² − 2x·y + ‖y‖², clamps at 1e-30
                // and takes the root; argmin keeps the first of equal distances.
                var best = 0
                var bestDistance = Float.infinity
                for j in 0..<size {
                    let d = max(rr - 2 * dots[f * size + j] + norm[j], 1e-30).squareRoot()
                    if d < bestDistance { bestDistance = d; best = j }
                }
                codes[f].append(best)
                let vector = book.weight.data.assumingMemoryBound(to: Float.self) + best * dim
                for m in 0..<dim { r[m] -= vector[m] }
            }
        }
        return codes
    }
}
