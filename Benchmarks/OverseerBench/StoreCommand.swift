import ArgumentParser
import Foundation
import OverseerDelivery

/// `OverseerBench store`: the cost of one persisted delivery mutation with 10, 1,000 and
/// 10,000 pending, for the SQLite store and the whole-file JSON rewrite peer.
struct StoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "store", abstract: "Time delivery store mutations.")

    @Option(help: "Directory for the files (a fresh subdirectory is made and removed; not a RAM disk).") var dir = FileManager.default.currentDirectoryPath
    @Option(help: "Mutations timed per size for the store.") var cycles = 400
    @Option(name: .customLong("peer-cycles"), help: "Mutations timed per size for the peer.") var peerCycles = 60
    @Flag(help: "Print JSON instead of a Markdown table.") var json = false

    func run() throws {
        let directory = (dir as NSString).appendingPathComponent("delivery-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var options = StoreBenchmark.Options()
        options.storeCycles = cycles
        options.peerCycles = peerCycles
        let result = try StoreBenchmark.run(in: directory, options: options)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(result), as: UTF8.self))
        } else {
            print(result.markdownTable())
        }
    }
}
