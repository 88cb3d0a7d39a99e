// Many requests at once, for a server: one engine thread steps every active request together in a
// `GenerationBatch` (one pass over the weights makes a frame for each), decodes each request's
// new frames with its own codec stream and hands the audio out while it is generated. Requests
// join at the next frame boundary; at most `maxBatch` run, at most `maxQueue` more wait, and
// beyond that `submit` refuses at once (a server answers 429). Every use of the backend (prompts,
// voice prompts, generation, decoding) happens on the engine thread, since a backend runs one
// operation at a time.

import Foundation

public enum SchedulerError: Error, CustomStringConvertible, Sendable {
    /// `maxBatch` requests run and `maxQueue` wait already.
    case queueFull(waiting: Int)
    /// The scheduler is shutting down and takes no new work.
    case shuttingDown

    public var description: String {
        switch self {
        case .queueFull(let n): return "the server is busy: \(n) requests are already waiting; try again shortly"
        case .shuttingDown: return "the server is shutting down"
        }
    }
}

/// What the scheduler reports after each step (for metrics).
public struct SchedulerLoad: Sendable {
    public var activeStreams: Int
    public var queuedRequests: Int
    /// Frames made by the step just finished (one per active stream).
    public var framesMade: Int
}

public final class SynthesisScheduler: @unchecked Sendable {
    public let synthesizer: Synthesizer
    public let maxBatch: Int
    public let maxQueue: Int
    /// Called on the engine thread after every step.
    public var onStep: (@Sendable (SchedulerLoad) -> Void)?

    private let batch: GenerationBatch
    private let condition = NSCondition()
    private var waiting: [Job] = []
    private var work: [() -> Void] = []
    private var running: [Job] = []          // engine thread only
    private var runningCount = 0              // under `condition`, for readers on other threads
    private var framesMade = 0                // engine thread only: frames of the current step
    private var accepting = true
    private var stopped = false
    private var thread: Thread?

    public init(synthesizer: Synthesizer, maxBatch: Int = 8, maxQueue: Int = 32) {
        precondition(maxBatch >= 1 && maxQueue >= 0)
        self.synthesizer = synthesizer
        self.maxBatch = maxBatch
        self.maxQueue = maxQueue
        batch = GenerationBatch(model: synthesizer.model)
        let t = Thread { [unowned self] in self.loop() }
        t.name = "qwen3-tts engine"
        t.stackSize = 8 << 20
        thread = t
        t.start()
    }

    deinit { stop() }

    /// Requests generating now, and waiting to start.
    public var load: (active: Int, queued: Int) {
        condition.lock()
        defer { condition.unlock() }
        return (runningCount, waiting.count)
    }

    /// Queues a request and returns its events: audio chunks while it is generated, then one
    /// `.finished`. Throws `SchedulerError` at once when the queue is full or closed; errors of the
    /// request itself (an unknown speaker, say) end the stream before any audio. Ending the
    /// consumer's iteration (or cancelling its task) stops the request within one frame.
    /// `prepare` runs on the engine thread before the request starts (e.g. computing a voice
    /// prompt from reference audio) and may replace the request. Setting `cancellation` stops the
    /// request too (a server sets it when the client's connection closes).
    public func submit(_ request: SpeechRequest, options: GenerationOptions, segmentation: Segmentation = Segmentation(),
                       cancellation: CancellationFlag = CancellationFlag(),
                       prepare: (@Sendable (SpeechRequest) throws -> SpeechRequest)? = nil) throws
        -> AsyncThrowingStream<SynthesisEvent, Error>
    {
        let (events, continuation) = AsyncThrowingStream<SynthesisEvent, Error>.makeStream(bufferingPolicy: .unbounded)
        let job = Job(request: request, options: options, segmentation: segmentation, prepare: prepare,
                      cancelled: cancellation, continuation: continuation, scheduler: self)
        continuation.onTermination = { [weak self] _ in
            cancellation.set()
            self?.wake()
        }
        condition.lock()
        defer { condition.unlock() }
        guard accepting else { throw SchedulerError.shuttingDown }
        guard runningCount + waiting.count < maxBatch + maxQueue else { throw SchedulerError.queueFull(waiting: waiting.count) }
        waiting.append(job)
        condition.signal()
        return events
    }

