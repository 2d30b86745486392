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
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// Creates the directory (its parent must exist); an existing one is fine.
    public func create() throws(CgroupError) {
        if mkdir(path, 0o755) != 0 && errno != EEXIST { throw .system(operation: "mkdir", path: path, errno: errno) }
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
        guard let dir = opendir(path) else {
            if errno == ENOENT { throw .missing(path: path) }
            throw .system(operation: "opendir", path: path, errno: errno)
        }
        defer { closedir(dir) }
        var result: [Cgroup] = []
        while let entry = readdir(dir) {
            guard entry.pointee.d_type == UInt8(DT_DIR) else { continue }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { result.append(child(name)) }
        }
        return result
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
        let deadline = monotonicSeconds() + timeoutSeconds
        var pause: UInt32 = 1_000
        while true {
            guard let populated = try? isPopulated() else { return !exists }
            if !populated { return true }
            if monotonicSeconds() >= deadline { return false }
            usleep(pause)
            pause = min(pause * 2, 50_000)
        }
    }

    /// Removes this cgroup and the (empty) cgroups below it, deepest first. A missing
    /// directory counts as removed.
    public func remove() throws(CgroupError) {
        let below: [Cgroup]
        do { below = try children() } catch .missing { return }
        for child in below { try child.remove() }
        if rmdir(path) != 0 && errno != ENOENT { throw .system(operation: "rmdir", path: path, errno: errno) }
    }

    /// Opens the directory (O_PATH is not enough for CLONE_INTO_CGROUP); the caller closes it.
    public func openDirectory() throws(CgroupError) -> Int32 {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { throw .missing(path: path) }
            throw .system(operation: "open", path: path, errno: errno)
        }
        return fd
    }

    func read(_ file: String) throws(CgroupError) -> String {
        let full = path + "/" + file
        let fd = open(full, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { throw .missing(path: path) }
            throw .system(operation: "open", path: full, errno: errno)
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                if errno == ENODEV { throw .missing(path: path) } // the cgroup was removed under us
                throw .system(operation: "read", path: full, errno: errno)
            }
            if count == 0 { break }
            bytes.append(contentsOf: buffer[0..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    func write(_ file: String, _ text: String) throws(CgroupError) {
        let full = path + "/" + file
        let fd = open(full, O_WRONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { throw exists ? .system(operation: "open", path: full, errno: ENOENT) : .missing(path: path) }
            throw .system(operation: "open", path: full, errno: errno)
        }
        defer { close(fd) }
        let written = text.withCString { Glibc.write(fd, $0, strlen($0)) }
        if written < 0 { throw .system(operation: "write", path: full, errno: errno) }
    }
}

func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
