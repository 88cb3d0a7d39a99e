// Incremental codec decoding: the same network as `SpeechDecoder`, run on however many frames
// arrive, carrying exactly the state the causal layers need between calls, so no frame is decoded
// twice and the result equals one pass over the whole utterance:
//   - every causal conv keeps its last (kernel-1)*dilation input samples (zeros at the start, as
//     upstream's left zero padding);
//   - every transposed conv keeps the response of its last input that spills past the samples
//     emitted so far (kernel - stride samples, which upstream trims from the end of the output);
//   - each pre-transformer layer keeps the keys and values of its last window-1 positions, the most
//     a future query can attend to; RoPE positions keep counting.
// The state is fixed however long the stream runs (about 5 MB at the released size, mostly the
// key/value window); scratch grows to the largest push. Offline `decode` runs on this too.

import Foundation

/// A stateful decoder for one utterance: `push` frames as they are generated and get their audio
/// (1920 samples per frame) straight away. Not thread-safe: use one stream per utterance.
public final class SpeechDecoderStream: @unchecked Sendable {
    let model: SpeechDecoder
    /// Frames pushed so far: the RoPE position of the next frame.
    public private(set) var position = 0
    /// When set, `push` adds the seconds each stage took (`dev decoder-bench` prints them).
    public var stageTimes: StageTimes?

    // Causal state, in network order.
    private let preConv: CausalConv
    private let upsampleConvs: [OverlapConv]
    private let dwconvs: [CausalConv]
    private let inputConv: CausalConv
    private let blockConvs: [OverlapConv]
    private let unitConvs: [[CausalConv]]  // conv1 of each residual unit (conv2 is 1x1: no state)
    private let outputConv: CausalConv
    /// The pre-transformer's keys and values: the last window-1 positions.
    private let cache: KVCache

    // Scratch, grown to the largest push seen and then reused.
    private var cur = FloatBuffer(count: 0), next = FloatBuffer(count: 0)
    private var tmpA = FloatBuffer(count: 0), tmpB = FloatBuffer(count: 0)
    private var joined = FloatBuffer(count: 0), full = FloatBuffer(count: 0)
    private var rows = FloatBuffer(count: 0), wide = FloatBuffer(count: 0)
    private let transformerScratch = TransformerScratch()

    init(_ model: SpeechDecoder) {
        self.model = model
        let b = model.backend
        preConv = CausalConv(model.preConv, b)
        upsampleConvs = model.upsample.map { OverlapConv($0.conv, b) }
        dwconvs = model.upsample.map { CausalConv($0.dwconv, b) }
        inputConv = CausalConv(model.inputConv, b)
        blockConvs = model.blocks.map { OverlapConv($0.conv, b) }
        unitConvs = model.blocks.map { $0.units.map { CausalConv($0.conv1, b) } }
        outputConv = CausalConv(model.outputConv, b)
        cache = model.transformer.makeCache(capacity: max(model.config.slidingWindow - 1, 1), backend: model.backend)
    }

    /// Decodes `frames` (each `num_quantizers` codes, codebook 0 first) following everything pushed
    /// before; returns exactly `frames.count * samplesPerFrame` samples.
    public func push(_ frames: [[Int]]) throws -> [Float] {
        try model.validate(frames)
        guard !frames.isEmpty else { return [] }
        let n = frames.count
        var length = n
        var mark = stageTimes == nil ? 0 : DispatchTime.now().uptimeNanoseconds
        func lap(_ stage: String) {
            guard let stageTimes else { return }
            let now = DispatchTime.now().uptimeNanoseconds
            stageTimes.add(stage, Double(now - mark) / 1e9)
            mark = now
        }
        dequantize(frames)                                  // cur [codebook_dim, n]
        runCausal(preConv, length)                          // cur [latent, n]
        lap("codebooks, pre-conv")
        runTransformer(length: n)
        lap("pre-transformer")
        for (i, stage) in model.upsample.enumerated() {
            length = runTransposed(upsampleConvs[i], length)
            convNeXt(stage, dwconvs[i], length: length)
        }
        runCausal(inputConv, length)                        // cur [decoder_dim, 4n]
        lap("upsampling, input conv")
        for (i, block) in model.blocks.enumerated() {
            snake(block.snake, cur.pointer, length: length)
            length = runTransposed(blockConvs[i], length)
            lap("block \(i + 1) transposed conv")
            for (j, unit) in block.units.enumerated() { residualUnit(unit, unitConvs[i][j], length: length) }
            lap("block \(i + 1) residual units")
        }
        snake(model.finalSnake, cur.pointer, length: length)
        runCausal(outputConv, length)                       // cur [1, 1920n]
        position += n
        model.backend.clamp(cur.pointer, count: length, lo: -1, hi: 1)
        let audio = model.backend.read(cur.pointer, count: length)
        lap("output conv")
        return audio
    }

