import XCTest

@testable import OverseerIdempotency

final class IdempotencyKeyTests: XCTestCase {
    func testAcceptsPrintableASCIIFromOneTo255Characters() throws {
        try IdempotencyKey.validate("a")
        try IdempotencyKey.validate("req 7f3a-01 ~!@#$%^&*()_+{}|:\"<>?`-=[]\\;',./")
        try IdempotencyKey.validate(String(repeating: "k", count: 255))
    }

    func testRejectsEmptyTooLongControlAndNonASCIIKeysNamingTheProblem() {
        let cases: [(String, String)] = [
            ("", "must not be empty"),
            (String(repeating: "k", count: 256), "256 bytes long; at most 255 are allowed"),
            ("ab\ncd", "a control character at byte 2; only printable ASCII (0x20-0x7E) is allowed"),
            ("tab\t", "a control character at byte 3; only printable ASCII (0x20-0x7E) is allowed"),
            ("del\u{7f}", "a control character at byte 3; only printable ASCII (0x20-0x7E) is allowed"),
            ("clé", "a non-ASCII character at byte 2; only printable ASCII (0x20-0x7E) is allowed"),
        ]
        for (key, reason) in cases {
            do {
                try IdempotencyKey.validate(key)
                XCTFail("\(key.debugDescription) was accepted")
            } catch {
                XCTAssertEqual(error, .invalidKey(key: key, reason: reason))
            }
        }
    }

    /// Messages stay on one line and do not echo control characters or huge keys.
    func testErrorDescriptionsAreOneLineWithEscapedShortenedKeys() {
        let newline = IdempotencyError.invalidKey(key: "a\nb", reason: "a control character at byte 1")
        XCTAssertEqual(newline.description, "invalid idempotency key 'a\\u{a}b': a control character at byte 1")
        let long = IdempotencyError.keyReused(key: String(repeating: "x", count: 1_000))
        XCTAssertEqual(long.description, "idempotency key '\(String(repeating: "x", count: 80))…' was already used for a different request")
        let notSaved = IdempotencyError.responseNotSaved(key: "k", response: StoredResponse(status: 201), message: "disk\nfull")
        XCTAssertEqual(notSaved.description, "response 201 for idempotency key 'k' was not stored: disk full")
        XCTAssertEqual(IdempotencyError.keyInFlight(key: "k").description, "idempotency key 'k' belongs to a request that is still running")
    }
}
