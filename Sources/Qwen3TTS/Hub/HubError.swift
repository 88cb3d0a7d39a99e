// Errors of model resolution. Each reads as one line telling the user what went wrong and what
// to do, because the CLI prints them as they are.

import Foundation

/// Why `ModelLocator.resolve` failed; `description` is the one-line message for the user.
public enum HubError: Error, Equatable, CustomStringConvertible {
    /// `--model` is neither an existing folder nor a valid `owner/name[@revision]`.
    case invalidModelID(String, reason: String)
    /// A local path that does not exist.
    case folderNotFound(String)
    /// A local folder without `config.json`.
    case notACheckpoint(String)
    /// The repo lacks files every Qwen3-TTS checkpoint has.
    case repoNotACheckpoint(repo: String, revision: String, missing: [String])
    /// Offline and the snapshot is missing or incomplete.
    case notCached(repo: String, revision: String, cache: String, missing: [String])
    /// HTTP 401/403: private, gated, or (for 401 without a token) possibly nonexistent.
    case accessDenied(repo: String, status: Int, tokenSent: Bool)
    /// HTTP 404 for the repo/revision (`file == nil`) or for one file.
    case notFound(repo: String, revision: String, file: String?)
    /// Connection failures, and transfers still failing after the retries.
    case network(host: String, message: String)
    case http(url: String, status: Int)
    case badResponse(url: String, reason: String)
    /// The downloaded bytes do not hash to what the listing promised (the file was deleted).
    case checksumMismatch(file: String, algorithm: String, expected: String, actual: String)
    case sizeMismatch(file: String, expected: Int64, actual: Int64)
    /// Known before the download (`needed`, `available`) or hit while writing (both nil).
    case diskFull(path: String, needed: Int64?, available: Int64?)
    case fileSystem(String)

    public var description: String {
        switch self {
        case let .invalidModelID(input, reason):
            return "--model '\(input)' is not an existing folder nor a Hugging Face repo id of the form owner/name[@revision]: \(reason)"
        case let .folderNotFound(path):
            return "model folder '\(path)' does not exist"
        case let .notACheckpoint(path):
            return "'\(path)' is not a checkpoint folder: it has no config.json"
        case let .repoNotACheckpoint(repo, revision, missing):
            return "\(repo)@\(revision) is not a Qwen3-TTS checkpoint: the repo has no \(missing.joined(separator: ", "))"
        case let .notCached(repo, revision, cache, missing):
            let what = missing.isEmpty ? "is not in the Hugging Face cache"
                : "is only partly in the Hugging Face cache (missing \(missing.joined(separator: ", ")))"
            return "\(repo)@\(revision) \(what) at \(cache) and HF_HUB_OFFLINE is set: run once without HF_HUB_OFFLINE to download it"
        case let .accessDenied(repo, status, tokenSent):
            return tokenSent
                ? "\(repo): access denied (HTTP \(status)) with the token given: if the model is gated, accept its terms on its Hugging Face page, and make sure HF_TOKEN can read this repo"
                : "\(repo): access denied (HTTP \(status)): the repo is gated, private or does not exist; set HF_TOKEN to a Hugging Face access token that can read it (https://huggingface.co/settings/tokens)"
        case let .notFound(repo, revision, file?):
            return "\(repo)@\(revision) has no file '\(file)' (HTTP 404)"
        case let .notFound(repo, revision, nil):
            return "no such model repo or revision: \(repo)@\(revision) (HTTP 404); check the spelling"
        case let .network(host, message):
            return "cannot download from \(host): \(message); check the network connection, or set HF_HUB_OFFLINE=1 to use only the local cache"
        case let .http(url, status):
            return "download failed: HTTP \(status) from \(url)"
        case let .badResponse(url, reason):
            return "unexpected answer from \(url): \(reason)"
        case let .checksumMismatch(file, algorithm, expected, actual):
            return "downloaded \(file) is corrupt (\(algorithm) \(actual), expected \(expected)); it was deleted: run again to download it afresh"
        case let .sizeMismatch(file, expected, actual):
            return "downloaded \(file) has \(actual) bytes instead of \(expected); it was deleted: run again to download it afresh"
        case let .diskFull(path, needed?, available?):
            return "not enough disk space for \(path): needs \(ByteCount.format(needed)), only \(ByteCount.format(available)) free; free some space or point HF_HUB_CACHE elsewhere"
        case let .diskFull(path, _, _):
            return "disk full while writing \(path); free some space and run again (the download resumes where it stopped)"
        case let .fileSystem(message):
            return message
        }
    }
}

enum ByteCount {
    /// Decimal units, as the hub's own pages and huggingface_hub's progress bars show sizes.
    static func format(_ bytes: Int64) -> String {
        let b = Double(bytes)
        switch bytes {
        case ..<1_000: return "\(bytes) B"
        case ..<1_000_000: return String(format: "%.1f kB", b / 1e3)
        case ..<1_000_000_000: return String(format: "%.1f MB", b / 1e6)
        default: return String(format: "%.2f GB", b / 1e9)
        }
    }
}
