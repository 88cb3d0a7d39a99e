import AudioIO
import Foundation
import Testing
@testable import Qwen3TTS

/// Text of any length: segments generated in order and joined into one stream.
@Suite struct LongTextSynthesisTests {
    /// Few frames per segment: the tiny random model never says EOS, so this keeps a 20,000-character
    /// job (tens of segments) short while exercising every join.
    static func options(_ synth: Synthesizer) -> GenerationOptions {
        var o = GenerationOptions(synth.model.generationConfig)
        o.talker = .greedy
        o.subtalker = .greedy
        o.maxNewTokens = 3
        return o
    }

    @Test func longMultilingualTextIsOneContinuousStream() throws {
        let synth = try SynthesizerCache.shared.synthesizer("tiny", "custom_voice")
        let corpus = LongText.make()
        let text = corpus.text
        let segmentation = Segmentation()
        let expected = synth.segment(text, segmentation)
        #expect(expected.count > 10)
        // Every segment ends where a hand-written sentence ends (over-long sentences aside).
        let sentenceEnds = Set(corpus.sentences.filter { !$0.isOverLong }.map(\.end))
        let overLong = corpus.sentences.filter(\.isOverLong).map { $0.start..<$0.end }
        for s in expected {
            let end = text.utf8.distance(from: text.startIndex, to: s.range.upperBound)
            let trimmedEnd = end - text[s.range].utf8.reversed().prefix { [9, 10, 13, 32].contains($0) }.count
            #expect(sentenceEnds.contains(trimmedEnd) || overLong.contains { $0.contains(trimmedEnd - 1) },
                    "segment ends inside a sentence: …\(s.text.suffix(30))")
        }

        var chunks: [AudioChunk] = []
        var reports: [SegmentReport] = []
        let summary = try synth.run(SpeechRequest(text: text, speaker: "ryan"), options: Self.options(synth),
                                    segmentation: segmentation, onSegment: { reports.append($0) }) { chunks.append($0) }
        #expect(summary.segments.count == expected.count && reports.count == expected.count)
        let spoken: [String] = summary.segments.map { $0.text }
        #expect(spoken == expected.map { $0.text }, "segments in order, as split")
        let complete = summary.segments.filter { r in r.skipped == nil && r.frames == 2 && r.stopReason == .maxNewTokens }
        #expect(complete.count == expected.count)

        // One stream: frames numbered without gaps, audio = frames + pauses, nothing else.
        var frame = 0, samples = 0
        for c in chunks {
            #expect(c.firstFrame == frame)
            #expect(c.samples.count == c.codes.count * 1920 || c.codes.isEmpty, "audio of its frames, or a pause")
            frame += c.codes.count
            samples += c.samples.count
        }
        #expect(frame == summary.frames && samples == Int((summary.audioSeconds * 24000).rounded()))

        // Subtitle times: contiguous, each segment as long as its audio, pauses between, ending with the audio.
        let rate = 24000.0
        for (i, r) in summary.segments.enumerated() {
            #expect(abs((r.end - r.start) * rate - Double(r.frames * 1920)) < 0.5, "segment \(i) duration")
            if i > 0 {
                let prev = summary.segments[i - 1]
                let pause = prev.endsParagraph ? segmentation.paragraphPause : segmentation.sentencePause
                #expect(abs(r.start - prev.end - pause) < 1 / rate, "pause before segment \(i)")
            }
        }
        #expect(abs(summary.segments.last!.end - summary.audioSeconds) < 1 / rate)
        #expect(summary.segments.first!.start == 0)

        // No click at a join: every segment starts and ends at silence.
        for c in chunks where !c.codes.isEmpty {
            #expect(c.samples.first == 0 && c.samples.last == 0)
        }
    }

    @Test func textWithinTheBudgetIsOneUtteranceAsBefore() throws {
        let synth = try SynthesizerCache.shared.synthesizer("tiny", "custom_voice")
        let text = "This is one sentence. And here is another one! Is a third one fine?"
        #expect(synth.segment(text, Segmentation()).count == 1)
        var o = Self.options(synth)
        o.maxNewTokens = 6
        let model = synth.model
        let alone = try model.generate(SpeechRequest(text: text, speaker: "ryan"), options: o)
        var codes: [[Int]] = []
        let summary = try synth.run(SpeechRequest(text: text, speaker: "ryan"), options: o) { codes += $0.codes }
        #expect(codes == alone.frames && summary.segments.count == 1)
    }

    @Test func everySentenceAloneWithSentenceSplit() throws {
        let synth = try SynthesizerCache.shared.synthesizer("tiny", "custom_voice")
        let text = "First sentence here. Second one, Dr. Who said.\n\nA new paragraph starts. 第一句。第二句！"
        let summary = try synth.run(SpeechRequest(text: text, speaker: "ryan"), options: Self.options(synth),
                                    segmentation: Segmentation(mode: .sentence)) { _ in }
        #expect(summary.segments.map(\.text) == ["First sentence here.", "Second one, Dr. Who said.", "A new paragraph starts.",
                                                   "第一句。", "第二句！"])
        #expect(summary.segments.map(\.endsParagraph) == [false, true, false, false, true])
    }

    /// Each segment has its own runaway guard; a segment that hits it is generated once more with
    /// another seed, and the summary says so.
    @Test func aSegmentStoppedByTheGuardIsRetriedOnce() throws {
        let synth = try SynthesizerCache.shared.synthesizer("tiny", "custom_voice")
        var o = Self.options(synth)
        o.maxNewTokens = 100
        o.frameBudget = 2
        o.allowEndOfSpeech = false
        let summary = try synth.run(SpeechRequest(text: "One short sentence. Another short one.", speaker: "ryan"),
                                    options: o, segmentation: Segmentation(mode: .sentence)) { _ in }
        #expect(summary.segments.count == 2)
        #expect(summary.segments.allSatisfy { $0.retried && $0.stopReason == .frameBudget && $0.frames == 2 })
    }

    @Test func cancellingStopsTheJob() throws {
        let synth = try SynthesizerCache.shared.synthesizer("tiny", "custom_voice")
        let flag = CancellationFlag()
        let text = "One. Two. Three. Four. Five."
        let summary = try synth.run(SpeechRequest(text: text, speaker: "ryan"), options: Self.options(synth),
                                    segmentation: Segmentation(mode: .sentence), cancelled: flag,
                                    onSegment: { r in if r.index == 1 { flag.set() } }) { _ in }
        #expect(summary.stopReason == .cancelled)
        #expect(summary.segments.count == 2, "no segment starts after the flag is set")
    }

    @Test func aBadRequestFailsTheWholeJobUpFront() throws {
        let synth = try SynthesizerCache.shared.synthesizer("tiny", "custom_voice")
        #expect(throws: GenerationError.self) {
            try synth.run(SpeechRequest(text: "One. Two. Three.", speaker: "nobody"), options: Self.options(synth),
                          segmentation: Segmentation(mode: .sentence)) { _ in }
        }
    }
}

