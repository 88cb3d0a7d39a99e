// Qwen2Tokenizer against the official tokenizer: ids for every corpus string and every tokenizer
// folder in Tests/Fixtures/tokenizer (made by scripts/tokenizer/make_tokenizer_goldens.py with
// qwen-tts 0.1.1 / transformers 4.57.3 / tokenizers 0.22), decoding, the Mistral-regex rule,
// the official engine's Unicode tables, error messages, speed.

import Foundation
import Testing
@testable import Qwen3TTS

private let tokenizerFixtures = fixturesDirectory.appendingPathComponent("tokenizer")

private struct Corpus: Decodable {
    let strings: [String]
    let hand_written_count: Int
}

private struct DecodeCase: Decodable {
    let ids: [Int]
    let text: String
}

private struct Expected: Decodable {
    let tokenizer: String
    let official_class: String
    let split_regex: String
    let vocab_size: Int
    let total_size: Int
    let ids: [[Int]]
    let decoded: [String]
    let decode_cases: [DecodeCase]
    let pad_to: Int?
}

private func loadJSON<T: Decodable>(_ type: T.Type, _ name: String) throws -> T {
    try JSONDecoder().decode(T.self, from: Data(contentsOf: tokenizerFixtures.appendingPathComponent(name)))
}

private let corpus: Corpus = try! loadJSON(Corpus.self, "corpus.json")

/// Swift-literal-like spelling of a string, so mismatches show invisible characters.
private func escaped(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        if u.isASCII && u.value >= 0x20 && u != "\"" && u != "\\" {
            out.unicodeScalars.append(u)
        } else {
            out += String(format: "\\u{%X}", u.value)
        }
    }
    return out + "\""
}

