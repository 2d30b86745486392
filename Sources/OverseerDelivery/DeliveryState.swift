/// Where a delivery is in its life. Stored and encoded as its raw value.
///
/// ```
/// queued ──▶ injecting ──▶ injected ──▶ verified | unverified
///   │  ▲         │  │
///   │  └─retried─┘  └──▶ failed | unverified (interrupted)
///   └──▶ failed | dropped
/// ```
public enum DeliveryState: String, Codable, Sendable, CaseIterable {
    /// Persisted and waiting for its turn (the only state counted as pending).
    case queued
    /// Bytes are being written to the agent's PTY right now.
    case injecting
    /// Every byte was written; the echo has not been confirmed yet.
    case injected
    /// The agent's terminal echoed the text (or the caller accepted a timeout fallback).
    case verified
    /// Written, or possibly written, but never confirmed; never re-injected.
    case unverified
    /// Given up: the recipient is gone, writes kept failing, or the caller failed it.
    case failed
    /// Evicted from a full queue before it was ever injected.
    case dropped

    /// Verified, unverified, failed and dropped deliveries never change again.
    public var isTerminal: Bool {
        switch self {
        case .queued, .injecting, .injected: false
        case .verified, .unverified, .failed, .dropped: true
        }
    }

    /// The states this one may move to. `injecting → queued` is the `retried` event.
    public var successors: Set<DeliveryState> {
        switch self {
        case .queued: [.injecting, .failed, .dropped]
        case .injecting: [.injected, .queued, .failed, .unverified]
        case .injected: [.verified, .unverified]
        case .verified, .unverified, .failed, .dropped: []
        }
    }

    /// Whether `self → next` is a legal transition.
    public func canMove(to next: DeliveryState) -> Bool {
        successors.contains(next)
    }

    /// The terminal states, as stored.
    static let terminalRawValues: [String] = allCases.filter(\.isTerminal).map(\.rawValue)
}

/// How a delivery came to be `verified`.
public enum DeliveryVerification: String, Codable, Sendable, CaseIterable {
    /// The rendered screen showed the text typed and then gone from the input area (submitted).
    case screen
    /// The normalized text appeared in the agent's output after injection (the screen did not show it).
    case echo
    /// Nothing could be proved within the windows: the verdict is `unverified`.
    case timeoutFallback = "timeout_fallback"
}

/// When a delivery may be typed.
public enum DeliveryTiming: String, Codable, Sendable, CaseIterable {
    /// As soon as its turn comes and the program has taken the terminal.
    case now
    /// Only once the agent is idle (bounded by `delivery_idle_seconds`), never into a busy agent.
    case idle
}

/// What the screen check saw when it reached the verdict: how it decided, and the screen lines.
public struct DeliveryEvidence: Codable, Sendable, Equatable {
    /// `text`, `placeholder` or `input_cleared` (see `ScreenEvidence.Kind`), or `echo`.
    public var kind: String
    /// One sentence for people.
    public var summary: String
    /// The rows that show it, as `row N: text`.
    public var lines: [String]

    public init(kind: String, summary: String, lines: [String]) {
        self.kind = kind
        self.summary = summary
        self.lines = lines
    }
}
