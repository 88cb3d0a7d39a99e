// Byte-level BPE model (HF `tokenizers` models::bpe, as configured by Qwen2Converter: no unk,
// no continuing-subword prefix, no end-of-word suffix, no byte fallback, no dropout).
//
// A pre-token's UTF-8 bytes start as one symbol per byte (the vocabulary entry of its byte-level
// character); then the pair with the lowest merge rank is merged, leftmost first on ties, until no
// pair has a rank. Like HF this uses a priority queue of (rank, position) with lazy invalidation,
// O(n log n) per word, and caches results of short words.

import Foundation

final class BPE: @unchecked Sendable {
    /// Vocabulary id of each byte's single-character token; -1 when the vocabulary lacks it.
    let byteTokenIDs: [Int32]
    /// (left id << 32 | right id) -> (rank << 32 | merged id)
    let merges: [UInt64: UInt64]
    /// HF `ignore_merges`: a whole word found in the vocabulary is emitted as is.
    let ignoreMerges: Bool
    /// Byte-level tokens by their raw bytes (only filled when `ignoreMerges`).
    let wordIDs: [ByteString: Int32]
    let unkID: Int32?
    let fuseUnk: Bool

    private let cacheLock = NSLock()
    private var cache: [ByteString: [Int32]] = [:]
    private static let cacheCapacity = 10_000  // HF DEFAULT_CACHE_CAPACITY
    private static let cacheMaxWordBytes = 256   // HF MAX_LENGTH

    init(byteTokenIDs: [Int32], merges: [UInt64: UInt64], ignoreMerges: Bool, wordIDs: [ByteString: Int32],
         unkID: Int32?, fuseUnk: Bool) {
        self.byteTokenIDs = byteTokenIDs
        self.merges = merges
        self.ignoreMerges = ignoreMerges
        self.wordIDs = wordIDs
        self.unkID = unkID
        self.fuseUnk = fuseUnk
    }

    @inline(__always)
    static func pairKey(_ a: Int32, _ b: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b))
    }

    /// Appends the ids of one pre-token (raw UTF-8 bytes) to `out`.
    func encode(word: ArraySlice<UInt8>, into out: inout [Int]) {
        if word.isEmpty { return }
        if ignoreMerges, let id = wordIDs[ByteString(word)] {
            out.append(Int(id))
            return
        }
        let cacheable = word.count < Self.cacheMaxWordBytes
        if cacheable {
            let key = ByteString(word)
            cacheLock.lock()
            let hit = cache[key]
            cacheLock.unlock()
            if let hit {
                for id in hit { out.append(Int(id)) }
                return
            }
            let ids = merge(word)
            cacheLock.lock()
            if cache.count < Self.cacheCapacity { cache[key] = ids }
            cacheLock.unlock()
            for id in ids { out.append(Int(id)) }
        } else {
            for id in merge(word) { out.append(Int(id)) }
        }
    }

    private struct QueueEntry {
        var rank: UInt32
        var pos: Int32
        var newID: Int32

        @inline(__always)
        static func before(_ a: QueueEntry, _ b: QueueEntry) -> Bool {
            a.rank != b.rank ? a.rank < b.rank : a.pos < b.pos
        }
    }

    func merge(_ word: ArraySlice<UInt8>) -> [Int32] {
        // Initial symbols (HF merge_word): characters missing from the vocabulary become unk, or
        // vanish when there is no unk token.
        var ids: [Int32] = []
        ids.reserveCapacity(word.count)
        var lastWasUnk = false
        for b in word {
            let id = byteTokenIDs[Int(b)]
            if id >= 0 {
                ids.append(id)
                lastWasUnk = false
            } else if let unkID {
                if !(fuseUnk && lastWasUnk) { ids.append(unkID) }
                lastWasUnk = true
            }
        }
        let n = ids.count
        if n < 2 { return ids }

        var next = [Int32](repeating: -1, count: n)
        var prev = [Int32](repeating: -1, count: n)
        var alive = [Bool](repeating: true, count: n)
        for i in 0..<n {
            next[i] = i + 1 < n ? Int32(i + 1) : -1
            prev[i] = Int32(i - 1)
        }

        var heap: [QueueEntry] = []
        heap.reserveCapacity(n)
        func push(_ e: QueueEntry) {
            heap.append(e)
            var k = heap.count - 1
            while k > 0 {
                let parent = (k - 1) / 2
                if QueueEntry.before(heap[k], heap[parent]) {
                    heap.swapAt(k, parent)
                    k = parent
                } else {
                    break
                }
            }
        }
        func pop() -> QueueEntry? {
            guard let top = heap.first else { return nil }
            let last = heap.removeLast()
            if !heap.isEmpty {
                heap[0] = last
                var k = 0
                while true {
                    let l = 2 * k + 1, r = l + 1
                    var m = k
                    if l < heap.count, QueueEntry.before(heap[l], heap[m]) { m = l }
                    if r < heap.count, QueueEntry.before(heap[r], heap[m]) { m = r }
                    if m == k { break }
                    heap.swapAt(k, m)
                    k = m
                }
            }
            return top
        }

        for i in 0..<(n - 1) {
            if let m = merges[Self.pairKey(ids[i], ids[i + 1])] {
                push(QueueEntry(rank: UInt32(m >> 32), pos: Int32(i), newID: Int32(truncatingIfNeeded: m)))
            }
        }

        while let top = pop() {
            let pos = Int(top.pos)
            guard alive[pos], next[pos] >= 0 else { continue }
            let right = Int(next[pos])
            // Skip queue entries made stale by an earlier merge at this position.
            guard let current = merges[Self.pairKey(ids[pos], ids[right])],
                  Int32(truncatingIfNeeded: current) == top.newID else { continue }
            ids[pos] = top.newID
            alive[right] = false
            next[pos] = next[right]
            if next[right] >= 0 { prev[Int(next[right])] = Int32(pos) }
            if prev[pos] >= 0 {
                let p = Int(prev[pos])
                if let m = merges[Self.pairKey(ids[p], ids[pos])] {
                    push(QueueEntry(rank: UInt32(m >> 32), pos: Int32(p), newID: Int32(truncatingIfNeeded: m)))
                }
            }
            if next[pos] >= 0 {
                let nx = Int(next[pos])
                if let m = merges[Self.pairKey(ids[pos], ids[nx])] {
                    push(QueueEntry(rank: UInt32(m >> 32), pos: Int32(pos), newID: Int32(truncatingIfNeeded: m)))
                }
            }
        }

        var result: [Int32] = []
        result.reserveCapacity(n)
        var i = 0
        while i >= 0 && i < n {
            result.append(ids[i])
            i = Int(next[i])
        }
        return result
    }
}
