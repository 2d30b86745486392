// Measures the terminal screen model: memory per idle screen, parse throughput against a plain
// copy, and a real PTY drain with and without the model. Prints Markdown rows for
// docs/benchmarks.md (`--rows-file PATH` appends them there) and details on stderr.
// Run: swift build -c release --product overseer-screen-bench && .build/release/overseer-screen-bench
import CHeapInfo
import COverseerSys
import Foundation
import OverseerPTY
import OverseerTerminal
#if canImport(Glibc)
import Glibc
#endif

let arguments = CommandLine.arguments
func option(_ name: String) -> String? {
    arguments.firstIndex(of: name).flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil }
}
let megabytes = Int(option("--megabytes") ?? "50") ?? 50
/// `--only memory|parse|drain` runs one part (for profiling); the rows then cover only it.
let only = option("--only")
func runs(_ part: String) -> Bool { only == nil || only == part }
let chunkSize = 4096
/// Drains per input and mode, alternating without/with (the median is reported).
let drainRuns = Int(option("--drain-runs") ?? "7") ?? 7
func log(_ text: String) { FileHandle.standardError.write(Data((text + "\n").utf8)) }

func heapInUse() -> Int { Int(ov_heap_in_use()) }

/// Output of `argv` run on an 80×24 PTY (what a drain would read), as one byte array.
func recordOnPTY(_ argv: [String]) -> [UInt8] {
    let env = AgentEnvironment.build(inherited: AgentEnvironment.current(), overrides: ["PS1": "bench$ "], agentID: "screen-bench", incarnation: "1")
    guard let process = try? Spawner.spawnInPTY(SpawnSpec(argv: argv, environment: env)) else {
        log("cannot run \(argv)")
        exit(1)
    }
    _ = fcntl(process.masterFD, F_SETFL, fcntl(process.masterFD, F_GETFL) & ~O_NONBLOCK)
    var out: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = read(process.masterFD, &buffer, buffer.count)
        if count <= 0 { break }
        out += buffer[0..<count]
    }
    var status: Int32 = 0
    waitpid(process.pid, &status, 0)
    close(process.masterFD)
    return out
}

func repeated(_ sample: [UInt8], toMegabytes size: Int) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(size << 20 + sample.count)
    while out.count < size << 20 { out += sample }
    return out
}

// MARK: memory

/// Bash's real start-up output up to its first prompt.
func bashPrompt() -> [UInt8] {
    let env = AgentEnvironment.build(inherited: AgentEnvironment.current(), overrides: ["PS1": "agent@host:~$ "], agentID: "screen-bench", incarnation: "1")
    let process = try! Spawner.spawnInPTY(SpawnSpec(argv: ["bash", "--norc", "--noprofile", "-i"], environment: env))
    var out: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    let deadline = Date().addingTimeInterval(10)
    while !String(decoding: out, as: UTF8.self).contains("agent@host:~$ ") && Date() < deadline {
        let count = read(process.masterFD, &buffer, buffer.count)
        if count > 0 { out += buffer[0..<count] } else { usleep(2000) }
    }
    kill(process.pid, SIGKILL)
    var status: Int32 = 0
    waitpid(process.pid, &status, 0)
    close(process.masterFD)
    return out
}

func memoryPerScreen(feeding input: [UInt8], count: Int = 100) -> Int {
    let before = heapInUse()
    var screens: [TerminalScreen] = []
    for _ in 0..<count {
        let screen = TerminalScreen(rows: 24, cols: 80)
        _ = screen.feed(input)
        screens.append(screen)
    }
    let delta = heapInUse() - before
    withExtendedLifetime(screens) {}
    return delta / count
}

let prompt = runs("memory") ? bashPrompt() : []
let idle = runs("memory") ? memoryPerScreen(feeding: prompt) : 0
let fullLines = Array((0..<2 * TerminalScreen.defaultScrollbackLines).map { "\($0) " + String(repeating: "x", count: 70) + "\r\n" }.joined().utf8)
let full = runs("memory") ? memoryPerScreen(feeding: prompt + fullLines) : 0
let alternate = runs("memory") ? memoryPerScreen(feeding: prompt + Array("\u{1B}[?1049h\u{1B}[H\u{1B}[2Jfull screen".utf8)) : 0
if runs("memory") { log("memory per 80×24 screen: idle \(idle) B, scrollback full (\(TerminalScreen.defaultScrollbackLines) lines of 75 chars) \(full) B, after using the alternate screen \(alternate) B") }

