// swift-tools-version:6.2
import PackageDescription

/// Overseer: a Linux process supervisor with an orphan reaper. Linux only (pidfds, /proc,
/// cgroup v2, PTYs), so the package declares no Apple platforms.
///
/// Modules, one concern each (each depends only on modules listed above it):
/// - `COverseerSys`: the few syscalls Swift's Glibc module hides (PTY, spawn, pidfd, prctl, renameat2).
/// - `CSystemd`: libsystemd (sd_notify) as a system library.
/// - `CVTerm`: libvterm (terminal emulation) as a system library.
/// - `OverseerSystem`: the POSIX layer on swift-system: typed errors carrying `Errno`, the one
///   EINTR retry, read-whole-file, the fsyncing atomic file replace, directory listing, socket probe.
/// - `OverseerDisplay`: agent-supplied text (command lines, names) escaped for terminals and log lines.
/// - `OverseerWire`: every request, response and event type of the HTTP API (Foundation only).
/// - `OverseerProcess`: /proc snapshots and process identity.
/// - `OverseerPTY`: spawning agents into PTYs, draining and storing their output.
/// - `OverseerTerminal`: a rendered terminal screen per agent (libvterm), its query answers, repaint and plain text.
/// - `OverseerSQLite`: opening a store's SQLite file durably (0600, integrity check, WAL, synchronous=FULL).
/// - `OverseerDelivery`: the durable delivery store (SQLite/GRDB), the injection throttle and echo verification.
/// - `OverseerIdempotency`: stored responses for Idempotency-Key retries, and command-stream checkpoints.
/// - `OverseerTerminal`: the rendered screen of an agent's terminal (`ScreenSnapshot`, `TerminalModes`).
/// - `OverseerProfiles`: agent profiles (screen rules → agent state), typing plans and screen-based submission checks.
/// - `OverseerConfig`: effective configuration from defaults, TOML file, environment and flags,
///   with the file's `[profiles.NAME]` tables checked into a profile catalog.
/// - `OverseerCgroup`: cgroup v2 directories, delegation, and the supervisor/agents layout.
/// - `OverseerKill`: the identity-verified, whole-tree kill engine (cgroup.kill when agents have cgroups).
/// - `OverseerRegistry`: the in-flight registry file (atomic, locked, trust-checked) and the factory shape.
/// - `OverseerReaper`: `overseer reap`, one pass that kills stranded agents' trees.
/// - `OverseerSupervisor`: the supervisor behind its facade (`SupervisorFacade`): agent table,
///   spawning, release, dispatches, deliveries, command streams, registry writer, systemd integration.
/// - `OverseerAPI`: the HTTP control API (Hummingbird on a Unix socket), talking to the facade only.
/// - `OverseerClient`: typed calls to that API over `OverseerWire`.
/// - `OverseerCommands`: the CLI's client commands (Client, Wire, Config; no supervisor code).
/// - `overseer` (`OverseerCLI`): the program: the client commands plus `serve` and `reap`.
/// - `OverseerBench`: the benchmark helpers Scripts/bench runs (not part of the product).
/// - `CHeapInfo`: glibc's heap-in-use figure (mallinfo2), for memory benchmarks.
/// - `overseer-screen-bench`: measures the screen model (memory, parse throughput, PTY drain), for `Scripts/bench`.
let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "overseer",
    products: [
        .executable(name: "overseer", targets: ["OverseerCLI"]),
        .executable(name: "overseer-screen-bench", targets: ["OverseerScreenBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: ["FullFoundation"]),
        .package(url: "https://github.com/LebJe/TOMLKit.git", from: "0.6.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.8.1"),
    ],
    targets: [
        .systemLibrary(
            name: "CSystemd",
            pkgConfig: "libsystemd",
            providers: [.apt(["libsystemd-dev"])]
        ),
        .systemLibrary(
            name: "CVTerm",
            pkgConfig: "vterm",
            providers: [.apt(["libvterm-dev"])]
        ),
        .target(name: "COverseerSys"),
        .target(
            name: "OverseerSystem",
            dependencies: ["COverseerSys", .product(name: "SystemPackage", package: "swift-system")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "OverseerTerminal",
            dependencies: ["CVTerm", "COverseerSys"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "OverseerConfig",
            dependencies: ["OverseerSystem", "OverseerProfiles", .product(name: "SystemPackage", package: "swift-system"), .product(name: "TOMLKit", package: "TOMLKit")],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .target(
            name: "OverseerProcess",
            dependencies: ["OverseerSystem", .product(name: "SystemPackage", package: "swift-system")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "OverseerPTY",
            dependencies: [
                "COverseerSys", "OverseerProcess", "OverseerSystem",
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "OverseerSQLite",
            dependencies: ["OverseerSystem", .product(name: "SystemPackage", package: "swift-system"), .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "OverseerDelivery",
            dependencies: ["OverseerSQLite", "OverseerSystem", .product(name: "SystemPackage", package: "swift-system"), .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "OverseerIdempotency",
            dependencies: ["OverseerSQLite", "OverseerSystem", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "OverseerProfiles",
            dependencies: ["OverseerTerminal", .product(name: "TOMLKit", package: "TOMLKit")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "OverseerCgroup",
            dependencies: ["COverseerSys", "OverseerSystem", .product(name: "SystemPackage", package: "swift-system")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "OverseerKill",
            dependencies: ["COverseerSys", "OverseerProcess", "OverseerCgroup", "OverseerSystem", .product(name: "SystemPackage", package: "swift-system")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "OverseerLineage",
            dependencies: ["COverseerSys", "OverseerKill", "OverseerProcess", .product(name: "SystemPackage", package: "swift-system")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "OverseerRegistry",
            dependencies: ["OverseerProcess", "OverseerSystem", .product(name: "SystemPackage", package: "swift-system")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "OverseerReaper",
            dependencies: [
                "OverseerProcess", "OverseerKill", "OverseerRegistry", "OverseerCgroup", "OverseerSystem",
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "OverseerSupervisor",
            dependencies: [
                "COverseerSys", "CSystemd", "OverseerWire", "OverseerDisplay", "OverseerSystem", "OverseerProcess", "OverseerPTY", "OverseerTerminal", "OverseerProfiles", "OverseerKill", "OverseerLineage", "OverseerRegistry", "OverseerCgroup", "OverseerDelivery", "OverseerIdempotency",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "OverseerAPI",
            dependencies: [
                "COverseerSys", "OverseerWire", "OverseerSupervisor", "OverseerCgroup", "OverseerIdempotency", "OverseerSystem",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "OverseerWire",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "OverseerDisplay",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "OverseerClient",
            dependencies: [
                "OverseerWire",
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "OverseerCommands",
            dependencies: [
                "OverseerClient", "OverseerWire", "OverseerDisplay", "OverseerConfig", "OverseerProfiles", "OverseerCgroup", "COverseerSys",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "OverseerCLI",
            dependencies: [
                "OverseerCommands", "OverseerDisplay", "OverseerConfig", "OverseerSupervisor", "OverseerReaper", "OverseerAPI", "OverseerSystem",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "OverseerBench",
            dependencies: ["OverseerDelivery", "OverseerProcess", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Benchmarks/OverseerBench",
            swiftSettings: swiftSettings
        ),
        .target(name: "CHeapInfo"),
        .executableTarget(
            name: "OverseerScreenBench",
            dependencies: ["OverseerTerminal", "OverseerPTY", "COverseerSys", "CHeapInfo"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "OverseerTestSupport",
            dependencies: ["COverseerSys", "OverseerProcess", "OverseerClient", "OverseerSystem", "OverseerCgroup", .product(name: "NIOCore", package: "swift-nio")],
            path: "Tests/Support",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OverseerSystemTests",
            dependencies: ["OverseerSystem", .product(name: "SystemPackage", package: "swift-system")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OverseerDisplayTests",
            dependencies: ["OverseerDisplay"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OverseerConfigTests",
            dependencies: ["OverseerConfig"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OverseerBenchTests",
            dependencies: ["OverseerBench", "OverseerDelivery"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OverseerRegistryTests",
            dependencies: ["OverseerRegistry", "OverseerProcess", "OverseerSystem", "OverseerTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OverseerClientTests",
            dependencies: [
                "OverseerClient", "OverseerTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OverseerProcessTests",
            dependencies: ["OverseerProcess", "OverseerTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OverseerPTYTests",
            dependencies: ["OverseerPTY", "OverseerProcess", "OverseerTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OverseerTerminalTests",
            dependencies: ["OverseerTerminal", "OverseerPTY", "OverseerProcess", "OverseerTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OverseerDeliveryTests",
            dependencies: ["OverseerDelivery", "OverseerTestSupport", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OverseerIdempotencyTests",
            dependencies: ["OverseerIdempotency", "OverseerTestSupport", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OverseerProfilesTests",
            dependencies: ["OverseerProfiles", "OverseerTerminal", .product(name: "TOMLKit", package: "TOMLKit")],
            exclude: ["Screens"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OverseerCgroupTests",
            dependencies: ["COverseerSys", "OverseerCgroup", "OverseerPTY", "OverseerProcess", "OverseerTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OverseerKillTests",
            dependencies: ["OverseerKill", "OverseerProcess", "OverseerCgroup", "OverseerPTY", "OverseerTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OverseerSupervisorTests",
            dependencies: ["OverseerSupervisor", "OverseerWire", "OverseerTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OverseerAPITests",
            dependencies: [
                "OverseerAPI", "OverseerSupervisor", "OverseerWire", "OverseerIdempotency", "OverseerTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OverseerIntegrationTests",
            dependencies: ["OverseerClient", "OverseerWire", "OverseerAPI", "OverseerSupervisor", "OverseerTerminal", "OverseerKill", "OverseerProcess", "OverseerReaper", "OverseerRegistry", "OverseerCgroup", "OverseerDelivery", "OverseerIdempotency", "OverseerTestSupport"],
            swiftSettings: swiftSettings
        ),
    ]
)
