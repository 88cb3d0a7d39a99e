// Long text on the command line: how it is cut (--split, --segment-budget, pauses), a progress
// display on stderr, and subtitles with each segment's times.

import ArgumentParser
import Foundation
import Qwen3TTS

struct SegmentationOptions: ParsableArguments {
    @Option(help: """
        How long text is cut into utterances: auto (text within --segment-budget stays one utterance, \
        longer text is cut at sentence ends), sentence (every sentence alone), paragraph, none.
        """)
    var split: String = "auto"
    @Option(help: "Longest segment, in text tokens (about a paragraph).") var segmentBudget: Int = 150
    @Option(help: "Silence between sentences of a long text, in seconds.") var sentencePause: Double = 0.25
    @Option(help: "Silence between paragraphs of a long text, in seconds.") var paragraphPause: Double = 0.6

    func validate() throws {
        if SplitMode(rawValue: split) == nil { throw ValidationError("unknown --split '\(split)'; expected auto, sentence, paragraph or none") }
        if segmentBudget < 8 { throw ValidationError("--segment-budget must be at least 8 tokens") }
        if !(sentencePause >= 0 && sentencePause <= 10) || !(paragraphPause >= 0 && paragraphPause <= 10) {
            throw ValidationError("pauses must be between 0 and 10 seconds")
        }
    }

    var segmentation: Segmentation {
        Segmentation(mode: SplitMode(rawValue: split) ?? .auto, budget: segmentBudget, sentencePause: sentencePause,
                     paragraphPause: paragraphPause)
    }
}

/// Progress of a long job on stderr: a bar redrawn in place on a terminal, one plain line per
/// segment otherwise (logs, pipes).
final class ProgressDisplay {
    private let total: Int
    private let totalCharacters: Int
    private let terminal = isatty(STDERR_FILENO) != 0
    private let start = ContinuousClock.now
    private var done = 0
    private var charactersDone = 0

    init(segments: [TextSegment]) {
        total = segments.count
        totalCharacters = max(1, segments.reduce(0) { $0 + $1.text.count })
    }

    func segmentDone(_ r: SegmentReport, audioSeconds: Double) {
        done += 1
        charactersDone += r.text.count
        let elapsed = (ContinuousClock.now - start).seconds
        let rtf = audioSeconds > 0 ? elapsed / audioSeconds : 0
        let left = elapsed / Double(charactersDone) * Double(totalCharacters - charactersDone)
        if terminal {
            let width = 24, filled = width * done / max(total, 1)
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
            let line = String(format: "[%@] %d/%d segments, %.1f s of audio, real-time factor %.2f, about %@ left",
                              bar, done, total, audioSeconds, rtf, duration(left))
            FileHandle.standardError.write(Data(("\r" + line + "\u{1B}[K" + (done == total ? "\n" : "")).utf8))
        } else {
            var line = "segment \(done)/\(total): "
            if let skipped = r.skipped {
                line += "skipped (\(skipped))"
            } else {
                line += "\(r.frames) frames, stopped by \(r.stopReason?.rawValue ?? "-")" + (r.retried ? " (retried with another seed)" : "")
            }
            line += String(format: "; %.1f s of audio so far, real-time factor %.2f", audioSeconds, rtf)
            log(line)
        }
    }

    /// Ends the bar's line early (the job stopped before its last segment).
    func finish() {
        if terminal && done < total && done > 0 { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    private func duration(_ s: Double) -> String {
        let t = Int(s.rounded())
        return t >= 3600 ? String(format: "%dh%02dm", t / 3600, t / 60 % 60) : t >= 60 ? String(format: "%dm%02ds", t / 60, t % 60) : "\(t)s"
    }
}

/// Subtitle cues, written as SubRip (.srt) or WebVTT (.vtt) by the file's extension.
struct SubtitleWriter {
    enum Format { case srt, vtt }
    let path: String
    let format: Format
    private(set) var cues: [(start: Double, end: Double, text: String)] = []

    init(path: String) throws {
        self.path = path
        switch (path as NSString).pathExtension.lowercased() {
        case "srt": format = .srt
        case "vtt": format = .vtt
        default: throw CLIError("--subtitles needs a .srt or .vtt file name, got \(path)")
        }
    }

    /// A segment's cue, `offset` seconds into the output (for --lines, the audio before this utterance).
    mutating func add(_ r: SegmentReport, offset: Double = 0) {
        guard r.skipped == nil, r.end > r.start else { return }
        let text = r.text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }.joined(separator: "\n")
        cues.append((offset + r.start, offset + r.end, text))
    }

    func write() throws {
        var out = format == .vtt ? "WEBVTT\n\n" : ""
        for (i, c) in cues.enumerated() {
            if format == .srt { out += "\(i + 1)\n" }
            out += "\(stamp(c.start)) --> \(stamp(c.end))\n\(c.text)\n\n"
        }
        do { try out.write(toFile: path, atomically: true, encoding: .utf8) } catch {
            throw CLIError("cannot write \(path): \(error.localizedDescription)")
        }
    }

    private func stamp(_ seconds: Double) -> String {
        let ms = Int((seconds * 1000).rounded())
        return String(format: "%02d:%02d:%02d%@%03d", ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60,
                      format == .srt ? "," : ".", ms % 1000)
    }
}
