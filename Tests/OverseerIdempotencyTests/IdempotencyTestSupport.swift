import Foundation
import GRDB
import Synchronization
import XCTest

@testable import OverseerIdempotency

/// A test case with a fresh temporary directory, removed after each test, and the stores it
/// opened, closed after each test.
class IdempotencyTestCase: XCTestCase {
    private(set) var directory = ""
    private let opened = Mutex<[@Sendable () -> Void]>([])

    override func setUpWithError() throws {
        try super.setUpWithError()
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("overseer-idempotency-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
    }

    override func tearDownWithError() throws {
        for close in opened.withLock({ closers in defer { closers = [] }; return closers }) {
            close()
        }
        try? FileManager.default.removeItem(atPath: directory)
        try super.tearDownWithError()
    }

    /// The default database path inside the test's directory.
    var storePath: String { directory + "/idempotency.sqlite" }

    /// Opens a response store (closed again in tearDown).
    func openStore(path: String? = nil, ttl: Double = IdempotencyStore.defaultTTL) throws -> IdempotencyStore {
        let store = try IdempotencyStore(path: path ?? storePath, ttl: ttl)
        opened.withLock { $0.append({ try? store.close() }) }
        return store
    }

    /// Opens a checkpoint store (closed again in tearDown).
    func openCheckpoints(path: String? = nil) throws -> CheckpointStore {
        let store = try CheckpointStore(path: path ?? storePath)
        opened.withLock { $0.append({ try? store.close() }) }
        return store
    }

    /// A coordinator over a fresh store (closed again in tearDown).
    func openCoordinator(
        ttl: Double = IdempotencyStore.defaultTTL, maxEntries: Int = IdempotencyCoordinator.defaultMaxEntries,
        clock: @escaping @Sendable () -> Double = IdempotencyStore.currentTime
    ) throws -> IdempotencyCoordinator {
        try IdempotencyCoordinator(store: openStore(ttl: ttl), maxEntries: maxEntries, clock: clock)
    }

    /// Inserts `count` entries ("seed-0" …) in one transaction, completed at `base + index`.
    func seed(_ store: IdempotencyStore, count: Int, base: Double = 1_000) throws {
        try store.connection.write("seed") { db in
            for index in 0..<count {
                try IdempotencyStore.insert(
                    db, key: "seed-\(index)", fingerprint: "fp-\(index)", response: reply("seed-\(index)"),
                    createdAt: base + Double(index), completedAt: base + Double(index))
            }
        }
    }

    /// Rows in one of the store's tables, counted.
    func rowCount(_ connection: StoreConnection, table: String) throws -> Int {
        try connection.read("count rows") { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)") ?? -1 }
    }

    /// Microseconds `body` took.
    func microseconds(_ body: () throws -> Void) rethrows -> Double {
        let clock = ContinuousClock()
        let start = clock.now
        try body()
        let elapsed = clock.now - start
        return Double(elapsed.components.seconds) * 1e6 + Double(elapsed.components.attoseconds) / 1e12
    }

    /// The median of `values` (0 for none).
    func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}

/// A count shared between tasks.
final class Counter: Sendable {
    private let value = Mutex(0)

    @discardableResult
    func increment() -> Int {
        value.withLock { value in
            value += 1
            return value
        }
    }

    var current: Int { value.withLock { $0 } }
}

/// A one-shot gate: `wait` suspends until `open` (and returns at once after it). It opens by
/// itself after `timeout`, so that an implementation that never opens it in the intended way
/// fails its assertions instead of hanging the suite.
final class Gate: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))
    private let timer = Mutex<Task<Void, Never>?>(nil)

    init(timeout: Duration = .seconds(15)) {
        let task = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            guard !Task.isCancelled else { return }
            self?.open()
        }
        timer.withLock { $0 = task }
    }

    func open() {
        timer.withLock { $0?.cancel() }
        let waiters = state.withLock { state in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let isOpen = state.withLock { state in
                if !state.open { state.waiters.append(continuation) }
                return state.open
            }
            if isOpen { continuation.resume() }
        }
    }
}

/// A settable clock for TTL tests.
final class ManualClock: Sendable {
    private let value: Mutex<Double>

    init(_ start: Double) { value = Mutex(start) }

    var now: Double { value.withLock { $0 } }

    func advance(by seconds: Double) { value.withLock { $0 += seconds } }
}

/// Polls `condition` every millisecond for up to `seconds`; true once it holds.
func eventually(within seconds: Double = 5, _ condition: () -> Bool) async -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(1))
    }
    return condition()
}

/// A small JSON response whose body names `tag`.
func reply(_ tag: String, status: Int = 200) -> StoredResponse {
    StoredResponse(status: status, contentType: "application/json", body: Array("{\"tag\":\"\(tag)\"}".utf8))
}

/// The outcome or typed error of `body`, as a value (Task has no typed-throws form).
func result(
    _ body: () async throws(IdempotencyError) -> IdempotencyOutcome
) async -> Result<IdempotencyOutcome, IdempotencyError> {
    do {
        return .success(try await body())
    } catch {
        return .failure(error)
    }
}
