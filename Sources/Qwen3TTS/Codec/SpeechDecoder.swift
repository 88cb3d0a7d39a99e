// The 12 Hz codec decoder: 16 codes per frame -> 1920 samples of 24 kHz audio.
// Upstream: `Qwen3TTSTokenizerV2Decoder` in core/tokenizer_12hz/modeling_qwen3_tts_tokenizer_v2.py.
//
//   split-RVQ dequantisation (codebook 0 and codebooks 1..15 each summed, then a 1x1 projection)
//   -> causal pre-conv (k 3) -> pre-transformer (RMSNorm, RoPE, causal sliding-window attention,
//   SwiGLU, layer scales) -> two x2 stages (transposed conv + ConvNeXt block) -> decoder.0 conv (k 7)
//   -> four blocks (SnakeBeta, transposed conv x r, residual units at dilations 1, 3, 9)
//   -> SnakeBeta -> conv (k 7) -> clamp to [-1, 1].
//
// Every layer is causal, so the whole network runs incrementally (see SpeechDecoderStream, which
// does all the computing). This file holds the weights and the official offline `decode`.

import Foundation

/// Invalid codec input.
public enum SpeechDecoderError: Error, CustomStringConvertible, Sendable, Equatable {
    case wrongCodeCount(frame: Int, found: Int, expected: Int)
    case codeOutOfRange(frame: Int, codebook: Int, code: Int, codebookSize: Int)

    public var description: String {
        switch self {
        case .wrongCodeCount(let f, let n, let e):
            return "codec frame \(f) has \(n) codes; the decoder needs exactly \(e) (one per codebook)"
        case .codeOutOfRange(let f, let q, let c, let size):
            return "codec frame \(f), codebook \(q): code \(c) is outside 0..<\(size)"
        }
    }
}

/// Decodes codec frames (16 codes each) to 24 kHz mono audio in [-1, 1].
public final class SpeechDecoder: @unchecked Sendable {
    public let config: CodecDecoderConfig
    public let backend: Backend
    /// Output sample rate (24000).
    public let sampleRate: Int
    /// Audio samples produced per codec frame (1920).
    public var samplesPerFrame: Int { (config.upsampleRates + config.upsamplingRatios).reduce(1, *) }

    // decoder.quantizer.{rvq_first,rvq_rest}.vq.layers.N._codebook: embedding_sum / clamp(cluster_usage, 1e-5),
    // all codebooks in order, each [codebook_size, codebook_dim / 2] f32.
    let codebooks: [Tensor]
    let firstProjection: Conv1dLayer  // decoder.quantizer.rvq_first.output_proj [codebook_dim, codebook_dim/2, 1]
    let restProjection: Conv1dLayer   // decoder.quantizer.rvq_rest.output_proj  [codebook_dim, codebook_dim/2, 1]
    let preConv: Conv1dLayer          // decoder.pre_conv.conv [latent, codebook_dim, 3]
    let transformerInput: Linear      // decoder.pre_transformer.input_proj [hidden, latent] + bias
    let transformer: TransformerStack // decoder.pre_transformer.{layers,norm}: RMSNorm, layer scales, sliding window
    let transformerOutput: Linear     // decoder.pre_transformer.output_proj [latent, hidden] + bias
    let upsample: [UpsampleStage]     // decoder.upsample.{0,1}
    let inputConv: Conv1dLayer        // decoder.decoder.0.conv [decoder_dim, latent, 7]
    let blocks: [DecoderBlock]        // decoder.decoder.{1..4}
    let finalSnake: Snake             // decoder.decoder.5.{alpha,beta} [decoder_dim >> 4]
    let outputConv: Conv1dLayer       // decoder.decoder.6.conv [1, decoder_dim >> 4, 7]

