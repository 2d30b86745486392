import Foundation
import OverseerConfig
import XCTest

final class DefaultsTests: ConfigTestCase {
    func testRootWithEmptyEnvironmentGetsBuiltInDefaults() throws {
        let resolved = try loader([:], uid: 0).load(configPath: nil)
        let config = resolved.config
        XCTAssertEqual(config.socketPath, "/run/overseer/overseer.sock")
        XCTAssertEqual(config.stateDir, "/var/lib/overseer")
        XCTAssertEqual(config.logLevel, .info)
        XCTAssertEqual(config.onShutdown, .release)
        XCTAssertEqual(config.killGraceSeconds, 5)
        XCTAssertEqual(config.outputBufferBytes, 1_048_576)
        XCTAssertEqual(config.transcriptMaxBytes, 67_108_864)
        XCTAssertEqual(config.maxInputBytes, 65_536)
        XCTAssertEqual(config.maxAgents, 1_000)
        XCTAssertEqual(config.defaultRows, 24)
        XCTAssertEqual(config.defaultCols, 80)
        XCTAssertEqual(config.protectedPIDs, [])
        XCTAssertEqual(config.protectedPIDFiles, [])
        XCTAssertEqual(config.registryPath, "/var/lib/overseer/registry.json")
        XCTAssertEqual(config.heartbeatIntervalSeconds, 15)
        XCTAssertEqual(config.staleAfterSeconds, 60)
        XCTAssertEqual(config.unresolvedTTLSeconds, 300)
        XCTAssertEqual(config.metricsTextfile, "/var/lib/overseer/metrics/overseer-reap.prom")
        XCTAssertEqual(config.cgroupRoot, "auto")
        XCTAssertEqual(config.maxPendingDeliveries, 256)
        XCTAssertEqual(config.deliveryTypedSeconds, 5)
        XCTAssertEqual(config.deliveryReadySeconds, 30)
        XCTAssertEqual(config.deliveryIdleSeconds, 600)
        XCTAssertEqual(config.deliveryRetentionSeconds, 86_400)
        XCTAssertEqual(config.idempotencyTTLSeconds, 300)
        XCTAssertEqual(config.idempotencyMaxEntries, 10_000)
        XCTAssertEqual(config.checkpointRetentionSeconds, 604_800)
        XCTAssertEqual(config.eventBuffer, 4_096)
        XCTAssertEqual(config.idleTimeoutSeconds, 60)
        XCTAssertEqual(config.maxConnections, 1_024)
        XCTAssertEqual(config, OverseerConfig.defaults(environment: [:], uid: 0))
        XCTAssertNil(resolved.filePath)
        XCTAssertEqual(resolved.warnings, [])
        XCTAssertEqual(Set(resolved.sources.keys), Set(OverseerConfig.keyNames))
        XCTAssertEqual(OverseerConfig.keyNames.count, 31)
        for name in OverseerConfig.keyNames {
            XCTAssertEqual(resolved.source(of: name), .defaultValue, name)
        }
    }

    func testNonRootUsesXDGDirectories() throws {
        let env = ["XDG_RUNTIME_DIR": "/run/user/1000", "XDG_STATE_HOME": "/home/ann/.state", "HOME": "/home/ann"]
        let config = try loader(env, uid: 1000).load(configPath: nil).config
        XCTAssertEqual(config.socketPath, "/run/user/1000/overseer/overseer.sock")
        XCTAssertEqual(config.stateDir, "/home/ann/.state/overseer")
    }

    func testNonRootWithOnlyHome() throws {
        let resolved = try loader(["HOME": "/home/ann/"], uid: 1000).load(configPath: nil)
        XCTAssertEqual(resolved.config.socketPath, "/tmp/overseer-1000/overseer.sock")
        XCTAssertEqual(resolved.config.stateDir, "/home/ann/.local/state/overseer")
        XCTAssertEqual(resolved.warnings, [])
    }

    func testNonRootWithoutHomeFallsBackAndWarns() throws {
        let resolved = try loader(["HOME": "relative"], uid: 1000).load(configPath: nil)
        XCTAssertEqual(resolved.config.stateDir, "/tmp/overseer-1000/state")
        XCTAssertEqual(resolved.warnings.count, 1)
        XCTAssertTrue(resolved.warnings.first?.contains("HOME") ?? false)
    }

