// Cuts long text into utterances the model can speak one at a time: sentences grouped up to a
// token budget, never across a paragraph break, over-long sentences cut at clause boundaries.
// Rule-based and dependency-free; the rules favour not splitting when in doubt, because a
// missed pause costs less than a sentence broken in the middle.

/// How long text is cut into utterances.
public enum SplitMode: String, Sendable, CaseIterable {
    /// Text within the budget stays one segment, byte for byte; longer text: sentences grouped up
    /// to the budget, never across a paragraph break.
    case auto
    /// Every sentence its own segment (a sentence over the budget is cut, as in auto).
    case sentence
    /// Every paragraph its own segment (a paragraph over the budget is cut further, as in auto).
    case paragraph
    /// The whole text is one segment.
    case none
}

/// One utterance of a long text.
public struct TextSegment: Sendable, Equatable {
    /// Trimmed of surrounding whitespace and newlines; inner whitespace is kept as it was.
    public var text: String
    /// Where `text` lies in the input, after trimming: `input[range] == text` always holds.
    public var range: Range<String.Index>
    /// A paragraph break (blank line) or the end of the text follows.
    public var endsParagraph: Bool
    /// False only when a single over-long sentence had to be cut at a clause or word boundary.
    public var endsSentence: Bool

    public init(text: String, range: Range<String.Index>, endsParagraph: Bool, endsSentence: Bool) {
        self.text = text
        self.range = range
        self.endsParagraph = endsParagraph
        self.endsSentence = endsSentence
    }
}

public struct TextSplitter: Sendable {
    public var mode: SplitMode
    /// Longest segment, measured by `measure` (the caller passes the model tokenizer's token
    /// count; the default is `approximateTokenCount`).
    public var budget: Int
    public var measure: @Sendable (Substring) -> Int

    public init(mode: SplitMode = .auto, budget: Int = 150, measure: (@Sendable (Substring) -> Int)? = nil) {
        self.mode = mode
        self.budget = max(1, budget)
        self.measure = measure ?? TextSplitter.approximateTokenCount
    }

    /// Roughly the token count of a BPE tokenizer: a CJK ideograph, kana, hangul syllable or
    /// full-width punctuation mark counts 1; any other character (spaces included) counts 1/4.
    public static func approximateTokenCount(_ text: Substring) -> Int {
        var quarters = 0
        for scalar in text.unicodeScalars { quarters += isWide(scalar) ? 4 : 1 }
        return (quarters + 3) / 4
    }

    public func split(_ text: String) -> [TextSegment] {
        let document = Document(text)
        let spans: [Span]
        switch mode {
        case .none:
            spans = document.whole().map { [$0] } ?? []
        case .sentence:
            spans = document.sentences().flatMap { cut($0, in: document) }
        case .auto:
            if let whole = document.whole(), fits(whole, in: document) {
                spans = [whole]
            } else {
                spans = document.paragraphs().flatMap { segments(ofParagraph: $0, in: document) }
            }
        case .paragraph:
            spans = document.paragraphs().flatMap { segments(ofParagraph: $0, in: document) }
        }
        return spans.map(document.segment)
    }

    /// The sentences of `text` (used by .sentence and for subtitles), in order, never cut to
    /// the budget.
    public func sentences(_ text: String) -> [TextSegment] {
        let document = Document(text)
        return document.sentences().map(document.segment)
    }

    // MARK: - Budget

    private func fits(_ span: Span, in document: Document) -> Bool {
        measure(document.text(span.start, span.end)) <= budget
    }

    private func segments(ofParagraph sentences: [Span], in document: Document) -> [Span] {
        guard let first = sentences.first, let last = sentences.last else { return [] }
        let paragraph = Span(start: first.start, end: last.end, endsParagraph: last.endsParagraph)
        if fits(paragraph, in: document) { return [paragraph] }
        return group(sentences.flatMap { cut($0, in: document) }, in: document)
    }

    /// Greedy: each unit joins the segment before it while the whole still fits. A cut piece of
    /// an over-long sentence always closes its segment, so the clause boundary chosen by `cut`
    /// is not undone by joining the next piece.
    private func group(_ units: [Span], in document: Document) -> [Span] {
        var groups: [Span] = []
        for unit in units {
            if var last = groups.last, last.endsSentence,
               measure(document.text(last.start, unit.end)) <= budget {
                last.end = unit.end
                last.endsSentence = unit.endsSentence
                last.endsParagraph = unit.endsParagraph
                groups[groups.count - 1] = last
            } else {
                groups.append(unit)
            }
        }
        return groups
    }

