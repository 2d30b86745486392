import Foundation
import OverseerProcess
@testable import OverseerRegistry
import Synchronization
import OverseerSystem
import OverseerTestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Saving, loading, locking and read-modify-write against real files.
final class RegistryStoreTests: XCTestCase {
    var temp: TempDirectory!
    var store: RegistryStore!

    override func setUpWithError() throws {
        temp = try TempDirectory()
        store = RegistryStore(path: temp.file("registry.json"))
    }

    override func tearDown() {
        temp.remove()
    }

    func testMissingFileLoadsAsNil() throws {
        XCTAssertNil(try store.load())
        XCTAssertNil(try store.loadRaw())
        XCTAssertNil(try RegistryStore(path: temp.file("no/such/dir/registry.json")).load())
    }

    func testRoundTrip() throws {
        let document = RegistryDocument.sample(count: 3)
        try store.save(document)
        XCTAssertEqual(try store.load(), document)
        XCTAssertEqual(temp.listing(), ["registry.json"], "no temporary file left behind")
    }

    func testJSONKeysAreSnakeCaseSortedAndPretty() throws {
        try store.save(.sample(count: 2))
        let bytes = try XCTUnwrap(Files.bytes(store.path))
        let text = String(decoding: bytes, as: UTF8.self)
        let top = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        XCTAssertEqual(Set(top.keys), ["version", "supervisor", "updated_at", "agents", "journal"])
        XCTAssertEqual(top["version"] as? Int, 2)
        XCTAssertEqual((top["journal"] as? String)?.count, 16, "the token a journal continuing this snapshot starts with")
        let supervisor = try XCTUnwrap(top["supervisor"] as? [String: Any])
        XCTAssertEqual(Set(supervisor.keys), ["identity", "status", "heartbeat_at"])
        XCTAssertEqual(Set(try XCTUnwrap(supervisor["identity"] as? [String: Any]).keys), ["pid", "start_time", "boot_id"])
        let agents = try XCTUnwrap(top["agents"] as? [[String: Any]])
        XCTAssertEqual(Set(agents[1].keys), [
            "id", "name", "role", "issue", "session_ref", "dispatch_id", "incarnation", "state", "roots",
            "cgroup", "owner", "created_at", "updated_at", "reap_attempts", "first_unresolved_at",
        ])
        XCTAssertEqual(agents[1]["state"] as? String, "dispatch_failed")
        XCTAssertEqual(Set(try XCTUnwrap(agents[1]["issue"] as? [String: Any]).keys), ["uuid", "key", "path"])
        XCTAssertNil(agents[0]["first_unresolved_at"], "absent optionals are omitted")
        XCTAssertTrue(text.contains("\n  \"agents\" : ["), "pretty-printed: \(text.prefix(80))")
        // Top-level keys are the lines indented by exactly two spaces.
        let topLevel = text.split(separator: "\n").filter { $0.hasPrefix("  \"") }.map { $0.dropFirst(3).prefix { $0 != "\"" } }
        XCTAssertEqual(topLevel, ["agents", "journal", "supervisor", "updated_at", "version"], "keys sorted")
        let entryKeys = text.split(separator: "\n").filter { $0.hasPrefix("      \"") }.prefix(14).map { String($0.dropFirst(7).prefix { $0 != "\"" }) }
        XCTAssertEqual(entryKeys, entryKeys.sorted(), "nested keys sorted")
    }

    func testSavedFileIs0600AndCreatedDirectoriesAre0700() throws {
        let nested = RegistryStore(path: temp.file("a/b/registry.json"))
        let old = umask(0)
        defer { umask(old) }
        try nested.save(.sample())
        XCTAssertEqual(Files.mode(temp.file("a")), 0o700)
        XCTAssertEqual(Files.mode(temp.file("a/b")), 0o700)
        XCTAssertEqual(Files.mode(nested.path), 0o600)
        // Replacing a looser file yields 0600 too (a new inode, not a rewrite).
        try Files.write(store.path, "{}", mode: 0o644)
        try store.save(.sample())
        XCTAssertEqual(Files.mode(store.path), 0o600)
    }

    func testFailedSaveIntoPathUnderARegularFileLeavesEverythingAlone() throws {
        try Files.write(temp.file("blocker"), "precious")
        let blocked = RegistryStore(path: temp.file("blocker/registry.json"))
        guard case .io = thrownError(RegistryError.self, { try blocked.save(.sample()) }) else { return XCTFail("expected .io") }
        XCTAssertEqual(Files.bytes(temp.file("blocker")), Array("precious".utf8))
        XCTAssertEqual(temp.listing(), ["blocker"])
    }

    func testFailedWriteKeepsTheOldFileAndRemovesTheTemporary() throws {
        let old = RegistryDocument.sample(count: 1)
        try store.save(old)
        let oldBytes = Files.bytes(store.path)
        // Make write(2) fail part-way with EFBIG: a file-size limit below the new document's size.
        var saved = rlimit()
        getrlimit(__rlimit_resource_t(RLIMIT_FSIZE.rawValue), &saved)
        var small = saved
        small.rlim_cur = 256
        let previousHandler = signal(SIGXFSZ, SIG_IGN)
        XCTAssertEqual(setrlimit(__rlimit_resource_t(RLIMIT_FSIZE.rawValue), &small), 0)
        let error = thrownError(RegistryError.self) { try store.save(.sample(count: 50)) }
        setrlimit(__rlimit_resource_t(RLIMIT_FSIZE.rawValue), &saved)
        signal(SIGXFSZ, previousHandler)
        guard case .io(let failure) = error else { return XCTFail("expected .io, got \(String(describing: error))") }
        XCTAssertEqual(failure.operation, "write temporary file")
        XCTAssertEqual(failure.errno.rawValue, EFBIG)
        XCTAssertEqual(Files.bytes(store.path), oldBytes, "old content intact")
        XCTAssertEqual(temp.listing(), ["registry.json"], "temporary file removed")
        XCTAssertEqual(try store.load(), old)
    }