    /// Loads `directory` (a `speech_tokenizer` folder: config.json + model.safetensors).
    public init(directory: String, backend: Backend) throws {
        let cfg = try SpeechTokenizerConfig.load(path: (directory as NSString).appendingPathComponent("config.json"))
        let c = cfg.decoderConfig
        guard c.hiddenAct == "silu" else {
            throw ConfigurationError.invalid(path: directory + "/config.json", key: "decoder_config.hidden_act",
                                             reason: "must be \"silu\" (the only activation the official decoder uses), got \"\(c.hiddenAct)\"")
        }
        let w = try SafeTensorsCheckpoint(directory: directory)
        config = c
        self.backend = backend
        sampleRate = cfg.outputSampleRate

        func vector(_ name: String, _ n: Int) throws -> [Float] { try w.tensor(name, shape: [n], dtypes: floatWeightTypes).floats() }
        func conv(_ name: String, _ cout: Int, _ cin: Int, _ k: Int, dilation: Int = 1, groups: Int = 1, bias: Bool = true) throws -> Conv1dLayer {
            Conv1dLayer(weight: try w.tensor("\(name).weight", shape: [cout, cin / groups, k], dtypes: floatWeightTypes),
                        bias: bias ? try w.tensor("\(name).bias", shape: [cout], dtypes: floatWeightTypes) : nil,
                        dilation: dilation, groups: groups)
        }
        func transposed(_ name: String, _ cin: Int, _ cout: Int, kernel: Int, stride: Int) throws -> TransposedConv {
            TransposedConv(
                layer: ConvTranspose1dLayer(weight: try w.tensor("\(name).weight", shape: [cin, cout, kernel], dtypes: floatWeightTypes),
                                            bias: nil, stride: stride),
                bias: try vector("\(name).bias", cout))
        }
        func linear(_ name: String, _ out: Int, _ inp: Int, bias: Bool) throws -> Linear {
            Linear(weight: try w.tensor("\(name).weight", shape: [out, inp], dtypes: floatWeightTypes),
                   bias: bias ? try w.tensor("\(name).bias", shape: [out], dtypes: floatWeightTypes) : nil)
        }
        func snake(_ name: String, _ n: Int) throws -> Snake {
            Snake(logAlpha: try vector("\(name).alpha", n), logBeta: try vector("\(name).beta", n))
        }

        let half = c.codebookDim / 2
        var books: [Tensor] = []
        for (group, count) in [("rvq_first", 1), ("rvq_rest", c.numQuantizers - 1)] {
            for i in 0..<count {
                let p = "decoder.quantizer.\(group).vq.layers.\(i)._codebook"
                let sum = try w.tensor("\(p).embedding_sum", shape: [c.codebookSize, half], dtypes: floatWeightTypes).floats()
                let usage = try vector("\(p).cluster_usage", c.codebookSize)
                let book = FloatBuffer((0..<sum.count).map { sum[$0] / max(usage[$0 / half], 1e-5) })
                books.append(Tensor(dtype: .f32, shape: [c.codebookSize, half], data: UnsafeRawPointer(book.pointer), owner: book))
            }
        }
        codebooks = books
        firstProjection = try conv("decoder.quantizer.rvq_first.output_proj", c.codebookDim, half, 1, bias: false)
        restProjection = try conv("decoder.quantizer.rvq_rest.output_proj", c.codebookDim, half, 1, bias: false)
        preConv = try conv("decoder.pre_conv.conv", c.latentDim, c.codebookDim, 3)

        let t = "decoder.pre_transformer"
        transformerInput = try linear("\(t).input_proj", c.hiddenSize, c.latentDim, bias: true)
        transformer = try TransformerStack(w, prefix: t, geometry: TransformerGeometry(
            hidden: c.hiddenSize, intermediate: c.intermediateSize, layers: c.numHiddenLayers, heads: c.numAttentionHeads,
            kvHeads: c.numKeyValueHeads, headDim: c.headDim, eps: Float(c.rmsNormEps), ropeTheta: c.ropeTheta,
            qkNorm: false, layerScale: true, window: c.slidingWindow))
        transformerOutput = try linear("\(t).output_proj", c.latentDim, c.hiddenSize, bias: true)

        upsample = try c.upsamplingRatios.enumerated().map { i, ratio in
            let u = "decoder.upsample.\(i)", d = c.latentDim
            return UpsampleStage(
                conv: try transposed("\(u).0.conv", d, d, kernel: ratio, stride: ratio),
                dwconv: try conv("\(u).1.dwconv.conv", d, d, 7, groups: d),
                normWeight: try vector("\(u).1.norm.weight", d), normBias: try vector("\(u).1.norm.bias", d),
                pwconv1: try linear("\(u).1.pwconv1", 4 * d, d, bias: true),
                pwconv2: try linear("\(u).1.pwconv2", d, 4 * d, bias: true),
                gamma: try vector("\(u).1.gamma", d))
        }

        inputConv = try conv("decoder.decoder.0.conv", c.decoderDim, c.latentDim, 7)
        blocks = try c.upsampleRates.enumerated().map { i, rate in
            let cin = c.decoderDim >> i, cout = c.decoderDim >> (i + 1)
            let b = "decoder.decoder.\(i + 1).block"
            return DecoderBlock(
                snake: try snake("\(b).0", cin),
                conv: try transposed("\(b).1.conv", cin, cout, kernel: 2 * rate, stride: rate),
                units: try [1, 3, 9].enumerated().map { j, dilation in
                    let r = "\(b).\(j + 2)"
                    return ResidualUnit(act1: try snake("\(r).act1", cout),
                                        conv1: try conv("\(r).conv1.conv", cout, cout, 7, dilation: dilation),
                                        act2: try snake("\(r).act2", cout),
                                        conv2: try conv("\(r).conv2.conv", cout, cout, 1))
                })
        }
        let n = c.upsampleRates.count, outDim = c.decoderDim >> n
        finalSnake = try snake("decoder.decoder.\(n + 1)", outDim)
        outputConv = try conv("decoder.decoder.\(n + 2).conv", 1, outDim, 7)
    }

