// Turns `--model` into a local checkpoint folder: a path is used as it is; a Hugging Face repo
// id is looked up in the shared hub cache (see HubCache) and whatever the engine needs that is
// not there yet is downloaded, resumably and verified, exactly where huggingface_hub would put it.

import Foundation

public enum ModelLocator {
    /// The checkpoint folder for `model`:
    /// - an existing path, or one starting with `/`, `./`, `../` or `~`, is a local folder and must
    ///   hold `config.json`;
    /// - otherwise `owner/name` or `owner/name@revision` (branch, tag or full commit hash; default
    ///   `main`) names a Hugging Face repo. A complete cached snapshot of that revision is returned
    ///   without any network access (so a moved branch is not followed: pass `@<commit>` or delete
    ///   `refs/<branch>` to update); otherwise the missing files are fetched, unless offline.
    ///
    /// Blocks the calling thread while downloading. `progress` gets human-readable lines (about one
    /// a second during a transfer) on that same thread.
    public static func resolve(_ model: String, settings: HubSettings = .environment(),
                               progress: (String) -> Void = { _ in }) throws -> String {
        if isLocalPath(model) { return try localFolder(model) }
        let ref = try RepoReference(parsing: model)
        let cache = HubCache(root: settings.cacheDirectory, repo: ref.id)
        var missing: [String] = []
        if let commit = cache.commit(for: ref.revision) {
            let snapshot = cache.snapshot(commit)
            missing = CheckpointFiles.missing(in: snapshot)
            if missing.isEmpty {
                progress("\(ref): using the cached snapshot \(snapshot)")
                return snapshot
            }
        }
        if settings.offline {
            throw HubError.notCached(repo: ref.id, revision: ref.revision, cache: cache.folder, missing: missing)
        }
        return try withoutActuallyEscaping(progress) { progress in
            try HubDownload(ref: ref, cache: cache, client: HubClient(settings: settings), progress: progress).run()
        }
    }

    static func isLocalPath(_ model: String) -> Bool {
        ["/", "./", "../", "~"].contains { model.hasPrefix($0) } || model == "." || model == ".."
            || FileManager.default.fileExists(atPath: model)
    }

    static func localFolder(_ model: String) throws -> String {
        let path = URL(fileURLWithPath: NSString(string: model).expandingTildeInPath).standardizedFileURL.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw HubError.folderNotFound(path) }
        guard isDirectory.boolValue, FileManager.default.fileExists(atPath: path + "/config.json") else {
            throw HubError.notACheckpoint(path)
        }
        return path
    }
}

/// `owner/name[@revision]`, checked with the rules the hub enforces (huggingface_hub's
/// `validate_repo_id`), made stricter where the cache needs it: an owner is required, and the
/// revision becomes a path under refs/ so it may not climb out with `..`.
struct RepoReference: Equatable, CustomStringConvertible {
    let id: String
    let revision: String

    var description: String { "\(id)@\(revision)" }

    init(parsing text: String) throws {
        func invalid(_ reason: String) -> HubError { .invalidModelID(text, reason: reason) }
        let at = text.firstIndex(of: "@")
        id = String(text[..<(at ?? text.endIndex)])
        revision = at.map { String(text[text.index(after: $0)...]) } ?? "main"

        let parts = id.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw invalid("expected exactly one '/' between owner and name") }
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
        for part in parts {
            guard !part.isEmpty, part.count <= 96 else { throw invalid("owner and name must have 1 to 96 characters") }
            guard part.allSatisfy(allowed.contains) else { throw invalid("'\(part)' may only use letters, digits, '-', '_' and '.'") }
            guard let first = part.first, let last = part.last, !"-.".contains(first), !"-.".contains(last) else {
                throw invalid("'\(part)' may not start or end with '-' or '.'")
            }
        }
        guard !id.contains("--"), !id.contains("..") else { throw invalid("'--' and '..' are not allowed") }
        guard !id.hasSuffix(".git") else { throw invalid("the name may not end in '.git'") }

        let revisionParts = revision.split(separator: "/", omittingEmptySubsequences: false)
        guard !revision.isEmpty, revision.allSatisfy(Set(allowed).union("/").contains),
              revisionParts.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." }) else {
            throw invalid("'\(revision)' is not a branch, tag or commit name")
        }
    }

    static func isCommitHash(_ text: String) -> Bool {
        text.utf8.count == 40 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }
}
