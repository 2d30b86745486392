/// Why a typed call to the supervisor failed.
public enum SupervisorCallError: Error, Sendable, CustomStringConvertible {
    /// The supervisor could not be reached, or the exchange broke off.
    case unreachable(ClientError)
    /// The supervisor answered with an error (`{"error": {...}}` or a bare status).
    case refused(status: Int, code: String?, message: String, field: String?)
    /// The request could not be encoded, or the answer did not have the expected shape.
    case unexpected(String)

    public var description: String {
        switch self {
        case .unreachable(let error): error.description
        case .refused(_, _, let message, _): message
        case .unexpected(let message): message
        }
    }

    /// The HTTP status of a refusal.
    public var status: Int? {
        if case .refused(let status, _, _, _) = self { return status }
        return nil
    }
}