    /// An over-long sentence in pieces: each the longest prefix within the budget that ends at a
    /// clause boundary, else at whitespace, else between two CJK characters. A word longer than
    /// the budget stays whole.
    private func cut(_ sentence: Span, in document: Document) -> [Span] {
        var pieces: [Span] = []
        var start = sentence.start
        while true {
            let limit = furthestFit(from: start, to: sentence.end, in: document)
            guard limit < sentence.end, let point = cutPoint(from: start, limit: limit, end: sentence.end, in: document)
            else { break }
            pieces.append(Span(start: start, end: document.trimmedEnd(start, point), endsSentence: false))
            start = document.skipWhitespace(from: point).index
        }
        pieces.append(Span(start: start, end: sentence.end,
                           endsParagraph: sentence.endsParagraph, endsSentence: sentence.endsSentence))
        return pieces
    }

    /// The furthest offset whose prefix from `start` is within the budget (`start` if none is).
    /// Doubling then bisecting keeps the cost proportional to the budget, not to the sentence,
    /// and the number of `measure` calls (tokenizer runs) logarithmic.
    private func furthestFit(from start: Int, to end: Int, in document: Document) -> Int {
        var fit = start, over = end + 1, step = 16
        while fit < end {
            let probe = min(fit + step, end)
            if measure(document.text(start, probe)) > budget { over = probe; break }
            fit = probe
            step *= 2
        }
        while over - fit > 1 {
            let middle = (fit + over) / 2
            if measure(document.text(start, middle)) <= budget { fit = middle } else { over = middle }
        }
        return fit
    }

    /// The cut within `limit` of the best kind (clause, then whitespace, then between CJK
    /// characters) closest to `limit`; if none fits, the first cut after it, so a word longer
    /// than the budget becomes a piece of its own.
    private func cutPoint(from start: Int, limit: Int, end: Int, in document: Document) -> Int? {
        let kinds = [document.isClauseCut, document.isSpaceCut, document.isCJKCut]
        func usable(_ point: Int) -> Bool { document.hasWord(start, point) && document.hasWord(point, end) }
        for isCut in kinds {
            var point = limit
            while point > start {
                if isCut(point) && usable(point) { return point }
                point -= 1
            }
        }
        var point = limit + 1
        while point < end {
            if kinds.contains(where: { $0(point) }) && usable(point) { return point }
            point += 1
        }
        return nil
    }
}

// MARK: - Document

/// A sentence, paragraph or segment as character offsets into the document, already trimmed.
struct Span {
    var start: Int
    var end: Int
    var endsParagraph = false
    var endsSentence = true
}

/// The text as characters, with their string indices, and the sentence rules over them.
/// Characters (grapheme clusters) rather than scalars, so no cut ever lands inside one.
struct Document {
    let text: String
    let chars: [Character]
    /// `indices[i]` is where `chars[i]` starts; `indices[chars.count]` is the end.
    let indices: [String.Index]
    /// The first scalar of each character, for the punctuation classes.
    let heads: [Unicode.Scalar]
    /// `wordCharsBefore[i]`: how many letters and digits precede offset i.
    let wordCharsBefore: [Int]

    init(_ text: String) {
        self.text = text
        // One plain loop: generic sequence adaptors are slow in a debug build.
        var chars: [Character] = [], indices: [String.Index] = [], heads: [Unicode.Scalar] = [], counts = [0]
        var index = text.startIndex
        while index < text.endIndex {
            let c = text[index]
            let head = c.unicodeScalars.first!
            let v = head.value
            let isWordChar = v < 0x80 ? (v >= 0x30 && v <= 0x39) || (v | 0x20 >= 0x61 && v | 0x20 <= 0x7A)
                                      : c.isLetter || c.isNumber
            chars.append(c)
            indices.append(index)
            heads.append(head)
            counts.append(counts[counts.count - 1] + (isWordChar ? 1 : 0))
            index = text.index(after: index)
        }
        indices.append(text.endIndex)
        (self.chars, self.indices, self.heads, wordCharsBefore) = (chars, indices, heads, counts)
    }

    var count: Int { chars.count }

    func text(_ start: Int, _ end: Int) -> Substring { text[indices[start]..<indices[end]] }

    func segment(_ span: Span) -> TextSegment {
        TextSegment(text: String(text(span.start, span.end)), range: indices[span.start]..<indices[span.end],
                    endsParagraph: span.endsParagraph, endsSentence: span.endsSentence)
    }

