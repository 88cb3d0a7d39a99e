// Where and how to reach the Hugging Face hub, read from the same environment variables, with the
// same precedence, as huggingface_hub (`constants.py`, `utils/_auth.py`), so both share one cache
// and one login. Tests build the struct directly instead of touching the process environment.

import Foundation

/// Hub endpoint, cache location, token and offline switch for `ModelLocator`.
public struct HubSettings: Sendable, Equatable {
    /// Hub base URL without a trailing slash (HF_ENDPOINT).
    public var endpoint: String
    /// The hub cache root that holds `models--{owner}--{name}` folders (HF_HUB_CACHE).
    public var cacheDirectory: String
    /// Sent as `Authorization: Bearer` to the endpoint's host only, never to redirect targets
    /// elsewhere (the CDN URLs are pre-signed).
    public var token: String?
    /// HF_HUB_OFFLINE: resolve from the cache only, never touch the network.
    public var offline: Bool
    /// Pause before retrying a dropped download; short in tests.
    var retryDelay: Double = 1

    public init(endpoint: String = "https://huggingface.co", cacheDirectory: String, token: String? = nil, offline: Bool = false) {
        self.endpoint = endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint
        self.cacheDirectory = cacheDirectory
        self.token = token
        self.offline = offline
    }

    /// Settings from environment variables, as huggingface_hub reads them:
    /// - endpoint: HF_ENDPOINT, else https://huggingface.co
    /// - cache: HF_HUB_CACHE, else HUGGINGFACE_HUB_CACHE (legacy), else HF_HOME/hub, else
    ///   XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub
    /// - token: HF_TOKEN, else HUGGING_FACE_HUB_TOKEN (legacy), else the file at HF_TOKEN_PATH,
    ///   else HF_HOME/token (written by `hf auth login`)
    /// - offline: HF_HUB_OFFLINE (or TRANSFORMERS_OFFLINE) set to 1, ON, YES or TRUE
    public static func environment(_ env: [String: String] = ProcessInfo.processInfo.environment) -> HubSettings {
        func value(_ key: String) -> String? { env[key].flatMap { $0.isEmpty ? nil : $0 } }
        let homeDirectory = value("HOME") ?? NSHomeDirectory()
        func expand(_ path: String) -> String {
            path == "~" || path.hasPrefix("~/") ? homeDirectory + path.dropFirst() : path
        }
        let home = value("HF_HOME").map(expand)
            ?? (value("XDG_CACHE_HOME").map(expand) ?? homeDirectory + "/.cache") + "/huggingface"
        let cache = (value("HF_HUB_CACHE") ?? value("HUGGINGFACE_HUB_CACHE")).map(expand) ?? home + "/hub"
        let tokenFile = value("HF_TOKEN_PATH").map(expand) ?? home + "/token"
        let token = (value("HF_TOKEN") ?? value("HUGGING_FACE_HUB_TOKEN") ?? (try? String(contentsOfFile: tokenFile, encoding: .utf8)))
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .flatMap { $0.isEmpty ? nil : $0 }
        let offline = ["1", "ON", "YES", "TRUE"].contains((value("HF_HUB_OFFLINE") ?? value("TRANSFORMERS_OFFLINE") ?? "").uppercased())
        return HubSettings(endpoint: value("HF_ENDPOINT") ?? "https://huggingface.co", cacheDirectory: cache,
                           token: token, offline: offline)
    }
}
