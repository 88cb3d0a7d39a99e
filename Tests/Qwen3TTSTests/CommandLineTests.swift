import AudioIO
import Foundation
import Testing
@testable import Qwen3TTS

/// Runs the built `qwen3-tts` executable (it sits next to the test bundle) and captures its output.
struct ToolRun {
    let status: Int32
    let stdout: Data
    let stderr: String

    static var executable: String {
        let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [dir, dir.deletingLastPathComponent()] {
            let p = candidate.appendingPathComponent("qwen3-tts").path
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return dir.appendingPathComponent("qwen3-tts").path
    }

    init(_ arguments: [String], environment: [String: String] = [:]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.executable)
        p.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        // Read both pipes before waiting so a large output cannot block the child.
        let group = DispatchGroup()
        nonisolated(unsafe) var o = Data(), e = Data()
        group.enter()
        DispatchQueue.global().async { o = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        e = err.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        p.waitUntilExit()
        status = p.terminationStatus
        stdout = o
        stderr = String(decoding: e, as: UTF8.self)
    }
}

private func tempDir() -> String {
    let d = NSTemporaryDirectory() + "cli-" + UUID().uuidString
    try! FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    return d
}

@Suite(.serialized) struct CommandLineTests {
    let customVoice = fixturesDirectory.appendingPathComponent("checkpoints/tiny/custom_voice").path
    let base = fixturesDirectory.appendingPathComponent("checkpoints/tiny/base").path

    @Test func speakWritesTheGoldenWaveformAndCodes() throws {
        let g = try GoldenCase("tiny", "custom_voice")
        let dir = tempDir()
        let run = try ToolRun(["speak", "--model", customVoice, "--threads", "2", "--text", g.meta["text"] as! String,
                               "--speaker", "Vivian", "--language", "English", "--greedy", "--repetition-penalty", "1.0",
                               "--max-new-tokens", "24", "--format", "wav-f32", "--output", dir + "/out.wav",
                               "--codes-output", dir + "/codes.json"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("stopped by max_new_tokens"))
        let audio = try AudioIO.read(path: dir + "/out.wav")
        let expected = try g.floats("output_wav")
        #expect(audio.samples.count == expected.count && audio.sampleRate == 24000)
        #expect(zip(audio.samples, expected).map { abs($0 - $1) }.max()! < 1e-4)
        let codes = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/codes.json"))) as! [String: Any]
        #expect((codes["codes"] as! [[Int]]) == (try g.intRows("talker_codes")))

        // decode turns the codes back into the same audio (offline decode = streamed decode).
        let dec = try ToolRun(["decode", "--model", customVoice, "--codes", dir + "/codes.json", "--format", "wav-f32",
                               "--output", dir + "/decoded.wav"])
        #expect(dec.status == 0, "\(dec.stderr)")
        let decoded = try AudioIO.read(path: dir + "/decoded.wav")
        #expect(zip(decoded.samples, expected).map { abs($0 - $1) }.max()! < 1e-4)
    }

    @Test func speakStreamsRawPCMToStandardOutput() throws {
        let run = try ToolRun(["speak", "--model", customVoice, "--text", "Hi there.", "--speaker", "ryan", "--greedy",
                               "--max-new-tokens", "6", "--output", "-"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.count == 5 * 1920 * 2, "s16le mono, 5 frames")
    }

    @Test func tokenizeAndEncodePrintJSON() throws {
        let tok = try ToolRun(["tokenize", "--model", customVoice, "--text", "Hello world."])
        #expect(tok.status == 0)
        let ids = try JSONSerialization.jsonObject(with: tok.stdout) as? [Int]
        #expect(ids == (try Qwen2Tokenizer(directory: URL(fileURLWithPath: customVoice)).encode("Hello world.")))
        let wav = fixturesDirectory.appendingPathComponent("golden/tiny/ref/ref_24k.wav").path
        let enc = try ToolRun(["encode", "--model", base, "--audio", wav])
        #expect(enc.status == 0, "\(enc.stderr)")
        let codes = (try JSONSerialization.jsonObject(with: enc.stdout) as? [String: Any])?["codes"] as? [[Int]]
        #expect(codes == (try GoldenCase("tiny", "speech_tokenizer_roundtrip").intRows("codes")))
    }

    @Test func voiceCreateThenSpeakWithIt() throws {
        let dir = tempDir()
        let wav = fixturesDirectory.appendingPathComponent("golden/tiny/ref/ref_24k.wav").path
        let create = try ToolRun(["voice", "create", "--model", base, "--ref-audio", wav, "--ref-text",
                                  "Hello world, this is a short reference recording.", "--output", dir + "/me.voice.json"])
        #expect(create.status == 0, "\(create.stderr)")
        let g = try GoldenCase("tiny", "clone_icl")
        let speak = try ToolRun(["speak", "--model", base, "--voice", dir + "/me.voice.json", "--text", g.meta["text"] as! String,
                                 "--language", "English", "--greedy", "--repetition-penalty", "1.0", "--max-new-tokens", "24",
                                 "--codes-output", dir + "/codes.json"])
        #expect(speak.status == 0, "\(speak.stderr)")
        let codes = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/codes.json"))) as! [String: Any]
        #expect((codes["codes"] as! [[Int]]) == (try g.intRows("talker_codes")))
        // The same voice file is refused by a model of another size.
        let other = fixturesDirectory.appendingPathComponent("checkpoints/tiny-eq/base").path
        let refused = try ToolRun(["speak", "--model", other, "--voice", dir + "/me.voice.json", "--text", "Hi.",
                                   "--codes-output", dir + "/x.json"])
        #expect(refused.status != 0 && refused.stderr.contains("was made for a"))
    }

    @Test func badInputGivesOneClearLine() throws {
        let dir = tempDir()
        let cases: [([String], String)] = [
            (["speak", "--model", "/nonexistent/model", "--text", "x", "--output", dir + "/a.wav"], "/nonexistent/model"),
            (["speak", "--model", customVoice, "--text", "x", "--speaker", "nobody", "--output", dir + "/a.wav"], "unknown speaker"),
            (["speak", "--model", customVoice, "--text", "x", "--speaker", "ryan"], "--output"),
            (["speak", "--model", customVoice, "--text", "x", "--speaker", "ryan", "--temperature", "0", "--output", dir + "/a.wav"],
             "--temperature"),
            (["speak", "--model", base, "--text", "x", "--ref-audio", dir + "/missing.wav", "--x-vector-only", "--output", dir + "/a.wav"],
             "missing.wav"),
            (["speak", "--model", base, "--text", "x", "--ref-audio", "a.wav", "--output", dir + "/a.wav"], "--ref-text"),
            (["decode", "--model", customVoice, "--codes", dir + "/none.json", "--output", dir + "/a.wav"], "none.json"),
            (["speak", "--model", "not a repo id!", "--text", "x", "--output", dir + "/a.wav"], "not a repo id!"),
        ]
        for (args, needle) in cases {
            let run = try ToolRun(args, environment: ["HF_HUB_OFFLINE": "1"])
            #expect(run.status != 0, "\(args)")
            #expect(run.stderr.contains(needle), "\(args): \(run.stderr)")
            #expect(!run.stderr.contains("Fatal error") && !run.stderr.contains("Stack dump"), "\(args) crashed")
        }
    }
}
