// Qwen2 byte-level BPE text tokenizer: the official `Qwen2TokenizerFast` as qwen-tts 0.1.1 loads
// it (`AutoProcessor.from_pretrained(dir, fix_mistral_regex=True)`, transformers 4.57.3,
// tokenizers 0.22), reimplemented id for id.
//
// Pipeline (HF `Tokenizer.encode`): cut out added tokens with normalized=false on the raw text ->
// NFC-normalize each remaining piece (Unicode 9.0 behaviour, see NFCNormalizer) -> cut out
// normalized added tokens -> split with the Qwen2 regex (or the "fixed Mistral" regex the official
// loader installs for some folders, see SplitPattern) -> byte-level BPE per pre-token.
// No BOS/EOS is added (the Qwen2 post-processor adds nothing).

import Foundation

/// The Qwen2 text tokenizer of a Qwen3-TTS checkpoint folder.
///
/// ```swift
/// let tokenizer = try Qwen2Tokenizer(directory: checkpointURL)
/// let ids = tokenizer.encode("<|im_start|>assistant\nHello<|im_end|>\n")
/// ```
public final class Qwen2Tokenizer: Sendable {
    /// The folder the tokenizer was loaded from.
    public let directory: URL
    /// The split regex in use (decided as the official package decides it, unless overridden).
    public let splitPattern: SplitPattern
    /// Entries of the BPE vocabulary, added tokens excluded (HF `vocab_size`).
    public let vocabularySize: Int
    /// Added tokens by id (special tokens such as `<|im_end|>`, `<tts_pad>`).
    public let addedTokens: [Int: AddedToken]

    private let bpe: BPE
    private let added: AddedVocabulary
    private let preTokenizer: PreTokenizer
    private let normalizeNFC: Bool
    private let modelVocabulary: [ByteString: Int]
    private let modelTokens: [Int: String]

    /// Loads `tokenizer.json`, or `vocab.json` + `merges.txt` (+ `tokenizer_config.json`), from a folder.
    /// - Throws: `TokenizerError` naming the file at fault.
    public convenience init(directory: URL) throws {
        try self.init(directory: directory, splitPattern: nil)
    }

    /// Loads a tokenizer folder, optionally forcing the split regex instead of deciding it as the
    /// official package does (`nil`).
    public init(directory: URL, splitPattern: SplitPattern?) throws {
        let files = try TokenizerFiles.load(directory: directory)
        self.directory = directory
        self.splitPattern = splitPattern ?? files.pattern
        self.vocabularySize = files.modelVocabulary.count
        self.addedTokens = files.added.tokensByID
        self.added = files.added
        self.normalizeNFC = files.normalizeNFC
        self.modelVocabulary = files.modelVocabulary
        self.modelTokens = files.modelTokens
        self.preTokenizer = PreTokenizer(pattern: self.splitPattern)

        var byteIDs = [Int32](repeating: -1, count: 256)
        for b in 0..<256 {
            let key = ByteString(ByteLevel.text(of: [UInt8(b)]))
            if let id = files.modelVocabulary[key] { byteIDs[b] = Int32(id) }
        }
        var wordIDs: [ByteString: Int32] = [:]
        if files.ignoreMerges {
            for (id, token) in files.modelTokens {
                if let raw = ByteLevel.bytes(of: token) { wordIDs[ByteString(raw)] = Int32(id) }
            }
        }
        self.bpe = BPE(byteTokenIDs: byteIDs, merges: files.merges, ignoreMerges: files.ignoreMerges,
                       wordIDs: wordIDs, unkID: files.unkID.map { Int32($0) }, fuseUnk: files.fuseUnk)
    }

    /// Number of distinct ids (HF `len(tokenizer)`): vocabulary plus added tokens outside it.
    public var count: Int {
        vocabularySize + addedTokens.keys.filter { modelTokens[$0] == nil }.count
    }

    /// Token ids of `text`, exactly as the official tokenizer gives them. No BOS/EOS is added.
    public func encode(_ text: String) -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(text.utf8.count / 3 + 4)
        let bytes = Array(text.utf8)
        for piece in added.findMatches(bytes, matcher: added.rawMatcher) {
            if let id = piece.id {
                out.append(id)
                continue
            }
            var normalized = Array(bytes[piece.range])
            if normalizeNFC {
                let s = String(decoding: normalized, as: UTF8.self)
                let n = NFCNormalizer.normalize(s)
                if n.utf8.count != normalized.count || !n.utf8.elementsEqual(normalized) { normalized = Array(n.utf8) }
            }
            if added.normalizedMatcher.isEmpty {
                tokenizeText(normalized[...], into: &out)
            } else {
                for inner in added.findMatches(normalized, matcher: added.normalizedMatcher) {
                    if let id = inner.id { out.append(id) } else { tokenizeText(normalized[inner.range], into: &out) }
                }
            }
        }
        return out
    }

    /// Pre-tokenizes normalized UTF-8 text and runs BPE on each pre-token.
    private func tokenizeText(_ bytes: ArraySlice<UInt8>, into out: inout [Int]) {
        if bytes.isEmpty { return }
        var values: [UInt32] = []
        var classes: [ScalarClass] = []
        var offsets: [Int] = []  // byte offset of each scalar, plus the end
        values.reserveCapacity(bytes.count)
        classes.reserveCapacity(bytes.count)
        offsets.reserveCapacity(bytes.count + 1)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let b0 = UInt32(bytes[i])
            var v: UInt32
            var len: Int
            if b0 < 0x80 { v = b0; len = 1 } else if b0 >= 0xF0 { v = b0 & 0x07; len = 4 } else if b0 >= 0xE0 { v = b0 & 0x0F; len = 3 } else { v = b0 & 0x1F; len = 2 }
            if len > 1 {
                for k in 1..<len { v = v << 6 | UInt32(bytes[i + k] & 0x3F) }
            }
            offsets.append(i)
            values.append(v)
            classes.append(ScalarClass.of(v))
            i += len
        }
        offsets.append(bytes.endIndex)
        preTokenizer.split(values: values, classes: classes) { range in
            bpe.encode(word: bytes[offsets[range.lowerBound]..<offsets[range.upperBound]], into: &out)
        }
    }

    /// The id of a token spelled as in the vocabulary (byte-level form, e.g. "Ġhello") or of an
    /// added token; added tokens are looked up first, as in HF `token_to_id`.
    public func id(forToken token: String) -> Int? {
        let key = ByteString(token)
        return added.idByContent[key] ?? modelVocabulary[key]
    }

    /// The vocabulary spelling of an id (added token content for added tokens).
    public func token(forID id: Int) -> String? {
        addedTokens[id]?.content ?? modelTokens[id]
    }

    /// Text of `ids` (HF `decode` with special tokens kept): byte-level tokens are turned back into
    /// bytes and decoded as UTF-8 with U+FFFD for invalid sequences; unknown ids are skipped.
    public func decode(_ ids: [Int]) -> String {
        var bytes: [UInt8] = []
        for id in ids {
            guard let token = token(forID: id) else { continue }
            if let raw = ByteLevel.bytes(of: token) {
                bytes.append(contentsOf: raw)
            } else {
                bytes.append(contentsOf: token.utf8)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
