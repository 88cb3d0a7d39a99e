// GPT-2 byte-level alphabet (HF `pre_tokenizers.ByteLevel` / `decoders.ByteLevel`, the
// `bytes_to_unicode` table). Every byte maps to one printable character so that BPE vocabularies
// can be stored as text: printable Latin-1 bytes map to themselves, the other 68 bytes to
// U+0100...U+0143 in byte order.

enum ByteLevel {
    /// byte -> scalar value of its vocabulary character.
    static let byteToScalar: [UInt32] = {
        var table = [UInt32](repeating: 0, count: 256)
        var next: UInt32 = 256
        for b in 0..<256 {
            if (0x21...0x7E).contains(b) || (0xA1...0xAC).contains(b) || (0xAE...0xFF).contains(b) {
                table[b] = UInt32(b)
            } else {
                table[b] = next
                next += 1
            }
        }
        return table
    }()

    /// scalar value (< 0x144) -> byte, or -1 when the scalar is not in the alphabet.
    static let scalarToByte: [Int16] = {
        var table = [Int16](repeating: -1, count: 0x144)
        for (b, s) in byteToScalar.enumerated() { table[Int(s)] = Int16(b) }
        return table
    }()

    /// The vocabulary spelling of raw bytes.
    static func text(of bytes: some Sequence<UInt8>) -> String {
        var s = String.UnicodeScalarView()
        for b in bytes { s.append(Unicode.Scalar(byteToScalar[Int(b)])!) }
        return String(s)
    }

    /// The raw bytes a vocabulary token stands for, or nil when one of its characters is outside
    /// the byte-level alphabet (then the decoder emits the token's own UTF-8, as HF does).
    static func bytes(of token: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(token.utf8.count)
        for u in token.unicodeScalars {
            guard u.value < 0x144 else { return nil }
            let b = scalarToByte[Int(u.value)]
            guard b >= 0 else { return nil }
            out.append(UInt8(b))
        }
        return out
    }
}
