// What the HTTP layer serves: the loaded model with its scheduler, the voice library, metrics and
// readiness. Requests are turned into engine work here; Application+build.swift only routes.

import AudioIO
import Foundation
import Logging
import NIOConcurrencyHelpers
import Qwen3TTS

/// Server settings (the `serve` command's flags).
public struct ServerOptions: Sendable {
    public var host = "127.0.0.1"
    public var port = 8000
    /// Holds the SQLite voice library (voices.sqlite) unless `databaseURL` is given.
    public var dataDirectory: String
    /// postgres://user:password@host:port/database: a voice library shared by several servers.
    public var databaseURL: String?
    /// Requests to /v1/* need `Authorization: Bearer <apiKey>` when set.
    public var apiKey: String?
    /// Streams generated together, and requests waiting beyond those (more get 429).
    public var maxBatch = 8
    public var maxQueue = 32
    /// Longest `input`, in characters.
    public var maxInputCharacters = 4096
    /// Largest upload (voice sample or `ref_audio`), in bytes.
    public var maxUploadBytes = 20 << 20
    /// Seconds that in-flight streams may go on after SIGTERM before they are cut.
    public var shutdownGrace = 30.0
    /// The id /v1/models reports (--served-model-name; by default the checkpoint folder's name or repo id).
    public var modelID = "qwen3-tts"
    /// The most frames one request (one segment of a long text) may make, whatever it asks for:
    /// bounds the work a single request can cause. nil: the checkpoint's max_new_tokens.
    public var maxNewTokens: Int?

    public init(dataDirectory: String) { self.dataDirectory = dataDirectory }
}

public final class SpeechServer: Sendable {
    public let options: ServerOptions
    public let scheduler: SynthesisScheduler
    public let store: any VoiceStore
    public let metrics: ServerMetrics
    let logger: Logger
    private let cloner = NIOLockedValueBox<VoiceCloner?>(nil)
    private let readiness = NIOLockedValueBox<(ready: Bool, detail: [String: String])>((false, [:]))
    let created = Int64(Date().timeIntervalSince1970)

    public var model: Qwen3TTSModel { scheduler.synthesizer.model }
    public var isReady: Bool { readiness.withLockedValue { $0.ready } }

    public init(synthesizer: Synthesizer, store: any VoiceStore, options: ServerOptions, logger: Logger) {
        self.options = options
        self.store = store
        self.logger = logger
        let metrics = ServerMetrics()
        self.metrics = metrics
        scheduler = SynthesisScheduler(synthesizer: synthesizer, maxBatch: options.maxBatch, maxQueue: options.maxQueue)
        scheduler.onStep = { metrics.engine($0) }
    }

    /// Opens the voice library the options name: PostgreSQL for a postgres:// URL (returning its
    /// client, which must run as a service), else SQLite in the data folder.
    public static func openStore(_ options: ServerOptions, logger: Logger) async throws
        -> (store: any VoiceStore, postgres: PostgresVoiceStore?)
    {
        if let url = options.databaseURL {
            let store = PostgresVoiceStore(client: try PostgresVoiceStore.makeClient(url: url, logger: logger))
            return (store, store)
        }
        do {
            try FileManager.default.createDirectory(atPath: options.dataDirectory, withIntermediateDirectories: true)
        } catch {
            throw VoiceStoreError.unavailable("cannot create data folder \(options.dataDirectory): \(error.localizedDescription)")
        }
        return (try await SQLiteVoiceStore.open(path: options.dataDirectory + "/voices.sqlite", logger: logger), nil)
    }

    // MARK: Speech

    /// Model names a request may carry: ours, and the names OpenAI clients send by default.
    func accepts(model name: String) -> Bool {
        let ours = [options.modelID, URL(fileURLWithPath: options.modelID).lastPathComponent, "qwen3-tts"]
        return ours.contains(name) || ["tts-1", "tts-1-hd", "gpt-4o-mini-tts"].contains(name)
    }

