// The public entry point: load a checkpoint folder once, then turn requests into a stream of
// 24 kHz audio chunks while the frames are being generated.

import Foundation

/// A piece of audio: the samples of one or more consecutive frames, as soon as they exist.
public struct AudioChunk: Sendable {
    /// Mono float samples at `sampleRate`, nominally in [-1, 1].
    public var samples: [Float]
    /// Index of the first frame this chunk covers.
    public var firstFrame: Int
    /// The codec codes of the frames in this chunk (none for a pause between segments).
    public var codes: [[Int]]
    /// Which segment of a long text this chunk belongs to (0 for a single utterance).
    public var segment: Int = 0
}

/// How a long text is cut into utterances and joined again.
public struct Segmentation: Sendable {
    public var mode: SplitMode
    /// Longest segment in text tokens; text within it is one utterance, spoken exactly as the
    /// official implementation speaks it. About a paragraph.
    public var budget: Int
    /// Silence between sentences and between paragraphs, in seconds.
    public var sentencePause: Double
    public var paragraphPause: Double

    public init(mode: SplitMode = .auto, budget: Int = 150, sentencePause: Double = 0.25, paragraphPause: Double = 0.6) {
        self.mode = mode
        self.budget = budget
        self.sentencePause = sentencePause
        self.paragraphPause = paragraphPause
    }
}

/// What happened to one segment of a long text.
public struct SegmentReport: Sendable {
    public var index: Int
    public var text: String
    public var endsParagraph: Bool
    /// Frames of the attempt that was kept, and why it ended (nil when the segment was skipped).
    public var frames: Int
    public var stopReason: StopReason?
    /// The runaway guard stopped the first attempt, so the segment was generated again with another seed.
    public var retried: Bool
    /// Why the segment was skipped (it produced no audio), or nil.
    public var skipped: String?
    /// Where its audio lies in the output, in seconds (the pause after it excluded).
    public var start: Double
    public var end: Double
}

/// How a synthesis ended, with its measurements.
public struct SynthesisSummary: Sendable {
    public var stopReason: StopReason
    public var frames: Int
    public var promptLength: Int
    /// Seconds from the call to the first audio chunk, and in total.
    public var timeToFirstAudio: Double?
    public var totalSeconds: Double
    public var prefillSeconds: Double
    public var talkerSeconds: Double
    public var codePredictorSeconds: Double
    public var decoderSeconds: Double
    public var audioSeconds: Double
    /// One entry per segment (a single utterance is one segment).
    public var segments: [SegmentReport] = []
    /// Wall time over audio duration (below 1 is faster than real time).
    public var realTimeFactor: Double { audioSeconds > 0 ? totalSeconds / audioSeconds : 0 }
}

/// What a synthesis stream yields: audio chunks, then exactly one `.finished`.
public enum SynthesisEvent: Sendable {
    case audio(AudioChunk)
    case finished(SynthesisSummary)
}

public final class Synthesizer: @unchecked Sendable {
    public let model: Qwen3TTSModel
    public let decoder: SpeechDecoder
    public var sampleRate: Int { model.speechTokenizerConfig.outputSampleRate }
    /// Frames decoded together after the first one (which is always decoded alone).
    public var decodeBatch = 4
    /// Decoder states primed with recently used ICL references (about 5 MB each at the real size).
    let primedReferences = PrimedReferenceCache(capacity: 4)

    /// Loads a checkpoint folder (official layout). `backend` defaults to the CPU kernels on all cores.
    public init(directory: String, backend: Backend? = nil) throws {
        let b = backend ?? CPUBackend()
        model = try Qwen3TTSModel(directory: directory, backend: b)
        decoder = try SpeechDecoder(directory: directory + "/speech_tokenizer", backend: b)
    }

