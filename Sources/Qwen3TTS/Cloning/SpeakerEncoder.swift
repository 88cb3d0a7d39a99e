// The x-vector speaker encoder of the Base models (ECAPA-TDNN without BatchNorm). Upstream:
// `Qwen3TTSSpeakerEncoder` with `TimeDelayNetBlock`, `Res2NetBlock`, `SqueezeExcitationBlock`,
// `SqueezeExcitationRes2NetBlock` and `AttentiveStatisticsPooling` in modeling_qwen3_tts.py.
// mels [T, 128] -> TDNN -> 3 SE-Res2Net blocks -> MFA (concat + TDNN) -> attentive statistics
// pooling -> 1x1 conv -> x-vector [enc_dim]. Activations are channels-first [C, T].

import Foundation

/// Input the speaker encoder cannot embed.
public enum SpeakerEncoderError: Error, CustomStringConvertible, Sendable {
    case wrongMelWidth(got: Int, expected: Int)
    case tooFewFrames(frames: Int, minimum: Int)

    public var description: String {
        switch self {
        case .wrongMelWidth(let g, let e):
            return "speaker encoder input has \(g) mel bins per frame, expected \(e)"
        case .tooFewFrames(let f, let m):
            return "reference audio too short for the speaker encoder: \(f) mel frames, need at least \(m) (about \(m * 256) samples at 24 kHz)"
        }
    }
}

/// Extracts the speaker embedding (x-vector) that Base models put in the speaker slot of the prompt.
public final class SpeakerEncoder: @unchecked Sendable {
    public let config: SpeakerEncoderConfig
    /// The fewest mel frames the reflect "same" padding of every convolution accepts.
    public let minimumFrames: Int
    private let backend: Backend
    private let mel = MelSpectrogram.speakerEncoder

    private let block0: Conv1dLayer              // blocks.0.conv [C0, mel_dim, k0]
    private let seBlocks: [SERes2NetBlock]       // blocks.1...3
    private let mfa: Conv1dLayer                 // mfa.conv [C4, C4, k4]
    private let aspTDNN: Conv1dLayer             // asp.tdnn.conv [attention, 3*C4, 1]
    private let aspConv: Conv1dLayer             // asp.conv [C4, attention, 1]
    private let fc: Conv1dLayer                  // fc [enc_dim, 2*C4, 1]

    /// Loads `speaker_encoder.*` from the main checkpoint of a Base model.
    public init(checkpoint w: SafeTensorsCheckpoint, config c: SpeakerEncoderConfig, backend: Backend) throws {
        config = c
        self.backend = backend
        func conv(_ name: String, _ cout: Int, _ cin: Int, _ k: Int, dilation: Int = 1) throws -> Conv1dLayer {
            let p = "speaker_encoder.\(name)"
            return Conv1dLayer(weight: try w.tensor("\(p).weight", shape: [cout, cin, k], dtypes: floatWeightTypes),
                               bias: try w.tensor("\(p).bias", shape: [cout], dtypes: floatWeightTypes), dilation: dilation)
        }
        let ch = c.encChannels, ks = c.encKernelSizes, ds = c.encDilations
        block0 = try conv("blocks.0.conv", ch[0], c.melDim, ks[0], dilation: ds[0])
        seBlocks = try (1...3).map { b in
            let width = ch[b] / c.encRes2netScale
            return SERes2NetBlock(
                tdnn1: try conv("blocks.\(b).tdnn1.conv", ch[b], ch[b - 1], 1),
                res2net: try (0..<(c.encRes2netScale - 1)).map {
                    try conv("blocks.\(b).res2net_block.blocks.\($0).conv", width, width, ks[b], dilation: ds[b])
                },
                tdnn2: try conv("blocks.\(b).tdnn2.conv", ch[b], ch[b], 1),
                se1: try conv("blocks.\(b).se_block.conv1", c.encSeChannels, ch[b], 1),
                se2: try conv("blocks.\(b).se_block.conv2", ch[b], c.encSeChannels, 1))
        }
        mfa = try conv("mfa.conv", ch[4], ch[4], ks[4], dilation: ds[4])
        aspTDNN = try conv("asp.tdnn.conv", c.encAttentionChannels, ch[4] * 3, 1)
        aspConv = try conv("asp.conv", ch[4], c.encAttentionChannels, 1)
        fc = try conv("fc", c.encDim, ch[4] * 2, 1)
        // torch's reflect padding requires each side's pad to be smaller than the input length.
        minimumFrames = zip(ks, ds).map { k, d in (d * (k - 1) + 1) / 2 + 1 }.max()!
    }

