// multipart/form-data (RFC 7578), enough for voice uploads: named parts, an optional filename and
// content type, bodies of any bytes.

import Foundation

struct MultipartPart: Sendable {
    var name: String
    var filename: String?
    var contentType: String?
    var body: Data
}

enum Multipart {
    /// The boundary of a `multipart/form-data; boundary=...` content type, or nil.
    static func boundary(contentType: String) -> String? {
        let parts = contentType.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.first?.lowercased() == "multipart/form-data" else { return nil }
        for p in parts.dropFirst() where p.lowercased().hasPrefix("boundary=") {
            var b = String(p.dropFirst("boundary=".count))
            if b.hasPrefix("\""), b.hasSuffix("\""), b.count >= 2 { b = String(b.dropFirst().dropLast()) }
            return b.isEmpty || b.count > 70 ? nil : b
        }
        return nil
    }

    /// The parts of `body`; throws a 400 for anything malformed.
    static func parse(_ body: Data, boundary: String) throws -> [MultipartPart] {
        func bad(_ why: String) -> APIError { .invalid("malformed multipart body: \(why)", code: "invalid_multipart") }
        let bytes = [UInt8](body)
        let delimiter = Array("--\(boundary)".utf8)
        var parts: [MultipartPart] = []
        guard var at = find(delimiter, in: bytes, from: 0) else { throw bad("no boundary '\(boundary)' found") }
        at += delimiter.count
        while true {
            // After a delimiter: "--" ends the body; otherwise CRLF, headers, blank line, content.
            if bytes.count >= at + 2 && bytes[at] == 45 && bytes[at + 1] == 45 { break }
            guard bytes.count >= at + 2, bytes[at] == 13, bytes[at + 1] == 10 else { throw bad("a boundary is not followed by a line break") }
            at += 2
            guard let headerEnd = find([13, 10, 13, 10], in: bytes, from: at) else { throw bad("a part has no end of headers") }
            let headerText = String(decoding: bytes[at..<headerEnd], as: UTF8.self)
            let contentStart = headerEnd + 4
            guard let next = find([13, 10] + delimiter, in: bytes, from: contentStart) else {
                throw bad("a part is not closed by the boundary")
            }
            var name: String?, filename: String?, contentType: String?
            for line in headerText.components(separatedBy: "\r\n") {
                guard let colon = line.firstIndex(of: ":") else { continue }
                let key = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
                let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                if key == "content-disposition" {
                    name = parameter("name", in: value)
                    filename = parameter("filename", in: value)
                } else if key == "content-type" {
                    contentType = value
                }
            }
            guard let name else { throw bad("a part has no name in its Content-Disposition") }
            parts.append(MultipartPart(name: name, filename: filename, contentType: contentType,
                                       body: Data(bytes[contentStart..<next])))
            at = next + 2 + delimiter.count
        }
        return parts
    }

    /// A `key="value"` (or unquoted) parameter of a header value.
    private static func parameter(_ key: String, in value: String) -> String? {
        for item in value.split(separator: ";").dropFirst() {
            let kv = item.trimmingCharacters(in: .whitespaces)
            guard let eq = kv.firstIndex(of: "="), kv[..<eq].lowercased() == key else { continue }
            var v = String(kv[kv.index(after: eq)...])
            if v.hasPrefix("\""), v.hasSuffix("\""), v.count >= 2 { v = String(v.dropFirst().dropLast()) }
            return v.replacingOccurrences(of: "\\\"", with: "\"")
        }
        return nil
    }

    private static func find(_ needle: [UInt8], in hay: [UInt8], from start: Int) -> Int? {
        guard !needle.isEmpty, hay.count >= needle.count else { return nil }
        var i = start
        let last = hay.count - needle.count, first = needle[0]
        while i <= last {
            if hay[i] == first {
                var j = 1
                while j < needle.count && hay[i + j] == needle[j] { j += 1 }
                if j == needle.count { return i }
            }
            i += 1
        }
        return nil
    }
}
