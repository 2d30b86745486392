import Foundation
import OverseerProcess
@testable import OverseerRegistry
import OverseerTestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The factory-sdk registry and heartbeat: detection, tolerant decoding, trust and quarantine.
final class FactoryRegistryTests: XCTestCase {
    var temp: TempDirectory!
    var path: String { temp.file("inflight.json") }

    override func setUpWithError() throws {
        temp = try TempDirectory()
    }

    override func tearDown() {
        temp.remove()
    }

    func testDetect() throws {
        let overseer = try JSONEncoder().encode(RegistryDocument.sample())
        XCTAssertEqual(RegistryFormat.detect(Array(overseer)), .overseer)
        let cases: [(String, RegistryFormat)] = [
            ("{\"version\": 7}", .overseer),
            ("{\"agents\": [{\"name\": \"a\", \"pids\": [1]}]}", .factory),
            ("{\"agents\": [{\"pids\": [1]}, {\"name\": \"b\"}]}", .factory),
            ("{\"pid\": 5, \"agents\": []}", .factory),
            ("{\"agents\": []}", .unknown),
            ("{\"agents\": [{\"id\": \"a\"}]}", .unknown),
            ("{\"agents\": [3]}", .unknown),
            ("{\"agents\": {\"name\": \"a\"}}", .unknown),
            ("[{\"name\": \"a\"}]", .unknown),
            ("not json", .unknown),
            ("", .unknown),
        ]
        for (text, expected) in cases {
            XCTAssertEqual(RegistryFormat.detect(Array(text.utf8)), expected, text)
        }
    }

    /// A registry as factory-sdk writes it, with a process whose lstart comes from ps.
    func testRealisticSampleDecodes() throws {
        let sleeper = try Spawn.start(["sleep", "60"])
        defer { Spawn.killAndReap(sleeper) }
        let lstart = try Spawn.lstart(of: sleeper)
        let text = """
        {
          "pid": \(getpid()),
          "heartbeatPath": "/run/factory/heartbeat.json",
          "updatedAt": "2026-11-23T19:30:00.123Z",
          "updatedAtMs": 1795462200123,
          "schema": "factory-inflight",
          "agents": [
            {
              "name": "worker-1",
              "role": "coder",
              "issue": {"uuid": "5b0c", "key": "FAC-12", "path": "issues/FAC-12.md", "title": "ignored"},
              "sessionRef": "sess-9",
              "pids": [\(sleeper), 4194303],
              "processes": [
                {"pid": \(sleeper), "agentName": "worker-1", "cmdline": "sleep 60", "startTime": "\(lstart)", "cpu": 0.5},
                {"pid": 4194303, "agentName": "worker-1", "cmdline": ["node", "agent.js", "--agent-name", "worker-1"]}
              ],
              "spawnedBy": "factory"
            },
            {"name": "worker-2", "pids": [], "role": 7, "issue": "FAC-13"}
          ]
        }
        """
        try Files.write(path, text)
        let store = RegistryStore(path: path)
        let raw = try XCTUnwrap(try store.loadRaw())
        XCTAssertEqual(raw, Array(text.utf8))
        XCTAssertEqual(RegistryFormat.detect(raw), .factory)
        let registry = try FactoryRegistry.decode(raw, path: path)
        XCTAssertEqual(try store.loadFactory(), registry)

        XCTAssertEqual(registry.pid, getpid())
        XCTAssertEqual(registry.heartbeatPath, "/run/factory/heartbeat.json")
        XCTAssertEqual(registry.updatedAtMs, 1_795_462_200_123)
        XCTAssertEqual(try XCTUnwrap(registry.updatedAt?.epochSeconds), 1_795_462_200.123, accuracy: 0.0005)
        XCTAssertEqual(registry.agents.map(\.name), ["worker-1", "worker-2"])
        let worker = registry.agents[0]
        XCTAssertEqual(worker.role, "coder")
        XCTAssertEqual(worker.issue, IssueRef(uuid: "5b0c", key: "FAC-12", path: "issues/FAC-12.md"))
        XCTAssertEqual(worker.sessionRef, "sess-9")
        XCTAssertEqual(worker.pids, [sleeper, 4_194_303])
        let processes = try XCTUnwrap(worker.processes)
        XCTAssertEqual(processes[0], FactoryProcess(pid: sleeper, agentName: "worker-1", cmdline: .text("sleep 60"), startTime: lstart))
        XCTAssertEqual(processes[1].cmdline, .argv(["node", "agent.js", "--agent-name", "worker-1"]))
        XCTAssertEqual(processes[1].cmdline?.arguments, ["node", "agent.js", "--agent-name", "worker-1"])
        XCTAssertEqual(processes[0].cmdline?.arguments, ["sleep", "60"])
        XCTAssertNil(processes[1].startTime)
        XCTAssertEqual(registry.agents[1], FactoryAgent(name: "worker-2", role: nil, issue: IssueRef(key: "FAC-13"), pids: []))

        let stat = try ProcStat.read(pid: sleeper)
        XCTAssertTrue(LStart.matches(try XCTUnwrap(processes[0].startTime), startTime: stat.startTime))
        XCTAssertEqual(Files.bytes(path), Array(text.utf8), "a factory registry is never rewritten")
    }

