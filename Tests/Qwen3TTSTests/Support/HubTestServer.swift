// A small HTTP/1.1 server on 127.0.0.1 that answers the way the Hugging Face hub does for one
// fake model repo, so the hub client is tested against real sockets and libcurl:
//
//   GET /api/models/{repo}/revision/{rev}      JSON listing {sha, siblings[{rfilename, size, blobId, lfs}]}
//   GET|HEAD /{repo}/resolve/{rev}/{path}      small files: 200 with the content;
//                                              LFS files: 302 to http://localhost:{port}/cdn/{sha256}
//   GET /cdn/{sha256}                          the content, honouring `Range: bytes=N-`
//
// Switches inject failures: a token to demand, bodies cut short, corrupt content. One thread per
// connection; every response closes its connection.

import Foundation
@testable import Qwen3TTS

final class HubTestServer: @unchecked Sendable {
    struct File {
        let path: String
        let content: Data
        let lfs: Bool
        /// Overrides the size the listing reports (to fake a huge file).
        var advertisedSize: Int64?

        let sha256: String
        let gitBlobID: String
        var etag: String { lfs ? sha256 : gitBlobID }

        init(_ path: String, _ content: Data, lfs: Bool = false, advertisedSize: Int64? = nil) {
            self.path = path
            self.content = content
            self.lfs = lfs
            self.advertisedSize = advertisedSize
            var sha256 = SHA256()
            sha256.update(content)
            self.sha256 = sha256.finalize()
            var sha1 = SHA1()
            sha1.update(Data("blob \(content.count)\0".utf8))
            sha1.update(content)
            gitBlobID = sha1.finalize()
        }
    }

    struct Request {
        let method: String
        let path: String
        let headers: [String: String]  // lowercased names
    }

    let repo: String
    let commit: String
    let files: [File]
    private(set) var port: UInt16 = 0
    var endpoint: String { "http://127.0.0.1:\(port)" }

    private let lock = NSLock()
    private var listener: Int32 = -1
    private var _requests: [Request] = []
    private var _requiredToken: String?
    private var _cuts: [String: [Int]] = [:]
    private var _corrupt: Set<String> = []

    /// Every request received, in order.
    var requests: [Request] { lock.withLock { _requests } }
    /// When set, the API and /resolve answer 401 unless `Authorization: Bearer <token>` comes along.
    var requiredToken: String? {
        get { lock.withLock { _requiredToken } }
        set { lock.withLock { _requiredToken = newValue } }
    }
    /// Per file path: for each coming request of its content, how many body bytes to send before
    /// dropping the connection (the declared Content-Length stays the full one).
    var cuts: [String: [Int]] {
        get { lock.withLock { _cuts } }
        set { lock.withLock { _cuts = newValue } }
    }
    /// Files served with one byte flipped (same size, wrong hash).
    var corrupt: Set<String> {
        get { lock.withLock { _corrupt } }
        set { lock.withLock { _corrupt = newValue } }
    }

    init(repo: String = "Qwen/Qwen3-TTS-Test", commit: String = "0123456789abcdef0123456789abcdef01234567",
         files: [File] = HubTestServer.checkpointFiles()) throws {
        self.repo = repo
        self.commit = commit
        self.files = files
        try start()
    }