    /// Runs `body` on the engine thread between two steps (anything that uses the backend).
    public func perform<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<T, Error>) in
            condition.lock()
            guard !stopped else {
                condition.unlock()
                c.resume(throwing: SchedulerError.shuttingDown)
                return
            }
            work.append { c.resume(with: Result { try body() }) }
            condition.signal()
            condition.unlock()
        }
    }

    /// Graceful shutdown: refuses new requests from now on, lets running and queued ones go on,
    /// and cancels whatever is still unfinished after `grace` seconds (each then ends within a frame).
    public func beginShutdown(grace: Double) {
        condition.lock()
        accepting = false
        condition.unlock()
        DispatchQueue.global().asyncAfter(deadline: .now() + max(0, grace)) { [weak self] in self?.cancelAll() }
    }

    /// Cancels every request, running or queued (each ends within one frame).
    public func cancelAll() {
        condition.lock()
        let jobs = waiting + running
        condition.unlock()
        for job in jobs { job.cancelled.set() }
        wake()
    }

    /// Stops the engine thread (after cancelling everything).
    public func stop() {
        condition.lock()
        accepting = false
        stopped = true
        let jobs = waiting
        condition.signal()
        condition.unlock()
        for job in jobs { job.cancelled.set() }
    }

    private func wake() {
        condition.lock()
        condition.signal()
        condition.unlock()
    }

    // MARK: The engine thread

    private func loop() {
        while true {
            condition.lock()
            while work.isEmpty && running.isEmpty && waiting.isEmpty && !stopped {
                condition.wait()
            }
            if stopped && running.isEmpty {
                let left = waiting
                waiting.removeAll()
                let tasks = work
                work.removeAll()
                condition.unlock()
                for job in left { job.finish(cancelled: true) }
                for task in tasks { task() }
                return
            }
            let tasks = work
            work.removeAll()
            // Cancelled requests leave the queue without starting; the rest fill the free slots.
            let dropped = waiting.filter { $0.cancelled.isSet }
            waiting.removeAll { $0.cancelled.isSet }
            let free = max(0, maxBatch - running.count)
            let admitted = Array(waiting.prefix(free))
            waiting.removeFirst(admitted.count)
            runningCount += admitted.count  // counted as running from here, so `submit` never over-admits
            condition.unlock()

            for task in tasks { task() }
            for job in dropped { job.finish(cancelled: true) }
            for job in admitted {
                running.append(job)
                job.start()
            }
            running.removeAll { $0.isDone }
            publishRunning()

            framesMade = 0
            if batch.count > 0 { batch.step() }
            running.removeAll { $0.isDone }
            publishRunning()
            let (active, queued) = load
            onStep?(SchedulerLoad(activeStreams: active, queuedRequests: queued, framesMade: framesMade))
        }
    }

    private func publishRunning() {
        condition.lock()
        runningCount = running.count
        condition.unlock()
    }

    /// One request: its segments, its codec stream, what it has delivered. Touched only by the
    /// engine thread once admitted.
    fileprivate final class Job {
        var request: SpeechRequest
        let options: GenerationOptions
        let segmentation: Segmentation
        let prepare: (@Sendable (SpeechRequest) throws -> SpeechRequest)?
        let continuation: AsyncThrowingStream<SynthesisEvent, Error>.Continuation
        unowned let scheduler: SynthesisScheduler
        let cancelled: CancellationFlag
        private let clock = ContinuousClock()
        private let submitted: ContinuousClock.Instant
        private(set) var isDone = false

        private var segments: [TextSegment] = []
        private var segmentIndex = 0
        private var decoder: SpeechDecoderStream?
        private var pending: [[Int]] = []
        private var segmentFrames = 0        // frames of the current segment handed to the decoder
        private var decodeError: Error?
        // Joining segments: silence owed before the next audio, the held-back end of the current
        // segment (faded out when the segment ends) and how much of its start is still to fade in.
        private var pauseOwed = 0
        private var tail: [Float] = []
        private var fadeInDone = 0
        private var summary: SynthesisSummary
        private var samplesOut = 0

        init(request: SpeechRequest, options: GenerationOptions, segmentation: Segmentation,
             prepare: (@Sendable (SpeechRequest) throws -> SpeechRequest)?, cancelled: CancellationFlag,
             continuation: AsyncThrowingStream<SynthesisEvent, Error>.Continuation, scheduler: SynthesisScheduler) {
            self.request = request
            self.options = options
            self.segmentation = segmentation
            self.prepare = prepare
            self.cancelled = cancelled
            self.continuation = continuation
            self.scheduler = scheduler
            submitted = clock.now
            summary = SynthesisSummary(stopReason: .eos, frames: 0, promptLength: 0, timeToFirstAudio: nil, totalSeconds: 0,
                                       prefillSeconds: 0, talkerSeconds: 0, codePredictorSeconds: 0, decoderSeconds: 0,
                                       audioSeconds: 0)
        }

        private var synthesizer: Synthesizer { scheduler.synthesizer }
        private var joined: Bool { segments.count > 1 }

        func start() {
            do {
                if let prepare { request = try prepare(request) }
                segments = synthesizer.segment(request.text, segmentation)
                // What is wrong with the request itself fails it now; only a segment's own text
                // problem skips that segment later.
                var first = request
                first.text = segments.first?.text ?? request.text
                _ = try synthesizer.model.prompt(for: first)
                if segments.isEmpty { segments = [TextSegment(text: request.text, range: request.text.startIndex..<request.text.endIndex, endsParagraph: true, endsSentence: true)] }
            } catch {
                finish(error: error)
                return
            }
            startSegment()
        }

        /// Adds the current segment's stream to the batch (skipping segments that cannot be spoken).
        private func startSegment() {
            while segmentIndex < segments.count {
                if cancelled.isSet { return finish(cancelled: true) }
                var r = request
                r.text = segments[segmentIndex].text
                do {
                    let stream = synthesizer.decoder.makeStream()
                    if let ref = r.voice?.referenceCodes {
                        let t0 = clock.now
                        try synthesizer.primeWithReference(stream, ref)
                        summary.decoderSeconds += (clock.now - t0).seconds
                    }
                    decoder = stream
                    pending.removeAll()
                    segmentFrames = 0
                    fadeInDone = 0
                    try scheduler.batch.add(r, options: options, onFrame: { [self] in frame($0) },
                                            completion: { [self] in segmentEnded($0) })
                    return
                } catch let error as GenerationError where joined {
                    summary.segments.append(skippedReport(error.description))
                    segmentIndex += 1
                } catch {
                    return finish(error: error)
                }
            }
            finish(cancelled: false)
        }

        private func frame(_ f: [Int]) -> Bool {
            if cancelled.isSet { return false }
            scheduler.framesMade += 1
            pending.append(f)
            if segmentFrames == 0 || pending.count >= synthesizer.decodeBatch { flush() }
            return decodeError == nil && !cancelled.isSet
        }

        private func flush() {
            guard !pending.isEmpty, let decoder, decodeError == nil else { return }
            let t0 = clock.now
            do {
                let audio = try decoder.push(pending)
                summary.decoderSeconds += (clock.now - t0).seconds
                deliver(audio, codes: pending, firstFrame: summary.frames + segmentFrames)
                segmentFrames += pending.count
                pending.removeAll(keepingCapacity: true)
            } catch {
                decodeError = error
            }
        }

        /// Hands audio to the consumer. A single utterance goes out as decoded; joined segments
        /// get the offline path's pauses and 10 ms fades, so the end of each chunk is held back
        /// until it is known whether the segment ends there.
        private func deliver(_ audio: [Float], codes: [[Int]], firstFrame: Int) {
            guard joined else { return emit(audio, codes: codes, firstFrame: firstFrame) }
            var x = tail + audio
            let fade = Synthesizer.fadeSamples
            while fadeInDone < fade && fadeInDone < x.count {
                x[fadeInDone] *= Self.fadeGain(fadeInDone, fade)
                fadeInDone += 1
            }
            let keep = min(fade, x.count)
            tail = Array(x[(x.count - keep)...])
            x.removeLast(keep)
            if !x.isEmpty { emit(x, codes: codes, firstFrame: firstFrame) }
        }

        private static func fadeGain(_ i: Int, _ n: Int) -> Float { Float(0.5 - 0.5 * cos(Double.pi * Double(i) / Double(n))) }

        private func emit(_ samples: [Float], codes: [[Int]], firstFrame: Int) {
            if pauseOwed > 0 {
                let silence = [Float](repeating: 0, count: pauseOwed)
                pauseOwed = 0
                emit(silence, codes: [], firstFrame: firstFrame)
            }
            if summary.timeToFirstAudio == nil { summary.timeToFirstAudio = (clock.now - submitted).seconds }
            samplesOut += samples.count
            continuation.yield(.audio(AudioChunk(samples: samples, firstFrame: firstFrame, codes: codes, segment: segmentIndex)))
        }

        private func segmentEnded(_ result: Result<GenerationResult, Error>) {
            flush()
            if let decodeError { return finish(error: decodeError) }
            switch result {
            case .success(let r):
                summary.promptLength += r.promptLength
                summary.prefillSeconds += r.prefillSeconds
                summary.talkerSeconds += r.talkerSeconds
                summary.codePredictorSeconds += r.codePredictorSeconds
                summary.stopReason = r.stopReason
                let seg = segments[segmentIndex]
                let start = Double(samplesOut) / Double(synthesizer.sampleRate)
                if joined && !tail.isEmpty {
                    let n = tail.count
                    for i in 0..<n { tail[i] *= Self.fadeGain(n - 1 - i, Synthesizer.fadeSamples) }
                    emit(tail, codes: [], firstFrame: summary.frames + segmentFrames)
                    tail.removeAll()
                }
                summary.frames += segmentFrames
                summary.segments.append(SegmentReport(index: segmentIndex, text: seg.text, endsParagraph: seg.endsParagraph,
                                                      frames: segmentFrames, stopReason: r.stopReason, retried: false,
                                                      skipped: nil, start: start,
                                                      end: Double(samplesOut) / Double(synthesizer.sampleRate)))
                if r.stopReason == .cancelled || cancelled.isSet { return finish(cancelled: true) }
                if segmentFrames > 0 {
                    let pause = seg.endsParagraph ? segmentation.paragraphPause : segmentation.sentencePause
                    pauseOwed = Int((max(0, pause) * Double(synthesizer.sampleRate)).rounded())
                }
                segmentIndex += 1
                startSegment()
            case .failure(let error as GenerationError) where joined:
                summary.segments.append(skippedReport(error.description))
                segmentIndex += 1
                startSegment()
            case .failure(let error):
                finish(error: error)
            }
        }

        private func skippedReport(_ why: String) -> SegmentReport {
            let seg = segments[segmentIndex]
            let at = Double(samplesOut) / Double(synthesizer.sampleRate)
            return SegmentReport(index: segmentIndex, text: seg.text, endsParagraph: seg.endsParagraph, frames: 0,
                                 stopReason: nil, retried: false, skipped: why, start: at, end: at)
        }

        func finish(cancelled wasCancelled: Bool) {
            guard !isDone else { return }
            isDone = true
            if wasCancelled || cancelled.isSet { summary.stopReason = .cancelled }
            summary.totalSeconds = (clock.now - submitted).seconds
            summary.audioSeconds = Double(samplesOut) / Double(synthesizer.sampleRate)
            continuation.yield(.finished(summary))
            continuation.finish()
        }

        func finish(error: Error) {
            guard !isDone else { return }
            isDone = true
            continuation.finish(throwing: error)
        }
    }
}
