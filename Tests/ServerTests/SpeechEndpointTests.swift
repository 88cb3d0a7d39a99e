// POST /v1/audio/speech over real sockets: every format gives the library's audio, SSE framing,
// batching that changes no stream's output, the bounded queue, disconnects, and the error bodies.

import AudioIO
import Foundation
import Qwen3TTS
@testable import Qwen3TTSServer
import Testing

/// Runs `body` against a fresh server and always stops it.
func withServer(_ kind: String = "custom_voice", configure: (inout ServerOptions) -> Void = { _ in },
                _ body: (LiveServer) async throws -> Void) async throws {
    let s = try await LiveServer.start(kind, configure: configure)
    do { try await body(s) } catch {
        await s.stop()
        throw error
    }
    await s.stop()
}

/// The audio the library makes for `request` (run on the server's engine thread, which owns the backend).
func libraryAudio(_ s: LiveServer, _ request: SpeechRequest, _ overrides: GenerationOverrides) async throws -> [Float] {
    let synthesizer = s.scheduler.synthesizer
    return try await s.scheduler.perform {
        var samples: [Float] = []
        _ = try synthesizer.run(request, options: try synthesizer.model.generationOptions(overrides)) { samples += $0.samples }
        return samples
    }
}

func overrides(seed: UInt64, maxNewTokens: Int) -> GenerationOverrides {
    var o = GenerationOverrides()
    o.seed = seed
    o.maxNewTokens = maxNewTokens
    return o
}

/// The events of an SSE body.
func sseEvents(_ body: Data) throws -> [[String: Any]] {
    let text = String(decoding: body, as: UTF8.self)
    #expect(text.hasSuffix("\n\n"))
    return try text.components(separatedBy: "\n\n").filter { !$0.isEmpty }.map { block in
        #expect(block.hasPrefix("data: "))
        let payload = Data(block.dropFirst("data: ".count).utf8)
        return try #require(try JSONSerialization.jsonObject(with: payload) as? [String: Any])
    }
}

@Suite(.serialized) struct ServerTests {}

extension ServerTests {
    @Suite struct Speech {
        @Test func operationalEndpointsAnswer() async throws {
            try await withServer { s in
                let health = try await s.get("/health")
                #expect(health.status == 200 && health.json?["status"] as? String == "ok")
                let ready = try await s.get("/ready")
                #expect(ready.status == 200 && ready.json?["ready"] as? Bool == true)
                let checks = try #require(ready.json?["checks"] as? [String: String])
                #expect(checks["custom_voice"] == "ok" && checks["format_wav"] == "ok" && checks["format_pcm"] == "ok")
                #expect(ready.headers["x-request-id"]?.isEmpty == false)

                let models = try await s.get("/v1/models")
                let data = try #require(models.json?["data"] as? [[String: Any]])
                #expect(models.status == 200 && data.count == 1 && data[0]["id"] as? String == "tiny-custom_voice")
                #expect(try await s.get("/v1/models/tiny-custom_voice").json?["object"] as? String == "model")
                let missing = try await s.get("/v1/models/nope")
                #expect(missing.status == 404 && missing.error?["type"] as? String == "not_found_error")

                let doc = try await s.get("/openapi.json")
                #expect(doc.status == 200 && doc.json?["openapi"] as? String == "3.1.0")
                let paths = try #require(doc.json?["paths"] as? [String: Any])
                for path in ["/v1/audio/speech", "/v1/models", "/v1/models/{id}", "/v1/audio/voices", "/v1/audio/voices/{name}",
                             "/health", "/ready", "/metrics", "/openapi.json"] {
                    #expect(paths[path] != nil, "openapi.json lacks \(path)")
                }

                let speech = try await s.post("/v1/audio/speech", ["input": "Measure me.", "max_new_tokens": 6])
                #expect(speech.status == 200 && speech.headers["x-request-id"]?.isEmpty == false)
                let metrics = try await s.get("/metrics")
                #expect(metrics.status == 200 && metrics.headers["content-type"]?.hasPrefix("text/plain") == true)
                #expect(metrics.text.contains("qwen3tts_requests_total{method=\"POST\",route=\"/v1/audio/speech\",status=\"200\"} 1"))
                #expect(try await s.metric("qwen3tts_time_to_first_audio_seconds_count") == 1)
                #expect(try await s.metric("qwen3tts_real_time_factor_count") == 1)
                #expect(try await s.metric("qwen3tts_frames_total") ?? 0 >= 5)
                #expect(try await s.metric("qwen3tts_active_streams") == 0)
                #expect(try await s.metric("qwen3tts_queue_depth") == 0)
            }
        }

