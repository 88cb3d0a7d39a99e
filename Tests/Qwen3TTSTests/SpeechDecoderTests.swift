// The codec decoder against the official one (waveforms dumped by the reference run, both fixture
// structures), streaming against one full pass, and input validation. A by-hand benchmark at the
// real dimensions runs with QWEN3TTS_DECODER_BENCH=1 (see SpeechDecoderBenchmark below).

import Foundation
import Testing
@testable import Qwen3TTS

private let structures = ["tiny", "tiny-eq"]

/// Decoders are loaded once per codec folder and backend.
private final class DecoderCache: @unchecked Sendable {
    static let shared = DecoderCache()
    private var decoders: [String: SpeechDecoder] = [:]
    private let lock = NSLock()

    func decoder(_ structure: String, variant: String = "custom_voice", reference: Bool = false) throws -> SpeechDecoder {
        let dir = fixturesDirectory.appendingPathComponent("checkpoints/\(structure)/\(variant)/speech_tokenizer").path
        return try decoder(directory: dir, reference: reference)
    }

    func decoder(directory dir: String, reference: Bool = false) throws -> SpeechDecoder {
        lock.lock()
        defer { lock.unlock() }
        let key = dir + (reference ? "#reference" : "#cpu")
        if let d = decoders[key] { return d }
        let d = try SpeechDecoder(directory: dir, backend: reference ? ReferenceBackend() : CPUBackend(threads: 2))
        decoders[key] = d
        return d
    }
}

private func maxAbsError(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "length \(a.count) vs \(b.count)")
    var m: Float = 0
    for i in a.indices { m = max(m, abs(a[i] - b[i])) }
    return m
}

/// `st_decoder_in_codes` is codebook-major [16, T]; the decoder takes frames [T][16].
private func frames(codebookMajor g: GoldenCase, _ name: String) throws -> [[Int]] {
    let s = g.shape(name), v = try g.tensors.tensor(name).ints()
    return (0..<s[1]).map { t in (0..<s[0]).map { v[$0 * s[1] + t] } }
}

/// Seeded random codes, `count` frames.
private func randomFrames(_ count: Int, seed: UInt64, codebookSize: Int = 2048) -> [[Int]] {
    var rng = SplitMix64(seed: seed)
    return (0..<count).map { _ in (0..<16).map { _ in Int(rng.next() % UInt64(codebookSize)) } }
}

/// Pushes `all` in pieces of the given sizes (cycling) and concatenates the audio.
private func streamed(_ decoder: SpeechDecoder, _ all: [[Int]], pieces: [Int]) throws -> [Float] {
    let stream = decoder.makeStream()
    var out: [Float] = []
    var start = 0, i = 0
    while start < all.count {
        let end = min(start + pieces[i % pieces.count], all.count)
        let audio = try stream.push(Array(all[start..<end]))
        #expect(audio.count == (end - start) * decoder.samplesPerFrame)
        out += audio
        start = end
        i += 1
    }
    out += stream.finish()
    return out
}

/// A random codec like the fixture one but with 3 transformer layers, grouped-query attention and
/// an 8-position window, so 100 frames cycle every layer's key/value cache many times.
private let deepCodecDirectory: String = {
    let dir = NSTemporaryDirectory() + "codec-deep-" + UUID().uuidString
    try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let src = fixturesDirectory.appendingPathComponent("checkpoints/tiny/custom_voice/speech_tokenizer/config.json")
    var json = try! JSONSerialization.jsonObject(with: Data(contentsOf: src)) as! [String: Any]
    var dec = json["decoder_config"] as! [String: Any]
    dec["num_hidden_layers"] = 3
    dec["num_key_value_heads"] = 1
    dec["sliding_window"] = 8
    json["decoder_config"] = dec
    try! JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: dir + "/config.json"))
    let config = try! SpeechTokenizerConfig.load(path: dir + "/config.json")
    try! SafeTensorsWriter.write(CheckpointLayout.speechTokenizer(config).map { RandomCheckpoint.entry($0, seed: 99) },
                                 metadata: ["format": "pt"], to: dir + "/model.safetensors")
    return dir
}()