/// Long text on the command line: progress, subtitles, --lines.
@Suite(.serialized) struct LongTextCommandLineTests {
    let customVoice = fixturesDirectory.appendingPathComponent("checkpoints/tiny/custom_voice").path

    func tempFile(_ name: String, _ contents: String? = nil) throws -> String {
        let dir = NSTemporaryDirectory() + "longtext-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/" + name
        if let contents { try contents.write(toFile: path, atomically: true, encoding: .utf8) }
        return path
    }

    static let text = "The first sentence is here. The second follows it.\n\nA new paragraph, with Dr. Lee at 3.14 today. 最后一句。"

    @Test func plainProgressLinesSubtitlesAndAContinuousFile() throws {
        let input = try tempFile("in.txt", Self.text)
        let wav = try tempFile("out.wav"), srt = try tempFile("out.srt")
        let run = try ToolRun(["speak", "--model", customVoice, "--speaker", "ryan", "--text-file", input, "--split", "sentence",
                               "--max-new-tokens", "3", "--output", wav, "--subtitles", srt])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("segment 1/4: 2 frames, stopped by max_new_tokens"), "\(run.stderr)")
        #expect(run.stderr.contains("segment 4/4"))
        #expect(!run.stderr.contains("\r"), "no terminal redraws when stderr is not a terminal")
        let audio = try AudioIO.read(path: wav)
        // 4 segments of 2 frames, 2 sentence pauses (0.25 s) and 1 paragraph pause (0.6 s).
        #expect(audio.samples.count == 4 * 2 * 1920 + 2 * 6000 + 14400)
        let cues = try String(contentsOfFile: srt, encoding: .utf8).components(separatedBy: "\n\n").filter { !$0.isEmpty }
        #expect(cues.count == 4)
        #expect(cues[0].hasPrefix("1\n00:00:00,000 --> 00:00:00,160\nThe first sentence is here."))
        #expect(cues[3].contains("最后一句。"))
        #expect(cues[3].contains("--> 00:00:01,740"), "the last cue ends with the audio (41,760 samples)")
    }

    @Test func progressBarUnderATerminal() throws {
        let input = try tempFile("in.txt", Self.text)
        let wav = try tempFile("out.wav"), vtt = try tempFile("out.vtt")
        // script(1) gives the tool a pseudo-terminal; its stderr is then a terminal.
        let command = [ToolRun.executable, "speak", "--model", customVoice, "--speaker", "ryan", "--text-file", input,
                       "--split", "sentence", "--max-new-tokens", "3", "--output", wav, "--subtitles", vtt]
            .map { "'" + $0 + "'" }.joined(separator: " ")
        let run = try ToolRun(["-q", "-e", "-c", command, "/dev/null"], executable: "/usr/bin/script")
        let screen = String(decoding: run.stdout, as: UTF8.self)
        #expect(run.status == 0, "\(screen) \(run.stderr)")
        #expect(screen.contains("\r[######------------------] 1/4 segments"), "\(screen)")
        #expect(screen.contains("4/4 segments") && screen.contains("real-time factor"))
        #expect(try String(contentsOfFile: vtt, encoding: .utf8).hasPrefix("WEBVTT\n\n00:00:00.000 --> 00:00:00.160\n"))
    }

    @Test func linesAreSpokenOneByOneAndAppended() throws {
        let wav = try tempFile("out.wav")
        let input = Data("Hello there.\n\nSecond line here.\nThird.\n".utf8)
        let run = try ToolRun(["speak", "--model", customVoice, "--speaker", "ryan", "--lines", "--max-new-tokens", "3",
                               "--output", wav], input: input)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("line 3: 2 frames") && !run.stderr.contains("line 4"), "\(run.stderr)")
        #expect(try AudioIO.read(path: wav).samples.count == 3 * 2 * 1920)
    }
}
