// The HTTP application: routes, middleware and services, built by one function that the `serve`
// command and the tests share.
//
//   POST   /v1/audio/speech          speech (audio stream or SSE)
//   GET    /v1/models                the loaded model
//   GET    /v1/audio/voices          built-in speakers and uploaded voices
//   POST   /v1/audio/voices          upload a voice (multipart: audio_sample, name, consent, ref_text)
//   DELETE /v1/audio/voices/{name}
//   GET    /health /ready /metrics /openapi.json

import AudioIO
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Qwen3TTS
import ServiceLifecycle

/// Per-request context: Hummingbird's core storage plus the connection, whose closing cancels
/// the request's generation.
public struct ServerContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// Bodies are collected explicitly with their own limits (see `collect`).
    public var maxUploadSize: Int { 64 << 20 }
}

/// Builds the server application. `services` run alongside it (a PostgreSQL client, say), and
/// the warm-up starts with it. Run it in a service group after `ShutdownService` so that SIGTERM
/// first stops new speech, then stops the listener while in-flight streams finish.
public func buildApplication(server: SpeechServer, services: [any Service] = [], logger: Logger,
                             onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in })
    -> some ApplicationProtocol
{
    let router = Router(context: ServerContext.self)
    router.addMiddleware {
        RequestLogMiddleware(metrics: server.metrics)
        ErrorBodyMiddleware()
        AuthMiddleware(apiKey: server.options.apiKey)
    }
    addRoutes(to: router, server: server)
    let o = server.options
    return Application(
        router: router,
        configuration: .init(address: .hostname(o.host, port: o.port), serverName: "qwen3-tts"),
        services: services + [WarmUpService(server: server)],
        onServerRunning: onServerRunning,
        logger: logger)
}

func addRoutes(to router: Router<ServerContext>, server: SpeechServer) {
    router.get("/health") { _, _ in json(["status": "ok"]) }
    router.get("/ready") { _, _ in
        let ready = server.isReady
        var body: [String: Any] = ["ready": ready]
        body["checks"] = server.readinessDetail
        return json(body, status: ready ? .ok : .serviceUnavailable)
    }
    router.get("/metrics") { _, _ in
        Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                 body: .init(byteBuffer: ByteBuffer(string: server.metrics.exposition())))
    }
    router.get("/openapi.json") { _, _ in
        Response(status: .ok, headers: [.contentType: "application/json"],
                 body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.json)))
    }
    router.get("/v1/models") { _, _ in
        json(["object": "list", "data": [modelObject(server)]])
    }
    router.get("/v1/models/{id}") { _, context in
        let id = context.parameters.get("id") ?? ""
        guard server.accepts(model: id) else { throw APIError.notFound("the model '\(id)' does not exist", param: "model") }
        return json(modelObject(server))
    }
    router.post("/v1/audio/speech") { request, context in
        try await speech(request, context, server)
    }
    router.get("/v1/audio/voices") { _, _ in
        let uploaded = try await server.store.list()
        return json(["voices": server.model.speakers + uploaded.map(\.name),
                     "uploaded_voices": uploaded.map(voiceObject)])
    }
    router.post("/v1/audio/voices") { request, context in
        try await uploadVoice(request, context, server)
    }
    router.delete("/v1/audio/voices/{name}") { _, context in
        let name = context.parameters.get("name") ?? ""
        guard try await server.store.delete(name) else {
            throw APIError.notFound("no uploaded voice named '\(name)'", param: "name")
        }
        return json(["success": true, "message": "voice '\(name)' deleted"])
    }
}

private func modelObject(_ server: SpeechServer) -> [String: Any] {
    ["id": server.options.modelID, "object": "model", "created": server.created, "owned_by": "qwen3-tts",
     "task_type": SpeechServer.taskName(server.model.kind)]
}

private func voiceObject(_ v: StoredVoice) -> [String: Any] {
    var o: [String: Any] = ["name": v.name, "consent": v.consent, "created_at": v.createdAt, "mode": v.mode,
                            "model": v.model]
    o["ref_text"] = v.refText ?? NSNull()
    return o
}

