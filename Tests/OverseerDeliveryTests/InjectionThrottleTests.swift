import XCTest

import OverseerDelivery

final class InjectionThrottleTests: XCTestCase {
    /// Records each outcome and returns the delay (ms) after each.
    private func delays(_ outcomes: [InjectionThrottle.Outcome], from start: InjectionThrottle = InjectionThrottle()) -> [Int] {
        var throttle = start
        return outcomes.map { outcome in
            throttle.record(outcome)
            return throttle.delayMilliseconds
        }
    }

    func testStartsAt100Milliseconds() {
        let throttle = InjectionThrottle()
        XCTAssertEqual(throttle.delayMilliseconds, 100)
        XCTAssertEqual(throttle.delay, .milliseconds(100))
    }

    func testConsecutiveFailuresStepThroughTheScheduleAndStayAt5Seconds() {
        XCTAssertEqual(delays(Array(repeating: .failed, count: 8)), [100, 200, 500, 1000, 2000, 5000, 5000, 5000])
    }

    func testThreeVerifiedInARowHalveTheDelayDownToTheFloor() {
        var throttle = InjectionThrottle()
        for _ in 0..<6 { throttle.record(.failed) }
        XCTAssertEqual(throttle.delay, .seconds(5))
        let after = delays(Array(repeating: .verified, count: 21), from: throttle)
        XCTAssertEqual(after, [
            5000, 5000, 2500, 2500, 2500, 1250, 1250, 1250, 625, 625, 625, 312,
            312, 312, 156, 156, 156, 100, 100, 100, 100,
        ])
    }

    func testUnverifiedBreaksTheSuccessStreakButKeepsTheDelay() {
        var throttle = InjectionThrottle()
        for _ in 0..<4 { throttle.record(.failed) }
        XCTAssertEqual(throttle.delayMilliseconds, 1000)
        XCTAssertEqual(delays([.verified, .verified, .unverified, .verified, .verified, .verified], from: throttle),
                       [1000, 1000, 1000, 1000, 1000, 500])
    }

    func testUnverifiedDoesNotResetTheFailureStep() {
        XCTAssertEqual(delays([.failed, .failed, .unverified, .failed]), [100, 200, 200, 500])
    }

    func testASuccessResetsTheFailureStepWithoutShorteningTheDelay() {
        XCTAssertEqual(delays([.failed, .failed, .failed, .verified, .failed, .failed, .failed, .failed]),
                       [100, 200, 500, 500, 500, 500, 500, 1000])
    }

    func testAFailureBreaksTheSuccessStreak() {
        var throttle = InjectionThrottle()
        for _ in 0..<5 { throttle.record(.failed) }
        XCTAssertEqual(delays([.verified, .verified, .failed, .verified, .verified, .verified], from: throttle),
                       [2000, 2000, 2000, 2000, 2000, 1000])
    }
}
