// The Hugging Face hub cache layout, as huggingface_hub (`file_download.py`) writes it, so that
// checkpoints fetched by Python tools are reused here and the other way round:
//
//   {cache}/models--{owner}--{name}/
//       refs/{revision}               the commit hash, no newline (absent when the revision is a hash)
//       blobs/{etag}                  file content; etag = LFS sha256, else the git blob sha1
//       blobs/{etag}.incomplete       a download in progress, resumed with an HTTP Range request
//       snapshots/{commit}/{path}     relative symlink to ../../blobs/{etag} (one more ../ per folder)
//   {cache}/.locks/models--{owner}--{name}/{etag}.lock   flock(2) held while a blob is written

import Foundation

struct HubCache {
    let root: String
    let repo: String

    var folderName: String { "models--" + repo.replacingOccurrences(of: "/", with: "--") }
    var folder: String { root + "/" + folderName }

    func refPath(_ revision: String) -> String { folder + "/refs/" + revision }
    func snapshot(_ commit: String) -> String { folder + "/snapshots/" + commit }
    func blob(_ etag: String) -> String { folder + "/blobs/" + etag }
    func lockPath(_ etag: String) -> String { root + "/.locks/" + folderName + "/" + etag + ".lock" }

    /// The commit a revision points to locally: a full hash is its own commit, a branch or tag
    /// goes through refs/.
    func commit(for revision: String) -> String? {
        if RepoReference.isCommitHash(revision) { return revision }
        guard let text = try? String(contentsOfFile: refPath(revision), encoding: .utf8) else { return nil }
        let commit = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return commit.isEmpty ? nil : commit
    }

    /// Records `revision -> commit`, atomically so a concurrent reader never sees half a hash.
    func writeRef(_ revision: String, commit: String) throws {
        guard revision != commit, self.commit(for: revision) != commit else { return }
        let path = refPath(revision)
        try createDirectory((path as NSString).deletingLastPathComponent)
        let temporary = path + ".\(getpid()).tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(commit.utf8)),
              rename(temporary, path) == 0 else {
            throw HubError.fileSystem("cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Points `snapshots/{commit}/{path}` at `blobs/{etag}` with a relative link, replacing a
    /// stale one.
    func link(commit: String, path: String, etag: String) throws {
        let linkPath = snapshot(commit) + "/" + path
        try createDirectory((linkPath as NSString).deletingLastPathComponent)
        let depth = path.split(separator: "/").count + 1  // snapshots/{commit}/ plus each folder in path
        let target = String(repeating: "../", count: depth) + "blobs/" + etag
        unlink(linkPath)
        do {
            try FileManager.default.createSymbolicLink(atPath: linkPath, withDestinationPath: target)
        } catch {
            throw HubError.fileSystem("cannot create the link \(linkPath): \(error.localizedDescription)")
        }
    }

    func createDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw HubError.fileSystem("cannot create the folder \(path): \(error.localizedDescription)")
        }
    }

    /// Exclusive flock(2) on the blob's lock file, the lock huggingface_hub takes (through the
    /// `filelock` package) before writing the same blob; blocks while another process holds it.
    func withBlobLock<T>(_ etag: String, waiting: () -> Void, _ body: () throws -> T) throws -> T {
        let path = lockPath(etag)
        try createDirectory((path as NSString).deletingLastPathComponent)
        let fd = open(path, O_RDWR | O_CREAT, 0o664)
        guard fd >= 0 else { throw HubError.fileSystem("cannot open the lock file \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }  // closing releases the lock
        // Any other failure means a file system without flock (some NFS mounts): go on unlocked
        // then, as huggingface_hub does.
        if flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK {
            waiting()
            while flock(fd, LOCK_EX) != 0 && errno == EINTR {}
        }
        return try body()
    }
}

/// The files of a Qwen3-TTS repo the engine reads; everything else (README, .gitattributes,
/// other formats) is left on the hub.
enum CheckpointFiles {
    static let rootFiles: Set<String> = [
        "config.json", "generation_config.json", "model.safetensors.index.json", "vocab.json", "merges.txt",
        "tokenizer_config.json", "tokenizer.json", "preprocessor_config.json",
    ]

    static func isNeeded(_ path: String) -> Bool {
        if path.hasPrefix("speech_tokenizer/") { return true }
        if path.contains("/") { return false }
        // model.safetensors, or the shards model-00001-of-0000N.safetensors of a sharded checkpoint.
        return rootFiles.contains(path) || (path.hasPrefix("model") && path.hasSuffix(".safetensors"))
    }

    /// The files a snapshot folder must hold before it is used without asking the hub; empty
    /// when complete. Optional files (generation_config.json, preprocessor configs) are not
    /// required: a repo may lack them, and the loader has defaults.
    static func missing(in folder: String) -> [String] {
        let fm = FileManager.default
        func has(_ path: String) -> Bool { fm.fileExists(atPath: folder + "/" + path) }  // follows the link
        var required = ["config.json", "speech_tokenizer/config.json", "speech_tokenizer/model.safetensors"]
        if !has("tokenizer.json") { required += ["vocab.json", "merges.txt"] }
        if has("model.safetensors.index.json") {
            required += shards(indexPath: folder + "/model.safetensors.index.json") ?? ["model.safetensors.index.json (unreadable)"]
        } else {
            required.append("model.safetensors")
        }
        return required.filter { !has($0) }
    }

    /// The shard files named by a safetensors index (`weight_map` values).
    static func shards(indexPath: String) -> [String]? {
        guard let data = FileManager.default.contents(atPath: indexPath),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let map = json["weight_map"] as? [String: String] else { return nil }
        return Set(map.values).sorted()
    }
}
