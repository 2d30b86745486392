import ArgumentParser

/// `OverseerBench`: measurements Scripts/bench runs beside their peers. Not part of the
/// `overseer` product; built on its own (`swift build -c release --product OverseerBench`).
@main
struct OverseerBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "OverseerBench",
        abstract: "Overseer's benchmark helpers (used by Scripts/bench).",
        subcommands: [ScanCommand.self, StoreCommand.self]
    )
}
