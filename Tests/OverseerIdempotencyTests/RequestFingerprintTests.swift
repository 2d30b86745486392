import Foundation
import XCTest

@testable import OverseerIdempotency

final class RequestFingerprintTests: XCTestCase {
    private let body = Array(#"{"name":"alpha","command":["claude"]}"#.utf8)

    /// The exact value is pinned (computed with Python's hashlib): a fingerprint stored
    /// before an upgrade must still match after it.
    func testFingerprintIsStableAcrossCallsAndReleases() {
        let first = RequestFingerprint(method: "POST", path: "/v1/agents", body: body)
        XCTAssertEqual(first, RequestFingerprint(method: "POST", path: "/v1/agents", body: body))
        XCTAssertEqual(first, RequestFingerprint(method: "POST", path: "/v1/agents", body: Data(body)))
        XCTAssertEqual(first.hex.count, 64)
        XCTAssertTrue(first.hex.allSatisfy { "0123456789abcdef".contains($0) }, first.hex)
        XCTAssertEqual(first.description, first.hex)
        XCTAssertEqual(first.hex, Self.reference(method: "POST", path: "/v1/agents", body: body))
        XCTAssertEqual(
            RequestFingerprint(method: "GET", path: "/", body: []).hex,
            "76e9c44b431b6c5f1185f4b97dd9f8b6169503b3cd7efbb7f41faf8fb3eb72a7")
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

    /// The definition, written out independently: SHA-256 of the tag, then each field's
    /// 8-byte big-endian length and bytes.
    private static func reference(method: String, path: String, body: [UInt8]) -> String {
        var message = Array("overseer-request-fingerprint-v1".utf8)
        for field in [Array(method.utf8), Array(path.utf8), body] {
            var length = UInt64(field.count).bigEndian
            message += withUnsafeBytes(of: &length) { Array($0) }
            message += field
        }
        return SHA256.hex(SHA256.hash(message))
    }
}