    /// A fake checkpoint: every file the engine reads, plus repo files it must not download.
    static func checkpointFiles(weightBytes: Int = 200_000) -> [File] {
        func random(_ count: Int) -> Data {
            var words = [UInt64](repeating: 0, count: (count + 7) / 8)
            for i in words.indices { words[i] = UInt64.random(in: .min ... .max) }
            return words.withUnsafeBytes { Data($0.prefix(count)) }
        }
        func text(_ s: String) -> Data { Data(s.utf8) }
        return [
            File(".gitattributes", text("*.safetensors filter=lfs diff=lfs merge=lfs -text\n")),
            File("README.md", text("# test model\n")),
            File("config.json", text(#"{"model_type": "qwen3_tts"}"#)),
            File("generation_config.json", text(#"{"do_sample": true}"#)),
            File("merges.txt", text("#version: 0.2\nĠ t\n")),
            File("vocab.json", text(#"{"a": 0, "b": 1}"#)),
            File("tokenizer_config.json", text(#"{"model_max_length": 32768}"#)),
            File("preprocessor_config.json", text(#"{"processor_class": "Qwen3TTSProcessor"}"#)),
            File("model.safetensors", random(weightBytes), lfs: true),
            File("speech_tokenizer/config.json", text(#"{"model_type": "qwen3_tts_tokenizer_12hz"}"#)),
            File("speech_tokenizer/configuration.json", text(#"{"framework": "pytorch"}"#)),
            File("speech_tokenizer/preprocessor_config.json", text(#"{"sampling_rate": 24000}"#)),
            File("speech_tokenizer/model.safetensors", random(weightBytes / 2), lfs: true),
            File("onnx/model.onnx", random(1000), lfs: true),
        ]
    }

    func file(_ path: String) -> File? { files.first { $0.path == path } }

    // MARK: - Socket plumbing

    private func start() throws {
        #if os(Linux)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw ServerError("socket: \(errno)") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0  // ephemeral
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else { close(fd); throw ServerError("bind/listen: \(errno)") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = UInt16(bigEndian: address.sin_port)
        listener = fd
        Thread.detachNewThread { [self] in
            while true {
                let client = accept(fd, nil, nil)
                if client < 0 {
                    if errno == EINTR { continue }
                    return  // closed by stop()
                }
                #if !os(Linux)
                var yes: Int32 = 1  // a client hanging up must not raise SIGPIPE
                setsockopt(client, SOL_SOCKET, SO_NOSIGPIPE, &yes, socklen_t(MemoryLayout<Int32>.size))
                #endif
                Thread.detachNewThread { [self] in
                    serve(client)
                    close(client)
                }
            }
        }
    }

    func stop() {
        let fd = lock.withLock { () -> Int32 in
            let fd = listener
            listener = -1
            return fd
        }
        guard fd >= 0 else { return }
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
    }

    private func serve(_ fd: Int32) {
        var received = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while received.range(of: Data("\r\n\r\n".utf8)) == nil {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { return }
            received.append(contentsOf: buffer[0..<n])
        }
        let head = String(decoding: received, as: UTF8.self).components(separatedBy: "\r\n\r\n")[0]
        let lines = head.components(separatedBy: "\r\n")
        let requestLine = lines[0].split(separator: " ")
        guard requestLine.count >= 2 else { return }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let request = Request(method: String(requestLine[0]), path: String(requestLine[1]), headers: headers)
        lock.withLock { _requests.append(request) }
        respond(to: request, fd: fd)
    }

    // MARK: - The hub's routes

    private func respond(to request: Request, fd: Int32) {
        let path = request.path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? ""
        let apiPrefix = "/api/models/\(repo)/revision/"
        let resolvePrefix = "/\(repo)/resolve/"

        if path.hasPrefix("/api/models/") {
            guard path.hasPrefix(apiPrefix) else {
                return reply(fd, status: 404, headers: ["X-Error-Code": "RepoNotFound"], body: Data("Repository not found".utf8))
            }
            guard authorized(request) else { return sendUnauthorized(fd) }
            let revision = String(path.dropFirst(apiPrefix.count)).removingPercentEncoding ?? ""
            guard revision == "main" || revision == commit else {
                return reply(fd, status: 404, headers: ["X-Error-Code": "RevisionNotFound"], body: Data("Invalid rev id".utf8))
            }
            return reply(fd, status: 200, headers: ["Content-Type": "application/json"], body: listing())
        }
        if path.hasPrefix(resolvePrefix) {
            guard authorized(request) else { return sendUnauthorized(fd) }
            let rest = path.dropFirst(resolvePrefix.count)
            guard let slash = rest.firstIndex(of: "/"),
                  let file = file(String(rest[rest.index(after: slash)...]).removingPercentEncoding ?? "") else {
                return reply(fd, status: 404, headers: ["X-Error-Code": "EntryNotFound"], body: Data("Entry not found".utf8))
            }
            if file.lfs {
                // The hub sends LFS files to a CDN on another host; "localhost" is another host
                // name for this same server, so the client must drop Authorization here.
                return reply(fd, status: 302, headers: ["Location": "http://localhost:\(port)/cdn/\(file.sha256)",
                                                       "X-Linked-Etag": "\"\(file.sha256)\"", "X-Linked-Size": "\(file.content.count)",
                                                       "X-Repo-Commit": commit],
                            body: Data())
            }
            return sendContent(file, request: request, fd: fd, extra: ["ETag": "\"\(file.gitBlobID)\"", "X-Repo-Commit": commit])
        }
        if path.hasPrefix("/cdn/"), let file = files.first(where: { $0.lfs && "/cdn/" + $0.sha256 == path }) {
            return sendContent(file, request: request, fd: fd, extra: [:])
        }
        reply(fd, status: 404, headers: [:], body: Data("not found".utf8))
    }

    private func authorized(_ request: Request) -> Bool {
        guard let token = requiredToken else { return true }
        return request.headers["authorization"] == "Bearer \(token)"
    }

    private func sendUnauthorized(_ fd: Int32) {
        reply(fd, status: 401, headers: ["X-Error-Code": "GatedRepo"], body: Data("Access to this model is restricted".utf8))
    }

    private func listing() -> Data {
        let siblings: [[String: Any]] = files.map { file in
            let size = file.advertisedSize ?? Int64(file.content.count)
            var entry: [String: Any] = ["rfilename": file.path, "size": size, "blobId": file.gitBlobID]
            if file.lfs {
                // blobId of an LFS file is the id of its pointer file, not of the content.
                entry["blobId"] = String(file.gitBlobID.reversed())
                entry["lfs"] = ["sha256": file.sha256, "size": size, "pointerSize": 134]
            }
            return entry
        }
        let json: [String: Any] = ["id": repo, "modelId": repo, "sha": commit, "siblings": siblings]
        return try! JSONSerialization.data(withJSONObject: json)
    }

    private func sendContent(_ file: File, request: Request, fd: Int32, extra: [String: String]) {
        var content = file.content
        if corrupt.contains(file.path), !content.isEmpty { content[content.startIndex] ^= 0xff }
        var start = 0
        if let range = request.headers["range"], range.hasPrefix("bytes="), range.hasSuffix("-"),
           let offset = Int(range.dropFirst(6).dropLast()) {
            guard offset < content.count else {
                return reply(fd, status: 416, headers: ["Content-Range": "bytes */\(content.count)"], body: Data())
            }
            start = offset
        }
        let cut: Int? = lock.withLock {
            guard var queue = _cuts[file.path], !queue.isEmpty else { return nil }
            let first = queue.removeFirst()
            _cuts[file.path] = queue
            return first
        }
        var headers = extra
        headers["Accept-Ranges"] = "bytes"
        if start > 0 { headers["Content-Range"] = "bytes \(start)-\(content.count - 1)/\(content.count)" }
        reply(fd, status: start > 0 ? 206 : 200, headers: headers, body: content[start...], cutAfter: cut,
              headOnly: request.method == "HEAD")
    }

    private func reply(_ fd: Int32, status: Int, headers: [String: String], body: Data, cutAfter: Int? = nil,
                       headOnly: Bool = false) {
        let reasons = [200: "OK", 206: "Partial Content", 302: "Found", 401: "Unauthorized", 404: "Not Found",
                       416: "Range Not Satisfiable"]
        var head = "HTTP/1.1 \(status) \(reasons[status] ?? "Status")\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "Content-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        var out = Data(head.utf8)
        if !headOnly { out.append(body.prefix(cutAfter ?? body.count)) }
        out.withUnsafeBytes { bytes in
            var done = 0
            while done < bytes.count {
                #if os(Linux)
                let n = send(fd, bytes.baseAddress! + done, bytes.count - done, Int32(MSG_NOSIGNAL))
                #else
                let n = send(fd, bytes.baseAddress! + done, bytes.count - done, 0)
                #endif
                if n <= 0 { return }
                done += n
            }
        }
        if cutAfter != nil { shutdown(fd, Int32(SHUT_RDWR)) }  // a dropped connection, mid-body
    }
}

struct ServerError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