func json(_ object: Any, status: HTTPResponse.Status = .ok) -> Response {
    let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
    return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
}

/// A request body, refusing more than `limit` bytes with a 413 that names the limit.
func collect(_ request: Request, limit: Int, what: String) async throws -> Data {
    if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
        throw APIError(.contentTooLarge, "\(what) is \(length) bytes; the limit is \(limit)", code: "body_too_large")
    }
    do {
        var buffer = try await request.body.collect(upTo: limit)
        return Data(buffer.readBytes(length: buffer.readableBytes) ?? [])
    } catch let e as HTTPError where e.status == .contentTooLarge {
        throw APIError(.contentTooLarge, "\(what) is larger than the \(limit) byte limit", code: "body_too_large")
    }
}

// MARK: Speech

/// Lets the response body read the stream it did not create (the iterator is used by one task).
private final class EventReader: @unchecked Sendable {
    var iterator: AsyncThrowingStream<SynthesisEvent, Error>.AsyncIterator
    init(_ s: AsyncThrowingStream<SynthesisEvent, Error>) { iterator = s.makeAsyncIterator() }
    func next() async throws -> SynthesisEvent? { try await iterator.next() }
}

private func speech(_ request: Request, _ context: ServerContext, _ server: SpeechServer) async throws -> Response {
    let o = server.options
    let body = try await collect(request, limit: o.maxUploadBytes / 3 * 4 + 4 * o.maxInputCharacters + (64 << 10),
                                 what: "the request body")
    let p = try SpeechParameters.parse(body, maxInput: o.maxInputCharacters, maxRefAudio: o.maxUploadBytes)
    if let m = p.model, !server.accepts(model: m) {
        throw APIError.notFound("the model '\(m)' does not exist; this server runs '\(o.modelID)'", param: "model")
    }
    let (speechRequest, prepare) = try await server.resolve(p)
    var options: GenerationOptions
    do { options = try server.model.generationOptions(p.overrides) } catch { throw APIError.from(error) }
    if let cap = o.maxNewTokens { options.maxNewTokens = min(options.maxNewTokens, cap) }
    let sampleRate = server.scheduler.synthesizer.sampleRate
    // A format whose library is missing fails now, before any work is queued.
    let encoder: AudioStreamEncoder
    do { encoder = try AudioStreamEncoder(format: p.format, sampleRate: sampleRate) } catch {
        throw APIError.invalid("response_format \(p.format.rawValue) is unavailable on this server: \(error)",
                               param: "response_format", code: "unsupported_format")
    }
    let cancel = CancellationFlag()
    context.channel.closeFuture.whenComplete { _ in cancel.set() }
    let events: AsyncThrowingStream<SynthesisEvent, Error>
    do { events = try server.scheduler.submit(speechRequest, options: options, cancellation: cancel, prepare: prepare) } catch {
        throw APIError.from(error)
    }
    let reader = EventReader(events)
    // The status is decided by the first event: a request the engine refuses is a 4xx, not a
    // 200 with an empty body.
    let first: SynthesisEvent?
    do { first = try await reader.next() } catch {
        cancel.set()
        throw APIError.from(error, param: p.refAudio != nil ? "ref_audio" : nil)
    }
    let sse = p.streamFormat == .sse
    let logger = context.logger
    var headers: HTTPFields = [.contentType: sse ? "text/event-stream" : p.format.contentType, .cacheControl: "no-cache"]
    headers[.requestID] = context.id
    let format = p.format
    return Response(status: .ok, headers: headers, body: ResponseBody { writer in
        var event = first
        do {
            while let e = event {
                switch e {
                case .audio(let chunk):
                    let bytes = try encoder.encode(chunk.samples)
                    if !bytes.isEmpty { try await writer.write(sse ? sseEvent(delta: bytes) : ByteBuffer(bytes: bytes)) }
                case .finished(let summary):
                    let bytes = try encoder.finish()
                    if !bytes.isEmpty { try await writer.write(sse ? sseEvent(delta: bytes) : ByteBuffer(bytes: bytes)) }
                    if sse { try await writer.write(sseDone(summary)) }
                    server.metrics.synthesis(summary)
                    logger.info("speech done", metadata: [
                        "frames": "\(summary.frames)", "stop": "\(summary.stopReason.rawValue)", "format": "\(format.rawValue)",
                        "ttfa_s": "\(String(format: "%.3f", summary.timeToFirstAudio ?? -1))",
                        "rtf": "\(String(format: "%.2f", summary.realTimeFactor))"])
                }
                event = try await reader.next()
            }
        } catch {
            cancel.set()
            logger.warning("speech stream ended early: \(error)")
            if sse, !(error is CancellationError) {
                let api = APIError.from(error)
                try? await writer.write(sseError(api))
                try await writer.finish(nil)
                return
            }
            throw error
        }
        try await writer.finish(nil)
    })
}