    func testUpdatedAtAsNumberAndMissingOptionals() throws {
        let seconds = try FactoryRegistry.parse(Array("{\"updatedAt\": 1795462200.5, \"agents\": [{\"name\": \"a\"}]}".utf8))
        XCTAssertEqual(seconds.updatedAt, .number(1_795_462_200.5))
        XCTAssertEqual(seconds.agents, [FactoryAgent(name: "a")])
        XCTAssertNil(seconds.pid)
        let millis = try FactoryRegistry.parse(Array("{\"updatedAt\": 1795462200500, \"updatedAtMs\": \"1795462200500\", \"pid\": \"77\", \"agents\": []}".utf8))
        XCTAssertEqual(millis.updatedAt?.epochSeconds, 1_795_462_200.5)
        XCTAssertEqual(millis.updatedAtMs, 1_795_462_200_500)
        XCTAssertEqual(millis.pid, 77)
        XCTAssertNil(FactoryTimestamp.text("yesterday").epochSeconds)
        XCTAssertEqual(FactoryTimestamp.text("2026-11-23T19:30:00Z").epochSeconds, 1_795_462_200)
        XCTAssertEqual(FactoryTimestamp.text("2026-11-23T20:30:00+01:00").epochSeconds, 1_795_462_200)
    }

    func testHeartbeat() throws {
        let text = "{\"pid\": 321, \"status\": \"stopping\", \"updatedAtMs\": 1795462200123, \"host\": \"x\", \"agents\": 3}"
        let heartbeat = try FactoryHeartbeat.decode(Array(text.utf8))
        XCTAssertEqual(heartbeat, FactoryHeartbeat(pid: 321, status: "stopping", updatedAtMs: 1_795_462_200_123))
        XCTAssertEqual(heartbeat.state, .stopping)
        XCTAssertEqual(try FactoryHeartbeat.decode(Array("{\"status\": \"idle\"}".utf8)).state, .idle)
        let odd = try FactoryHeartbeat.decode(Array("{\"status\": \"paused\"}".utf8))
        XCTAssertEqual(odd.status, "paused")
        XCTAssertNil(odd.state)
        XCTAssertThrowsError(try FactoryHeartbeat.decode(Array("{\"pid\": -4}".utf8)))
        XCTAssertThrowsError(try FactoryHeartbeat.decode(Array("[]".utf8)))
    }

    func testInvalidPidsMakeTheFileCorrupt() throws {
        let bad = [
            "{\"pid\": 1, \"agents\": [{\"name\": \"a\", \"pids\": [-1]}]}",
            "{\"pid\": 1, \"agents\": [{\"name\": \"a\", \"pids\": [0]}]}",
            "{\"pid\": 1, \"agents\": [{\"name\": \"a\", \"pids\": [99999999999]}]}",
            "{\"pid\": 1, \"agents\": [{\"name\": \"a\", \"pids\": [1.5]}]}",
            "{\"pid\": 1, \"agents\": [{\"name\": \"a\", \"processes\": [{\"agentName\": \"a\"}]}]}",
            "{\"pid\": 1, \"agents\": [{\"pids\": [5]}]}",
        ]
        for text in bad {
            XCTAssertThrowsError(try FactoryRegistry.parse(Array(text.utf8)), text)
        }
    }