// MARK: throughput

func time(_ body: () -> Void) -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

func feedAll(_ data: [UInt8]) -> Double {
    let screen = TerminalScreen(rows: 24, cols: 80)
    return data.withUnsafeBytes { raw in
        time {
            var offset = 0
            while offset < raw.count {
                let end = min(offset + chunkSize, raw.count)
                _ = screen.feed(UnsafeRawBufferPointer(rebasing: raw[offset..<end]))
                offset = end
            }
        }
    }
}

func copyAll(_ data: [UInt8]) -> Double {
    var ring = [UInt8](repeating: 0, count: 1 << 20)
    return data.withUnsafeBytes { raw in
        ring.withUnsafeMutableBytes { ringBytes in
            time {
                var offset = 0
                var at = 0
                while offset < raw.count {
                    let end = min(offset + chunkSize, raw.count)
                    if at + (end - offset) > ringBytes.count { at = 0 }
                    memcpy(ringBytes.baseAddress! + at, raw.baseAddress! + offset, end - offset)
                    at += end - offset
                    offset = end
                }
            }
        }
    }
}

let seqText = recordOnPTY(["seq", "1", "400000"])
let listing = recordOnPTY(["ls", "-lR", "/usr/share/doc", "/usr/lib/python3"])
let colourful = recordOnPTY(["ls", "-lR", "--color=always", "/usr/share/doc", "/usr/lib/python3"])
var inputs: [(String, [UInt8])] = [
    ("`seq` output", repeated(seqText, toMegabytes: megabytes)),
    ("`ls -lR` output", repeated(listing, toMegabytes: megabytes)),
    ("`ls -lR --color=always` recording", repeated(colourful, toMegabytes: megabytes)),
]
var throughputRows: [String] = []
for (name, data) in inputs where runs("parse") {
    let mb = Double(data.count) / 1e6
    let copy = [copyAll(data), copyAll(data), copyAll(data)].sorted()[1]
    let parse = [feedAll(data), feedAll(data), feedAll(data)].sorted()[1]
    log("\(name): \(String(format: "%.1f", mb)) MB, feed() \(String(format: "%.3f", parse)) s (\(String(format: "%.0f", mb / parse)) MB/s), copy \(String(format: "%.4f", copy)) s")
    throughputRows.append("\(name): \(String(format: "%.0f", mb / parse)) MB/s")
}

// MARK: PTY drain

/// CPU seconds (user + system) this process used so far.
func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    let total = usage.ru_utime.tv_sec + usage.ru_stime.tv_sec
    return Double(total) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

/// Bytes the model skipped (the ring had dropped them before it parsed them), per input.
nonisolated(unsafe) var missedTotal: UInt64 = 0

