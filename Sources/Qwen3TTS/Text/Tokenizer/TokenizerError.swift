// Errors raised while loading a Qwen2 text tokenizer folder. Every message is one line and names
// the file it is about, so a user can fix the checkpoint without reading code.

import Foundation

/// A text-tokenizer folder could not be loaded.
public enum TokenizerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The tokenizer folder itself does not exist (or is not a folder).
    case missingDirectory(path: String)
    /// The folder has neither `tokenizer.json` nor `vocab.json` + `merges.txt`.
    case missingFiles(directory: String)
    /// A required file is absent (for example `merges.txt` beside `vocab.json`).
    case missingFile(path: String)
    /// A file exists but could not be read.
    case unreadableFile(path: String, reason: String)
    /// A JSON file is not valid JSON (or not valid UTF-8).
    case malformedJSON(path: String, reason: String)
    /// A file is valid JSON or text but its content does not have the expected shape.
    case invalidContent(path: String, reason: String)
    /// A merge names a token that is not in the vocabulary (the HF loader refuses these too).
    case unknownMergeToken(path: String, line: Int, token: String)
    /// `tokenizer.json` uses a component this implementation does not reproduce exactly.
    case unsupported(path: String, reason: String)

    public var description: String {
        switch self {
        case .missingDirectory(let path):
            return "tokenizer folder \(path) does not exist or is not a folder"
        case .missingFiles(let directory):
            return "no text tokenizer in \(directory): expected tokenizer.json, or vocab.json + merges.txt"
        case .missingFile(let path):
            return "missing tokenizer file \(path)"
        case .unreadableFile(let path, let reason):
            return "cannot read \(path): \(reason)"
        case .malformedJSON(let path, let reason):
            return "malformed JSON in \(path): \(reason)"
        case .invalidContent(let path, let reason):
            return "invalid tokenizer file \(path): \(reason)"
        case .unknownMergeToken(let path, let line, let token):
            return "\(path): merge \(line) names \(Self.quoted(token)), which is not in the vocabulary"
        case .unsupported(let path, let reason):
            return "unsupported tokenizer in \(path): \(reason)"
        }
    }

    static func quoted(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 || u.properties.generalCategory == .control {
                    out += String(format: "\\u{%X}", u.value)
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }
}

extension TokenizerError: LocalizedError {
    public var errorDescription: String? { description }
}
