import Foundation
import Logging
import NIOPosix
@testable import OverseerSupervisor
import OverseerTestSupport
import OverseerWire
import XCTest

/// Every spawn of a name is a new incarnation; notices about an earlier one are dropped and
/// counted, never applied to the current one. The supervisor runs in-process without its
/// process-wide child-exit watcher (other tests in this process reap their own children), so
/// the test delivers the late exit notice itself.
final class IncarnationTests: XCTestCase {
    func testALateExitNoticeOfAnEarlierIncarnationLeavesTheNewOneRunning() async throws {
        TestProcesses.becomeSubreaper()
        let directory = TestProcesses.temporaryDirectory("incarnation")
        defer { TestProcesses.removeDirectory(directory) }
        let supervisor = try Supervisor(settings: SupervisorSettings(stateDirectory: directory, transcriptMaxBytes: 0, killGraceSeconds: 1), group: MultiThreadedEventLoopGroup.singleton, logger: Logger(label: "incarnation-test"))
        let first = try await supervisor.spawn(SpawnRequest(name: "worker", argv: ["sleep", "600"], cwd: "/tmp"))
        _ = try await supervisor.release("worker")
        let second = try await supervisor.spawn(SpawnRequest(name: "worker", argv: ["sleep", "600"], cwd: "/tmp"))
        defer {
            TestProcesses.killAll([first.pid, second.pid])
            TestProcesses.reapZombieChildren()
        }
        XCTAssertNotEqual(first.incarnation, second.incarnation)
        XCTAssertNotEqual(first.pid, second.pid)

        let handled = supervisor.roots.childExited(pid: first.pid, status: ExitStatus(signal: SIGTERM))

        XCTAssertFalse(handled, "the notice belongs to no current agent")
        let current = try await supervisor.agent(named: "worker")
        XCTAssertEqual(current.state, .running)
        XCTAssertEqual(current.incarnation, second.incarnation)
        XCTAssertNil(current.exit)
        XCTAssertTrue(supervisor.metrics.render().contains(#"overseer_stale_incarnation_notices_total{kind="exit"} 1"#), supervisor.metrics.render())
        _ = try await supervisor.release("worker")
    }
}
