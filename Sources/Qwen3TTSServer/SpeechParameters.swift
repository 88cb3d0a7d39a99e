// The body of POST /v1/audio/speech: OpenAI's fields plus the extensions clients of other Qwen3-TTS
// servers send (named as vLLM-Omni names them), checked field by field so every mistake comes back
// as a 400 naming the field.

import AudioIO
import Foundation
import Qwen3TTS

struct SpeechParameters: Sendable {
    var model: String?
    var input: String
    /// A built-in speaker or a stored voice name (also accepted as `{"id": ...}`).
    var voice: String?
    var instructions: String?
    var format: ResponseFormat = .wav
    var streamFormat: StreamFormat = .audio
    /// CustomVoice, VoiceDesign or Base (must match the loaded checkpoint when given).
    var taskType: ModelKind?
    var language: String?
    /// Reference audio bytes (decoded from base64 or a data URL) and transcript.
    var refAudio: Data?
    var refText: String?
    var xVectorOnly = false
    var overrides = GenerationOverrides()

    enum StreamFormat: String, Sendable { case audio, sse }

    /// Parses and checks `body`. `maxInput` bounds `input` in characters, `maxRefAudio` the decoded
    /// reference audio in bytes.
    static func parse(_ body: Data, maxInput: Int, maxRefAudio: Int) throws -> SpeechParameters {
        guard !body.isEmpty else { throw APIError.invalid("the request body is empty; send a JSON object", code: "invalid_json") }
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed]) } catch {
            throw APIError.invalid("the request body is not valid JSON", code: "invalid_json")
        }
        guard let json = object as? [String: Any] else {
            throw APIError.invalid("the request body must be a JSON object", code: "invalid_json")
        }
        let f = Fields(json)
        guard let input = try f.string("input") else { throw APIError.invalid("'input' is required", param: "input", code: "missing_field") }
        guard !input.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw APIError.invalid("'input' is empty", param: "input")
        }
        guard input.count <= maxInput else {
            throw APIError.invalid("'input' has \(input.count) characters; the limit is \(maxInput)", param: "input",
                                   code: "input_too_long")
        }
        var p = SpeechParameters(input: input)
        p.model = try f.string("model")
        if let v = json["voice"] as? [String: Any] {
            guard let id = v["id"] as? String else { throw APIError.invalid("'voice' object needs a string 'id'", param: "voice") }
            p.voice = id
        } else {
            p.voice = try f.string("voice")
        }
        p.instructions = try f.string("instructions")
        if let name = try f.string("response_format") {
            guard let format = ResponseFormat(rawValue: name.lowercased()) else {
                throw APIError.invalid("response_format '\(name)' is not supported; use one of \(ResponseFormat.allCases.map(\.rawValue).joined(separator: ", "))",
                                       param: "response_format", code: "unsupported_format")
            }
            p.format = format
        }
        if let speed = try f.number("speed"), speed != 1 {
            throw APIError.invalid("speed \(speed) is not supported: this server speaks at the model's natural pace (speed 1.0)",
                                   param: "speed", code: "unsupported_value")
        }
        if let s = try f.string("stream_format") {
            guard let sf = StreamFormat(rawValue: s.lowercased()) else {
                throw APIError.invalid("stream_format '\(s)' is not supported; use audio or sse", param: "stream_format")
            }
            p.streamFormat = sf
        }
        if let t = try f.string("task_type") {
            switch t.lowercased().replacingOccurrences(of: "_", with: "") {
            case "customvoice": p.taskType = .customVoice
            case "voicedesign": p.taskType = .voiceDesign
            case "base", "voiceclone", "clone": p.taskType = .base
            default:
                throw APIError.invalid("task_type '\(t)' is not one of CustomVoice, VoiceDesign, Base", param: "task_type")
            }
        }
        p.language = try f.string("language")
        if let ref = try f.string("ref_audio") {
            p.refAudio = try decodeAudio(ref, param: "ref_audio", limit: maxRefAudio)
        }
        p.refText = try f.string("ref_text")
        p.xVectorOnly = try f.bool("x_vector_only_mode") ?? false
        if let seed = try f.integer("seed") {
            guard seed >= 0 else { throw APIError.invalid("seed must not be negative", param: "seed") }
            p.overrides.seed = UInt64(seed)
        }
        p.overrides.temperature = try f.number("temperature")
        p.overrides.topK = try f.integer("top_k")
        p.overrides.topP = try f.number("top_p")
        p.overrides.repetitionPenalty = try f.number("repetition_penalty")
        p.overrides.maxNewTokens = try f.integer("max_new_tokens")
        if let t = p.overrides.temperature, t == 0 {
            // OpenAI-style clients send temperature 0 for "deterministic": greedy decoding.
            p.overrides.temperature = nil
            p.overrides.greedy = true
        }
        do { try p.overrides.validate() } catch let e as GenerationError {
            let message = e.description
            let param = GenerationOverrides.Field.allCases.map(\.rawValue).first { message.hasPrefix($0 + " ") }
            throw APIError.invalid(message, param: param)
        }
        return p
    }

    /// Audio given inline: a data URL (`data:audio/wav;base64,...`) or bare base64.
    static func decodeAudio(_ s: String, param: String, limit: Int) throws -> Data {
        var payload = Substring(s)
        if s.hasPrefix("data:") {
            guard let comma = s.firstIndex(of: ","), s[..<comma].hasSuffix(";base64") else {
                throw APIError.invalid("\(param) must be a base64 data URL (data:audio/...;base64,...)", param: param)
            }
            payload = s[s.index(after: comma)...]
        } else if s.hasPrefix("http://") || s.hasPrefix("https://") || s.hasPrefix("file:") {
            throw APIError.invalid("\(param) must carry the audio itself (base64 or a data URL); this server fetches no URLs",
                                   param: param)
        }
        guard payload.count <= limit / 3 * 4 + 8 else {
            throw APIError(.contentTooLarge, "\(param) is larger than the \(limit / 1_000_000) MB limit", param: param,
                           code: "audio_too_large")
        }
        guard let data = Data(base64Encoded: String(payload), options: [.ignoreUnknownCharacters]), !data.isEmpty else {
            throw APIError.invalid("\(param) is not valid base64", param: param)
        }
        return data
    }

    /// Typed access to the JSON object's fields; a value of the wrong type is a 400 naming it.
    struct Fields {
        let json: [String: Any]
        init(_ json: [String: Any]) { self.json = json }

        private func value(_ key: String) -> Any? {
            guard let v = json[key], !(v is NSNull) else { return nil }
            return v
        }
        private func wrong(_ key: String, _ type: String) -> APIError {
            .invalid("'\(key)' must be \(type)", param: key, code: "invalid_type")
        }
        func string(_ key: String) throws -> String? {
            guard let v = value(key) else { return nil }
            guard let s = v as? String else { throw wrong(key, "a string") }
            return s
        }
        func number(_ key: String) throws -> Double? {
            guard let v = value(key) else { return nil }
            guard let n = v as? NSNumber, !Self.isBool(n), n.doubleValue.isFinite else { throw wrong(key, "a number") }
            return n.doubleValue
        }
        func integer(_ key: String) throws -> Int? {
            guard let d = try number(key) else { return nil }
            guard d == d.rounded(), abs(d) < 9.0e15 else { throw wrong(key, "an integer") }
            return Int(d)
        }
        func bool(_ key: String) throws -> Bool? {
            guard let v = value(key) else { return nil }
            guard let n = v as? NSNumber, Self.isBool(n) else { throw wrong(key, "true or false") }
            return n.boolValue
        }
        static func isBool(_ n: NSNumber) -> Bool {
            #if canImport(Darwin)
            return CFGetTypeID(n) == CFBooleanGetTypeID()
            #else
            return type(of: n) == type(of: NSNumber(value: true))
            #endif
        }
    }
}

/// The audio formats a response can carry.
enum ResponseFormat: String, CaseIterable, Sendable {
    case wav, pcm, flac, mp3, opus

    var audioFormat: AudioFormat {
        switch self {
        case .wav: .wav
        case .pcm: .pcm
        case .flac: .flac
        case .mp3: .mp3
        case .opus: .opus
        }
    }

    var contentType: String {
        switch self {
        case .wav: "audio/wav"
        case .pcm: "audio/pcm"
        case .flac: "audio/flac"
        case .mp3: "audio/mpeg"
        case .opus: "audio/ogg"
        }
    }
}
