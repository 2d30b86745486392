import NIOPosix

/// The one place the supervisor runs blocking system calls: kill-engine runs, /proc scans
/// for the tree view, and registry file writes (flock, fsync). A small thread pool owned by
/// the supervisor, so no async thread or event loop ever waits on them. (Child exits have
/// their own thread; the SQLite stores run on GRDB's queues.)
public final class BlockingWork: Sendable {
    private let pool: NIOThreadPool

    public init(threads: Int = 4) {
        pool = NIOThreadPool(numberOfThreads: threads)
        pool.start()
    }

    /// Runs `body` on the pool; fails once the pool is shut down.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await pool.runIfActive(body)
    }

    /// Stops the pool once the work queued on it is done.
    func shutdown() async {
        try? await pool.shutdownGracefully()
    }
}
