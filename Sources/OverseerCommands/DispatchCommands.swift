import ArgumentParser
import OverseerClient
import OverseerWire

/// `overseer dispatch`: open a dispatch (a unit of work) to spawn agents into.
struct DispatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "dispatch", abstract: "Open a dispatch; spawn agents into it with `spawn --dispatch ID`.")

    @OptionGroup var options: ClientOptions
    @Option(name: .customLong("issue-key"), help: "Issue key (e.g. ENG-42).") var issueKey: String?
    @Option(name: .customLong("issue-uuid")) var issueUUID: String?
    @Option(name: .customLong("issue-path")) var issuePath: String?
    @Option(name: .customLong("session"), help: "Session reference.") var session: String?
    @Option(help: "Role of the agents.") var role: String?

    func run() async throws {
        try await reportingErrors {
            let issue = (issueKey ?? issueUUID ?? issuePath) == nil ? nil : IssueReference(uuid: issueUUID, key: issueKey, path: issuePath)
            let info = try await options.client().openDispatch(DispatchRequest(issue: issue, sessionRef: session, role: role))
            if options.json { try printJSON(info) } else { print(info.id) }
        }
    }
}

/// `overseer handoff DISPATCH`: the dispatch failed; hand its agents to the reaper.
struct HandoffCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "handoff", abstract: "Mark a dispatch failed: its agents are persisted as dispatch_failed for the reaper.")

    @OptionGroup var options: ClientOptions
    @Argument(help: "Dispatch id.") var dispatch: String

    func run() async throws {
        try await reportingErrors {
            let result = try await options.client().failDispatch(dispatch)
            if options.json {
                try printJSON(result)
            } else if result.handoff {
                print("handed off \(result.agents.count) agents of \(result.dispatch) to the reaper: \(result.agents.joined(separator: ", "))")
            } else {
                print("dispatch \(result.dispatch) has no agents: nothing to hand off")
            }
        }
    }
}
