// The `serve` command as a process: graceful shutdown with a stream in flight, and two server
// processes sharing one PostgreSQL voice library.

import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A `qwen3-tts serve` process on a free port.
final class ServerProcess: @unchecked Sendable {
    let process = Process()
    private(set) var port = 0
    private let lock = NSLock()
    private var log = ""

    /// The tool built next to the test bundle.
    static var executable: String {
        let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [dir, dir.deletingLastPathComponent()] {
            let p = candidate.appendingPathComponent("qwen3-tts").path
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return dir.appendingPathComponent("qwen3-tts").path
    }

    init(_ arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: Self.executable)
        process.arguments = ["serve", "--port", "0", "--log-level", "warning"] + arguments
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let handle = err.fileHandleForReading
        let started = DispatchSemaphore(value: 0)
        DispatchQueue.global().async { [self] in
            var signalled = false
            while true {
                let data = handle.availableData
                if data.isEmpty { break }
                lock.lock()
                log += String(decoding: data, as: UTF8.self)
                if !signalled, let r = log.range(of: "listening on http://127.0.0.1:") {
                    let digits = log[r.upperBound...].prefix { $0.isNumber }
                    port = Int(digits) ?? 0
                    signalled = true
                    started.signal()
                }
                lock.unlock()
            }
            if !signalled { started.signal() }
        }
        guard started.wait(timeout: .now() + 120) == .success, port > 0 else {
            process.terminate()
            throw HTTPClientError.connect("serve did not start: \(output)")
        }
    }

    var output: String { lock.lock(); defer { lock.unlock() }; return log }

    func waitUntilReady() async throws {
        for _ in 0..<2400 {
            if let r = try? await http("GET", port, "/ready"), r.status == 200 { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw HTTPClientError.io("serve never became ready: \(output)")
    }

    /// Waits for the process to end; nil if it is still running after `timeout` seconds.
    func exitStatus(timeout: Double) async throws -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
        return process.isRunning ? nil : process.terminationStatus
    }

    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}

extension ServerTests {
    @Suite struct Processes {
        @Test func sigtermLetsTheStreamInFlightFinish() async throws {
            let p = try ServerProcess(["--model", checkpoint("custom_voice"), "--data-dir", temporaryDirectory("sigterm")])
            defer { p.stop() }
            try await p.waitUntilReady()
            let c = try HTTPConnection(port: p.port)
            try c.sendRequest("POST", "/v1/audio/speech", headers: ["Content-Type": "application/json"],
                              body: try JSONSerialization.data(withJSONObject: [
                                "input": String(repeating: "Words to speak. ", count: 10), "voice": "ryan", "max_new_tokens": 50,
                                "response_format": "pcm"]))
            let (status, headers) = try c.readHead()
            #expect(status == 200)
            kill(p.process.processIdentifier, SIGTERM)
            try await Task.sleep(for: .milliseconds(300))
            await #expect(throws: (any Error).self, "no new connections after SIGTERM") { _ = try await http("GET", p.port, "/health") }
            let (body, complete) = try await offPool { try c.readBody(headers) }
            #expect(complete, "the stream in flight ended properly")
            #expect(body.count == 49 * 1920 * 2, "it ran to its end: \(body.count) bytes")
            #expect(try await p.exitStatus(timeout: 60) == 0, "\(p.output)")
        }

        @Test func sigtermCutsStreamsAfterTheGracePeriod() async throws {
            let p = try ServerProcess(["--model", checkpoint("custom_voice"), "--data-dir", temporaryDirectory("grace"),
                                       "--shutdown-grace", "0.5"])
            defer { p.stop() }
            try await p.waitUntilReady()
            let c = try HTTPConnection(port: p.port)
            try c.sendRequest("POST", "/v1/audio/speech", headers: ["Content-Type": "application/json"],
                              body: try JSONSerialization.data(withJSONObject: [
                                "input": String(repeating: "This goes on for a long time. ", count: 30), "voice": "ryan",
                                "max_new_tokens": 4000, "response_format": "pcm"]))
            let (status, headers) = try c.readHead()
            #expect(status == 200)
            let t0 = Date()
            kill(p.process.processIdentifier, SIGTERM)
            let (body, complete) = try await offPool { try c.readBody(headers) }
            #expect(complete && body.count % (1920 * 2) == 0 && body.count < 3999 * 1920 * 2)
            #expect(Date().timeIntervalSince(t0) < 20)
            #expect(try await p.exitStatus(timeout: 30) == 0, "\(p.output)")
        }

        /// Needs a PostgreSQL server: scripts/test starts one and sets QWEN3TTS_TEST_DATABASE_URL.
        @Test(.enabled(if: ProcessInfo.processInfo.environment["QWEN3TTS_TEST_DATABASE_URL"] != nil))
        func twoServersShareOnePostgreSQLVoiceLibrary() async throws {
            let url = try #require(ProcessInfo.processInfo.environment["QWEN3TTS_TEST_DATABASE_URL"])
            let args = ["--model", checkpoint("base"), "--database-url", url]
            let a = try ServerProcess(args + ["--data-dir", temporaryDirectory("pg-a")])
            defer { a.stop() }
            let b = try ServerProcess(args + ["--data-dir", temporaryDirectory("pg-b")])
            defer { b.stop() }
            try await a.waitUntilReady()
            try await b.waitUntilReady()
            let name = "shared-\(UInt32.random(in: 0...UInt32.max))"
            let (type, body) = multipart(fields: [("name", name), ("consent", "recorded"), ("ref_text", "Reference words.")],
                                         file: ("audio_sample", "ref.wav", "audio/wav", try referenceWAV))
            let created = try await http("POST", a.port, "/v1/audio/voices", headers: ["Content-Type": type], body: body)
            #expect(created.status == 201, "\(created.text)")
            let listed = try await http("GET", b.port, "/v1/audio/voices")
            #expect((listed.json?["voices"] as? [String])?.contains(name) == true)
            let speech = try await postJSON(b.port, "/v1/audio/speech", ["input": "Shared voice.", "voice": name, "max_new_tokens": 4])
            #expect(speech.status == 200 && speech.body.count == 44 + 3 * 1920 * 2, "\(speech.text)")
            let conflict = try await http("POST", b.port, "/v1/audio/voices", headers: ["Content-Type": type], body: body)
            #expect(conflict.status == 409)
            #expect(try await http("DELETE", b.port, "/v1/audio/voices/\(name)").status == 200)
            let after = try await http("GET", a.port, "/v1/audio/voices")
            #expect((after.json?["voices"] as? [String])?.contains(name) == false)
            #expect(try await postJSON(a.port, "/v1/audio/speech", ["input": "Gone.", "voice": name]).status == 400)
        }
    }
}
