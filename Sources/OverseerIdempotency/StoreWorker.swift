import Dispatch

/// A serial queue for the coordinator's blocking store calls, so that an async caller's
/// thread (a cooperative-pool thread, or an event loop) never waits for SQLite or an fsync.
///
/// Serial on purpose: the store serializes on one connection anyway, and running each
/// `forget`'s check-and-delete as one item among the lookups and saves keeps it atomic
/// with respect to them.
final class StoreWorker: Sendable {
    private let queue = DispatchQueue(label: "overseer.idempotency.store")

    /// Runs `body` on the queue and returns its result.
    func run<T: Sendable>(
        _ body: @escaping @Sendable () throws(IdempotencyError) -> T
    ) async -> Result<T, IdempotencyError> {
        await withCheckedContinuation { continuation in
            queue.async {
                continuation.resume(returning: Result(catching: body))
            }
        }
    }
}
