import Foundation
import OverseerProcess
import OverseerRegistry
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The API exactly as /work/main's reaper and supervisor call it (a plain `import`, no
/// `@testable`): a reap pass's reads and read-modify-write, and the factory path with its heartbeat.
final class CallSiteTests: XCTestCase {
    var temp: TempDirectory!

    override func setUpWithError() throws {
        temp = try TempDirectory()
    }

    override func tearDown() {
        temp.remove()
    }

    func testReapPassOverAnOverseerRegistry() throws {
        let path = temp.file("state/registry.json")
        let store = RegistryStore(path: path)
        let owner = ProcessIdentity(pid: 1, startTime: 1, bootID: "b")
        try store.update(timeout: 10) { document in
            document.supervisor = SupervisorRecord(identity: owner, status: .stopping, heartbeatAt: 5)
            document.agents = [
                RegistryEntry(id: "a", name: "a", role: nil, issue: IssueRef(uuid: nil, key: "ENG-1", path: nil), sessionRef: "s", dispatchID: "d",
                              incarnation: "i1", state: .dispatchFailed, roots: [owner], cgroup: nil, owner: owner,
                              createdAt: 1, updatedAt: 2, reapAttempts: 0, firstUnresolvedAt: nil),
                RegistryEntry(id: "b", name: "b", incarnation: "i1", state: .running, createdAt: 1),
            ]
        }
        let passLock = RegistryStore(path: path + ".reap")
        let consumed = try passLock.withLock(timeout: 5) { () -> [String] in
            let raw = try XCTUnwrap(try store.withLock(timeout: 5, { try store.loadRaw() }))
            XCTAssertEqual(RegistryFormat.detect(raw), .overseer)
            let document = try XCTUnwrap(try store.withLock(timeout: 5, { try store.load() }))
            XCTAssertEqual(document.supervisor?.status, .stopping)
            var consumed: [String] = []
            _ = try store.update(timeout: 5) { document in
                guard let index = document.agents.firstIndex(where: { $0.id == "a" && $0.incarnation == "i1" }) else { return }
                document.agents.remove(at: index)
                consumed.append("a")
                document.agents[0].reapAttempts += 1
                document.agents[0].firstUnresolvedAt = document.agents[0].firstUnresolvedAt ?? 9
            }
            return consumed
        }
        XCTAssertEqual(consumed, ["a"])
        let after = try XCTUnwrap(try store.load())
        XCTAssertEqual(after.agents.map(\.id), ["b"])
        XCTAssertEqual(after.agents[0].reapAttempts, 1)
        XCTAssertEqual(after.agents[0].firstUnresolvedAt, 9)
        XCTAssertEqual(temp.listing(temp.file("state")), ["registry.json", "registry.json.journal", "registry.json.lock", "registry.json.reap.lock"])
    }

    func testReapPassOverAFactoryRegistryWithHeartbeat() throws {
        let heartbeatPath = temp.file("heartbeat.json")
        try Files.write(heartbeatPath, #"{"pid": 999999999, "status": "stopping", "updatedAtMs": 1795462200000, "agents": 2}"#)
        let path = temp.file("factory.json")
        try Files.write(path, #"{"pid": 999999999, "heartbeatPath": "\#(heartbeatPath)", "updatedAt": "2026-01-01T00:00:00Z", "updatedAtMs": 1767225600000, "agents": [{"name": "w", "pids": [42], "processes": [{"pid": 42, "agentName": "w", "cmdline": "node agent.js", "startTime": "Mon Jun  8 12:00:00 2026"}]}]}"#)
        let store = RegistryStore(path: path)
        let raw = try XCTUnwrap(try store.withLock(timeout: 5, { try store.loadRaw() }))
        XCTAssertEqual(RegistryFormat.detect(raw), .factory)
        let registry = try FactoryRegistry.decode(raw, path: path)
        let heartbeat = try registry.heartbeatPath.flatMap { path in try RegistryStore(path: path).loadRaw().flatMap { try? FactoryHeartbeat.decode($0) } }
        let pid = Int32(heartbeat?.pid ?? registry.pid ?? 0)
        let updatedMs = heartbeat?.updatedAtMs ?? registry.updatedAtMs
        XCTAssertEqual(pid, 999_999_999)
        XCTAssertEqual(updatedMs.map { Double($0) / 1000 }, 1_795_462_200)
        XCTAssertTrue(heartbeat?.status == "stopping")
        for agent in registry.agents {
            for process in agent.processes ?? [] where process.agentName == nil || process.agentName == agent.name {
                XCTAssertEqual(Int32(process.pid), 42)
                XCTAssertEqual(process.startTime, "Mon Jun  8 12:00:00 2026")
            }
            XCTAssertEqual((agent.pids ?? []).map { Int32($0) }, [42])
        }
    }

    func testErrorsMapAsTheReaperMapsThem() throws {
        let path = temp.file("registry.json")
        try Files.write(path, "{}", mode: 0o666)
        do {
            _ = try RegistryStore(path: path).withLock(timeout: 1) { try RegistryStore(path: path).load() }
            XCTFail("expected a refusal")
        } catch let error as RegistryError {
            switch error {
            case .untrusted, .corrupt, .unsupportedVersion: XCTAssertTrue(error.description.contains(path))
            default: XCTFail("\(error)")
            }
        }
    }
}
