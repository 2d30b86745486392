import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import OverseerIdempotency
import OverseerWire

/// `Idempotency-Key` on mutating requests: the first request with a key runs and its answer
/// (status and body, errors included; 5xx excepted) is stored durably before it is sent; a
/// retry with the same key and the same request gets that answer back with
/// `Idempotent-Replayed: true`, also after a supervisor restart; a retry while the first is
/// still running waits for it; the same key with another request is refused with 422.
struct IdempotencyMiddleware: RouterMiddleware {
    typealias Context = OverseerRequestContext

    static let keyHeader = HTTPField.Name("Idempotency-Key")!
    static let replayedHeader = HTTPField.Name("Idempotent-Replayed")!

    let coordinator: IdempotencyCoordinator

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let key = request.headers[Self.keyHeader], Self.isMutating(request) else {
            return try await next(request, context)
        }
        do {
            try IdempotencyKey.validate(key)
        } catch {
            throw APIError(.badRequest, code: "invalid_idempotency_key", "Idempotency-Key: \(error)", field: "Idempotency-Key")
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: context.maxUploadSize)
        } catch {
            throw APIError(.contentTooLarge, code: "body_too_large", "request body exceeds \(context.maxUploadSize) bytes")
        }
        var buffered = request
        buffered.body = RequestBody(buffer: body)
        let fingerprint = RequestFingerprint(method: request.method.rawValue, path: request.uri.description, body: Self.canonical(body))
        let outcome: IdempotencyOutcome
        do throws(IdempotencyError) {
            // Runs on this task, at most once per key: the router's continuation goes along as is.
            outcome = try await coordinator.perform(key: key, fingerprint: fingerprint.hex) {
                await Self.run(buffered, context, next)
            }
        } catch .keyReused {
            throw APIError(.unprocessableContent, code: "idempotency_key_reused", "Idempotency-Key \(key) was used for a different request (method, path or body differ); use a fresh key", field: "Idempotency-Key")
        } catch .interrupted {
            throw APIError(.conflict, code: "request_interrupted", "the first request with Idempotency-Key \(key) was interrupted by a supervisor restart before it answered; its effect is unknown: check the state, then DELETE /v1/requests/\(key) or use a fresh key", field: "Idempotency-Key")
        } catch .responseNotSaved(_, let response, let message) {
            context.logger.error("idempotent response not stored", metadata: ["key": "\(key)", "error": "\(message)"])
            return Self.response(from: response, replayed: false)
        } catch .storageFull(let path, _, let message) {
            throw APIError(.insufficientStorage, code: "not_persisted", "the request was not run: its Idempotency-Key could not be recorded in \(path): \(message)")
        } catch .cancelled {
            throw APIError(.serviceUnavailable, code: "cancelled", "the request was cancelled while waiting for the first request with its Idempotency-Key")
        } catch {
            throw APIError(.serviceUnavailable, code: "idempotency_store", "the idempotency store failed: \(error)")
        }
        return Self.response(from: outcome.response, replayed: outcome.isReplayed)
    }

    /// The body as compared between a request and its retry: a JSON body with its object keys
    /// sorted (clients, Foundation's encoder among them, do not keep key order stable), any
    /// other body as it is.
    static func canonical(_ body: ByteBuffer) -> [UInt8] {
        let bytes = Array(body.readableBytesView)
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]),
              let sorted = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .fragmentsAllowed]) else {
            return bytes
        }
        return Array(sorted)
    }

    static func isMutating(_ request: Request) -> Bool {
        switch request.method {
        case .post, .put, .patch: return true
        case .delete: return !request.uri.path.hasPrefix("/v1/requests/")
        default: return false
        }
    }

    /// Runs the rest of the chain and captures its answer, error answers included.
    static func run(_ request: Request, _ context: Context, _ next: (Request, Context) async throws -> Response) async -> StoredResponse {
        let response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            do {
                response = try error.response(from: request, context: context)
            } catch {
                return StoredResponse(status: 500, contentType: "text/plain", body: Array("\(error)".utf8))
            }
        } catch {
            let body = (try? JSONEncoder().encode(ErrorBody(error: .init(code: "internal", message: "\(error)", field: nil)))) ?? Data()
            return StoredResponse(status: 500, contentType: "application/json", body: Array(body))
        }
        var collector = BodyCollector()
        do {
            try await response.body.write(collector.writer)
        } catch {
            return StoredResponse(status: 500, contentType: "text/plain", body: Array("could not read the response: \(error)".utf8))
        }
        return StoredResponse(status: Int(response.status.code), contentType: response.headers[.contentType], body: collector.bytes)
    }

    static func response(from stored: StoredResponse, replayed: Bool) -> Response {
        var headers = HTTPFields()
        if let type = stored.contentType { headers[.contentType] = type }
        if replayed { headers[replayedHeader] = "true" }
        return Response(status: HTTPResponse.Status(code: stored.status), headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: stored.body)))
    }
}

/// Collects a response body written through `ResponseBodyWriter`.
struct BodyCollector {
    final class Sink: @unchecked Sendable {
        var bytes: [UInt8] = []
    }

    struct Writer: ResponseBodyWriter {
        let sink: Sink
        mutating func write(_ buffer: ByteBuffer) async throws { sink.bytes.append(contentsOf: buffer.readableBytesView) }
        consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }

    let sink = Sink()
    var writer: Writer { Writer(sink: sink) }
    var bytes: [UInt8] { sink.bytes }
}
