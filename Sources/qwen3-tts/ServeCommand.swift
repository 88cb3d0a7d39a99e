// `qwen3-tts serve`: the OpenAI-compatible HTTP server (Sources/Qwen3TTSServer) on one model.

import ArgumentParser
import Foundation
import Hummingbird
import Logging
import Qwen3TTS
import Qwen3TTSServer
import ServiceLifecycle

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the model over HTTP with OpenAI's /v1/audio/speech API (streaming, stored voices, batching).",
        discussion: """
            Endpoints: POST /v1/audio/speech, GET /v1/models, GET|POST /v1/audio/voices, DELETE /v1/audio/voices/NAME, \
            GET /health, /ready (true once every path is warmed up), /metrics (Prometheus), /openapi.json. \
            SIGTERM or SIGINT: no new requests; in-flight streams get --shutdown-grace seconds to finish.
            """)

    @OptionGroup var model: ModelOptions
    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on (0: any free port, printed at start).") var port = 8000
    @Option(help: "Folder for the SQLite voice library (default: ~/.local/share/qwen3-tts).") var dataDir: String?
    @Option(help: "postgres://user:password@host:port/database: keep voices in PostgreSQL, shared by several servers.")
    var databaseURL: String?
    @Option(help: "Require 'Authorization: Bearer KEY' on /v1/* (default: $QWEN3TTS_API_KEY, else no key).") var apiKey: String?
    @Option(help: "Streams generated together (one pass over the weights makes a frame for each).") var maxBatch = 8
    @Option(help: "Requests that may wait beyond --max-batch; more are answered 429.") var maxQueue = 32
    @Option(help: "Longest input text, in characters.") var maxInput = 4096
    @Option(help: "Largest voice upload or ref_audio, in MB.") var maxUploadMb = 20
    @Option(help: "Seconds in-flight streams may go on after SIGTERM.") var shutdownGrace = 30.0
    @Option(help: "The most max_new_tokens a request may use (it bounds the work of one request; default: the checkpoint's).")
    var maxNewTokens: Int?
    @Option(help: "The model id /v1/models reports (default: the checkpoint folder's name, or the repo id).")
    var servedModelName: String?
    @Option(help: "Log level: trace, debug, info, notice, warning, error.") var logLevel = "info"

    func validate() throws {
        if !(0...65535).contains(port) { throw ValidationError("--port must be 0-65535") }
        if maxBatch < 1 { throw ValidationError("--max-batch must be at least 1") }
        if maxQueue < 0 { throw ValidationError("--max-queue must not be negative") }
        if maxInput < 1 { throw ValidationError("--max-input must be at least 1") }
        if maxUploadMb < 1 { throw ValidationError("--max-upload-mb must be at least 1") }
        if !(shutdownGrace >= 0) { throw ValidationError("--shutdown-grace must not be negative") }
        if let maxNewTokens, maxNewTokens < 2 { throw ValidationError("--max-new-tokens must be at least 2") }
        if Logger.Level(rawValue: logLevel) == nil { throw ValidationError("unknown --log-level '\(logLevel)'") }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = level
            return h
        }
        let logger = Logger(label: "qwen3-tts")
        let env = ProcessInfo.processInfo.environment
        var options = ServerOptions(dataDirectory: dataDir ?? Self.defaultDataDirectory(env))
        options.host = host
        options.port = port
        options.databaseURL = databaseURL ?? env["QWEN3TTS_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
        options.apiKey = apiKey ?? env["QWEN3TTS_API_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        options.maxBatch = maxBatch
        options.maxQueue = maxQueue
        options.maxInputCharacters = maxInput
        options.maxUploadBytes = maxUploadMb << 20
        options.shutdownGrace = shutdownGrace
        options.maxNewTokens = maxNewTokens
        options.modelID = servedModelName ?? model.model.map { m in
            FileManager.default.fileExists(atPath: m) ? URL(fileURLWithPath: m).standardizedFileURL.lastPathComponent : m
        } ?? "qwen3-tts"

        let synthesizer = try model.loadSynthesizer()
        let (store, postgres) = try await SpeechServer.openStore(options, logger: logger)
        let server = SpeechServer(synthesizer: synthesizer, store: store, options: options, logger: logger)
        var services: [any Service] = []
        if let postgres {
            services.append(postgres.client)
            // The table is made once the client runs (a service of the group).
            services.append(MigrationService(store: postgres, logger: logger))
        }
        let (host, requestedPort) = (options.host, options.port)
        let app = buildApplication(server: server, services: services, logger: logger) { channel in
            // One parseable line with the bound address (useful with --port 0).
            let port = channel.localAddress?.port ?? requestedPort
            FileHandle.standardError.write(Data("qwen3-tts: listening on http://\(host):\(port)\n".utf8))
        }
        let group = ServiceGroup(configuration: .init(
            services: [app, ShutdownService(server: server)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        server.scheduler.stop()
        await store.close()
        logger.info("stopped")
    }

    static func defaultDataDirectory(_ env: [String: String]) -> String {
        let home = env["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        let base = env["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? (home + "/.local/share")
        return base + "/qwen3-tts"
    }
}
