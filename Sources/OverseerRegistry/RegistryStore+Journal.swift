import Foundation
import OverseerSystem
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// The registry as a writer last saw it on disk, so its next write can skip the load and
/// append only what changed. Valid while the snapshot and journal still carry these stamps.
public struct RegistryCache: Sendable, Equatable {
    /// The registry with the snapshot's journal token (snapshot and journal replayed).
    var document: RegistryDocument
    var snapshot: FileStamp
    var snapshotBytes: Int
    /// The journal continuing this snapshot; nil when there is none (or only a stale one).
    var journal: FileStamp?
    /// Bytes of the journal that hold complete lines (a torn tail lies beyond).
    var journalLength: Int
}

/// What one committed write did.
public struct RegistryCommit: Sendable {
    /// The registry as committed.
    public var document: RegistryDocument
    /// Pass to the next `update(cache:)`.
    public var cache: RegistryCache
    /// Bytes written to the journal and to a new snapshot.
    public var journalBytes = 0
    public var snapshotBytes = 0
    /// fsync/fdatasync calls made.
    public var syncs = 0
    /// True when the write made a new snapshot (the journal had outgrown it, or there was none).
    public var compacted = false
    /// True when the files were as the cache said, so nothing was read.
    public var reusedCache = false
}

extension RegistryDocument {
    /// The document as callers see it: no journal token.
    var withoutToken: RegistryDocument {
        var copy = self
        copy.journal = nil
        return copy
    }
}

extension RegistryStore {
    /// The journal continuing the snapshot: `<path>.journal`.
    public var journalPath: String { path + ".journal" }

    /// A journal smaller than this is never compacted; past it, once it is twice the snapshot.
    static let compactionFloor = 64 * 1024

    /// Snapshot and journal replayed, with their stamps; nil when there is no snapshot (a
    /// journal without one is stale). A reader without the lock may race a compaction: it
    /// re-checks the snapshot after reading the journal and starts over if it was replaced.
    func loadState(movingCorruptAside: Bool = true) throws(RegistryError) -> RegistryCache? {
        let journalStore = RegistryStore(path: journalPath)
        for _ in 0..<8 {
            guard let (snapshot, read) = try loadValidatedRead(movingCorruptAside: movingCorruptAside, parseDocument) else { return nil }
            var state = RegistryCache(document: snapshot, snapshot: read.stamp, snapshotBytes: read.bytes.count, journal: nil, journalLength: 0)
            if let token = snapshot.journal, !token.isEmpty,
               let (journal, journalRead) = try journalStore.loadValidatedRead(movingCorruptAside: movingCorruptAside, { RegistryJournal.parse($0, expecting: token) }),
               journal.token == token {
                RegistryJournal.replay(journal.records, onto: &state.document)
                state.journal = journalRead.stamp
                state.journalLength = journal.validLength
            }
            let now = try withTrustedDirectory { dirfd throws(RegistryError) in try FileStamp.of(FileIO.split(path).name, in: dirfd, path: path) }
            if now == read.stamp { return state }
        }
        throw .io(path: path, "read a stable snapshot and journal (compacted while reading)", .resourceTemporarilyUnavailable)
    }

    /// The state under the lock: `cache` itself (`reused`) when both files still carry its stamps.
    func current(_ cache: RegistryCache?) throws(RegistryError) -> (state: RegistryCache?, reused: Bool) {
        if let cache {
            let name = FileIO.split(path).name
            let journalName = FileIO.split(journalPath).name
            let stamps = try withTrustedDirectory { dirfd throws(RegistryError) -> (FileStamp?, FileStamp?)? in
                (try FileStamp.of(name, in: dirfd, path: path), try FileStamp.of(journalName, in: dirfd, path: journalPath))
            }
            if let stamps, stamps.0 == cache.snapshot, stamps.1 == cache.journal {
                return (cache, true)
            }
        }
        return (try loadState(), false)
    }

