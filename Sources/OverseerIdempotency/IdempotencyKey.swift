/// The rules for an `Idempotency-Key` value.
public enum IdempotencyKey {
    /// The longest key accepted, in bytes (every accepted byte is one ASCII character).
    public static let maximumLength = 255

    /// Accepts 1 to 255 printable ASCII characters (space through tilde, 0x20–0x7E);
    /// otherwise throws `invalidKey` naming the problem: the length is checked first, then
    /// the first offending byte is named.
    public static func validate(_ key: String) throws(IdempotencyError) {
        let bytes = key.utf8
        guard !bytes.isEmpty else {
            throw .invalidKey(key: key, reason: "must not be empty")
        }
        guard bytes.count <= maximumLength else {
            throw .invalidKey(key: key, reason: "\(bytes.count) bytes long; at most \(maximumLength) are allowed")
        }
        for (offset, byte) in bytes.enumerated() where !(0x20...0x7e).contains(byte) {
            let what = byte >= 0x80 ? "a non-ASCII character" : "a control character"
            throw .invalidKey(key: key, reason: "\(what) at byte \(offset); only printable ASCII (0x20-0x7E) is allowed")
        }
    }
}
