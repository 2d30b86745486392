import COverseerSys
import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Keeps connected screens parsed as their output arrives, on one thread shared by every screen
/// in the process, scheduled as `SCHED_IDLE`: it runs on CPU time nothing else wants, so the
/// model never slows a drain or an agent (`overseer-screen-bench`). When a writer saturates the
/// CPU the parser falls behind; what the ring drops before it is parsed is skipped and counted
/// (`TerminalScreen.missedBytes`), and the screen is exact again once the program redraws or a
/// screenful of lines has followed. Every reader catches the screen up first anyway
/// (`TerminalScreen.catchUp`), at the reader's own priority.
///
/// `schedule` is cheap enough for the drain path: a lock and a set insert, and a semaphore
/// signal only when the thread sleeps. A reader that has to wait for a screen the thread is
/// parsing lifts it to normal priority until it lets go (`ParserPriority`). After waking the thread waits `batchDelay` so a burst
/// of small reads is parsed in one catch-up (the answers to terminal queries wait that long).
public final class BackgroundParser: Sendable {
    /// The parser the supervisor uses.
    public static let shared = BackgroundParser(batchDelay: .milliseconds(2))

    private struct Queue {
        var screens: [ObjectIdentifier: TerminalScreen] = [:]
        /// The thread waits on `wake` (a schedule must signal it).
        var sleeping = false
        var catchUps = 0
    }

    private let queue = Mutex(Queue())
    private let wake = DispatchSemaphore(value: 0)
    private let batchDelayMicroseconds: UInt32

    /// Starts the thread (it lives as long as the process).
    public init(batchDelay: Duration) {
        let (seconds, attoseconds) = batchDelay.components
        batchDelayMicroseconds = UInt32(seconds * 1_000_000 + attoseconds / 1_000_000_000_000)
        let thread = ParserThread(parser: self)
        thread.start()
    }

    /// Parses `screen` up to its source's end soon, on the parser's thread.
    public func schedule(_ screen: TerminalScreen) {
        let signal = queue.withLock { queue -> Bool in
            queue.screens[ObjectIdentifier(screen)] = screen
            guard queue.sleeping else { return false }
            queue.sleeping = false
            return true
        }
        if signal { wake.signal() }
    }

    /// How many catch-ups the thread has run (for tests and benchmarks).
    public var catchUps: Int { queue.withLock { $0.catchUps } }

    fileprivate func run() {
        lowerPriority()
        while true {
            let batch = queue.withLock { queue -> [TerminalScreen] in
                if queue.screens.isEmpty {
                    queue.sleeping = true
                    return []
                }
                let taken = Array(queue.screens.values)
                queue.screens.removeAll(keepingCapacity: true)
                queue.catchUps += taken.count
                return taken
            }
            if batch.isEmpty {
                wake.wait()
                if batchDelayMicroseconds > 0 { usleep(batchDelayMicroseconds) }
                continue
            }
            for screen in batch { ParserPriority.shared.parsing { screen.catchUp() } }
        }
    }

    /// A failure leaves normal priority (still correct, only less polite to the drains).
    private func lowerPriority() {
        _ = ParserPriority.shared.lowerCurrentThread()
    }

    /// How many times, in this process, a reader found a screen's lock held by a parser
    /// thread and lifted it to normal priority until it let go (`ParserPriority`).
    public static var priorityLifts: Int { ParserPriority.shared.lifts }
}

/// The parser's thread (plain pthreads: this module does not use Foundation).
private struct ParserThread {
    let parser: BackgroundParser

    init(parser: BackgroundParser) { self.parser = parser }

    func start() {
        let context = Unmanaged.passRetained(Box(parser)).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { context in
            let box = Unmanaged<Box>.fromOpaque(context!).takeRetainedValue()
            box.parser.run()
            return nil
        }, context)
        precondition(rc == 0, "cannot start the screen parser thread: error \(rc)")
        pthread_detach(thread)
    }

    private final class Box {
        let parser: BackgroundParser
        init(_ parser: BackgroundParser) { self.parser = parser }
    }
}
