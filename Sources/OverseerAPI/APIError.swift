import Foundation
import HTTPTypes
import Hummingbird
import OverseerSupervisor
import OverseerWire

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

    /// Maps the supervisor's errors onto HTTP: the one place statuses and codes are chosen.
    init(_ error: SupervisorError) {
        let message = error.description
        switch error {
        case .invalidName: self.init(.badRequest, code: "invalid_name", message, field: "name")
        case .duplicateName: self.init(.conflict, code: "duplicate_name", message, field: "name")
        case .tooManyAgents: self.init(.tooManyRequests, code: "too_many_agents", message)
        case .agentNotFound: self.init(.notFound, code: "agent_not_found", message)
        case .agentBusy: self.init(.conflict, code: "agent_busy", message)
        case .spawnFailed(_, let field): self.init(.unprocessableContent, code: "spawn_failed", message, field: field)
        case .inputTooLarge: self.init(.contentTooLarge, code: "input_too_large", message, field: "text")
        case .invalidSize(let rows, _): self.init(.badRequest, code: "invalid_size", message, field: (1...1000).contains(rows) ? "cols" : "rows")
        case .terminalClosed: self.init(.conflict, code: "terminal_closed", message)
        case .shuttingDown: self.init(.serviceUnavailable, code: "shutting_down", message)
        case .dispatchNotFound: self.init(.notFound, code: "dispatch_not_found", message)
        case .dispatchClosed: self.init(.conflict, code: "dispatch_closed", message)
        case .registryUnavailable: self.init(.serviceUnavailable, code: "registry_unavailable", message)
        case .deliveriesUnavailable: self.init(.serviceUnavailable, code: "deliveries_unavailable", message)
        case .agentNotRunning: self.init(.conflict, code: "agent_not_running", message)
        case .messageTooLarge: self.init(.contentTooLarge, code: "text_too_large", message, field: "text")
        case .invalidMessage(let field, _): self.init(.badRequest, code: "bad_request", message, field: field)
        case .deliveryConflict: self.init(.unprocessableContent, code: "delivery_conflict", message, field: "id")
        case .deliveryNotFound: self.init(.notFound, code: "delivery_not_found", message, field: "id")
        case .deliveryStoreFailed: self.init(.internalServerError, code: "store_error", message)
        case .checkpointStoreFailed: self.init(.serviceUnavailable, code: "checkpoint_store", message)
        case .checkpointNotFound: self.init(.notFound, code: "checkpoint_not_found", message)
        case .unknownProfile: self.init(.badRequest, code: "unknown_profile", message, field: "profile")
        case .invalidSpawn(let field, _): self.init(.badRequest, code: "bad_request", message, field: field)
        case .invalidState: self.init(.badRequest, code: "invalid_state", message, field: "until")
        case .notPersisted: self.init(.insufficientStorage, code: "not_persisted", message)
        }
    }
}

extension HTTPResponse.Status {
    /// 507: the change could not be stored durably, so it was not made (or is reported as not recorded).
    static let insufficientStorage = HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage")
}

/// Runs a supervisor call, turning its typed error into an API error.
func calling<T>(_ body: () async throws(SupervisorError) -> T) async throws -> T {
    do {
        return try await body()
    } catch {
        throw APIError(error)
    }
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