        @Test func everyFormatCarriesTheLibrarysAudio() async throws {
            try await withServer { s in
                let reference = try await libraryAudio(s, SpeechRequest(text: "Hello there.", speaker: "ryan"),
                                                       overrides(seed: 7, maxNewTokens: 10))
                #expect(reference.count == 9 * 1920)
                let pcm16 = PCM.s16le(reference)
                for format in ResponseFormat.allCases {
                    let r = try await s.post("/v1/audio/speech", ["model": "tiny-custom_voice", "input": "Hello there.", "voice": "ryan",
                                                            "seed": 7, "max_new_tokens": 10, "response_format": format.rawValue])
                    #expect(r.status == 200, "\(format): \(r.text)")
                    #expect(r.complete)
                    #expect(r.headers["content-type"] == format.contentType)
                    switch format {
                    case .pcm:
                        #expect(r.body == pcm16)
                    case .wav:
                        #expect(r.body.count == 44 + pcm16.count)
                        #expect(r.body.suffix(pcm16.count) == pcm16)
                        #expect(try wavSamples(r.body).count == reference.count)
                    case .flac:
                        let decoded = try AudioIO.read(data: r.body, name: "r.flac").samples
                        #expect(decoded.count == reference.count)
                        // Lossless over the 16-bit samples (reading back as float may round by one step).
                        let worst = zip(decoded, reference).map { abs(Int(PCM.int16($0)) - Int(PCM.int16($1))) }.max() ?? 99
                        #expect(worst <= 1, "FLAC differs by \(worst) steps")
                    case .mp3, .opus:
                        let decoded = try AudioIO.read(data: r.body, name: "r.\(format.rawValue)")
                        let seconds = Double(decoded.samples.count) / Double(decoded.sampleRate * decoded.channels)
                        #expect(abs(seconds - 9 * 0.08) < 0.1, "\(format): \(seconds) s")
                    }
                }
            }
        }

        @Test func sseFramesTheSameAudio() async throws {
            try await withServer { s in
                let request: [String: Any] = ["input": "Streaming, please.", "voice": "vivian", "seed": 3, "max_new_tokens": 9,
                                              "response_format": "pcm"]
                let plain = try await s.post("/v1/audio/speech", request)
                var sse = request
                sse["stream_format"] = "sse"
                let r = try await s.post("/v1/audio/speech", sse)
                #expect(r.status == 200 && r.headers["content-type"] == "text/event-stream")
                let events = try sseEvents(r.body)
                #expect(events.count >= 3)
                var audio = Data()
                for e in events.dropLast() {
                    #expect(e["type"] as? String == "speech.audio.delta")
                    let text = try #require(e["audio"] as? String)
                    audio += try #require(Data(base64Encoded: text))
                }
                let done = try #require(events.last)
                #expect(done["type"] as? String == "speech.audio.done")
                let usage = try #require(done["usage"] as? [String: Int])
                #expect(usage["output_tokens"] == 8 && usage["total_tokens"] == usage["input_tokens"]! + 8)
                #expect(audio == plain.body && audio.count == 8 * 1920 * 2)
            }
        }

