// What /metrics reports, through swift-metrics with the Prometheus exporter. Each app owns its
// registry (no global bootstrap), so tests can run several servers in one process.

import Foundation
import Metrics
import NIOConcurrencyHelpers
import Prometheus
import Qwen3TTS

public final class ServerMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    private let timeToFirstAudio: Metrics.Recorder
    private let realTimeFactor: Metrics.Recorder
    private let queueDepth: Metrics.Meter
    private let activeStreams: Metrics.Meter
    private let framesTotal: Metrics.Counter
    private let framesPerSecond: Metrics.Meter
    private let window = NIOLockedValueBox<(start: ContinuousClock.Instant, frames: Int)>((ContinuousClock.now, 0))

    public init() {
        registry = PrometheusCollectorRegistry()
        var f = PrometheusMetricsFactory(registry: registry)
        f.valueHistogramBuckets["qwen3tts_time_to_first_audio_seconds"] =
            [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64]
        f.valueHistogramBuckets["qwen3tts_real_time_factor"] = [0.1, 0.25, 0.5, 1, 1.5, 2, 3, 4, 6, 8, 16, 32]
        factory = f
        timeToFirstAudio = Metrics.Recorder(label: "qwen3tts_time_to_first_audio_seconds", aggregate: true, factory: f)
        realTimeFactor = Metrics.Recorder(label: "qwen3tts_real_time_factor", aggregate: true, factory: f)
        queueDepth = Metrics.Meter(label: "qwen3tts_queue_depth", factory: f)
        activeStreams = Metrics.Meter(label: "qwen3tts_active_streams", factory: f)
        framesTotal = Metrics.Counter(label: "qwen3tts_frames_total", factory: f)
        framesPerSecond = Metrics.Meter(label: "qwen3tts_frames_per_second", factory: f)
        queueDepth.set(0)
        activeStreams.set(0)
        framesPerSecond.set(0)
    }

    /// One finished HTTP request.
    public func request(method: String, route: String, status: Int) {
        Metrics.Counter(label: "qwen3tts_requests_total",
                dimensions: [("method", method), ("route", route), ("status", String(status))], factory: factory).increment()
    }

    /// One finished synthesis (time to first audio from arrival, wall time over audio duration).
    public func synthesis(_ summary: SynthesisSummary) {
        if let t = summary.timeToFirstAudio { timeToFirstAudio.record(t) }
        if summary.audioSeconds > 0 { realTimeFactor.record(summary.realTimeFactor) }
    }

    /// After each engine step.
    public func engine(_ load: SchedulerLoad) {
        queueDepth.set(load.queuedRequests)
        activeStreams.set(load.activeStreams)
        if load.framesMade > 0 { framesTotal.increment(by: load.framesMade) }
        // Frames per second over windows of at least a second (0 once the engine is idle).
        let now = ContinuousClock.now
        let rate: Double? = window.withLockedValue { w in
            w.frames += load.framesMade
            let elapsed = (now - w.start).seconds
            if load.activeStreams == 0 && load.framesMade == 0 { w = (now, 0); return 0 }
            guard elapsed >= 1 else { return nil }
            let r = Double(w.frames) / elapsed
            w = (now, 0)
            return r
        }
        if let rate { framesPerSecond.set(rate) }
    }

    /// The Prometheus text exposition.
    public func exposition() -> String {
        var out = [UInt8]()
        registry.emit(into: &out)
        return String(decoding: out, as: UTF8.self)
    }
}

