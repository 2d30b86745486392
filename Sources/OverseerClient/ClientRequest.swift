#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One HTTP request to the supervisor: method, path (with query), extra headers and body bytes.
///
/// `UnixHTTPClient` adds `Host: localhost`, `Connection: close` and `Content-Length` itself.
public struct ClientRequest: Sendable {
    /// An HTTP method name such as `GET` or `POST`.
    public struct Method: RawRepresentable, Hashable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue.uppercased() }
        public init(stringLiteral value: String) { self.init(rawValue: value) }
        public var description: String { rawValue }

        public static let get: Method = "GET"
        public static let head: Method = "HEAD"
        public static let post: Method = "POST"
        public static let put: Method = "PUT"
        public static let patch: Method = "PATCH"
        public static let delete: Method = "DELETE"
    }

    public var method: Method
    /// The request target, e.g. `/agents/web?tail=100`. Must start with `/`.
    public var path: String
    /// Extra request headers, in order.
    public var headers: [(String, String)]
    public var body: [UInt8]

    public init(_ method: Method, _ path: String, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
    }

    /// A request with no body, e.g. `.get("/agents")`.
    public static func get(_ path: String, headers: [(String, String)] = []) -> ClientRequest {
        ClientRequest(.get, path, headers: headers)
    }

    /// A `DELETE` request with no body.
    public static func delete(_ path: String, headers: [(String, String)] = []) -> ClientRequest {
        ClientRequest(.delete, path, headers: headers)
    }

    /// A request whose body is `body` encoded as JSON, with `Content-Type: application/json`.
    public static func json<T: Encodable>(
        _ method: Method,
        _ path: String,
        _ body: T,
        encoder: JSONEncoder = JSONEncoder()
    ) throws(ClientError) -> ClientRequest {
        let data: Data
        do {
            data = try encoder.encode(body)
        } catch {
            throw .protocolError("could not encode \(T.self) as JSON: \(error)")
        }
        return ClientRequest(
            method,
            path,
            headers: [("Content-Type", "application/json"), ("Accept", "application/json")],
            body: Array(data)
        )
    }

    /// The first value of the header `name`, compared case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }
}