/// ReferenceBackend, except that convolutions compute each output position (or, transposed, each
/// input position's contribution) with its own matrix-vector product. Every operation then gives a
/// position the same result however many positions it is computed with, so a stream must reproduce
/// one pass bit for bit. (The plain reference transposed conv interleaves input positions; BLAS
/// blocks differently for different widths.)
private final class OrderedBackend: Backend, @unchecked Sendable {
    let r = ReferenceBackend()

    func conv1d(_ l: Conv1dLayer, _ x: UnsafePointer<Float>, length: Int, padLeft: Int, padRight: Int, _ y: UnsafeMutablePointer<Float>,
                accumulate: Bool) {
        let tOut = l.outputLength(length, padLeft: padLeft, padRight: padRight)
        let cig = l.inChannels / l.groups, cog = l.outChannels / l.groups, span = cig * l.kernelSize
        let column = FloatBuffer(count: span), out = FloatBuffer(count: cog)
        let bias = FloatBuffer(l.bias ?? [Float](repeating: 0, count: l.outChannels))
        for g in 0..<l.groups {
            for t in 0..<tOut {
                for ci in 0..<cig {
                    for k in 0..<l.kernelSize {
                        let src = t * l.stride + k * l.dilation - padLeft
                        column[k * cig + ci] = src >= 0 && src < length ? x[(g * cig + ci) * length + src] : 0
                    }
                }
                Kernels.matvec(weight: l.weight.pointer + g * cog * span, input: column.pointer, bias: bias.pointer + g * cog,
                               output: out.pointer, rows: cog, cols: span)
                for o in 0..<cog { y[(g * cog + o) * tOut + t] = accumulate ? y[(g * cog + o) * tOut + t] + out[o] : out[o] }
            }
        }
    }

    func convTranspose1d(_ l: ConvTranspose1dLayer, _ x: UnsafePointer<Float>, length: Int, _ y: UnsafeMutablePointer<Float>) {
        let tOut = l.outputLength(length), (cin, span) = (l.inChannels, l.outChannels * l.kernelSize)
        let weightT = FloatBuffer(count: span * cin), input = FloatBuffer(count: cin), out = FloatBuffer(count: span)
        for i in 0..<cin { for j in 0..<span { weightT[j * cin + i] = l.weight(in: i, out: j / l.kernelSize, tap: j % l.kernelSize) } }
        for o in 0..<l.outChannels { (y + o * tOut).update(repeating: l.bias?[o] ?? 0, count: tOut) }
        for t in 0..<length {
            for i in 0..<cin { input[i] = x[i * length + t] }
            Kernels.matvec(weight: weightT.pointer, input: input.pointer, output: out.pointer, rows: span, cols: cin)
            for o in 0..<l.outChannels {
                for k in 0..<l.kernelSize { y[o * tOut + t * l.stride + k] += out[o * l.kernelSize + k] }
            }
        }
    }

    func linear(_ layer: Linear, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, rows: Int, batchInvariant: Bool) {
        r.linear(layer, x, y, rows: rows, batchInvariant: batchInvariant)
    }
    func rmsNorm(_ x: UnsafeMutablePointer<Float>, weight: UnsafePointer<Float>, rows: Int, dim: Int, eps: Float) {
        r.rmsNorm(x, weight: weight, rows: rows, dim: dim, eps: eps)
    }
    func rope(_ x: UnsafeMutablePointer<Float>, heads: Int, table: RotaryTable) {
        r.rope(x, heads: heads, table: table)
    }
    func attention(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
                   rows: Int, start: Int, heads: Int, kvHeads: Int, headDim: Int, window: Int) {
        r.attention(q: q, k: k, v: v, out: out, rows: rows, start: start, heads: heads, kvHeads: kvHeads, headDim: headDim, window: window)
    }
    func swiglu(_ gate: UnsafeMutablePointer<Float>, _ up: UnsafePointer<Float>, count: Int) { r.swiglu(gate, up, count: count) }
    func silu(_ x: UnsafeMutablePointer<Float>, count: Int) { r.silu(x, count: count) }
    func add(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count: Int) { r.add(y, x, count: count) }
    func snakeBeta(_ x: UnsafePointer<Float>, xStride: Int, into y: UnsafeMutablePointer<Float>, yStride: Int,
                   logAlpha: UnsafePointer<Float>, logBeta: UnsafePointer<Float>, channels: Int, length: Int) {
        r.snakeBeta(x, xStride: xStride, into: y, yStride: yStride, logAlpha: logAlpha, logBeta: logBeta, channels: channels, length: length)
    }
    func layerNorm(_ x: UnsafeMutablePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, rows: Int, dim: Int, eps: Float) {
        r.layerNorm(x, weight: weight, bias: bias, rows: rows, dim: dim, eps: eps)
    }
    func gelu(_ x: UnsafeMutablePointer<Float>, count: Int) { r.gelu(x, count: count) }
    func elu(_ x: UnsafeMutablePointer<Float>, count: Int) { r.elu(x, count: count) }
}

