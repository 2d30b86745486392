import Foundation
import OverseerReaper
import OverseerTestSupport
import XCTest

/// `overseer reap --state-dir`, a missing registry, and a `--dry-run` that changes nothing on disk.
final class ReapStateDirTests: ReaperTestCase {
    /// Runs `overseer reap` with exactly `arguments` (no --registry), state_dir from the
    /// environment pointing elsewhere, so only the flags decide where it looks.
    func reapCommand(_ arguments: [String]) throws -> (CommandResult, ReapReport?) {
        if !FileManager.default.fileExists(atPath: directory + "/none.toml") {
            _ = FileManager.default.createFile(atPath: directory + "/none.toml", contents: Data())
        }
        let argv = [SupervisorProcess.binaryPath, "reap", "--kill-grace", "1", "--config", directory + "/none.toml"] + arguments
        let result = try CommandRunner.run(argv, environment: ["OVERSEER_STATE_DIR": directory + "/elsewhere"], directory: directory)
        return (result, try? JSONDecoder().decode(ReapReport.self, from: Data(result.stdout.utf8)))
    }

    func testDryRunOnACorruptRegistryLeavesTheDirectoryByteForByteUnchanged() throws {
        let state = directory + "/state"
        XCTAssertEqual(mkdir(state, 0o700), 0)
        let garbage = #"{"version": 1, "agents": [ {"id": "x", "#
        try garbage.write(toFile: state + "/registry.json", atomically: false, encoding: .utf8)
        chmod(state + "/registry.json", 0o600)
        let before = try DirectorySnapshot(state)

        for json in [true, false] {
            let (result, _) = try reapCommand(["--dry-run", "--state-dir", state] + (json ? ["--json"] : []))
            XCTAssertEqual(result.status, 4, result.stdout + result.stderr)
            XCTAssertTrue(result.stderr.contains("corrupt") && result.stderr.contains("left in place"), result.stderr)
            XCTAssertTrue(result.stderr.contains(state + "/registry.json"), result.stderr)
        }

        XCTAssertEqual(try DirectorySnapshot(state), before, "nothing created, moved, renamed or chmodded")
        XCTAssertEqual(try String(contentsOfFile: state + "/registry.json", encoding: .utf8), garbage)
        // The same pass without --dry-run does move it aside: the check above can fail.
        let (real, _) = try reapCommand(["--state-dir", state])
        XCTAssertEqual(real.status, 4, real.stderr)
        XCTAssertNotEqual(try DirectorySnapshot(state), before)
    }

