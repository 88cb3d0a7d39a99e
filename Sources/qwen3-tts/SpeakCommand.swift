// `qwen3-tts speak`: text in, audio out, written while it is being generated.

import ArgumentParser
import AudioIO
import Foundation
import Qwen3TTS

struct SpeakCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "speak",
        abstract: "Synthesize speech from text.",
        discussion: """
            Audio is written as it is generated: the first samples reach --output right after the first \
            frame. Without --model the built-in tiny test checkpoint (random weights) is used: it exercises \
            the whole pipeline but does not produce intelligible speech.
            """)

    @OptionGroup var model: ModelOptions

    @Option(help: "Text to speak.") var text: String?
    @Option(help: "Read the text to speak from this file.") var textFile: String?

    @Option(help: "CustomVoice speaker (e.g. ryan, vivian).") var speaker: String?
    @Option(help: "Language name, or auto (default).") var language: String?
    @Option(help: "Style instruction (VoiceDesign; CustomVoice 1.7B).") var instruct: String?

    @OptionGroup var voiceOptions: VoiceInputOptions

    @Flag(help: "Put the whole text in the prompt (default for CustomVoice and VoiceDesign).") var nonStreamingText = false
    @Flag(help: "Feed the text one token per frame (default for Base / cloning).") var streamingText = false

    @OptionGroup var sampling: SamplingOptions
    @OptionGroup var segmentationOptions: SegmentationOptions
    @Flag(help: "Every input line is its own utterance, spoken as soon as it is read; audio is appended (for pipelines).")
    var lines = false
    @Option(help: "Write subtitles (.srt or .vtt): each segment's text with its start and end time.") var subtitles: String?

    @Option(help: "Audio output file, or - for standard output.") var output: String?
    @Option(help: "Audio format: wav (16-bit), wav-f32, pcm (s16le), flac, mp3, opus. Default: from the file extension; pcm for -.")
    var format: String?
    @Option(help: "Write the codes as JSON {\"codes\": [[16 ints], ...]}, one row per frame.") var codesOutput: String?

    func validate() throws {
        if nonStreamingText && streamingText { throw ValidationError("--non-streaming-text and --streaming-text exclude each other") }
        if text != nil && textFile != nil { throw ValidationError("give either --text or --text-file, not both") }
        if lines && text != nil { throw ValidationError("--lines reads --text-file or standard input, not --text") }
        if output == nil && codesOutput == nil { throw ValidationError("give --output FILE (or - for stdout) and/or --codes-output FILE.json") }
        if let format, AudioFormat(name: format) == nil {
            throw ValidationError("unknown --format '\(format)'; expected wav, wav-f32, pcm, flac, mp3 or opus")
        }
    }

    func run() throws {
        signal(SIGPIPE, SIG_IGN)  // a closed pipe becomes a write error, not a silent death
        let spokenText = lines ? "" : try readText()
        let synthesizer = try model.loadSynthesizer()
        let voice = try voiceOptions.voicePrompt(for: synthesizer.model)
        func request(_ text: String) -> SpeechRequest {
            SpeechRequest(text: text, language: language, speaker: speaker, instruct: instruct, voice: voice,
                          textLayout: nonStreamingText ? .nonStreaming : (streamingText ? .streaming : nil))
        }
        let options = try sampling.options(defaults: synthesizer.model.generationConfig)
        let segmentation = segmentationOptions.segmentation

        var sink: (any AudioSink)?
        if let output {
            let audioFormat = try resolveFormat(output: output, format: format)
            let destination: AudioDestination = output == "-" ? .fileHandle(.standardOutput) : .file(output)
            sink = try AudioIO.makeSink(format: audioFormat, destination: destination, sampleRate: synthesizer.sampleRate)
        }
        var subtitleWriter = try subtitles.map { try SubtitleWriter(path: $0) }
        var frames: [[Int]] = []  // only kept for --codes-output: a long job must not grow in memory
        var writeError: Error?
        let cancelled = CancellationFlag()
        var audioSeconds = 0.0

        /// Speaks one text (a whole input, or one line with --lines) into the sink.
        func speak(_ text: String) throws -> SynthesisSummary {
            var progress: ProgressDisplay?
            let offset = audioSeconds
            let summary = try synthesizer.run(request(text), options: options, segmentation: segmentation, cancelled: cancelled,
                                              onSplit: { segments in
                if let first = segments.first {
                    for note in (try? synthesizer.model.prompt(for: request(first.text)).notes) ?? [] { log("note: \(note)") }
                }
                if segments.count > 1 { progress = ProgressDisplay(segments: segments) }
            }, onSegment: { r in
                subtitleWriter?.add(r, offset: offset)
                progress?.segmentDone(r, audioSeconds: offset + r.end)
            }) { chunk in
                if codesOutput != nil { frames += chunk.codes }
                do { try sink?.write(chunk.samples) } catch {
                    writeError = error
                    cancelled.set()
                }
            }
            progress?.finish()
            audioSeconds += summary.audioSeconds
            if let writeError { throw CLIError("cannot write audio: \(writeError)") }
            return summary
        }

        if lines {
            var count = 0
            try forEachInputLine { line in
                let summary = try speak(line)
                count += 1
                log("line \(count): " + summaryLine(summary))
            }
            if count == 0 { throw CLIError("no text: every input line was empty") }
        } else {
            let summary = try speak(spokenText)
            log(summaryLine(summary))
            if summary.segments.count > 1 { log(segmentsLine(summary.segments)) }
        }
        try sink?.close()
        try subtitleWriter?.write()
        if let codesOutput { try writeCodes(frames, to: codesOutput) }
    }

    /// Calls `body` with each non-empty line of --text-file or standard input, as soon as it is read.
    func forEachInputLine(_ body: (String) throws -> Void) throws {
        if let textFile {
            guard let data = FileManager.default.contents(atPath: textFile), let s = String(data: data, encoding: .utf8) else {
                throw CLIError("cannot read text file \(textFile) as UTF-8")
            }
            for line in s.split(whereSeparator: \.isNewline) where !line.allSatisfy(\.isWhitespace) { try body(String(line)) }
            return
        }
        guard isatty(STDIN_FILENO) == 0 else { throw CLIError("--lines reads --text-file or text piped on standard input") }
        while let line = Swift.readLine(strippingNewline: true) {
            if !line.allSatisfy(\.isWhitespace) { try body(line) }
        }
    }

    func readText() throws -> String {
        if let text { return text }
        if let textFile {
            guard let data = FileManager.default.contents(atPath: textFile), let s = String(data: data, encoding: .utf8) else {
                throw CLIError("cannot read text file \(textFile) as UTF-8")
            }
            return s.trimmingCharacters(in: .newlines)
        }
        if isatty(STDIN_FILENO) == 0 {
            let data = FileHandle.standardInput.readDataToEndOfFile()
            guard let s = String(data: data, encoding: .utf8) else { throw CLIError("standard input is not UTF-8 text") }
            return s.trimmingCharacters(in: .newlines)
        }
        throw CLIError("no text: give --text, --text-file, or pipe text on standard input")
    }
}

