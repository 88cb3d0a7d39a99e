// Reading a tokenizer folder into the pieces Qwen2Tokenizer runs, the way
// `Qwen2TokenizerFast.from_pretrained(dir, fix_mistral_regex=True)` (transformers 4.57.3) builds it:
//
//   1. the backend: `tokenizer.json` when present (HF `Tokenizer.from_file`), otherwise
//      `vocab.json` + `merges.txt` through the slow tokenizer and `Qwen2Converter` (NFC normalizer,
//      Qwen2 split regex, byte-level, merges de-duplicated keeping the first occurrence);
//   2. transformers' additions from `tokenizer_config.json`: `added_tokens_decoder` entries (in id
//      order) and the special-token attributes (bos/eos/unk/sep/pad/cls/mask, defaults
//      eos = unk = pad = "<|endoftext|>" for Qwen2TokenizerFast, then additional_special_tokens),
//      `split_special_tokens`;
//   3. the fix_mistral_regex decision (see SplitPattern), which needs `config.json`.

import Foundation

struct TokenizerFiles {
    var modelVocabulary: [ByteString: Int] = [:]
    var modelTokens: [Int: String] = [:]
    var merges: [UInt64: UInt64] = [:]
    var ignoreMerges = false
    var unkID: Int?
    var fuseUnk = false
    var normalizeNFC = true
    var pattern: SplitPattern = .qwen2
    var added = AddedVocabulary()
    var source: String = ""

    static func load(directory: URL) throws -> TokenizerFiles {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: directory.path, isDirectory: &isDir), isDir.boolValue else {
            throw TokenizerError.missingDirectory(path: directory.path)
        }
        let tokenizerJSON = directory.appendingPathComponent("tokenizer.json")
        let vocabJSON = directory.appendingPathComponent("vocab.json")
        let mergesTXT = directory.appendingPathComponent("merges.txt")
        var files = TokenizerFiles()
        if fm.fileExists(atPath: tokenizerJSON.path) {
            try files.loadTokenizerJSON(tokenizerJSON)
        } else if fm.fileExists(atPath: vocabJSON.path) {
            guard fm.fileExists(atPath: mergesTXT.path) else { throw TokenizerError.missingFile(path: mergesTXT.path) }
            try files.loadVocabAndMerges(vocab: vocabJSON, merges: mergesTXT)
        } else if fm.fileExists(atPath: mergesTXT.path) {
            throw TokenizerError.missingFile(path: vocabJSON.path)
        } else {
            throw TokenizerError.missingFiles(directory: directory.path)
        }

        let configURL = directory.appendingPathComponent("tokenizer_config.json")
        let tokenizerConfig = fm.fileExists(atPath: configURL.path) ? try readJSON(configURL) : nil
        try files.applyTransformersAdditions(tokenizerConfig, path: configURL.path)