    /// Ends the utterance and returns any audio still held back: always none, because every layer
    /// is causal and `push` already returned all of it. The stream is then ready for a new utterance.
    public func finish() -> [Float] {
        reset()
        return []
    }

    /// Makes this stream continue exactly where `other` (a stream of the same decoder) stands, e.g.
    /// after a voice's reference codes were pushed once and should not be decoded again.
    public func copyState(from other: SpeechDecoderStream) {
        precondition(other.model === model, "copyState needs a stream of the same decoder")
        position = other.position
        cache.copy(from: other.cache)
        for (a, b) in zip([preConv, inputConv, outputConv] + dwconvs + unitConvs.flatMap({ $0 }),
                          [other.preConv, other.inputConv, other.outputConv] + other.dwconvs + other.unitConvs.flatMap({ $0 })) {
            model.backend.copy(a.history.pointer, b.history.pointer, count: a.history.count)
        }
        for (a, b) in zip(upsampleConvs + blockConvs, other.upsampleConvs + other.blockConvs) {
            model.backend.copy(a.tail.pointer, b.tail.pointer, count: a.tail.count)
        }
    }

    /// Forgets all state, as for a new utterance (scratch memory is kept).
    public func reset() {
        position = 0
        cache.reset()
        for conv in [preConv, inputConv, outputConv] + dwconvs + unitConvs.flatMap({ $0 }) { conv.reset(model.backend) }
        for conv in upsampleConvs + blockConvs { conv.reset(model.backend) }
    }

    // MARK: - Stages (activations channels-first [C, T] in `cur`, except inside the transformer)

    /// Split-RVQ lookup: proj_first(cb0[c0]) + proj_rest(sum of cb_i[c_i], i >= 1), into cur [codebook_dim, n].
    private func dequantize(_ frames: [[Int]]) {
        let b = model.backend, c = model.config, n = frames.count, half = c.codebookDim / 2
        let gathered = grow(&rows, half * n, model.backend), sum = grow(&wide, half * n, model.backend)
        let first = grow(&tmpA, half * n, model.backend), rest = grow(&tmpB, half * n, model.backend)
        for qi in 0..<c.numQuantizers {
            let ids = frames.map { $0[qi] }
            switch qi {
            case 0:
                b.embedding(model.codebooks[0], ids: ids, into: gathered)
                b.transpose(gathered, rows: n, cols: half, into: first)
            case 1:
                b.embedding(model.codebooks[1], ids: ids, into: sum)
            default:
                b.embedding(model.codebooks[qi], ids: ids, into: gathered)
                b.add(sum, gathered, count: half * n)
            }
        }
        if c.numQuantizers > 1 {
            b.transpose(sum, rows: n, cols: half, into: rest)
        } else {
            b.fill(rest, 0, count: half * n)
        }
        let z = grow(&cur, c.codebookDim * n, model.backend), zRest = grow(&next, c.codebookDim * n, model.backend)
        b.conv1d(model.firstProjection, first, length: n, padLeft: 0, padRight: 0, z)
        b.conv1d(model.restProjection, rest, length: n, padLeft: 0, padRight: 0, zRest)
        b.add(z, zRest, count: c.codebookDim * n)
    }

    /// cur [latent, n] -> pre-transformer -> cur [latent, n].
    private func runTransformer(length n: Int) {
        let c = model.config, b = model.backend
        let h = c.hiddenSize, latent = c.latentDim
        let input = grow(&rows, n * latent, model.backend)
        b.transpose(cur.pointer, rows: latent, cols: n, into: input)
        let x = grow(&next, n * h, model.backend)
        b.linear(model.transformerInput, input, x, rows: n)
        // The cache grows to hold the window plus this push; it cannot overflow.
        try! model.transformer.forward(x, segments: [Segment(cache: cache, rows: n)], scratch: transformerScratch, backend: b)
        let out = grow(&rows, n * latent, model.backend)
        b.linear(model.transformerOutput, x, out, rows: n)
        b.transpose(out, rows: n, cols: latent, into: cur.pointer)
    }