    func testCorruptFactoryFileIsMovedAside() throws {
        let text = "{\"pid\": 1, \"agents\": [{\"name\": \"a\", \"pids\": [-1]}]}"
        try Files.write(path, text)
        let raw = try XCTUnwrap(try RegistryStore(path: path).loadRaw())
        guard case .corrupt(let reportedPath, let movedTo, let reason) = thrownError(RegistryError.self, { try FactoryRegistry.decode(raw, path: path) }) else {
            return XCTFail("expected .corrupt")
        }
        XCTAssertEqual(reportedPath, path)
        XCTAssertTrue(reason.contains("pid"), reason)
        XCTAssertTrue(movedTo.hasPrefix(path + ".corrupt-"), movedTo)
        XCTAssertEqual(Files.bytes(movedTo), Array(text.utf8))
        XCTAssertFalse(Files.exists(path))
    }

    /// Bytes caught mid-write do not get the (now complete) file moved aside.
    func testStaleUndecodableBytesAreReReadNotQuarantined() throws {
        let complete = "{\"pid\": 1, \"agents\": [{\"name\": \"a\", \"pids\": [12]}]}"
        try Files.write(path, complete)
        let partial = Array(complete.utf8.prefix(20))
        let registry = try FactoryRegistry.decode(partial, path: path)
        XCTAssertEqual(registry.agents, [FactoryAgent(name: "a", pids: [12])])
        XCTAssertEqual(temp.listing(), ["inflight.json"])
    }

    /// A file caught mid-write (written in place, as factory-sdk does) is read again, not quarantined.
    func testFileCompletedBetweenReadsIsNotQuarantined() throws {
        let complete = "{\"pid\": 1, \"agents\": [{\"name\": \"a\", \"pids\": [12]}]}"
        try Files.write(path, String(complete.prefix(20)))
        let store = RegistryStore(path: path)
        var calls = 0
        let loaded = try store.loadValidated { bytes -> ParseOutcome<FactoryRegistry> in
            calls += 1
            if let registry = try? FactoryRegistry.parse(bytes) { return .parsed(registry) }
            if calls == 1 { try? Files.write(path, complete) } // the writer finishes
            return .corrupt("partial")
        }
        XCTAssertEqual(loaded?.agents, [FactoryAgent(name: "a", pids: [12])])
        XCTAssertEqual(calls, 2)
        XCTAssertEqual(temp.listing(), ["inflight.json"])
    }

    /// A file that never settles is reported, never moved aside.
    func testFileThatKeepsChangingIsNotQuarantined() throws {
        try Files.write(path, "{")
        let store = RegistryStore(path: path)
        var calls = 0
        let error = thrownError(RegistryError.self) {
            try store.loadValidated { _ -> ParseOutcome<FactoryRegistry> in
                calls += 1
                try? Files.write(path, "{" + String(repeating: " ", count: calls))
                return .corrupt("partial")
            }
        }
        guard case .io(let failure) = error else { return XCTFail("expected .io, got \(String(describing: error))") }
        XCTAssertEqual(failure.path, path)
        XCTAssertEqual(failure.errno.rawValue, EAGAIN)
        XCTAssertEqual(temp.listing(), ["inflight.json"])
    }

    func testFactoryFilesGetTheSameTrustChecks() throws {
        try Files.write(path, "{\"pid\": 1, \"agents\": [{\"name\": \"a\"}]}", mode: 0o666)
        guard case .untrusted = thrownError(RegistryError.self, { try RegistryStore(path: path).loadRaw() }) else { return XCTFail("expected .untrusted") }
        guard case .untrusted = thrownError(RegistryError.self, { try RegistryStore(path: path).loadFactory() }) else { return XCTFail("expected .untrusted") }
        XCTAssertEqual(chmod(path, 0o600), 0)
        XCTAssertEqual(chown(path, 65534, 65534), 0)
        guard case .untrusted = thrownError(RegistryError.self, { try RegistryStore(path: path).loadRaw() }) else { return XCTFail("expected .untrusted") }
    }

    func testLoadFactoryRefusesAnOverseerRegistry() throws {
        let store = RegistryStore(path: path)
        try store.save(.sample())
        let bytes = Files.bytes(path)
        assertThrows(RegistryError.wrongFormat(path: path, found: .overseer)) { try store.loadFactory() }
        XCTAssertEqual(Files.bytes(path), bytes)
    }
}
