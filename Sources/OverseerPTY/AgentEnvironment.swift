/// Builds an agent's environment from the supervisor's.
public enum AgentEnvironment {
    /// The marker every descendant of an agent inherits: finds escaped daemons.
    public static let agentIDVariable = "OVERSEER_AGENT_ID"
    /// Which spawn of the agent a process descends from.
    public static let incarnationVariable = "OVERSEER_INCARNATION"

    /// Variables describing the supervisor's own relationship with systemd; an agent must not
    /// inherit them (it would send notifications as the service, or claim its sockets).
    public static func isSupervisorOnly(_ name: String) -> Bool {
        name == "NOTIFY_SOCKET" || name.hasPrefix("WATCHDOG_") || name.hasPrefix("LISTEN_")
            || name == "JOURNAL_STREAM" || name == agentIDVariable || name == incarnationVariable
    }

    /// inherited − supervisor-only variables + caller's variables + the two markers.
    /// TERM defaults to `xterm-256color` (the agent runs on a terminal) unless given.
    public static func build(inherited: [String: String], overrides: [String: String], agentID: String, incarnation: String) -> [String: String] {
        var env = inherited.filter { !isSupervisorOnly($0.key) }
        if env["TERM"] == nil || env["TERM"] == "dumb" { env["TERM"] = "xterm-256color" }
        for (name, value) in overrides where name != agentIDVariable && name != incarnationVariable {
            env[name] = value
        }
        env[agentIDVariable] = agentID
        env[incarnationVariable] = incarnation
        return env
    }

    /// The current process's environment.
    public static func current() -> [String: String] {
        var env: [String: String] = [:]
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            if let eq = text.firstIndex(of: "=") {
                env[String(text[..<eq])] = String(text[text.index(after: eq)...])
            }
            pointer += 1
        }
        return env
    }
}

#if canImport(Glibc)
import Glibc
#endif
