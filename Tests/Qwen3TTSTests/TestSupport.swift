import Foundation

/// Tests/Fixtures, found relative to this source file so tests need no bundle resources.
let fixturesDirectory: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")
