// Reading single scalars out of valid UTF-8 byte arrays, forwards and backwards.

/// UTF-8 helpers for valid UTF-8 byte arrays.
enum UTF8Scan {
    static func scalar(at i: Int, in bytes: [UInt8]) -> Unicode.Scalar? {
        guard i < bytes.count else { return nil }
        let b0 = UInt32(bytes[i])
        if b0 < 0x80 { return Unicode.Scalar(b0) }
        var v: UInt32, len: Int
        if b0 >= 0xF0 { v = b0 & 0x07; len = 4 } else if b0 >= 0xE0 { v = b0 & 0x0F; len = 3 } else { v = b0 & 0x1F; len = 2 }
        guard i + len <= bytes.count else { return nil }
        for k in 1..<len { v = v << 6 | UInt32(bytes[i + k] & 0x3F) }
        return Unicode.Scalar(v)
    }

    static func scalar(before i: Int, in bytes: [UInt8]) -> Unicode.Scalar? {
        guard i > 0 else { return nil }
        var s = i - 1
        while s > 0, bytes[s] & 0xC0 == 0x80 { s -= 1 }
        return scalar(at: s, in: bytes)
    }

    /// Rust regex `\w` (Unicode): Alphabetic, marks, decimal digits, connector punctuation, joiners.
    static func isWordChar(_ u: Unicode.Scalar?) -> Bool {
        guard let u else { return false }
        return ScalarClass.of(u.value).contains(.word)
    }
}
