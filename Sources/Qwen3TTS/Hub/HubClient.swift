// Blocking HTTP for the hub on libcurl, loaded at run time (CRuntimeLibs): FoundationNetworking
// would make libcurl a load-time dependency of the binary and cannot be linked statically.
// Redirects are followed by hand so that the Range header of a resumed download survives the
// hop from /resolve to the CDN, and the token does not: like huggingface_hub (through
// requests/httpx), Authorization goes to the endpoint's host only.

import CRuntimeLibs
import Foundation

/// One HTTP response's status and headers (names matched case-insensitively).
struct HTTPResponse: Sendable {
    let url: URL?
    let statusCode: Int
    let headers: [String: String]

    func value(forHTTPHeaderField name: String) -> String? { headers[name.lowercased()] }
}

/// The files listing of one revision: `GET /api/models/{repo}/revision/{revision}?blobs=true`
/// (without `blobs=true` the hub leaves out sizes and hashes).
struct RepoInfo: Decodable {
    struct Sibling: Decodable {
        struct LFS: Decodable {
            let sha256: String
            let size: Int64
        }
        let rfilename: String
        let size: Int64?
        let blobId: String?
        let lfs: LFS?

        /// The blob's name in the cache, as huggingface_hub names it from the X-Linked-Etag
        /// (LFS) or ETag (git) header of /resolve.
        var etag: String? { lfs?.sha256 ?? blobId }
        var expectedSize: Int64? { lfs?.size ?? size }
    }
    let sha: String
    let siblings: [Sibling]
}

struct HubClient {
    let settings: HubSettings

    struct Result {
        let url: URL
        let response: HTTPResponse
        /// The body when no sink took it (JSON, error pages).
        let body: Data
        var status: Int { response.statusCode }
    }

    /// A sink factory gets the final response and returns where its body goes, or nil to keep
    /// the body in memory; it is never asked for redirect responses.
    typealias SinkFactory = @Sendable (HTTPResponse) -> (@Sendable (Data) throws -> Void)?

    func repoInfo(_ ref: RepoReference) throws -> RepoInfo {
        let url = try makeURL("/api/models/\(ref.id)/revision/\(escape(ref.revision, keeping: ""))?blobs=true")
        let result = try get(url)
        try check(result, ref: ref, file: nil)
        do {
            return try JSONDecoder().decode(RepoInfo.self, from: result.body)
        } catch {
            throw HubError.badResponse(url: url.absoluteString, reason: "the file listing is not the expected JSON (\(error))")
        }
    }

    func resolveURL(_ ref: RepoReference, commit: String, path: String) throws -> URL {
        try makeURL("/\(ref.id)/resolve/\(commit)/\(escape(path, keeping: "/"))")
    }

    /// Maps the hub's failure statuses to errors; 2xx passes.
    func check(_ result: Result, ref: RepoReference, file: String?) throws {
        switch result.status {
        case 200..<300: return
        case 401, 403: throw HubError.accessDenied(repo: ref.id, status: result.status, tokenSent: settings.token != nil)
        case 404: throw HubError.notFound(repo: ref.id, revision: ref.revision, file: file)
        default: throw HubError.http(url: result.url.absoluteString, status: result.status)
        }
    }

    /// GET, following up to 10 redirects. `tick` runs about once a second on the calling thread
    /// while the transfer is under way (progress reports).
    func get(_ url: URL, headers: [String: String] = [:], tick: () -> Void = {}, sink: SinkFactory? = nil) throws -> Result {
        var current = url
        for _ in 0...10 {
            var lines = headers.map { "\($0.key): \($0.value)" } + ["User-Agent: qwen3-tts-swift"]
            if let token = settings.token, isEndpointHost(current) { lines.append("Authorization: Bearer \(token)") }
            let result = try perform(current, headers: lines, tick: tick, sink: sink)
            guard (300..<400).contains(result.status), let location = result.response.value(forHTTPHeaderField: "Location") else {
                return result
            }
            guard let next = URL(string: location, relativeTo: current)?.absoluteURL else {
                throw HubError.badResponse(url: current.absoluteString, reason: "bad redirect target '\(location)'")
            }
            current = next
        }
        throw HubError.badResponse(url: url.absoluteString, reason: "too many redirects")
    }

