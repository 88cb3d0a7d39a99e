// Added tokens and how they are cut out of the text before normalization and BPE
// (HF `tokenizers` AddedVocabulary, v0.22).
//
// Id assignment follows `add_tokens`: a token whose content is already known (added earlier or in
// the BPE vocabulary) keeps that id; a new one gets the next free id after the vocabulary (the ids
// written in tokenizer_config.json / tokenizer.json only give the order, as in HF).
// Matching follows `find_matches`: leftmost-longest, non-overlapping, first the tokens with
// normalized=false on the raw text, then the normalized=true ones on each NFC-normalized remaining
// piece; single_word / lstrip / rstrip are applied to each raw match.

struct AddedVocabulary: Sendable {
    private(set) var tokensByID: [Int: AddedToken] = [:]
    private(set) var idByContent: [ByteString: Int] = [:]
    private var specialTokens: [AddedToken] = []
    private var specialContents: Set<ByteString> = []
    private var nonSpecialTokens: [AddedToken] = []
    /// transformers `split_special_tokens`: special tokens are then not matched.
    var encodeSpecialTokens = false

    private(set) var rawMatcher = TokenMatcher(patterns: [], ids: [])
    private(set) var normalizedMatcher = TokenMatcher(patterns: [], ids: [])

    var isEmpty: Bool { tokensByID.isEmpty }

    func isSpecial(content: String) -> Bool { specialContents.contains(ByteString(content)) }

    mutating func add(_ tokens: [AddedToken], modelVocabularySize: Int, modelID: (ByteString) -> Int?) {
        for t in tokens where t.special && !t.content.isEmpty {
            let key = ByteString(t.content)
            if !specialContents.contains(key) {
                specialTokens.append(t)
                specialContents.insert(key)
            }
        }
        var existing = Set(tokensByID.values)
        var nextID: Int
        if let maxID = tokensByID.keys.max() {
            nextID = (maxID >= modelVocabularySize || modelVocabularySize == 0) ? maxID + 1 : modelVocabularySize
        } else {
            nextID = modelVocabularySize
        }
        for t in tokens {
            if t.content.isEmpty || existing.contains(t) { continue }
            let key = ByteString(t.content)
            let id: Int
            if let known = idByContent[key] ?? modelID(key) {
                id = known
            } else {
                id = nextID
                nextID += 1
            }
            idByContent[key] = id
            tokensByID[id] = t
            if !specialContents.contains(key) { nonSpecialTokens.append(t) }
            existing.insert(t)
        }
        refreshMatchers(modelID: modelID)
    }

    private mutating func refreshMatchers(modelID: (ByteString) -> Int?) {
        var raw: [[UInt8]] = [], rawIDs: [Int] = []
        var norm: [[UInt8]] = [], normIDs: [Int] = []
        for t in specialTokens + nonSpecialTokens {
            let key = ByteString(t.content)
            guard let id = idByContent[key] ?? modelID(key) else { continue }
            if t.normalized {
                norm.append(Array(NFCNormalizer.normalize(t.content).utf8))
                normIDs.append(id)
            } else {
                raw.append(key.bytes)
                rawIDs.append(id)
            }
        }
        rawMatcher = TokenMatcher(patterns: raw, ids: rawIDs)
        normalizedMatcher = TokenMatcher(patterns: norm, ids: normIDs)
    }

    /// A piece of a sentence: an added token's id, or text still to be tokenized.
    struct Split {
        var id: Int?
        var range: Range<Int>
    }

    /// HF `find_matches`: byte ranges of `sentence` in order, with the added-token id of each match.
    func findMatches(_ sentence: [UInt8], matcher: TokenMatcher) -> [Split] {
        if sentence.isEmpty { return [Split(id: nil, range: 0..<0)] }
        var startOffset = 0
        var splits: [Split] = []
        matcher.forEachMatch(in: sentence) { matchStart, matchEnd, id in
            var start = matchStart
            var stop = matchEnd
            guard let token = tokensByID[id] else { return }
            if encodeSpecialTokens && specialContents.contains(ByteString(token.content)) { return }
            if token.singleWord {
                let startSpace = start == 0 || !UTF8Scan.isWordChar(UTF8Scan.scalar(before: start, in: sentence))
                let stopSpace = stop == sentence.count || !UTF8Scan.isWordChar(UTF8Scan.scalar(at: stop, in: sentence))
                if !startSpace || !stopSpace { return }
            }
            if token.lstrip {
                var newStart = start
                while newStart > 0, let u = UTF8Scan.scalar(before: newStart, in: sentence), u.properties.isWhitespace {
                    newStart -= UTF8.width(u)
                }
                start = max(newStart, startOffset)
            }
            if token.rstrip {
                while stop < sentence.count, let u = UTF8Scan.scalar(at: stop, in: sentence), u.properties.isWhitespace {
                    stop += UTF8.width(u)
                }
            }
            if startOffset < start { splits.append(Split(id: nil, range: startOffset..<start)) }
            splits.append(Split(id: id, range: start..<stop))
            startOffset = stop
        }
        if startOffset != sentence.count {
            splits.append(Split(id: nil, range: startOffset..<sentence.count))
        }
        return splits
    }
}
