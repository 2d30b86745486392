import Foundation
import OverseerConfig
import XCTest

final class PrecedenceTests: ConfigTestCase {
    static let fullFile = """
        # every key set
        socket_path = "/srv/overseer/ctl.sock"
        state_dir = "/srv/overseer/state"
        log_level = "debug"
        on_shutdown = "leave"
        kill_grace_seconds = 2.5
        output_buffer_bytes = 4096
        transcript_max_bytes = 0
        max_input_bytes = 16777216
        max_agents = 100000
        default_rows = 1000
        default_cols = 1
        protected_pids = [1, 42]
        protected_pidfiles = ["/run/sshd.pid", "/run/crond.pid"]
        registry_path = "/srv/reg.json"
        heartbeat_interval_seconds = 0.5
        stale_after_seconds = 30
        unresolved_ttl_seconds = 600
        metrics_textfile = "/srv/metrics/reap.prom"
        cgroup_root = "/sys/fs/cgroup/overseer"
        lineage = "off"
        max_pending_deliveries = 1000
        delivery_typed_seconds = 2.5
        delivery_ready_seconds = 12
        delivery_idle_seconds = 90
        delivery_retention_seconds = 3600
        idempotency_ttl_seconds = 60
        idempotency_max_entries = 50
        checkpoint_retention_seconds = 7200
        event_buffer = 100
        idle_timeout_seconds = 2.5
        max_connections = 10

        """

    func testFileOverridesEveryDefault() throws {
        let path = try writeFile(Self.fullFile)
        let resolved = try loader([:], uid: 1000).load(configPath: path)
        var expected = OverseerConfig(socketPath: "/srv/overseer/ctl.sock", stateDir: "/srv/overseer/state")
        expected.logLevel = .debug
        expected.onShutdown = .leave
        expected.killGraceSeconds = 2.5
        expected.outputBufferBytes = 4096
        expected.transcriptMaxBytes = 0
        expected.maxInputBytes = 16_777_216
        expected.maxAgents = 100_000
        expected.defaultRows = 1000
        expected.defaultCols = 1
        expected.protectedPIDs = [1, 42]
        expected.protectedPIDFiles = ["/run/sshd.pid", "/run/crond.pid"]
        expected.registryPath = "/srv/reg.json"
        expected.heartbeatIntervalSeconds = 0.5
        expected.staleAfterSeconds = 30
        expected.unresolvedTTLSeconds = 600
        expected.metricsTextfile = "/srv/metrics/reap.prom"
        expected.cgroupRoot = "/sys/fs/cgroup/overseer"
        expected.lineage = .off
        expected.maxPendingDeliveries = 1000
        expected.deliveryTypedSeconds = 2.5
        expected.deliveryReadySeconds = 12
        expected.deliveryIdleSeconds = 90
        expected.deliveryRetentionSeconds = 3600
        expected.idempotencyTTLSeconds = 60
        expected.idempotencyMaxEntries = 50
        expected.checkpointRetentionSeconds = 7200
        expected.eventBuffer = 100
        expected.idleTimeoutSeconds = 2.5
        expected.maxConnections = 10
        XCTAssertEqual(resolved.config, expected)
        XCTAssertEqual(resolved.filePath, path)
        for name in OverseerConfig.keyNames {
            XCTAssertEqual(resolved.source(of: name), .file(path), name)
        }
    }

    func testRegistryPathFollowsStateDirUnlessSet() throws {
        let moved = try loader([:], uid: 0).load(configPath: nil, flags: ["state_dir": FlagValue("/data/ov", flag: "--state-dir")])
        XCTAssertEqual(moved.config.registryPath, "/data/ov/registry.json")
        XCTAssertEqual(moved.config.metricsTextfile, "/data/ov/metrics/overseer-reap.prom")
        XCTAssertEqual(moved.source(of: "registry_path"), .defaultValue)
        let pinned = try loader(["OVERSEER_REGISTRY_PATH": "/etc/reg.json"], uid: 0).load(configPath: nil, flags: ["state_dir": FlagValue("/data/ov", flag: "--state-dir")])
        XCTAssertEqual(pinned.config.registryPath, "/etc/reg.json")
    }

    func testEnvironmentOverridesFile() throws {
        let path = try writeFile("log_level = \"debug\"\nmax_agents = 5\n")
        let env = ["OVERSEER_LOG_LEVEL": "error", "OVERSEER_DEFAULT_COLS": "132"]
        let resolved = try loader(env).load(configPath: path)
        XCTAssertEqual(resolved.config.logLevel, .error)
        XCTAssertEqual(resolved.source(of: "log_level"), .environment("OVERSEER_LOG_LEVEL"))
        XCTAssertEqual(resolved.config.defaultCols, 132)
        XCTAssertEqual(resolved.source(of: "default_cols"), .environment("OVERSEER_DEFAULT_COLS"))
        XCTAssertEqual(resolved.config.maxAgents, 5)
        XCTAssertEqual(resolved.source(of: "max_agents"), .file(path))
        XCTAssertEqual(resolved.source(of: "max_input_bytes"), .defaultValue)
    }

