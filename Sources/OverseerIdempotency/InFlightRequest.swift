import Synchronization

/// One running keyed request and the callers waiting for its response.
///
/// The caller that runs the request calls `finish` exactly once; every `wait`, whether it
/// started before or after that, returns the same result. A waiter whose task is cancelled
/// returns `cancelled` at once; the request itself is not affected.
final class InFlightRequest: Sendable {
    typealias Waiter = CheckedContinuation<Result<StoredResponse, IdempotencyError>, Never>

    /// The idempotency key.
    let key: String
    /// The fingerprint of the request that is running.
    let fingerprint: String

    private struct State {
        var result: Result<StoredResponse, IdempotencyError>?
        var waiters: [UInt64: Waiter] = [:]
        /// Waiters cancelled before they had registered their continuation.
        var cancelledEarly: Set<UInt64> = []
        var nextWaiter: UInt64 = 0
    }

    private let state = Mutex(State())

    init(key: String, fingerprint: String) {
        self.key = key
        self.fingerprint = fingerprint
    }

    /// Callers currently suspended in `wait`.
    var waiterCount: Int {
        state.withLock { $0.waiters.count }
    }

    /// Suspends until `finish` (or returns its result if it already happened); returns
    /// `cancelled` if the calling task is cancelled first.
    func wait() async -> Result<StoredResponse, IdempotencyError> {
        let id = state.withLock { state in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        let key = key
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (waiter: Waiter) in
                let immediate: Result<StoredResponse, IdempotencyError>? = state.withLock { state in
                    if let result = state.result { return result }
                    if state.cancelledEarly.remove(id) != nil { return .failure(.cancelled(key: key)) }
                    state.waiters[id] = waiter
                    return nil
                }
                if let immediate {
                    waiter.resume(returning: immediate)
                }
            }
        } onCancel: {
            let waiter: Waiter? = state.withLock { state in
                guard state.result == nil else { return nil }
                guard let waiter = state.waiters.removeValue(forKey: id) else {
                    state.cancelledEarly.insert(id)
                    return nil
                }
                return waiter
            }
            waiter?.resume(returning: .failure(.cancelled(key: key)))
        }
    }

    /// Records the request's result and resumes every waiter with it.
    func finish(_ result: Result<StoredResponse, IdempotencyError>) {
        let waiters = state.withLock { state in
            state.result = result
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters {
            waiter.resume(returning: result)
        }
    }
}
