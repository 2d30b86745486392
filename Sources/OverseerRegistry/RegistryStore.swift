import Foundation
import OverseerSystem
import SystemPackage

/// The in-flight registry file: read under trust checks, written atomically, guarded by
/// `flock` on the sibling `<path>.lock`.
///
/// `load`, `loadRaw` and `save` do not lock; callers that read-modify-write use `update`,
/// and readers that need a consistent view wrap their reads in `withLock`. The lock is
/// per open file, so threads of one process exclude each other too.
public struct RegistryStore: Sendable {
    public let path: String
    public var lockPath: String { path + ".lock" }

    public init(path: String) {
        self.path = path
    }

    // MARK: Locking

    /// Runs `body` holding an exclusive `flock` on `lockPath` (created 0600 if missing, along
    /// with its directory). With a `timeout` (seconds), gives up with `.lockTimeout` when the
    /// lock stays held that long; without one, waits as long as it takes.
    public func withLock<T>(timeout: Double? = nil, _ body: () throws -> T) throws -> T {
        let fd = try acquireLock(timeout: timeout)
        defer {
            fd.unlock()
            fd.closeQuietly()
        }
        return try body()
    }

    private func acquireLock(timeout: Double?) throws(RegistryError) -> FileDescriptor {
        try FileIO.makeDirectories(FileIO.split(path).directory, for: path)
        let fd: FileDescriptor
        do {
            fd = try .openAt(FilePath(lockPath), .readWrite, options: [.create, .noFollow], permissions: .ownerReadWrite)
        } catch {
            throw .io(path: lockPath, "open lock file", error)
        }
        func failed(_ error: Errno) -> RegistryError {
            fd.closeQuietly()
            return .io(path: lockPath, "flock", error)
        }
        guard let timeout else {
            do { try fd.lockExclusively() } catch { throw failed(error) }
            return fd
        }
        let clock = ContinuousClock()
        let deadline = ContinuousClock.Instant.after(seconds: timeout)
        var pause = Duration.milliseconds(1)
        while true {
            let locked: Bool
            do { locked = try fd.tryLockExclusively() } catch { throw failed(error) }
            if locked { return fd }
            let left = clock.now.duration(to: deadline)
            if left <= .zero {
                fd.closeQuietly()
                throw .lockTimeout(path: lockPath)
            }
            BlockingSleep.sleep(for: min(pause, left))
            pause = min(pause * 2, .milliseconds(50))
        }
    }

    // MARK: Reading

    /// The trusted bytes of the file, whatever its format; nil when it does not exist.
    /// Throws `.untrusted` (see `load`); never moves anything aside.
    public func loadRaw() throws(RegistryError) -> [UInt8]? {
        try withTrustedDirectory { dirfd throws(RegistryError) in try readTrusted(directory: dirfd)?.bytes }
    }

    /// The Overseer registry; nil when the file does not exist.
    ///
    /// Refused before parsing (`.untrusted`): a file that is not a regular file (symlinks are
    /// not followed), is writable by group or others, or is owned by a uid other than ours or
    /// root; a directory writable by group or others without the sticky bit, or owned by another
    /// user. A file that does not parse, or has a version below 1, is renamed to
    /// `<name>.corrupt-<UTC stamp>` and `.corrupt` is thrown. A newer version throws
    /// `.unsupportedVersion` and a factory-sdk registry `.wrongFormat`; both are left in place.
    /// With `movingCorruptAside` false (a dry run) a corrupt file stays where it is and
    /// `.corruptLeftInPlace` is thrown: the load creates, renames and locks nothing.
    public func load(movingCorruptAside: Bool = true) throws(RegistryError) -> RegistryDocument? {
        try loadState(movingCorruptAside: movingCorruptAside)?.document.withoutToken
    }

    func parseDocument(_ bytes: [UInt8]) -> ParseOutcome<RegistryDocument> {
        let data = Data(bytes)
        do {
            let header = try JSONDecoder().decode(VersionHeader.self, from: data)
            guard let version = header.version else {
                if RegistryFormat.detect(bytes) == .factory { return .refuse(.wrongFormat(path: path, found: .factory)) }
                return .corrupt("no \"version\" key")
            }
            if version > RegistryDocument.currentVersion { return .refuse(.unsupportedVersion(path: path, version: version)) }
            if version < RegistryDocument.oldestReadableVersion { return .corrupt("unsupported version \(version)") }
            return .parsed(try JSONDecoder().decode(RegistryDocument.self, from: data))
        } catch let error as DecodingError {
            return .corrupt(Self.describe(error))
        } catch {
            return .corrupt("\(error)")
        }
    }

    /// Just the version, read before the rest so a newer format is refused, not quarantined.
    struct VersionHeader: Decodable {
        var version: Int?
        enum CodingKeys: String, CodingKey { case version }
        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            version = container.contains(.version) ? try container.decode(Int.self, forKey: .version) : nil
        }
    }

    /// A short reason for a decoding failure: what was wrong, and where.
    static func describe(_ error: DecodingError) -> String {
        func at(_ path: [any CodingKey]) -> String {
            path.isEmpty ? "top level" : path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        }
        switch error {
        case .keyNotFound(let key, let context): return "missing key \"\(key.stringValue)\" at \(at(context.codingPath))"
        case .typeMismatch(let type, let context): return "expected \(type) at \(at(context.codingPath))"
        case .valueNotFound(let type, let context): return "null where \(type) was expected at \(at(context.codingPath))"
        case .dataCorrupted(let context): return "\(context.debugDescription) at \(at(context.codingPath))"
        @unknown default: return "\(error)"
        }
    }

    // MARK: Writing

    /// Replaces the whole registry with `document`: a new snapshot written atomically (see
    /// `AtomicFile.replace`; the directory is created 0700 if missing), after which any journal
    /// is stale and is removed. On failure the previous snapshot and journal are untouched.
    public func save(_ document: RegistryDocument) throws(RegistryError) {
        _ = try compact(document)
    }

    // MARK: Read-modify-write

    /// Locks, loads (or starts an empty document), sets `updatedAt` to now, runs `body`, commits
    /// what changed and unlocks; returns the registry as committed. Nothing is written when
    /// `body` throws.
    @discardableResult
    public func update(timeout: Double? = nil, _ body: (inout RegistryDocument) throws -> Void) throws -> RegistryDocument {
        try update(timeout: timeout, cache: nil, body).document
    }

    /// `update` for a writer that keeps the registry in memory between writes: when the files
    /// are as `cache` left them (nobody else wrote since), the load is skipped, and a write
    /// appends only the changes to the journal (one fdatasync), compacting into a new snapshot
    /// once the journal outgrows it.
    public func update(timeout: Double? = nil, cache: RegistryCache?, _ body: (inout RegistryDocument) throws -> Void) throws -> RegistryCommit {
        try withLock(timeout: timeout) {
            let (state, reused) = try current(cache)
            var document = state?.document.withoutToken ?? RegistryDocument()
            document.updatedAt = Date().timeIntervalSince1970
            try body(&document)
            var commit = try self.commit(document, over: state)
            commit.reusedCache = reused
            return commit
        }
    }
}
