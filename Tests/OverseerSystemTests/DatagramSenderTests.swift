import Foundation
import OverseerSystem
import XCTest

/// The notification sender must never block on a receiver that has stopped reading.
final class DatagramSenderTests: XCTestCase {
    /// A bound datagram socket (a path, or an abstract name when `abstract`).
    private func receiver(_ address: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var sun = sockaddr_un()
        sun.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(address.utf8)
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }
        withUnsafeMutableBytes(of: &sun.sun_path) { raw in for (i, b) in bytes.enumerated() { raw[i] = b } }
        let length = bytes.first == 0 ? MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + bytes.count : MemoryLayout<sockaddr_un>.size
        let rc = withUnsafePointer(to: &sun) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(length)) } }
        if rc != 0 { throw NSError(domain: "bind", code: Int(errno)) }
        return fd
    }

    private func failure(_ result: Result<Void, DatagramSender.Failure>) -> DatagramSender.Failure? {
        if case .failure(let failure) = result { return failure }
        return nil
    }

    private func receiveAll(_ fd: Int32) -> [String] {
        var messages: [String] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if n <= 0 { return messages }
            messages.append(String(decoding: buffer[0..<n], as: UTF8.self))
        }
    }

    func testAFullReceiverQueueFailsInsteadOfBlocking() throws {
        let directory = NSTemporaryDirectory() + "dgram-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let fd = try receiver(directory + "/notify")
        defer { close(fd) }
        // Past net.unix.max_dgram_qlen unread messages a blocking send would wait forever.
        var sent = 0
        var busy = 0
        let start = ContinuousClock.now
        for index in 0..<200 {
            switch DatagramSender.send("WATCHDOG=\(index)", to: directory + "/notify", wait: .zero) {
            case .success: sent += 1
            case .failure(.receiverBusy): busy += 1
            case .failure(let failure): XCTFail("\(failure)")
            }
        }
        XCTAssertGreaterThan(busy, 0, "some sends must find the queue full (sent \(sent))")
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(5), "no send waited")
        // A bounded wait gives up after about its length when nobody reads.
        let waited = ContinuousClock.now
        XCTAssertEqual(failure(DatagramSender.send("READY=1", to: directory + "/notify", wait: .milliseconds(300))), .receiverBusy)
        XCTAssertGreaterThanOrEqual(ContinuousClock.now - waited, .milliseconds(300))
        // What was sent arrived, in order, and once the receiver reads there is room again.
        let received = receiveAll(fd)
        XCTAssertEqual(received, (0..<sent).map { "WATCHDOG=\($0)" })
        XCTAssertNil(failure(DatagramSender.send("READY=1", to: directory + "/notify", wait: .zero)))
        XCTAssertEqual(receiveAll(fd), ["READY=1"])
    }

    func testAbstractNamesAndBadAddresses() throws {
        let name = "@overseer-dgram-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = try receiver(name)
        defer { close(fd) }
        XCTAssertNil(failure(DatagramSender.send("STATUS=abstract", to: name, wait: .zero)))
        XCTAssertEqual(receiveAll(fd), ["STATUS=abstract"])
        XCTAssertEqual(failure(DatagramSender.send("x", to: "vsock:2:1234", wait: .zero)), .unsupportedAddress("vsock:2:1234"))
        XCTAssertEqual(failure(DatagramSender.send("x", to: "/" + String(repeating: "a", count: 200), wait: .zero)), .unsupportedAddress("/" + String(repeating: "a", count: 200)))
        guard case .failure(.system(_, let code)) = DatagramSender.send("x", to: "/nonexistent/notify", wait: .zero) else {
            return XCTFail("a missing socket is a system error")
        }
        XCTAssertEqual(code, ENOENT)
    }
}