    func testFailedRenameRemovesTheTemporary() throws {
        // The target is a non-empty directory: everything succeeds up to rename(2).
        XCTAssertEqual(mkdir(store.path, 0o700), 0)
        try Files.write(store.path + "/inside", "keep")
        guard case .io(let failure) = thrownError(RegistryError.self, { try store.save(.sample()) }) else { return XCTFail("expected .io") }
        XCTAssertTrue(failure.operation.contains("rename"), failure.operation)
        XCTAssertEqual(temp.listing(), ["registry.json"])
        XCTAssertEqual(temp.listing(store.path), ["inside"])
    }

    func testUpdateCreatesThenModifies() throws {
        let before = Date().timeIntervalSince1970
        let first = try store.update { $0.agents.append(RegistryDocument.sample(count: 1).agents[0]) }
        XCTAssertEqual(first.version, 2)
        XCTAssertGreaterThanOrEqual(first.updatedAt, before)
        let second = try store.update { $0.agents[0].reapAttempts = 7 }
        XCTAssertEqual(second.agents.count, 1)
        XCTAssertEqual(try store.load()?.agents.first?.reapAttempts, 7)
        XCTAssertEqual(Files.mode(store.lockPath), 0o600)
    }

    func testUpdateBodyThatThrowsSavesNothing() throws {
        try store.save(.sample(count: 1))
        let bytes = Files.bytes(store.path)
        struct Stop: Error {}
        XCTAssertThrowsError(try store.update { document in
            document.agents.removeAll()
            throw Stop()
        }) { XCTAssertTrue($0 is Stop) }
        XCTAssertEqual(Files.bytes(store.path), bytes)
    }

    func testConcurrentUpdatesLoseNothing() throws {
        // 20 contending threads, each appending to the journal (compacted as it outgrows the snapshot).
        let threads = 20, perThread = 8
        let store = self.store!
        let failures = Mutex<[String]>([])
        let group = DispatchGroup()
        for thread in 0..<threads {
            group.enter()
            Thread {
                for index in 0..<perThread {
                    do {
                        try store.update { document in
                            document.agents.append(RegistryEntry(id: "t\(thread)-\(index)", name: "n", incarnation: "i", createdAt: 1))
                        }
                    } catch {
                        failures.withLock { $0.append("\(error)") }
                    }
                }
                group.leave()
            }.start()
        }
        XCTAssertEqual(group.wait(timeout: .now() + 300), .success)
        XCTAssertEqual(failures.withLock { $0 }, [])
        let agents = try XCTUnwrap(try store.load()).agents
        XCTAssertEqual(agents.count, threads * perThread)
        XCTAssertEqual(Set(agents.map(\.id)).count, threads * perThread)
        XCTAssertEqual(temp.listing(), ["registry.json", "registry.json.journal", "registry.json.lock"])
    }

    func testLockTimeoutIsReported() throws {
        let started = ContinuousClock.now
        let error = thrownError(RegistryError.self) { try store.withLock { try store.withLock(timeout: 0.3) { 1 } } }
        let elapsed = (ContinuousClock.now - started).inSeconds
        XCTAssertEqual(error, .lockTimeout(path: store.lockPath))
        XCTAssertGreaterThanOrEqual(elapsed, 0.3)
        XCTAssertLessThan(elapsed, 3)
        XCTAssertTrue(error?.description.contains(store.lockPath) ?? false)
        // Released once the holder is done.
        XCTAssertEqual(try store.withLock(timeout: 0.1) { 2 }, 2)
        assertThrows(RegistryError.lockTimeout(path: store.lockPath)) { try store.withLock { try store.update(timeout: 0) { _ in } } }
    }

    func testLockWaitsForAnotherHolder() throws {
        let store = self.store!
        let held = DispatchSemaphore(value: 0)
        let done = DispatchSemaphore(value: 0)
        Thread {
            try? store.withLock {
                held.signal()
                BlockingSleep.sleep(for: .milliseconds(500))
            }
            done.signal()
        }.start()
        held.wait()
        let started = ContinuousClock.now
        XCTAssertEqual(try store.withLock(timeout: 10) { 3 }, 3)
        XCTAssertGreaterThan(ContinuousClock.now - started, .milliseconds(300), "waited for the holder")
        done.wait()
    }

    func testLockDescriptorIsCloseOnExec() throws {
        let flags = try store.withLock { () -> String? in
            for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? [] {
                guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + entry),
                      target == store.lockPath,
                      let info = try? String(contentsOfFile: "/proc/self/fdinfo/" + entry, encoding: .utf8) else { continue }
                return info.split(separator: "\n").first { $0.hasPrefix("flags:") }.map(String.init)
            }
            return nil
        }
        let octal = try XCTUnwrap(flags?.split(separator: "\t").last.flatMap { Int($0, radix: 8) }, "lock fd not found")
        XCTAssertNotEqual(octal & Int(O_CLOEXEC), 0)
    }
}
