// A minimal HTTP/1.1 client over POSIX sockets, so the tests speak to the server the way any client
// does (a real loopback connection), and can also do what libraries hide: read a response slowly,
// hang up in the middle of a stream.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

struct HTTPResponse: @unchecked Sendable {
    var status: Int
    var headers: [String: String]   // lower-cased names
    var body: Data
    var complete: Bool              // the body ended as framed (Content-Length or last chunk)

    var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] }
    var text: String { String(decoding: body, as: UTF8.self) }
    /// The OpenAI-style error detail, when the body is one.
    var error: [String: Any]? { json?["error"] as? [String: Any] }
}

enum HTTPClientError: Error { case connect(String), io(String), malformed(String) }

final class HTTPConnection: @unchecked Sendable {
    let fd: Int32
    private var buffer = [UInt8]()

    init(port: Int, host: String = "127.0.0.1") throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HTTPClientError.connect("socket: \(errno)") }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &addr.sin_addr)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            let e = errno
            close(fd)
            throw HTTPClientError.connect("connect to port \(port): errno \(e)")
        }
        var timeout = timeval(tv_sec: 120, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    func send(_ data: Data) throws {
        try data.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = Glibc.send(fd, raw.baseAddress! + done, raw.count - done, Int32(MSG_NOSIGNAL))
                guard n > 0 else { throw HTTPClientError.io("send: errno \(errno)") }
                done += n
            }
        }
    }

    func sendRequest(_ method: String, _ path: String, headers: [String: String] = [:], body: Data = Data()) throws {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        var h = headers
        if h["Content-Length"] == nil && (!body.isEmpty || method == "POST") { h["Content-Length"] = String(body.count) }
        for (k, v) in h { head += "\(k): \(v)\r\n" }
        head += "\r\n"
        try send(Data(head.utf8) + body)
    }

    /// Reads more bytes; false at end of stream.
    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = recv(fd, &chunk, chunk.count, 0)
        if n < 0 { throw HTTPClientError.io("recv: errno \(errno)") }
        if n == 0 { return false }
        buffer += chunk[0..<n]
        return true
    }

    private func readLine() throws -> String? {
        while true {
            if let i = buffer.firstIndex(of: 10) {
                var line = Array(buffer[..<i])
                buffer.removeFirst(i + 1)
                if line.last == 13 { line.removeLast() }
                return String(decoding: line, as: UTF8.self)
            }
            guard try fill() else { return nil }
        }
    }

    private func read(_ n: Int) throws -> [UInt8]? {
        while buffer.count < n { guard try fill() else { return nil } }
        let out = Array(buffer[..<n])
        buffer.removeFirst(n)
        return out
    }

    func readHead() throws -> (Int, [String: String]) {
        guard let status = try readLine() else { throw HTTPClientError.malformed("connection closed before a response") }
        let parts = status.split(separator: " ")
        guard parts.count >= 2, let code = Int(parts[1]) else { throw HTTPClientError.malformed("status line '\(status)'") }
        var headers: [String: String] = [:]
        while let line = try readLine(), !line.isEmpty {
            guard let c = line.firstIndex(of: ":") else { continue }
            headers[line[..<c].lowercased()] = line[line.index(after: c)...].trimmingCharacters(in: .whitespaces)
        }
        return (code, headers)
    }

    /// Reads the body; `onChunk` sees each piece as it arrives and may return false to stop reading.
    func readBody(_ headers: [String: String], onChunk: (Data) -> Bool = { _ in true }) throws -> (Data, Bool) {
        var body = Data()
        if headers["transfer-encoding"]?.lowercased() == "chunked" {
            while let sizeLine = try readLine() {
                guard let size = Int(sizeLine.split(separator: ";")[0], radix: 16) else { return (body, false) }
                if size == 0 {
                    _ = try readLine()
                    return (body, true)
                }
                guard let bytes = try read(size) else { return (body, false) }
                _ = try readLine()
                let piece = Data(bytes)
                body += piece
                if !onChunk(piece) { return (body, false) }
            }
            return (body, false)
        }
        if let length = headers["content-length"].flatMap(Int.init) {
            guard let bytes = try read(length) else { return (Data(buffer), false) }
            return (Data(bytes), true)
        }
        while try fill() {}
        body = Data(buffer)
        return (body, true)
    }

    func response(onChunk: (Data) -> Bool = { _ in true }) throws -> HTTPResponse {
        let (status, headers) = try readHead()
        let (body, complete) = try readBody(headers, onChunk: onChunk)
        return HTTPResponse(status: status, headers: headers, body: body, complete: complete)
    }
}

/// Runs blocking socket work on its own thread: a test blocking the few threads of Swift's
/// cooperative pool would starve the in-process server it talks to.
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { c in
        let t = Thread { c.resume(with: Result { try body() }) }
        t.start()
    }
}

/// One request on a new connection.
func http(_ method: String, _ port: Int, _ path: String, headers: [String: String] = [:], body: Data = Data()) async throws
    -> HTTPResponse
{
    try await offPool {
        let c = try HTTPConnection(port: port)
        var h = headers
        h["Connection"] = "close"
        try c.sendRequest(method, path, headers: h, body: body)
        return try c.response()
    }
}

func postJSON(_ port: Int, _ path: String, _ object: [String: Any], headers: [String: String] = [:]) async throws -> HTTPResponse {
    var h = headers
    h["Content-Type"] = "application/json"
    return try await http("POST", port, path, headers: h, body: try JSONSerialization.data(withJSONObject: object))
}

/// A multipart/form-data body of text fields and one file.
func multipart(fields: [(String, String)], file: (name: String, filename: String, type: String, data: Data)?) -> (String, Data) {
    let boundary = "qwen3ttsboundary\(UInt32.random(in: 0...UInt32.max))"
    var body = Data()
    for (k, v) in fields {
        body += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(k)\"\r\n\r\n\(v)\r\n".utf8)
    }
    if let file {
        body += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(file.name)\"; filename=\"\(file.filename)\"\r\nContent-Type: \(file.type)\r\n\r\n".utf8)
        body += file.data + Data("\r\n".utf8)
    }
    body += Data("--\(boundary)--\r\n".utf8)
    return ("multipart/form-data; boundary=\(boundary)", body)
}
