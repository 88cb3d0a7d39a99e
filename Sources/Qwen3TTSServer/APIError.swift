// Errors as OpenAI's API returns them: `{"error": {"message", "type", "param", "code"}}` with the
// matching HTTP status, so OpenAI clients raise their usual exceptions with our message.

import AudioIO
import Foundation
import Hummingbird
import Qwen3TTS

public struct APIError: Error, HTTPResponseError, CustomStringConvertible, Sendable {
    public var status: HTTPResponse.Status
    public var message: String
    /// OpenAI's error types: invalid_request_error, authentication_error, not_found_error,
    /// rate_limit_error, server_error ...
    public var type: String
    public var param: String?
    public var code: String?
    /// Extra response headers (Retry-After on 429).
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, _ message: String, type: String = "invalid_request_error",
                param: String? = nil, code: String? = nil) {
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
    }

    public var description: String { "\(status.code) \(type): \(message)" }

    static func invalid(_ message: String, param: String? = nil, code: String = "invalid_value") -> APIError {
        APIError(.badRequest, message, param: param, code: code)
    }

    static func notFound(_ message: String, param: String? = nil) -> APIError {
        APIError(.notFound, message, type: "not_found_error", param: param, code: "not_found")
    }

    /// The body; `param` and `code` are always present (null when unknown), as in OpenAI's.
    var json: ByteBuffer {
        let detail: [String: Any] = ["message": message, "type": type, "param": param ?? NSNull(), "code": code ?? NSNull()]
        let data = (try? JSONSerialization.data(withJSONObject: ["error": detail], options: [.sortedKeys])) ?? Data()
        return ByteBuffer(bytes: data)
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var h = headers
        h[.contentType] = "application/json"
        return Response(status: status, headers: h, body: .init(byteBuffer: json))
    }
}

extension APIError {
    /// The API error for anything a request can fail with: what the user can fix is a 4xx naming
    /// the problem; anything else is a 500 whose message says what failed.
    static func from(_ error: Error, param: String? = nil) -> APIError {
        switch error {
        case let e as APIError: return e
        case let e as SchedulerError:
            switch e {
            case .queueFull:
                var api = APIError(.tooManyRequests, e.description, type: "rate_limit_error", code: "queue_full")
                api.headers[.retryAfter] = "1"
                return api
            case .shuttingDown:
                var api = APIError(.serviceUnavailable, e.description, type: "server_error", code: "shutting_down")
                api.headers[.retryAfter] = "5"
                return api
            }
        case let e as GenerationError: return .invalid(e.description, param: param, code: "invalid_request")
        case let e as AudioError:
            if case .missingLibrary = e { return APIError(.badRequest, e.description, param: param, code: "unsupported_format") }
            if case .writeFailed = e { return APIError(.internalServerError, e.description, type: "server_error", code: "encoding_failed") }
            return .invalid(e.description, param: param ?? "audio", code: "invalid_audio")
        case let e as VoiceFileError: return APIError(.internalServerError, e.description, type: "server_error", code: "voice_unusable")
        case let e as VoiceStoreError: return e.apiError
        default: return APIError(.internalServerError, "internal error: \(error)", type: "server_error", code: "internal_error")
        }
    }
}
