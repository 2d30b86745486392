import OverseerSystem

/// Why the registry could not be read, written or locked. Each message is one line naming
/// the file and the problem.
public enum RegistryError: Error, CustomStringConvertible, Equatable, Sendable {
    /// Refused before parsing: the file (or its directory) could have been written by someone
    /// other than this user or root, or it is not a plain file.
    case untrusted(path: String, reason: String)
    /// Not a registry of the expected shape; the file was renamed to `movedTo` (never deleted).
    case corrupt(path: String, movedTo: String, reason: String)
    /// Not a registry of the expected shape, found by a read-only load (a dry run): left in place.
    case corruptLeftInPlace(path: String, reason: String)
    /// Written by a newer Overseer; left in place.
    case unsupportedVersion(path: String, version: Int)
    /// A registry of the other format than the one asked for (`found`); left in place.
    case wrongFormat(path: String, found: RegistryFormat)
    /// A system call failed; the error names the registry file, the step and the errno.
    case io(SystemCallError)
    /// The lock stayed held by someone else for the whole timeout.
    case lockTimeout(path: String)

    public var description: String {
        switch self {
        case .untrusted(let path, let reason):
            "refusing registry \(path): \(Self.oneLine(reason))"
        case .corrupt(let path, let movedTo, let reason):
            "registry \(path) is corrupt (\(Self.oneLine(reason))); moved aside to \(movedTo)"
        case .corruptLeftInPlace(let path, let reason):
            "registry \(path) is corrupt (\(Self.oneLine(reason))); left in place (read-only load)"
        case .unsupportedVersion(let path, let version):
            "registry \(path) has version \(version), this build reads versions \(RegistryDocument.oldestReadableVersion) to \(RegistryDocument.currentVersion); left in place"
        case .wrongFormat(let path, let found):
            "registry \(path) is \(found == .factory ? "a factory-sdk registry, not an Overseer one" : found == .overseer ? "an Overseer registry, not a factory-sdk one" : "of an unknown format"); left in place"
        case .io(let failure):
            "registry \(failure)"
        case .lockTimeout(let path):
            "registry lock \(path): still held by another process when the timeout expired"
        }
    }

    static func oneLine(_ text: String) -> String {
        String(text.map { $0.isNewline ? " " : $0 })
    }
}
