#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A complete HTTP response: status code, headers in wire order, and the whole body.
public struct ClientResponse: Sendable {
    /// The status code, e.g. 200.
    public var status: Int
    /// The reason phrase, e.g. "OK".
    public var reason: String
    /// Headers in the order they arrived; names keep their original case.
    public var headers: [(String, String)]
    public var body: [UInt8]

    public init(status: Int, reason: String = "", headers: [(String, String)] = [], body: [UInt8] = []) {
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body
    }

    /// True for 2xx statuses.
    public var isSuccess: Bool { (200..<300).contains(status) }

    /// The first value of header `name`, compared case-insensitively.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.0.lowercased() == wanted }?.1
    }

    /// Every value of header `name`, compared case-insensitively, in order.
    public func headers(named name: String) -> [String] {
        let wanted = name.lowercased()
        return headers.filter { $0.0.lowercased() == wanted }.map(\.1)
    }

    /// Same as `header(_:)`.
    public subscript(header name: String) -> String? { header(name) }

    /// The body decoded as UTF-8 (invalid sequences replaced).
    public var text: String { String(decoding: body, as: UTF8.self) }

    /// Decodes the body as JSON; failure is a `.protocolError` naming the type and quoting the body.
    public func decode<T: Decodable>(
        _ type: T.Type = T.self,
        decoder: JSONDecoder = JSONDecoder()
    ) throws(ClientError) -> T {
        do {
            return try decoder.decode(T.self, from: Data(body))
        } catch {
            let snippet = String(text.prefix(200))
            throw .protocolError("could not decode \(T.self) from HTTP \(status) body (\(error)): \(snippet)")
        }
    }
}
