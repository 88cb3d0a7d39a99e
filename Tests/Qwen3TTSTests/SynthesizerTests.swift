import AudioIO
import Foundation
import Testing
@testable import Qwen3TTS

/// Synthesizers are loaded once per checkpoint folder.
final class SynthesizerCache: @unchecked Sendable {
    static let shared = SynthesizerCache()
    private var items: [String: Synthesizer] = [:]
    private let lock = NSLock()
    func synthesizer(_ structure: String, _ variant: String) throws -> Synthesizer {
        let dir = fixturesDirectory.appendingPathComponent("checkpoints/\(structure)/\(variant)").path
        lock.lock()
        defer { lock.unlock() }
        if let s = items[dir] { return s }
        let s = try Synthesizer(directory: dir, backend: CPUBackend(threads: 2))
        items[dir] = s
        return s
    }
}

@Suite struct SynthesizerTests {
    /// Text to waveform, streamed frame by frame, against the official output for every golden case.
    @Test(arguments: GenerationGoldenTests.cases)
    func reproducesGoldenWaveform(_ structure: String, _ name: String) throws {
        let g = try GoldenCase(structure, name)
        let synth = try SynthesizerCache.shared.synthesizer(structure, checkpointVariant[name]!)
        let (req, opts) = try request(for: g)
        var audio: [Float] = []
        var framesSeen = 0
        let summary = try synth.run(req, options: opts) { chunk in
            #expect(chunk.samples.count == chunk.codes.count * 1920, "each chunk carries exactly its frames' audio")
            #expect(chunk.firstFrame == framesSeen)
            #expect(framesSeen > 0 || chunk.codes.count == 1, "the first frame is decoded alone")
            audio += chunk.samples
            framesSeen += chunk.codes.count
        }
        let expected = try g.floats("output_wav")
        #expect(audio.count == expected.count)
        var maxErr: Float = 0
        for (a, b) in zip(audio, expected) { maxErr = max(maxErr, abs(a - b)) }
        #expect(maxErr < 1e-4, "max abs error \(maxErr)")
        #expect(framesSeen == summary.frames && summary.timeToFirstAudio != nil)
    }

    @Test func asyncStreamDeliversAudioThenSummary() async throws {
        let g = try GoldenCase("tiny", "custom_voice")
        let synth = try SynthesizerCache.shared.synthesizer("tiny", "custom_voice")
        let (req, opts) = try request(for: g)
        var samples = 0
        var finished: SynthesisSummary?
        for try await event in synth.synthesize(req, options: opts) {
            switch event {
            case .audio(let chunk):
                #expect(finished == nil, "no audio after the summary")
                samples += chunk.samples.count
            case .finished(let s): finished = s
            }
        }
        #expect(finished?.stopReason == .maxNewTokens)
        #expect(samples == (try g.floats("output_wav")).count)
    }

    @Test func cancellationStopsGenerationAtTheNextFrame() async throws {
        let synth = try SynthesizerCache.shared.synthesizer("tiny", "custom_voice")
        var opts = GenerationOptions(synth.model.generationConfig)
        opts.frameBudget = 0
        opts.maxNewTokens = 100_000
        let request = SpeechRequest(text: "A long text that never ends.", speaker: "ryan")
        // The flag the async stream's termination handler sets.
        let flag = CancellationFlag()
        var frames = 0
        let summary = try synth.run(request, options: opts, cancelled: flag) { chunk in
            frames += chunk.codes.count
            if frames >= 3 { flag.set() }
        }
        #expect(summary.stopReason == .cancelled)
        #expect(summary.frames == frames && frames == 5, "first frame alone, then one batch of four, then the stop")
        // Leaving the consuming loop ends the stream (and sets that flag) without hanging.
        let task = Task {
            var n = 0
            for try await event in synth.synthesize(request, options: opts) {
                if case .audio = event { n += 1 }
                if n == 3 { break }
            }
            return n
        }
        #expect(try await task.value == 3)
    }

    @Test func reusedReferenceIsNotDecodedAgain() throws {
        let g = try GoldenCase("tiny-eq", "clone_icl")
        let synth = try Synthesizer(directory: fixturesDirectory.appendingPathComponent("checkpoints/tiny-eq/base").path,
                                    backend: CPUBackend(threads: 2))
        let (req, opts) = try request(for: g)
        func once() throws -> [Float] {
            var audio: [Float] = []
            _ = try synth.run(req, options: opts) { audio += $0.samples }
            return audio
        }
        let first = try once()
        #expect(synth.primedReferences.lookup(req.voice!.referenceCodes!) != nil, "the primed state is kept")
        let second = try once()
        #expect(first == second, "a primed copy continues exactly like decoding the reference again")
        let expected = try g.floats("output_wav")
        #expect(zip(second, expected).map { abs($0 - $1) }.max()! < 1e-4)
    }

    @Test func badRequestsFailTheStream() async throws {
        let synth = try SynthesizerCache.shared.synthesizer("tiny", "custom_voice")
        do {
            for try await _ in synth.synthesize(SpeechRequest(text: "Hi", speaker: "nobody")) {}
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("unknown speaker"))
        }
    }
}

