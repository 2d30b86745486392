import ArgumentParser
import Foundation
import OverseerClient
import OverseerDisplay
import OverseerWire

/// `overseer spawn NAME -- ARGV...`
struct SpawnCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "spawn", abstract: "Start an agent in its own PTY and session.")

    @OptionGroup var options: ClientOptions
    @Argument(help: "Agent name (A-Z a-z 0-9 . _ -).") var name: String
    @Option(help: "Working directory (default: the current one; a relative path is taken from the current one).") var cwd: String?
    @Option(name: .customLong("env"), help: "Extra environment variable NAME=VALUE (repeatable).") var env: [String] = []
    @Option(name: .customLong("label"), help: "Label KEY=VALUE (repeatable).") var labels: [String] = []
    @Option(help: "Terminal rows.") var rows: UInt16?
    @Option(help: "Terminal columns.") var cols: UInt16?
    @Option(help: "Dispatch (unit of work) to spawn the agent into.") var dispatch: String?
    @Option(help: "The agent's role.") var role: String?
    @Option(help: "The profile that reads its screen (default: detected from the command; see `overseer profiles`).") var profile: String?
    @Option(name: .customLong("submit-delay-ms"), help: "Pause between a message's text and its Enter, in milliseconds (default: the profile's).") var submitDelayMs: Int?
    @Argument(parsing: .postTerminator, help: "The program and its arguments, after --.") var argv: [String] = []

    func validate() throws {
        if argv.isEmpty { throw ValidationError("give the program to run after --, e.g. overseer spawn \(name) -- bash -i") }
    }

    func run() async throws {
        try await reportingErrors {
            let request = SpawnRequest(
                name: name, argv: argv, cwd: Self.absolute(cwd),
                env: try Self.pairs(env, what: "--env"), rows: rows, cols: cols, labels: try Self.pairs(labels, what: "--label"),
                dispatch: dispatch, role: role, profile: profile, submitDelayMs: submitDelayMs
            )
            let info = try await options.client().spawn(request)
            if options.json { try printJSON(info) } else { print("spawned \(info.name): pid \(info.pid), incarnation \(info.incarnation)" + (info.agentState.map { ", profile \($0.profile)" } ?? "")) }
        }
    }

    /// `--cwd` as the supervisor needs it: absolute, a relative path taken from our own directory.
    static func absolute(_ cwd: String?) -> String {
        let here = FileManager.default.currentDirectoryPath
        guard let cwd, !cwd.isEmpty else { return here }
        if cwd.hasPrefix("/") { return cwd }
        return (here == "/" ? "" : here) + "/" + cwd
    }

    static func pairs(_ items: [String], what: String) throws -> [String: String]? {
        guard !items.isEmpty else { return nil }
        var result: [String: String] = [:]
        for item in items {
            guard let eq = item.firstIndex(of: "="), eq != item.startIndex else { throw CLIError("\(what) \(item): expected KEY=VALUE", exitCode: 64) }
            result[String(item[..<eq])] = String(item[item.index(after: eq)...])
        }
        return result
    }
}