    /// Whether the range holds a letter or digit: anything else is never spoken on its own.
    func hasWord(_ start: Int, _ end: Int) -> Bool { wordCharsBefore[end] > wordCharsBefore[start] }

    func trimmedEnd(_ start: Int, _ end: Int) -> Int {
        var end = end
        while end > start && chars[end - 1].isWhitespace { end -= 1 }
        return end
    }

    /// The first non-whitespace offset from `start`, and whether the whitespace skipped holds a
    /// paragraph break (two or more line breaks, or U+2029).
    func skipWhitespace(from start: Int) -> (index: Int, paragraphBreak: Bool) {
        var i = start
        var lineBreaks = 0
        while i < count && chars[i].isWhitespace {
            if chars[i] == "\u{2029}" { lineBreaks += 2 } else if chars[i].isNewline { lineBreaks += 1 }
            i += 1
        }
        return (i, lineBreaks >= 2)
    }

    func whole() -> Span? {
        let start = skipWhitespace(from: 0).index
        let end = trimmedEnd(start, count)
        return hasWord(start, end) ? Span(start: start, end: end, endsParagraph: true) : nil
    }

    func paragraphs() -> [[Span]] {
        var paragraphs: [[Span]] = [[]]
        for sentence in sentences() {
            paragraphs[paragraphs.count - 1].append(sentence)
            if sentence.endsParagraph { paragraphs.append([]) }
        }
        return paragraphs.filter { !$0.isEmpty }
    }

    func sentences() -> [Span] {
        var sentences: [Span] = []
        var start = skipWhitespace(from: 0).index
        var i = start
        while i < count {
            var end: Int?
            var next = i + 1
            if chars[i].isNewline {
                // A line without final punctuation is a heading or a list item: it ends here too.
                end = i
                next = i
            } else if isTerminal(heads[i]) {
                var runEnd = i
                while runEnd < count && isTerminal(heads[runEnd]) { runEnd += 1 }
                end = sentenceEnd(run: i..<runEnd, sentenceStart: start)
                next = end ?? runEnd
            }
            guard let end else { i = next; continue }
            let (after, paragraphBreak) = skipWhitespace(from: next)
            sentences.append(Span(start: start, end: trimmedEnd(start, end),
                                  endsParagraph: paragraphBreak || after == count))
            start = after
            i = after
        }
        if start < count { sentences.append(Span(start: start, end: trimmedEnd(start, count), endsParagraph: true)) }
        return mergingWordless(sentences)
    }

    /// A sentence without letters or digits ("...", "—", "***") joins the sentence before it in
    /// its paragraph, else the one after; a paragraph of nothing else is dropped.
    private func mergingWordless(_ sentences: [Span]) -> [Span] {
        var merged: [Span] = []
        var pendingStart: Int?
        for var sentence in sentences {
            if hasWord(sentence.start, sentence.end) {
                if let pending = pendingStart { sentence.start = pending }
                pendingStart = nil
                merged.append(sentence)
            } else if let last = merged.last, !last.endsParagraph {
                merged[merged.count - 1].end = sentence.end
                merged[merged.count - 1].endsParagraph = sentence.endsParagraph
            } else {
                pendingStart = sentence.endsParagraph ? nil : (pendingStart ?? sentence.start)
            }
        }
        return merged
    }

    /// Where the sentence ends if the terminal punctuation `run` ends it (after any closing
    /// quotes or brackets), or nil when the run is inside the sentence.
    private func sentenceEnd(run: Range<Int>, sentenceStart: Int) -> Int? {
        var end = run.upperBound
        while end < count && isCloser(heads[end]) { end += 1 }
        let punctuation = heads[run]
        let isPeriod = punctuation.count == 1 && punctuation.first == "."

        // CJK needs no space after a sentence. A half-width "!", "?" or "…" next to a CJK
        // character counts too (common in mixed input); a half-width "." does not, as it may
        // be part of a URL or file name ("访问example.com").
        let besideCJK = (run.lowerBound > 0 && isCJK(heads[run.lowerBound - 1])) || (end < count && isCJK(heads[end]))
        if punctuation.contains(where: isFullWidthTerminal) || (besideCJK && !punctuation.allSatisfy { $0 == "." }) {
            guard end < count else { return end }
            // “你好吗？”，他问 and 「本当？」と聞いた / 本当？って: a comma, a quotation particle
            // (と only after a closing quote, as とにかく may start a sentence) or って goes on.
            switch heads[end] {
            case "，", "、", ",", "っ": return nil
            case "と": return end > run.upperBound ? nil : end
            default: return end
            }
        }
        // "3.14", "v2.0.1", "example.com", "first.last@": no space, no sentence end.
        guard end == count || chars[end].isWhitespace else { return nil }
        // "1. Inspect the lens": a list number at the start of a line.
        if isPeriod && isListNumber(sentenceStart..<run.lowerBound) { return nil }
        guard let nextWord = wordStart(after: end) else { return end }
        // "I was... thinking", "“Stop!” he said": a lowercase word goes on with the sentence.
        let isEllipsis = punctuation.contains("…") || punctuation.contains("⋯")
            || (punctuation.count > 1 && punctuation.allSatisfy { $0 == "." })
        if chars[nextWord].isLowercase && (isEllipsis || end > run.upperBound) { return nil }
        if isPeriod && end == run.upperBound && isAbbreviation(endingAt: run.lowerBound, nextWord: nextWord) { return nil }
        return end
    }