@Suite struct VoiceCloningTests {
    /// Reference wav -> x-vector + codes -> generation, against the official clone runs.
    @Test(arguments: ["tiny", "tiny-eq"], ["clone_xvec", "clone_icl"])
    func cloneFromReferenceAudio(_ structure: String, _ name: String) throws {
        let g = try GoldenCase(structure, name)
        let ref = try GoldenCase(structure, "ref")
        let synth = try SynthesizerCache.shared.synthesizer(structure, "base")
        let cloner = try VoiceCloner(model: synth.model)
        let icl = name == "clone_icl"
        let voice = try cloner.prompt(samples24k: try ref.floats("ref_wav_24k"), referenceText: g.meta["ref_text"] as? String,
                                      xVectorOnly: !icl)
        #expect(relativeError(voice.xVector, try g.floats("spk_encoder_out_embedding")) < 1e-4)
        if icl { #expect(voice.referenceCodes == (try g.intRows("icl_ref_code"))) }
        var (req, opts) = try request(for: g)
        req.voice = voice
        var audio: [Float] = []
        let summary = try synth.run(req, options: opts) { audio += $0.samples }
        #expect(summary.frames == (try g.intRows("talker_codes")).count)
        let expected = try g.floats("output_wav")
        #expect(audio.count == expected.count)
        var maxErr: Float = 0
        for (a, b) in zip(audio, expected) { maxErr = max(maxErr, abs(a - b)) }
        #expect(maxErr < 1e-4, "max abs error \(maxErr)")
    }

    @Test func cloneFromAWavFileOnDisk() throws {
        let synth = try SynthesizerCache.shared.synthesizer("tiny", "base")
        let path = fixturesDirectory.appendingPathComponent("golden/tiny/ref/ref_24k.wav").path
        let voice = try VoiceCloner(model: synth.model).prompt(audioFile: path, referenceText: nil, xVectorOnly: true)
        let g = try GoldenCase("tiny", "clone_xvec")
        #expect(relativeError(voice.xVector, try g.floats("spk_encoder_out_embedding")) < 1e-4)
    }

    @Test func voiceFilesRoundTripAndAreChecked() throws {
        let small = try SynthesizerCache.shared.synthesizer("tiny-eq", "base").model
        let large = try SynthesizerCache.shared.synthesizer("tiny", "base").model
        let g = try GoldenCase("tiny-eq", "clone_icl")
        let voice = VoicePrompt(xVector: try g.floats("icl_ref_spk_embedding"), referenceCodes: try g.intRows("icl_ref_code"),
                                referenceText: "Hello world, this is a short reference recording.")
        let dir = NSTemporaryDirectory() + "voices-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/v.json"
        try VoiceFile.save(voice, for: small, to: path)
        #expect(try VoiceFile.load(path, for: small) == voice)

        func error(_ body: () throws -> Void) -> String {
            do { try body(); return "" } catch { return "\(error)" }
        }
        // Made for the 0b6-structure model, refused by the wider one.
        #expect(error { _ = try VoiceFile.load(path, for: large) }.contains("was made for a 0b6"))
        // One flipped digit in the payload: refused as damaged.
        var text = try String(contentsOfFile: path, encoding: .utf8)
        let digit = text.range(of: "\"x_vector\"") ?? text.range(of: "xVector")!
        let at = text[digit.upperBound...].firstIndex { $0.isNumber && $0 != "0" }!
        text.replaceSubrange(at...at, with: text[at] == "1" ? "2" : "1")
        try text.write(toFile: dir + "/damaged.json", atomically: true, encoding: .utf8)
        #expect(error { _ = try VoiceFile.load(dir + "/damaged.json", for: small) }.contains("damaged"))
        // Truncated, foreign, future-version and missing files.
        try String(text.prefix(100)).write(toFile: dir + "/cut.json", atomically: true, encoding: .utf8)
        #expect(error { _ = try VoiceFile.load(dir + "/cut.json", for: small) }.contains("not a qwen3-tts voice file"))
        try "{\"codes\": []}".write(toFile: dir + "/other.json", atomically: true, encoding: .utf8)
        #expect(error { _ = try VoiceFile.load(dir + "/other.json", for: small) }.contains("not a qwen3-tts voice file"))
        try text.replacingOccurrences(of: "\"version\":1", with: "\"version\":9").write(
            toFile: dir + "/future.json", atomically: true, encoding: .utf8)
        #expect(error { _ = try VoiceFile.load(dir + "/future.json", for: small) }.contains("version 9"))
        #expect(error { _ = try VoiceFile.load(dir + "/absent.json", for: small) }.contains("no such file"))
    }

    @Test func cloningNeedsABaseModelAndATranscript() throws {
        let cv = try SynthesizerCache.shared.synthesizer("tiny", "custom_voice").model
        #expect(throws: GenerationError.self) { _ = try VoiceCloner(model: cv) }
        let base = try SynthesizerCache.shared.synthesizer("tiny", "base").model
        let ref = try GoldenCase("tiny", "ref")
        #expect(throws: GenerationError.self) {
            _ = try VoiceCloner(model: base).prompt(samples24k: try ref.floats("ref_wav_24k"), referenceText: nil, xVectorOnly: false)
        }
    }
}
