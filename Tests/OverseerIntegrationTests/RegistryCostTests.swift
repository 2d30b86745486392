import Foundation
import OverseerTestSupport
import XCTest

/// What a spawn costs the registry, counted in bytes the supervisor wrote (its own counters
/// on /metrics, checked against the files), not in time.
final class RegistryCostTests: SupervisorTestCase {
    override var supervisorArguments: [String] { ["--cgroup-root", "off"] }

    struct Counters {
        var journal = 0.0, snapshot = 0.0, writes = 0.0, syncs = 0.0
    }

    func counters() async throws -> Counters {
        let text = try await client.send(.get("/metrics")).text
        func value(_ series: String) -> Double {
            text.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
        }
        return Counters(journal: value(#"overseer_registry_bytes_written_total{file="journal"}"#),
                        snapshot: value(#"overseer_registry_bytes_written_total{file="snapshot"}"#),
                        writes: value("overseer_registry_writes_total"), syncs: value("overseer_registry_syncs_total"))
    }

    /// Spawns `count` silent agents and returns the journal bytes written meanwhile.
    func spawnBatch(_ prefix: String, _ count: Int) async throws -> Double {
        let before = try await counters()
        for index in 0..<count {
            _ = try await spawn("\(prefix)-\(index)", ["sleep", "600"])
        }
        let after = try await counters()
        XCTAssertGreaterThanOrEqual(after.writes - before.writes, Double(count), "every spawn is on disk before it is answered")
        return after.journal - before.journal
    }

    func testRegistryBytesPerSpawnDoNotGrowWithTheFleet() async throws {
        let batch = 10
        let early = try await spawnBatch("early", batch)
        _ = try await spawnBatch("middle", 80)
        let late = try await spawnBatch("late", batch)
        XCTAssertGreaterThan(early, 0, "spawns append to the journal")
        // Whole-registry rewrites would make the late batch ~10× the early one (100 entries against 10).
        XCTAssertLessThan(late, early * 1.5, "journal bytes for \(batch) spawns: \(early) with 0–\(batch) agents live, \(late) with 90–100")
        let total = try await counters()
        // A compaction writes a snapshot only after the journal grew past max(64 KiB, 2 × snapshot).
        XCTAssertLessThanOrEqual(total.snapshot, total.journal + 64 * 1024, "snapshots are amortised over the journal: \(total)")
        XCTAssertLessThanOrEqual(total.syncs, total.writes * 1.2 + 8, "an append costs one fdatasync: \(total)")

        // The files themselves, read by the shell tests' independent reader, not by the store.
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Scripts/lib/registry_view.py").standardized.path
        let viewed = try CommandRunner.run(["/usr/bin/python3", script, supervisor.stateDirectory + "/registry.json"], directory: "/tmp")
        XCTAssertEqual(viewed.status, 0, viewed.stderr)
        let document = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(viewed.stdout.utf8)) as? [String: Any])
        let names = (document["agents"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        XCTAssertEqual(Set(names), Set(spawnedNames), "the files replay to every live agent")
    }

    var spawnedNames: [String] {
        (0..<10).map { "early-\($0)" } + (0..<80).map { "middle-\($0)" } + (0..<10).map { "late-\($0)" }
    }
}