    /// Writes `document` over `state` (what is on disk, under the lock): one journal line
    /// holding what changed, or a new snapshot when there is no usable journal to extend.
    func commit(_ document: RegistryDocument, over state: RegistryCache?) throws(RegistryError) -> RegistryCommit {
        var document = document.withoutToken
        document.version = RegistryDocument.currentVersion
        guard let state, let token = state.document.journal, !token.isEmpty,
              state.document.supervisor == nil || document.supervisor != nil else {
            return try compact(document)
        }
        let record: JournalRecord
        switch RegistryJournal.changes(from: state.document.withoutToken, to: document) {
        case .unchanged: return RegistryCommit(document: document, cache: state)
        case .needsSnapshot: return try compact(document)
        case .record(let change): record = change
        }
        let line: [UInt8]
        do { line = try RegistryJournal.encode([record]) } catch { throw .io(path: journalPath, "encode JSON (\(error))", .invalidArgument) }
        if state.journalLength + line.count > max(Self.compactionFloor, 2 * state.snapshotBytes) {
            return try compact(document)
        }
        var next = state
        next.document = document
        next.document.journal = token
        var commit = RegistryCommit(document: document, cache: next)
        if state.journal == nil {
            let header: [UInt8]
            do { header = try RegistryJournal.encode([.header(token)]) } catch { throw .io(path: journalPath, "encode JSON (\(error))", .invalidArgument) }
            do {
                try AtomicFile.replace(FilePath(journalPath), with: header + line, permissions: .ownerReadWrite)
            } catch {
                throw .io(error)
            }
            commit.journalBytes = header.count + line.count
            commit.syncs = 2
            next.journalLength = header.count + line.count
            next.journal = try withTrustedDirectory { dirfd throws(RegistryError) in
                try FileStamp.of(FileIO.split(journalPath).name, in: dirfd, path: journalPath)
            }
        } else {
            next.journal = try append(line, at: state.journalLength)
            next.journalLength = state.journalLength + line.count
            commit.journalBytes = line.count
            commit.syncs = 1
        }
        commit.cache = next
        return commit
    }

    /// Appends `bytes` to the journal after its first `validLength` bytes (a torn tail left by
    /// a crash is cut off first) and fdatasyncs it; returns the journal's stamp afterwards. The
    /// journal is opened in the trusted directory and checked on the open descriptor, as reads are.
    private func append(_ bytes: [UInt8], at validLength: Int) throws(RegistryError) -> FileStamp {
        let journal = journalPath
        let stamp = try withTrustedDirectory { dirfd throws(RegistryError) -> FileStamp? in
            let fd: FileDescriptor
            do throws(Errno) {
                fd = try .openAt(FilePath(FileIO.split(journal).name), in: dirfd, .writeOnly, options: [.append, .noFollow, FileDescriptor.OpenOptions(rawValue: O_NOCTTY)])
            } catch {
                if error == .tooManySymbolicLinkLevels { throw .untrusted(path: journal, reason: "is a symbolic link") }
                throw .io(path: journal, "open for append", error)
            }
            defer { fd.closeQuietly() }
            func stat() throws(RegistryError) -> Stat {
                do throws(Errno) { return try fd.stat() } catch { throw .io(path: journal, "fstat", error) }
            }
            let before = try stat()
            try RegistryTrust.checkFile(before.rawValue, path: journal)
            if Int(before.size) != validLength {
                guard Int(before.size) > validLength else {
                    throw .io(path: journal, "append (the journal is shorter than its last read)", .resourceTemporarilyUnavailable)
                }
                do throws(Errno) { try fd.truncate(to: Int64(validLength)) } catch { throw .io(path: journal, "ftruncate torn tail", error) }
            }
            do throws(Errno) { try fd.write(contentsOf: bytes) } catch { throw .io(path: journal, "write", error) }
            do throws(Errno) { try fd.syncData() } catch { throw .io(path: journal, "fdatasync", error) }
            return FileStamp(try stat().rawValue)
        }
        guard let stamp else { throw .io(path: journal, "open for append (its directory is gone)", .noSuchFileOrDirectory) }
        return stamp
    }

    /// Writes `document` as a new snapshot with a fresh journal token (atomically, see
    /// `AtomicFile.replace`; the directory is created 0700 if missing), then removes the
    /// journal it supersedes. A crash between the two leaves a stale journal, ignored by readers.
    func compact(_ document: RegistryDocument) throws(RegistryError) -> RegistryCommit {
        var snapshot = document.withoutToken
        snapshot.version = RegistryDocument.currentVersion
        snapshot.journal = String(UInt64.random(in: 0...UInt64.max), radix: 16).leftPadded(to: 16)
        let bytes: [UInt8]
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            bytes = Array(try encoder.encode(snapshot)) + [0x0A]
        } catch {
            throw .io(path: path, "encode JSON (\(error))", .invalidArgument)
        }
        let (directory, name) = FileIO.split(path)
        try FileIO.makeDirectories(directory, for: path)
        do {
            try AtomicFile.replace(FilePath(path), with: bytes, permissions: .ownerReadWrite)
        } catch {
            throw .io(error)
        }
        let stamp = try withTrustedDirectory { dirfd throws(RegistryError) -> FileStamp? in
            do throws(Errno) { try dirfd.unlink(FilePath(FileIO.split(journalPath).name)) } catch {
                if error != .noSuchFileOrDirectory { throw .io(path: journalPath, "unlink superseded journal", error) }
            }
            return try FileStamp.of(name, in: dirfd, path: path)
        }
        guard let stamp else { throw .io(path: path, "stat after replace", .noSuchFileOrDirectory) }
        let cache = RegistryCache(document: snapshot, snapshot: stamp, snapshotBytes: bytes.count, journal: nil, journalLength: 0)
        return RegistryCommit(document: snapshot.withoutToken, cache: cache, snapshotBytes: bytes.count, syncs: 2, compacted: true)
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
