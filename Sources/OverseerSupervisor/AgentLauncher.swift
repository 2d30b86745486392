import Foundation
import Logging
import NIOCore
import OverseerCgroup
import OverseerKill
import OverseerLineage
import OverseerProcess
import OverseerProfiles
import OverseerPTY
import OverseerTerminal
import OverseerWire
#if canImport(Glibc)
import Glibc
#endif

/// Spawning: checks a spawn request, starts the agent in its own PTY, session and (when the
/// supervisor manages a subtree) cgroup, attaches its terminal and enters it in the table.
struct AgentLauncher: Sendable {
    let live: LiveSettings
    let table: AgentTable
    let dispatches: DispatchBook
    let roots: RootProcesses
    /// Follows the agents' forks (nil where the proc connector is unavailable).
    let lineage: LineageTracker?
    let watcher: ChildExitWatcher
    let group: any EventLoopGroup
    let baseEnvironment: [String: String]
    let metrics: SupervisorMetrics
    let events: EventHub
    let trackers: StateTrackers
    let logger: Logger

    /// The settings in force now (a reload may have changed them since the last spawn).
    var settings: SupervisorSettings { live.current }

    /// Spawns the agent; returns its record once its terminal is attached.
    func spawn(_ request: SpawnRequest) async throws(SupervisorError) -> AgentInfo {
        guard Self.isValidName(request.name) else { throw .invalidName(request.name) }
        if let dispatch = request.dispatch { try await dispatches.requireOpen(dispatch) }
        if request.argv.isEmpty { throw .spawnFailed(SpawnError.emptyArgv.description, field: "argv") }
        let rows = Int(request.rows ?? settings.defaultRows)
        let cols = Int(request.cols ?? settings.defaultCols)
        guard (1...1000).contains(rows), (1...1000).contains(cols) else { throw .invalidSize(rows: rows, cols: cols) }
        if let delay = request.submitDelayMs, !(0...Self.maxSubmitDelayMs).contains(delay) {
            throw .invalidSpawn(field: "submit_delay_ms", message: "submit_delay_ms is \(delay); it must be 0-\(Self.maxSubmitDelayMs)")
        }
        let profile: Profile
        if let name = request.profile {
            do { profile = try settings.profiles.profile(named: name) } catch { throw .unknownProfile(name, known: settings.profiles.names) }
        } else {
            profile = settings.profiles.detect(argv: request.argv)
        }
        try await table.reserve(request.name)
        do {
            let info = try await launch(request, profile: profile)
            await table.unreserve(request.name)
            return info
        } catch {
            await table.unreserve(request.name)
            metrics.spawnFailures.increment()
            logger.warning("spawn failed", metadata: ["agent": "\(request.name)", "error": "\(error)"])
            throw error
        }
    }

    /// The longest settle pause a spawn may ask for.
    static let maxSubmitDelayMs = 10_000

    static func isValidName(_ name: String) -> Bool {
        guard (1...64).contains(name.utf8.count), let first = name.utf8.first, first != UInt8(ascii: "."), first != UInt8(ascii: "-") else { return false }
        return name.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
    }

