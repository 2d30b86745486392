import Foundation
import GRDB

extension IdempotencyStore {
    /// A completed request as stored under its idempotency key.
    public struct Entry: Sendable, Equatable {
        /// The idempotency key.
        public var key: String
        /// The fingerprint of the request that produced the response (`RequestFingerprint.hex`).
        public var fingerprint: String
        /// The response to replay.
        public var response: StoredResponse
        /// When the request started, epoch seconds.
        public var createdAt: Double
        /// When the response was stored, epoch seconds. Expiry counts from here.
        public var completedAt: Double

        /// An entry with the given fields.
        public init(key: String, fingerprint: String, response: StoredResponse, createdAt: Double, completedAt: Double) {
            self.key = key
            self.fingerprint = fingerprint
            self.response = response
            self.createdAt = createdAt
            self.completedAt = completedAt
        }

        /// The columns `init(row:)` reads, in a form to put after `SELECT`.
        static let columns = "key, fingerprint, status, content_type, body, created_at, completed_at"

        init(row: Row) {
            let body: Data = row["body"]
            self.init(
                key: row["key"], fingerprint: row["fingerprint"],
                response: StoredResponse(status: row["status"], contentType: row["content_type"], body: [UInt8](body)),
                createdAt: row["created_at"], completedAt: row["completed_at"])
        }
    }
}
