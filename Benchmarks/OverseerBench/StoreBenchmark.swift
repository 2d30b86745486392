import Foundation
import OverseerDelivery

/// Measures the cost of one persisted mutation with 10, 1,000 and 10,000 pending deliveries,
/// for this store and for the peer approach (`JSONSnapshotQueue`: the whole pending set
/// rewritten as JSON, temp file + rename, on every mutation), durable and not.
///
/// Each size gets a fresh file holding that many queued deliveries of one agent. A cycle then
/// performs four mutations, each timed on its own: enqueue a new delivery, then take the
/// oldest queued one through injecting, injected and verified, so the pending count stays
/// at the size. The reported figure is the median over all timed mutations.
enum StoreBenchmark {
    /// How much to measure.
    struct Options: Sendable {
        /// Pending deliveries in the store for each measurement.
        var pendingSizes: [Int]
        /// Measured cycles (four mutations each) per size for the SQLite store.
        var storeCycles: Int
        /// Measured cycles per size for the JSON peer (slow at large sizes).
        var peerCycles: Int
        /// Unmeasured cycles before each measurement.
        var warmupCycles: Int

        /// The defaults: sizes 10, 1,000, 10,000; 100 store cycles; 15 peer cycles; 5 warm-up.
        init(pendingSizes: [Int] = [10, 1_000, 10_000], storeCycles: Int = 100, peerCycles: Int = 15, warmupCycles: Int = 5) {
            self.pendingSizes = pendingSizes
            self.storeCycles = storeCycles
            self.peerCycles = peerCycles
            self.warmupCycles = warmupCycles
        }
    }

    static let agent = "bench-agent"
    static let text = "please run the test suite again and report which tests fail, with file names"

    /// Runs every measurement in `directory` (which must exist and should be on the disk
    /// the store will use: fsync costs are the point) and removes its files afterwards.
    static func run(in directory: String, options: Options = Options()) throws(DeliveryError) -> StoreBenchmarkResult {
        guard !options.pendingSizes.isEmpty, options.storeCycles > 0, options.peerCycles > 0 else {
            throw .invalidArgument(name: "options", reason: "needs at least one size and one cycle")
        }
        var storeAll: [Double] = [], storeEnqueue: [Double] = [], durablePeer: [Double] = [], fastPeer: [Double] = []
        var storeSamples: [Int] = [], enqueueSamples: [Int] = [], peerSamples: [Int] = [], fastSamples: [Int] = []
        for size in options.pendingSizes {
            let (all, enqueues) = try measureStore(in: directory, pending: size, options: options)
            storeAll.append(median(all))
            storeSamples.append(all.count)
            storeEnqueue.append(median(enqueues))
            enqueueSamples.append(enqueues.count)
            let durable = try measurePeer(in: directory, pending: size, durable: true, options: options)
            durablePeer.append(median(durable))
            peerSamples.append(durable.count)
            let fast = try measurePeer(in: directory, pending: size, durable: false, options: options)
            fastPeer.append(median(fast))
            fastSamples.append(fast.count)
        }
        return StoreBenchmarkResult(pendingSizes: options.pendingSizes, rows: [
            .init(approach: "OverseerDelivery SQLite (WAL, synchronous=FULL), any mutation", medianMicroseconds: storeAll, samples: storeSamples),
            .init(approach: "OverseerDelivery SQLite, enqueue only", medianMicroseconds: storeEnqueue, samples: enqueueSamples),
            .init(approach: "peer: JSON rewrite, temp+fsync+rename+dir fsync", medianMicroseconds: durablePeer, samples: peerSamples),
            .init(approach: "peer: JSON rewrite, temp+rename, no fsync", medianMicroseconds: fastPeer, samples: fastSamples),
        ])
    }

    /// Microseconds of every measured mutation, and of the enqueues among them.
    private static func measureStore(in directory: String, pending: Int, options: Options) throws(DeliveryError) -> (all: [Double], enqueues: [Double]) {
        let path = directory + "/bench-store-\(pending).sqlite"
        defer { removeFiles(path, suffixes: ["", "-wal", "-shm"]) }
        let store = try DeliveryStore(path: path)
        let cap = pending + 16
        // Seeded through the store's own API, one durable transaction each (not measured).
        for index in 0..<pending {
            _ = try store.enqueue(request("seed-\(index)"), cap: cap)
        }
        var all: [Double] = [], enqueues: [Double] = []
        for cycle in 0..<(options.warmupCycles + options.storeCycles) {
            let keep = cycle >= options.warmupCycles
            let enqueue = try timed { () throws(DeliveryError) in
                _ = try store.enqueue(request("cycle-\(cycle)"), cap: cap)
            }
            guard let next = try store.nextQueued(agent: agent) else {
                throw .notFound(id: "queued delivery of \(agent)")
            }
            let injecting = try timed { () throws(DeliveryError) in _ = try store.markInjecting(id: next.id, incarnation: "bench-1") }
            let injected = try timed { () throws(DeliveryError) in _ = try store.markInjected(id: next.id) }
            let verified = try timed { () throws(DeliveryError) in _ = try store.markVerified(id: next.id, verification: .echo) }
            if keep {
                enqueues.append(enqueue)
                all.append(contentsOf: [enqueue, injecting, injected, verified])
            }
        }
        try store.close()
        return (all, enqueues)
    }

    /// Microseconds of every measured mutation of the JSON peer.
    private static func measurePeer(in directory: String, pending: Int, durable: Bool, options: Options) throws(DeliveryError) -> [Double] {
        let path = directory + "/bench-peer-\(pending)-\(durable ? "fsync" : "nofsync").json"
        defer { removeFiles(path, suffixes: ["", ".tmp"]) }
        let peer = JSONSnapshotQueue(path: path, durable: durable)
        let now = DeliveryStore.currentTime()
        try peer.seed((0..<pending).map { request("seed-\($0)") }, now: now)
        var all: [Double] = []
        for cycle in 0..<(options.warmupCycles + options.peerCycles) {
            let now = DeliveryStore.currentTime()
            let enqueue = try timed { () throws(DeliveryError) in try peer.enqueue(request("cycle-\(cycle)"), now: now) }
            guard let next = peer.oldestQueued(agent: agent) else {
                throw .notFound(id: "queued delivery of \(agent)")
            }
            let injecting = try timed { () throws(DeliveryError) in try peer.move(id: next.id, to: .injecting, now: now) }
            let injected = try timed { () throws(DeliveryError) in try peer.move(id: next.id, to: .injected, now: now) }
            let verified = try timed { () throws(DeliveryError) in try peer.move(id: next.id, to: .verified, now: now) }
            if cycle >= options.warmupCycles {
                all.append(contentsOf: [enqueue, injecting, injected, verified])
            }
        }
        return all
    }

    private static func request(_ id: String) -> NewDelivery {
        NewDelivery(id: id, agent: agent, text: text)
    }

    /// Microseconds `body` took.
    private static func timed(_ body: () throws(DeliveryError) -> Void) throws(DeliveryError) -> Double {
        let clock = ContinuousClock()
        let start = clock.now
        try body()
        let elapsed = clock.now - start
        let (seconds, attoseconds) = elapsed.components
        return Double(seconds) * 1_000_000 + Double(attoseconds) / 1_000_000_000_000
    }

    /// The median (mean of the middle two for an even count); 0 for no samples.
    static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    private static func removeFiles(_ path: String, suffixes: [String]) {
        for suffix in suffixes {
            try? FileManager.default.removeItem(atPath: path + suffix)
        }
    }
}