    /// A fresh incremental decoder over this model's weights (one per utterance or stream).
    public func makeStream() -> SpeechDecoderStream { SpeechDecoderStream(self) }

    /// Decodes a whole utterance, `frames[t]` being frame t's codes (codebook 0 first), exactly as
    /// the official `Qwen3TTSTokenizer.decode` does: chunks of 300 frames, each decoded from a fresh
    /// state with up to 25 frames of left context whose audio is then dropped. (The context is an
    /// approximation upstream, so beyond 300 frames this differs slightly from one unchunked pass,
    /// which is what a `SpeechDecoderStream` computes.)
    public func decode(_ frames: [[Int]]) throws -> [Float] {
        try validate(frames)
        let chunkSize = 300, leftContext = 25
        let stream = makeStream()
        var audio: [Float] = []
        audio.reserveCapacity(frames.count * samplesPerFrame)
        var start = 0
        while start < frames.count {
            let end = min(start + chunkSize, frames.count)
            let context = start - leftContext > 0 ? leftContext : start  // upstream's exact condition
            stream.reset()
            // Pushing a chunk in slices computes the same as one pass (everything is causal) while
            // keeping the activations small: [channels, samples] buffers at 1920 samples per frame.
            var skip = context * samplesPerFrame
            var s = start - context
            while s < end {
                let e = min(s + Self.offlineSliceFrames, end)
                let piece = try stream.push(Array(frames[s..<e]))
                audio.append(contentsOf: piece.dropFirst(skip))
                skip = max(0, skip - piece.count)
                s = e
            }
            start = end
        }
        return audio
    }

    /// Frames per pass in `decode`: large enough to keep the GEMMs efficient, small enough that the
    /// widest activation (96 channels x 1920 samples per frame) stays a few tens of MB.
    static let offlineSliceFrames = 32

    /// Checks every frame has one code per codebook, each inside the codebook.
    func validate(_ frames: [[Int]]) throws {
        for (t, frame) in frames.enumerated() {
            guard frame.count == config.numQuantizers else {
                throw SpeechDecoderError.wrongCodeCount(frame: t, found: frame.count, expected: config.numQuantizers)
            }
            for (q, code) in frame.enumerated() where code < 0 || code >= config.codebookSize {
                throw SpeechDecoderError.codeOutOfRange(frame: t, codebook: q, code: code, codebookSize: config.codebookSize)
            }
        }
    }
}

// MARK: - Weights

extension SpeechDecoder {
    /// SnakeBeta parameters, stored in log space: x + 1/(exp(beta)+1e-9) * sin²(exp(alpha) * x).
    struct Snake {
        let logAlpha: [Float]  // .alpha [C]
        let logBeta: [Float]   // .beta  [C]
    }

    /// A ConvTranspose1d with its bias kept apart: streaming carries the unbiased overlap into the
    /// next call, and adding the bias once at the end makes that bit-identical to one pass.
    struct TransposedConv {
        let layer: ConvTranspose1dLayer  // .weight [in, out, kernel], loaded without bias
        let bias: [Float]                // .bias [out]
    }

    /// decoder.upsample.i: ConvTranspose1d (kernel = stride = ratio) then a ConvNeXt block:
    /// x + gamma * pwconv2(gelu(pwconv1(LayerNorm(dwconv(x))))).
    struct UpsampleStage {
        let conv: TransposedConv        // .0.conv [latent, latent, ratio]
        let dwconv: Conv1dLayer         // .1.dwconv.conv [latent, 1, 7], depthwise, causal
        let normWeight, normBias: [Float]  // .1.norm [latent], eps 1e-6
        let pwconv1: Linear             // .1.pwconv1 [4*latent, latent] + bias
        let pwconv2: Linear             // .1.pwconv2 [latent, 4*latent] + bias
        let gamma: [Float]              // .1.gamma [latent]
    }

    /// y = x + conv2(Snake(conv1(Snake(x)))), conv1 k 7 dilated and causal, conv2 1x1.
    struct ResidualUnit {
        let act1: Snake          // .act1 [C]
        let conv1: Conv1dLayer   // .conv1.conv [C, C, 7]
        let act2: Snake          // .act2 [C]
        let conv2: Conv1dLayer   // .conv2.conv [C, C, 1]
    }

    /// decoder.decoder.i: SnakeBeta, ConvTranspose1d(k 2r, stride r, last r samples trimmed), 3 residual units.
    struct DecoderBlock {
        let snake: Snake                // .block.0 [C_in]
        let conv: TransposedConv        // .block.1.conv [C_in, C_out, 2r]
        let units: [ResidualUnit]       // .block.{2,3,4}, dilations 1, 3, 9
    }
}