    func testDryRunReadsWithoutTheLockAndSaysSo() throws {
        let state = directory + "/state"
        XCTAssertEqual(mkdir(state, 0o700), 0)
        let tree = try strandedTree("sleep 600", minimum: 1)
        try writeRegistry([entry(id: tree.marker, name: "t", roots: [tree.root])], path: state + "/registry.json")
        let before = try DirectorySnapshot(state)
        let (human, _) = try reapCommand(["--dry-run", "--state-dir", state])
        XCTAssertEqual(human.status, 0, human.stderr)
        XCTAssertTrue(human.stdout.contains("would reap t: pids "), human.stdout)
        XCTAssertTrue(human.stdout.contains("read without its lock"), human.stdout)
        let (json, report) = try reapCommand(["--dry-run", "--json", "--state-dir", state])
        XCTAssertEqual(json.status, 0, json.stderr)
        XCTAssertEqual(report?.locked, false, json.stdout)
        XCTAssertEqual(report?.registry, state + "/registry.json")
        XCTAssertTrue(report?.plan["t"]?.contains(tree.root.pid) ?? false, json.stdout)
        XCTAssertEqual(try DirectorySnapshot(state), before, "no lock file, no metrics directory")

        // Both locks held by someone else (the supervisor, another reaper): a real pass would
        // wait out its 120 s lock timeout; a dry run does not take them at all.
        let held = try ["registry.json.lock", "registry.json.reap.lock"].map { name in
            let fd = open(state + "/" + name, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
            guard fd >= 0, flock(fd, LOCK_EX | LOCK_NB) == 0 else { throw TestFailure("cannot lock \(name): errno \(errno)") }
            return fd
        }
        defer { for fd in held { close(fd) } }
        let started = Date()
        let locked = try CommandRunner.run([SupervisorProcess.binaryPath, "reap", "--dry-run", "--state-dir", state, "--config", directory + "/none.toml"], directory: directory, timeout: 60)
        XCTAssertEqual(locked.status, 0, locked.stderr)
        XCTAssertLessThan(Date().timeIntervalSince(started), 30, "did not wait for the held locks")
        XCTAssertTrue(TestProcesses.isAlive(tree.root.pid))
    }

    func testMissingStateDirectoryWarnsExitsFiveAndCreatesNothing() throws {
        let parent = directory + "/parent"
        XCTAssertEqual(mkdir(parent, 0o700), 0)
        let absent = parent + "/absent"
        let before = try DirectorySnapshot(parent)
        for extra in [["--dry-run"], ["--dry-run", "--json"]] {
            let (result, report) = try reapCommand(["--state-dir", absent] + extra)
            XCTAssertEqual(result.status, 5, result.stdout + result.stderr)
            XCTAssertTrue(result.stderr.contains("warning: no registry at \(absent)/registry.json"), result.stderr)
            XCTAssertTrue(result.stderr.contains("--state-dir"), result.stderr)
            if extra.contains("--json") { XCTAssertEqual(report?.format, "none", result.stdout) }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: absent))
        XCTAssertEqual(try DirectorySnapshot(parent), before)
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory + "/elsewhere"), "nor the state_dir of the environment")
    }

    func testEmptyStateDirectoryWithoutDryRunIsAlsoNoRegistry() throws {
        let state = directory + "/empty"
        XCTAssertEqual(mkdir(state, 0o700), 0)
        let (result, _) = try reapCommand(["--state-dir", state])
        XCTAssertEqual(result.status, 5, result.stdout + result.stderr)
        XCTAssertTrue(result.stderr.contains("no registry at \(state)/registry.json"), result.stderr)
    }

    func testStateDirFindsTheRegistryAndReapsFromIt() throws {
        let state = directory + "/state"
        XCTAssertEqual(mkdir(state, 0o700), 0)
        let tree = try strandedTree()
        try writeRegistry([entry(id: tree.marker, name: "t", roots: [tree.root])], path: state + "/registry.json")
        let (result, report) = try reapCommand(["--json", "--state-dir", state])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(report?.registry, state + "/registry.json")
        XCTAssertEqual(report?.consumed, ["t"])
        XCTAssertEqual(TestProcesses.pidsCarrying("OVERSEER_AGENT_ID", tree.marker), [])
        XCTAssertEqual(try registryAgents(state + "/registry.json").count, 0)
        XCTAssertTrue(FileManager.default.fileExists(atPath: state + "/metrics/overseer-reap.prom"), "metrics follow --state-dir")
    }

    func testRelativePathsAreUsageErrors() throws {
        for flag in ["--registry", "--state-dir"] {
            let (result, _) = try reapCommand([flag, "relative/dir"])
            XCTAssertEqual(result.status, 64, "\(flag): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(flag), result.stderr)
        }
        let (grace, _) = try reapCommand(["--kill-grace", "soon"])
        XCTAssertEqual(grace.status, 64, grace.stderr)
    }
}

/// Every entry under a directory (itself included): type, mode, owner, size, mtime and the
/// bytes of each regular file or the target of each link, keyed by relative path.
struct DirectorySnapshot: Equatable, CustomStringConvertible {
    var entries: [String: String] = [:]

    init(_ root: String) throws {
        try add(root, relative: ".")
    }

    private mutating func add(_ path: String, relative: String) throws {
        var st = stat()
        guard lstat(path, &st) == 0 else { throw TestFailure("lstat \(path): errno \(errno)") }
        var line = "mode=\(String(st.st_mode, radix: 8)) uid=\(st.st_uid) size=\(st.st_size) mtime=\(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec)"
        switch st.st_mode & S_IFMT {
        case S_IFREG:
            line += " bytes=" + (FileManager.default.contents(atPath: path)?.base64EncodedString() ?? "?")
        case S_IFLNK:
            line += " -> " + ((try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? "?")
        case S_IFDIR:
            for name in try FileManager.default.contentsOfDirectory(atPath: path).sorted() {
                try add(path + "/" + name, relative: relative + "/" + name)
            }
        default:
            break
        }
        entries[relative] = line
    }

    var description: String { entries.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: "\n") }
}
