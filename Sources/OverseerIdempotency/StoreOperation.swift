import GRDB

/// One operation on a store of this module, as a value: its name (for errors), whether it
/// writes, and its body, which runs inside one transaction (a read runs outside any
/// transaction: each is a single statement, its own snapshot). `Store` says which store it
/// belongs to. A store runs it on the caller's thread (its methods) or on GRDB's queue
/// without holding the caller's thread (`perform`).
public struct StoreOperation<Store, Value: Sendable>: Sendable {
    /// What it is called in errors.
    public let name: String
    let writes: Bool
    let body: @Sendable (Database) throws -> Value

    init(_ name: String, writes: Bool, _ body: @escaping @Sendable (Database) throws -> Value) {
        self.name = name
        self.writes = writes
        self.body = body
    }
}

extension StoreConnection {
    /// Runs `operation` on the calling thread (it waits for the commit's fsync).
    func run<Store, Value>(_ operation: StoreOperation<Store, Value>) throws(IdempotencyError) -> Value {
        operation.writes ? try write(operation.name, operation.body) : try read(operation.name, operation.body)
    }

    /// Runs `operation` on GRDB's queue without holding the caller's thread. Closing the
    /// store while calls are in flight is the owner's mistake: it closes at the end.
    func perform<Store, Value>(_ operation: StoreOperation<Store, Value>) async throws(IdempotencyError) -> Value {
        try ensureOpen(operation.name)
        do {
            if operation.writes { return try await queue.write(operation.body) }
            return try await queue.writeWithoutTransaction(operation.body)
        } catch {
            throw IdempotencyDatabase.map(error, path: path, operation: operation.name)
        }
    }
}
