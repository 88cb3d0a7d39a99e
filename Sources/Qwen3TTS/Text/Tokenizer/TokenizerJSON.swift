// A small strict JSON reader for tokenizer files (vocab.json, tokenizer.json, tokenizer_config.json,
// config.json).
//
// Why not JSONSerialization/JSONDecoder: vocabulary keys must stay byte-exact. A Swift
// `[String: Int]` treats canonically equivalent keys as equal (and traps on duplicates when
// bridging), while the official loader compares keys byte for byte. Objects here keep their members
// in file order as (key, value) pairs; the caller decides how to index them. It is also fast enough
// for a 151k-entry vocabulary and gives error positions.

import Foundation

indirect enum TokenizerJSON: Sendable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([TokenizerJSON])
    case object([(key: String, value: TokenizerJSON)])

    struct ParseError: Error {
        let message: String
    }

    /// Parses a whole document; anything but whitespace after the value is an error.
    static func parse(_ bytes: [UInt8]) throws -> TokenizerJSON {
        var parser = Parser(bytes: bytes)
        // A UTF-8 byte-order mark is tolerated, as Python's json.load(encoding="utf-8-sig") is not
        // used by HF but editors do write one.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { parser.pos = 3 }
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        if parser.pos != bytes.count { throw parser.error("unexpected data after the JSON value") }
        return value
    }

    // MARK: accessors

    /// Last member with this key (later duplicates win, as in Python's json and serde maps).
    subscript(key: String) -> TokenizerJSON? {
        guard case .object(let members) = self else { return nil }
        for member in members.reversed() where member.key == key { return member.value }
        return nil
    }

    var isNull: Bool { if case .null = self { return true } else { return false } }
    var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
    var boolValue: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    var intValue: Int? {
        switch self {
        case .int(let i): return i
        case .double(let d) where d == d.rounded() && abs(d) < 9.0e15: return Int(d)
        default: return nil
        }
    }
    var arrayValue: [TokenizerJSON]? { if case .array(let a) = self { return a } else { return nil } }
    var objectMembers: [(key: String, value: TokenizerJSON)]? {
        if case .object(let m) = self { return m } else { return nil }
    }

    var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .int, .double: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    /// The string these bytes spell, or nil when they are not valid UTF-8 (no silent U+FFFD).
    static func validUTF8(_ bytes: ArraySlice<UInt8>) -> String? {
        let s = String(decoding: bytes, as: UTF8.self)
        return s.utf8.elementsEqual(bytes) ? s : nil
    }

    // MARK: parser

    private struct Parser {
        let bytes: [UInt8]
        var pos = 0

        func error(_ message: String) -> ParseError {
            // Report a 1-based line and column: that is what a person opens the file at.
            var line = 1, column = 1
            for b in bytes[0..<min(pos, bytes.count)] {
                if b == 0x0A { line += 1; column = 1 } else if b & 0xC0 != 0x80 { column += 1 }
            }
            return ParseError(message: "\(message) at line \(line), column \(column)")
        }

        mutating func skipWhitespace() {
            while pos < bytes.count {
                switch bytes[pos] {
                case 0x20, 0x09, 0x0A, 0x0D: pos += 1
                default: return
                }
            }
        }

        mutating func parseValue(depth: Int) throws -> TokenizerJSON {
            guard depth < 512 else { throw error("nesting too deep") }
            guard pos < bytes.count else { throw error("unexpected end of file") }
            switch bytes[pos] {
            case UInt8(ascii: "{"): return try parseObject(depth: depth)
            case UInt8(ascii: "["): return try parseArray(depth: depth)
            case UInt8(ascii: "\""): return .string(try parseString())
            case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
            case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
            case UInt8(ascii: "n"): try expectLiteral("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
            default: throw error("unexpected character")
            }
        }

        mutating func expectLiteral(_ word: String) throws {
            let w = Array(word.utf8)
            guard pos + w.count <= bytes.count, bytes[pos..<(pos + w.count)].elementsEqual(w) else {
                throw error("invalid literal")
            }
            pos += w.count
        }

        mutating func parseObject(depth: Int) throws -> TokenizerJSON {
            pos += 1
            var members: [(key: String, value: TokenizerJSON)] = []
            skipWhitespace()
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "}") { pos += 1; return .object(members) }
            while true {
                skipWhitespace()
                guard pos < bytes.count, bytes[pos] == UInt8(ascii: "\"") else { throw error("expected a string key") }
                let key = try parseString()
                skipWhitespace()
                guard pos < bytes.count, bytes[pos] == UInt8(ascii: ":") else { throw error("expected ':'") }
                pos += 1
                skipWhitespace()
                let value = try parseValue(depth: depth + 1)
                members.append((key, value))
                skipWhitespace()
                guard pos < bytes.count else { throw error("unexpected end of file in an object") }
                if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
                if bytes[pos] == UInt8(ascii: "}") { pos += 1; return .object(members) }
                throw error("expected ',' or '}'")
            }
        }

        mutating func parseArray(depth: Int) throws -> TokenizerJSON {
            pos += 1
            var items: [TokenizerJSON] = []
            skipWhitespace()
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "]") { pos += 1; return .array(items) }
            while true {
                skipWhitespace()
                items.append(try parseValue(depth: depth + 1))
                skipWhitespace()
                guard pos < bytes.count else { throw error("unexpected end of file in an array") }
                if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
                if bytes[pos] == UInt8(ascii: "]") { pos += 1; return .array(items) }
                throw error("expected ',' or ']'")
            }
        }

        mutating func parseHex4() throws -> UInt32 {
            guard pos + 4 <= bytes.count else { throw error("truncated \\u escape") }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let c = bytes[pos]
                let d: UInt32
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - UInt8(ascii: "A") + 10)
                default: throw error("invalid \\u escape")
                }
                v = v << 4 | d
                pos += 1
            }
            return v
        }

        mutating func parseString() throws -> String {
            pos += 1  // opening quote
            let start = pos
            // Fast path: no escapes.
            while pos < bytes.count {
                let b = bytes[pos]
                if b == UInt8(ascii: "\"") {
                    let slice = bytes[start..<pos]
                    pos += 1
                    guard let s = TokenizerJSON.validUTF8(slice) else {
                        throw error("invalid UTF-8 in a string")
                    }
                    return s
                }
                if b == UInt8(ascii: "\\") { break }
                if b < 0x20 { throw error("control character in a string") }
                pos += 1
            }
            var out = [UInt8](bytes[start..<pos])
            while pos < bytes.count {
                let b = bytes[pos]
                if b == UInt8(ascii: "\"") {
                    pos += 1
                    guard let s = TokenizerJSON.validUTF8(out[...]) else { throw error("invalid UTF-8 in a string") }
                    return s
                }
                if b < 0x20 { throw error("control character in a string") }
                if b != UInt8(ascii: "\\") { out.append(b); pos += 1; continue }
                pos += 1
                guard pos < bytes.count else { break }
                let e = bytes[pos]
                pos += 1
                switch e {
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "\\"): out.append(0x5C)
                case UInt8(ascii: "/"): out.append(0x2F)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var v = try parseHex4()
                    if (0xD800...0xDBFF).contains(v) {
                        guard pos + 6 <= bytes.count, bytes[pos] == UInt8(ascii: "\\"), bytes[pos + 1] == UInt8(ascii: "u")
                        else { throw error("lone surrogate in a \\u escape") }
                        pos += 2
                        let low = try parseHex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw error("lone surrogate in a \\u escape") }
                        v = 0x10000 + ((v - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(v) {
                        throw error("lone surrogate in a \\u escape")
                    }
                    out.append(contentsOf: UTF8.encode(Unicode.Scalar(v)!)!)
                default:
                    throw error("invalid escape")
                }
            }
            throw error("unterminated string")
        }

        mutating func parseNumber() throws -> TokenizerJSON {
            let start = pos
            var isInteger = true
            if bytes[pos] == UInt8(ascii: "-") { pos += 1 }
            guard pos < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[pos]) else {
                throw error("invalid number")
            }
            if bytes[pos] == UInt8(ascii: "0") {
                pos += 1
            } else {
                while pos < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[pos]) { pos += 1 }
            }
            if pos < bytes.count, bytes[pos] == UInt8(ascii: ".") {
                isInteger = false
                pos += 1
                let digits = pos
                while pos < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[pos]) { pos += 1 }
                guard pos > digits else { throw error("invalid number") }
            }
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "e") || bytes[pos] == UInt8(ascii: "E") {
                isInteger = false
                pos += 1
                if pos < bytes.count, bytes[pos] == UInt8(ascii: "+") || bytes[pos] == UInt8(ascii: "-") { pos += 1 }
                let digits = pos
                while pos < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[pos]) { pos += 1 }
                guard pos > digits else { throw error("invalid number") }
            }
            let text = String(decoding: bytes[start..<pos], as: UTF8.self)
            if isInteger, let i = Int(text) { return .int(i) }
            guard let d = Double(text) else { throw error("invalid number") }
            return .double(d)
        }
    }
}
