import Foundation
import OverseerProcess
@testable import OverseerRegistry
import OverseerTestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The snapshot + journal format against real files: what a write costs, and what a reader
/// makes of torn, stale, corrupt and untrusted journals.
final class RegistryJournalTests: XCTestCase {
    var temp: TempDirectory!
    var store: RegistryStore!

    override func setUpWithError() throws {
        temp = try TempDirectory()
        store = RegistryStore(path: temp.file("registry.json"))
    }

    override func tearDown() {
        temp.remove()
    }

    static func entry(_ id: String) -> RegistryEntry {
        RegistryEntry(id: id, name: "n-" + id, incarnation: "i", createdAt: 1)
    }

    /// The entry as JSON, for hand-written files.
    static func json(_ id: String) throws -> String {
        String(decoding: try JSONEncoder().encode(entry(id)), as: UTF8.self)
    }

    /// Adds one entry through the cache and returns the commit.
    func add(_ id: String, cache: RegistryCache?) throws -> RegistryCommit {
        try store.update(cache: cache) { $0.agents.append(Self.entry(id)) }
    }

    func testAWriteAppendsOnlyWhatChangedWhateverTheRegistrySize() throws {
        var perAdd: [Int: Int] = [:]
        for size in [10, 400] {
            let store = RegistryStore(path: temp.file("r\(size)/registry.json"))
            var commit = try store.update(cache: nil) { $0.agents = (0..<size).map { Self.entry("old-\($0)") } }
            XCTAssertTrue(commit.compacted, "the first write makes the snapshot")
            commit = try store.update(cache: commit.cache) { $0.agents.append(Self.entry("new-0")) }
            XCTAssertFalse(commit.compacted)
            XCTAssertTrue(commit.reusedCache, "nobody else wrote: nothing is read")
            commit = try store.update(cache: commit.cache) { $0.agents.append(Self.entry("new-1")) }
            XCTAssertEqual(commit.snapshotBytes, 0)
            XCTAssertEqual(commit.syncs, 1, "an append to an open journal costs one fdatasync")
            perAdd[size] = commit.journalBytes
            XCTAssertEqual(try store.load()?.agents.count, size + 2)
        }
        // Equal up to the digits of the timestamps on the line.
        XCTAssertLessThanOrEqual(abs((perAdd[10] ?? 0) - (perAdd[400] ?? .max)), 8, "bytes per added entry do not depend on the entries already there: \(perAdd)")
        XCTAssertLessThan(perAdd[400] ?? .max, 400, "one line: the entry and the heartbeat")
    }