    func testRelativeXDGValuesAreIgnored() throws {
        let env = ["XDG_RUNTIME_DIR": "run/user", "XDG_STATE_HOME": "", "HOME": "/home/ann"]
        let config = try loader(env, uid: 1000).load(configPath: nil).config
        XCTAssertEqual(config.socketPath, "/tmp/overseer-1000/overseer.sock")
        XCTAssertEqual(config.stateDir, "/home/ann/.local/state/overseer")
    }

    func testRootUsesXDGRuntimeDirButNotXDGStateHome() throws {
        let env = ["XDG_RUNTIME_DIR": "/run/user/0", "XDG_STATE_HOME": "/root/.state", "HOME": "/root"]
        let config = try loader(env, uid: 0).load(configPath: nil).config
        XCTAssertEqual(config.socketPath, "/run/user/0/overseer/overseer.sock")
        XCTAssertEqual(config.stateDir, "/var/lib/overseer")
    }

    func testSystemdDirectoriesWinForRootAndUsers() throws {
        let env = [
            "RUNTIME_DIRECTORY": "/run/overseer-a:/run/other",
            "STATE_DIRECTORY": "/var/lib/overseer-a:/var/lib/other",
            "XDG_RUNTIME_DIR": "/run/user/1000", "XDG_STATE_HOME": "/home/ann/.state", "HOME": "/home/ann",
        ]
        for uid: UInt32 in [0, 1000] {
            let config = try loader(env, uid: uid).load(configPath: nil).config
            XCTAssertEqual(config.socketPath, "/run/overseer-a/overseer.sock", "uid \(uid)")
            XCTAssertEqual(config.stateDir, "/var/lib/overseer-a", "uid \(uid)")
        }
    }

    func testAbsentDefaultFileIsFine() throws {
        let resolved = try loader(defaultFile: tempDir + "/nope/overseer.toml").load(configPath: nil)
        XCTAssertNil(resolved.filePath)
        XCTAssertEqual(resolved.config, OverseerConfig.defaults(environment: [:], uid: 0))
    }

    func testPresentDefaultFileIsRead() throws {
        let path = try writeFile("max_agents = 7\n", named: "default.toml")
        let resolved = try loader(defaultFile: path).load(configPath: nil)
        XCTAssertEqual(resolved.filePath, path)
        XCTAssertEqual(resolved.config.maxAgents, 7)
        XCTAssertEqual(resolved.source(of: "max_agents"), .file(path))
    }

    func testConfigPathReplacesDefaultFile() throws {
        let defaultPath = try writeFile("max_agents = 7\ndefault_rows = 50\n", named: "default.toml")
        let explicit = try writeFile("max_agents = 9\n", named: "explicit.toml")
        let resolved = try loader(defaultFile: defaultPath).load(configPath: explicit)
        XCTAssertEqual(resolved.filePath, explicit)
        XCTAssertEqual(resolved.config.maxAgents, 9)
        XCTAssertEqual(resolved.config.defaultRows, 24, "the default file must not be read when --config is given")
        XCTAssertEqual(resolved.source(of: "default_rows"), .defaultValue)
    }

    func testMissingConfigFileIsAnError() {
        let path = tempDir + "/missing.toml"
        let error = loadError(loader(), configPath: path)
        XCTAssertEqual(error, .fileNotFound(path: path))
        XCTAssertTrue(error?.description.contains(path) ?? false)
    }

    func testUnreadableConfigFileIsAnError() throws {
        let error = loadError(loader(), configPath: tempDir)
        guard case .unreadableFile(let path, let reason)? = error else {
            return XCTFail("expected unreadableFile, got \(String(describing: error))")
        }
        XCTAssertEqual(path, tempDir)
        XCTAssertFalse(reason.isEmpty)
        XCTAssertTrue(error?.description.contains(tempDir) ?? false)
    }

    func testInvalidUTF8FileIsAnError() throws {
        let path = tempDir + "/latin1.toml"
        try Data([0x6C, 0x6F, 0x67, 0x3D, 0xE9, 0x0A]).write(to: URL(fileURLWithPath: path))
        XCTAssertEqual(loadError(loader(), configPath: path), .unreadableFile(path: path, reason: "not valid UTF-8"))
    }
}
