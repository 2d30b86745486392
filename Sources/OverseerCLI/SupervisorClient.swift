import Foundation
import OverseerClient

/// The CLI's view of the control API: requests, decoded answers, and errors mapped to
/// messages and exit codes.
struct SupervisorClient: Sendable {
    let http: UnixHTTPClient
    /// The Idempotency-Key of this command's mutating request (one logical command, one key,
    /// reused by every retry of it).
    let idempotencyKey: String
    /// How long retries of a refused, reset or still-starting request go on.
    var retryWindow: Duration = .seconds(30)

    init(socketPath: String, idempotencyKey: String? = nil) {
        http = UnixHTTPClient(socketPath: socketPath)
        self.idempotencyKey = idempotencyKey ?? UUID().uuidString.lowercased()
    }

    struct APIErrorBody: Decodable {
        struct Detail: Decodable {
            var code: String
            var message: String
        }
        var error: Detail
    }

    /// Sends a request; non-2xx answers become CLIErrors with the server's message.
    func send(_ request: ClientRequest, timeout: Duration? = .seconds(120)) async throws -> ClientResponse {
        let response: ClientResponse
        do {
            response = try await http.send(request, timeout: timeout)
        } catch {
            throw CLIError(error.description, exitCode: 3)
        }
        guard response.isSuccess else { throw Self.error(from: response) }
        return response
    }

    func get<T: Decodable>(_ path: String, as type: T.Type) async throws -> T {
        try decode(try await send(.get(path)), as: type)
    }

    /// POSTs with this command's Idempotency-Key; a connection refused or reset (the
    /// supervisor restarting) or a 503 (starting, stopping) is retried with backoff under the
    /// same key, so the request takes effect once however often it is sent.
    func post<T: Decodable>(_ path: String, body: some Encodable, as type: T.Type) async throws -> T {
        var request: ClientRequest
        do {
            request = try ClientRequest.json(.post, path, body)
        } catch {
            throw CLIError(error.description, exitCode: 1)
        }
        request.headers.append(("Idempotency-Key", idempotencyKey))
        return try decode(try await sendRetrying(request), as: type)
    }

    func sendRetrying(_ request: ClientRequest) async throws -> ClientResponse {
        let deadline = ContinuousClock.now + retryWindow
        var pause: Duration = .milliseconds(100)
        while true {
            do {
                let response = try await http.send(request, timeout: .seconds(120))
                if response.status == 503, ContinuousClock.now + pause < deadline {
                    try await Task.sleep(for: pause)
                    pause = min(pause * 2, .seconds(2))
                    continue
                }
                guard response.isSuccess else { throw Self.error(from: response) }
                return response
            } catch let error as ClientError {
                guard error.isRetryable, ContinuousClock.now + pause < deadline else { throw CLIError(error.description, exitCode: 3) }
                try await Task.sleep(for: pause)
                pause = min(pause * 2, .seconds(2))
            }
        }
    }

    func decode<T: Decodable>(_ response: ClientResponse, as type: T.Type) throws -> T {
        do {
            return try response.decode(type)
        } catch {
            throw CLIError("unexpected answer from the supervisor: \(error)", exitCode: 1)
        }
    }

    static func error(from response: ClientResponse) -> CLIError {
        let message = (try? JSONDecoder().decode(APIErrorBody.self, from: Data(response.body)))?.error.message ?? "HTTP \(response.status): \(response.text)"
        let code: Int32 = switch response.status {
        case 404: 4
        case 409: 5
        case 503: 3
        default: 1
        }
        return CLIError(message, exitCode: code)
    }

    /// Percent-encodes an agent name for a path segment (names are restricted, but be safe).
    static func segment(_ name: String) -> String {
        name.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? name
    }
}
