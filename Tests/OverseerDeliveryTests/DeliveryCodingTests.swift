import Foundation
import XCTest

import OverseerDelivery

final class DeliveryCodingTests: XCTestCase {
    func testDeliveryEncodesWithSnakeCaseKeysAndRoundTrips() throws {
        let delivery = Delivery(
            id: "d1", agent: "alpha", incarnation: "inc-3", text: "hi", submit: true, interrupt: false,
            awaitNextIncarnation: true, when: .idle, state: .verified, verification: .screen,
            evidence: DeliveryEvidence(kind: "input_cleared", summary: "gone from the input", lines: ["row 2: $"]), reason: "slow",
            attempts: 2, sequence: 42, createdAt: 1.5, updatedAt: 2.5, injectedAt: 2,
            history: [DeliveryHistoryEntry(event: "retried", at: 1.75, reason: "EIO")])
        let data = try JSONEncoder().encode(delivery)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(Set(object.keys), [
            "id", "agent", "incarnation", "text", "submit", "interrupt", "await_next_incarnation", "state",
            "verification", "reason", "attempts", "sequence", "created_at", "updated_at", "injected_at", "history",
            "when", "evidence",
        ])
        XCTAssertEqual(object["verification"] as? String, "screen")
        XCTAssertEqual(object["when"] as? String, "idle")
        XCTAssertEqual((object["evidence"] as? [String: Any])?["kind"] as? String, "input_cleared")
        XCTAssertEqual(object["state"] as? String, "verified")
        XCTAssertEqual(try JSONDecoder().decode(Delivery.self, from: data), delivery)
    }

    func testNewDeliveryDefaultsSubmitTrueAndFlagsFalse() throws {
        let json = Data(#"{"id":"d1","agent":"alpha","text":"hello"}"#.utf8)
        let request = try JSONDecoder().decode(NewDelivery.self, from: json)
        XCTAssertEqual(request, NewDelivery(id: "d1", agent: "alpha", text: "hello"))
        XCTAssertTrue(request.submit)
        XCTAssertFalse(request.interrupt)
        XCTAssertFalse(request.awaitNextIncarnation)
        let explicit = Data(#"{"id":"d1","agent":"a","text":"t","submit":false,"interrupt":true,"await_next_incarnation":true}"#.utf8)
        XCTAssertEqual(try JSONDecoder().decode(NewDelivery.self, from: explicit),
                       NewDelivery(id: "d1", agent: "a", text: "t", submit: false, interrupt: true, awaitNextIncarnation: true))
    }

    func testErrorMessagesNameWhatWasWrong() {
        XCTAssertEqual(DeliveryError.notFound(id: "x").description, "no delivery with id 'x'")
        XCTAssertEqual(DeliveryError.conflict(id: "x", fields: ["agent", "text"]).description,
                       "delivery 'x' already exists with a different agent, text")
        XCTAssertEqual(DeliveryError.corruptDatabase(path: "/var/lib/o.db", message: "file is not a database").description,
                       "delivery store /var/lib/o.db is not a readable SQLite database (file is not a database); left in place")
        XCTAssertEqual(DeliveryError.invalidRequest(field: "id", reason: "must not be empty").description,
                       "invalid delivery: id must not be empty")
    }
}
