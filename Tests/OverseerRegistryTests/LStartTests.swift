import Foundation
import OverseerProcess
@testable import OverseerRegistry
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// `ps -o lstart=` text: formatting, parsing, and matching against real processes.
final class LStartTests: XCTestCase {
    let utc = TimeZone(identifier: "UTC")!
    let newYork = TimeZone(identifier: "America/New_York")!
    let kolkata = TimeZone(identifier: "Asia/Kolkata")!

    func testFormatKnownInstants() {
        XCTAssertEqual(LStart.format(epochSeconds: 1_780_920_000, timeZone: utc), "Mon Jun  8 12:00:00 2026")
        XCTAssertEqual(LStart.format(epochSeconds: 1_780_920_000.999, timeZone: utc), "Mon Jun  8 12:00:00 2026", "fraction truncated")
        XCTAssertEqual(LStart.format(epochSeconds: 1_780_920_000, timeZone: newYork), "Mon Jun  8 08:00:00 2026")
        XCTAssertEqual(LStart.format(epochSeconds: 1_780_920_000, timeZone: kolkata), "Mon Jun  8 17:30:00 2026")
        XCTAssertEqual(LStart.format(epochSeconds: 1_795_462_200, timeZone: utc), "Mon Nov 23 19:30:00 2026")
        XCTAssertEqual(LStart.format(epochSeconds: 0, timeZone: utc), "Thu Jan  1 00:00:00 1970")
        XCTAssertEqual(LStart.format(epochSeconds: 951_868_799, timeZone: utc), "Tue Feb 29 23:59:59 2000")
    }

    func testParse() {
        XCTAssertEqual(LStart.parse("Mon Jun  8 12:00:00 2026", timeZone: utc), 1_780_920_000)
        XCTAssertEqual(LStart.parse("  mon\tJUN 8   12:00:00   2026\n", timeZone: utc), 1_780_920_000, "whitespace and case tolerant")
        XCTAssertEqual(LStart.parse("Jun 08 12:00:00 2026", timeZone: utc), 1_780_920_000, "weekday optional")
        XCTAssertEqual(LStart.parse("Mon Jun  8 08:00:00 2026", timeZone: newYork), 1_780_920_000)
        XCTAssertEqual(LStart.parse("Mon Jun  8 17:30:00 2026", timeZone: kolkata), 1_780_920_000)
        for bad in ["", "Mon Jun 31 12:00:00 2026", "Mon Feb 29 12:00:00 2026", "Mon Foo  8 12:00:00 2026", "Mon Jun  8 24:00:00 2026",
                    "Mon Jun  8 12:60:00 2026", "Mon Jun  8 12:00 2026", "Xyz Jun  8 12:00:00 2026", "Mon Jun  8 12:00:00", "1780920000"] {
            XCTAssertNil(LStart.parse(bad, timeZone: utc), bad)
        }
    }

    func testFormatParseRoundTripAcrossZones() {
        var epoch = 1_767_225_600.0 // 2026-01-01
        while epoch < 1_798_761_600 {
            for zone in [utc, newYork, kolkata] {
                let text = LStart.format(epochSeconds: epoch, timeZone: zone)
                XCTAssertEqual(text.count, 24, text)
                let parsed = LStart.parse(text, timeZone: zone)
                let whole = epoch.rounded(.down)
                // The hour repeated when DST ends reads back as one of its two instants.
                XCTAssertTrue(parsed == whole || parsed == whole - 3600, "\(text) in \(zone.identifier): \(String(describing: parsed)) vs \(epoch)")
            }
            epoch += 86_400 * 3 + 3_599.5
        }
    }

    func testRepeatedDSTHourFormatsTheSame() {
        // 2026-11-01 01:30 happens twice in New York.
        XCTAssertEqual(LStart.format(epochSeconds: 1_793_511_000, timeZone: newYork), "Sun Nov  1 01:30:00 2026")
        XCTAssertEqual(LStart.format(epochSeconds: 1_793_514_600, timeZone: newYork), "Sun Nov  1 01:30:00 2026")
        let fields = LStart.fields("Sun Nov  1 01:30:00 2026")
        XCTAssertEqual(fields, LStart.Fields(year: 2026, month: 11, day: 1, hour: 1, minute: 30, second: 0))
        XCTAssertEqual(fields?.naiveSeconds, 1_793_496_600, "the same fields read as UTC")
    }

    func testMatchesARealProcess() throws {
        let sleeper = try Spawn.start(["sleep", "60"])
        defer { Spawn.killAndReap(sleeper) }
        let startTime = try ProcStat.read(pid: sleeper).startTime
        let lstart = try Spawn.lstart(of: sleeper)
        let fiveSeconds = 5 * BootClock.ticksPerSecond

        XCTAssertTrue(LStart.matches(lstart, startTime: startTime), "\(lstart) vs \(startTime)")
        XCTAssertFalse(LStart.matches(lstart, startTime: startTime + fiveSeconds))
        XCTAssertFalse(LStart.matches(lstart, startTime: startTime - fiveSeconds))
        XCTAssertFalse(LStart.matches("", startTime: startTime))
        XCTAssertEqual(LStart.format(epochSeconds: BootClock.epochSeconds(startTime: startTime)), lstart, "exactly ps's text")
        let parsed = try XCTUnwrap(LStart.parse(lstart))
        XCTAssertEqual(parsed, BootClock.epochSeconds(startTime: startTime), accuracy: 1)
    }

    func testMatchesARealProcessInAnotherZone() throws {
        let sleeper = try Spawn.start(["sleep", "60"])
        defer { Spawn.killAndReap(sleeper) }
        let startTime = try ProcStat.read(pid: sleeper).startTime
        let lstart = try Spawn.lstart(of: sleeper, timeZone: "America/New_York")
        XCTAssertEqual(LStart.format(epochSeconds: BootClock.epochSeconds(startTime: startTime), timeZone: newYork), lstart)
        XCTAssertTrue(LStart.matches(lstart, startTime: startTime, timeZone: newYork))
        XCTAssertFalse(LStart.matches(lstart, startTime: startTime, timeZone: utc), "read in the wrong zone it is hours off")
        XCTAssertFalse(LStart.matches(lstart, startTime: startTime + 5 * BootClock.ticksPerSecond, timeZone: newYork))
    }
}