        if files.modelVocabulary.count > 100_000 {
            let modelConfigURL = directory.appendingPathComponent("config.json")
            let modelConfig = fm.fileExists(atPath: modelConfigURL.path) ? try readJSON(modelConfigURL) : nil
            if SplitPattern.officialPackageUsesMistralFix(baseVocabularySize: files.modelVocabulary.count,
                                                         config: modelConfig) {
                files.pattern = .mistralFixed
            }
        }
        return files
    }

    // MARK: file access

    static func readBytes(_ url: URL) throws -> [UInt8] {
        do {
            return [UInt8](try Data(contentsOf: url))
        } catch {
            throw TokenizerError.unreadableFile(path: url.path, reason: (error as NSError).localizedDescription)
        }
    }

    static func readJSON(_ url: URL) throws -> TokenizerJSON {
        let bytes = try readBytes(url)
        do {
            return try TokenizerJSON.parse(bytes)
        } catch let e as TokenizerJSON.ParseError {
            throw TokenizerError.malformedJSON(path: url.path, reason: e.message)
        }
    }

    // MARK: vocab.json + merges.txt (slow tokenizer + Qwen2Converter)

    private mutating func loadVocabAndMerges(vocab vocabURL: URL, merges mergesURL: URL) throws {
        source = vocabURL.deletingLastPathComponent().path
        let vocab = try Self.readJSON(vocabURL)
        try setVocabulary(vocab, path: vocabURL.path, what: "vocab.json")

        let bytes = try Self.readBytes(mergesURL)
        guard TokenizerJSON.validUTF8(bytes[...]) != nil else {
            throw TokenizerError.invalidContent(path: mergesURL.path, reason: "not valid UTF-8")
        }
        // Python text mode: universal newlines; each line stripped; "#version:" header on line 1
        // and empty lines skipped; `line.split()`; then `dict(zip(merges, ranks))` keeps the
        // first position of a repeated pair. Parsed on bytes: this file has 151k lines.
        var rank = 0
        var seen = Set<UInt64>()
        var lineNumber = 0
        var parts: [Range<Int>] = []
        var lineStart = 0
        let n = bytes.count
        while lineStart < n {
            var lineEnd = lineStart
            while lineEnd < n, bytes[lineEnd] != 0x0A, bytes[lineEnd] != 0x0D { lineEnd += 1 }
            var next = lineEnd + 1
            if lineEnd < n, bytes[lineEnd] == 0x0D, lineEnd + 1 < n, bytes[lineEnd + 1] == 0x0A { next += 1 }
            lineNumber += 1
            Self.pythonSplit(bytes, lineStart..<lineEnd, into: &parts)
            lineStart = next
            if parts.isEmpty { continue }
            if lineNumber == 1, bytes[parts[0]].starts(with: Array("#version:".utf8)) { continue }
            guard parts.count == 2 else {
                throw TokenizerError.invalidContent(
                    path: mergesURL.path, reason: "line \(lineNumber): expected two tokens, found \(parts.count)")
            }
            if try addMerge(bytes[parts[0]], bytes[parts[1]], rank: rank, keepFirst: &seen,
                            path: mergesURL.path, line: lineNumber) {
                rank += 1
            }
        }
        normalizeNFC = true
        pattern = .qwen2
    }

    private mutating func setVocabulary(_ json: TokenizerJSON, path: String, what: String) throws {
        guard let members = json.objectMembers else {
            throw TokenizerError.invalidContent(path: path, reason: "\(what) must be an object of token -> id, found \(json.kindName)")
        }
        modelVocabulary.reserveCapacity(members.count)
        modelTokens.reserveCapacity(members.count)
        for (token, value) in members {
            guard let id = value.intValue, id >= 0, id <= Int(Int32.max) else {
                throw TokenizerError.invalidContent(
                    path: path, reason: "id of \(TokenizerError.quoted(token)) must be a non-negative integer")
            }
            modelVocabulary[ByteString(token)] = id
            modelTokens[id] = token
        }
    }

    /// Records merge (a, b) at `rank`. With `keepFirst`, a pair seen before is ignored (returns
    /// false); without it a repeated pair takes the later rank (tokenizer.json semantics).
    @discardableResult
    private mutating func addMerge(_ a: ArraySlice<UInt8>, _ b: ArraySlice<UInt8>, rank: Int,
                                   keepFirst seen: inout Set<UInt64>, dedupe: Bool = true,
                                   path: String, line: Int) throws -> Bool {
        let keyA = ByteString(a), keyB = ByteString(b)
        guard let idA = modelVocabulary[keyA] else {
            throw TokenizerError.unknownMergeToken(path: path, line: line, token: String(decoding: a, as: UTF8.self))
        }
        guard let idB = modelVocabulary[keyB] else {
            throw TokenizerError.unknownMergeToken(path: path, line: line, token: String(decoding: b, as: UTF8.self))
        }
        guard let merged = modelVocabulary[ByteString(keyA.bytes + keyB.bytes)] else {
            throw TokenizerError.unknownMergeToken(
                path: path, line: line, token: String(decoding: keyA.bytes + keyB.bytes, as: UTF8.self))
        }
        let pair = BPE.pairKey(Int32(idA), Int32(idB))
        if dedupe, !seen.insert(pair).inserted { return false }
        merges[pair] = UInt64(rank) << 32 | UInt64(UInt32(merged))
        return true
    }

    /// Python `str.isspace()` for one character (White_Space plus U+001C...U+001F).
    static func isPythonSpace(_ u: Unicode.Scalar) -> Bool {
        u.properties.isWhitespace || (0x1C...0x1F).contains(u.value)
    }

    /// Python `line.split()` on the valid UTF-8 bytes `range`: byte ranges of the words.
    static func pythonSplit(_ bytes: [UInt8], _ range: Range<Int>, into parts: inout [Range<Int>]) {
        parts.removeAll(keepingCapacity: true)
        var i = range.lowerBound
        var wordStart = -1
        while i < range.upperBound {
            let b = bytes[i]
            var width = 1
            var space: Bool
            if b < 0x80 {
                space = b == 0x20 || (0x09...0x0D).contains(b) || (0x1C...0x1F).contains(b)
            } else {
                let u = UTF8Scan.scalar(at: i, in: bytes)
                width = u.map { UTF8.width($0) } ?? 1
                space = u.map(isPythonSpace) ?? false
            }
            if space {
                if wordStart >= 0 { parts.append(wordStart..<i); wordStart = -1 }
            } else if wordStart < 0 {
                wordStart = i
            }
            i += width
        }
        if wordStart >= 0 { parts.append(wordStart..<range.upperBound) }
    }

    // MARK: tokenizer.json (HF Tokenizer.from_file)

    private mutating func loadTokenizerJSON(_ url: URL) throws {
        source = url.path
        let path = url.path
        let root = try Self.readJSON(url)
        guard root.objectMembers != nil else {
            throw TokenizerError.invalidContent(path: path, reason: "top level must be an object, found \(root.kindName)")
        }
        guard let model = root["model"], model.objectMembers != nil else {
            throw TokenizerError.invalidContent(path: path, reason: "no \"model\" object")
        }
        if let type = model["type"]?.stringValue, type != "BPE" {
            throw TokenizerError.unsupported(path: path, reason: "model type \(type) (only BPE)")
        }
        for key in ["continuing_subword_prefix", "end_of_word_suffix"] {
            if let v = model[key], !v.isNull, v.stringValue != "" {
                throw TokenizerError.unsupported(path: path, reason: "model.\(key) is set")
            }
        }
        if model["byte_fallback"]?.boolValue == true {
            throw TokenizerError.unsupported(path: path, reason: "model.byte_fallback is true")
        }
        if let d = model["dropout"], !d.isNull, (d.intValue ?? 1) != 0 {
            throw TokenizerError.unsupported(path: path, reason: "model.dropout is set (sampling BPE)")
        }
        guard let vocab = model["vocab"] else {
            throw TokenizerError.invalidContent(path: path, reason: "no model.vocab")
        }
        try setVocabulary(vocab, path: path, what: "model.vocab")
        ignoreMerges = model["ignore_merges"]?.boolValue ?? false
        fuseUnk = model["fuse_unk"]?.boolValue ?? false
        if let unk = model["unk_token"]?.stringValue { unkID = modelVocabulary[ByteString(unk)] }

        guard let mergeList = model["merges"]?.arrayValue else {
            throw TokenizerError.invalidContent(path: path, reason: "model.merges must be an array")
        }
        // tokenizers: ranks are positions in the list; "#version" strings are dropped first;
        // a repeated pair keeps its last position.
        var rank = 0
        var unused = Set<UInt64>()
        for (index, item) in mergeList.enumerated() {
            let a: [UInt8], b: [UInt8]
            if let s = item.stringValue {
                if s.hasPrefix("#version") { continue }
                // Rust `line.split(' ')`: exactly one space byte.
                let parts = Array(s.utf8).split(separator: 0x20, omittingEmptySubsequences: false)
                guard parts.count == 2 else {
                    throw TokenizerError.invalidContent(path: path, reason: "model.merges[\(index)] is not \"a b\"")
                }
                a = Array(parts[0])
                b = Array(parts[1])
            } else if let arr = item.arrayValue, arr.count == 2, let x = arr[0].stringValue, let y = arr[1].stringValue {
                a = Array(x.utf8)
                b = Array(y.utf8)
            } else {
                throw TokenizerError.invalidContent(path: path, reason: "model.merges[\(index)] is neither \"a b\" nor [a, b]")
            }
            try addMerge(a[...], b[...], rank: rank, keepFirst: &unused, dedupe: false,
                         path: path, line: index + 1)
            rank += 1
        }

        // normalizer: none, or NFC (alone or as the only member of a Sequence).
        normalizeNFC = false
        if let normalizer = root["normalizer"], !normalizer.isNull {
            var steps = [normalizer]
            if normalizer["type"]?.stringValue == "Sequence" { steps = normalizer["normalizers"]?.arrayValue ?? [] }
            for step in steps {
                guard step["type"]?.stringValue == "NFC" else {
                    throw TokenizerError.unsupported(
                        path: path, reason: "normalizer \(step["type"]?.stringValue ?? "?") (only NFC)")
                }
                normalizeNFC = true
            }
        }

        // pre_tokenizer: Sequence[Split(<Qwen2 regex>, Isolated), ByteLevel(no prefix space, no regex)].
        guard let pre = root["pre_tokenizer"], pre["type"]?.stringValue == "Sequence",
              let steps = pre["pretokenizers"]?.arrayValue, steps.count == 2 else {
            throw TokenizerError.unsupported(path: path, reason: "pre_tokenizer is not the Qwen2 Sequence[Split, ByteLevel]")
        }
        let split = steps[0], byteLevel = steps[1]
        guard split["type"]?.stringValue == "Split", let regex = split["pattern"]?["Regex"]?.stringValue,
              let found = SplitPattern(regex: regex) else {
            throw TokenizerError.unsupported(path: path, reason: "pre_tokenizer split pattern is not the Qwen2 regex")
        }
        guard split["behavior"]?.stringValue == "Isolated", split["invert"]?.boolValue != true else {
            throw TokenizerError.unsupported(path: path, reason: "pre_tokenizer split behavior is not Isolated")
        }
        guard byteLevel["type"]?.stringValue == "ByteLevel", byteLevel["add_prefix_space"]?.boolValue != true,
              byteLevel["use_regex"]?.boolValue == false else {
            throw TokenizerError.unsupported(
                path: path, reason: "pre_tokenizer byte-level step must have add_prefix_space=false, use_regex=false")
        }
        pattern = found

        if let post = root["post_processor"], !post.isNull, post["type"]?.stringValue != "ByteLevel" {
            throw TokenizerError.unsupported(
                path: path, reason: "post_processor \(post["type"]?.stringValue ?? "?") (would add tokens)")
        }
        if let dec = root["decoder"], !dec.isNull, dec["type"]?.stringValue != "ByteLevel" {
            throw TokenizerError.unsupported(path: path, reason: "decoder \(dec["type"]?.stringValue ?? "?") (only ByteLevel)")
        }

        if let list = root["added_tokens"], !list.isNull {
            guard let items = list.arrayValue else {
                throw TokenizerError.invalidContent(path: path, reason: "added_tokens must be an array")
            }
            var tokens: [AddedToken] = []
            for (index, item) in items.enumerated() {
                guard let token = Self.addedToken(from: item) else {
                    throw TokenizerError.invalidContent(path: path, reason: "added_tokens[\(index)] has no string \"content\"")
                }
                tokens.append(token)
            }
            addTokens(tokens)
        }
    }

    // MARK: transformers layer (tokenizer_config.json)

    static func addedToken(from json: TokenizerJSON) -> AddedToken? {
        guard let content = json["content"]?.stringValue else { return nil }
        let special = json["special"]?.boolValue ?? false
        return AddedToken(
            content: content,
            singleWord: json["single_word"]?.boolValue ?? false,
            lstrip: json["lstrip"]?.boolValue ?? false,
            rstrip: json["rstrip"]?.boolValue ?? false,
            normalized: json["normalized"]?.boolValue ?? !special,
            special: special)
    }

    private mutating func addTokens(_ tokens: [AddedToken]) {
        let vocabulary = modelVocabulary
        added.add(tokens, modelVocabularySize: vocabulary.count, modelID: { vocabulary[$0] })
    }

    private mutating func applyTransformersAdditions(_ config: TokenizerJSON?, path: String) throws {
        if let config, config.objectMembers == nil {
            throw TokenizerError.invalidContent(path: path, reason: "top level must be an object, found \(config.kindName)")
        }
        // added_tokens_decoder, sorted by id.
        var fromDecoder: [(Int, AddedToken)] = []
        if let decoder = config?["added_tokens_decoder"], !decoder.isNull {
            guard let members = decoder.objectMembers else {
                throw TokenizerError.invalidContent(path: path, reason: "added_tokens_decoder must be an object")
            }
            for (key, value) in members {
                guard let id = Int(key), let token = Self.addedToken(from: value) else {
                    throw TokenizerError.invalidContent(
                        path: path, reason: "added_tokens_decoder entry \(TokenizerError.quoted(key)) is not id -> {content, ...}")
                }
                fromDecoder.append((id, token))
            }
        }
        fromDecoder.sort { $0.0 < $1.0 }
        let byContent = Dictionary(fromDecoder.map { ($0.1.content, $0.1) }, uniquingKeysWith: { _, last in last })

        let existing = Array(added.tokensByID.values)
        var toAdd: [AddedToken] = fromDecoder.map(\.1).filter { !existing.contains($0) }
        var encoder = Set(existing.map { ByteString($0.content) })
        for t in toAdd { encoder.insert(ByteString(t.content)) }

        // Special-token attributes: an AddedToken object (from added_tokens_decoder when the content
        // is there, else special/non-normalized); additional_special_tokens entries are plain strings.
        // Qwen2TokenizerFast wraps bos/eos/unk/pad strings in AddedToken objects; transformers also
        // swaps any string found in added_tokens_decoder for that entry's object.
        let wrapped: Set<String> = ["bos_token", "eos_token", "unk_token", "pad_token"]
        var specials: [(token: AddedToken, isObject: Bool)] = []
        let defaults: [String: String] = ["unk_token": "<|endoftext|>", "eos_token": "<|endoftext|>", "pad_token": "<|endoftext|>"]
        for key in ["bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"] {
            let value: TokenizerJSON?
            if let config, let v = config[key] { value = v } else { value = defaults[key].map { .string($0) } }
            guard let value, !value.isNull else { continue }
            if let s = value.stringValue {
                if let entry = byContent[s] {
                    specials.append((entry, true))
                } else {
                    specials.append((AddedToken(content: s, normalized: false, special: true), wrapped.contains(key)))
                }
            } else if let t = Self.addedToken(from: value) {
                specials.append((t, true))
            }
        }
        if let extra = config?["additional_special_tokens"]?.arrayValue {
            for item in extra {
                if let s = item.stringValue {
                    specials.append((byContent[s] ?? AddedToken(content: s, normalized: false, special: true), false))
                } else if let t = Self.addedToken(from: item) {
                    specials.append((t, true))
                }
            }
        }
        var seen = Set<ByteString>()
        var specialContents = Set<ByteString>()
        for (token, isObject) in specials {
            let key = ByteString(token.content)
            guard seen.insert(key).inserted else { continue }
            specialContents.insert(key)
            // An AddedToken never equals a string, so attribute tokens are always offered again
            // (the backend then skips exact duplicates); strings only when their content is new.
            if isObject ? !toAdd.contains(token) : (!encoder.contains(key) && !toAdd.contains(where: { $0.content.utf8.elementsEqual(token.content.utf8) })) {
                toAdd.append(token)
            }
        }
        for i in toAdd.indices where specialContents.contains(ByteString(toAdd[i].content)) {
            toAdd[i].special = true
        }
        if !toAdd.isEmpty { addTokens(toAdd) }
        added.encodeSpecialTokens = config?["split_special_tokens"]?.boolValue ?? false
    }
}