    private func perform(_ url: URL, headers: [String], tick: () -> Void, sink: SinkFactory?) throws -> Result {
        try withoutActuallyEscaping(tick) { tick in
            let exchange = Exchange(url: url, makeSink: sink, tick: tick)
            let user = Unmanaged.passUnretained(exchange).toOpaque()
            var status = 0
            var message = [CChar](repeating: 0, count: 512)
            let rc = withCStrings(headers) { lines in
                rl_http_get(url.absoluteString, lines, Int32(headers.count), 60, user,
                            { user, line, length in Exchange.from(user).header(line, length) },
                            { user, data, length in Exchange.from(user).body(data, length) },
                            { user in Exchange.from(user).tick() }, &status, &message)
            }
            withExtendedLifetime(exchange) {}
            let host = url.host ?? "?"
            if let error = exchange.sinkError { throw error }
            switch rc {
            case 0: break
            case -1:
                throw HubError.network(host: host, message: "downloading needs libcurl, which is not installed: install libcurl4 "
                                       + "(apt-get install libcurl4) or, on macOS, use the system's")
            default:
                let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                throw HubError.network(host: host, message: Self.describe(Int(rc), text))
            }
            return Result(url: url, response: HTTPResponse(url: url, statusCode: status, headers: exchange.headers),
                          body: exchange.body)
        }
    }

    private func isEndpointHost(_ url: URL) -> Bool {
        guard let endpoint = URL(string: settings.endpoint) else { return false }
        return url.host == endpoint.host && url.port == endpoint.port
    }

    private func makeURL(_ path: String) throws -> URL {
        guard let url = URL(string: settings.endpoint + path) else {
            throw HubError.badResponse(url: settings.endpoint, reason: "cannot form a URL with path \(path) (check HF_ENDPOINT)")
        }
        return url
    }

    private func escape(_ text: String, keeping extra: String) -> String {
        var allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")
        allowed.insert(charactersIn: extra)
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    /// libcurl's messages, with the usual failures named plainly.
    static func describe(_ code: Int, _ message: String) -> String {
        switch code {
        case RL_CURLE_COULDNT_CONNECT: return "connection refused"
        case RL_CURLE_COULDNT_RESOLVE_HOST: return "unknown host"
        case RL_CURLE_OPERATION_TIMEDOUT: return "timed out"
        case RL_CURLE_SSL_CONNECT_ERROR, RL_CURLE_PEER_FAILED_VERIFICATION: return "TLS handshake failed (\(message))"
        default: return message.isEmpty ? "transfer failed (libcurl error \(code))" : message
        }
    }
}

/// Runs `body` with the strings as a C array of C strings.
private func withCStrings<T>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>>?) -> T) -> T {
    let copies = strings.map { strdup($0)! }
    defer { copies.forEach { free($0) } }
    let pointers = copies.map { UnsafePointer($0) }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress) }
}

/// The state of one request, reached from libcurl's callbacks (all on the calling thread).
private final class Exchange {
    let url: URL
    private let makeSink: HubClient.SinkFactory?
    private let onTick: () -> Void
    private var sink: (@Sendable (Data) throws -> Void)?
    private(set) var status = 0
    private(set) var headers: [String: String] = [:]
    private(set) var body = Data()
    private(set) var sinkError: Error?

    init(url: URL, makeSink: HubClient.SinkFactory?, tick: @escaping () -> Void) {
        self.url = url
        self.makeSink = makeSink
        onTick = tick
    }

    static func from(_ p: UnsafeMutableRawPointer?) -> Exchange { Unmanaged<Exchange>.fromOpaque(p!).takeUnretainedValue() }

    func header(_ line: UnsafePointer<CChar>, _ length: Int) {
        let text = String(decoding: UnsafeRawBufferPointer(start: line, count: length), as: UTF8.self)
        if text.hasPrefix("HTTP/") {
            // A new response (after an interim 1xx one): its status and headers only.
            status = text.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
            headers = [:]
        } else if text.isEmpty {
            // End of the headers: the body of a final, non-redirect response goes to the sink.
            if status >= 200 && !(300..<400).contains(status) {
                sink = makeSink?(HTTPResponse(url: url, statusCode: status, headers: headers))
            }
        } else if let colon = text.firstIndex(of: ":") {
            let name = text[..<colon].lowercased()
            headers[name] = text[text.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
    }

    func body(_ data: UnsafePointer<CChar>, _ length: Int) -> Int32 {
        guard sinkError == nil else { return 1 }
        let chunk = Data(bytes: data, count: length)
        guard let sink else { body.append(chunk); return 0 }
        do {
            try sink(chunk)
            return 0
        } catch {
            sinkError = error
            return 1
        }
    }

    func tick() { onTick() }
}