    private func isListNumber(_ range: Range<Int>) -> Bool {
        guard (1...3).contains(range.count), chars[range].allSatisfy(\.isNumber) else { return false }
        var i = range.lowerBound
        while i > 0 && chars[i - 1].isWhitespace && !chars[i - 1].isNewline { i -= 1 }
        return i == 0 || chars[i - 1].isNewline
    }

    /// The first character of the next word on the same line (past opening quotes), or nil.
    private func wordStart(after start: Int) -> Int? {
        var i = start
        while i < count && chars[i].isWhitespace && !chars[i].isNewline { i += 1 }
        while i < count && isOpener(heads[i]) { i += 1 }
        return i < count && !chars[i].isWhitespace ? i : nil
    }

    /// Whether the period at `period` closes an abbreviation rather than the sentence.
    private func isAbbreviation(endingAt period: Int, nextWord: Int) -> Bool {
        var start = period
        while start > 0 && (heads[start - 1] == "." || chars[start - 1].isLetter) { start -= 1 }
        guard start < period else { return false }
        // Glued to a digit, "/", "@", "-"...: the end of a number, URL, e-mail or compound word.
        if start > 0 && !(chars[start - 1].isWhitespace || isOpener(heads[start - 1])) { return false }
        let token = String(chars[start..<period])
        let word = token.lowercased()
        let next = chars[nextWord]
        if token.contains(".") {
            // "e.g", "U.S", "a.m", "Ph.D": short dotted parts; "example.org" is a domain.
            guard word.split(separator: ".", omittingEmptySubsequences: false).allSatisfy({ (1...2).contains($0.count) })
            else { return false }
            return alwaysAbbreviations.contains(word) || !startsSentence(at: nextWord)
        }
        if alwaysAbbreviations.contains(word) { return true }
        if (token.count == 1 && chars[start].isUppercase) || nameAbbreviations.contains(word) {
            // "J. R. R. Tolkien", "St. Louis", "King Jr. was": unless a new sentence plainly starts.
            return !startsSentence(at: nextWord)
        }
        if lowercaseAbbreviations.contains(word) { return next.isLowercase || next.isNumber }
        if numberAbbreviations.contains(word) { return next.isNumber }
        return false
    }

    /// Whether the word at `i` plainly begins a sentence: a capitalized common sentence opener
    /// ("The", "It", "We"...), or anything that is neither a letter of a cased script nor a digit.
    private func startsSentence(at i: Int) -> Bool {
        let first = chars[i]
        if first.isLowercase || first.isNumber { return false }
        guard first.isUppercase else { return true }
        var end = i
        while end < count && chars[end].isLetter { end += 1 }
        if end - i == 1 && end < count && heads[end] == "." { return false }  // another initial
        return sentenceOpeners.contains(String(chars[i..<end]).lowercased())
    }

    // MARK: Cut points inside an over-long sentence (the piece is chars[start..<point])

    /// After `,` `;` `:` followed by a space (so not in "1,000", "10:30" or "https:"), after the
    /// full-width `，` `、` `；` `：`, and after a dash set off by spaces.
    func isClauseCut(_ point: Int) -> Bool {
        switch heads[point - 1] {
        case "，", "、", "；", "：": return true
        case ",", ";", ":": return chars[point].isWhitespace
        case "—", "–": return chars[point].isWhitespace && point >= 2 && chars[point - 2].isWhitespace
        default: return false
        }
    }

    func isSpaceCut(_ point: Int) -> Bool { chars[point].isWhitespace && !chars[point - 1].isWhitespace }

    func isCJKCut(_ point: Int) -> Bool { isCJK(heads[point]) && isCJK(heads[point - 1]) }
}

