/// What `IdempotencyCoordinator.perform` did for a request.
public enum IdempotencyOutcome: Sendable, Equatable {
    /// The operation ran for this call. Unless the status is 5xx, the response was stored
    /// durably before `perform` returned.
    case fresh(StoredResponse)
    /// The operation did not run for this call: the response is a completed one, either
    /// from the store (possibly from before a restart) or from a concurrent call with the same
    /// key and request that ran it. An HTTP API may mark it, for example `Idempotent-Replayed: true`.
    case replayed(StoredResponse)

    /// The response to send, whichever the case.
    public var response: StoredResponse {
        switch self {
        case .fresh(let response), .replayed(let response): response
        }
    }

    /// True for `.replayed`.
    public var isReplayed: Bool {
        if case .replayed = self { return true }
        return false
    }
}
