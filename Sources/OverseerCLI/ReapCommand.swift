import ArgumentParser
import Foundation
import Logging
import OverseerCommands
import OverseerConfig
import OverseerDisplay
import OverseerReaper
import OverseerSupervisor
import OverseerSystem

/// `overseer reap`: one pass of the orphan reaper (a systemd timer runs it every minute).
struct ReapCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reap",
        abstract: "Kill the whole process trees of stranded agents listed in the in-flight registry.",
        discussion: """
        Reaps dispatch-failed entries always, and every entry of a supervisor that is dead or whose \
        heartbeat is older than stale_after_seconds. Also reads a factory-sdk registry (--registry, \
        --heartbeat) without ever rewriting it. Never signals protected pids, kernel threads, live \
        supervisors, or, by --agent-name, another agent's processes (each reported in skipped, \
        with its reason). The registry is registry_path, by default <state_dir>/registry.json: \
        pass the --state-dir the supervisor was started with, or --registry. --dry-run reads the \
        registry without its lock and creates, moves, locks and signals nothing. Exit codes: \
        0 clean; 1 error; 2 survivors; 3 unresolved entries; 4 registry refused (untrusted, or \
        corrupt: moved aside, or left in place by --dry-run); 5 no registry at the path looked at; \
        64 usage error.
        """
    )

    @OptionGroup var config: ConfigFileOption
    @Option(name: .customLong("state-dir"), help: "The supervisor's state directory (state_dir): its registry is <state-dir>/registry.json unless --registry is given.") var stateDir: String?
    @Option(help: "Registry to read (registry_path).") var registry: String?
    @Option(help: "A factory-sdk heartbeat file (default: the registry's heartbeatPath).") var heartbeat: String?
    @Option(name: .customLong("protect-pid"), help: "Never signal this pid (repeatable).") var protectPIDs: [Int32] = []
    @Option(name: .customLong("protect-pidfile"), help: "Never signal the pid in this file (repeatable).") var protectPidfiles: [String] = []
    @Option(name: .customLong("kill-grace"), help: "Seconds between SIGTERM and SIGKILL (kill_grace_seconds).") var killGrace: String?
    @Flag(name: .customLong("dry-run"), help: "Print the plan; signal nothing, change nothing.") var dryRun = false
    @Flag(name: .customLong("json"), help: "Print the report as JSON.") var json = false

    func run() async throws {
        var flags: [String: FlagValue] = [:]
        if let stateDir { flags["state_dir"] = FlagValue(stateDir, flag: "--state-dir") }
        if let registry { flags["registry_path"] = FlagValue(registry, flag: "--registry") }
        if let killGrace { flags["kill_grace_seconds"] = FlagValue(killGrace, flag: "--kill-grace") }
        let resolved: ResolvedConfig
        do {
            resolved = try config.load(flags: flags)
        } catch let error as CLIError {
            // A bad flag is a usage error (64); a bad file or environment variable an error (1).
            FileHandle.standardError.write(Data("overseer reap: \(TerminalSafe.escape(error.message))\n".utf8))
            throw ExitCode(error.exitCode)
        }
        let effective = resolved.config
        let level = Logger.Level(rawValue: effective.logLevel.rawValue) ?? .info
        LoggingSystem.bootstrap { label in JournalLogHandler(label: label, level: level) }
        let logger = Logger(label: "overseer.reap")
        let limit = DescriptorLimit.raiseAndDescribe()
        logger.log(level: limit.failed ? .warning : .info, "\(limit.message)")
        let notifier = SystemdNotifier()
        let options = ReapOptions(
            registryPath: effective.registryPath, heartbeatPath: heartbeat,
            staleAfterSeconds: effective.staleAfterSeconds, unresolvedTTLSeconds: effective.unresolvedTTLSeconds,
            protectedPIDs: effective.protectedPIDs.map(Int32.init) + protectPIDs,
            protectedPidfiles: effective.protectedPIDFiles + protectPidfiles,
            graceSeconds: effective.killGraceSeconds, dryRun: dryRun
        )
        let report: ReapReport
        do {
            report = try Reaper(options: options, logger: logger).run()
        } catch {
            logger.error("reap refused", metadata: ["error": "\(error)"])
            notifier.status("refused: \(error)")
            FileHandle.standardError.write(Data("overseer reap: \(TerminalSafe.escape("\(error)", keepingNewlines: true))\n".utf8))
            if case .refused = error { throw ExitCode(ReapExit.refusedInput.rawValue) }
            throw ExitCode(ReapExit.error.rawValue)
        }
        if !dryRun {
            do {
                try ReapMetricsFile.write(report, to: effective.metricsTextfile)
            } catch {
                logger.warning("could not write the metrics textfile", metadata: ["path": "\(effective.metricsTextfile)", "error": "\(error)"])
            }
        }
        logger.notice("\(report.summary)")
        notifier.status(report.summary)
        if json {
            try printJSON(report)
        } else {
            Self.printHuman(report)
        }
        if report.format == "none" {
            FileHandle.standardError.write(Data("overseer reap: warning: \(Self.noRegistryWarning(report.registry, sources: resolved))\n".utf8))
            throw ExitCode(ReapExit.noRegistry.rawValue)
        }
        if !report.survivors.isEmpty { throw ExitCode(ReapExit.survivors.rawValue) }
        if !report.unresolved.isEmpty { throw ExitCode(ReapExit.unresolved.rawValue) }
    }

    /// What to say when the registry looked at does not exist: the path and where it came from.
    static func noRegistryWarning(_ path: String, sources: ResolvedConfig) -> String {
        let origin: String
        if let source = sources.source(of: "registry_path"), source != .defaultValue {
            origin = "registry_path from \(source)"
        } else {
            origin = "<state_dir>/registry.json, state_dir from \(sources.source(of: "state_dir") ?? .defaultValue)"
        }
        return "no registry at \(TerminalSafe.escape(path)) (\(origin)); nothing to reap. "
            + "A supervisor started with --state-dir DIR keeps it at DIR/registry.json: pass the same --state-dir, or --registry PATH."
    }

    /// The report for people. Agent names and process names come from registries and from
    /// the processes themselves, so each is escaped before it reaches the terminal.
    static func printHuman(_ report: ReapReport) {
        let safe = { (text: String) in TerminalSafe.escape(text) }
        for (agent, pids) in report.plan.sorted(by: { $0.key < $1.key }) {
            print("would reap \(safe(agent)): pids \(pids.map(String.init).joined(separator: " "))")
        }
        for process in report.reaped {
            print("reaped \(safe(process.agent)): pid \(process.pid) (\(safe(process.comm))) \(process.signals.joined(separator: ",")) → \(process.outcome.rawValue)")
        }
        for skip in report.skipped {
            print("skipped \(safe(skip.agent ?? "-")): \(skip.pid.map { "pid \($0)" } ?? "entry") (\(safe(skip.reason)))")
        }
        for survivor in report.survivors { print("SURVIVOR \(safe(survivor.agent)): pid \(survivor.identity.pid)") }
        for entry in report.unresolved { print("unresolved \(safe(entry.agent)): \(safe(entry.reason)) (attempt \(entry.attempts))") }
        for name in report.dropped { print("dropped \(safe(name)): unresolved past its TTL") }
        print(safe(report.summary))
    }
}
