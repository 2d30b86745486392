import GRDB
import OverseerSQLite

/// Opens the store's SQLite file through `DurableSQLite` (0600, quick_check, WAL,
/// `synchronous=FULL`) with this module's schema, reporting failures as `IdempotencyError`.
enum IdempotencyDatabase {
    /// Opens (creating if needed) and migrates the database at `path`.
    static func open(path: String, label: String) throws(IdempotencyError) -> DatabaseQueue {
        do throws(SQLiteFileError) {
            return try DurableSQLite.open(path: path, label: label, migrator: IdempotencySchema.migrator)
        } catch {
            throw IdempotencyError(error)
        }
    }

    /// Turns any error thrown inside a database access into a `IdempotencyError` naming `path`.
    static func map(_ error: any Error, path: String, operation: String) -> IdempotencyError {
        if let error = error as? IdempotencyError { return error }
        return IdempotencyError(DurableSQLite.map(error, path: path, operation: operation))
    }
}

extension IdempotencyError {
    /// The same failure in this module's terms.
    init(_ error: SQLiteFileError) {
        switch error {
        case .corrupt(let path, let message): self = .corruptDatabase(path: path, message: message)
        case .cannotOpen(let path, let message): self = .cannotOpen(path: path, message: message)
        case .database(let path, let operation, let message): self = .database(path: path, operation: operation, message: message)
        case .full(let path, let operation, let message): self = .storageFull(path: path, operation: operation, message: message)
        case .io(let failure): self = .io(failure)
        }
    }
}