private func sseEvent(delta: Data) -> ByteBuffer {
    ByteBuffer(string: "data: {\"type\":\"speech.audio.delta\",\"audio\":\"\(delta.base64EncodedString())\"}\n\n")
}

private func sseDone(_ s: SynthesisSummary) -> ByteBuffer {
    let usage = "{\"input_tokens\":\(s.promptLength),\"output_tokens\":\(s.frames),\"total_tokens\":\(s.promptLength + s.frames)}"
    return ByteBuffer(string: "data: {\"type\":\"speech.audio.done\",\"usage\":\(usage)}\n\n")
}

private func sseError(_ e: APIError) -> ByteBuffer {
    var b = ByteBuffer(string: "data: {\"type\":\"error\",\"error\":")
    var json = e.json
    b.writeBuffer(&json)
    b.writeString("}\n\n")
    return b
}

// MARK: Voices

private func uploadVoice(_ request: Request, _ context: ServerContext, _ server: SpeechServer) async throws -> Response {
    guard let contentType = request.headers[.contentType], let boundary = Multipart.boundary(contentType: contentType) else {
        throw APIError(.unsupportedMediaType, "send the voice as multipart/form-data (audio_sample, name, consent, optional ref_text)",
                       code: "unsupported_media_type")
    }
    let body = try await collect(request, limit: server.options.maxUploadBytes + (64 << 10), what: "the upload")
    let parts = try Multipart.parse(body, boundary: boundary)
    func field(_ name: String) -> String? {
        parts.first { $0.name == name }.map { String(decoding: $0.body, as: UTF8.self) }
    }
    guard let audio = parts.first(where: { $0.name == "audio_sample" }) else {
        throw APIError.invalid("'audio_sample' (the voice recording) is required", param: "audio_sample", code: "missing_field")
    }
    guard !audio.body.isEmpty else { throw APIError.invalid("'audio_sample' is empty", param: "audio_sample") }
    guard let name = field("name"), !name.isEmpty else {
        throw APIError.invalid("'name' is required", param: "name", code: "missing_field")
    }
    guard name.count <= 64, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "_-.".contains($0)) }),
          name.first != "." else {
        throw APIError.invalid("'name' must be 1-64 letters, digits, '_', '-' or '.' (not starting with '.')", param: "name")
    }
    if server.model.speakers.contains(where: { $0.lowercased() == name.lowercased() }) {
        throw APIError(.conflict, "'\(name)' is a built-in speaker; choose another name", param: "name", code: "voice_exists")
    }
    guard let consent = field("consent"), !consent.trimmingCharacters(in: .whitespaces).isEmpty else {
        throw APIError.invalid("'consent' is required: record that the speaker agreed to this voice being cloned",
                               param: "consent", code: "missing_field")
    }
    let voice: StoredVoice
    do {
        voice = try await server.createVoice(name: name, consent: consent, refText: field("ref_text"), audio: audio.body,
                                             filename: audio.filename)
    } catch {
        throw APIError.from(error, param: "audio_sample")
    }
    context.logger.info("voice created", metadata: ["voice": "\(name)", "mode": "\(voice.mode)"])
    var object = voiceObject(voice)
    object["file_size"] = audio.body.count
    object["mime_type"] = audio.contentType ?? "application/octet-stream"
    return json(["success": true, "voice": object], status: .created)
}

