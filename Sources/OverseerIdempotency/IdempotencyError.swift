import OverseerSystem

/// Why an idempotency or checkpoint operation failed. Each message is one line naming what
/// was wrong.
public enum IdempotencyError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The idempotency key is malformed (empty, longer than 255 bytes, or not printable ASCII).
    case invalidKey(key: String, reason: String)
    /// The key belongs to a different request (another fingerprint), running or completed.
    /// An HTTP API answers 422.
    case keyReused(key: String)
    /// `forget` was asked for a key whose request is still running. An HTTP API answers 409.
    case keyInFlight(key: String)
    /// An earlier attempt with this key started in a process that died before it answered:
    /// its effect is unknown, so it is not run again. An HTTP API answers 409; the client
    /// checks the state, then acknowledges the key (`forget`) or uses a fresh one.
    case interrupted(key: String, startedAt: Double)
    /// The operation ran and produced `response`, but storing it failed, so a retry would run
    /// the request again. The response is carried so that the caller can still send it.
    case responseNotSaved(key: String, response: StoredResponse, message: String)
    /// The task waiting for another caller's run of the same key was cancelled. The run itself
    /// goes on and its response is stored as usual.
    case cancelled(key: String)
    /// A caller-supplied argument is out of range (for example a TTL of zero).
    case invalidArgument(name: String, reason: String)
    /// The file is not an SQLite database, or it is damaged. It was left untouched.
    case corruptDatabase(path: String, message: String)
    /// The file could not be opened or created (missing directory, a directory, permissions).
    case cannotOpen(path: String, message: String)
    /// Any other SQLite failure during `operation`.
    case database(path: String, operation: String, message: String)
    /// `operation` could not write because the disk holding the store is full (SQLITE_FULL).
    case storageFull(path: String, operation: String, message: String)
    /// A system call on the store's file failed (the error names the file).
    case io(SystemCallError)

    public var description: String {
        switch self {
        case .invalidKey(let key, let reason):
            "invalid idempotency key \(Self.quoted(key)): \(Self.oneLine(reason))"
        case .keyReused(let key):
            "idempotency key \(Self.quoted(key)) was already used for a different request"
        case .keyInFlight(let key):
            "idempotency key \(Self.quoted(key)) belongs to a request that is still running"
        case .interrupted(let key, _):
            "the request with idempotency key \(Self.quoted(key)) was interrupted by a supervisor restart before it answered; its effect is unknown: check, then acknowledge the key or use a fresh one"
        case .responseNotSaved(let key, let response, let message):
            "response \(response.status) for idempotency key \(Self.quoted(key)) was not stored: \(Self.oneLine(message))"
        case .cancelled(let key):
            "stopped waiting for the running request with idempotency key \(Self.quoted(key)): task cancelled"
        case .invalidArgument(let name, let reason):
            "invalid argument \(name): \(Self.oneLine(reason))"
        case .corruptDatabase(let path, let message):
            "idempotency store \(path) is not a readable SQLite database (\(Self.oneLine(message))); left in place"
        case .cannotOpen(let path, let message):
            "cannot open idempotency store \(path): \(Self.oneLine(message))"
        case .database(let path, let operation, let message), .storageFull(let path, let operation, let message):
            "idempotency store \(path): \(operation) failed: \(Self.oneLine(message))"
        case .io(let failure):
            failure.description
        }
    }

    static func oneLine(_ text: String) -> String {
        String(text.map { $0.isNewline ? " " : $0 })
    }

    /// A key as shown in messages: quoted, control characters escaped, at most 80 characters.
    static func quoted(_ key: String) -> String {
        var shown = ""
        for scalar in key.unicodeScalars.prefix(80) {
            if scalar.value < 0x20 || scalar.value == 0x7f {
                shown += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                shown.unicodeScalars.append(scalar)
            }
        }
        if key.unicodeScalars.count > 80 { shown += "…" }
        return "'" + shown + "'"
    }
}