    private func launch(_ request: SpawnRequest, profile: Profile) async throws(SupervisorError) -> AgentInfo {
        let id = randomHex(16)
        let incarnation = randomHex(8)
        let rows = request.rows ?? settings.defaultRows
        let cols = request.cols ?? settings.defaultCols
        let cwd = request.cwd ?? FileManager.default.currentDirectoryPath
        let environment = AgentEnvironment.build(inherited: baseEnvironment, overrides: request.env ?? [:], agentID: id, incarnation: incarnation)
        let spec = SpawnSpec(argv: request.argv, cwd: cwd, environment: environment, rows: rows, cols: cols)
        let transcript = try openTranscript(name: request.name, incarnation: incarnation)
        let ring = OutputRing(capacity: settings.outputBufferBytes)
        let screen = TerminalScreen(rows: Int(rows), cols: Int(cols), scrollbackLines: settings.screenScrollbackLines)
        let (cgroup, cgroupFD) = try createCgroup(forAgent: id)
        defer { if let cgroupFD { Glibc.close(cgroupFD) } }

        let spawned: SpawnedPTYProcess
        let startTime: UInt64
        do {
            // Under the spawn lock the child cannot be reaped yet, so its pid is still its own.
            (spawned, startTime) = try watcher.withSpawnLock { () throws(SpawnError) -> (SpawnedPTYProcess, UInt64) in
                let spawned = try Spawner.spawnInPTY(spec, cgroupFD: cgroupFD)
                roots.register(pid: spawned.pid, name: request.name, incarnation: incarnation)
                let startTime = (try? ProcStat.read(pid: spawned.pid))?.startTime ?? 0
                lineage?.claim(root: ProcessIdentity(pid: spawned.pid, startTime: startTime, bootID: BootID.current), agent: id)
                return (spawned, startTime)
            }
        } catch {
            transcript?.close()
            try? cgroup?.remove()
            throw .spawnFailed(error.description, field: error.requestField(overrides: request.env ?? [:]))
        }
        let info = AgentInfo(
            id: id, name: request.name, incarnation: incarnation, pid: spawned.pid,
            identity: ProcessIdentity(pid: spawned.pid, startTime: startTime, bootID: BootID.current),
            argv: request.argv, cwd: cwd, labels: request.labels ?? [:], rows: rows, cols: cols,
            state: .running, exit: nil, spawnedAt: epochNow(), exitedAt: nil,
            transcript: transcript?.path, outputBytes: 0, dispatch: request.dispatch, role: request.role,
            cgroup: cgroup?.path, generation: request.generation
        )
        let tracker = AgentStateTracker(profile: profile, screen: screen, ring: ring) { [events, name = request.name, id, incarnation] previous, current in
            events.publish { AgentEvent(sequence: $0, type: .agentState, agent: name, agentID: id, incarnation: incarnation, time: current.since, agentState: current.verdict.event(previous: previous.state)) }
        }
        await table.insert(AgentTable.Record(info: info, ring: ring, screen: screen, tracker: tracker, terminal: nil, submitDelayMs: request.submitDelayMs), events: events)
        if let dispatch = request.dispatch { await dispatches.join(dispatch, agent: request.name) }
        roots.tracked(pid: spawned.pid)

        do {
            let terminal = try await AgentTerminal.start(masterFD: spawned.masterFD, output: ring, transcript: transcript, group: group) {}
            // The screen parses from the ring on the background parser's thread, off the drain
            // path (which only pokes the parser); its answers to the program's terminal queries
            // go straight back to the PTY.
            screen.connect(source: { from, limit in
                let chunk = ring.read(from: from, limit: limit)
                return (chunk.bytes, chunk.next, chunk.dropped)
            }, replies: { answer in _ = terminal.writeNow(answer[...]) })
            ring.onAppend { [weak screen] in
                if let screen { BackgroundParser.shared.schedule(screen) }
            }
            BackgroundParser.shared.schedule(screen) // output read before the hook was set
            await table.attach(terminal, to: request.name)
            trackers.start(tracker)
        } catch {
            Glibc.close(spawned.masterFD)
            if let handle = try? PidFD.open(info.identity) { _ = try? handle.send(SIGKILL) }
            await table.remove(request.name, incarnation: incarnation)
            roots.forget(pid: spawned.pid)
            lineage?.forget(agent: id)
            throw .spawnFailed("could not attach to the agent's terminal: \(error)")
        }
        metrics.spawns.increment()
        logger.info("agent spawned", metadata: ["agent": "\(request.name)", "pid": "\(spawned.pid)", "incarnation": "\(incarnation)", "profile": "\(profile.name)", "cgroup": "\(cgroup?.path ?? "none")", "argv": "\(request.argv.joined(separator: " "))"])
        return info
    }

    /// Creates `agents/<id>` and opens it for CLONE_INTO_CGROUP, when the supervisor manages a subtree.
    private func createCgroup(forAgent id: String) throws(SupervisorError) -> (Cgroup?, Int32?) {
        guard let cgroups = settings.cgroups else { return (nil, nil) }
        let cgroup = cgroups.cgroup(forAgent: id)
        do {
            try cgroup.create()
            return (cgroup, try cgroup.openDirectory())
        } catch {
            try? cgroup.remove()
            throw .spawnFailed("cannot create the agent's cgroup: \(error)")
        }
    }

    private func openTranscript(name: String, incarnation: String) throws(SupervisorError) -> TranscriptWriter? {
        guard settings.transcriptMaxBytes > 0 else { return nil }
        let directory = "\(settings.stateDirectory)/transcripts"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            return try TranscriptWriter(path: "\(directory)/\(name).\(incarnation).log", maxBytes: settings.transcriptMaxBytes)
        } catch {
            throw .spawnFailed("cannot write the transcript under \(directory): \(error)")
        }
    }
}