    /// ConvNeXt block on cur [latent, L], in place: x += gamma * pwconv2(gelu(pwconv1(LN(dwconv(x))))).
    private func convNeXt(_ s: SpeechDecoder.UpsampleStage, _ dw: CausalConv, length: Int) {
        let b = model.backend, d = model.config.latentDim
        let conv = grow(&next, d * length, model.backend)
        dw.run(cur.pointer, length: length, conv, backend: b, joined: &joined)
        let r = grow(&rows, length * d, model.backend), hidden = grow(&wide, length * 4 * d, model.backend)
        b.transpose(conv, rows: d, cols: length, into: r)
        b.layerNorm(r, weight: s.normWeight, bias: s.normBias, rows: length, dim: d, eps: 1e-6)
        b.linear(s.pwconv1, r, hidden, rows: length)
        b.gelu(hidden, count: length * 4 * d)
        b.linear(s.pwconv2, hidden, r, rows: length)
        b.scaleRows(r, s.gamma, rows: length)
        b.transpose(r, rows: length, cols: d, into: conv)
        b.add(cur.pointer, conv, count: d * length)
    }

    /// x += conv2(Snake(conv1(Snake(x)))) on cur [C, L]. The first Snake writes straight into conv1's
    /// input behind its history, and conv2 adds into x: two passes fewer than copy, add and join.
    private func residualUnit(_ u: SpeechDecoder.ResidualUnit, _ conv1: CausalConv, length: Int) {
        let b = model.backend, channels = conv1.layer.inChannels
        let h = grow(&tmpB, conv1.layer.outChannels * length, model.backend)
        let input = conv1.prepareInput(length: length, backend: b, joined: &joined)
        b.snakeBeta(cur.pointer, xStride: length, into: input, yStride: conv1.context + length,
                    logAlpha: u.act1.logAlpha, logBeta: u.act1.logBeta, channels: channels, length: length)
        conv1.runPrepared(length: length, h, backend: b, joined: joined)
        snake(u.act2, h, length: length)
        b.conv1d(u.conv2, h, length: length, padLeft: 0, padRight: 0, cur.pointer, accumulate: true)
    }

    /// cur [C_in, L] -> causal conv -> cur [C_out, L].
    private func runCausal(_ conv: CausalConv, _ length: Int) {
        let y = grow(&next, conv.layer.outChannels * length, model.backend)
        conv.run(cur.pointer, length: length, y, backend: model.backend, joined: &joined)
        swap(&cur, &next)
    }

    /// cur [C_in, L] -> transposed conv -> cur [C_out, L * stride]; returns the new length.
    private func runTransposed(_ conv: OverlapConv, _ length: Int) -> Int {
        let out = length * conv.layer.stride
        let y = grow(&next, conv.layer.outChannels * out, model.backend)
        conv.run(cur.pointer, length: length, y, backend: model.backend, full: &full)
        swap(&cur, &next)
        return out
    }

    private func snake(_ s: SpeechDecoder.Snake, _ x: UnsafeMutablePointer<Float>, length: Int) {
        model.backend.snakeBeta(x, logAlpha: s.logAlpha, logBeta: s.logBeta, channels: s.logAlpha.count, length: length)
    }

}

/// Seconds per named stage, summed over calls, in the order stages first appeared.
public final class StageTimes: @unchecked Sendable {
    public private(set) var stages: [(name: String, seconds: Double)] = []

    public init() {}

    public func add(_ name: String, _ seconds: Double) {
        if let i = stages.firstIndex(where: { $0.name == name }) {
            stages[i].seconds += seconds
        } else {
            stages.append((name, seconds))
        }
    }

    public func reset() { stages.removeAll() }
}

// MARK: - Stateful convolutions

extension SpeechDecoderStream {
    /// A stride-1 causal Conv1d that continues across calls: each call sees the previous
    /// (kernel-1)*dilation input samples in front of its own input.
    final class CausalConv {
        let layer: Conv1dLayer
        let context: Int
        let history: FloatBuffer  // [in, context]

