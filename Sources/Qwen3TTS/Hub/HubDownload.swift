// Fetching the missing files of one snapshot into the hub cache. Each blob is written to
// blobs/{etag}.incomplete (kept across runs and resumed with `Range: bytes=N-`), checked against
// the size and hash the hub's file listing gave, and only then renamed into place and linked, so
// a truncated or corrupt download is never used.

import Foundation

struct HubDownload {
    let ref: RepoReference
    let cache: HubCache
    let client: HubClient
    let progress: (String) -> Void

    /// Consecutive attempts that bring no new byte before a download gives up, as in
    /// huggingface_hub's http_get.
    static let attempts = 5

    func run() throws -> String {
        let info = try client.repoInfo(ref)
        guard RepoReference.isCommitHash(info.sha) else {
            throw HubError.badResponse(url: "\(client.settings.endpoint)/api/models/\(ref.id)", reason: "no commit hash in the file listing")
        }
        let files = info.siblings.filter { CheckpointFiles.isNeeded($0.rfilename) }
        for file in files { try validate(file) }
        try cache.writeRef(ref.revision, commit: info.sha)

        let snapshot = cache.snapshot(info.sha)
        let fm = FileManager.default
        let todo = files.filter { !fm.fileExists(atPath: snapshot + "/" + $0.rfilename) }
        let newBlobs = Dictionary(todo.map { ($0.etag!, $0.expectedSize!) }, uniquingKeysWith: { a, _ in a })
            .filter { !fm.fileExists(atPath: cache.blob($0.key)) }
        if !todo.isEmpty {
            try cache.createDirectory(cache.folder + "/blobs")
            let needed = newBlobs.reduce(Int64(0)) { $0 + $1.value - partialSize(cache.blob($1.key) + ".incomplete") }
            try checkFreeSpace(needed: needed)
            let total = newBlobs.values.reduce(0, +)
            progress("\(ref): downloading \(todo.count) files (\(ByteCount.format(total))) into \(cache.folder)")
        }
        for file in todo { try fetch(file, commit: info.sha) }

        let missing = CheckpointFiles.missing(in: snapshot)
        guard missing.isEmpty else { throw HubError.repoNotACheckpoint(repo: ref.id, revision: ref.revision, missing: missing) }
        return snapshot
    }

    /// The listing's names and hashes become paths in the cache: refuse anything that could
    /// leave it.
    private func validate(_ file: RepoInfo.Sibling) throws {
        let name = file.rfilename
        let components = name.split(separator: "/", omittingEmptySubsequences: false)
        let hex = Set("0123456789abcdef")
        guard components.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." }),
              let etag = file.etag, [40, 64].contains(etag.count), etag.allSatisfy(hex.contains),
              let size = file.expectedSize, size >= 0 else {
            throw HubError.badResponse(url: "\(client.settings.endpoint)/api/models/\(ref.id)",
                                       reason: "the listing entry for '\(name)' lacks a safe path, size or hash")
        }
    }

    private func fetch(_ file: RepoInfo.Sibling, commit: String) throws {
        let etag = file.etag!, blob = cache.blob(etag)
        if !FileManager.default.fileExists(atPath: blob) {
            try cache.withBlobLock(etag, waiting: { progress("\(file.rfilename): waiting for another process downloading it") }) {
                // The other process may have finished it while we waited.
                guard !FileManager.default.fileExists(atPath: blob) else { return }
                let partial = blob + ".incomplete"
                try download(file, commit: commit, to: partial)
                try verify(file, at: partial)
                guard rename(partial, blob) == 0 else {
                    throw HubError.fileSystem("cannot move \(partial) into place: \(String(cString: strerror(errno)))")
                }
            }
        }
        try cache.link(commit: commit, path: file.rfilename, etag: etag)
    }