// MARK: - Character classes

// Half-width ";" is not a sentence end: in Latin-script text it joins two clauses of one
// sentence, so it is only a clause boundary for over-long sentences. Full-width "；" ends a
// sentence, as in Chinese usage it separates parallel full statements.
// Classes by a character's first scalar: a switch over scalars keeps a debug build fast.
private func isFullWidthTerminal(_ c: Unicode.Scalar) -> Bool {
    switch c { case "。", "！", "？", "；", "｡": true; default: false }
}
private func isTerminal(_ c: Unicode.Scalar) -> Bool {
    switch c { case ".", "!", "?", "…", "⋯", "‼", "⁇", "⁈", "⁉", "‽": true; default: isFullWidthTerminal(c) }
}
private func isCloser(_ c: Unicode.Scalar) -> Bool {
    switch c {
    case "\"", "'", "”", "’", ")", "]", "}", "»", "›", "」", "』", "）", "］", "】", "》", "〉", "〕", "｣": true
    default: false
    }
}
private func isOpener(_ c: Unicode.Scalar) -> Bool {
    switch c {
    case "\"", "'", "“", "‘", "(", "[", "{", "«", "‹", "「", "『", "（", "［", "【", "《", "〈", "〔", "｢", "¿", "¡": true
    default: false
    }
}

/// Han, kana or hangul: scripts written without spaces between words (hangul uses spaces, but
/// its sentences may still run together after punctuation).
private func isCJK(_ scalar: Unicode.Scalar) -> Bool {
    guard scalar.value >= 0x1100 else { return false }
    switch scalar.value {
    case 0x1100...0x11FF, 0x3040...0x30FF, 0x3005, 0x3130...0x318F, 0x31F0...0x31FF, 0x3400...0x4DBF,
         0x4E00...0x9FFF, 0xAC00...0xD7AF, 0xF900...0xFAFF, 0xFF66...0xFF9D, 0x20000...0x3FFFF:
        return true
    default:
        return false
    }
}

/// CJK letters plus CJK and full-width punctuation: roughly one token each.
private func isWide(_ scalar: Unicode.Scalar) -> Bool {
    guard scalar.value >= 0x1100 else { return false }
    switch scalar.value {
    case 0x1100...0x11FF, 0x3000...0x30FF, 0x3100...0x318F, 0x31F0...0x31FF, 0x3400...0x4DBF,
         0x4E00...0x9FFF, 0xAC00...0xD7AF, 0xF900...0xFAFF, 0xFF00...0xFFEF, 0x20000...0x3FFFF:
        return true
    default:
        return false
    }
}

/// Never end a sentence: titles before a name, and Latin abbreviations that always go on.
private let alwaysAbbreviations: Set<String> = [
    "mr", "mrs", "ms", "dr", "prof", "rev", "hon", "gen", "col", "capt", "lt", "sgt", "mt", "vs",
    "e.g", "i.e", "cf", "viz",
]
/// Follow a name ("St. Louis", "King Jr."), but may end a sentence ("on Main St. The...").
private let nameAbbreviations: Set<String> = ["st", "jr", "sr"]
/// End a sentence only before a capital: "etc. and", "approx. 5", "Jan. 3" go on.
private let lowercaseAbbreviations: Set<String> = [
    "etc", "al", "inc", "ltd", "co", "corp", "approx", "ca", "est", "dept", "fig", "figs", "vol",
    "ch", "sec", "pp", "p", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct",
    "nov", "dec",
]
/// Abbreviations only before a number: "No. 5" goes on, "No. I won't." ends.
private let numberAbbreviations: Set<String> = ["no", "nos", "nr"]

/// Words that, capitalized after an abbreviation or initial, almost surely start a new sentence.
private let sentenceOpeners: Set<String> = [
    "a", "an", "the", "this", "that", "these", "those", "there", "here", "it", "its", "i", "we",
    "you", "he", "she", "they", "my", "our", "your", "his", "her", "their", "what", "when", "where",
    "why", "how", "who", "which", "if", "but", "and", "or", "so", "then", "yet", "still", "also",
    "however", "meanwhile", "now", "today", "later", "finally", "first", "next", "after", "before",
    "in", "on", "at", "for", "from", "to", "with", "by", "as", "all", "some", "many", "most", "each",
    "every", "both", "no", "not", "yes", "one", "let", "please", "do", "does", "did", "is", "are",
    "was", "were", "can", "could", "will", "would", "should", "may", "might", "thanks",
]
