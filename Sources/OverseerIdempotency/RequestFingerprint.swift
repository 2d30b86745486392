import Crypto
import Foundation

/// What a request asked for, as a SHA-256 hex digest over its method, path and body.
///
/// Two requests with the same idempotency key must have the same fingerprint; a different one
/// means the key was reused for another request (`IdempotencyError.keyReused`).
///
/// The digest covers a version tag and then each field preceded by its length (8 bytes,
/// big-endian), so no two different (method, path, body) triples can be framed into the same
/// bytes (`"POST" + "/a"` never collides with `"POS" + "T/a"`). Fields are taken as given:
/// the method is not case-folded and the path is whatever the caller passes (include the query
/// string if the endpoint reads it). The value is stable across processes, restarts and
/// machines, so it can be stored and compared later.
public struct RequestFingerprint: Hashable, Sendable, CustomStringConvertible {
    /// The digest as 64 lower-case hexadecimal characters.
    public let hex: String

    /// Identifies the framing: changes only if the fingerprint's definition ever changes.
    static let versionTag = Array("overseer-request-fingerprint-v1".utf8)

    /// The fingerprint of a request.
    public init(method: String, path: String, body: some Sequence<UInt8>) {
        var hasher = SHA256()
        hasher.update(data: Self.versionTag)
        Self.updateField(&hasher, Array(method.utf8))
        Self.updateField(&hasher, Array(path.utf8))
        Self.updateField(&hasher, Array(body))
        hex = Self.hex(hasher.finalize())
    }

    public var description: String { hex }

    private static func updateField(_ hasher: inout SHA256, _ bytes: [UInt8]) {
        let length = UInt64(bytes.count)
        hasher.update(data: (0..<8).reversed().map { UInt8(truncatingIfNeeded: length >> (UInt64($0) * 8)) })
        hasher.update(data: bytes)
    }

    /// Lower-case hexadecimal, two digits per byte.
    private static func hex(_ digest: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in digest {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
