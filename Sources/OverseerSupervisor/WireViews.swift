import OverseerDelivery
import OverseerIdempotency
import OverseerKill
import OverseerProcess
import OverseerProfiles
import OverseerRegistry
import OverseerWire

// The one boundary between the supervisor's domain types and the API's wire types.

extension ProcessIdentity {
    var view: ProcessIdentityView { ProcessIdentityView(pid: pid, startTime: startTime, bootID: bootID) }
}

extension ExitStatus {
    var view: AgentView.Exit { AgentView.Exit(code: code, signal: signal, coreDumped: coreDumped) }
}

extension AgentInfo {
    func view(tree: [AgentView.TreeProcess]? = nil, state screenState: AgentStateTracker.Current? = nil) -> AgentView {
        AgentView(
            id: id, name: name, incarnation: incarnation, pid: pid, identity: identity.view, argv: argv, cwd: cwd,
            labels: labels, rows: rows, cols: cols, state: AgentView.State(rawValue: state.rawValue) ?? .running,
            exit: exit?.view, spawnedAt: spawnedAt, exitedAt: exitedAt, transcript: transcript, outputBytes: outputBytes,
            tree: tree, dispatch: dispatch, role: role, handoff: AgentView.Handoff(rawValue: handoff.rawValue) ?? .none,
            cgroup: cgroup, generation: generation, agentState: screenState?.view(explain: false),
            releaseSurvivors: unfinishedRelease.map { $0.survivors.map(\.view) },
            releaseProblems: unfinishedRelease.flatMap { $0.problems.isEmpty ? nil : $0.problems }
        )
    }
}

extension KillReport {
    var view: KillReportView {
        KillReportView(
            processes: processes.map { process in
                KillReportView.Process(
                    identity: process.identity.view, comm: process.comm,
                    reason: KillReportView.Membership(rawValue: process.reason.rawValue) ?? .descendant,
                    signals: process.signals, outcome: KillReportView.Outcome(rawValue: process.outcome.rawValue) ?? .survived
                )
            },
            skipped: skipped.map { skip in
                KillReportView.Skipped(pid: skip.pid, identity: skip.identity?.view, comm: skip.comm, reason: KillReportView.SkipReason(rawValue: skip.reason.rawValue) ?? .protectedPID)
            },
            survivors: survivors.map(\.view), rescans: rescans, durationSeconds: durationSeconds, clean: clean,
            cgroup: cgroup.map { KillReportView.Cgroup(path: $0.path, killed: $0.killed, removed: $0.removed, note: $0.note) },
            problems: problems.isEmpty ? nil : problems
        )
    }
}

extension IssueRef {
    var view: IssueReference { IssueReference(uuid: uuid, key: key, path: path) }
}

extension IssueReference {
    var domain: IssueRef { IssueRef(uuid: uuid, key: key, path: path) }
}

extension DispatchInfo {
    var view: DispatchView {
        DispatchView(id: id, issue: issue?.view, sessionRef: sessionRef, role: role, state: DispatchView.State(rawValue: state.rawValue) ?? .open, agents: agents, createdAt: createdAt)
    }
}

extension Delivery {
    var view: DeliveryView {
        DeliveryView(
            id: id, agent: agent, incarnation: incarnation, text: text, submit: submit, interrupt: interrupt,
            awaitNextIncarnation: awaitNextIncarnation, when: DeliveryView.When(rawValue: when.rawValue) ?? .now,
            state: DeliveryView.State(rawValue: state.rawValue) ?? .queued,
            verification: verification.flatMap { DeliveryView.Verification(rawValue: $0.rawValue) },
            evidence: evidence.map { DeliveryView.Evidence(kind: $0.kind, summary: $0.summary, lines: $0.lines) }, reason: reason,
            attempts: attempts, sequence: sequence, createdAt: createdAt, updatedAt: updatedAt, injectedAt: injectedAt,
            history: history?.map { DeliveryView.HistoryEntry(event: $0.event, at: $0.at, reason: $0.reason) }
        )
    }
}

extension Checkpoint {
    var view: CheckpointView {
        CheckpointView(agent: agent, generation: generation, lastIndex: lastIndex, releasedAt: releasedAt, updatedAt: updatedAt)
    }
}

extension SupervisorError {
    /// A delivery-store failure, as the API reports it.
    init(_ error: DeliveryError) {
        switch error {
        case .invalidRequest(let field, _): self = .invalidMessage(field: field, message: error.description)
        case .conflict: self = .deliveryConflict(error.description)
        case .notFound(let id): self = .deliveryNotFound(id)
        case .storageFull: self = .notPersisted("the message was not accepted: \(error.description)")
        default: self = .deliveryStoreFailed(error.description)
        }
    }
}

extension AgentStateVerdict {
    func event(previous: OverseerProfiles.AgentState) -> AgentStateEventInfo {
        AgentStateEventInfo(state: state.rawValue, previous: previous.rawValue, profile: profile, rule: rule, evidence: evidence, reason: reason)
    }
}

extension AgentStateTracker.Current {
    func view(explain: Bool) -> AgentStateView {
        AgentStateView(state: verdict.state.rawValue, since: since, profile: verdict.profile, rule: verdict.rule, evidence: verdict.evidence, ready: verdict.ready, reason: verdict.reason, explain: explain ? verdict.explain : nil)
    }
}