        init(_ layer: Conv1dLayer, _ backend: Backend) {
            self.layer = layer
            context = (layer.kernelSize - 1) * layer.dilation
            history = backend.makeBuffer(count: layer.inChannels * context)
        }

        func reset(_ backend: Backend) { backend.fill(history.pointer, 0, count: history.count) }

        /// y[out, length] = conv(history ++ x[in, length]); the history becomes the last `context` inputs.
        func run(_ x: UnsafePointer<Float>, length: Int, _ y: UnsafeMutablePointer<Float>, backend: Backend,
                 joined: inout FloatBuffer) {
            guard context > 0 else {
                backend.conv1d(layer, x, length: length, padLeft: 0, padRight: 0, y)
                return
            }
            let input = prepareInput(length: length, backend: backend, joined: &joined)
            for ch in 0..<layer.inChannels {
                backend.copy(input + ch * (context + length), x + ch * length, count: length)
            }
            runPrepared(length: length, y, backend: backend, joined: joined)
        }

        /// `joined` as [in, context + length] with the history in front; returns where the `length`
        /// new inputs go (row stride context + length), for `runPrepared`.
        func prepareInput(length: Int, backend: Backend, joined: inout FloatBuffer) -> UnsafeMutablePointer<Float> {
            let width = context + length, h = history.pointer
            let j = grow(&joined, layer.inChannels * width, backend)
            if context > 0 {
                for ch in 0..<layer.inChannels { backend.copy(j + ch * width, h + ch * context, count: context) }
            }
            return j + context
        }

        /// The conv over what `prepareInput` laid out (and the new inputs written there).
        func runPrepared(length: Int, _ y: UnsafeMutablePointer<Float>, backend: Backend, joined: FloatBuffer) {
            let width = context + length, h = history.pointer, j = joined.pointer
            backend.conv1d(layer, j, length: width, padLeft: 0, padRight: 0, y)
            for ch in 0..<layer.inChannels where context > 0 {
                backend.copy(h + ch * context, j + ch * width + length, count: context)
            }
        }
    }

    /// A ConvTranspose1d whose output is trimmed to length * stride (upstream drops the last
    /// kernel - stride samples). Those trimmed samples are the start of the next call's output, so they
    /// are kept and added there; the bias is added last, so the sums match one pass bit for bit.
    final class OverlapConv {
        let layer: ConvTranspose1dLayer  // no bias
        let bias: [Float]
        let overlap: Int
        let tail: FloatBuffer  // [out, overlap]

        init(_ conv: SpeechDecoder.TransposedConv, _ backend: Backend) {
            layer = conv.layer
            bias = conv.bias
            overlap = layer.kernelSize - layer.stride
            tail = backend.makeBuffer(count: layer.outChannels * max(overlap, 0))
        }

        func reset(_ backend: Backend) { backend.fill(tail.pointer, 0, count: tail.count) }

        /// y[out, length * stride] for x[in, length], continuing the previous call.
        func run(_ x: UnsafePointer<Float>, length: Int, _ y: UnsafeMutablePointer<Float>, backend: Backend,
                 full: inout FloatBuffer) {
            let fullLength = layer.outputLength(length), emitted = length * layer.stride
            let f = grow(&full, layer.outChannels * fullLength, backend)
            backend.convTranspose1d(layer, x, length: length, f)
            for ch in 0..<layer.outChannels {
                let row = f + ch * fullLength, t = tail.pointer + ch * overlap
                backend.add(row, t, count: overlap)
                backend.copy(y + ch * emitted, row, count: emitted)
                backend.copy(t, row + emitted, count: overlap)
            }
            // Bias last (per channel, as upstream adds it to the whole output).
            backend.addChannelBias(y, bias, channels: layer.outChannels, length: emitted)
        }
    }
}

/// `buffer`, replaced by a larger one when it holds fewer than `count` floats (contents not kept).
private func grow(_ buffer: inout FloatBuffer, _ count: Int, _ backend: Backend) -> UnsafeMutablePointer<Float> {
    if buffer.count < count { buffer = backend.makeBuffer(count: count) }
    return buffer.pointer
}

