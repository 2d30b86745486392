import ArgumentParser
import Foundation
import OverseerKill
import OverseerProcess

/// `overseer _scan`: times the /proc snapshot the kill engine and reaper use (for Scripts/bench).
struct ScanBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "_scan", abstract: "Time /proc snapshots (benchmark helper).", shouldDisplay: false)

    @Option(help: "Snapshots to take.") var repeats = 20

    func run() throws {
        var times: [Double] = []
        var count = 0
        for _ in 0..<max(repeats, 1) {
            let started = ContinuousClock.now
            count = ProcessSnapshot.capture().processes.count
            times.append((ContinuousClock.now - started) / .seconds(1))
        }
        times.sort()
        print(String(format: "%.6f %d", times[times.count / 2], count))
    }
}
