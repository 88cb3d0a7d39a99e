// One added (usually special) token, with HF `tokenizers.AddedToken` flags.

/// A token matched verbatim in the text before BPE (for example `<|im_end|>` or `<tts_pad>`).
public struct AddedToken: Sendable, Hashable {
    /// The exact text of the token.
    public var content: String
    /// Only match when not inside a word (no `\w` character right before or after it).
    public var singleWord: Bool
    /// Also swallow the whitespace to its left.
    public var lstrip: Bool
    /// Also swallow the whitespace to its right.
    public var rstrip: Bool
    /// Match against the NFC-normalized text instead of the raw text.
    public var normalized: Bool
    /// A special token (control token; `split_special_tokens` turns its matching off).
    public var special: Bool

    public init(content: String, singleWord: Bool = false, lstrip: Bool = false, rstrip: Bool = false,
                normalized: Bool = false, special: Bool = false) {
        self.content = content
        self.singleWord = singleWord
        self.lstrip = lstrip
        self.rstrip = rstrip
        self.normalized = normalized
        self.special = special
    }

    // Contents compare byte for byte, as in HF (Swift's String == would use canonical equivalence).
    public static func == (a: AddedToken, b: AddedToken) -> Bool {
        a.content.utf8.elementsEqual(b.content.utf8) && a.singleWord == b.singleWord && a.lstrip == b.lstrip
            && a.rstrip == b.rstrip && a.normalized == b.normalized && a.special == b.special
    }

    public func hash(into hasher: inout Hasher) {
        for b in content.utf8 { hasher.combine(b) }
    }
}
