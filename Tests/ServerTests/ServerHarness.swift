// Servers for the tests: the real application on a loopback port chosen by the OS, over the tiny
// fixture checkpoints, with a fresh data folder (or one a test gives, to restart over it).

import AudioIO
import Foundation
import Hummingbird
import Logging
import Qwen3TTS
@testable import Qwen3TTSServer
import ServiceLifecycle

let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures")

func checkpoint(_ kind: String) -> String { fixtures.appendingPathComponent("checkpoints/tiny/\(kind)").path }

/// Synthesizers are loaded once per checkpoint and shared (each server gets its own scheduler,
/// but a backend runs one operation at a time, so tests that share one never run at once: the
/// suites are serialized).
let synthesizers = SynthesizerCache()
final class SynthesizerCache: @unchecked Sendable {
    private let lock = NSLock()
    private var loaded: [String: Synthesizer] = [:]
    func get(_ kind: String) throws -> Synthesizer {
        lock.lock()
        defer { lock.unlock() }
        if let s = loaded[kind] { return s }
        let s = try Synthesizer(directory: checkpoint(kind), backend: CPUBackend(threads: 2))
        loaded[kind] = s
        return s
    }
}

func temporaryDirectory(_ name: String) -> String {
    let dir = NSTemporaryDirectory() + "qwen3tts-server-\(name)-\(UUID().uuidString.prefix(8))"
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

final class LiveServer: @unchecked Sendable {
    let server: SpeechServer
    let port: Int
    private let group: ServiceGroup
    private let task: Task<Void, Error>

    var scheduler: SynthesisScheduler { server.scheduler }

    private init(server: SpeechServer, port: Int, group: ServiceGroup, task: Task<Void, Error>) {
        self.server = server
        self.port = port
        self.group = group
        self.task = task
    }

    /// Starts a server on `kind` and waits until it listens (and, unless told not to, is ready).
    static func start(_ kind: String = "custom_voice", dataDirectory: String? = nil, store: (any VoiceStore)? = nil,
                      services: [any Service] = [], waitUntilReady: Bool = true,
                      configure: (inout ServerOptions) -> Void = { _ in }) async throws -> LiveServer {
        var options = ServerOptions(dataDirectory: dataDirectory ?? temporaryDirectory(kind))
        options.port = 0
        options.modelID = "tiny-\(kind)"
        configure(&options)
        var logger = Logger(label: "test-server")
        logger.logLevel = .warning
        let voiceStore: any VoiceStore
        if let store { voiceStore = store } else { voiceStore = try await SpeechServer.openStore(options, logger: logger).store }
        let server = SpeechServer(synthesizer: try synthesizers.get(kind), store: voiceStore, options: options, logger: logger)
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = buildApplication(server: server, services: services, logger: logger) { channel in
            continuation.yield(channel.localAddress?.port ?? -1)
        }
        let group = ServiceGroup(configuration: .init(services: [app, ShutdownService(server: server)], logger: logger))
        let task = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else { throw HTTPClientError.connect("the server did not start") }
        let live = LiveServer(server: server, port: port, group: group, task: task)
        if waitUntilReady { try await live.waitUntilReady() }
        return live
    }

    func waitUntilReady(timeout: Double = 120) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try await http("GET", port, "/ready").status == 200 { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw HTTPClientError.io("the server did not become ready")
    }

    /// Graceful shutdown, as SIGTERM does it.
    func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await task.value
        server.scheduler.stop()
        await server.store.close()
    }

    func post(_ path: String, _ object: [String: Any], headers: [String: String] = [:]) async throws -> HTTPResponse {
        try await postJSON(port, path, object, headers: headers)
    }

    func get(_ path: String, headers: [String: String] = [:]) async throws -> HTTPResponse {
        try await http("GET", port, path, headers: headers)
    }

    /// A metric's value from /metrics (first sample whose line starts with `name`).
    func metric(_ prefix: String) async throws -> Double? {
        for line in try await get("/metrics").text.split(separator: "\n") where line.hasPrefix(prefix) {
            return line.split(separator: " ").last.flatMap { Double($0) }
        }
        return nil
    }
}

/// The reference recording of the golden cloning cases (24 kHz mono WAV).
var referenceWAV: Data {
    get throws { try Data(contentsOf: fixtures.appendingPathComponent("golden/tiny/ref/ref_24k.wav")) }
}

/// Samples of a 16-bit WAV body (the streaming header included).
func wavSamples(_ data: Data) throws -> [Float] {
    try AudioIO.read(data: data, name: "response.wav").samples
}
