/// The delay before the next injection into one agent, adapted to how injections went.
///
/// - Starts at 100 ms, which is also the floor.
/// - Failures (write errors, failed deliveries) in a row set the delay to the next step of
///   100, 200, 500, 1000, 2000, 5000 ms (the first failure in a row keeps 100 ms; the sixth
///   and later stay at 5000 ms). A failure never shortens the current delay.
/// - A `verified` result resets the failure step; every third `verified` in a row halves the
///   delay (never below 100 ms), so recovery after a bad spell is gradual.
/// - An `unverified` result only breaks the success streak: the delay and the failure step
///   stay as they are.
public struct InjectionThrottle: Sendable, Equatable {
    /// What happened to one injection.
    public enum Outcome: Sendable, Equatable {
        /// The delivery was verified (by echo or timeout fallback).
        case verified
        /// The delivery was injected but could not be confirmed.
        case unverified
        /// A write error, or the delivery failed.
        case failed
    }

    /// The delay after the 1st, 2nd, ... consecutive failure, in milliseconds.
    public static let failureStepsMilliseconds = [100, 200, 500, 1000, 2000, 5000]
    /// The initial and smallest delay, in milliseconds.
    public static let floorMilliseconds = 100
    /// `verified` results in a row that halve the delay.
    public static let streakToHalve = 3

    /// The delay before the next injection, in milliseconds.
    public private(set) var delayMilliseconds: Int
    /// `verified` results since the last halving, failure or `unverified`.
    public private(set) var successStreak: Int
    /// Failures in a row since the last `verified`.
    public private(set) var consecutiveFailures: Int

    /// A throttle at its initial 100 ms.
    public init() {
        delayMilliseconds = Self.floorMilliseconds
        successStreak = 0
        consecutiveFailures = 0
    }

    /// The delay before the next injection.
    public var delay: Duration {
        .milliseconds(delayMilliseconds)
    }

    /// Adapts the delay to one injection's outcome.
    public mutating func record(_ outcome: Outcome) {
        switch outcome {
        case .verified:
            consecutiveFailures = 0
            successStreak += 1
            if successStreak == Self.streakToHalve {
                successStreak = 0
                delayMilliseconds = max(Self.floorMilliseconds, delayMilliseconds / 2)
            }
        case .unverified:
            successStreak = 0
        case .failed:
            successStreak = 0
            consecutiveFailures += 1
            let steps = Self.failureStepsMilliseconds
            let step = steps[min(consecutiveFailures, steps.count) - 1]
            delayMilliseconds = max(delayMilliseconds, step)
        }
    }
}
