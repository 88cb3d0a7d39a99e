import Foundation
import Testing
@testable import Qwen3TTS

/// Model resolution against HubTestServer (a real HTTP/1.1 server on 127.0.0.1) and temporary
/// cache folders. Settings are passed explicitly; the process environment is never touched.
@Suite struct HubTests {
    static let repoFolder = "models--Qwen--Qwen3-TTS-Test"
    static let neededFiles: Set<String> = [
        "config.json", "generation_config.json", "merges.txt", "vocab.json", "tokenizer_config.json",
        "preprocessor_config.json", "model.safetensors", "speech_tokenizer/config.json",
        "speech_tokenizer/configuration.json", "speech_tokenizer/preprocessor_config.json",
        "speech_tokenizer/model.safetensors",
    ]

    // MARK: - Downloading

    @Test func freshDownloadCreatesTheHuggingFaceHubLayout() throws {
        let server = try HubTestServer()
        defer { server.stop() }
        let cache = try TemporaryFolder()
        defer { cache.remove() }
        var lines: [String] = []
        let dir = try ModelLocator.resolve(server.repo, settings: settings(server, cache)) { lines.append($0) }

        let repo = cache.path + "/" + Self.repoFolder
        #expect(dir == repo + "/snapshots/" + server.commit)
        #expect(try String(contentsOfFile: repo + "/refs/main", encoding: .utf8) == server.commit, "the hash, no newline")
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: repo)) == ["blobs", "refs", "snapshots"])

        let needed = server.files.filter { Self.neededFiles.contains($0.path) }
        #expect(Set(try FileManager.default.subpathsOfDirectory(atPath: dir)) == Self.neededFiles.union(["speech_tokenizer"]),
                "README, .gitattributes and onnx/ stay on the hub")
        for file in needed {
            let link = dir + "/" + file.path
            let depth = file.path.split(separator: "/").count + 1
            #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link)
                    == String(repeating: "../", count: depth) + "blobs/" + file.etag, "\(file.path)")
            #expect(FileManager.default.contents(atPath: link) == file.content, "\(file.path)")
        }
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: repo + "/blobs")) == Set(needed.map(\.etag)),
                "LFS blobs named by sha256, others by git blob id; no .incomplete left")
        #expect(FileManager.default.fileExists(atPath: cache.path + "/.locks/" + Self.repoFolder))

        #expect(server.requests.first?.path == "/api/models/Qwen/Qwen3-TTS-Test/revision/main?blobs=true")
        #expect(!server.requests.contains { $0.path.contains("README") || $0.path.contains("onnx") })
        #expect(server.requests.allSatisfy { $0.headers["authorization"] == nil })
        #expect(lines.contains { $0.contains("downloading 11 files") })
    }

    @Test func secondResolveMakesNoRequest() throws {
        let server = try HubTestServer()
        defer { server.stop() }
        let cache = try TemporaryFolder()
        defer { cache.remove() }
        let first = try ModelLocator.resolve(server.repo, settings: settings(server, cache))
        let count = server.requests.count
        let second = try ModelLocator.resolve(server.repo, settings: settings(server, cache))
        let pinned = try ModelLocator.resolve(server.repo + "@" + server.commit, settings: settings(server, cache))
        #expect(first == second && second == pinned)
        #expect(server.requests.count == count)
    }

    @Test func handWrittenOfficialCacheIsReused() throws {
        let cache = try TemporaryFolder()
        defer { cache.remove() }
        let commit = "fedcba9876543210fedcba9876543210fedcba98"
        let files = HubTestServer.checkpointFiles(weightBytes: 1000).filter { Self.neededFiles.contains($0.path) }
        try writeOfficialCache(cache.path, repoFolder: Self.repoFolder, commit: commit, files: files)
        // Nothing listens on port 1: any network access would fail the test.
        let offlineEndpoint = HubSettings(endpoint: "http://127.0.0.1:1", cacheDirectory: cache.path)
        let expected = cache.path + "/" + Self.repoFolder + "/snapshots/" + commit
        #expect(try ModelLocator.resolve("Qwen/Qwen3-TTS-Test", settings: offlineEndpoint) == expected)
        #expect(try ModelLocator.resolve("Qwen/Qwen3-TTS-Test@" + commit, settings: offlineEndpoint) == expected)
    }

    @Test func interruptedTransferResumesWithRange() throws {
        let server = try HubTestServer()
        defer { server.stop() }
        server.cuts = ["model.safetensors": [100_000]]
        let cache = try TemporaryFolder()
        defer { cache.remove() }
        var lines: [String] = []
        let dir = try ModelLocator.resolve(server.repo, settings: settings(server, cache)) { lines.append($0) }

        let weights = try #require(server.file("model.safetensors"))
        #expect(FileManager.default.contents(atPath: dir + "/model.safetensors") == weights.content)
        let cdn = server.requests.filter { $0.path == "/cdn/" + weights.sha256 }
        #expect(cdn.map { $0.headers["range"] } == [nil, "bytes=100000-"])
        #expect(lines.contains { $0.contains("model.safetensors: resuming at 100.0 kB") })
    }

    @Test func failedDownloadResumesOnTheNextRun() throws {
        let server = try HubTestServer()
        defer { server.stop() }
        // 100 kB, then connections that drop before any byte until the client gives up.
        server.cuts = ["model.safetensors": [100_000] + Array(repeating: 0, count: 10)]
        let cache = try TemporaryFolder()
        defer { cache.remove() }
        let weights = try #require(server.file("model.safetensors"))
        let partial = cache.path + "/" + Self.repoFolder + "/blobs/" + weights.sha256 + ".incomplete"

        let error = #expect(throws: HubError.self) { try ModelLocator.resolve(server.repo, settings: settings(server, cache)) }
        guard case .network? = error else { Issue.record("expected a network error, got \(String(describing: error))"); return }
        #expect(error?.description.contains("127.0.0.1") == true || error?.description.contains("localhost") == true)
        #expect(try FileManager.default.attributesOfItem(atPath: partial)[.size] as? Int == 100_000)

        server.cuts = [:]
        let dir = try ModelLocator.resolve(server.repo, settings: settings(server, cache))
        #expect(FileManager.default.contents(atPath: dir + "/model.safetensors") == weights.content)
        #expect(server.requests.last { $0.path == "/cdn/" + weights.sha256 }?.headers["range"] == "bytes=100000-")
        #expect(!FileManager.default.fileExists(atPath: partial))
    }

    @Test(arguments: [("model.safetensors", "sha256"), ("speech_tokenizer/config.json", "git blob sha1")])
    func corruptDownloadIsRejectedAndDeleted(path: String, algorithm: String) throws {
        let server = try HubTestServer()
        defer { server.stop() }
        server.corrupt = [path]
        let cache = try TemporaryFolder()
        defer { cache.remove() }
        let file = try #require(server.file(path))

        let error = #expect(throws: HubError.self) { try ModelLocator.resolve(server.repo, settings: settings(server, cache)) }
        guard case let .checksumMismatch(name, used, expected, actual)? = error else {
            Issue.record("expected a checksum error, got \(String(describing: error))"); return
        }
        #expect(name == path && used == algorithm && expected == file.etag && actual != expected)
        #expect(error?.description.contains("corrupt") == true)
        let blob = cache.path + "/" + Self.repoFolder + "/blobs/" + file.etag
        #expect(!FileManager.default.fileExists(atPath: blob) && !FileManager.default.fileExists(atPath: blob + ".incomplete"))
        let snapshot = cache.path + "/" + Self.repoFolder + "/snapshots/" + server.commit
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: snapshot + "/" + path)) == nil)

        server.corrupt = []
        let dir = try ModelLocator.resolve(server.repo, settings: settings(server, cache))
        #expect(FileManager.default.contents(atPath: dir + "/" + path) == file.content)
    }

    @Test func shardedWeightsAreFetchedAndCountAsComplete() throws {
        let index = #"{"metadata": {}, "weight_map": {"a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"}}"#
        let files = HubTestServer.checkpointFiles(weightBytes: 2000).filter { $0.path != "model.safetensors" } + [
            .init("model.safetensors.index.json", Data(index.utf8)),
            .init("model-00001-of-00002.safetensors", Data(repeating: 1, count: 3000), lfs: true),
            .init("model-00002-of-00002.safetensors", Data(repeating: 2, count: 1000), lfs: true),
        ]
        let server = try HubTestServer(files: files)
        defer { server.stop() }
        let cache = try TemporaryFolder()
        defer { cache.remove() }
        let dir = try ModelLocator.resolve(server.repo, settings: settings(server, cache))
        #expect(FileManager.default.contents(atPath: dir + "/model-00002-of-00002.safetensors") == Data(repeating: 2, count: 1000))
        #expect(CheckpointFiles.missing(in: dir).isEmpty)
        let count = server.requests.count
        _ = try ModelLocator.resolve(server.repo, settings: settings(server, cache))
        #expect(server.requests.count == count)
    }

    // MARK: - Authentication

    @Test func tokenGoesToTheHubButNotToTheCDN() throws {
        let server = try HubTestServer()
        defer { server.stop() }
        server.requiredToken = "hf_test_token"
        let cache = try TemporaryFolder()
        defer { cache.remove() }
        _ = try ModelLocator.resolve(server.repo, settings: settings(server, cache, token: "hf_test_token"))
        let (cdn, hub) = (server.requests.filter { $0.path.hasPrefix("/cdn/") }, server.requests.filter { !$0.path.hasPrefix("/cdn/") })
        #expect(!cdn.isEmpty && !hub.isEmpty)
        #expect(hub.allSatisfy { $0.headers["authorization"] == "Bearer hf_test_token" })
        #expect(cdn.allSatisfy { $0.headers["authorization"] == nil }, "redirect targets on other hosts get no token")
    }

    @Test func unauthorizedNamesHFToken() throws {
        let server = try HubTestServer()
        defer { server.stop() }
        server.requiredToken = "hf_test_token"
        let cache = try TemporaryFolder()
        defer { cache.remove() }
        for token in [nil, "hf_wrong"] {
            let error = #expect(throws: HubError.self) {
                try ModelLocator.resolve(server.repo, settings: settings(server, cache, token: token))
            }
            #expect(error == .accessDenied(repo: server.repo, status: 401, tokenSent: token != nil))
            #expect(error?.description.contains("HF_TOKEN") == true)
        }
    }

    // MARK: - Offline and errors

    @Test func offlineWithoutCacheFailsWithoutNetwork() throws {
        let server = try HubTestServer()
        defer { server.stop() }
        let cache = try TemporaryFolder()
        defer { cache.remove() }
        let error = #expect(throws: HubError.self) {
            try ModelLocator.resolve(server.repo, settings: settings(server, cache, offline: true))
        }
        #expect(error == .notCached(repo: server.repo, revision: "main", cache: cache.path + "/" + Self.repoFolder, missing: []))
        #expect(error?.description.contains("HF_HUB_OFFLINE") == true)
        #expect(server.requests.isEmpty)
    }

    @Test func offlineUsesCompleteSnapshotsOnly() throws {
        let server = try HubTestServer()
        defer { server.stop() }
        let cache = try TemporaryFolder()
        defer { cache.remove() }
        let dir = try ModelLocator.resolve(server.repo, settings: settings(server, cache))
        let count = server.requests.count
        #expect(try ModelLocator.resolve(server.repo, settings: settings(server, cache, offline: true)) == dir)

        try FileManager.default.removeItem(atPath: dir + "/model.safetensors")
        let error = #expect(throws: HubError.self) {
            try ModelLocator.resolve(server.repo, settings: settings(server, cache, offline: true))
        }
        #expect(error == .notCached(repo: server.repo, revision: "main", cache: cache.path + "/" + Self.repoFolder,
                                    missing: ["model.safetensors"]))
        #expect(server.requests.count == count)

        // Online again, only the missing link is made (its blob is still there).
        _ = try ModelLocator.resolve(server.repo, settings: settings(server, cache))
        #expect(server.requests.count == count + 1, "just the listing")
        #expect(CheckpointFiles.missing(in: dir).isEmpty)
    }

    @Test(arguments: ["Qwen", "Qwen/a/b", "Qwen/", "-Qwen/tts", "Qwen/tts.", "Qwen/a--b", "Qwen/a..b", "Qwen/a b",
                      "Qwen/tts.git", "Qwen/tts@", "Qwen/tts@../../etc", "Qwen/tts@a//b", "Qwen/ü"])
    func invalidRepoIDIsRejected(input: String) throws {
        let cache = try TemporaryFolder()
        defer { cache.remove() }
        let error = #expect(throws: HubError.self) {
            try ModelLocator.resolve(input, settings: HubSettings(endpoint: "http://127.0.0.1:1", cacheDirectory: cache.path))
        }
        guard case .invalidModelID(input, _)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(error?.description.contains("'\(input)'") == true)
    }

    @Test func missingRepoRevisionOrFilesAreNamed() throws {
        let server = try HubTestServer()
        defer { server.stop() }
        let cache = try TemporaryFolder()
        defer { cache.remove() }
        #expect(throws: HubError.notFound(repo: "Qwen/Nope", revision: "main", file: nil)) {
            try ModelLocator.resolve("Qwen/Nope", settings: settings(server, cache))
        }
        #expect(throws: HubError.notFound(repo: server.repo, revision: "v9", file: nil)) {
            try ModelLocator.resolve(server.repo + "@v9", settings: settings(server, cache))
        }
        let bare = try HubTestServer(files: HubTestServer.checkpointFiles(weightBytes: 100).filter { !$0.path.hasPrefix("speech_tokenizer/") })
        defer { bare.stop() }
        let error = #expect(throws: HubError.self) { try ModelLocator.resolve(bare.repo, settings: settings(bare, cache)) }
        #expect(error == .repoNotACheckpoint(repo: bare.repo, revision: "main",
                                             missing: ["speech_tokenizer/config.json", "speech_tokenizer/model.safetensors"]))
    }

    @Test func unreachableHubIsANetworkError() throws {
        let cache = try TemporaryFolder()
        defer { cache.remove() }
        let error = #expect(throws: HubError.self) {
            try ModelLocator.resolve("Qwen/tts", settings: HubSettings(endpoint: "http://127.0.0.1:1", cacheDirectory: cache.path))
        }
        #expect(error == .network(host: "127.0.0.1", message: "connection refused"))
    }

    @Test func notEnoughDiskSpaceStopsBeforeDownloading() throws {
        var files = HubTestServer.checkpointFiles(weightBytes: 100)
        let i = try #require(files.firstIndex { $0.path == "model.safetensors" })
        files[i].advertisedSize = 1 << 60  // more than any disk
        let server = try HubTestServer(files: files)
        defer { server.stop() }
        let cache = try TemporaryFolder()
        defer { cache.remove() }
        let error = #expect(throws: HubError.self) { try ModelLocator.resolve(server.repo, settings: settings(server, cache)) }
        guard case .diskFull(_, let needed?, _)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(needed > 1 << 60)
        #expect(server.requests.count == 1, "only the listing")
    }

    #if os(Linux)
    @Test func fullDiskWhileWritingIsReported() throws {
        let server = try HubTestServer()
        defer { server.stop() }
        let cache = try TemporaryFolder()
        defer { cache.remove() }
        // Writes to /dev/full fail with ENOSPC: a disk that fills up during the transfer.
        let weights = try #require(server.file("model.safetensors"))
        let blob = cache.path + "/" + Self.repoFolder + "/blobs/" + weights.sha256
        try FileManager.default.createDirectory(atPath: cache.path + "/" + Self.repoFolder + "/blobs", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: blob + ".incomplete", withDestinationPath: "/dev/full")
        let error = #expect(throws: HubError.self) { try ModelLocator.resolve(server.repo, settings: settings(server, cache)) }
        #expect(error == .diskFull(path: blob + ".incomplete", needed: nil, available: nil))
        #expect(error?.description.contains("disk full") == true)
        #expect(!FileManager.default.fileExists(atPath: blob))
    }
    #endif

    @Test func localFolders() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        #expect(throws: HubError.notACheckpoint(folder.path)) { try ModelLocator.resolve(folder.path) }
        _ = FileManager.default.createFile(atPath: folder.path + "/config.json", contents: Data("{}".utf8))
        #expect(try ModelLocator.resolve(folder.path + "/") == folder.path)
        let missing = "./no-such-checkpoint-\(UUID().uuidString)"
        let error = #expect(throws: HubError.self) { try ModelLocator.resolve(missing) }
        guard case .folderNotFound(let path)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(path.hasSuffix(missing.dropFirst(2)) && path.hasPrefix("/"))
    }

    // MARK: - Settings and checksums

    @Test func settingsFollowHuggingFaceHubEnvironment() throws {
        let home = ["HOME": "/home/u"]
        let base = HubSettings.environment(home)
        #expect(base == HubSettings(endpoint: "https://huggingface.co", cacheDirectory: "/home/u/.cache/huggingface/hub"))
        #expect(HubSettings.environment(home.merging(["XDG_CACHE_HOME": "/xdg"]) { $1 }).cacheDirectory == "/xdg/huggingface/hub")
        #expect(HubSettings.environment(["HF_HOME": "~/hf", "XDG_CACHE_HOME": "/xdg", "HOME": "/home/u"]).cacheDirectory == "/home/u/hf/hub")
        #expect(HubSettings.environment(["HF_HUB_CACHE": "/c", "HF_HOME": "/h"]).cacheDirectory == "/c")
        #expect(HubSettings.environment(["HF_ENDPOINT": "http://mirror:8080/"]).endpoint == "http://mirror:8080")
        #expect(HubSettings.environment(["HF_TOKEN": " hf_a\n", "HUGGING_FACE_HUB_TOKEN": "hf_b"]).token == "hf_a")
        #expect(HubSettings.environment(["HUGGING_FACE_HUB_TOKEN": "hf_b"]).token == "hf_b")

        let hfHome = try TemporaryFolder()

        defer { hfHome.remove() }
        try "hf_file\n".write(toFile: hfHome.path + "/token", atomically: true, encoding: .utf8)
        #expect(HubSettings.environment(["HF_HOME": hfHome.path]).token == "hf_file")
        #expect(HubSettings.environment(["HF_HOME": hfHome.path, "HF_TOKEN_PATH": "/nonexistent"]).token == nil)

        for (value, offline) in [("1", true), ("true", true), ("YES", true), ("on", true), ("0", false), ("", false)] {
            #expect(HubSettings.environment(["HF_HUB_OFFLINE": value]).offline == offline, "HF_HUB_OFFLINE=\(value)")
        }
    }

    @Test func checksumsMatchKnownValues() throws {
        func sha256(_ data: Data) -> String { var d = SHA256(); d.update(data); return d.finalize() }
        #expect(sha256(Data()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(sha256(Data("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let million = Data(repeating: UInt8(ascii: "a"), count: 1_000_000)
        #expect(sha256(million) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        var pieces = SHA256()  // odd chunk sizes across block boundaries
        var offset = 0, step = 1
        while offset < million.count {
            pieces.update(million[offset..<min(offset + step, million.count)])
            offset += step
            step = step * 7 % 1000 + 1
        }
        #expect(pieces.finalize() == sha256(million))
        var sha1 = SHA1()
        sha1.update(Data("abc".utf8))
        #expect(sha1.finalize() == "a9993e364706816aba3e25717850c26c9cd0d89d")

        let folder = try TemporaryFolder()

        defer { folder.remove() }
        _ = FileManager.default.createFile(atPath: folder.path + "/hello", contents: Data("hello\n".utf8))
        // `printf 'hello\n' | git hash-object --stdin`
        #expect(try FileDigest.gitBlobID(path: folder.path + "/hello", size: 6) == "ce013625030ba8dba906f756967f9e9ca394464a")
    }

    // MARK: - Helpers

    func settings(_ server: HubTestServer, _ cache: TemporaryFolder, token: String? = nil, offline: Bool = false) -> HubSettings {
        var settings = HubSettings(endpoint: server.endpoint, cacheDirectory: cache.path, token: token, offline: offline)
        settings.retryDelay = 0.02
        return settings
    }

    /// The layout huggingface_hub's snapshot_download leaves, written by hand.
    func writeOfficialCache(_ cache: String, repoFolder: String, commit: String, files: [HubTestServer.File]) throws {
        let fm = FileManager.default
        let repo = cache + "/" + repoFolder
        try fm.createDirectory(atPath: repo + "/refs", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: repo + "/blobs", withIntermediateDirectories: true)
        try commit.write(toFile: repo + "/refs/main", atomically: true, encoding: .utf8)
        for file in files {
            _ = fm.createFile(atPath: repo + "/blobs/" + file.etag, contents: file.content)
            let link = repo + "/snapshots/" + commit + "/" + file.path
            try fm.createDirectory(atPath: (link as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            let up = file.path.contains("/") ? "../../../" : "../../"
            try fm.createSymbolicLink(atPath: link, withDestinationPath: up + "blobs/" + file.etag)
        }
    }
}

/// A fresh folder under the system temporary directory.
struct TemporaryFolder {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("hub-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}
