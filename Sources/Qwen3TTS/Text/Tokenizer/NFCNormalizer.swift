// NFC normalization as the official tokenizer does it (HF `normalizers.NFC`).
//
// HF normalizes with the `unicode-normalization-alignments` crate, whose tables are Unicode 9.0:
// characters assigned later are inert for it (combining class 0, no decomposition, never composed).
// Measured: for every code point c in templates such as "a" c U+0316, "a" c U+0301, U+1100 c
// U+1161, the official output equals "split the text at characters newer than Unicode 9.0,
// NFC-normalize the pieces with current tables, rejoin" — exactly, over all 1.1M code points.
// That works because Unicode's normalization stability policy guarantees that text made only of
// characters assigned in 9.0 normalizes the same under every later version, and an unassigned
// character is a hard boundary.
//
// The current-tables NFC is the standard library's (`String._nfcCodeUnits`, public since Swift
// 5.7). Foundation's `precomposedStringWithCanonicalMapping` is NOT used: on Linux it composes
// out-of-range Hangul jamo (U+1100 U+1113 U+1161 -> U+D7A4) and misses compositions across
// non-blocking marks (a U+0F73 U+0301 stays decomposed), both of which differ from the official
// tokenizer.

enum NFCNormalizer {
    /// Characters assigned in Unicode 9.0 or earlier take part in normalization.
    @inline(__always)
    static func isActive(_ u: Unicode.Scalar) -> Bool {
        // Everything below U+0300 is NFC already and assigned long before 9.0 (fast path).
        if u.value < 0x300 { return true }
        guard let age = u.properties.age else { return false }
        return age.major < 9 || (age.major == 9 && age.minor == 0)
    }

    static func normalize(_ text: Substring) -> Substring {
        // Quick check: text below U+0300 cannot change.
        var needsWork = false
        for u in text.unicodeScalars where u.value >= 0x300 {
            needsWork = true
            break
        }
        if !needsWork { return text }

        var out = String.UnicodeScalarView()
        var segment = String.UnicodeScalarView()
        func flush() {
            guard !segment.isEmpty else { return }
            let nfc = String(segment)._nfcCodeUnits
            out.append(contentsOf: String(decoding: nfc, as: UTF8.self).unicodeScalars)
            segment.removeAll(keepingCapacity: true)
        }
        for u in text.unicodeScalars {
            if isActive(u) {
                segment.append(u)
            } else {
                flush()
                out.append(u)
            }
        }
        flush()
        return Substring(String(out))
    }

    static func normalize(_ text: String) -> String {
        String(normalize(text[...]))
    }
}
