// The public entry point: load a checkpoint folder once, then turn requests into a stream of
// 24 kHz audio chunks while the frames are being generated.

import Foundation

/// A piece of audio: the samples of one or more consecutive frames, as soon as they exist.
public struct AudioChunk: Sendable {
    /// Mono float samples at `sampleRate`, nominally in [-1, 1].
    public var samples: [Float]
    /// Index of the first frame this chunk covers.
    public var firstFrame: Int
    /// The codec codes of the frames in this chunk.
    public var codes: [[Int]]
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
    public func synthesize(_ request: SpeechRequest, options: GenerationOptions? = nil) -> AsyncThrowingStream<SynthesisEvent, Error> {
        let options = options ?? GenerationOptions(model.generationConfig)
        let (stream, continuation) = AsyncThrowingStream<SynthesisEvent, Error>.makeStream(bufferingPolicy: .unbounded)
        let cancelled = CancellationFlag()
        continuation.onTermination = { _ in cancelled.set() }
        let thread = Thread { [self] in
            do {
                let summary = try self.run(request, options: options, cancelled: cancelled) { chunk in
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

    /// Synchronous synthesis on the calling thread: `onChunk` receives audio as frames are made.
    public func run(_ request: SpeechRequest, options: GenerationOptions, cancelled: CancellationFlag = CancellationFlag(),
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
