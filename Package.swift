// swift-tools-version:6.2
import PackageDescription

/// Overseer: a Linux process supervisor with an orphan reaper.
///
/// Modules, one concern each:
/// - `COverseerSys`: the few syscalls Swift's Glibc module hides (PTY, spawn, pidfd, prctl).
/// - `CSystemd`: libsystemd (sd_notify) as a system library.
/// - `CVTerm`: libvterm (terminal emulation) as a system library.
/// - `OverseerConfig`: effective configuration from defaults, TOML file, environment and flags.
/// - `OverseerProcess`: /proc snapshots and process identity.
/// - `OverseerPTY`: spawning agents into PTYs, draining and storing their output.
/// - `OverseerTerminal`: a rendered terminal screen per agent (libvterm), its query answers, repaint and plain text.
/// - `OverseerSQLite`: opening a store's SQLite file durably (0600, integrity check, WAL, synchronous=FULL).
/// - `OverseerDelivery`: the durable delivery store (SQLite/GRDB), the injection throttle and echo verification.
/// - `OverseerIdempotency`: stored responses for Idempotency-Key retries, and command-stream checkpoints.
/// - `OverseerCgroup`: cgroup v2 directories, delegation, and the supervisor/agents layout.
/// - `OverseerKill`: the identity-verified, whole-tree kill engine (cgroup.kill when agents have cgroups).
/// - `OverseerRegistry`: the in-flight registry file (atomic, locked, trust-checked) and the factory shape.
/// - `OverseerReaper`: `overseer reap`, one pass that kills stranded agents' trees.
/// - `OverseerSupervisor`: agents, child reaping, configuration, systemd integration.
/// - `OverseerAPI`: the HTTP control API (Hummingbird on a Unix socket).
/// - `OverseerClient`: the client side of that API, used by the CLI.
/// - `overseer`: the command-line program.
/// - `CHeapInfo`: glibc's heap-in-use figure (mallinfo2), for memory benchmarks.
/// - `overseer-screen-bench`: measures the screen model (memory, parse throughput, PTY drain), for `Scripts/bench`.
let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "overseer",
    platforms: [.macOS(.v15)],
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
            name: "OverseerTerminal",
            dependencies: ["CVTerm"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "OverseerConfig",
            dependencies: [.product(name: "TOMLKit", package: "TOMLKit")],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        .target(
            name: "OverseerProcess",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "OverseerPTY",
            dependencies: [
                "COverseerSys", "OverseerProcess",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "OverseerSQLite",
            dependencies: [.product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "OverseerDelivery",
            dependencies: ["OverseerSQLite", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "OverseerIdempotency",
            dependencies: ["OverseerSQLite", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "OverseerCgroup",
            dependencies: ["COverseerSys"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "OverseerKill",
            dependencies: ["COverseerSys", "OverseerProcess", "OverseerCgroup"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "OverseerRegistry",
            dependencies: ["OverseerProcess"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "OverseerReaper",
            dependencies: [
                "OverseerProcess", "OverseerKill", "OverseerRegistry", "OverseerCgroup",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "OverseerSupervisor",
            dependencies: [
                "COverseerSys", "CSystemd", "OverseerProcess", "OverseerPTY", "OverseerKill", "OverseerRegistry", "OverseerCgroup", "OverseerDelivery",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "OverseerAPI",
            dependencies: [
                "COverseerSys", "OverseerSupervisor", "OverseerKill", "OverseerProcess", "OverseerPTY", "OverseerCgroup", "OverseerDelivery", "OverseerIdempotency", "OverseerClient",
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "OverseerClient",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "OverseerCLI",
            dependencies: [
                "OverseerConfig", "OverseerSupervisor", "OverseerReaper", "OverseerRegistry", "OverseerAPI", "OverseerClient", "OverseerKill", "OverseerProcess", "OverseerPTY", "OverseerDelivery", "COverseerSys",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
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
            dependencies: ["COverseerSys", "OverseerProcess", "OverseerClient", "OverseerCgroup", .product(name: "NIOCore", package: "swift-nio")],
            path: "Tests/Support",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OverseerConfigTests",
            dependencies: ["OverseerConfig"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OverseerRegistryTests",
            dependencies: ["OverseerRegistry", "OverseerProcess"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OverseerClientTests",
            dependencies: [
                "OverseerClient",
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
            dependencies: ["OverseerSupervisor", "OverseerTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OverseerIntegrationTests",
            dependencies: ["OverseerClient", "OverseerAPI", "OverseerSupervisor", "OverseerKill", "OverseerProcess", "OverseerReaper", "OverseerRegistry", "OverseerCgroup", "OverseerDelivery", "OverseerIdempotency", "OverseerTestSupport"],
            swiftSettings: swiftSettings
        ),
    ]
)