    private func download(_ file: RepoInfo.Sibling, commit: String, to partial: String) throws {
        let name = file.rfilename, size = file.expectedSize!
        let url = try client.resolveURL(ref, commit: commit, path: name)
        let fd = open(partial, O_WRONLY | O_CREAT, 0o666)
        guard fd >= 0 else { throw HubError.fileSystem("cannot write \(partial): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        progress("fetching \(name) (\(ByteCount.format(size)))")

        var attemptsLeft = Self.attempts
        while true {
            var offset = Int64(lseek(fd, 0, SEEK_END))
            if offset > size { offset = try truncate(fd, partial) }
            if offset == size { return }
            if offset > 0 { progress("\(name): resuming at \(ByteCount.format(offset)) of \(ByteCount.format(size))") }

            var headers = ["Accept-Encoding": "identity"]  // byte offsets must match the stored file
            if offset > 0 { headers["Range"] = "bytes=\(offset)-" }
            let writer = BlobWriter(fd: fd, path: partial, offset: offset)
            let started = Date()
            let report = {
                let done = writer.position
                let rate = Double(writer.received) / max(Date().timeIntervalSince(started), 0.001)
                progress("\(name): \(ByteCount.format(done)) / \(ByteCount.format(size)) (\(done * 100 / max(size, 1))%), \(ByteCount.format(Int64(rate)))/s")
            }
            let failure: HubError
            do {
                let result = try client.get(url, headers: headers, tick: report) { [offset] in writer.sink(for: $0, resumingAt: offset) }
                let host = result.url.host ?? "?"
                switch result.status {
                case 200, 206:
                    if writer.position == size { return }
                    failure = .network(host: host, message: "the transfer ended early at \(ByteCount.format(writer.position))")
                case 416:
                    _ = try truncate(fd, partial)  // the partial file does not fit the remote one: start over
                    failure = .network(host: host, message: "the server refused to resume at \(ByteCount.format(offset))")
                case 408, 429, 500..<600:
                    failure = .network(host: host, message: "HTTP \(result.status)")
                default:
                    try client.check(result, ref: ref, file: name)
                    throw HubError.badResponse(url: result.url.absoluteString, reason: "HTTP \(result.status) without the file")
                }
            } catch let error as HubError {
                guard case .network = error else { throw error }
                failure = error
            }
            if writer.received > 0 { attemptsLeft = Self.attempts }  // progress was made
            attemptsLeft -= 1
            guard attemptsLeft > 0, case let .network(_, message) = failure else { throw failure }
            progress("\(name): \(message); retrying")
            Thread.sleep(forTimeInterval: client.settings.retryDelay)
        }
    }

    private func truncate(_ fd: Int32, _ path: String) throws -> Int64 {
        guard ftruncate(fd, 0) == 0, lseek(fd, 0, SEEK_SET) == 0 else {
            throw HubError.fileSystem("cannot truncate \(path): \(String(cString: strerror(errno)))")
        }
        return 0
    }

    /// Size and hash against the listing; a mismatching file is deleted so it is never used,
    /// and the next run starts it afresh.
    private func verify(_ file: RepoInfo.Sibling, at path: String) throws {
        let size = partialSize(path), expected = file.expectedSize!
        guard size == expected else {
            unlink(path)
            throw HubError.sizeMismatch(file: file.rfilename, expected: expected, actual: size)
        }
        let (algorithm, actual): (String, String)
        if let lfs = file.lfs {
            if size > 100_000_000 { progress("\(file.rfilename): checking sha256") }
            (algorithm, actual) = ("sha256", try FileDigest.sha256(path: path))
            if actual == lfs.sha256 { return }
        } else {
            (algorithm, actual) = ("git blob sha1", try FileDigest.gitBlobID(path: path, size: size))
            if actual == file.blobId { return }
        }
        unlink(path)
        throw HubError.checksumMismatch(file: file.rfilename, algorithm: algorithm, expected: file.etag!, actual: actual)
    }

    private func partialSize(_ path: String) -> Int64 {
        var info = stat()
        return stat(path, &info) == 0 ? Int64(info.st_size) : 0
    }

    private func checkFreeSpace(needed: Int64) throws {
        var fs = statvfs()
        guard needed > 0, statvfs(cache.folder, &fs) == 0, fs.f_blocks > 0 else { return }
        let available = Int64(fs.f_bavail) * Int64(fs.f_frsize)
        if available < needed { throw HubError.diskFull(path: cache.folder, needed: needed, available: available) }
    }
}

/// Appends response bytes to the .incomplete file; runs in libcurl's callbacks while the
/// caller's thread reads `position` for progress.
private final class BlobWriter: @unchecked Sendable {
    private let fd: Int32
    private let path: String
    private let lock = NSLock()
    private var written: Int64
    private var receivedNow: Int64 = 0

    init(fd: Int32, path: String, offset: Int64) {
        self.fd = fd
        self.path = path
        written = offset
    }

    /// The file's length.
    var position: Int64 { lock.withLock { written } }
    /// Bytes stored by this request.
    var received: Int64 { lock.withLock { receivedNow } }

    /// Where this response's body goes: a 206 must start where the file ends; a 200 is the whole
    /// file (the server ignored Range), so the partial content is dropped first. Anything else is
    /// an error page, kept in memory for the status check.
    func sink(for response: HTTPResponse, resumingAt offset: Int64) -> (@Sendable (Data) throws -> Void)? {
        switch response.statusCode {
        case 206 where (response.value(forHTTPHeaderField: "Content-Range") ?? "").hasPrefix("bytes \(offset)-"):
            return { try self.append($0) }
        case 200, 206:
            if offset > 0 {
                guard ftruncate(fd, 0) == 0, lseek(fd, 0, SEEK_SET) == 0 else {
                    let message = "cannot truncate \(path): \(String(cString: strerror(errno)))"
                    return { _ in throw HubError.fileSystem(message) }
                }
                lock.withLock { written = 0 }
            }
            if response.statusCode == 200 { return { try self.append($0) } }
            // A 206 for another range: stop it; the retry asks for the whole file.
            let host = response.url?.host ?? "?"
            return { _ in throw HubError.network(host: host, message: "the server sent the wrong byte range") }
        default:
            return nil
        }
    }

    func append(_ data: Data) throws {
        try data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            var done = 0
            while done < bytes.count {
                let n = write(fd, bytes.baseAddress! + done, bytes.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    if errno == ENOSPC || errno == EDQUOT { throw HubError.diskFull(path: path, needed: nil, available: nil) }
                    throw HubError.fileSystem("cannot write \(path): \(String(cString: strerror(errno)))")
                }
                done += n
            }
        }
        lock.withLock {
            written += Int64(data.count)
            receivedNow += Int64(data.count)
        }
    }
}
