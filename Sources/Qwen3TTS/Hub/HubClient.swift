// Blocking HTTP for the hub on top of URLSession (FoundationNetworking on Linux). Redirects are
// followed by hand rather than by URLSession so that the Range header of a resumed download
// survives the hop from /resolve to the CDN, and the token does not: like huggingface_hub
// (through requests/httpx), Authorization goes to the endpoint's host only.

import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

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
        let response: HTTPURLResponse
        /// The body when no sink took it (JSON, error pages).
        let body: Data
        var status: Int { response.statusCode }
    }

    /// A sink factory gets the final response and returns where its body goes, or nil to keep
    /// the body in memory; it is never asked for redirect responses.
    typealias SinkFactory = @Sendable (HTTPURLResponse) -> (@Sendable (Data) throws -> Void)?

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
            var request = URLRequest(url: current)
            request.cachePolicy = .reloadIgnoringLocalCacheData
            for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
            request.setValue("qwen3-tts-swift", forHTTPHeaderField: "User-Agent")
            if let token = settings.token, isEndpointHost(current) {
                request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
            }
            let result = try perform(request, tick: tick, sink: sink)
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

    private func perform(_ request: URLRequest, tick: () -> Void, sink: SinkFactory?) throws -> Result {
        let exchange = Exchange(sink: sink)
        let configuration = URLSessionConfiguration.ephemeral
        configuration.urlCache = nil
        configuration.timeoutIntervalForRequest = 60  // idle time, not total time
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        let session = URLSession(configuration: configuration, delegate: exchange, delegateQueue: queue)
        defer { session.finishTasksAndInvalidate() }
        session.dataTask(with: request).resume()
        while exchange.finished.wait(timeout: .now() + 1) == .timedOut { tick() }

        let host = request.url?.host ?? "?"
        if let error = exchange.sinkError { throw error }
        if let error = exchange.transportError { throw HubError.network(host: host, message: Self.describe(error)) }
        guard let response = exchange.response else {
            throw HubError.network(host: host, message: "no HTTP response")
        }
        return Result(url: request.url!, response: response, body: exchange.body)
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

    /// URLError texts on Linux are bare codes; name the usual ones.
    static func describe(_ error: Error) -> String {
        guard let error = error as? URLError else { return "\(error.localizedDescription)" }
        switch error.code {
        case .cannotConnectToHost: return "connection refused"
        case .cannotFindHost, .dnsLookupFailed: return "unknown host"
        case .timedOut: return "timed out"
        case .networkConnectionLost: return "connection lost"
        case .notConnectedToInternet: return "no network"
        case .secureConnectionFailed, .serverCertificateUntrusted, .serverCertificateHasBadDate:
            return "TLS handshake failed"
        default: return "URL error \(error.code.rawValue)"
        }
    }
}

/// The delegate of one request. Callbacks arrive on the session's serial queue; the caller's
/// thread reads the outcome only after `finished` is signalled.
private final class Exchange: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    let finished = DispatchSemaphore(value: 0)
    private let makeSink: HubClient.SinkFactory?
    private var sink: (@Sendable (Data) throws -> Void)?
    private(set) var response: HTTPURLResponse?
    private(set) var body = Data()
    private(set) var transportError: Error?
    private(set) var sinkError: Error?

    init(sink: HubClient.SinkFactory?) { makeSink = sink }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        if let http = response as? HTTPURLResponse {
            self.response = http
            if !(300..<400).contains(http.statusCode) { sink = makeSink?(http) }
        }
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard sinkError == nil else { return }
        guard let sink else { body.append(data); return }
        do {
            try sink(data)
        } catch {
            sinkError = error
            dataTask.cancel()
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
        completionHandler(nil)  // HubClient.get follows it
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        if let error, sinkError == nil { transportError = error }
        if response == nil, let http = task.response as? HTTPURLResponse { response = http }
        finished.signal()
    }
}
