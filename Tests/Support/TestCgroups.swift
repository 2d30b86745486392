import OverseerCgroup
#if canImport(Glibc)
import Glibc
#endif

/// Throwaway cgroup v2 directories for tests: created under the hierarchy's root, emptied
/// with cgroup.kill and removed afterwards.
public enum TestCgroups {
    /// A fresh, empty cgroup, or the reason this machine cannot give one (not root, no
    /// cgroup v2 hierarchy, no cgroup.kill).
    public static func make(_ label: String) -> (cgroup: Cgroup?, reason: String) {
        guard geteuid() == 0 else { return (nil, "creating cgroups needs root") }
        guard let hierarchy = CgroupHierarchy.current() else { return (nil, "no cgroup v2 hierarchy is mounted") }
        let cgroup = Cgroup(path: "\(hierarchy.mountPoint)/overseer-test-\(getpid())-\(label)-\(TestProcesses.uniqueMarker().suffix(6))")
        do {
            try cgroup.create()
        } catch {
            return (nil, "cannot create a cgroup: \(error)")
        }
        guard cgroup.supportsKill else {
            destroy(cgroup)
            return (nil, "the kernel has no cgroup.kill")
        }
        return (cgroup, "")
    }

    /// Kills everything left in the cgroup's subtree, reaps what was ours, and removes it.
    public static func destroy(_ cgroup: Cgroup) {
        for child in (try? cgroup.children()) ?? [] { destroy(child) }
        try? cgroup.kill()
        _ = cgroup.waitUntilEmpty(timeoutSeconds: 5)
        TestProcesses.reapZombieChildren()
        try? cgroup.remove()
    }
}
