// Reusable voice files: a VoicePrompt saved as versioned JSON, bound to the model geometry it was
// made for and sealed with a SHA-256 of its content, so a damaged or foreign file is refused on
// load instead of silently producing a wrong voice.

import Foundation

public enum VoiceFileError: Error, CustomStringConvertible, Sendable {
    case unreadable(path: String, reason: String)
    case notAVoiceFile(path: String)
    case unsupportedVersion(path: String, version: Int)
    case damaged(path: String)
    case wrongModel(path: String, madeFor: String, model: String)

    public var description: String {
        switch self {
        case .unreadable(let p, let r): return "cannot read voice file \(p): \(r)"
        case .notAVoiceFile(let p): return "\(p) is not a qwen3-tts voice file"
        case .unsupportedVersion(let p, let v): return "voice file \(p) has version \(v); this build reads version \(VoiceFile.version)"
        case .damaged(let p): return "voice file \(p) is damaged (its checksum does not match its content); create it again"
        case .wrongModel(let p, let made, let model):
            return "voice file \(p) was made for a \(made) model and cannot be used with this \(model) model; create it again with this model"
        }
    }
}

public enum VoiceFile {
    public static let format = "qwen3-tts-voice"
    public static let version = 1

    /// What a voice depends on: the x-vector width (the talker hidden size) and the codec's code
    /// geometry. Model sizes differ in the first, so a 0.6B voice never loads into a 1.7B model.
    struct Geometry: Codable, Equatable {
        var ttsModelSize: String
        var hiddenSize: Int
        var codeGroups: Int
        var codebookSize: Int
        var description: String { "\(ttsModelSize) (hidden size \(hiddenSize))" }
    }

    struct Payload: Codable {
        var geometry: Geometry
        var voice: VoicePrompt
    }

    struct Envelope: Codable {
        var format: String
        var version: Int
        var sha256: String
        var payload: Payload
    }

    static func geometry(of model: Qwen3TTSModel) -> Geometry {
        let t = model.config.talkerConfig
        return Geometry(ttsModelSize: model.config.ttsModelSize ?? "unknown", hiddenSize: t.hiddenSize,
                        codeGroups: t.numCodeGroups, codebookSize: t.codePredictorConfig.vocabSize)
    }

    static func digest(_ payload: Payload) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var sha = SHA256()
        sha.update(try encoder.encode(payload))
        return sha.finalize()
    }

    /// `voice` for `model`, as the bytes of a voice file (a server stores these in its database).
    public static func encode(_ voice: VoicePrompt, for model: Qwen3TTSModel) throws -> Data {
        let payload = Payload(geometry: geometry(of: model), voice: voice)
        let envelope = Envelope(format: format, version: version, sha256: try digest(payload), payload: payload)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(envelope)
    }

    /// Writes `voice` for `model` to `path` (atomically).
    public static func save(_ voice: VoicePrompt, for model: Qwen3TTSModel, to path: String) throws {
        do { try encode(voice, for: model).write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
            throw VoiceFileError.unreadable(path: path, reason: "cannot write: \(error.localizedDescription)")
        }
    }

    /// Reads a voice file and checks it against `model`.
    public static func load(_ path: String, for model: Qwen3TTSModel) throws -> VoicePrompt {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw VoiceFileError.unreadable(path: path, reason: FileManager.default.fileExists(atPath: path) ? "permission denied" : "no such file")
        }
        return try decode(data, name: path, for: model)
    }

    /// The voice in `data` (a voice file's bytes), checked against `model`; `name` is what errors
    /// call it.
    public static func decode(_ data: Data, name path: String, for model: Qwen3TTSModel) throws -> VoicePrompt {
        guard let head = try? JSONSerialization.jsonObject(with: data) as? [String: Any], head["format"] as? String == format else {
            throw VoiceFileError.notAVoiceFile(path: path)
        }
        guard let v = head["version"] as? Int, v == version else {
            throw VoiceFileError.unsupportedVersion(path: path, version: head["version"] as? Int ?? -1)
        }
        guard let envelope = try? JSONDecoder().decode(Envelope.self, from: data),
              let sum = try? digest(envelope.payload), sum == envelope.sha256
        else { throw VoiceFileError.damaged(path: path) }
        let expected = geometry(of: model)
        guard envelope.payload.geometry == expected else {
            throw VoiceFileError.wrongModel(path: path, madeFor: envelope.payload.geometry.description, model: expected.description)
        }
        let voice = envelope.payload.voice
        try voice.validate(hiddenSize: expected.hiddenSize, codeGroups: expected.codeGroups, codebookSize: expected.codebookSize)
        return voice
    }

    /// What a voice made with `model` can be used with (e.g. "0.6B (hidden size 1024)").
    public static func compatibility(of model: Qwen3TTSModel) -> String { geometry(of: model).description }
}
