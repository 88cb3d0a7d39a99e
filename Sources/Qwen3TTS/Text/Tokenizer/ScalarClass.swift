// Character classes used by the split regexes (\p{L}, \p{N}, \p{Lu}..., \p{M}, \s) and by the
// added-token word-boundary check (\w), with the official engine's Unicode version.
//
// The official tokenizer (HF `tokenizers` 0.22, Oniguruma regex) has Unicode 16.0 tables; Swift
// 6.3's standard library has Unicode 17.0. Measured over every code point, the two disagree only on
// (a) the 4803 code points first assigned in Unicode 17.0, which Oniguruma sees as unassigned, and
// (b) U+0295, which Unicode 17.0 moved from Ll to Lo. `unicode17Additions` pins both back, so a
// text with a Unicode-17 letter splits exactly as in the official package. \s is the White_Space
// property on both sides (25 code points, including U+0085, excluding U+200B and U+001C...U+001F).
// TokenizerTests checks this table against a dump of the official engine's classes.

struct ScalarClass: OptionSet, Sendable {
    let rawValue: UInt16

    static let letter = ScalarClass(rawValue: 1 << 0)       // \p{L}
    static let number = ScalarClass(rawValue: 1 << 1)       // \p{N}
    static let space = ScalarClass(rawValue: 1 << 2)        // \s  (White_Space)
    static let upper = ScalarClass(rawValue: 1 << 3)        // \p{Lu}
    static let lower = ScalarClass(rawValue: 1 << 4)        // \p{Ll}
    static let title = ScalarClass(rawValue: 1 << 5)        // \p{Lt}
    static let modifier = ScalarClass(rawValue: 1 << 6)     // \p{Lm}
    static let otherLetter = ScalarClass(rawValue: 1 << 7)  // \p{Lo}
    static let mark = ScalarClass(rawValue: 1 << 8)         // \p{M}
    static let newline = ScalarClass(rawValue: 1 << 9)      // \r or \n
    static let word = ScalarClass(rawValue: 1 << 10)        // Rust regex \w (added-token single_word)

    /// Mistral regex: [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]
    static let mistralUpperRun: ScalarClass = [.upper, .title, .modifier, .otherLetter, .mark]
    /// Mistral regex: [\p{Ll}\p{Lm}\p{Lo}\p{M}]
    static let mistralLowerRun: ScalarClass = [.lower, .modifier, .otherLetter, .mark]

    /// Class of one scalar value.
    @inline(__always)
    static func of(_ value: UInt32) -> ScalarClass {
        if value < 0x10000 { return ScalarClass(rawValue: bmp[Int(value)]) }
        return compute(value)
    }

    private static let bmp: [UInt16] = (0..<0x10000).map { compute(UInt32($0)).rawValue }

    /// Code points assigned in Unicode 17.0 (inclusive ranges): unassigned for the official engine.
    static let unicode17Additions: [ClosedRange<UInt32>] = [
        0x088F...0x088F, 0x0C5C...0x0C5C, 0x0CDC...0x0CDC, 0x1ACF...0x1ADD, 0x1AE0...0x1AEB,
        0x20C1...0x20C1, 0x2B96...0x2B96, 0xA7CE...0xA7CF, 0xA7D2...0xA7D2, 0xA7D4...0xA7D4,
        0xA7F1...0xA7F1, 0xFBC3...0xFBD2, 0xFD90...0xFD91, 0xFDC8...0xFDCE, 0x10940...0x10959,
        0x10EC5...0x10EC7, 0x10ED0...0x10ED8, 0x10EFA...0x10EFB, 0x11B60...0x11B67, 0x11DB0...0x11DDB,
        0x11DE0...0x11DE9, 0x16EA0...0x16EB8, 0x16EBB...0x16ED3, 0x16FF2...0x16FF6, 0x187F8...0x187FF,
        0x18D09...0x18D1E, 0x18D80...0x18DF2, 0x1CCFA...0x1CCFC, 0x1CEBA...0x1CED0, 0x1CEE0...0x1CEF0,
        0x1E6C0...0x1E6DE, 0x1E6E0...0x1E6F5, 0x1E6FE...0x1E6FF, 0x1F6D8...0x1F6D8, 0x1F777...0x1F77A,
        0x1F8D0...0x1F8D8, 0x1FA54...0x1FA57, 0x1FA8A...0x1FA8A, 0x1FA8E...0x1FA8E, 0x1FAC8...0x1FAC8,
        0x1FACD...0x1FACD, 0x1FAEA...0x1FAEA, 0x1FAEF...0x1FAEF, 0x1FBFA...0x1FBFA, 0x2B73A...0x2B73F,
        0x2CEA2...0x2CEAD, 0x323B0...0x33479,
    ]

    static func isUnicode17Addition(_ value: UInt32) -> Bool {
        var lo = 0, hi = unicode17Additions.count
        while lo < hi {
            let mid = (lo + hi) / 2
            let r = unicode17Additions[mid]
            if value < r.lowerBound { hi = mid } else if value > r.upperBound { lo = mid + 1 } else { return true }
        }
        return false
    }

    private static func compute(_ value: UInt32) -> ScalarClass {
        guard let scalar = Unicode.Scalar(value) else { return [] }
        var c: ScalarClass = []
        let p = scalar.properties
        if p.isWhitespace { c.insert(.space) }
        if value == 0x0A || value == 0x0D { c.insert(.newline) }
        if value >= 0x0800, isUnicode17Addition(value) { return c }
        if value == 0x0295 { return [.letter, .lower, .word] }  // Ll before Unicode 17.0
        switch p.generalCategory {
        case .uppercaseLetter: c.formUnion([.letter, .upper])
        case .lowercaseLetter: c.formUnion([.letter, .lower])
        case .titlecaseLetter: c.formUnion([.letter, .title])
        case .modifierLetter: c.formUnion([.letter, .modifier])
        case .otherLetter: c.formUnion([.letter, .otherLetter])
        case .decimalNumber: c.formUnion([.number, .word])
        case .letterNumber, .otherNumber: c.insert(.number)
        case .nonspacingMark, .spacingMark, .enclosingMark: c.formUnion([.mark, .word])
        case .connectorPunctuation: c.insert(.word)
        default: break
        }
        if p.isAlphabetic || p.isJoinControl { c.insert(.word) }
        return c
    }
}