/// `overseer ps`
struct PsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ps", abstract: "List agents.",
        discussion: "STATUS is the process's lifecycle (running, exited with its code or signal); STATE is what its screen shows (starting, idle, working, blocked, exited), read by its PROFILE."
    )

    @OptionGroup var options: ClientOptions
    @Flag(help: "List the processes the supervisor adopted as subreaper (their parent exited) instead, with the agent each came from, or UNATTRIBUTED.") var orphans = false

    func run() async throws {
        try await reportingErrors {
            if orphans { return try await listOrphans() }
            let list = try await options.client().agents()
            if options.json { return try printJSON(list) }
            let now = Date().timeIntervalSince1970
            let rows = list.agents.map { agent in
                let cells = [agent.name, "\(agent.pid)", agent.state.rawValue + (agent.exit.map { " (\($0.code.map { "code \($0)" } ?? "signal \($0.signal ?? 0)"))" } ?? "") + Self.unfinishedRelease(agent),
                             agent.agentState?.state ?? "-", agent.agentState?.profile ?? "-",
                             agent.incarnation, Self.age(now - agent.spawnedAt), "\(agent.outputBytes)", Self.cgroupColumn(agent.cgroup)]
                // Escaped: an agent's argv (or anything it reports) never reaches the terminal raw.
                return cells.map { TerminalSafe.escape($0) } + [TerminalSafe.commandLine(agent.argv)]
            }
            print(Table.render(header: ["NAME", "PID", "STATUS", "STATE", "PROFILE", "INCARNATION", "AGE", "OUTPUT", "CGROUP", "COMMAND"], rows: rows))
        }
    }

    /// `ps --orphans`: PID, AGENT (or UNATTRIBUTED), BY (lineage, marker, cgroup), COMMAND.
    func listOrphans() async throws {
        let list = try await options.client().orphans()
        if options.json { return try printJSON(list) }
        let rows = list.orphans.map { orphan in
            ["\(orphan.identity.pid)", orphan.agent ?? "UNATTRIBUTED", orphan.attributedBy?.rawValue ?? "-", orphan.comm].map { TerminalSafe.escape($0) }
                + [TerminalSafe.commandLine(orphan.cmdline)]
        }
        print(Table.render(header: ["PID", "AGENT", "BY", "COMM", "COMMAND"], rows: rows))
        print("\(list.orphans.count) adopted, \(list.unattributed) unattributed")
    }

    /// ", release unfinished: 2 survivors (pids 41, 42)" when a release could not prove the tree gone.
    static func unfinishedRelease(_ agent: AgentView) -> String {
        guard agent.releaseSurvivors != nil || agent.releaseProblems != nil else { return "" }
        let survivors = agent.releaseSurvivors ?? []
        let pids = survivors.prefix(5).map { "\($0.pid)" }.joined(separator: ", ") + (survivors.count > 5 ? ", …" : "")
        return ", release unfinished: \(survivors.count) survivors" + (survivors.isEmpty ? " (not verified)" : " (pids \(pids))")
    }

    /// The cgroup as systemd-cgls names it (relative to the cgroup v2 mount), or "-".
    static func cgroupColumn(_ path: String?) -> String {
        guard let path else { return "-" }
        for mount in ["/sys/fs/cgroup/unified", "/sys/fs/cgroup"] where path.hasPrefix(mount + "/") {
            return String(path.dropFirst(mount.count))
        }
        return path
    }

    static func age(_ seconds: Double) -> String {
        let s = Int(max(seconds, 0))
        if s < 120 { return "\(s)s" }
        if s < 7200 { return "\(s / 60)m" }
        return "\(s / 3600)h"
    }
}

/// `overseer release NAME`
struct ReleaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "release", abstract: "Kill an agent's whole process tree and forget it.")

    @OptionGroup var options: ClientOptions
    @Argument(help: "Agent name.") var name: String

    func run() async throws {
        try await reportingErrors {
            let result = try await options.client().release(name)
            let report = result.report
            if options.json {
                try printJSON(result)
            } else {
                let terminated = report.processes.filter { $0.outcome == .terminated }.count
                let killed = report.processes.filter { $0.outcome == .killed }.count
                print("released \(TerminalSafe.escape(result.agent)): \(report.processes.count) processes (\(terminated) terminated, \(killed) killed), \(report.skipped.count) skipped, \(report.survivors.count) survivors in \(String(format: "%.2f", report.durationSeconds))s")
                if let cgroup = report.cgroup {
                    let how = cgroup.killed ? "cgroup.kill" : "not killed whole"
                    print("  cgroup \(TerminalSafe.escape(cgroup.path)): \(how), \(cgroup.removed ? "removed" : "kept")" + (cgroup.note.map { " (\(TerminalSafe.escape($0)))" } ?? ""))
                }
                for skip in report.skipped { print("  skipped pid \(skip.pid) (\(TerminalSafe.escape(skip.comm ?? "?"))): \(skip.reason.rawValue)") }
                for survivor in report.survivors { print("  SURVIVOR pid \(survivor.pid)") }
                for orphan in result.unattributedOrphans ?? [] {
                    print("  adopted meanwhile, UNATTRIBUTED: pid \(orphan.identity.pid) (\(TerminalSafe.escape(orphan.comm))) \(TerminalSafe.commandLine(orphan.cmdline))")
                }
            }
            for problem in report.problems ?? [] { print("  NOT VERIFIED: \(TerminalSafe.escape(problem))") }
            if !report.clean {
                let agentName = TerminalSafe.escape(result.agent)
                let what = report.survivors.isEmpty ? "the release of \(agentName) could not verify its tree gone" : "\(report.survivors.count) processes survived the release of \(agentName)"
                throw CLIError(what + "; it stays listed: release it again", exitCode: 6)
            }
        }
    }
}

/// An aligned text table.
enum Table {
    static func render(header: [String], rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { index, cell in index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0) }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
