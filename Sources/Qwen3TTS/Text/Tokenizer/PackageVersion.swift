// Python package versions as `packaging.version` orders them, for the config.json
// `transformers_version` check in SplitPattern.

import Foundation

/// Enough of PEP 440 ordering for transformers version strings ("4.57.3", "4.57.0.dev0", "5.0.0rc1").
struct PackageVersion: Comparable {
    var release: [Int]
    /// dev < pre-release (a/b/rc) < final < post
    var phase: Int
    var phaseNumber: Int

    init(_ text: String) {
        var release: [Int] = []
        var phase = 2, phaseNumber = 0
        let lower = text.lowercased().trimmingCharacters(in: .whitespaces)
        var rest = Substring(lower.hasPrefix("v") ? String(lower.dropFirst()) : lower)
        // Release digits separated by dots.
        while let first = rest.first, first.isNumber {
            let digits = rest.prefix(while: { $0.isNumber })
            release.append(Int(digits) ?? 0)
            rest = rest.dropFirst(digits.count)
            if rest.hasPrefix("."), rest.dropFirst().first?.isNumber == true { rest = rest.dropFirst() } else { break }
        }
        while rest.hasPrefix(".") || rest.hasPrefix("-") || rest.hasPrefix("_") { rest = rest.dropFirst() }
        for (tag, value) in [("dev", 0), ("rc", 1), ("a", 1), ("b", 1), ("post", 3)] where rest.hasPrefix(tag) {
            phase = value
            phaseNumber = Int(rest.dropFirst(tag.count).prefix(while: { $0.isNumber })) ?? 0
            break
        }
        while release.count > 1, release.last == 0 { release.removeLast() }
        self.release = release
        self.phase = phase
        self.phaseNumber = phaseNumber
    }

    static func < (a: PackageVersion, b: PackageVersion) -> Bool {
        for i in 0..<max(a.release.count, b.release.count) {
            let x = i < a.release.count ? a.release[i] : 0
            let y = i < b.release.count ? b.release[i] : 0
            if x != y { return x < y }
        }
        if a.phase != b.phase { return a.phase < b.phase }
        return a.phaseNumber < b.phaseNumber
    }
}