    func testReplayedJournalEqualsTheCommittedRegistry() throws {
        var generator = SystemRandomNumberGenerator()
        var commit = try store.update(cache: nil) { $0.agents = (0..<5).map { Self.entry("e\($0)") } }
        var next = 5
        for round in 0..<200 {
            commit = try store.update(cache: round % 17 == 0 ? nil : commit.cache) { document in
                switch Int.random(in: 0..<4, using: &generator) {
                case 0: document.agents.append(Self.entry("e\(next)")); next += 1
                case 1 where !document.agents.isEmpty: document.agents.remove(at: Int.random(in: 0..<document.agents.count, using: &generator))
                case 2 where !document.agents.isEmpty: document.agents[Int.random(in: 0..<document.agents.count, using: &generator)].reapAttempts += 1
                default: document.supervisor = SupervisorRecord(identity: ProcessIdentity(pid: 7, startTime: UInt64(round), bootID: "b"), status: .running, heartbeatAt: Double(round))
                }
            }
            let reloaded = try XCTUnwrap(try RegistryStore(path: store.path).load())
            XCTAssertEqual(reloaded.agents.sorted { $0.id < $1.id }, commit.document.agents.sorted { $0.id < $1.id }, "round \(round)")
            XCTAssertEqual(reloaded.supervisor, commit.document.supervisor)
            XCTAssertEqual(reloaded.updatedAt, commit.document.updatedAt)
        }
        XCTAssertTrue(Files.exists(store.journalPath))

        // The shell tests' independent reader (Scripts/lib/registry_view.py) agrees.
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Scripts/lib/registry_view.py").standardized.path
        let (status, stdout) = try Spawn.run(["/usr/bin/python3", script, store.path])
        XCTAssertEqual(status, 0, stdout)
        let viewed = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any])
        let ids = (viewed["agents"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
        XCTAssertEqual(ids.sorted(), commit.document.agents.map(\.id).sorted())
        XCTAssertEqual(try XCTUnwrap(viewed["updated_at"] as? Double), commit.document.updatedAt, accuracy: 0.001)
    }

    func testATornLastLineIsIgnoredAndCutBeforeTheNextAppend() throws {
        var commit = try add("a", cache: nil)
        commit = try add("b", cache: commit.cache)
        let torn = Array(#"{"put":[{"id":"ghost","#.utf8)
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: store.journalPath))
        handle.seekToEndOfFile()
        handle.write(Data(torn))
        handle.closeFile()
        XCTAssertEqual(try store.load()?.agents.map(\.id), ["a", "b"], "the torn line never completed: ignored")
        _ = try add("c", cache: nil)
        let text = String(decoding: try XCTUnwrap(Files.bytes(store.journalPath)), as: UTF8.self)
        XCTAssertFalse(text.contains("ghost"), "the torn tail was cut off: \(text)")
        XCTAssertTrue(text.hasSuffix("\n"))
        XCTAssertEqual(try store.load()?.agents.map(\.id), ["a", "b", "c"])
    }

    func testAJournalOfAnotherSnapshotIsIgnoredThenReplaced() throws {
        let commit = try add("a", cache: nil)
        try Files.write(store.journalPath, #"{"journal":"0000000000000000"}"# + "\n" + #"{"put":["# + (try Self.json("stale")) + "]}\n")
        XCTAssertEqual(try store.load()?.agents.map(\.id), ["a"], "a journal naming another token is stale")
        let next = try add("b", cache: commit.cache)
        XCTAssertFalse(next.reusedCache, "the journal changed under the cache")
        XCTAssertEqual(try store.load()?.agents.map(\.id), ["a", "b"])
        XCTAssertFalse(String(decoding: try XCTUnwrap(Files.bytes(store.journalPath)), as: UTF8.self).contains("stale"))
    }

    func testACrashBetweenCompactionAndUnlinkLeavesAStaleJournal() throws {
        var commit = try add("a", cache: nil)
        commit = try add("b", cache: commit.cache)
        let oldJournal = try XCTUnwrap(Files.bytes(store.journalPath))
        var document = commit.document
        document.agents.removeAll { $0.id == "a" }
        try store.save(document)
        XCTAssertFalse(Files.exists(store.journalPath), "compaction removes the journal it supersedes")
        try Files.write(store.journalPath, oldJournal) // as if the unlink never reached the disk
        XCTAssertEqual(try store.load()?.agents.map(\.id), ["b"], "the old journal's put of a is not replayed onto the new snapshot")
    }

    func testACorruptCompleteLineIsMovedAsideAndNamed() throws {
        var commit = try add("a", cache: nil)
        commit = try add("b", cache: commit.cache)
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: store.journalPath))
        handle.seekToEndOfFile()
        handle.write(Data("not json\n".utf8))
        handle.closeFile()
        guard case .corruptLeftInPlace(let path, let reason) = thrownError(RegistryError.self, { try store.load(movingCorruptAside: false) }) else {
            return XCTFail("a dry run leaves it in place")
        }
        XCTAssertEqual(path, store.journalPath)
        XCTAssertTrue(reason.contains("line 3"), reason)
        guard case .corrupt(let moved, let movedTo, _) = thrownError(RegistryError.self, { try store.load() }) else { return XCTFail("expected .corrupt") }
        XCTAssertEqual(moved, store.journalPath)
        XCTAssertTrue(movedTo.hasPrefix(store.journalPath + ".corrupt-"), movedTo)
        XCTAssertTrue(Files.exists(movedTo), "moved aside, never deleted")
        XCTAssertEqual(try store.load()?.agents.map(\.id), ["a"], "then the snapshot alone is read")
    }

    func testAnUntrustedJournalIsRefused() throws {
        var commit = try add("a", cache: nil)
        commit = try add("b", cache: commit.cache)
        XCTAssertEqual(chmod(store.journalPath, 0o666), 0)
        guard case .untrusted(let path, _) = thrownError(RegistryError.self, { try store.load() }) else { return XCTFail("expected .untrusted") }
        XCTAssertEqual(path, store.journalPath)
        XCTAssertThrowsError(try add("c", cache: commit.cache), "a cached writer re-reads a changed journal and refuses it too")
        XCTAssertEqual(chmod(store.journalPath, 0o600), 0)
        XCTAssertEqual(unlink(store.journalPath), 0)
        XCTAssertEqual(symlink(temp.file("elsewhere"), store.journalPath), 0)
        guard case .untrusted = thrownError(RegistryError.self, { try store.load() }) else { return XCTFail("a symlinked journal is refused") }
    }

    func testAVersion1FileIsReadAndCompactedOnTheFirstWrite() throws {
        try Files.write(store.path, #"{"version": 1, "updated_at": 1, "agents": ["# + (try Self.json("old")) + "]}")
        XCTAssertEqual(try store.load()?.agents.map(\.id), ["old"])
        let commit = try add("new", cache: nil)
        XCTAssertTrue(commit.compacted, "a snapshot without a token cannot be continued by a journal")
        let top = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(try XCTUnwrap(Files.bytes(store.path)))) as? [String: Any])
        XCTAssertEqual(top["version"] as? Int, 2)
        XCTAssertEqual(try store.load()?.agents.map(\.id), ["old", "new"])
    }

    func testTheJournalIsCompactedOnceItOutgrowsTheSnapshot() throws {
        var commit = try add("seed", cache: nil)
        var compactions = 0
        var longest = 0
        for round in 0..<600 {
            commit = try store.update(cache: commit.cache) { $0.agents[0].reapAttempts = round }
            if commit.compacted { compactions += 1 }
            longest = max(longest, Files.info(store.journalPath).map { Int($0.st_size) } ?? 0)
        }
        XCTAssertGreaterThan(compactions, 0, "600 heartbeats outgrow a one-entry snapshot")
        XCTAssertLessThanOrEqual(longest, RegistryStore.compactionFloor, "the journal stays within max(64 KiB, 2 × snapshot)")
        XCTAssertEqual(try store.load()?.agents.first?.reapAttempts, 599)
    }

    func testACachedWriterSeesAnotherWritersChange() throws {
        let mine = try add("mine", cache: nil)
        _ = try RegistryStore(path: store.path).update { $0.agents.append(Self.entry("theirs")) }
        let next = try add("mine-2", cache: mine.cache)
        XCTAssertFalse(next.reusedCache)
        XCTAssertEqual(Set(try XCTUnwrap(try store.load()).agents.map(\.id)), ["mine", "theirs", "mine-2"])
    }

    func testRepeatedIdsAreWrittenAsASnapshot() throws {
        var commit = try add("a", cache: nil)
        commit = try store.update(cache: commit.cache) { $0.agents.append(Self.entry("a")) }
        XCTAssertTrue(commit.compacted, "a journal replays by id, so it cannot say two entries share one")
        XCTAssertEqual(try store.load()?.agents.map(\.id), ["a", "a"])
        commit = try store.update(cache: commit.cache) { $0.agents.removeLast() }
        XCTAssertTrue(commit.compacted)
        XCTAssertEqual(try store.load()?.agents.map(\.id), ["a"])
    }

    func testAJournalWithoutASnapshotIsIgnored() throws {
        try Files.write(store.journalPath, #"{"journal":"0123456789abcdef"}"# + "\n" + #"{"put":["# + (try Self.json("x")) + "]}\n")
        XCTAssertNil(try store.load())
        _ = try add("a", cache: nil)
        XCTAssertEqual(try store.load()?.agents.map(\.id), ["a"])
    }
}