    /// Starts synthesizing `request` on a dedicated thread (never the cooperative pool) and returns
    /// its events. Cancelling the consuming task, or dropping the stream, stops generation at the
    /// next frame. `options` defaults to the checkpoint's generation_config.json.
    public func synthesize(_ request: SpeechRequest, options: GenerationOptions? = nil,
                           segmentation: Segmentation = Segmentation()) -> AsyncThrowingStream<SynthesisEvent, Error> {
        let options = options ?? GenerationOptions(model.generationConfig)
        let (stream, continuation) = AsyncThrowingStream<SynthesisEvent, Error>.makeStream(bufferingPolicy: .unbounded)
        let cancelled = CancellationFlag()
        continuation.onTermination = { _ in cancelled.set() }
        let thread = Thread { [self] in
            do {
                let summary = try self.run(request, options: options, segmentation: segmentation, cancelled: cancelled) { chunk in
                    continuation.yield(.audio(chunk))
                }
                continuation.yield(.finished(summary))
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        thread.name = "qwen3-tts synthesis"
        thread.stackSize = 8 << 20
        thread.start()
        return stream
    }

    /// Synchronous synthesis on the calling thread: `onChunk` receives audio as it is made.
    ///
    /// Text within the segmentation budget is one utterance, streamed frame by frame. Longer text
    /// is cut into segments (see `TextSplitter`), generated one after another in the same voice
    /// and joined with pauses into one stream; each segment's audio is delivered when the segment
    /// is done (so that a segment the runaway guard stops can be generated again with another
    /// seed), with short fades at the joins. `onSegment` hears about each segment as it ends;
    /// a segment that cannot be spoken (for example text that tokenizes to nothing) is skipped
    /// and reported there, and the job goes on. `onSplit` sees the segments before any is spoken
    /// (for a progress display).
    public func run(_ request: SpeechRequest, options: GenerationOptions, segmentation: Segmentation = Segmentation(),
                    cancelled: CancellationFlag = CancellationFlag(), onSplit: ([TextSegment]) -> Void = { _ in },
                    onSegment: (SegmentReport) -> Void = { _ in },
                    onChunk: (AudioChunk) -> Void) throws -> SynthesisSummary {
        let segments = segment(request.text, segmentation)
        onSplit(segments)
        guard segments.count > 1 else {
            var summary = try speak(request, options: options, cancelled: cancelled, onChunk: onChunk)
            let report = SegmentReport(index: 0, text: request.text, endsParagraph: true, frames: summary.frames,
                                       stopReason: summary.stopReason, retried: false, skipped: nil, start: 0,
                                       end: summary.audioSeconds)
            summary.segments = [report]
            onSegment(report)
            return summary
        }
        return try speakSegments(segments, request, options: options, segmentation: segmentation, cancelled: cancelled,
                                 onSegment: onSegment, onChunk: onChunk)
    }

    /// The segments `text` is spoken in.
    public func segment(_ text: String, _ segmentation: Segmentation) -> [TextSegment] {
        let tokenizer = model.tokenizer
        let splitter = TextSplitter(mode: segmentation.mode, budget: segmentation.budget,
                                    measure: { tokenizer.encode(String($0)).count })
        return splitter.split(text)
    }

    /// One utterance, streamed frame by frame.
    func speak(_ request: SpeechRequest, options: GenerationOptions, cancelled: CancellationFlag,
               onChunk: (AudioChunk) -> Void) throws -> SynthesisSummary {
        let clock = ContinuousClock()
        let start = clock.now
        let stream = decoder.makeStream()
        var decoderSeconds = 0.0
        var firstAudio: Double?
        var samples = 0
        // In-context cloning decodes the reference codes first, so the generated audio continues
        // the reference seamlessly (the official decode runs on [reference ++ generated]); the
        // reference's own audio is not returned.
        if let ref = request.voice?.referenceCodes {
            let t0 = clock.now
            try primeWithReference(stream, ref)
            decoderSeconds += (clock.now - t0).seconds
        }
        // The first frame is decoded alone so audio starts as early as possible; later frames are
        // decoded `decodeBatch` at a time, which costs a little latency but is much cheaper per frame
        // (the codec's convolutions run far faster on several frames than on one).
        var pending: [[Int]] = []
        var nextFrame = 0
        func flush() throws {
            guard !pending.isEmpty else { return }
            let t0 = clock.now
            let audio = try stream.push(pending)
            decoderSeconds += (clock.now - t0).seconds
            if firstAudio == nil { firstAudio = (clock.now - start).seconds }
            samples += audio.count
            onChunk(AudioChunk(samples: audio, firstFrame: nextFrame, codes: pending))
            nextFrame += pending.count
            pending.removeAll(keepingCapacity: true)
        }
        var decodeError: Error?
        let result = try model.generate(request, options: options) { frame in
            if cancelled.isSet { return false }
            pending.append(frame)
            if nextFrame == 0 || pending.count >= decodeBatch {
                do { try flush() } catch {
                    decodeError = error
                    return false
                }
            }
            return !cancelled.isSet
        }
        if decodeError == nil {
            do { try flush() } catch { decodeError = error }
        }
        if let decodeError { throw decodeError }
        return SynthesisSummary(
            stopReason: result.stopReason, frames: result.frames.count, promptLength: result.promptLength,
            timeToFirstAudio: firstAudio, totalSeconds: (clock.now - start).seconds, prefillSeconds: result.prefillSeconds,
            talkerSeconds: result.talkerSeconds, codePredictorSeconds: result.codePredictorSeconds,
            decoderSeconds: decoderSeconds, audioSeconds: Double(samples) / Double(sampleRate))
    }
}

extension Synthesizer {
    /// Fade length at every join between segments: 10 ms, so no join clicks.
    static let fadeSamples = 240

    /// Long text: each segment generated and decoded as its own utterance, joined with pauses.
    func speakSegments(_ segments: [TextSegment], _ request: SpeechRequest, options: GenerationOptions,
                       segmentation: Segmentation, cancelled: CancellationFlag, onSegment: (SegmentReport) -> Void,
                       onChunk: (AudioChunk) -> Void) throws -> SynthesisSummary {
        let clock = ContinuousClock()
        let start = clock.now
        var total = SynthesisSummary(stopReason: .eos, frames: 0, promptLength: 0, timeToFirstAudio: nil, totalSeconds: 0,
                                     prefillSeconds: 0, talkerSeconds: 0, codePredictorSeconds: 0, decoderSeconds: 0,
                                     audioSeconds: 0)
        // What is wrong with the request itself (a missing speaker, a bad voice) fails the job now;
        // only what is wrong with one segment's text skips that segment.
        var first = request
        first.text = segments[0].text
        _ = try model.prompt(for: first)
        var samplesOut = 0
        var pause = 0  // silence owed before the next segment's audio
        func emit(_ chunk: AudioChunk) {
            if total.timeToFirstAudio == nil { total.timeToFirstAudio = (clock.now - start).seconds }
            samplesOut += chunk.samples.count
            onChunk(chunk)
        }
        for (i, seg) in segments.enumerated() {
            if cancelled.isSet { total.stopReason = .cancelled; break }
            var r = request
            r.text = seg.text
            var report = SegmentReport(index: i, text: seg.text, endsParagraph: seg.endsParagraph, frames: 0, stopReason: nil,
                                       retried: false, skipped: nil, start: Double(samplesOut) / Double(sampleRate), end: 0)
            var samples: [Float] = [], codes: [[Int]] = []
            var o = options
            do {
                while true {
                    samples.removeAll(keepingCapacity: true)
                    codes.removeAll(keepingCapacity: true)
                    let s = try speak(r, options: o, cancelled: cancelled) { chunk in
                        samples += chunk.samples
                        codes += chunk.codes
                    }
                    total.promptLength += s.promptLength
                    total.prefillSeconds += s.prefillSeconds
                    total.talkerSeconds += s.talkerSeconds
                    total.codePredictorSeconds += s.codePredictorSeconds
                    total.decoderSeconds += s.decoderSeconds
                    report.stopReason = s.stopReason
                    report.frames = s.frames
                    // The runaway guard: one more try with another seed (the first attempt is dropped).
                    guard s.stopReason == .frameBudget && !report.retried else { break }
                    report.retried = true
                    o.seed = options.seed &+ 0x9E37_79B9_7F4A_7C15
                }
            } catch let error as GenerationError {
                report.skipped = error.description
            }
            if report.stopReason == .cancelled { total.stopReason = .cancelled }
            if !samples.isEmpty {
                if pause > 0 {
                    emit(AudioChunk(samples: [Float](repeating: 0, count: pause), firstFrame: total.frames, codes: [], segment: i))
                    report.start = Double(samplesOut) / Double(sampleRate)
                }
                fade(&samples)
                emit(AudioChunk(samples: samples, firstFrame: total.frames, codes: codes, segment: i))
                total.frames += codes.count
            }
            report.end = Double(samplesOut) / Double(sampleRate)
            if report.skipped == nil, i == segments.count - 1 || total.stopReason == .cancelled {
                total.stopReason = report.stopReason ?? total.stopReason
            }
            total.segments.append(report)
            onSegment(report)
            if total.stopReason == .cancelled { break }
            if report.skipped == nil && !samples.isEmpty {
                let seconds = seg.endsParagraph ? segmentation.paragraphPause : segmentation.sentencePause
                pause = Int((max(0, seconds) * Double(sampleRate)).rounded())
            }
        }
        total.totalSeconds = (clock.now - start).seconds
        total.audioSeconds = Double(samplesOut) / Double(sampleRate)
        return total
    }

    /// Raised-cosine fade in over the first and out over the last `fadeSamples` samples.
    private func fade(_ x: inout [Float]) {
        let n = min(Self.fadeSamples, x.count / 2)
        guard n > 0 else { return }
        for i in 0..<n {
            let g = Float(0.5 - 0.5 * cos(Double.pi * Double(i) / Double(n)))
            x[i] *= g
            x[x.count - 1 - i] *= g
        }
    }
}

extension Synthesizer {
    /// Brings `stream` to the state after decoding `reference`. The primed state of the most recent
    /// references is kept, so a voice used again does not pay for decoding its reference again.
    func primeWithReference(_ stream: SpeechDecoderStream, _ reference: [[Int]]) throws {
        if let primed = primedReferences.lookup(reference) {
            stream.copyState(from: primed)
            return
        }
        _ = try stream.push(reference)
        let primed = decoder.makeStream()
        primed.copyState(from: stream)
        primedReferences.insert(reference, primed)
    }
}

/// A small most-recently-used cache of decoder streams primed with reference codes.
final class PrimedReferenceCache: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [(codes: [[Int]], stream: SpeechDecoderStream)] = []
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    func lookup(_ codes: [[Int]]) -> SpeechDecoderStream? {
        lock.lock()
        defer { lock.unlock() }
        guard let i = entries.firstIndex(where: { $0.codes == codes }) else { return nil }
        let e = entries.remove(at: i)
        entries.insert(e, at: 0)
        return e.stream
    }

    func insert(_ codes: [[Int]], _ stream: SpeechDecoderStream) {
        lock.lock()
        defer { lock.unlock() }
        entries.removeAll { $0.codes == codes }
        entries.insert((codes, stream), at: 0)
        if entries.count > capacity { entries.removeLast() }
    }
}

/// A thread-safe stop flag shared between a consumer and the generation thread.
public final class CancellationFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    public init() {}
    public var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
    public func set() { lock.lock(); value = true; lock.unlock() }
}