/// The run's figures, each labelled with its unit and what it covers.
func summaryLine(_ s: SynthesisSummary) -> String {
    let n = Double(max(s.frames, 1))
    let perFrame = { (seconds: Double) in String(format: "%.1f", seconds * 1e3 / n) }
    let first = s.timeToFirstAudio.map { String(format: "%.3f s", $0) } ?? "-"
    return String(format: "%d frames (%.2f s of audio), stopped by %@; prompt %d positions, prefill %.3f s; ",
                  s.frames, s.audioSeconds, s.stopReason.rawValue, s.promptLength, s.prefillSeconds)
        + "per frame: talker \(perFrame(s.talkerSeconds)) ms, code predictor \(perFrame(s.codePredictorSeconds)) ms, "
        + "decoder \(perFrame(s.decoderSeconds)) ms; first audio after \(first); "
        + String(format: "total %.2f s; real-time factor %.2f (total / audio, below 1 is faster than real time)",
                 s.totalSeconds, s.realTimeFactor)
}

/// Per segment of a long text: frames and why it stopped (retries and skips named).
/// A long job lists every segment up to 20 of them; beyond, the counts and the exceptions.
func segmentsLine(_ segments: [SegmentReport]) -> String {
    func describe(_ r: SegmentReport) -> String {
        if let skipped = r.skipped { return "\(r.index + 1) skipped (\(skipped))" }
        return "\(r.index + 1) \(r.frames) frames \(r.stopReason?.rawValue ?? "-")" + (r.retried ? " (retried)" : "")
    }
    if segments.count <= 20 { return "segments: " + segments.map(describe).joined(separator: "; ") }
    var counts: [String: Int] = [:]
    for r in segments { counts[r.skipped == nil ? r.stopReason?.rawValue ?? "-" : "skipped", default: 0] += 1 }
    let exceptions = segments.filter { $0.retried || $0.skipped != nil }
    return "\(segments.count) segments, \(segments.reduce(0) { $0 + $1.frames }) frames; stopped by "
        + counts.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
        + (exceptions.isEmpty ? "" : "; " + exceptions.map(describe).joined(separator: "; "))
}

