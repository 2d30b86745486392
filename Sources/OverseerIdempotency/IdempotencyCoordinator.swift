import Foundation
import Synchronization

/// Runs each keyed request at most once while its response is remembered, and replays that
/// response to every retry.
///
/// - A request with a new key runs, and its response is stored durably before `perform`
///   returns (`.fresh`). A retry within the TTL gets it back (`.replayed`), also after a
///   restart, since the store is on disk.
/// - A call with the same key and request while the first is still running waits for the
///   first's response and returns it `.replayed`: the operation never runs twice.
/// - The same key with another request (another fingerprint), running or stored, throws
///   `keyReused` (an HTTP API answers 422).
/// - 5xx responses are not stored, so a retry after a server error runs again. Callers waiting
///   on that same run still get its response.
/// - `forget` evicts a stored response early; the key may then be used afresh with any request.
///
/// Crashes: only completed responses are stored. A request that was running when the process
/// was killed (SIGKILL, power loss) leaves nothing behind, so its retry runs it again. That is
/// safe for the supervisor's endpoints, which are themselves idempotent by content (agent names
/// and delivery ids are unique), so a second run finds the first's effect instead of doubling it.
///
/// Threading: all store calls run on GRDB's queue (serialized on the store's one connection),
/// never on the caller's thread, so `perform` may be awaited from request handlers. The operation itself runs on the calling
/// task and is done when `perform` returns, so it need not be `Sendable` nor escaping (an
/// HTTP middleware can pass its router continuation). Stored entries expire after the store's `ttl`; every save also prunes expired entries
/// and the oldest beyond `maxEntries`, in the same transaction (cost: one index seek plus the
/// rows removed). Use one coordinator per store file: the in-flight map is per process object.
public final class IdempotencyCoordinator: Sendable {
    /// The default bound on stored responses.
    public static let defaultMaxEntries = 10_000

    /// The durable store of completed responses.
    public let store: IdempotencyStore
    /// At most this many responses are kept; the oldest go first.
    public let maxEntries: Int
    /// Seconds a completed response is replayed (the store's TTL).
    public var ttl: Double { store.ttl }

    private let clock: @Sendable () -> Double
    /// This process instance: started markers of other instances belong to dead runs.
    public let instance: String = UUID().uuidString
    private let running = Mutex<[String: InFlightRequest]>([:])

    /// A coordinator over `store`. `clock` gives the current time in epoch seconds.
    public init(
        store: IdempotencyStore, maxEntries: Int = IdempotencyCoordinator.defaultMaxEntries,
        clock: @escaping @Sendable () -> Double = IdempotencyStore.currentTime
    ) throws(IdempotencyError) {
        try IdempotencyStore.validate(maxEntries: maxEntries)
        self.store = store
        self.maxEntries = maxEntries
        self.clock = clock
    }

    /// A coordinator over a store it opens at `path` with the given TTL.
    public convenience init(
        path: String, ttl: Double = IdempotencyStore.defaultTTL,
        maxEntries: Int = IdempotencyCoordinator.defaultMaxEntries
    ) throws(IdempotencyError) {
        try self.init(store: IdempotencyStore(path: path, ttl: ttl), maxEntries: maxEntries)
    }

    /// Runs `operation` for the request identified by `key` and `fingerprint`
    /// (`RequestFingerprint.hex`), or replays the response of an earlier or concurrent run.
    ///
    /// Throws `invalidKey`, `keyReused`, `cancelled` (this call was waiting for a concurrent
    /// run and its task was cancelled), `responseNotSaved` (the operation ran but its response
    /// could not be stored; the response is in the error), or a store error from the lookup.
    public func perform(
        key: String, fingerprint: String, operation: () async -> StoredResponse
    ) async throws(IdempotencyError) -> IdempotencyOutcome {
        try IdempotencyKey.validate(key)
        enum Claim {
            case lead(InFlightRequest)
            case follow(InFlightRequest)
            case reused
        }
        let claim = running.withLock { running -> Claim in
            if let request = running[key] {
                return request.fingerprint == fingerprint ? .follow(request) : .reused
            }
            let request = InFlightRequest(key: key, fingerprint: fingerprint)
            running[key] = request
            return .lead(request)
        }
        switch claim {
        case .reused:
            throw .keyReused(key: key)
        case .follow(let request):
            return .replayed(try await request.wait().get())
        case .lead(let request):
            let (outcome, shared) = await lead(key: key, fingerprint: fingerprint, operation: operation)
            // Leave the map before waking the waiters: a call arriving from now on finds the
            // stored response (or, after a 5xx or a failure, runs afresh).
            running.withLock { running in
                if running[key] === request { running[key] = nil }
            }
            request.finish(shared)
            return try outcome.get()
        }
    }

