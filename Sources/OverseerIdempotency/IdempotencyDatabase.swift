import GRDB

#if canImport(Glibc)
import Glibc
#endif

/// Opens a store's SQLite file: owner-only file mode, WAL journal, `synchronous=FULL`,
/// an integrity check, and the schema. Never deletes, truncates or moves an existing file.
enum IdempotencyDatabase {
    /// Opens (creating if needed) and migrates the database at `path`.
    static func open(path: String, label: String) throws(IdempotencyError) -> DatabaseQueue {
        try prepareFile(path: path)
        var configuration = Configuration()
        // Journal mode is set below, after the integrity check: GRDB's own WAL setup writes
        // to the file on open, and nothing may be written to a damaged database.
        configuration.journalMode = .default
        configuration.busyMode = .timeout(5)
        configuration.label = label
        let queue: DatabaseQueue
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration)
        } catch {
            throw map(error, path: path, operation: "open")
        }
        do {
            try queue.writeWithoutTransaction { db in
                try checkIntegrity(db, path: path)
                _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
                // FULL syncs the WAL on every commit: an acknowledged mutation survives power
                // loss (NORMAL, the usual WAL choice, may lose the last commits).
                try db.execute(sql: "PRAGMA synchronous = FULL")
                try checkSettings(db, path: path)
            }
            try IdempotencySchema.migrator.migrate(queue)
        } catch {
            try? queue.close()
            throw map(error, path: path, operation: "open")
        }
        try tightenCompanionFiles(path: path)
        return queue
    }

    /// Turns any error thrown inside a database access into an `IdempotencyError` naming `path`.
    static func map(_ error: any Error, path: String, operation: String) -> IdempotencyError {
        if let error = error as? IdempotencyError {
            return error
        }
        guard let error = error as? DatabaseError else {
            return .database(path: path, operation: operation, message: String(describing: error))
        }
        let message = error.message ?? "SQLite error \(error.extendedResultCode.rawValue)"
        switch error.resultCode {
        case .SQLITE_NOTADB, .SQLITE_CORRUPT:
            return .corruptDatabase(path: path, message: message)
        case .SQLITE_CANTOPEN, .SQLITE_PERM, .SQLITE_AUTH, .SQLITE_READONLY:
            return .cannotOpen(path: path, message: message)
        default:
            return .database(path: path, operation: operation, message: message)
        }
    }

    private static func checkSettings(_ db: Database, path: String) throws {
        let journal = try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "unknown"
        let synchronous = try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1
        guard journal.lowercased() == "wal", synchronous == 2 else {
            throw IdempotencyError.database(
                path: path, operation: "configure",
                message: "expected journal_mode=wal and synchronous=FULL(2), got \(journal) and \(synchronous)")
        }
    }

    private static func checkIntegrity(_ db: Database, path: String) throws {
        let problems = try String.fetchAll(db, sql: "PRAGMA quick_check(5)")
        guard problems != ["ok"] else { return }
        throw IdempotencyError.corruptDatabase(path: path, message: "quick_check: " + problems.joined(separator: "; "))
    }

    /// Creates the file with mode 0600 before SQLite does (SQLite gives its -wal and -shm
    /// files the database file's mode), and removes group/other access from an existing one.
    private static func prepareFile(path: String) throws(IdempotencyError) {
        let fd = Glibc.open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            let code = errno
            throw .cannotOpen(path: path, message: String(cString: strerror(code)))
        }
        defer { close(fd) }
        try restrict(fd: fd, path: path)
    }

    private static func tightenCompanionFiles(path: String) throws(IdempotencyError) {
        for suffix in ["-wal", "-shm"] {
            let fd = Glibc.open(path + suffix, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
            guard fd >= 0 else { continue }
            defer { close(fd) }
            try restrict(fd: fd, path: path + suffix)
        }
    }

    private static func restrict(fd: Int32, path: String) throws(IdempotencyError) {
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw .io(path: path, operation: "fstat", errno: errno)
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw .cannotOpen(path: path, message: "not a regular file")
        }
        let permissions = info.st_mode & 0o777
        guard permissions & 0o077 != 0 else { return }
        guard fchmod(fd, permissions & 0o700) == 0 else {
            throw .io(path: path, operation: "fchmod", errno: errno)
        }
    }
}