@Suite struct SpeechDecoderTests {
    static let goldenCases: [(String, String)] = structures.flatMap { s in checkpointVariant.keys.sorted().map { (s, $0) } }

    /// Every generation case: the decoder input codes give the official decoder output (for in-context
    /// cloning, the output for [reference ++ generated], then the proportional cut gives output_wav).
    @Test(arguments: goldenCases)
    func matchesOfficialDecode(_ c: (String, String)) throws {
        let (structure, name) = c
        let g = try GoldenCase(structure, name)
        let decoder = try DecoderCache.shared.decoder(structure, variant: checkpointVariant[name]!)
        let codes = try frames(codebookMajor: g, "st_decoder_in_codes")
        let wav = try decoder.decode(codes)
        let isICL = g.tensors.tensors["st_decoder_out_wav"] != nil
        let expected = try g.floats(isICL ? "st_decoder_out_wav" : "output_wav")
        #expect(wav.count == codes.count * decoder.samplesPerFrame)
        try #require(wav.count == expected.count)
        let err = maxAbsError(wav, expected)
        print("decoder golden \(structure)/\(name): \(codes.count) frames, max abs error \(err)")
        #expect(err < 1e-4)
        if isICL {
            // The official ICL output drops the reference's share of the audio, proportionally.
            let refLen = g.shape("icl_ref_code")[0]
            let cut = Int(Double(refLen) / Double(max(codes.count, 1)) * Double(wav.count))
            #expect(cut == g.meta["icl_cut_samples"] as? Int)
            let tail = Array(wav[cut...]), output = try g.floats("output_wav")
            try #require(tail.count == output.count)
            #expect(maxAbsError(tail, output) < 1e-4)
        }
    }

    /// 330 frames: the official decode runs 300 frames, then 25 context + 30 frames from a fresh state.
    @Test(arguments: structures)
    func longInputFollowsOfficialChunking(_ structure: String) throws {
        let g = try GoldenCase(structure, "decoder_long")
        let decoder = try DecoderCache.shared.decoder(structure)
        let wav = try decoder.decode(try g.intRows("codes"))
        let expected = try g.floats("output_wav")
        try #require(wav.count == expected.count)
        let err = maxAbsError(wav, expected)
        print("decoder golden \(structure)/decoder_long: max abs error \(err)")
        #expect(err < 1e-4)
    }

    /// Codes from the official encoder, decoded by the official decoder.
    @Test(arguments: structures)
    func roundTripCodes(_ structure: String) throws {
        let g = try GoldenCase(structure, "speech_tokenizer_roundtrip")
        let decoder = try DecoderCache.shared.decoder(structure, variant: "base")
        let wav = try decoder.decode(try g.intRows("codes"))
        let expected = try g.floats("decoded_wav")
        try #require(wav.count == expected.count)
        let err = maxAbsError(wav, expected)
        print("decoder golden \(structure)/speech_tokenizer_roundtrip: max abs error \(err)")
        #expect(err < 1e-4)
    }

    /// The naive reference backend agrees too (one short case: its loops are slow).
    @Test func referenceBackendMatchesOfficialDecode() throws {
        let g = try GoldenCase("tiny", "custom_voice")
        let decoder = try DecoderCache.shared.decoder("tiny", reference: true)
        let wav = try decoder.decode(try frames(codebookMajor: g, "st_decoder_in_codes"))
        let err = maxAbsError(wav, try g.floats("output_wav"))
        print("decoder golden tiny/custom_voice (reference backend): max abs error \(err)")
        #expect(err < 1e-4)
    }

