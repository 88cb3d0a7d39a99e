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

    /// `replacingEnvironment`: run with exactly `environment` instead of adding it to ours.
    init(_ arguments: [String], environment: [String: String] = [:], executable: String = ToolRun.executable,
         directory: String? = nil, replacingEnvironment: Bool = false, input: Data? = nil) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        var env = replacingEnvironment ? [:] : ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        p.environment = env
        if let directory { p.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        let inputPipe = input.map { _ in Pipe() }
        p.standardInput = inputPipe ?? FileHandle.nullDevice
        try p.run()
        if let inputPipe, let input {
            DispatchQueue.global().async {
                inputPipe.fileHandleForWriting.write(input)
                try? inputPipe.fileHandleForWriting.close()
            }
        }
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

    /// The fixture's 24 kHz reference recording written as a WAV at another rate (linear
    /// interpolation: only the rate matters here, resampling quality is tested in AudioIOTests).
    static func reference(at rate: Int, in dir: String) throws -> String {
        let source = try AudioIO.read(path: fixturesDirectory.appendingPathComponent("golden/tiny/ref/ref_24k.wav").path)
        let x = source.samples, n = x.count * rate / source.sampleRate
        let y = (0..<n).map { i -> Float in
            let t = Double(i) * Double(source.sampleRate) / Double(rate), j = min(Int(t), x.count - 2), f = Float(t - Double(j))
            return x[j] * (1 - f) + x[j + 1] * f
        }
        let path = dir + "/ref_\(rate).wav"
        try AudioIO.write(y, sampleRate: rate, to: path)
        return path
    }

    /// The optional libraries a fresh machine lacks, none of which the tool may link at load time.
    static let optionalLibraries = ["libopenblas", "libsndfile", "libsoxr", "libFLAC", "libvorbis", "libopus",
                                    "libmpg123", "libmp3lame"]

    /// The built tool (and the static release binary when scripts/test built one) runs `speak`
    /// with the built-in checkpoint from a copy in an empty folder, with a minimal environment
    /// (no HOME cache, no library path), and links none of the optional libraries.
    @Test func theToolRunsFromACopyWithAMinimalEnvironment() throws {
        var binaries = [ToolRun.executable]
        if let release = ProcessInfo.processInfo.environment["QWEN3TTS_RELEASE_BINARY"], !release.isEmpty {
            binaries.append(release)
        }
        for binary in binaries {
            let dir = tempDir()
            let copy = dir + "/qwen3-tts"
            try FileManager.default.copyItem(atPath: binary, toPath: copy)
            try FileManager.default.createDirectory(atPath: dir + "/home", withIntermediateDirectories: true)
            let env = ["HOME": dir + "/home", "PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1"]
            let run = try ToolRun(["speak", "--speaker", "ryan", "--text", "Hello from a copy.", "--greedy",
                                   "--max-new-tokens", "5", "--output", "hello.wav"],
                                  environment: env, executable: copy, directory: dir, replacingEnvironment: true)
            #expect(run.status == 0, "\(binary): \(run.stderr)")
            #expect(run.stderr.contains("built-in tiny test checkpoint"), "\(run.stderr)")
            let audio = try AudioIO.read(path: dir + "/hello.wav")
            #expect(audio.sampleRate == 24000 && audio.samples.count == 4 * 1920, "\(binary): 4 frames of audio")
            #expect(FileManager.default.fileExists(atPath: dir + "/home/.cache/qwen3-tts/builtin-tiny-custom-voice-v1"))

            #if os(Linux)
            let ldd = Process()
            ldd.executableURL = URL(fileURLWithPath: "/usr/bin/ldd")
            ldd.arguments = [copy]
            let out = Pipe()
            ldd.standardOutput = out
            try ldd.run()
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            ldd.waitUntilExit()
            #expect(text.contains("libc.so"), "ldd output: \(text)")
            for lib in Self.optionalLibraries {
                #expect(!text.contains(lib), "\(binary) links \(lib) at load time")
            }
            #endif
        }
    }

    /// Without libsndfile or libsoxr (hidden with QWEN3TTS_DISABLE_LIBS), the features that need
    /// them fail with one line naming the package to install; WAV, PCM and 24 kHz cloning still work.
    @Test func missingOptionalLibrariesGiveOneLineNamingThePackage() throws {
        let dir = tempDir()
        let noLibs = ["QWEN3TTS_DISABLE_LIBS": "sndfile,soxr,openblas"]
        let flac = try ToolRun(["speak", "--model", customVoice, "--text", "Hi.", "--speaker", "ryan", "--greedy",
                                "--max-new-tokens", "3", "--output", dir + "/a.flac"], environment: noLibs)
        #expect(flac.status != 0)
        #expect(flac.stderr.contains("libsndfile") && flac.stderr.contains("apt-get install libsndfile1")
                && flac.stderr.contains("brew install libsndfile"), "\(flac.stderr)")
        #expect(flac.stderr.split(separator: "\n").count == 1, "one line: \(flac.stderr)")

        let wav = try ToolRun(["speak", "--model", customVoice, "--text", "Hi.", "--speaker", "ryan", "--greedy",
                               "--max-new-tokens", "3", "--output", dir + "/a.wav"], environment: noLibs)
        #expect(wav.status == 0, "\(wav.stderr)")

        let ref16k = try Self.reference(at: 16000, in: dir)
        let clone = try ToolRun(["speak", "--model", base, "--text", "Hi.", "--ref-audio", ref16k, "--x-vector-only",
                                 "--max-new-tokens", "3", "--output", dir + "/b.wav"], environment: noLibs)
        #expect(clone.status != 0)
        #expect(clone.stderr.contains("16000 Hz") && clone.stderr.contains("libsoxr0"), "\(clone.stderr)")

        let ref24k = fixturesDirectory.appendingPathComponent("golden/tiny/ref/ref_24k.wav").path
        let clone24 = try ToolRun(["speak", "--model", base, "--text", "Hi.", "--ref-audio", ref24k, "--x-vector-only",
                                   "--max-new-tokens", "3", "--output", dir + "/c.wav"], environment: noLibs)
        #expect(clone24.status == 0, "\(clone24.stderr)")

        let doctor = try ToolRun(["doctor"], environment: noLibs)
        #expect(doctor.status == 0)
        let report = String(decoding: doctor.stdout, as: UTF8.self)
        #expect(report.contains("libsndfile  missing") && report.contains("libsoxr     missing"), "\(report)")
        #expect(report.contains("kernels:"), "\(report)")
    }

    /// With the libraries installed (scripts/test installs them), doctor finds them and cloning
    /// from every common sample rate works.
    @Test func optionalLibrariesAreFoundAndUsed() throws {
        let doctor = try ToolRun(["doctor"])
        let report = String(decoding: doctor.stdout, as: UTF8.self)
        #expect(report.contains("libsndfile  found") && report.contains("libsoxr     found"), "\(report)")
        let dir = tempDir()
        for rate in [16000, 22050, 44100, 48000] {
            let ref = try Self.reference(at: rate, in: dir)
            let clone = try ToolRun(["speak", "--model", base, "--text", "Hi.", "--ref-audio", ref, "--x-vector-only",
                                     "--max-new-tokens", "3", "--output", dir + "/\(rate).wav"])
            #expect(clone.status == 0, "\(rate) Hz: \(clone.stderr)")
        }
        let flac = try ToolRun(["speak", "--model", customVoice, "--text", "Hi.", "--speaker", "ryan", "--greedy",
                                "--max-new-tokens", "3", "--output", dir + "/a.flac"])
        #expect(flac.status == 0, "\(flac.stderr)")
        #expect(try AudioIO.read(path: dir + "/a.flac").samples.count == 2 * 1920)
    }
}