/// Wall and CPU time to drain `cat FILE` from an 80×24 PTY, reading 64 KiB at a time into an
/// `OutputRing`, with or without the screen model, connected as the supervisor connects it:
/// pulling from the ring on the shared `BackgroundParser` after each burst (its answers written back).
func drain(file: String, withModel: Bool) -> (wall: Double, cpu: Double) {
    let env = AgentEnvironment.build(inherited: AgentEnvironment.current(), overrides: [:], agentID: "screen-bench", incarnation: "1")
    let ring = OutputRing(capacity: 1 << 20)
    let screen = TerminalScreen(rows: 24, cols: 80)
    let cpuBefore = cpuSeconds()
    let wall = time {
        let process = try! Spawner.spawnInPTY(SpawnSpec(argv: ["cat", file], environment: env))
        _ = fcntl(process.masterFD, F_SETFL, fcntl(process.masterFD, F_GETFL) & ~O_NONBLOCK)
        let master = process.masterFD
        if withModel {
            screen.connect(source: { from, limit in
                let chunk = ring.read(from: from, limit: limit)
                return (chunk.bytes, chunk.next, chunk.dropped)
            }, replies: { answer in _ = answer.withUnsafeBytes { write(master, $0.baseAddress, $0.count) } })
            ring.onAppend { [weak screen] in
                if let screen { BackgroundParser.shared.schedule(screen) }
            }
        }
        var buffer = [UInt8](repeating: 0, count: 65536)
        buffer.withUnsafeMutableBytes { bytes in
            while true {
                let count = read(master, bytes.baseAddress, bytes.count)
                if count <= 0 { break }
                ring.append(UnsafeRawBufferPointer(rebasing: bytes[0..<count]))
            }
        }
        var status: Int32 = 0
        waitpid(process.pid, &status, 0)
        ring.close()
        // The model has parsed everything the drain read (or skipped what the ring dropped).
        while withModel, screen.fedBytes < ring.end { usleep(100) }
        close(master)
    }
    if screen.missedBytes > 0 {
        log("the model fell more than the ring's 1 MiB behind: \(screen.missedBytes) bytes skipped (they would be in the supervisor too)")
    }
    missedTotal += screen.missedBytes
    return (wall, cpuSeconds() - cpuBefore)
}

func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

var drainRows: [String] = []
var worstRatio = 0.0
let directory = NSTemporaryDirectory() + "overseer-screen-bench-\(getpid())"
try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: directory) }
for (index, (name, data)) in inputs.enumerated() where runs("drain") {
    // The file holds what the program printed, LF line ends (the PTY adds the CR again).
    let path = "\(directory)/input\(index)"
    let plain = data.filter { $0 != 0x0D }
    FileManager.default.createFile(atPath: path, contents: Data(plain))
    var without: [(wall: Double, cpu: Double)] = []
    var with: [(wall: Double, cpu: Double)] = []
    missedTotal = 0
    for _ in 0..<drainRuns {
        without.append(drain(file: path, withModel: false))
        with.append(drain(file: path, withModel: true))
    }
    let a = median(without.map(\.wall)), b = median(with.map(\.wall))
    let cpuA = median(without.map(\.cpu)), cpuB = median(with.map(\.cpu))
    let mb = Double(plain.count) / 1e6
    worstRatio = max(worstRatio, b / a)
    log("PTY drain of \(name): wall without model \(String(format: "%.2f", a)) s, with \(String(format: "%.2f", b)) s, ratio \(String(format: "%.2f", b / a)); drain CPU \(String(format: "%.2f", cpuA)) s vs \(String(format: "%.2f", cpuB)) s")
    drainRows.append("\(name) \(String(format: "%.2f", b)) s vs \(String(format: "%.2f", a)) s (\(String(format: "%.0f", mb / b)) MB/s): \(String(format: "%.2f", b / a))×, drain CPU \(String(format: "%.2f", cpuB / cpuA))×" + (missedTotal > 0 ? String(format: ", the model skipped %.1f%% (ring overflow)", Double(missedTotal) / Double(plain.count * 5) * 100) : ""))
}

let rows = [
    "| (i) screen model memory per idle 80×24 agent (bash prompt, \(TerminalScreen.defaultScrollbackLines)-line scrollback; mallinfo2 over 100 screens) | \(idle / 1024) KiB idle; \(full / 1024) KiB with the scrollback full of 75-char lines; \(alternate / 1024) KiB once the alternate screen was used | | | | idle < 200 KiB |",
    "| (j) PTY drain of \(megabytes) MB with the screen model vs without (`cat`, 80×24, median of \(drainRuns)) | \(drainRows.joined(separator: "; ")) | | parse alone, 4 KiB chunks: \(throughputRows.joined(separator: ", ")) | worst \(String(format: "%.2f", worstRatio))× | ≤ 1.15× |",
]
print(rows.joined(separator: "\n"))
if let file = option("--rows-file"), let handle = FileHandle(forWritingAtPath: file) ?? (FileManager.default.createFile(atPath: file, contents: nil) ? FileHandle(forWritingAtPath: file) : nil) {
    handle.seekToEndOfFile()
    handle.write(Data((rows.joined(separator: "\n") + "\n").utf8))
}
