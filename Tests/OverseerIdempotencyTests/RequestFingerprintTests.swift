import Foundation
import XCTest

@testable import OverseerIdempotency

final class RequestFingerprintTests: XCTestCase {
    private let body = Array(#"{"name":"alpha","command":["claude"]}"#.utf8)

    /// The exact values are pinned (computed with Python's hashlib from the definition: SHA-256
    /// of the tag, then each field's 8-byte big-endian length and bytes): a fingerprint stored
    /// before an upgrade, or before the SHA-256 implementation changed, must still match after it.
    func testFingerprintIsStableAcrossCallsAndReleases() {
        let first = RequestFingerprint(method: "POST", path: "/v1/agents", body: body)
        XCTAssertEqual(first, RequestFingerprint(method: "POST", path: "/v1/agents", body: body))
        XCTAssertEqual(first, RequestFingerprint(method: "POST", path: "/v1/agents", body: Data(body)))
        XCTAssertEqual(first.description, first.hex)
        XCTAssertEqual(first.hex, "8e2e1d5ff6b8dace17fa156dc55f54ed14f1dad350137a53d0be0bf6a30ef891")
        XCTAssertEqual(
            RequestFingerprint(method: "GET", path: "/", body: []).hex,
            "76e9c44b431b6c5f1185f4b97dd9f8b6169503b3cd7efbb7f41faf8fb3eb72a7")
        // Non-ASCII text and every byte value, over several SHA-256 blocks.
        XCTAssertEqual(
            RequestFingerprint(method: "POST", path: "/v1/agents/alpha/messages", body: Array(String(repeating: "é", count: 40).utf8) + (0...255).map { UInt8($0) }).hex,
            "4ab88509761c8f49146192a37190df9a74d34bb74fae02570f2b1b040c49ed4f")
    }

    func testEachFieldChangesTheFingerprint() {
        let base = RequestFingerprint(method: "POST", path: "/v1/agents", body: body)
        XCTAssertNotEqual(base, RequestFingerprint(method: "PUT", path: "/v1/agents", body: body))
        XCTAssertNotEqual(base, RequestFingerprint(method: "post", path: "/v1/agents", body: body))
        XCTAssertNotEqual(base, RequestFingerprint(method: "POST", path: "/v1/agents/alpha", body: body))
        XCTAssertNotEqual(base, RequestFingerprint(method: "POST", path: "/v1/agents", body: body + [0x20]))
        var flipped = body
        flipped[3] ^= 0x01
        XCTAssertNotEqual(base, RequestFingerprint(method: "POST", path: "/v1/agents", body: flipped))
        XCTAssertNotEqual(base, RequestFingerprint(method: "POST", path: "/v1/agents", body: []))
    }

    /// Moving bytes from one field to the next never gives the same fingerprint.
    func testFieldBoundariesAreFramed() {
        XCTAssertNotEqual(
            RequestFingerprint(method: "POST", path: "/a", body: []),
            RequestFingerprint(method: "POS", path: "T/a", body: []))
        XCTAssertNotEqual(
            RequestFingerprint(method: "POST", path: "/a", body: Array("b".utf8)),
            RequestFingerprint(method: "POST", path: "/ab", body: []))
    }
}
