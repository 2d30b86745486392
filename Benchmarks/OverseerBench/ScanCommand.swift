import ArgumentParser
import Foundation
import OverseerProcess

/// `OverseerBench scan`: times the /proc snapshot the kill engine and reaper use; prints the
/// median seconds and the number of processes seen.
struct ScanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "scan", abstract: "Time /proc snapshots.")

    @Option(help: "Snapshots to take.") var repeats = 20

    func run() throws {
        let clock = ContinuousClock()
        var times: [Duration] = []
        var count = 0
        for _ in 0..<max(repeats, 1) {
            let started = clock.now
            count = ProcessSnapshot.capture().processes.count
            times.append(clock.now - started)
        }
        times.sort()
        let median = times[times.count / 2]
        let seconds = Double(median.components.seconds) + Double(median.components.attoseconds) / 1e18
        print(String(format: "%.6f %d", seconds, count))
    }
}