    /// The engine request for `p`, and the work to do on the engine thread before it starts.
    func resolve(_ p: SpeechParameters) async throws
        -> (SpeechRequest, (@Sendable (SpeechRequest) throws -> SpeechRequest)?)
    {
        let kind = model.kind
        if let t = p.taskType, t != kind {
            throw APIError.invalid("task_type \(Self.taskName(t)) needs a \(Self.taskName(t)) checkpoint; this server runs a \(Self.taskName(kind)) model",
                                   param: "task_type", code: "unsupported_task")
        }
        var r = SpeechRequest(text: p.input, language: p.language)
        if p.refAudio != nil && kind != .base {
            throw APIError.invalid("ref_audio needs a Base checkpoint; this server runs a \(Self.taskName(kind)) model",
                                   param: "ref_audio", code: "unsupported_task")
        }
        switch kind {
        case .customVoice:
            let name = p.voice ?? defaultSpeaker
            guard let speaker = model.speakers.first(where: { $0.lowercased() == name.lowercased() }) else {
                throw APIError.invalid("unknown voice '\(name)'; this model's voices are \(model.speakers.joined(separator: ", "))",
                                       param: "voice", code: "unknown_voice")
            }
            r.speaker = speaker
            r.instruct = p.instructions.flatMap { $0.isEmpty ? nil : $0 }
            return (r, nil)
        case .voiceDesign:
            guard let description = p.instructions, !description.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw APIError.invalid("a VoiceDesign model needs 'instructions' describing the voice", param: "instructions",
                                       code: "missing_field")
            }
            r.instruct = description
            return (r, nil)
        case .base:
            if let audio = p.refAudio {
                let refText = p.refText.flatMap { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? nil : $0 }
                if !p.xVectorOnly && refText == nil {
                    throw APIError.invalid("in-context cloning needs ref_text (the transcript of ref_audio); or set x_vector_only_mode",
                                           param: "ref_text", code: "missing_field")
                }
                let xVectorOnly = p.xVectorOnly
                return (r, { [self] request in
                    var request = request
                    let samples = try ReferenceAudio.load(data: audio, name: "ref_audio")
                    request.voice = try voiceCloner().prompt(samples24k: samples, referenceText: refText, xVectorOnly: xVectorOnly)
                    return request
                })
            }
            guard let name = p.voice else {
                throw APIError.invalid("a Base model needs 'voice' (an uploaded voice) or 'ref_audio'", param: "voice",
                                       code: "missing_field")
            }
            guard let stored = try await store.get(name) else {
                throw APIError.invalid("no uploaded voice named '\(name)' (GET /v1/audio/voices lists them)", param: "voice",
                                       code: "unknown_voice")
            }
            do { r.voice = try VoiceFile.decode(stored.voice, name: "voice '\(name)'", for: model) } catch {
                throw APIError.invalid("voice '\(name)' cannot be used with this model: \(error)", param: "voice",
                                       code: "voice_unusable")
            }
            return (r, nil)
        }
    }

    var defaultSpeaker: String {
        model.speakers.first { $0.lowercased() == "vivian" } ?? model.speakers.first ?? "vivian"
    }

    static func taskName(_ kind: ModelKind) -> String {
        switch kind {
        case .base: "Base"
        case .customVoice: "CustomVoice"
        case .voiceDesign: "VoiceDesign"
        }
    }

    /// The speaker and codec encoders, loaded at first use (on the engine thread).
    func voiceCloner() throws -> VoiceCloner {
        try cloner.withLockedValue { c in
            if let c { return c }
            let made = try VoiceCloner(model: model)
            c = made
            return made
        }
    }

    // MARK: Voices

    /// Computes the voice prompt of an uploaded sample (on the engine thread) and stores it.
    func createVoice(name: String, consent: String, refText: String?, audio: Data, filename: String?) async throws -> StoredVoice {
        guard model.kind == .base else {
            throw APIError.invalid("voice uploads need a Base checkpoint; this server runs a \(Self.taskName(model.kind)) model",
                                   code: "unsupported_task")
        }
        if try await store.get(name) != nil { throw VoiceStoreError.exists(name) }
        let transcript = refText.flatMap { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? nil : $0 }
        let model = self.model
        let label = filename ?? "audio_sample"
        let data: Data = try await scheduler.perform { [self] in
            let samples = try ReferenceAudio.load(data: audio, name: label)
            let prompt = try voiceCloner().prompt(samples24k: samples, referenceText: transcript, xVectorOnly: transcript == nil)
            return try VoiceFile.encode(prompt, for: model)
        }
        let voice = StoredVoice(name: name, createdAt: Int64(Date().timeIntervalSince1970), consent: consent,
                                refText: transcript, mode: transcript == nil ? "x_vector" : "icl",
                                model: VoiceFile.compatibility(of: model), voice: data)
        try await store.insert(voice)
        return voice
    }

    // MARK: Readiness

    /// Runs every path once (each mode this checkpoint has, each response format whose library is
    /// present), so the first real request pays no first-use costs; then reports ready.
    public func warmUp() async {
        let clock = ContinuousClock()
        let t0 = clock.now
        var detail: [String: String] = [:]
        let options = (try? model.generationOptions(Self.warmUpOverrides)) ?? GenerationOptions(model.generationConfig)
        var requests: [(String, SpeechRequest, (@Sendable (SpeechRequest) throws -> SpeechRequest)?)] = []
        switch model.kind {
        case .customVoice:
            requests.append(("custom_voice", SpeechRequest(text: "Warm up.", speaker: defaultSpeaker), nil))
        case .voiceDesign:
            requests.append(("voice_design", SpeechRequest(text: "Warm up.", instruct: "A calm voice."), nil))
        case .base:
            let reference = Self.warmUpReference()
            for (mode, icl) in [("clone_x_vector", false), ("clone_icl", true)] {
                requests.append((mode, SpeechRequest(text: "Warm up."), { [self] r in
                    var r = r
                    r.voice = try voiceCloner().prompt(samples24k: reference, referenceText: icl ? "Warm up reference." : nil,
                                                       xVectorOnly: !icl)
                    return r
                }))
            }
        }
        var samples: [Float] = []
        for (mode, request, prepare) in requests {
            do {
                for try await event in try scheduler.submit(request, options: options, prepare: prepare) {
                    if case .audio(let chunk) = event { samples += chunk.samples }
                }
                detail[mode] = "ok"
            } catch {
                detail[mode] = "failed: \(error)"
                logger.error("warm-up of \(mode) failed: \(error)")
            }
        }
        if samples.isEmpty { samples = [Float](repeating: 0, count: 1920) }
        for format in ResponseFormat.allCases {
            do {
                let encoder = try AudioStreamEncoder(format: format, sampleRate: scheduler.synthesizer.sampleRate)
                _ = try encoder.encode(samples)
                _ = try encoder.finish()
                detail["format_\(format.rawValue)"] = "ok"
            } catch {
                detail["format_\(format.rawValue)"] = "unavailable: \(error)"
            }
        }
        let ok = requests.allSatisfy { detail[$0.0] == "ok" }
        readiness.withLockedValue { $0 = (ok, detail) }
        logger.info("warm-up \(ok ? "done" : "FAILED") in \(String(format: "%.2f", (clock.now - t0).seconds)) s: \(detail.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", "))")
    }

    var readinessDetail: [String: String] { readiness.withLockedValue { $0.detail } }

    static var warmUpOverrides: GenerationOverrides {
        var o = GenerationOverrides()
        o.maxNewTokens = 3
        o.seed = 0
        return o
    }

    /// Two seconds of a voiced-like signal (a buzz with a moving pitch), for warming up cloning.
    static func warmUpReference() -> [Float] {
        (0..<48000).map { i in
            let t = Double(i) / 24000
            let f0 = 120 + 30 * sin(2 * Double.pi * 0.7 * t)
            var x = 0.0
            for k in 1...8 { x += sin(2 * Double.pi * f0 * Double(k) * t) / Double(k) }
            return Float(0.2 * x)
        }
    }
}

/// Encodes a response's audio as it is made: each call returns the bytes ready so far.
final class AudioStreamEncoder: @unchecked Sendable {
    private final class Collector: @unchecked Sendable { var data = Data() }
    private let collector = Collector()
    private let sink: any AudioSink

    init(format: ResponseFormat, sampleRate: Int) throws {
        let collector = self.collector
        sink = try AudioIO.makeSink(format: format.audioFormat, destination: .stream { collector.data.append($0) },
                                    sampleRate: sampleRate)
    }

    private func take() -> Data {
        defer { collector.data.removeAll(keepingCapacity: true) }
        return collector.data
    }

    func encode(_ samples: [Float]) throws -> Data {
        try sink.write(samples)
        return take()
    }

    func finish() throws -> Data {
        try sink.close()
        return take()
    }
}
