// The split step of the Qwen2 pre-tokenizer (HF `pre_tokenizers.Split(Regex(...), "isolated")`),
// written as a scanner over Unicode scalars instead of a regex engine.
//
// Each alternative of the pattern is a function that returns where a match starting at `i` ends,
// reproducing Oniguruma's leftmost-first alternation and greedy backtracking for that alternative
// (the comments give the backtracking argument). Every character matches one alternative, and
// each match consumes what it scanned, so the scan is linear in the text length.

struct PreTokenizer: Sendable {
    let pattern: SplitPattern

    /// Calls `body` with each pre-token, as a range of indices into `values` / `classes`,
    /// in order and covering the whole input (Split "isolated": matches and the gaps between them).
    func split(values: [UInt32], classes: [ScalarClass], _ body: (Range<Int>) -> Void) {
        let n = values.count
        var gapStart = 0
        var i = 0
        while i < n {
            let end: Int?
            switch pattern {
            case .qwen2: end = matchQwen2(values, classes, at: i)
            case .mistralFixed: end = matchMistral(values, classes, at: i)
            }
            if let end {
                if gapStart < i { body(gapStart..<i) }
                body(i..<end)
                i = end
                gapStart = end
            } else {
                i += 1
            }
        }
        if gapStart < n { body(gapStart..<n) }
    }

    // MARK: Qwen2
    // (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+

    private func matchQwen2(_ v: [UInt32], _ c: [ScalarClass], at i: Int) -> Int? {
        let n = v.count
        // (?i:'s|'t|'re|'ve|'m|'ll|'d). Oniguruma's case folding adds exactly one non-ASCII
        // character here: U+017F (long s) folds to "s" (checked over every code point).
        if v[i] == 0x27, i + 1 < n {
            let a = Self.foldASCII(v[i + 1])
            if a == "s" || a == "t" || a == "m" || a == "d" { return i + 2 }
            if i + 2 < n {
                let b = Self.foldASCII(v[i + 2])
                if (a == "r" && b == "e") || (a == "v" && b == "e") || (a == "l" && b == "l") { return i + 3 }
            }
        }
        let c0 = c[i]
        // [^\r\n\p{L}\p{N}]?\p{L}+ : with the optional character taken first; dropping it only
        // helps when c0 is itself a letter.
        if c0.contains(.letter) { return run(c, from: i, .letter) }
        if c0.isDisjoint(with: [.newline, .number]), i + 1 < n, c[i + 1].contains(.letter) {
            return run(c, from: i + 1, .letter)
        }
        // \p{N}
        if c0.contains(.number) { return i + 1 }
        // " ?[^\s\p{L}\p{N}]+[\r\n]*"
        if let end = punctuationRun(v, c, at: i, trailingSlash: false) { return end }
        return whitespace(c, at: i)
    }

    // MARK: Mistral (transformers fix_mistral_regex)
    // [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+
    // |[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*
    // |\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+

    private func matchMistral(_ v: [UInt32], _ c: [ScalarClass], at i: Int) -> Int? {
        let n = v.count
        let c0 = c[i]
        // The optional leading character: tried with it first, then without.
        let prefixAllowed = c0.isDisjoint(with: [.letter, .number, .newline]) && i + 1 < n
        let starts = prefixAllowed ? [i + 1, i] : [i]
        // Alternative 1: U* greedy, then Lw+. If the character after the maximal U-run is in Lw,
        // Lw+ takes its maximal run. Otherwise U* gives back characters one by one and Lw+ (which
        // cannot pass the end of the U-run) ends right after the last Lw character of the run.
        for s0 in starts {
            let j = runAny(c, from: s0, .mistralUpperRun)
            if j < n, !c[j].isDisjoint(with: .mistralLowerRun) { return runAny(c, from: j, .mistralLowerRun) }
            var k = j - 1
            while k >= s0, c[k].isDisjoint(with: .mistralLowerRun) { k -= 1 }
            if k >= s0 { return k + 1 }
        }
        // Alternative 2: U+ then Lw* (cannot fail after a non-empty U-run).
        for s0 in starts {
            let j = runAny(c, from: s0, .mistralUpperRun)
            if j > s0 { return runAny(c, from: j, .mistralLowerRun) }
        }
        if c0.contains(.number) { return i + 1 }
        if let end = punctuationRun(v, c, at: i, trailingSlash: true) { return end }
        return whitespace(c, at: i)
    }

    // MARK: shared alternatives

    /// " ?[^\s\p{L}\p{N}]+" followed by "[\r\n]*" (Qwen2) or "[\r\n/]*" (Mistral).
    private func punctuationRun(_ v: [UInt32], _ c: [ScalarClass], at i: Int, trailingSlash: Bool) -> Int? {
        let n = v.count
        let other: ScalarClass = [.space, .letter, .number]
        var j = i
        // The optional space is taken first; without it a space cannot start [^\s...]+ anyway.
        if v[i] == 0x20, i + 1 < n, c[i + 1].isDisjoint(with: other) { j = i + 1 }
        guard c[j].isDisjoint(with: other) else { return nil }
        while j < n, c[j].isDisjoint(with: other) { j += 1 }
        while j < n, v[j] == 0x0A || v[j] == 0x0D || (trailingSlash && v[j] == 0x2F) { j += 1 }
        return j
    }

    /// \s*[\r\n]+ | \s+(?!\S) | \s+
    private func whitespace(_ c: [ScalarClass], at i: Int) -> Int? {
        guard c[i].contains(.space) else { return nil }
        let n = c.count
        let j = run(c, from: i, .space)
        // \s*[\r\n]+ : \s* backs off from the end of the whitespace run until [\r\n]+ can start;
        // that is the last newline of the run, and [\r\n]+ then stops right after it.
        var k = j - 1
        while k >= i, !c[k].contains(.newline) { k -= 1 }
        if k >= i { return k + 1 }
        // \s+(?!\S) : the whole run at the end of the text, else the run minus its last character.
        if j == n { return n }
        if j - 1 > i { return j - 1 }
        // \s+
        return i + 1
    }

    @inline(__always)
    private func run(_ c: [ScalarClass], from start: Int, _ cls: ScalarClass) -> Int {
        var j = start
        while j < c.count, c[j].contains(cls) { j += 1 }
        return j
    }

    @inline(__always)
    private func runAny(_ c: [ScalarClass], from start: Int, _ cls: ScalarClass) -> Int {
        var j = start
        while j < c.count, !c[j].isDisjoint(with: cls) { j += 1 }
        return j
    }

    @inline(__always)
    private static func foldASCII(_ v: UInt32) -> Character? {
        switch v {
        case 0x41...0x5A: return Character(Unicode.Scalar(v + 0x20)!)
        case 0x61...0x7A: return Character(Unicode.Scalar(v)!)
        case 0x017F: return "s"
        default: return nil
        }
    }
}