/// Builds the Mistral-regex folder the generator describes: multilingual/ with its vocabulary padded
/// by unreachable "<pad_K>" tokens up to `padTo` entries, added tokens re-based to padTo + i, and a
/// config.json saying transformers_version 4.57.3 (the official loader then swaps the regex).
private func buildPaddedFolder(padTo: Int) throws -> URL {
    let source = tokenizerFixtures.appendingPathComponent("multilingual")
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qwen3tts-tok-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let vocabText = try String(contentsOf: source.appendingPathComponent("vocab.json"), encoding: .utf8)
    let vocab = try JSONSerialization.jsonObject(with: Data(vocabText.utf8)) as! [String: Int]
    let n = vocab.count
    var padded = String(vocabText.trimmingCharacters(in: .whitespacesAndNewlines).dropLast())  // drop "}"
    padded.reserveCapacity(vocabText.utf8.count + (padTo - n) * 20)
    for k in 0..<(padTo - n) { padded += ",\"<pad_\(k)>\":\(n + k)" }
    padded += "}"
    try padded.write(to: dir.appendingPathComponent("vocab.json"), atomically: true, encoding: .utf8)
    try FileManager.default.copyItem(at: source.appendingPathComponent("merges.txt"),
                                     to: dir.appendingPathComponent("merges.txt"))
    var config = try JSONSerialization.jsonObject(
        with: Data(contentsOf: source.appendingPathComponent("tokenizer_config.json"))) as! [String: Any]
    let decoder = config["added_tokens_decoder"] as! [String: Any]
    let ordered = decoder.keys.sorted { Int($0)! < Int($1)! }
    var rebased: [String: Any] = [:]
    for (i, key) in ordered.enumerated() { rebased[String(padTo + i)] = decoder[key] }
    config["added_tokens_decoder"] = rebased
    try JSONSerialization.data(withJSONObject: config).write(to: dir.appendingPathComponent("tokenizer_config.json"))
    try Data(#"{"model_type": "qwen3_tts", "transformers_version": "4.57.3"}"#.utf8)
        .write(to: dir.appendingPathComponent("config.json"))
    return dir
}

/// Compares every corpus string; returns readable descriptions of the first mismatches.
private func mismatches(_ tokenizer: Qwen2Tokenizer, _ expected: Expected, limit: Int = 8) -> (count: Int, report: String) {
    var count = 0
    var report = ""
    for (i, s) in corpus.strings.enumerated() {
        let got = tokenizer.encode(s)
        if got != expected.ids[i] {
            count += 1
            if count <= limit {
                report += "\n[\(expected.tokenizer) #\(i)] \(escaped(s))\n  official: \(expected.ids[i])\n  swift:    \(got)"
            }
        }
    }
    return (count, report)
}

@Suite("Tokenizer")
struct TokenizerTests {
    static let folders = ["tiny", "multilingual", "multilingual_json", "multilingual_json_legacy", "flags"]

    @Test func corpusIsLargeEnough() {
        #expect(corpus.hand_written_count >= 200)
        #expect(corpus.strings.count - corpus.hand_written_count >= 300)
    }

    @Test(arguments: folders)
    func idsMatchOfficialTokenizer(folder: String) throws {
        let expected = try loadJSON(Expected.self, "expected_\(folder).json")
        let tokenizer = try Qwen2Tokenizer(directory: tokenizerFixtures.appendingPathComponent(folder))
        #expect(expected.official_class == "Qwen2TokenizerFast")
        #expect(tokenizer.splitPattern.regex == expected.split_regex)
        #expect(tokenizer.vocabularySize == expected.vocab_size)
        #expect(tokenizer.count == expected.total_size)
        #expect(expected.ids.count == corpus.strings.count)
        let (count, report) = mismatches(tokenizer, expected)
        #expect(count == 0, "\(count) of \(corpus.strings.count) strings differ from the official ids:\(report)")
    }

    @Test func mistralRegexFolderMatchesOfficialTokenizer() throws {
        let expected = try loadJSON(Expected.self, "expected_multilingual_mistral.json")
        let dir = try buildPaddedFolder(padTo: try #require(expected.pad_to))
        defer { try? FileManager.default.removeItem(at: dir) }
        let tokenizer = try Qwen2Tokenizer(directory: dir)
        #expect(tokenizer.splitPattern == .mistralFixed)
        #expect(tokenizer.splitPattern.regex == expected.split_regex)
        #expect(tokenizer.vocabularySize == expected.vocab_size)
        let (count, report) = mismatches(tokenizer, expected)
        #expect(count == 0, "\(count) of \(corpus.strings.count) strings differ from the official ids:\(report)")

        // Forcing the Qwen2 pattern on the same folder gives the official ids of the unpadded
        // tokenizer (added-token ids shifted by the padding); the two patterns differ on some strings.
        let forced = try Qwen2Tokenizer(directory: dir, splitPattern: .qwen2)
        #expect(forced.splitPattern == .qwen2)
        let plain = try loadJSON(Expected.self, "expected_multilingual.json")
        let shift = try #require(expected.pad_to) - plain.vocab_size
        var differing = 0, wrong = 0
        for (i, s) in corpus.strings.enumerated() {
            let want = plain.ids[i].map { $0 >= plain.vocab_size ? $0 + shift : $0 }
            if forced.encode(s) != want { wrong += 1 }
            if want != expected.ids[i] { differing += 1 }
        }
        #expect(wrong == 0)
        #expect(differing > 10, "the Mistral regex changes only \(differing) corpus strings")
    }

    @Test(arguments: folders)
    func decodeMatchesOfficialTokenizer(folder: String) throws {
        let expected = try loadJSON(Expected.self, "expected_\(folder).json")
        let tokenizer = try Qwen2Tokenizer(directory: tokenizerFixtures.appendingPathComponent(folder))
        var failures: [String] = []
        for (i, ids) in expected.ids.enumerated() where tokenizer.decode(ids) != expected.decoded[i] {
            failures.append("#\(i) \(escaped(expected.decoded[i])) vs \(escaped(tokenizer.decode(ids)))")
        }
        for c in expected.decode_cases where tokenizer.decode(c.ids) != c.text {
            failures.append("\(c.ids): \(escaped(c.text)) vs \(escaped(tokenizer.decode(c.ids)))")
        }
        #expect(failures.isEmpty, "decode differs: \(failures.prefix(8).joined(separator: "\n"))")
    }

    @Test func encodeDecodeRoundTrip() throws {
        let tokenizer = try Qwen2Tokenizer(directory: tokenizerFixtures.appendingPathComponent("multilingual"))
        let texts = [
            "Hello world. It's 2026!", "今天天气很好，我们一起去公园散步吧。", "안녕하세요 👨‍👩‍👧‍👦 🇯🇵",
            "  spaced\t\tout\r\n\nlines ", "<|im_start|>assistant\nHi<|im_end|>\n", "",
            "x = [1, 2, 3]  # ok", "\u{1F600}\u{1F3FD}\u{200D}", "café", "\u{0085}\u{00A0}\u{3000}",
        ]
        for t in texts {
            #expect(tokenizer.decode(tokenizer.encode(t)) == t, "round trip of \(escaped(t))")
        }
        // NFC is applied on the way in: a decomposed é comes back composed.
        #expect(tokenizer.decode(tokenizer.encode("cafe\u{301}")).unicodeScalars.elementsEqual("caf\u{E9}".unicodeScalars))
        // Every corpus string decodes back to what the official decoder gives for its official ids.
        let expected = try loadJSON(Expected.self, "expected_multilingual.json")
        for (i, s) in corpus.strings.enumerated() {
            #expect(tokenizer.decode(tokenizer.encode(s)) == expected.decoded[i], "round trip #\(i) \(escaped(s))")
        }
    }

    @Test func tokenLookups() throws {
        let tokenizer = try Qwen2Tokenizer(directory: tokenizerFixtures.appendingPathComponent("tiny"))
        let n = tokenizer.vocabularySize
        #expect(tokenizer.id(forToken: "<|endoftext|>") == n)
        #expect(tokenizer.id(forToken: "<|im_start|>") == n + 1)
        #expect(tokenizer.id(forToken: "<|im_end|>") == n + 2)
        #expect(tokenizer.id(forToken: "<tts_pad>") == n + 28)
        #expect(tokenizer.id(forToken: "<|audio_pad|>") == n + 32)
        #expect(tokenizer.id(forToken: "\u{120}") != nil)  // "Ġ": the byte-level space
        #expect(tokenizer.id(forToken: "no such token") == nil)
        #expect(tokenizer.token(forID: n + 2) == "<|im_end|>")
        #expect(tokenizer.addedTokens[n + 28]?.special == true)
        // The prompt layout the talker relies on: 3 prefix and 5 suffix ids around the text.
        let ids = tokenizer.encode("<|im_start|>assistant\nHello world.<|im_end|>\n<|im_start|>assistant\n")
        let assistant = try #require(tokenizer.id(forToken: "assistant"))
        let newline = try #require(tokenizer.id(forToken: "\u{10A}"))  // "Ċ"
        #expect(Array(ids.prefix(3)) == [n + 1, assistant, newline])
        #expect(Array(ids.suffix(5)) == [n + 2, newline, n + 1, assistant, newline])
    }

    /// The scanner against the official Split step directly (pre-token boundaries, no vocabulary
    /// involved), for both regexes: a small vocabulary can hide a wrong boundary, this cannot.
    @Test(arguments: SplitPattern.allCases)
    func preTokenBoundariesMatchOfficialSplit(pattern: SplitPattern) throws {
        struct Splits: Decodable {
            let qwen2: [[Int]]
            let mistralFixed: [[Int]]
        }
        let splits = try loadJSON(Splits.self, "expected_splits.json")
        let expected = pattern == .qwen2 ? splits.qwen2 : splits.mistralFixed
        #expect(expected.count == corpus.strings.count)
        let preTokenizer = PreTokenizer(pattern: pattern)
        var failures: [String] = []
        for (i, s) in corpus.strings.enumerated() {
            let values = NFCNormalizer.normalize(s).unicodeScalars.map(\.value)
            var lengths: [Int] = []
            preTokenizer.split(values: values, classes: values.map(ScalarClass.of)) { lengths.append($0.count) }
            if lengths != expected[i] { failures.append("#\(i) \(escaped(s)): official \(expected[i]), swift \(lengths)") }
        }
        #expect(failures.isEmpty, "\(failures.count) strings split differently:\n\(failures.prefix(8).joined(separator: "\n"))")
    }

    @Test func mistralRegexDecisionMatchesOfficialLoader() throws {
        struct Case: Decodable {
            let base_vocab_size: Int
            let mistral_regex: Bool
        }
        struct Decisions: Decodable { let cases: [Case] }
        let decisions = try loadJSON(Decisions.self, "mistral_regex_decisions.json")
        // The configs are read with the tokenizer's own JSON reader, as the loader does.
        let raw = try TokenizerJSON.parse(
            [UInt8](Data(contentsOf: tokenizerFixtures.appendingPathComponent("mistral_regex_decisions.json"))))
        let configs = try #require(raw["cases"]?.arrayValue).map { $0["config"] }
        #expect(configs.count == decisions.cases.count && decisions.cases.count >= 20)
        for (c, config) in zip(decisions.cases, configs) {
            let cfg: TokenizerJSON? = (config?.isNull ?? true) ? nil : config
            let decided = SplitPattern.officialPackageUsesMistralFix(baseVocabularySize: c.base_vocab_size, config: cfg)
            #expect(decided == c.mistral_regex, "config \(String(describing: cfg)) vocab \(c.base_vocab_size)")
        }
    }

    @Test func scalarClassesMatchOfficialEngine() throws {
        let unicode = try TokenizerJSON.parse(
            [UInt8](Data(contentsOf: tokenizerFixtures.appendingPathComponent("official_unicode.json"))))
        let classes = try #require(unicode["classes"])
        let table: [(String, ScalarClass)] = [
            ("L", .letter), ("N", .number), ("s", .space), ("Lu", .upper), ("Ll", .lower), ("Lt", .title),
            ("Lm", .modifier), ("Lo", .otherLetter), ("M", .mark),
        ]
        var ranges: [[ClosedRange<UInt32>]] = []
        for (name, _) in table {
            ranges.append(try #require(classes[name]?.arrayValue).map { r -> ClosedRange<UInt32> in
                let pair = r.arrayValue!
                return UInt32(pair[0].intValue!)...UInt32(pair[1].intValue!)
            })
        }
        var next = [Int](repeating: 0, count: table.count)
        var wrong = [[String]](repeating: [], count: table.count)
        for v in UInt32(0)..<0x110000 where !(0xD800...0xDFFF).contains(v) {
            let mine = ScalarClass.of(v)
            for k in table.indices {
                while next[k] < ranges[k].count, ranges[k][next[k]].upperBound < v { next[k] += 1 }
                let official = next[k] < ranges[k].count && ranges[k][next[k]].contains(v)
                if mine.contains(table[k].1) != official { wrong[k].append(String(format: "U+%04X", v)) }
            }
        }
        for k in table.indices {
            #expect(wrong[k].isEmpty,
                    "\\p{\(table[k].0)} differs from the official engine at \(wrong[k].count) code points: \(wrong[k].prefix(12))")
        }
    }

    @Test func nfcMatchesOfficialEngine() throws {
        let unicode = try TokenizerJSON.parse(
            [UInt8](Data(contentsOf: tokenizerFixtures.appendingPathComponent("official_unicode.json"))))
        let nfc = try #require(unicode["nfc"])
        let templates = try #require(nfc["templates"]?.arrayValue).map { $0.stringValue! }
        let digests = try #require(nfc["digests"]?.arrayValue).map { $0.stringValue! }
        var codepoints: [UInt32] = []
        for r in try #require(nfc["codepoints"]?.arrayValue) {
            let pair = r.arrayValue!
            codepoints += (UInt32(pair[0].intValue!)...UInt32(pair[1].intValue!)).map { $0 }
        }
        #expect(codepoints.count == digests.count && codepoints.count > 4000)
        func fnv1a(_ bytes: some Sequence<UInt8>) -> UInt32 {
            var h: UInt32 = 0x811C_9DC5
            for b in bytes { h = (h ^ UInt32(b)) &* 0x0100_0193 }
            return h
        }
        var wrong: [String] = []
        for (k, v) in codepoints.enumerated() {
            let c = String(Unicode.Scalar(v)!)
            let joined = templates.map { t -> String in
                let parts = t.unicodeScalars.split(separator: "{", omittingEmptySubsequences: false)
                // Templates are "<prefix>{}<suffix>" written with scalars; rebuild around the code point.
                var s = String.UnicodeScalarView()
                s.append(contentsOf: parts[0])
                s.append(contentsOf: c.unicodeScalars)
                s.append(contentsOf: parts[1].dropFirst())  // drop "}"
                return NFCNormalizer.normalize(String(s))
            }.joined(separator: "\u{1F}")
            if String(format: "%08x", fnv1a(joined.utf8)) != digests[k] { wrong.append(String(format: "U+%04X", v)) }
        }
        #expect(wrong.isEmpty, "NFC differs from the official engine around \(wrong.count) code points: \(wrong.prefix(12))")
    }

    // MARK: errors

    private func scratchFolder(_ files: [String: String]) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qwen3tts-tokerr-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for (name, text) in files { try Data(text.utf8).write(to: dir.appendingPathComponent(name)) }
        return dir
    }

    private func loadError(_ files: [String: String]) throws -> TokenizerError? {
        let dir = try scratchFolder(files)
        defer { try? FileManager.default.removeItem(at: dir) }
        do {
            _ = try Qwen2Tokenizer(directory: dir)
            return nil
        } catch let e as TokenizerError {
            return e
        }
    }

    private static let goodVocab = #"{"a": 0, "b": 1, "ab": 2, "Ġ": 3}"#
    private static let goodMerges = "#version: 0.2\na b\n"

    @Test func loadsMinimalFolder() throws {
        let dir = try scratchFolder(["vocab.json": Self.goodVocab, "merges.txt": Self.goodMerges])
        defer { try? FileManager.default.removeItem(at: dir) }
        let t = try Qwen2Tokenizer(directory: dir)
        #expect(t.encode("ab a") == [2, 3, 0])
        // No tokenizer_config.json: Qwen2TokenizerFast's default "<|endoftext|>" is still added.
        #expect(t.id(forToken: "<|endoftext|>") == 4)
    }

    @Test func errorsNameTheFile() throws {
        func check(_ error: TokenizerError?, mentions file: String, sourceLocation: SourceLocation = #_sourceLocation) {
            guard let error else {
                Issue.record("expected an error mentioning \(file)", sourceLocation: sourceLocation)
                return
            }
            #expect(error.description.contains(file), "\(error)", sourceLocation: sourceLocation)
            #expect(!error.description.contains("\n"), "one line: \(error)", sourceLocation: sourceLocation)
        }
        let missingDir = URL(fileURLWithPath: "/nonexistent/qwen3tts-tokenizer")
        #expect(throws: TokenizerError.missingDirectory(path: missingDir.path)) { try Qwen2Tokenizer(directory: missingDir) }

        let empty = try loadError([:])
        #expect({ if case .missingFiles = empty { return true } else { return false } }())
        check(empty, mentions: "vocab.json")
        check(try loadError(["vocab.json": Self.goodVocab]), mentions: "merges.txt")
        check(try loadError(["merges.txt": Self.goodMerges]), mentions: "vocab.json")

        let malformed = try loadError(["vocab.json": #"{"a": 0, "b": }"#, "merges.txt": Self.goodMerges])
        #expect({ if case .malformedJSON = malformed { return true } else { return false } }())
        check(malformed, mentions: "vocab.json")
        check(try loadError(["vocab.json": "[1, 2]", "merges.txt": Self.goodMerges]), mentions: "vocab.json")
        check(try loadError(["vocab.json": #"{"a": "zero"}"#, "merges.txt": ""]), mentions: "vocab.json")

        let unknown = try loadError(["vocab.json": Self.goodVocab, "merges.txt": "#version: 0.2\na b\nb c\n"])
        #expect(unknown == .unknownMergeToken(path: "", line: 3, token: "c").withPath(of: unknown))
        check(unknown, mentions: "merges.txt")
        let noMergedToken = try loadError(["vocab.json": #"{"a": 0, "b": 1}"#, "merges.txt": "a b\n"])
        #expect(noMergedToken?.description.contains("\"ab\"") == true)
        check(try loadError(["vocab.json": Self.goodVocab, "merges.txt": "a b c\n"]), mentions: "merges.txt")
        check(try loadError(["vocab.json": Self.goodVocab, "merges.txt": Self.goodMerges,
                             "tokenizer_config.json": "{not json"]), mentions: "tokenizer_config.json")
        check(try loadError(["vocab.json": Self.goodVocab, "merges.txt": Self.goodMerges,
                             "tokenizer_config.json": #"{"added_tokens_decoder": {"x": {"content": "<a>"}}}"#]),
              mentions: "tokenizer_config.json")

        check(try loadError(["tokenizer.json": "{\"model\": "]), mentions: "tokenizer.json")
        check(try loadError(["tokenizer.json": #"{"model": {"type": "WordPiece", "vocab": {}}}"#]), mentions: "tokenizer.json")
        let wrongRegex = #"""
        {"normalizer": {"type": "NFC"},
         "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": "\\s+"}, "behavior": "Isolated", "invert": false},
            {"type": "ByteLevel", "add_prefix_space": false, "use_regex": false}]},
         "model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}}
        """#
        let unsupported = try loadError(["tokenizer.json": wrongRegex])
        #expect({ if case .unsupported = unsupported { return true } else { return false } }())
        check(unsupported, mentions: "tokenizer.json")
        let badMerge = #"{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": [["a", "x"]]}}"#
        check(try loadError(["tokenizer.json": badMerge]), mentions: "tokenizer.json")
    }

    // MARK: speed

    @Test func longTextsEncodeInLinearTime() throws {
        let tokenizer = try Qwen2Tokenizer(directory: tokenizerFixtures.appendingPathComponent("multilingual"))
        let unit = "The quick brown fox, it's 2026! 今天天气很好，我们去公园。안녕하세요 👍🏽 x=[1,2,3]\n\t  "
        var text = ""
        while text.count < 10_000 { text += unit }
        text = String(text.prefix(10_000))
        _ = tokenizer.encode(text)  // warm the BPE cache like a running server would
        let clock = ContinuousClock()
        let t10k = clock.measure { _ = tokenizer.encode(text) }
        // No whitespace, no cache hits: one 10k-letter word and one 10k-scalar punctuation run.
        let word = String(repeating: "ab", count: 5_000)
        let punct = String(repeating: "!?", count: 5_000)
        let tWord = clock.measure { _ = tokenizer.encode(word) }
        let tPunct = clock.measure { _ = tokenizer.encode(punct) }
        let spaces = String(repeating: " ", count: 10_000) + "x"
        let tSpaces = clock.measure { _ = tokenizer.encode(spaces) }
        print("tokenizer: 10k mixed chars \(t10k), 10k-letter word \(tWord), 10k punctuation \(tPunct), 10k spaces \(tSpaces)")
        for t in [t10k, tWord, tPunct, tSpaces] { #expect(t < .seconds(3)) }
        // Ten times the text should take about ten times as long, not a hundred.
        let text100k = String(repeating: text, count: 10)
        let t100k = clock.measure { _ = tokenizer.encode(text100k) }
        #expect(t100k < t10k * 40 + .milliseconds(200), "100k chars took \(t100k) vs \(t10k) for 10k")
    }
}

private extension TokenizerError {
    /// The same error with the path of `other` (tests compare everything but the temporary path).
    func withPath(of other: TokenizerError?) -> TokenizerError? {
        guard case .unknownMergeToken(let path, _, _)? = other, case .unknownMergeToken(_, let line, let token) = self
        else { return nil }
        return .unknownMergeToken(path: path, line: line, token: token)
    }
}