/// --format, else the output file's extension, else WAV (raw PCM for standard output).
func resolveFormat(output: String, format: String?) throws -> AudioFormat {
    if let format { return AudioFormat(name: format)! }
    if output == "-" { return .pcm }
    return AudioFormat(pathExtension: output) ?? .wav(.pcm16)
}

/// Sampling flags shared by commands that generate.
struct SamplingOptions: ParsableArguments {
    @Flag(help: "Greedy decoding for both the talker and the code predictor.") var greedy = false
    @Option(help: "Talker temperature (default from generation_config.json).") var temperature: Double?
    @Option(help: "Talker top-k (0 disables).") var topK: Int?
    @Option(help: "Talker top-p.") var topP: Double?
    @Option(help: "Repetition penalty over codebook-0 history.") var repetitionPenalty: Double?
    @Option(help: "Code predictor temperature.") var subtalkerTemperature: Double?
    @Option(help: "Code predictor top-k.") var subtalkerTopK: Int?
    @Option(help: "Code predictor top-p.") var subtalkerTopP: Double?
    @Option(help: "Random seed (same seed, same output).") var seed: UInt64 = 0
    @Option(help: "Same meaning as the official max_new_tokens: N allows at most N-1 frames.") var maxNewTokens: Int?
    @Option(help: "Runaway guard: stop after this many frames (default 50 + 12 per text token; 0 disables).")
    var frameBudget: Int?

    /// The flags as the library's overrides of generation_config.json.
    var overrides: GenerationOverrides {
        var o = GenerationOverrides()
        o.greedy = greedy
        o.temperature = temperature
        o.topK = topK
        o.topP = topP
        o.repetitionPenalty = repetitionPenalty
        o.subtalkerTemperature = subtalkerTemperature
        o.subtalkerTopK = subtalkerTopK
        o.subtalkerTopP = subtalkerTopP
        o.seed = seed
        o.maxNewTokens = maxNewTokens
        o.frameBudget = frameBudget
        return o
    }

    func validate() throws {
        // Errors name the flag: --top-p for top_p.
        do { try overrides.validate { "--" + $0.rawValue.replacingOccurrences(of: "_", with: "-") } } catch {
            throw ValidationError("\(error)")
        }
    }

    /// Explicit flags override generation_config.json, as the official wrapper's precedence.
    func options(defaults g: GenerationConfig) throws -> GenerationOptions {
        try GenerationOptions(g, overrides: overrides)
    }
}

func writeCodes(_ frames: [[Int]], to path: String) throws {
    let rows = frames.map { "[" + $0.map(String.init).joined(separator: ", ") + "]" }
    let json = "{\"codes\": [" + rows.joined(separator: ", ") + "]}\n"
    do { try json.write(toFile: path, atomically: true, encoding: .utf8) } catch {
        throw CLIError("cannot write \(path): \(error.localizedDescription)")
    }
}

/// Reads {"codes": [[16 ints], ...]} as written by --codes-output and `encode`.
func readCodes(_ path: String) throws -> [[Int]] {
    guard let data = FileManager.default.contents(atPath: path) else { throw CLIError("cannot read codes file \(path)") }
    guard let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let rows = obj["codes"] as? [Any] else {
        throw CLIError("\(path) is not a codes file: expected {\"codes\": [[16 ints], ...]}")
    }
    return try rows.enumerated().map { (t, row) in
        guard let r = row as? [Any], let ints = Optional(r.compactMap { ($0 as? NSNumber)?.intValue }), ints.count == r.count else {
            throw CLIError("\(path): frame \(t) is not a list of integers")
        }
        return ints
    }
}