// MARK: Middleware and services

/// Logs every request with its id and counts it by route and status.
struct RequestLogMiddleware: RouterMiddleware {
    let metrics: ServerMetrics

    func handle(_ request: Request, context: ServerContext, next: (Request, ServerContext) async throws -> Response) async throws -> Response {
        let clock = ContinuousClock()
        let start = clock.now
        func done(_ status: Int) {
            let route = context.endpointPath ?? "unmatched"
            metrics.request(method: request.method.rawValue, route: route, status: status)
            // API calls at info; probes and scrapes (/health, /ready, /metrics) only at debug.
            let level: Logger.Level = request.uri.path.hasPrefix("/v1/") ? .info : .debug
            context.logger.log(level: level, "\(request.method) \(request.uri.path) \(status)", metadata: [
                "ms": "\(Int((clock.now - start).seconds * 1000))"])
        }
        do {
            var response = try await next(request, context)
            response.headers[.requestID] = context.id
            done(response.status.code)
            return response
        } catch {
            let api = APIError.from(error)
            done(api.status.code)
            var response = try api.response(from: request, context: context)
            response.headers[.requestID] = context.id
            if api.status.code >= 500 { context.logger.error("\(api.message)") }
            return response
        }
    }
}

/// Turns Hummingbird's own errors (unknown route, wrong method, body too large) into OpenAI-style bodies.
struct ErrorBodyMiddleware: RouterMiddleware {
    func handle(_ request: Request, context: ServerContext, next: (Request, ServerContext) async throws -> Response) async throws -> Response {
        do { return try await next(request, context) } catch let e as HTTPError {
            switch e.status {
            case .notFound: throw APIError.notFound("no route for \(request.method) \(request.uri.path)")
            case .methodNotAllowed:
                throw APIError(.methodNotAllowed, "\(request.method) is not allowed on \(request.uri.path)", code: "method_not_allowed")
            case .contentTooLarge: throw APIError(.contentTooLarge, "the request body is too large", code: "body_too_large")
            default:
                let status = e.status
                throw APIError(status, e.body ?? status.reasonPhrase, type: status.code >= 500 ? "server_error" : "invalid_request_error")
            }
        }
    }
}

/// `Authorization: Bearer <key>` on /v1/* when the server has a key.
struct AuthMiddleware: RouterMiddleware {
    let apiKey: String?

    func handle(_ request: Request, context: ServerContext, next: (Request, ServerContext) async throws -> Response) async throws -> Response {
        if let apiKey, request.uri.path.hasPrefix("/v1/") {
            let given = request.headers[.authorization].flatMap { h -> String? in
                h.lowercased().hasPrefix("bearer ") ? String(h.dropFirst(7)).trimmingCharacters(in: .whitespaces) : nil
            }
            guard let given, constantTimeEqual(given, apiKey) else {
                var e = APIError(.unauthorized, given == nil ? "missing API key: send Authorization: Bearer <key>" : "invalid API key",
                                 type: "authentication_error", code: "invalid_api_key")
                e.headers[.wwwAuthenticate] = "Bearer"
                throw e
            }
        }
        return try await next(request, context)
    }

    private func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var diff = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<max(x.count, y.count) { diff |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0) }
        return diff == 0
    }
}

/// On graceful shutdown (SIGTERM): no new speech, in-flight streams cut after the grace period.
/// List it after the application in the service group, so that it is told first.
public struct ShutdownService: Service {
    let server: SpeechServer
    public init(server: SpeechServer) { self.server = server }

    public func run() async throws {
        try? await gracefulShutdown()
        server.logger.info("shutting down: no new requests; in-flight streams have \(server.options.shutdownGrace) s to finish")
        server.scheduler.beginShutdown(grace: server.options.shutdownGrace)
    }
}

/// Warms every path up once the server runs; /ready turns true when it is done.
struct WarmUpService: Service {
    let server: SpeechServer

    func run() async throws {
        await server.warmUp()
        try? await gracefulShutdown()
    }
}

extension HTTPField.Name {
    static let requestID = HTTPField.Name("X-Request-Id")!
}
