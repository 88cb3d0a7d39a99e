// Added-token search: which added tokens occur where in a text.

/// Leftmost-longest, non-overlapping multi-pattern search over bytes (the semantics of HF's
/// Aho-Corasick with MatchKind::LeftmostLongest). Added tokens are few, so candidates are bucketed
/// by first byte and tried longest first.
struct TokenMatcher: Sendable {
    private let patterns: [[UInt8]]
    private let ids: [Int]
    private let byFirstByte: [[Int]]

    init(patterns: [[UInt8]], ids: [Int]) {
        self.patterns = patterns
        self.ids = ids
        var buckets = [[Int]](repeating: [], count: 256)
        for (k, p) in patterns.enumerated() where !p.isEmpty { buckets[Int(p[0])].append(k) }
        // Longest first; among equal patterns the first added wins.
        for b in 0..<256 {
            buckets[b].sort { patterns[$0].count != patterns[$1].count ? patterns[$0].count > patterns[$1].count : $0 < $1 }
        }
        byFirstByte = buckets
    }

    var isEmpty: Bool { patterns.isEmpty }

    func forEachMatch(in text: [UInt8], _ body: (Int, Int, Int) -> Void) {
        if patterns.isEmpty { return }
        var i = 0
        let n = text.count
        while i < n {
            let bucket = byFirstByte[Int(text[i])]
            var matched = -1
            for k in bucket {
                let p = patterns[k]
                if p.count <= n - i {
                    var ok = true
                    var j = 1
                    while j < p.count {
                        if text[i + j] != p[j] { ok = false; break }
                        j += 1
                    }
                    if ok { matched = k; break }
                }
            }
            if matched >= 0 {
                let end = i + patterns[matched].count
                body(i, end, ids[matched])
                i = end
            } else {
                i += 1
            }
        }
    }
}
