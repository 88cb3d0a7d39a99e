// Token spellings as raw UTF-8 bytes, the dictionary key of every vocabulary lookup.
//
// Bytes rather than String: the official tokenizer compares tokens byte for byte, while Swift's
// String equality is canonical equivalence; and hashing a whole buffer at once is several times
// faster than Array<UInt8>'s element-by-element hashing (this matters for a 151k-entry vocabulary).

struct ByteString: Hashable, Sendable {
    var bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }
    init(_ bytes: ArraySlice<UInt8>) { self.bytes = Array(bytes) }
    init(_ string: String) { self.bytes = Array(string.utf8) }

    func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    static func == (a: ByteString, b: ByteString) -> Bool { a.bytes == b.bytes }
}