    func testFlagOverridesEnvironmentAndFile() throws {
        let path = try writeFile("socket_path = \"/file.sock\"\nlog_level = \"debug\"\n")
        let env = ["OVERSEER_SOCKET_PATH": "/env.sock", "OVERSEER_LOG_LEVEL": "error"]
        let flags = ["socket_path": FlagValue("/flag.sock", flag: "--socket")]
        let resolved = try loader(env).load(configPath: path, flags: flags)
        XCTAssertEqual(resolved.config.socketPath, "/flag.sock")
        XCTAssertEqual(resolved.source(of: "socket_path"), .flag("--socket"))
        XCTAssertEqual(resolved.config.logLevel, .error)
        XCTAssertEqual(resolved.source(of: "log_level"), .environment("OVERSEER_LOG_LEVEL"))
    }

    func testEveryKeyCanBeSetFromEnvironmentAndFlags() throws {
        var env: [String: String] = [:]
        var flags: [String: FlagValue] = [:]
        let text = [
            "socket_path": "/x.sock", "state_dir": "/x", "log_level": "TRACE", "on_shutdown": "leave",
            "kill_grace_seconds": "300", "output_buffer_bytes": "1073741824",
            "transcript_max_bytes": "1099511627776", "max_input_bytes": "1", "max_agents": "1",
            "default_rows": "2", "default_cols": "3", "protected_pids": "7", "protected_pidfiles": "/p.pid",
            "registry_path": "/r.json", "heartbeat_interval_seconds": "3600", "stale_after_seconds": "1",
            "unresolved_ttl_seconds": "2", "metrics_textfile": "/m.prom", "cgroup_root": "OFF", "lineage": "OFF",
            "max_pending_deliveries": "7", "delivery_typed_seconds": "0.5", "delivery_ready_seconds": "4", "delivery_idle_seconds": "5",
            "delivery_retention_seconds": "60",
            "idempotency_ttl_seconds": "1", "idempotency_max_entries": "2", "checkpoint_retention_seconds": "3",
            "event_buffer": "16", "idle_timeout_seconds": "86400", "max_connections": "1",
        ]
        for (key, value) in text {
            env["OVERSEER_" + key.uppercased()] = value
            flags[key] = FlagValue(value, flag: "--" + key.replacingOccurrences(of: "_", with: "-"))
        }
        XCTAssertEqual(Set(text.keys), Set(OverseerConfig.keyNames))
        let fromEnv = try loader(env).load(configPath: nil)
        let fromFlags = try loader().load(configPath: nil, flags: flags)
        var expected = OverseerConfig(socketPath: "/x.sock", stateDir: "/x")
        expected.logLevel = .trace
        expected.onShutdown = .leave
        expected.killGraceSeconds = 300
        expected.outputBufferBytes = 1_073_741_824
        expected.transcriptMaxBytes = 1_099_511_627_776
        expected.maxInputBytes = 1
        expected.maxAgents = 1
        expected.defaultRows = 2
        expected.defaultCols = 3
        expected.protectedPIDs = [7]
        expected.protectedPIDFiles = ["/p.pid"]
        expected.registryPath = "/r.json"
        expected.heartbeatIntervalSeconds = 3600
        expected.staleAfterSeconds = 1
        expected.unresolvedTTLSeconds = 2
        expected.metricsTextfile = "/m.prom"
        expected.cgroupRoot = "off"
        expected.lineage = .off
        expected.maxPendingDeliveries = 7
        expected.deliveryTypedSeconds = 0.5
        expected.deliveryReadySeconds = 4
        expected.deliveryIdleSeconds = 5
        expected.deliveryRetentionSeconds = 60
        expected.idempotencyTTLSeconds = 1
        expected.idempotencyMaxEntries = 2
        expected.checkpointRetentionSeconds = 3
        expected.eventBuffer = 16
        expected.idleTimeoutSeconds = 86_400
        expected.maxConnections = 1
        XCTAssertEqual(fromEnv.config, expected)
        XCTAssertEqual(fromFlags.config, expected)
        XCTAssertEqual(fromEnv.warnings, [])
        for key in text.keys {
            XCTAssertEqual(fromEnv.source(of: key), .environment("OVERSEER_" + key.uppercased()))
            XCTAssertEqual(fromFlags.source(of: key), .flag("--" + key.replacingOccurrences(of: "_", with: "-")))
        }
    }

