import OverseerSystem
import SystemPackage
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class OverseerSystemTests: XCTestCase {
    private var directory = ""

    override func setUp() {
        var template = Array("/tmp/overseer-system-XXXXXX".utf8CString)
        directory = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
    }

    override func tearDown() {
        _ = try? FilePath(directory).stat()
        for name in (try? DirectoryEntries.names(in: FilePath(directory))) ?? [] { unlink(directory + "/" + name) }
        rmdir(directory + "/sub/deeper")
        rmdir(directory + "/sub")
        rmdir(directory)
    }

    private func mode(_ path: String) -> mode_t {
        var st = stat()
        XCTAssertEqual(stat(path, &st), 0, path)
        return st.st_mode & 0o7777
    }

    func testAtomicReplaceWritesTheBytesWithTheModeAndLeavesNoTemporaryFile() throws {
        let path = directory + "/file.json"
        try AtomicFile.replace(FilePath(path), with: Array("first\n".utf8), permissions: [.ownerReadWrite])
        try AtomicFile.replace(FilePath(path), with: Array("second\n".utf8), permissions: FilePermissions(rawValue: 0o644))
        XCTAssertEqual(try FilePath(path).readContents(), Array("second\n".utf8))
        XCTAssertEqual(mode(path), 0o644)
        XCTAssertEqual(try DirectoryEntries.names(in: FilePath(directory)), ["file.json"])
    }

    func testAtomicReplaceFailureNamesTheFileAndTheStepAndKeepsTheOldFile() throws {
        let path = directory + "/kept"
        try AtomicFile.replace(FilePath(path), with: [1, 2, 3], permissions: [.ownerReadWrite])
        // A directory in the way of the rename: the rename fails, the temporary file goes.
        XCTAssertEqual(mkdir(directory + "/sub", 0o700), 0)
        XCTAssertThrowsError(try AtomicFile.replace(FilePath(directory + "/sub"), with: [9], permissions: [.ownerReadWrite])) { error in
            let failure = error as? SystemCallError
            XCTAssertEqual(failure?.operation, "rename temporary file over it")
            XCTAssertEqual(failure?.path, directory + "/sub")
            XCTAssertEqual(failure?.errno, .isDirectory)
            XCTAssertEqual(failure?.description, "\(directory)/sub: rename temporary file over it failed: Is a directory")
        }
        XCTAssertEqual(try DirectoryEntries.names(in: FilePath(directory)).sorted(), ["kept", "sub"])
        XCTAssertEqual(try FilePath(path).readContents(), [1, 2, 3])
    }

    func testReadContentsReadsProcFilesWhoseSizeIsZeroAndLargeRegularFiles() throws {
        let stat = try FilePath("/proc/self/stat").readContents()
        XCTAssertTrue(String(decoding: stat, as: UTF8.self).hasPrefix("\(getpid()) ("))
        let big = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        try AtomicFile.replace(FilePath(directory + "/big"), with: big, permissions: [.ownerReadWrite])
        XCTAssertEqual(try FilePath(directory + "/big").readContents(), big)
    }

    func testReadContentsOfAMissingFileCarriesENOENTAndThePath() {
        XCTAssertThrowsError(try FilePath(directory + "/missing").readContents()) { error in
            XCTAssertEqual(error as? SystemCallError, SystemCallError("open", path: directory + "/missing", errno: .noSuchFileOrDirectory))
            XCTAssertEqual("\(error)", "\(directory)/missing: open failed: No such file or directory")
        }
    }

    func testCreateDirectoriesSetsTheModeDespiteTheUmaskAndRefusesAFile() throws {
        let old = umask(0o077)
        defer { umask(old) }
        try FilePath(directory + "/sub/deeper").createDirectories(permissions: FilePermissions(rawValue: 0o750))
        XCTAssertEqual(mode(directory + "/sub"), 0o750)
        XCTAssertEqual(mode(directory + "/sub/deeper"), 0o750)
        try FilePath(directory + "/sub/deeper").createDirectories(permissions: FilePermissions(rawValue: 0o700))
        XCTAssertEqual(mode(directory + "/sub/deeper"), 0o750, "an existing directory is left as it is")
        try AtomicFile.replace(FilePath(directory + "/plain"), with: [], permissions: [.ownerReadWrite])
        XCTAssertThrowsError(try FilePath(directory + "/plain").createDirectories(permissions: [.ownerReadWriteExecute])) { error in
            XCTAssertEqual((error as? SystemCallError)?.errno, .notDirectory)
        }
    }

    func testRenameWithoutReplacingRefusesAnExistingTarget() throws {
        try AtomicFile.replace(FilePath(directory + "/a"), with: [1], permissions: [.ownerReadWrite])
        try AtomicFile.replace(FilePath(directory + "/b"), with: [2], permissions: [.ownerReadWrite])
        let dir = try FileDescriptor.openAt(FilePath(directory), .readOnly, options: .directory)
        defer { dir.closeQuietly() }
        XCTAssertThrowsError(try dir.renameWithoutReplacing("a", to: "b")) { XCTAssertEqual($0 as? Errno, .fileExists) }
        XCTAssertEqual(try FilePath(directory + "/b").readContents(), [2])
        try dir.renameWithoutReplacing("a", to: "c")
        XCTAssertEqual(try DirectoryEntries.names(in: FilePath(directory)).sorted(), ["b", "c"])
    }

    func testLockingExcludesAnotherOpenFileOfTheSameLock() throws {
        let path = FilePath(directory + "/lock")
        let first = try FileDescriptor.openAt(path, .readWrite, options: .create, permissions: [.ownerReadWrite])
        let second = try FileDescriptor.openAt(path, .readWrite)
        defer { first.closeQuietly(); second.closeQuietly() }
        try first.lockExclusively()
        XCTAssertFalse(try second.tryLockExclusively())
        first.unlock()
        XCTAssertTrue(try second.tryLockExclusively())
    }

    func testRetryingOnInterruptReturnsTheErrnoOfAFailedCall() {
        let result = Syscall.retryingOnInterrupt { close(-1) }
        XCTAssertEqual(result.failure, .badFileDescriptor)
        XCTAssertEqual(Syscall.shimResult(Int32(-ESRCH)).failure, .noSuchProcess)
        XCTAssertEqual(try? Syscall.shimResult(Int32(7)).get(), 7)
    }

    func testBlockingSleepWaitsAtLeastTheDuration() {
        let clock = ContinuousClock()
        let started = clock.now
        BlockingSleep.sleep(for: .milliseconds(30))
        XCTAssertGreaterThanOrEqual(started.duration(to: clock.now), .milliseconds(30))
        XCTAssertEqual(Duration.milliseconds(1500).inSeconds, 1.5, accuracy: 1e-9)
        XCTAssertLessThanOrEqual(ContinuousClock.Instant.after(seconds: -.infinity), clock.now)
        XCTAssertLessThanOrEqual(ContinuousClock.Instant.after(seconds: .nan), clock.now)
        XCTAssertGreaterThan(ContinuousClock.Instant.after(seconds: .infinity), clock.now + .seconds(1e8))
    }
}

private extension Result {
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
