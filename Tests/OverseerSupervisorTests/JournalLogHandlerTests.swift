import Foundation
import Logging
import OverseerSupervisor
import XCTest

final class JournalLogHandlerTests: XCTestCase {
    func testPriorityPrefixesFollowSyslogLevels() {
        XCTAssertEqual(JournalLogHandler.priority(.critical), 2)
        XCTAssertEqual(JournalLogHandler.priority(.error), 3)
        XCTAssertEqual(JournalLogHandler.priority(.warning), 4)
        XCTAssertEqual(JournalLogHandler.priority(.notice), 5)
        XCTAssertEqual(JournalLogHandler.priority(.info), 6)
        XCTAssertEqual(JournalLogHandler.priority(.debug), 7)
    }

    /// JOURNAL_STREAM only counts when it names the stderr we actually have.
    func testJournalDetectionComparesDeviceAndInode() throws {
        var st = stat()
        XCTAssertEqual(fstat(2, &st), 0)
        XCTAssertTrue(JournalLogHandler.stderrIsJournal(environment: ["JOURNAL_STREAM": "\(st.st_dev):\(st.st_ino)"]))
        XCTAssertFalse(JournalLogHandler.stderrIsJournal(environment: ["JOURNAL_STREAM": "\(st.st_dev):\(st.st_ino + 1)"]))
        XCTAssertFalse(JournalLogHandler.stderrIsJournal(environment: ["JOURNAL_STREAM": "garbage"]))
        XCTAssertFalse(JournalLogHandler.stderrIsJournal(environment: [:]))
    }

    func testExitStatusDescriptions() {
        XCTAssertEqual(ExitStatus(code: 3).description, "exited with code 3")
        XCTAssertTrue(ExitStatus(signal: 9).description.hasPrefix("killed by signal 9"))
    }
}