    /// Deletes the stored response for `key` so the key can be used afresh. False when none
    /// was stored (or it had been pruned). Throws `keyInFlight` while a request with this key
    /// is running, since its response would be stored right after.
    @discardableResult
    public func forget(key: String) async throws(IdempotencyError) -> Bool {
        try IdempotencyKey.validate(key)
        // The check runs on the store's queue, so no lookup or save comes between it and the delete.
        return try await store.perform(StoreOperation("forget", writes: true) { [self] db in
            guard !isInFlight(key: key) else { throw IdempotencyError.keyInFlight(key: key) }
            return try IdempotencyStore.delete(db, key: key)
        })
    }

    /// Prunes expired responses and the oldest beyond `maxEntries`; returns how many went.
    @discardableResult
    public func prune(now: Double? = nil) async throws(IdempotencyError) -> Int {
        let now = now ?? clock()
        return try await store.perform(store.pruneOperation(now: now, ttl: store.ttl, maxEntries: maxEntries))
    }

    /// True while a request with `key` is running in this process.
    public func isInFlight(key: String) -> Bool {
        running.withLock { $0[key] != nil }
    }

    /// Callers waiting for the running request with `key` (0 when none is running).
    func waiterCount(key: String) -> Int {
        running.withLock { $0[key] }?.waiterCount ?? 0
    }

    /// Runs the request as the key's only runner. Returns the leader's outcome and the result
    /// shared with the callers waiting on this run.
    private func lead(
        key: String, fingerprint: String, operation: () async -> StoredResponse
    ) async -> (Result<IdempotencyOutcome, IdempotencyError>, Result<StoredResponse, IdempotencyError>) {
        let started = clock()
        let lookup = await attempt(store.lookupOperation(key: key, now: started))
        let stored: IdempotencyStore.Entry?
        switch lookup {
        case .failure(let error):
            return (.failure(error), .failure(error))
        case .success(let entry):
            stored = entry
        }
        if let stored {
            guard stored.fingerprint == fingerprint else {
                return (.failure(.keyReused(key: key)), .failure(.keyReused(key: key)))
            }
            return (.success(.replayed(stored.response)), .success(stored.response))
        }
        // A run that started in a process that died: its effect is unknown, never re-run.
        let instance = self.instance
        let ttl = store.ttl
        let marked = await attempt(StoreOperation<IdempotencyStore, IdempotencyStore.Started?>("mark started", writes: true) { db in
            if let earlier = try IdempotencyStore.started(db, key: key, now: started, ttl: ttl), earlier.instance != instance { return earlier }
            try IdempotencyStore.markStarted(db, key: key, fingerprint: fingerprint, instance: instance, now: started)
            return nil
        })
        switch marked {
        case .failure(let error):
            return (.failure(error), .failure(error))
        case .success(let earlier?):
            let error: IdempotencyError = earlier.fingerprint == fingerprint
                ? .interrupted(key: key, startedAt: earlier.startedAt) : .keyReused(key: key)
            return (.failure(error), .failure(error))
        case .success(nil):
            break
        }
        let response = await operation()
        guard !response.isServerError else {
            _ = await attempt(store.clearStartedOperation(key: key))
            return (.success(.fresh(response)), .success(response))
        }
        let completed = clock()
        let saved = await attempt(store.saveOperation(key: key, fingerprint: fingerprint, response: response, createdAt: started, now: completed, pruningTo: maxEntries))
        if case .failure(let error) = saved {
            return (.failure(.responseNotSaved(key: key, response: response, message: error.description)), .success(response))
        }
        return (.success(.fresh(response)), .success(response))
    }

    private func attempt<Value>(_ operation: StoreOperation<IdempotencyStore, Value>) async -> Result<Value, IdempotencyError> {
        do {
            return .success(try await store.perform(operation))
        } catch {
            return .failure(error)
        }
    }
}
