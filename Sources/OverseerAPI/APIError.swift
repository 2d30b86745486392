import Foundation
import HTTPTypes
import Hummingbird
import OverseerSupervisor

/// A JSON error answer: `{"error": {"code", "message", "field"?}}` with a fitting status.
public struct APIError: HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    public var field: String?

    public init(_ status: HTTPResponse.Status, code: String, _ message: String, field: String? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.field = field
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = ErrorBody(error: .init(code: code, message: message, field: field))
        return try JSONResponse.make(body, status: status)
    }

    static func badRequest(_ message: String, field: String? = nil) -> APIError {
        APIError(.badRequest, code: "bad_request", message, field: field)
    }

    /// Maps the agent manager's errors onto HTTP.
    static func from(_ error: AgentError) -> APIError {
        switch error {
        case .invalidName: APIError(.badRequest, code: "invalid_name", error.description, field: "name")
        case .duplicateName: APIError(.conflict, code: "duplicate_name", error.description, field: "name")
        case .tooManyAgents: APIError(.tooManyRequests, code: "too_many_agents", error.description)
        case .notFound: APIError(.notFound, code: "agent_not_found", error.description)
        case .notRunning: APIError(.conflict, code: "agent_not_running", error.description)
        case .busy: APIError(.conflict, code: "agent_busy", error.description)
        case .spawnFailed: APIError(.unprocessableContent, code: "spawn_failed", error.description, field: "argv")
        case .inputTooLarge: APIError(.contentTooLarge, code: "input_too_large", error.description, field: "text")
        case .invalidSize: APIError(.badRequest, code: "invalid_size", error.description, field: "rows")
        case .terminalClosed: APIError(.conflict, code: "terminal_closed", error.description)
        case .shuttingDown: APIError(.serviceUnavailable, code: "shutting_down", error.description)
        case .dispatchNotFound: APIError(.notFound, code: "dispatch_not_found", error.description)
        case .dispatchClosed: APIError(.conflict, code: "dispatch_closed", error.description)
        case .registryUnavailable: APIError(.serviceUnavailable, code: "registry_unavailable", error.description)
        }
    }
}

/// Runs an agent-manager call, turning its typed error into an API error.
func callManager<T>(_ body: () async throws(AgentError) -> T) async throws -> T {
    do {
        return try await body()
    } catch {
        throw APIError.from(error)
    }
}

struct ErrorBody: Codable, Sendable {
    struct Detail: Codable, Sendable {
        var code: String
        var message: String
        var field: String?
    }
    var error: Detail
}

/// JSON encoding and decoding with errors that name the offending field.
enum JSONResponse {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    static func make(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try encoder.encode(value)
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// Reads and decodes a JSON body; a decoding failure becomes a 400 naming the field.
    static func decode<T: Decodable>(_ type: T.Type, from request: Request, context: OverseerRequestContext) async throws -> T {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: context.maxUploadSize)
        } catch {
            throw APIError(.contentTooLarge, code: "body_too_large", "request body exceeds \(context.maxUploadSize) bytes")
        }
        if buffer.readableBytes == 0 { throw APIError.badRequest("request body is empty: send a JSON object") }
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
        } catch let error as DecodingError {
            throw describe(error)
        }
    }

    static func describe(_ error: DecodingError) -> APIError {
        func path(_ codingPath: [any CodingKey], _ last: (any CodingKey)? = nil) -> String {
            let keys = codingPath + (last.map { [$0] } ?? [])
            return keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case .keyNotFound(let key, let context):
            let field = path(context.codingPath, key)
            return .badRequest("missing required field \"\(field)\"", field: field)
        case .typeMismatch(let type, let context):
            let field = path(context.codingPath)
            return .badRequest("field \"\(field)\" has the wrong type (expected \(describe(type)))", field: field)
        case .valueNotFound(let type, let context):
            let field = path(context.codingPath)
            return .badRequest("field \"\(field)\" is null (expected \(describe(type)))", field: field)
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return .badRequest("request body is not valid JSON") }
            let field = path(context.codingPath)
            return .badRequest("field \"\(field)\" is invalid: \(context.debugDescription)", field: field)
        @unknown default:
            return .badRequest("request body could not be decoded")
        }
    }

    static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is [String].Type: "an array of strings"
        case is Bool.Type: "true or false"
        case is [String: String].Type: "an object of strings"
        case is UInt16.Type, is Int.Type, is UInt64.Type, is Int32.Type: "a whole number"
        default: "\(type)"
        }
    }
}
