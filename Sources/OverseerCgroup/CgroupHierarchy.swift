import COverseerSys
import OverseerSystem
import SystemPackage

/// The cgroup v2 hierarchy of this machine: where it is mounted and who is in which cgroup.
///
/// On a pure v2 system it is `/sys/fs/cgroup`; on hybrid systems (v1 controllers plus a
/// v2 tree) it is usually `/sys/fs/cgroup/unified`. Found through /proc/self/mountinfo.
public struct CgroupHierarchy: Sendable, Equatable {
    /// Where the cgroup2 file system is mounted.
    public let mountPoint: String

    public init(mountPoint: String) {
        self.mountPoint = mountPoint
    }

    /// The v2 hierarchy as this process sees it, or nil when none is mounted.
    public static func current() -> CgroupHierarchy? {
        guard let text = try? readText("/proc/self/mountinfo") else { return nil }
        var found: [String] = []
        for line in text.split(separator: "\n") {
            // ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS
            let halves = line.split(separator: " - ", maxSplits: 1)
            guard halves.count == 2, halves[1].split(separator: " ").first == "cgroup2" else { continue }
            let fields = halves[0].split(separator: " ")
            guard fields.count >= 5 else { continue }
            found.append(Self.unescapeMountPath(String(fields[4])))
        }
        if found.contains("/sys/fs/cgroup") { return CgroupHierarchy(mountPoint: "/sys/fs/cgroup") }
        if found.contains("/sys/fs/cgroup/unified") { return CgroupHierarchy(mountPoint: "/sys/fs/cgroup/unified") }
        return found.first.map { CgroupHierarchy(mountPoint: $0) }
    }

    /// The cgroup a process belongs to (its `0::` line of /proc/PID/cgroup); pid 0 means the caller.
    public func cgroup(of pid: Int32) -> Cgroup? {
        let file = pid == 0 ? "/proc/self/cgroup" : "/proc/\(pid)/cgroup"
        guard let text = try? readText(file) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("0::") {
            let relative = String(line.dropFirst(3))
            if relative.hasSuffix(" (deleted)") { return nil }
            return Cgroup(path: relative == "/" ? mountPoint : mountPoint + relative)
        }
        return nil
    }

    /// Whether `path` names a directory inside this hierarchy, without `..` tricks.
    public func contains(_ path: String) -> Bool {
        guard path.hasPrefix(mountPoint + "/") else { return false }
        return !path.split(separator: "/").contains { $0 == ".." || $0 == "." }
    }

    /// Whether systemd delegated this cgroup (it sets the `trusted.delegate` xattr, and
    /// newer versions also `user.delegate`, to "1" on the cgroups of `Delegate=yes` units).
    public static func isDelegated(_ cgroup: Cgroup) -> Bool {
        for name in ["trusted.delegate", "user.delegate"] {
            var value = [UInt8](repeating: 0, count: 8)
            let count = ov_get_xattr(cgroup.path, name, &value, value.count)
            if count == 1 && value[0] == UInt8(ascii: "1") { return true }
        }
        return false
    }
}

extension CgroupHierarchy {
    /// Undoes mountinfo's escaping of spaces, tabs, newlines and backslashes (octal `\NNN`).
    public static func unescapeMountPath(_ text: String) -> String {
        guard text.contains("\\") else { return text }
        var bytes: [UInt8] = []
        let utf8 = Array(text.utf8)
        var index = 0
        while index < utf8.count {
            if utf8[index] == UInt8(ascii: "\\"), index + 3 < utf8.count,
               let value = UInt8(String(decoding: utf8[(index + 1)...(index + 3)], as: UTF8.self), radix: 8) {
                bytes.append(value)
                index += 4
            } else {
                bytes.append(utf8[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

func readText(_ path: String) throws(CgroupError) -> String {
    do { return String(decoding: try FilePath(path).readContents(), as: UTF8.self) } catch { throw .system(error) }
}
