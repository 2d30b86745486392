import OverseerSystem
import SystemPackage
import Foundation
import OverseerDelivery

#if canImport(Glibc)
import Glibc
#endif

/// The peer approach the benchmark compares against: every non-terminal delivery kept in
/// memory and, on every mutation, the whole set encoded with `JSONEncoder` and written to a
/// temporary file in the same directory, which is then renamed over the snapshot.
///
/// With `durable` the temporary file is fsynced before the rename and the directory after
/// it, which is what makes such a snapshot survive power loss like the SQLite store does.
/// Without it the file is only as safe as the page cache.
final class JSONSnapshotQueue {
    let path: String
    let durable: Bool
    private let directory: String
    private let temporaryPath: String
    private let encoder = JSONEncoder()
    private(set) var records: [Delivery] = []
    private var nextSequence: Int64 = 1

    init(path: String, durable: Bool) {
        self.path = path
        self.durable = durable
        self.directory = (path as NSString).deletingLastPathComponent
        self.temporaryPath = path + ".tmp"
    }

    /// Adds queued deliveries and persists once (setup, not measured).
    func seed(_ requests: [NewDelivery], now: Double) throws(DeliveryError) {
        for request in requests {
            records.append(makeDelivery(request, now: now))
        }
        try persist()
    }

    /// Appends a queued delivery and persists the whole set.
    func enqueue(_ request: NewDelivery, now: Double) throws(DeliveryError) {
        records.append(makeDelivery(request, now: now))
        try persist()
    }

    /// The oldest queued delivery of `agent`.
    func oldestQueued(agent: String) -> Delivery? {
        records.first { $0.agent == agent && $0.state == .queued }
    }

    /// Moves a delivery to `state` (dropping it from the set when terminal) and persists.
    func move(id: String, to state: DeliveryState, now: Double) throws(DeliveryError) {
        guard let index = records.firstIndex(where: { $0.id == id }) else {
            throw .notFound(id: id)
        }
        guard records[index].state.canMove(to: state) else {
            throw .illegalTransition(id: id, from: records[index].state, to: state)
        }
        if state.isTerminal {
            records.remove(at: index)
        } else {
            records[index].state = state
            records[index].updatedAt = now
            if state == .injected { records[index].injectedAt = now }
        }
        try persist()
    }

    /// Encodes every record and replaces the snapshot file atomically.
    func persist() throws(DeliveryError) {
        let data: Data
        do {
            data = try encoder.encode(records)
        } catch {
            throw .io(path: path, operation: "encode JSON", errno: EINVAL)
        }
        let fd = open(temporaryPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .io(path: temporaryPath, operation: "open", errno: errno) }
        if let failure = Self.writeAll(fd: fd, data: data) {
            close(fd)
            throw .io(path: temporaryPath, operation: "write", errno: failure)
        }
        if durable, fsync(fd) != 0 {
            let failure = errno
            close(fd)
            throw .io(path: temporaryPath, operation: "fsync", errno: failure)
        }
        close(fd)
        guard rename(temporaryPath, path) == 0 else {
            throw .io(path: path, operation: "rename", errno: errno)
        }
        if durable {
            try syncDirectory()
        }
    }

    /// Writes all of `data`; returns the errno of a failed write.
    private static func writeAll(fd: Int32, data: Data) -> Int32? {
        data.withUnsafeBytes { buffer -> Int32? in
            var offset = 0
            while offset < buffer.count {
                let written = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                offset += written
            }
            return nil
        }
    }

    private func syncDirectory() throws(DeliveryError) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw .io(path: directory, operation: "open", errno: errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw .io(path: directory, operation: "fsync", errno: errno) }
    }

    private func makeDelivery(_ request: NewDelivery, now: Double) -> Delivery {
        defer { nextSequence += 1 }
        return Delivery(
            id: request.id, agent: request.agent, text: request.text, submit: request.submit,
            interrupt: request.interrupt, awaitNextIncarnation: request.awaitNextIncarnation,
            state: .queued, sequence: nextSequence, createdAt: now, updatedAt: now)
    }
}

private extension DeliveryError {
    static func io(path: String, operation: String, errno: Int32) -> DeliveryError {
        .io(SystemCallError(operation, path: path, errno: Errno(rawValue: errno)))
    }
}
