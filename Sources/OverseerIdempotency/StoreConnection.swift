import Foundation
import GRDB
import Synchronization

/// One store's connection: opening, closing, and reads and write transactions whose failures
/// come back as `IdempotencyError`s naming the file and the operation.
///
/// A lock held over each access guards the closed flag: GRDB treats any use of a closed
/// connection as a programming error and crashes, while a closed store here answers every
/// later call with a `database` error.
final class StoreConnection: Sendable {
    /// The database file.
    let path: String
    let queue: DatabaseQueue
    /// True once `close` ran.
    private let closed = Mutex(false)

    /// Opens (creating and migrating as needed) the database at `path`.
    init(path: String, label: String) throws(IdempotencyError) {
        self.path = path
        self.queue = try IdempotencyDatabase.open(path: path, label: label)
    }

    /// Closes the connection; closing again does nothing.
    func close() throws(IdempotencyError) {
        try closed.withLock { closed throws(IdempotencyError) in
            guard !closed else { return }
            do {
                try queue.close()
            } catch {
                throw IdempotencyDatabase.map(error, path: path, operation: "close")
            }
            closed = true
        }
    }

    /// Runs `body` on the connection outside any transaction: for reads of one statement each
    /// (a single statement is its own snapshot). This spares GRDB's read-only wrapping, four
    /// extra statements that would triple the cost of a lookup.
    func read<T>(_ operation: String, _ body: (Database) throws -> T) throws(IdempotencyError) -> T {
        try access(operation) { () throws(IdempotencyError) -> T in
            do {
                return try queue.inDatabase(body)
            } catch {
                throw IdempotencyDatabase.map(error, path: path, operation: operation)
            }
        }
    }

    /// Runs `body` in one write transaction, committed (and synced) before returning.
    func write<T>(_ operation: String, _ body: (Database) throws -> T) throws(IdempotencyError) -> T {
        try access(operation) { () throws(IdempotencyError) -> T in
            do {
                return try queue.write(body)
            } catch {
                throw IdempotencyDatabase.map(error, path: path, operation: operation)
            }
        }
    }

    /// Throws when the store was closed.
    func ensureOpen(_ operation: String) throws(IdempotencyError) {
        try access(operation) { () throws(IdempotencyError) in }
    }

    private func access<T>(_ operation: String, _ body: () throws(IdempotencyError) -> T) throws(IdempotencyError) -> T {
        try closed.withLock { closed throws(IdempotencyError) -> T in
            guard !closed else {
                throw .database(path: path, operation: operation, message: "the store is closed")
            }
            return try body()
        }
    }

    /// The current time in epoch seconds, the default `now` of the stores' operations.
    static func currentTime() -> Double {
        Date().timeIntervalSince1970
    }
}