    /// The x-vector [enc_dim] of 24 kHz mono samples (log-mel front-end included).
    public func embed(samples24k: [Float]) throws -> [Float] {
        try embed(mels: try mel.compute(samples24k))
    }

    /// The x-vector [enc_dim] of log-mel features [frames][mel_dim].
    public func embed(mels: [[Float]]) throws -> [Float] {
        let t = mels.count
        if let bad = mels.first(where: { $0.count != config.melDim }) {
            throw SpeakerEncoderError.wrongMelWidth(got: bad.count, expected: config.melDim)
        }
        guard t >= minimumFrames else { throw SpeakerEncoderError.tooFewFrames(frames: t, minimum: minimumFrames) }
        let x = FloatBuffer(count: config.melDim * t)
        for (f, row) in mels.enumerated() { for m in 0..<config.melDim { x[m * t + f] = row[m] } }

        var h = tdnn(block0, x.pointer, length: t)
        // MFA concatenates the three SE-Res2Net outputs along channels; channels-first makes that a contiguous copy.
        let ch = config.encChannels
        let mfaIn = FloatBuffer(count: ch[4] * t)
        var offset = 0
        for block in seBlocks {
            h = seRes2Net(block, h, length: t)
            (mfaIn.pointer + offset).update(from: h.pointer, count: h.count)
            offset += h.count
        }
        let features = tdnn(mfa, mfaIn.pointer, length: t)
        let pooled = attentiveStatistics(features, channels: ch[4], length: t)
        var out = [Float](repeating: 0, count: config.encDim)
        pooled.withUnsafeBufferPointer { p in
            out.withUnsafeMutableBufferPointer { backend.conv1d(fc, p.baseAddress!, length: 1, padLeft: 0, padRight: 0, $0.baseAddress!) }
        }
        return out
    }

    // MARK: - Layers

    /// conv (PyTorch padding="same", padding_mode="reflect") + optional ReLU.
    private func tdnn(_ l: Conv1dLayer, _ x: UnsafePointer<Float>, length t: Int, relu: Bool = true) -> FloatBuffer {
        let total = l.dilation * (l.kernelSize - 1)
        let left = total / 2, right = total - left
        let y = FloatBuffer(count: l.outChannels * t)
        if total == 0 {
            backend.conv1d(l, x, length: t, padLeft: 0, padRight: 0, y.pointer)
        } else {
            let padded = FloatBuffer(count: l.inChannels * (t + total))
            let tp = t + total
            for c in 0..<l.inChannels {
                let src = x + c * t, dst = padded.pointer + c * tp
                for i in 0..<left { dst[i] = src[left - i] }
                (dst + left).update(from: src, count: t)
                for i in 0..<right { dst[left + t + i] = src[t - 2 - i] }
            }
            backend.conv1d(l, padded.pointer, length: tp, padLeft: 0, padRight: 0, y.pointer)
        }
        if relu { for i in 0..<y.count where y[i] < 0 { y[i] = 0 } }
        return y
    }

