import OverseerSystem
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// One cgroup v2 directory, named by its absolute path (e.g.
/// `/sys/fs/cgroup/system.slice/overseer.service/agents/ID`). Plain file operations on the
/// cgroup's interface files; nothing is cached.
public struct Cgroup: Sendable, Hashable, CustomStringConvertible {
    public let path: String

    public init(path: String) {
        var trimmed = path
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        self.path = trimmed
    }

    public var description: String { path }

    public func child(_ name: String) -> Cgroup { Cgroup(path: path + "/" + name) }

    public var name: String { path.split(separator: "/").last.map(String.init) ?? path }

    public var exists: Bool {
        (try? FilePath(path).stat())?.type == .directory
    }

    /// Creates the directory (its parent must exist); an existing one is fine.
    public func create() throws(CgroupError) {
        switch Syscall.retryingOnInterrupt({ mkdir(path, 0o755) }) {
        case .success: return
        case .failure(let errno) where errno == .fileExists: return
        case .failure(let errno): throw .system("mkdir", path: path, errno)
        }
    }

    /// Pids directly in this cgroup (not in its children).
    public func processes() throws(CgroupError) -> [Int32] {
        try read("cgroup.procs").split(whereSeparator: \.isNewline).compactMap { Int32($0) }
    }

    /// Pids in this cgroup and every cgroup below it.
    public func allProcesses() throws(CgroupError) -> [Int32] {
        var result = try processes()
        for child in try children() {
            do { result += try child.allProcesses() } catch .missing { continue }
        }
        return result
    }

    /// The cgroups directly below this one.
    public func children() throws(CgroupError) -> [Cgroup] {
        do {
            return try DirectoryEntries.names(in: FilePath(path), kind: .directory).map(child)
        } catch {
            if error.errno == .noSuchFileOrDirectory { throw .missing(path: path) }
            throw .system(error)
        }
    }

    /// Whether any process lives in this cgroup or below (`populated` of `cgroup.events`).
    public func isPopulated() throws(CgroupError) -> Bool {
        for line in try read("cgroup.events").split(whereSeparator: \.isNewline) where line.hasPrefix("populated ") {
            return line.hasSuffix(" 1")
        }
        return try !allProcesses().isEmpty
    }

    /// Whether the kernel offers `cgroup.kill` here (5.14 and later; not on the root cgroup).
    public var supportsKill: Bool { access(path + "/cgroup.kill", W_OK) == 0 }

    /// SIGKILLs every process in this cgroup and below, atomically against forks.
    public func kill() throws(CgroupError) {
        guard supportsKill else { throw .killUnsupported(path: path) }
        try write("cgroup.kill", "1")
    }

    /// Moves a whole process (all its threads) into this cgroup; pid 0 means the caller.
    public func attach(pid: Int32) throws(CgroupError) {
        try write("cgroup.procs", String(pid))
    }

    /// Polls `cgroup.events` until nothing is left in the subtree; true when empty in time.
    public func waitUntilEmpty(timeoutSeconds: Double) -> Bool {
        let deadline = ContinuousClock.Instant.after(seconds: timeoutSeconds)
        var pause = Duration.milliseconds(1)
        while true {
            guard let populated = try? isPopulated() else { return !exists }
            if !populated { return true }
            if ContinuousClock.now >= deadline { return false }
            BlockingSleep.sleep(for: pause)
            pause = min(pause * 2, .milliseconds(50))
        }
    }

    /// Removes this cgroup and the (empty) cgroups below it, deepest first. A missing
    /// directory counts as removed.
    public func remove() throws(CgroupError) {
        let below: [Cgroup]
        do { below = try children() } catch .missing { return }
        for child in below { try child.remove() }
        switch Syscall.retryingOnInterrupt({ rmdir(path) }) {
        case .success: return
        case .failure(let errno) where errno == .noSuchFileOrDirectory: return
        case .failure(let errno): throw .system("rmdir", path: path, errno)
        }
    }

    /// Opens the directory (O_PATH is not enough for CLONE_INTO_CGROUP); the caller closes it.
    public func openDirectory() throws(CgroupError) -> Int32 {
        do {
            return try FileDescriptor.openAt(FilePath(path), .readOnly, options: .directory).rawValue
        } catch {
            if error == .noSuchFileOrDirectory { throw .missing(path: path) }
            throw .system("open", path: path, error)
        }
    }

    func read(_ file: String) throws(CgroupError) -> String {
        do {
            return String(decoding: try FilePath(path + "/" + file).readContents(), as: UTF8.self)
        } catch {
            // ENODEV: the cgroup was removed while its file was open.
            if error.errno == .noSuchFileOrDirectory || error.errno == .operationNotSupportedByDevice { throw .missing(path: path) }
            throw .system(error)
        }
    }

    func write(_ file: String, _ text: String) throws(CgroupError) {
        let full = path + "/" + file
        let fd: FileDescriptor
        do { fd = try .openAt(FilePath(full), .writeOnly) } catch {
            if error == .noSuchFileOrDirectory { throw exists ? .system("open", path: full, error) : .missing(path: path) }
            throw .system("open", path: full, error)
        }
        defer { fd.closeQuietly() }
        do { try fd.write(contentsOf: Array(text.utf8)) } catch { throw .system("write", path: full, error) }
    }
}