    /// The streaming logic is exact: under a backend whose every operation is independent of how
    /// many positions it is given, 1-frame and uneven pushes reproduce one full pass bit for bit, on
    /// the fixture codecs and on a deeper codec whose key/value caches wrap many times.
    @Test(arguments: structures + ["deep"])
    func streamingIsExact(_ codec: String) throws {
        let dir = codec == "deep" ? deepCodecDirectory
            : fixturesDirectory.appendingPathComponent("checkpoints/\(codec)/custom_voice/speech_tokenizer").path
        let decoder = try SpeechDecoder(directory: dir, backend: OrderedBackend())
        // Past the 72-position window on the fixture codecs; the deep codec's window is 8.
        let all = randomFrames(codec == "deep" ? 40 : 100, seed: 5)
        let full = try decoder.makeStream().push(all)
        for pieces in [[1], [1, 3, 7, 2, 11, 5, 1, 17]] {
            let audio = try streamed(decoder, all, pieces: pieces)
            #expect(audio == full, "pieces \(pieces): max abs error \(audio.count == full.count ? maxAbsError(audio, full) : .nan)")
        }
    }

    /// With the optimized kernels the stream matches one full pass to float32 noise. This random
    /// codec amplifies rounding differences about 100x (SnakeBeta on activations up to ~70 in the
    /// last blocks): the CPU and reference backends' full passes differ by 1.2e-5, and the stream's
    /// BLAS calls see fewer columns than the full pass's, so its sums round differently too.
    @Test(arguments: structures + ["deep"])
    func streamingMatchesFullDecode(_ codec: String) throws {
        let decoder = codec == "deep" ? try DecoderCache.shared.decoder(directory: deepCodecDirectory)
                                      : try DecoderCache.shared.decoder(codec)
        let all = randomFrames(130, seed: 7)
        let full = try decoder.makeStream().push(all)
        #expect(full.count == all.count * decoder.samplesPerFrame)
        let tolerance: Float = codec == "deep" ? 1e-4 : 3e-5
        for pieces in [[1], [1, 3, 7, 2, 11, 5, 1, 17]] {
            let audio = try streamed(decoder, all, pieces: pieces)
            try #require(audio.count == full.count)
            let err = maxAbsError(audio, full)
            print("decoder stream \(codec) pieces \(pieces): max abs error vs full pass \(err)")
            #expect(err < tolerance, "pieces \(pieces)")
        }
        // Up to 300 frames the official decode is one pass too.
        #expect(maxAbsError(try decoder.decode(all), full) < tolerance)
    }

    /// A stream is reusable after finish(), and state from the last utterance does not leak.
    @Test func streamResetsAfterFinish() throws {
        let decoder = try DecoderCache.shared.decoder("tiny")
        let a = randomFrames(9, seed: 1), b = randomFrames(9, seed: 2)
        let stream = decoder.makeStream()
        _ = try stream.push(a)
        #expect(stream.finish().isEmpty)
        #expect(stream.position == 0)
        #expect(maxAbsError(try stream.push(b), try decoder.makeStream().push(b)) < 1e-6)
    }

    @Test func rejectsInvalidCodes() throws {
        let decoder = try DecoderCache.shared.decoder("tiny")
        var frames = randomFrames(3, seed: 3)
        #expect(try decoder.decode([]).isEmpty)
        #expect(try decoder.makeStream().push([]).isEmpty)

        frames[1] = Array(frames[1].prefix(15))
        #expect(throws: SpeechDecoderError.wrongCodeCount(frame: 1, found: 15, expected: 16)) { try decoder.decode(frames) }
        frames[1].append(2048)
        #expect(throws: SpeechDecoderError.codeOutOfRange(frame: 1, codebook: 15, code: 2048, codebookSize: 2048)) {
            try decoder.decode(frames)
        }
        frames[1][15] = 0
        frames[2][0] = -1
        #expect(throws: SpeechDecoderError.codeOutOfRange(frame: 2, codebook: 0, code: -1, codebookSize: 2048)) {
            try decoder.makeStream().push(frames)
        }
        let message = SpeechDecoderError.codeOutOfRange(frame: 2, codebook: 0, code: -1, codebookSize: 2048).description
        #expect(message.contains("frame 2") && message.contains("-1") && message.contains("0..<2048"))
    }
}
