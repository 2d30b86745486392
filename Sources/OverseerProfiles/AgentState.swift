/// What an agent is doing, as its screen shows it.
public enum AgentState: String, Sendable, Equatable, Hashable, Codable, CaseIterable {
    /// Spawned, but the program has not taken the terminal yet (typing now would reach the
    /// kernel's line discipline, not the program).
    case starting
    /// Waiting at its prompt for input.
    case idle
    /// Busy with a turn, a command or output.
    case working
    /// Asking the user for an approval or a choice.
    case blocked
    /// The program has exited.
    case exited

    /// The states a profile rule may conclude; `starting` and `exited` come from the
    /// process's life, never from the screen.
    public static let ruleStates: [AgentState] = [.idle, .working, .blocked]
}
