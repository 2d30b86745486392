/// Why the supervisor refused or failed an operation; the API maps each case to an HTTP
/// status in one place.
public enum SupervisorError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidName(String)
    case duplicateName(String)
    case tooManyAgents(limit: Int)
    case agentNotFound(String)
    case agentBusy(String)
    /// The program could not be started; `field` is the request's JSON field at fault
    /// (`argv[0]`, `cwd`, `env.NAME`), nil when the cause is the supervisor's own.
    case spawnFailed(String, field: String? = nil)
    case inputTooLarge(size: Int, limit: Int)
    case invalidSize(rows: Int, cols: Int)
    case terminalClosed(String)
    case shuttingDown
    case dispatchNotFound(String)
    case dispatchClosed(String, state: String)
    case registryUnavailable(String)
    /// No delivery store is configured.
    case deliveriesUnavailable
    /// A message for an agent that is not running, without `await_next_incarnation`.
    case agentNotRunning(String)
    case messageTooLarge(size: Int, limit: Int)
    /// A message field is malformed (`field` is its JSON name).
    case invalidMessage(field: String, message: String)
    /// The delivery id exists with other content.
    case deliveryConflict(String)
    case deliveryNotFound(String)
    case deliveryStoreFailed(String)
    case checkpointStoreFailed(String)
    case checkpointNotFound(agent: String, generation: Int64)
    /// A spawn named a profile the catalog does not have.
    case unknownProfile(String, known: [String])
    /// A spawn field is out of range (`field` is its JSON name).
    case invalidSpawn(field: String, message: String)
    /// A state query or wait named something that is not a state.
    case invalidState(String)
    /// A change whose durable record (registry entry, stored delivery or request) could not be
    /// written; the message says which file, why, and what became of the change.
    case notPersisted(String)

    public var description: String {
        switch self {
        case .invalidName(let name): "invalid agent name \"\(name)\": use 1-64 characters from A-Z a-z 0-9 . _ -, not starting with . or -"
        case .duplicateName(let name): "an agent named \"\(name)\" already exists (release it first)"
        case .tooManyAgents(let limit): "agent limit reached (\(limit))"
        case .agentNotFound(let name): "no agent named \"\(name)\""
        case .agentBusy(let name): "agent \"\(name)\" is already being released"
        case .spawnFailed(let reason, _): reason
        case .inputTooLarge(let size, let limit): "input is \(size) bytes; the limit is \(limit)"
        case .invalidSize(let rows, let cols): "terminal size \(rows)x\(cols) is out of range (1-1000 each)"
        case .terminalClosed(let name): "agent \"\(name)\" has no open terminal"
        case .shuttingDown: "the supervisor is shutting down"
        case .dispatchNotFound(let id): "no dispatch \"\(id)\""
        case .dispatchClosed(let id, let state): "dispatch \"\(id)\" is already \(state)"
        case .registryUnavailable(let reason): "the registry could not be written: \(reason)"
        case .deliveriesUnavailable: "this supervisor keeps no delivery store"
        case .agentNotRunning(let name): "agent \"\(name)\" is not running (set await_next_incarnation to queue for its next incarnation)"
        case .messageTooLarge(let size, let limit): "text is \(size) bytes; the limit is \(limit) (max_input_bytes)"
        case .invalidMessage(_, let message), .deliveryConflict(let message), .deliveryStoreFailed(let message): message
        case .deliveryNotFound(let id): "no delivery \"\(id)\""
        case .checkpointStoreFailed(let reason): "the checkpoint store failed: \(reason)"
        case .checkpointNotFound(let agent, let generation): "no checkpoint for \(agent) generation \(generation)"
        case .unknownProfile(let name, let known): "unknown profile \"\(name)\" (known: \(known.joined(separator: ", ")))"
        case .invalidSpawn(_, let message): message
        case .notPersisted(let message): message
        case .invalidState(let name): "unknown agent state \"\(name)\" (one of starting, idle, working, blocked, exited)"
        }
    }
}
