import Foundation
import OverseerPTY
@testable import OverseerTerminal
import Synchronization
import XCTest

/// The shared background parser keeps a connected screen parsed without any reader asking,
/// answers the program's queries from its own thread, and runs at idle priority.
final class BackgroundParserTests: XCTestCase {
    /// Waits (polling, bounded) until `condition` holds.
    func eventually(_ what: String, within seconds: Double = 20, _ condition: () -> Bool) {
        let deadline = Date().addingTimeInterval(seconds)
        while !condition() {
            if Date() > deadline { return XCTFail("timed out waiting until \(what)") }
            usleep(1000)
        }
    }

    /// A screen connected to `ring` the way the supervisor connects one.
    func connectedScreen(to ring: OutputRing, replies: @escaping TerminalScreen.Replies) -> TerminalScreen {
        let screen = TerminalScreen(rows: 5, cols: 20)
        screen.connect(source: { from, limit in
            let chunk = ring.read(from: from, limit: limit)
            return (chunk.bytes, chunk.next, chunk.dropped)
        }, replies: replies)
        ring.onAppend { [weak screen] in
            if let screen { BackgroundParser.shared.schedule(screen) }
        }
        return screen
    }

    func testOutputIsParsedAndQueriesAnsweredWithoutAReader() {
        let ring = OutputRing(capacity: 4096)
        let answers = Mutex<[UInt8]>([])
        let screen = connectedScreen(to: ring) { answer in answers.withLock { $0 += answer } }
        let before = BackgroundParser.shared.catchUps
        ring.append(Array("hello\r\nworld\u{1B}[2;3H\u{1B}[6n".utf8))
        // fedBytes does not catch up: only the parser's thread can have moved it.
        eventually("the parser parsed every byte") { screen.fedBytes == ring.end }
        eventually("the query was answered") { !answers.withLock { $0 }.isEmpty }
        XCTAssertEqual(String(decoding: answers.withLock { $0 }, as: UTF8.self), "\u{1B}[2;3R")
        XCTAssertGreaterThan(BackgroundParser.shared.catchUps, before)
        XCTAssertEqual(Array(screen.snapshot().lines.prefix(2)), ["hello", "world"])

        ring.append(Array("\r\nagain".utf8))
        eventually("later output is parsed too") { screen.fedBytes == ring.end }
        XCTAssertEqual(screen.snapshot().lines[2], "again")
    }

    func testAScreenThatFellBehindTheRingSkipsWhatItDroppedAndCountsIt() {
        let ring = OutputRing(capacity: 64)
        let screen = TerminalScreen(rows: 5, cols: 20)
        // Not scheduled: the ring overflows before anything parses.
        screen.connect(source: { from, limit in
            let chunk = ring.read(from: from, limit: limit)
            return (chunk.bytes, chunk.next, chunk.dropped)
        }, replies: { _ in })
        ring.append(Array(repeating: UInt8(ascii: "x"), count: 200))
        ring.append(Array("\r\nend".utf8))
        BackgroundParser.shared.schedule(screen)
        eventually("the parser caught up") { screen.fedBytes == ring.end }
        XCTAssertEqual(screen.missedBytes, 205 - 64)
        XCTAssertEqual(screen.snapshot().lines.last(where: { !$0.isEmpty }), "end")
    }

    func testTheParserThreadRunsAtIdlePriority() throws {
        BackgroundParser.shared.schedule(TerminalScreen(rows: 2, cols: 2)) // started and has run
        let policies = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").compactMap { tid -> Int? in
            guard let stat = try? String(contentsOfFile: "/proc/self/task/\(tid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return nil }
            // Fields after the command: state is field 3; policy is field 41.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 38 ? Int(fields[38]) : nil
        }
        let schedIdle = 5
        XCTAssertTrue(policies.contains(schedIdle), "no thread of this process runs SCHED_IDLE: policies \(Set(policies))")
    }

    /// The scheduling policy of thread `tid` of this process (0 SCHED_OTHER, 5 SCHED_IDLE).
    static func policy(ofThread tid: Int32) -> Int? {
        guard let stat = try? String(contentsOfFile: "/proc/self/task/\(tid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 38 ? Int(fields[38]) : nil
    }

    /// The calling thread's id, from /proc/thread-self ("PID/task/TID").
    static func currentThreadID() -> Int32? {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/thread-self")).flatMap { Int32($0.split(separator: "/").last ?? "") }
    }

    /// A reader that needs a screen the idle-priority parser is in the middle of parsing lifts
    /// the parser to normal priority (on a busy machine it could wait seconds for CPU time
    /// otherwise), and the parser returns to SCHED_IDLE when it lets go. The source holds the
    /// parser inside the screen's lock until the reader has lifted it (bounded, so a missing
    /// lift fails instead of hanging).
    func testAReaderBlockedByTheParserLiftsItToNormalPriorityUntilItLetsGo() {
        let ring = OutputRing(capacity: 1 << 16)
        ring.append(Array("parsed by the idle thread".utf8))
        let inside = DispatchSemaphore(value: 0)
        struct Seen { var parser: Int32?; var policyWhileLifted: Int?; var lifted = false }
        let seen = Mutex(Seen())
        let liftsBefore = BackgroundParser.priorityLifts
        let screen = TerminalScreen(rows: 3, cols: 40)
        screen.connect(source: { from, limit in
            if seen.withLock({ $0.parser == nil }) {
                let me = Self.currentThreadID()
                seen.withLock { $0.parser = me }
                inside.signal()
                let deadline = Date().addingTimeInterval(20)
                while BackgroundParser.priorityLifts == liftsBefore, Date() < deadline { usleep(500) }
                let policy = me.flatMap { Self.policy(ofThread: $0) }
                seen.withLock { $0.policyWhileLifted = policy; $0.lifted = BackgroundParser.priorityLifts > liftsBefore }
            }
            let chunk = ring.read(from: from, limit: limit)
            return (chunk.bytes, chunk.next, chunk.dropped)
        }, replies: { _ in })
        BackgroundParser.shared.schedule(screen)
        XCTAssertEqual(inside.wait(timeout: .now() + 20), .success, "the parser started the catch-up")
        let parser = try? XCTUnwrap(seen.withLock { $0.parser })
        XCTAssertEqual(parser.flatMap { Self.policy(ofThread: $0) }, 5, "the parser parses at SCHED_IDLE")
        // The reader finds the lock taken, lifts the parser, then waits for it.
        XCTAssertEqual(screen.snapshot().lines.first, "parsed by the idle thread")
        XCTAssertTrue(seen.withLock { $0.lifted }, "the reader lifted the parser")
        XCTAssertEqual(seen.withLock { $0.policyWhileLifted }, 0, "lifted to SCHED_OTHER while it held the lock")
        XCTAssertEqual(BackgroundParser.priorityLifts, liftsBefore + 1)
        if let parser { eventually("the parser is back at SCHED_IDLE") { Self.policy(ofThread: parser) == 5 } }
    }
}