        @Test func concurrentStreamsAreBatchedAndEachSoundsAsAlone() async throws {
            try await withServer(configure: { $0.maxBatch = 4 }) { s in
                let texts = ["First voice here.", "A second, longer sentence to speak.", "Third."]
                var alone: [[Float]] = []
                for (i, t) in texts.enumerated() {
                    alone.append(try await libraryAudio(s, SpeechRequest(text: t, speaker: "eric"), overrides(seed: UInt64(i), maxNewTokens: 30)))
                }
                let peak = PeakCounter()
                let metrics = s.server.metrics
                s.scheduler.onStep = { load in
                    peak.record(load.activeStreams)
                    metrics.engine(load)
                }
                let port = s.port
                let bodies = try await withThrowingTaskGroup(of: (Int, HTTPResponse).self) { group in
                    for (i, t) in texts.enumerated() {
                        group.addTask {
                            (i, try await postJSON(port, "/v1/audio/speech", ["input": t, "voice": "eric", "seed": i, "max_new_tokens": 30,
                                                                        "response_format": "pcm"]))
                        }
                    }
                    var out = [Data](repeating: Data(), count: texts.count)
                    for try await (i, r) in group {
                        #expect(r.status == 200)
                        out[i] = r.body
                    }
                    return out
                }
                for i in texts.indices { #expect(bodies[i] == PCM.s16le(alone[i]), "stream \(i) differs from its solo run") }
                #expect(peak.value >= 2, "the requests never ran together")
            }
        }

        @Test func fullQueueAnswers429() async throws {
            try await withServer(configure: { $0.maxBatch = 1; $0.maxQueue = 0 }) { s in
                // Hold the engine thread so the first request stays queued.
                let hold = Task { try await s.scheduler.perform { Thread.sleep(forTimeInterval: 3) } }
                try await Task.sleep(for: .milliseconds(100))
                let port = s.port
                let first = Task {
                    try await postJSON(port, "/v1/audio/speech", ["input": "One.", "voice": "ryan", "max_new_tokens": 4, "response_format": "pcm"])
                }
                while s.scheduler.load.queued == 0 { try await Task.sleep(for: .milliseconds(10)) }
                let second = try await s.post("/v1/audio/speech", ["input": "Two.", "voice": "ryan"])
                #expect(second.status == 429)
                #expect(second.headers["retry-after"] == "1")
                #expect(second.error?["type"] as? String == "rate_limit_error")
                try await hold.value
                let r = try await first.value
                #expect(r.status == 200 && r.body.count == 3 * 1920 * 2)
                #expect(try await s.metric("qwen3tts_requests_total{method=\"POST\",route=\"/v1/audio/speech\",status=\"429\"}") == 1)
            }
        }

        @Test func disconnectStopsGenerationWithinAFrame() async throws {
            try await withServer { s in
                let frames = FrameCounter()
                let metrics = s.server.metrics
                s.scheduler.onStep = { load in
                    frames.add(load.framesMade)
                    metrics.engine(load)
                }
                let text = String(repeating: "This sentence goes on and on. ", count: 20)
                let port = s.port
                let body = try JSONSerialization.data(withJSONObject: ["input": text, "voice": "ryan", "max_new_tokens": 4000,
                                                                       "response_format": "pcm"])
                let (c, status) = try await offPool {
                    let c = try HTTPConnection(port: port)
                    try c.sendRequest("POST", "/v1/audio/speech", headers: ["Content-Type": "application/json"], body: body)
                    let (status, headers) = try c.readHead()
                    var got = 0
                    _ = try c.readBody(headers) { piece in
                        got += piece.count
                        return got < 10 * 1920 * 2
                    }
                    return (c, status)
                }
                #expect(status == 200)
                #expect(s.scheduler.load.active == 1, "the stream should still be generating")
                let atClose = frames.value
                shutdown(c.fd, Int32(SHUT_RDWR))
                let deadline = Date().addingTimeInterval(5)
                while s.scheduler.load.active > 0 && Date() < deadline { try await Task.sleep(for: .milliseconds(5)) }
                #expect(s.scheduler.load.active == 0)
                #expect(frames.value - atClose <= 8, "\(frames.value - atClose) frames were made after the client left")
            }
        }

        @Test func badRequestsGetOpenAIStyleErrors() async throws {
            try await withServer(configure: { $0.maxInputCharacters = 40; $0.maxUploadBytes = 3000 }) { s in
                let cases: [([String: Any], Int, String?, String?)] = [
                    ([:], 400, "input", "missing_field"),
                    (["input": "   "], 400, "input", nil),
                    (["input": String(repeating: "a", count: 41)], 400, "input", "input_too_long"),
                    (["input": 5], 400, "input", "invalid_type"),
                    (["input": "Hi.", "speed": 1.5], 400, "speed", "unsupported_value"),
                    (["input": "Hi.", "response_format": "aac"], 400, "response_format", "unsupported_format"),
                    (["input": "Hi.", "stream_format": "ws"], 400, "stream_format", nil),
                    (["input": "Hi.", "voice": "alloy"], 400, "voice", "unknown_voice"),
                    (["input": "Hi.", "voice": ["name": "x"]], 400, "voice", nil),
                    (["input": "Hi.", "task_type": "Base"], 400, "task_type", "unsupported_task"),
                    (["input": "Hi.", "task_type": "Sing"], 400, "task_type", nil),
                    (["input": "Hi.", "ref_audio": "UklGRg=="], 400, "ref_audio", "unsupported_task"),
                    (["input": "Hi.", "ref_audio": "https://example.com/a.wav"], 400, "ref_audio", nil),
                    (["input": "Hi.", "top_p": 1.5], 400, "top_p", nil),
                    (["input": "Hi.", "top_k": -1], 400, "top_k", nil),
                    (["input": "Hi.", "max_new_tokens": 0], 400, "max_new_tokens", nil),
                    (["input": "Hi.", "seed": -3], 400, "seed", nil),
                    (["input": "Hi.", "seed": 1.5], 400, "seed", "invalid_type"),
                    (["input": "Hi.", "x_vector_only_mode": "yes"], 400, "x_vector_only_mode", "invalid_type"),
                    (["input": "Hi.", "language": "Klingon"], 400, nil, nil),
                    (["input": "Hi.", "model": "whisper-1"], 404, "model", nil),
                ]
                for (body, status, param, code) in cases {
                    let r = try await s.post("/v1/audio/speech", body)
                    #expect(r.status == status, "\(body): \(r.status) \(r.text)")
                    let e = try #require(r.error, "\(body): no error body")
                    #expect((e["message"] as? String)?.isEmpty == false)
                    #expect(e["type"] is String && e.keys.contains("param") && e.keys.contains("code"))
                    if let param { #expect(e["param"] as? String == param, "\(body): \(e)") }
                    if let code { #expect(e["code"] as? String == code, "\(body): \(e)") }
                }
                for raw in ["", "not json", "[1, 2]", "{\"input\": "] {
                    let r = try await http("POST", s.port, "/v1/audio/speech", headers: ["Content-Type": "application/json"], body: Data(raw.utf8))
                    #expect(r.status == 400 && r.error?["code"] as? String == "invalid_json", "\(raw): \(r.text)")
                }
                let big = try await http("POST", s.port, "/v1/audio/speech", headers: ["Content-Type": "application/json"],
                                   body: Data(repeating: 32, count: 200_000))
                #expect(big.status == 413 && big.error != nil)
                let unknown = try await s.get("/v2/nothing")
                #expect(unknown.status == 404 && unknown.error?["type"] as? String == "not_found_error")
                let wrongMethod = try await http("PUT", s.port, "/v1/models")
                #expect([404, 405].contains(wrongMethod.status) && wrongMethod.error != nil)
                // Nothing above broke the server.
                #expect(try await s.post("/v1/audio/speech", ["input": "Still here.", "max_new_tokens": 3]).status == 200)
            }
        }

        @Test func apiKeyGuardsTheAPI() async throws {
            try await withServer(configure: { $0.apiKey = "s3cret" }) { s in
                let none = try await s.get("/v1/models")
                #expect(none.status == 401 && none.error?["type"] as? String == "authentication_error")
                #expect(none.headers["www-authenticate"] == "Bearer")
                #expect(try await s.get("/v1/models", headers: ["Authorization": "Bearer nope"]).status == 401)
                #expect(try await s.get("/v1/models", headers: ["Authorization": "Bearer s3cret"]).status == 200)
                #expect(try await s.post("/v1/audio/speech", ["input": "Hi."]).status == 401)
                #expect(try await s.get("/health").status == 200)
                #expect(try await s.get("/metrics").status == 200)
            }
        }
    }
}

final class PeakCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var peak = 0
    func record(_ v: Int) { lock.lock(); peak = max(peak, v); lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return peak }
}

final class FrameCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var total = 0
    func add(_ v: Int) { lock.lock(); total += v; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return total }
}
