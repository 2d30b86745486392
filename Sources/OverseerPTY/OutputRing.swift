import Synchronization

/// A slice of an agent's output, addressed by absolute byte offsets since spawn.
public struct OutputChunk: Sendable, Equatable {
    /// Offset of `bytes.first` (may be above the requested cursor when older bytes were dropped).
    public var start: UInt64
    /// The cursor to ask for next.
    public var next: UInt64
    public var bytes: [UInt8]
    /// Bytes between the requested cursor and `start` that the ring no longer holds.
    public var dropped: UInt64
    /// True once the PTY has closed and no more output will come.
    public var closed: Bool
}

/// A bounded ring of an agent's most recent output. Writers append; readers poll with a
/// byte-offset cursor, or wait for bytes past a cursor. Storage grows to the capacity on
/// demand, so idle agents cost little.
public final class OutputRing: Sendable {
    struct State {
        var storage: [UInt8] = []
        /// Index in `storage` of the oldest byte once the ring is full.
        var head = 0
        /// Total bytes ever appended (offset of the next byte).
        var end: UInt64 = 0
        var closed = false
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter = 0
        /// Called after every append and at close, outside the lock (see `onAppend`).
        var appendHook: (@Sendable () -> Void)?
    }

    public let capacity: Int
    /// Internal (not private) so tests can see when a waiter has parked.
    let state = Mutex(State())

    public init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    /// Offset of the next byte to be written.
    public var end: UInt64 { state.withLock { $0.end } }

    /// True once the PTY has closed (no more output will come).
    public var isClosed: Bool { state.withLock { $0.closed } }

    public func append(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        let (waiters, hook) = state.withLock { state -> ([CheckedContinuation<Void, Never>], (@Sendable () -> Void)?) in
            var input = bytes[...]
            if input.count > capacity { input = input.suffix(capacity) }
            let capacity = self.capacity
            if state.storage.count < capacity {
                let room = capacity - state.storage.count
                state.storage.append(contentsOf: input.prefix(room))
                input = input.dropFirst(room)
            }
            // Overwrite the oldest bytes in at most two contiguous copies.
            while !input.isEmpty {
                let run = min(input.count, capacity - state.head)
                let head = state.head
                state.storage.withUnsafeMutableBytes { storage in
                    storage.baseAddress!.advanced(by: head).copyMemory(from: UnsafeRawBufferPointer(rebasing: input).baseAddress!, byteCount: run)
                }
                input = input.dropFirst(run)
                state.head = (state.head + run) % capacity
            }
            state.end += UInt64(bytes.count)
            return (state.takeWaiters(), state.appendHook)
        }
        for waiter in waiters { waiter.resume() }
        hook?()
    }

    public func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    /// Marks the stream finished and wakes every waiter.
    public func close() {
        let (waiters, hook) = state.withLock { state -> ([CheckedContinuation<Void, Never>], (@Sendable () -> Void)?) in
            state.closed = true
            return (state.takeWaiters(), state.appendHook)
        }
        for waiter in waiters { waiter.resume() }
        hook?()
    }

    /// Runs `hook` on the writer's thread after every append and once at close: a cheap
    /// notification (it must not block, and must not read the ring's bytes on that thread —
    /// the drain path only copies). Replaces any earlier hook; nil removes it.
    public func onAppend(_ hook: (@Sendable () -> Void)?) {
        state.withLock { $0.appendHook = hook }
    }

    /// Wakes every waiter without closing (they return with whatever is there).
    public func wakeWaiters() {
        let waiters = state.withLock { $0.takeWaiters() }
        for waiter in waiters { waiter.resume() }
    }

    /// Bytes from `cursor` on (at most `limit`). A cursor older than the ring starts at the oldest byte held.
    public func read(from cursor: UInt64, limit: Int = .max) -> OutputChunk {
        state.withLock { state in
            let held = UInt64(state.storage.count)
            let oldest = state.end - held
            let from = min(max(cursor, oldest), state.end)
            let count = Int(min(UInt64(max(limit, 0)), state.end - from))
            var bytes: [UInt8] = []
            if count > 0 {
                // Logical index of `from` within the held bytes, mapped into storage: at most
                // two contiguous runs (the ring wraps once).
                let logical = Int(from - oldest)
                let first = state.storage.count == capacity ? (state.head + logical) % capacity : logical
                let run = min(count, state.storage.count - first)
                bytes = [UInt8](unsafeUninitializedCapacity: count) { out, initialized in
                    state.storage.withUnsafeBytes { storage in
                        let target = UnsafeMutableRawBufferPointer(out)
                        target.baseAddress!.copyMemory(from: storage.baseAddress! + first, byteCount: run)
                        if run < count { (target.baseAddress! + run).copyMemory(from: storage.baseAddress!, byteCount: count - run) }
                    }
                    initialized = count
                }
            }
            return OutputChunk(start: from, next: from + UInt64(count), bytes: bytes, dropped: from > cursor ? from - cursor : 0, closed: state.closed)
        }
    }

    /// The last `count` bytes held.
    public func tail(_ count: Int) -> OutputChunk {
        let end = self.end
        return read(from: end >= UInt64(count) ? end - UInt64(count) : 0, limit: count)
    }

    /// Waits until there are bytes past `cursor`, the ring closes, the timeout passes or the task is cancelled.
    public func waitForData(after cursor: UInt64, timeout: Duration) async {
        let id: Int? = state.withLock { state in
            if state.end > cursor || state.closed { return nil }
            state.nextWaiter += 1
            return state.nextWaiter
        }
        guard let id else { return }
        let timer = Task {
            try? await Task.sleep(for: timeout)
            self.resumeWaiter(id)
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state -> Bool in
                    // Cancelled before parking: the cancellation handler found nothing to resume.
                    if state.end > cursor || state.closed || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            self.resumeWaiter(id)
        }
        timer.cancel()
    }

    private func resumeWaiter(_ id: Int) {
        let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
        waiter?.resume()
    }
}

extension OutputRing.State {
    mutating func takeWaiters() -> [CheckedContinuation<Void, Never>] {
        guard !waiters.isEmpty else { return [] }
        let taken = Array(waiters.values)
        waiters.removeAll()
        return taken
    }
}
