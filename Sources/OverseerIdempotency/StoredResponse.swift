/// A completed response, as replayed to a retry of the same request.
public struct StoredResponse: Codable, Sendable, Equatable {
    /// The HTTP status code.
    public var status: Int
    /// The `Content-Type` header, if the response had one.
    public var contentType: String?
    /// The response body, byte for byte.
    public var body: [UInt8]

    /// A response with the given status, content type and body.
    public init(status: Int, contentType: String? = nil, body: [UInt8] = []) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }

    /// True for 5xx statuses: server errors are not stored, so a retry runs the request again.
    public var isServerError: Bool {
        (500...599).contains(status)
    }
}