    /// TDNN -> Res2Net -> TDNN -> squeeze-excitation, plus the block input.
    private func seRes2Net(_ b: SERes2NetBlock, _ input: FloatBuffer, length t: Int) -> FloatBuffer {
        let x = tdnn(b.tdnn1, input.pointer, length: t)
        // Res2Net: chunk 0 passes through; chunk i>0 goes through its TDNN after adding the previous chunk's output.
        let width = x.count / t / (b.res2net.count + 1)
        let chunk = width * t
        let r = FloatBuffer(count: x.count)
        r.pointer.update(from: x.pointer, count: chunk)
        for (i, layer) in b.res2net.enumerated() {
            let part = x.pointer + (i + 1) * chunk
            if i > 0 { backend.add(part, r.pointer + i * chunk, count: chunk) }
            let y = tdnn(layer, part, length: t)
            (r.pointer + (i + 1) * chunk).update(from: y.pointer, count: chunk)
        }
        let h = tdnn(b.tdnn2, r.pointer, length: t)
        // Squeeze-excitation: per-channel gate from the time average.
        let channels = b.tdnn2.outChannels
        var mean = [Float](repeating: 0, count: channels)
        for c in 0..<channels {
            var s: Double = 0
            for i in 0..<t { s += Double(h[c * t + i]) }
            mean[c] = Float(s / Double(t))
        }
        let squeezed = tdnn(b.se1, mean, length: 1)
        let gate = tdnn(b.se2, squeezed.pointer, length: 1, relu: false)
        for c in 0..<channels {
            let g = 1 / (1 + expf(-gate[c]))
            for i in 0..<t { h[c * t + i] *= g }
        }
        backend.add(h.pointer, input.pointer, count: h.count)
        return h
    }

    /// Attentive statistics pooling: [C, T] -> [mean_w; std_w] (2C). The official code builds an all-ones
    /// mask for batch size 1, so the first statistics are plain means over time and nothing is masked.
    private func attentiveStatistics(_ x: FloatBuffer, channels: Int, length t: Int) -> [Float] {
        let eps = 1e-12
        let attnIn = FloatBuffer(count: 3 * channels * t)
        attnIn.pointer.update(from: x.pointer, count: channels * t)
        for c in 0..<channels {
            let row = x.pointer + c * t
            var s: Double = 0
            for i in 0..<t { s += Double(row[i]) }
            let mean = s / Double(t)
            var v: Double = 0
            for i in 0..<t { v += (Double(row[i]) - mean) * (Double(row[i]) - mean) }
            let std = max(v / Double(t), eps).squareRoot()
            for i in 0..<t {
                attnIn[(channels + c) * t + i] = Float(mean)
                attnIn[(2 * channels + c) * t + i] = Float(std)
            }
        }
        let hidden = tdnn(aspTDNN, attnIn.pointer, length: t)
        for i in 0..<hidden.count { hidden[i] = tanhf(hidden[i]) }
        let logits = tdnn(aspConv, hidden.pointer, length: t, relu: false)

        var pooled = [Float](repeating: 0, count: 2 * channels)
        var weights = [Double](repeating: 0, count: t)
        for c in 0..<channels {
            // Softmax over time for this channel, then the weighted mean and standard deviation.
            let a = logits.pointer + c * t, row = x.pointer + c * t
            var peak = -Float.infinity
            for i in 0..<t { peak = max(peak, a[i]) }
            var sum: Double = 0
            for i in 0..<t { weights[i] = Double(expf(a[i] - peak)); sum += weights[i] }
            var mean: Double = 0
            for i in 0..<t { weights[i] /= sum; mean += weights[i] * Double(row[i]) }
            var v: Double = 0
            for i in 0..<t { v += weights[i] * (Double(row[i]) - mean) * (Double(row[i]) - mean) }
            pooled[c] = Float(mean)
            pooled[channels + c] = Float(max(v, eps).squareRoot())
        }
        return pooled
    }
}

/// Weights of one `SqueezeExcitationRes2NetBlock` (`speaker_encoder.blocks.{1,2,3}`).
private struct SERes2NetBlock {
    let tdnn1: Conv1dLayer      // tdnn1.conv [C, C_prev, 1]
    let res2net: [Conv1dLayer]  // res2net_block.blocks.j.conv [C/scale, C/scale, k], dilation d
    let tdnn2: Conv1dLayer      // tdnn2.conv [C, C, 1]
    let se1: Conv1dLayer        // se_block.conv1 [se, C, 1]
    let se2: Conv1dLayer        // se_block.conv2 [C, se, 1]
}
