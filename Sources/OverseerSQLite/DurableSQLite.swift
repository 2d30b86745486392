import GRDB
import OverseerSystem
import SystemPackage

/// Why a durable SQLite file could not be opened or used; each case names the file.
public enum SQLiteFileError: Error, Sendable, Equatable {
    /// Not a database, or damaged (quick_check failed). The file is left as it is.
    case corrupt(path: String, message: String)
    /// It cannot be opened (permissions, not a regular file, read-only).
    case cannotOpen(path: String, message: String)
    /// A statement or setting failed.
    case database(path: String, operation: String, message: String)
    /// A write failed because the disk (or the file system holding the file) is full: SQLITE_FULL.
    case full(path: String, operation: String, message: String)
    /// A system call on the file failed (the error names the file).
    case io(SystemCallError)
}

/// Opens a store's SQLite file the way every Overseer store wants it: owner-only file mode
/// (also for the -wal and -shm files), an integrity check before anything is written, WAL
/// journal with `synchronous=FULL` (a committed change survives power loss), then the
/// store's migrations. Never deletes, truncates or moves an existing file.
public enum DurableSQLite {
    /// Opens (creating if needed) and migrates the database at `path`.
    public static func open(path: String, label: String, migrator: DatabaseMigrator) throws(SQLiteFileError) -> DatabaseQueue {
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
            try migrator.migrate(queue)
        } catch {
            try? queue.close()
            throw map(error, path: path, operation: "open")
        }
        try tightenCompanionFiles(path: path)
        return queue
    }

    /// Turns any error thrown inside a database access into a `SQLiteFileError` naming `path`.
    public static func map(_ error: any Error, path: String, operation: String) -> SQLiteFileError {
        if let error = error as? SQLiteFileError {
            return error
        }
        guard let error = error as? DatabaseError else {
            return .database(path: path, operation: operation, message: String(describing: error))
        }
        let message = error.message ?? "SQLite error \(error.extendedResultCode.rawValue)"
        switch error.resultCode {
        case .SQLITE_NOTADB, .SQLITE_CORRUPT:
            return .corrupt(path: path, message: message)
        case .SQLITE_CANTOPEN, .SQLITE_PERM, .SQLITE_AUTH, .SQLITE_READONLY:
            return .cannotOpen(path: path, message: message)
        case .SQLITE_FULL:
            return .full(path: path, operation: operation, message: message + " (SQLITE_FULL, errno \(Errno.noSpace.rawValue): No space left on device)")
        default:
            return .database(path: path, operation: operation, message: message)
        }
    }

    private static func checkSettings(_ db: Database, path: String) throws {
        let journal = try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "unknown"
        let synchronous = try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1
        guard journal.lowercased() == "wal", synchronous == 2 else {
            throw SQLiteFileError.database(
                path: path, operation: "configure",
                message: "expected journal_mode=wal and synchronous=FULL(2), got \(journal) and \(synchronous)")
        }
    }

    private static func checkIntegrity(_ db: Database, path: String) throws {
        let problems = try String.fetchAll(db, sql: "PRAGMA quick_check(5)")
        guard problems != ["ok"] else { return }
        throw SQLiteFileError.corrupt(path: path, message: "quick_check: " + problems.joined(separator: "; "))
    }

    /// Creates the file with mode 0600 before SQLite does (SQLite gives its -wal and -shm
    /// files the database file's mode), and removes group/other access from an existing one.
    private static func prepareFile(path: String) throws(SQLiteFileError) {
        let fd: FileDescriptor
        do { fd = try .openAt(FilePath(path), .readWrite, options: .create, permissions: .ownerReadWrite) } catch {
            throw .cannotOpen(path: path, message: error.description)
        }
        defer { fd.closeQuietly() }
        try restrict(fd, path: path)
    }

    private static func tightenCompanionFiles(path: String) throws(SQLiteFileError) {
        for suffix in ["-wal", "-shm"] {
            guard let fd = try? FileDescriptor.openAt(FilePath(path + suffix), .readOnly, options: .noFollow) else { continue }
            defer { fd.closeQuietly() }
            try restrict(fd, path: path + suffix)
        }
    }

    private static func restrict(_ fd: FileDescriptor, path: String) throws(SQLiteFileError) {
        let status: Stat
        do { status = try fd.stat() } catch { throw .io(SystemCallError("fstat", path: path, errno: error)) }
        guard status.type == .regular else {
            throw .cannotOpen(path: path, message: "not a regular file")
        }
        let permissions = status.permissions.rawValue & 0o777
        guard permissions & 0o077 != 0 else { return }
        do { try fd.setPermissions(FilePermissions(rawValue: permissions & 0o700)) } catch {
            throw .io(SystemCallError("fchmod", path: path, errno: error))
        }
    }
}