    /// `delivery_verify_seconds` was renamed `delivery_typed_seconds`: the old name still works
    /// everywhere, is reported under the new one, and the new one wins when both are set.
    func testTheOldNameOfTheTypedWindowIsAnAlias() throws {
        let old = try writeFile("delivery_verify_seconds = 7\n", named: "old.toml")
        let fromOld = try loader().load(configPath: old)
        XCTAssertEqual(fromOld.config.deliveryTypedSeconds, 7)
        XCTAssertEqual(fromOld.source(of: "delivery_typed_seconds"), .file(old))
        let both = try writeFile("delivery_verify_seconds = 7\ndelivery_typed_seconds = 3\n", named: "both.toml")
        XCTAssertEqual(try loader().load(configPath: both).config.deliveryTypedSeconds, 3)
        let env = try loader(["OVERSEER_DELIVERY_VERIFY_SECONDS": "8", "OVERSEER_DELIVERY_TYPED_SECONDS": "2"]).load(configPath: nil)
        XCTAssertEqual(env.config.deliveryTypedSeconds, 2)
        XCTAssertEqual(env.warnings, [])
        let flag = try loader().load(configPath: nil, flags: ["delivery_verify_seconds": FlagValue("9", flag: "--delivery-verify-seconds")])
        XCTAssertEqual(flag.config.deliveryTypedSeconds, 9)
        XCTAssertFalse(OverseerConfig.keyNames.contains("delivery_verify_seconds"), "the old name is not rendered")
        let bad = try writeFile("delivery_verify_seconds = -1\n", named: "bad.toml")
        let error = loadError(loader(), configPath: bad)
        XCTAssertTrue(error?.description.contains("delivery_typed_seconds") ?? false, "\(String(describing: error))")
    }

    func testKillGraceAcceptsIntegersAndFloats() throws {
        let intFile = try writeFile("kill_grace_seconds = 10\n", named: "int.toml")
        XCTAssertEqual(try loader().load(configPath: intFile).config.killGraceSeconds, 10)
        let floatFile = try writeFile("kill_grace_seconds = 0.25\n", named: "float.toml")
        XCTAssertEqual(try loader().load(configPath: floatFile).config.killGraceSeconds, 0.25)
        let env = try loader(["OVERSEER_KILL_GRACE_SECONDS": " 1.5 "]).load(configPath: nil)
        XCTAssertEqual(env.config.killGraceSeconds, 1.5)
    }

    func testArraysFromTOML() throws {
        let path = try writeFile("protected_pids = [1, 42, 4194304]\nprotected_pidfiles = [\"/run/a.pid\"]\n")
        let config = try loader().load(configPath: path).config
        XCTAssertEqual(config.protectedPIDs, [1, 42, 4_194_304])
        XCTAssertEqual(config.protectedPIDFiles, ["/run/a.pid"])
    }

    func testArraysFromCommaSeparatedEnvironmentAndFlags() throws {
        let env = ["OVERSEER_PROTECTED_PIDS": "1, 42,77,", "OVERSEER_PROTECTED_PIDFILES": "/run/a.pid,/run/b c.pid"]
        let config = try loader(env).load(configPath: nil).config
        XCTAssertEqual(config.protectedPIDs, [1, 42, 77])
        XCTAssertEqual(config.protectedPIDFiles, ["/run/a.pid", "/run/b c.pid"])
        let flags = ["protected_pids": FlagValue("9,8", flag: "--protect-pid")]
        let flagged = try loader(env).load(configPath: nil, flags: flags)
        XCTAssertEqual(flagged.config.protectedPIDs, [9, 8])
        XCTAssertEqual(flagged.source(of: "protected_pids"), .flag("--protect-pid"))
    }

    func testEmptyEnvironmentListClearsFileList() throws {
        let path = try writeFile("protected_pids = [5]\n")
        let resolved = try loader(["OVERSEER_PROTECTED_PIDS": ""]).load(configPath: path)
        XCTAssertEqual(resolved.config.protectedPIDs, [])
        XCTAssertEqual(resolved.source(of: "protected_pids"), .environment("OVERSEER_PROTECTED_PIDS"))
    }

    func testNonConfigOverseerVariablesAreIgnoredSilently() throws {
        let env = ["OVERSEER_AGENT_ID": "a-1", "OVERSEER_INCARNATION": "3", "OVERSEER_CONFIG": "/nope.toml"]
        let resolved = try loader(env).load(configPath: nil)
        XCTAssertEqual(resolved.warnings, [])
        XCTAssertNil(resolved.filePath)
        XCTAssertEqual(resolved.config, OverseerConfig.defaults(environment: env, uid: 0))
    }

    func testUnknownOverseerVariableIsAWarning() throws {
        let env = ["OVERSEER_FOO": "1", "OVERSEER_LOG_LEVL": "debug", "FOO": "x", "XOVERSEER_BAR": "y"]
        let resolved = try loader(env).load(configPath: nil)
        XCTAssertEqual(resolved.warnings, [
            "unknown environment variable OVERSEER_FOO ignored",
            "unknown environment variable OVERSEER_LOG_LEVL ignored (did you mean OVERSEER_LOG_LEVEL?)",
        ])
        XCTAssertEqual(resolved.config.logLevel, .info)
    }
}
