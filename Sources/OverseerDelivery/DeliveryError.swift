import OverseerSystem

/// Why a delivery operation failed. Each message is one line naming what was wrong.
public enum DeliveryError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A posted delivery is malformed (`field` is its JSON name).
    case invalidRequest(field: String, reason: String)
    /// A caller-supplied argument is out of range (for example a cap below 1).
    case invalidArgument(name: String, reason: String)
    /// The id already exists with different content; `fields` names the JSON fields that differ.
    case conflict(id: String, fields: [String])
    /// No delivery has this id.
    case notFound(id: String)
    /// The delivery is in `from`, which cannot move to `to`.
    case illegalTransition(id: String, from: DeliveryState, to: DeliveryState)
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
        case .invalidRequest(let field, let reason):
            "invalid delivery: \(field) \(Self.oneLine(reason))"
        case .invalidArgument(let name, let reason):
            "invalid argument \(name): \(Self.oneLine(reason))"
        case .conflict(let id, let fields):
            "delivery \(Self.quoted(id)) already exists with a different \(fields.joined(separator: ", "))"
        case .notFound(let id):
            "no delivery with id \(Self.quoted(id))"
        case .illegalTransition(let id, let from, let to):
            "delivery \(Self.quoted(id)) cannot move from \(from.rawValue) to \(to.rawValue)"
        case .corruptDatabase(let path, let message):
            "delivery store \(path) is not a readable SQLite database (\(Self.oneLine(message))); left in place"
        case .cannotOpen(let path, let message):
            "cannot open delivery store \(path): \(Self.oneLine(message))"
        case .database(let path, let operation, let message), .storageFull(let path, let operation, let message):
            "delivery store \(path): \(operation) failed: \(Self.oneLine(message))"
        case .io(let failure):
            failure.description
        }
    }

    static func oneLine(_ text: String) -> String {
        String(text.map { $0.isNewline ? " " : $0 })
    }

    static func quoted(_ id: String) -> String {
        "'" + oneLine(id) + "'"
    }
}
