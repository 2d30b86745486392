import Foundation
@testable import OverseerRegistry
import OverseerTestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Trust checks (refusals before parsing) and the handling of corrupt and newer files.
final class RegistryTrustTests: XCTestCase {
    var temp: TempDirectory!
    var store: RegistryStore!

    override func setUpWithError() throws {
        temp = try TempDirectory()
        store = RegistryStore(path: temp.file("registry.json"))
        try store.save(.sample())
    }

    override func tearDown() {
        temp.remove()
    }

    func untrustedReason(_ body: () throws -> Any?, file: StaticString = #filePath, line: UInt = #line) -> String {
        guard case .untrusted(let path, let reason) = thrownError(RegistryError.self, file: file, line: line, body) else {
            XCTFail("expected .untrusted", file: file, line: line)
            return ""
        }
        XCTAssertEqual(path, store.path, file: file, line: line)
        return reason
    }

    func testGroupOrOtherWritableFileIsUntrusted() throws {
        XCTAssertEqual(chmod(store.path, 0o640), 0)
        XCTAssertNotNil(try store.load(), "group-readable is fine")
        for mode: mode_t in [0o620, 0o602, 0o666] {
            XCTAssertEqual(chmod(store.path, mode), 0)
            XCTAssertTrue(untrustedReason { try store.load() }.contains("writable by group or others"))
            XCTAssertTrue(untrustedReason { try store.loadRaw() }.contains("writable by group or others"))
        }
        XCTAssertTrue(Files.exists(store.path), "a refused file is left in place")
        let message = thrownError(RegistryError.self) { try store.load() }.map { "\($0)" } ?? ""
        XCTAssertTrue(message.hasPrefix("refusing registry \(store.path): "), message)
        XCTAssertFalse(message.contains("\n"))
    }

    func testFileOwnedByAnotherUserIsUntrusted() throws {
        XCTAssertEqual(chown(store.path, 65534, 65534), 0)
        XCTAssertTrue(untrustedReason { try store.load() }.contains("owned by uid 65534"))
        XCTAssertEqual(chown(store.path, 0, 65534), 0)
        XCTAssertNotNil(try store.load(), "root-owned (any group) is trusted")
    }

    func testSymlinkIsUntrustedEvenToAValidRegistry() throws {
        let real = temp.file("real.json")
        XCTAssertEqual(rename(store.path, real), 0)
        XCTAssertNotNil(try RegistryStore(path: real).load())
        XCTAssertEqual(symlink(real, store.path), 0)
        XCTAssertTrue(untrustedReason { try store.load() }.contains("symbolic link"))
        XCTAssertTrue(untrustedReason { try store.loadRaw() }.contains("symbolic link"))
    }

    func testNonRegularFilesAreUntrusted() throws {
        XCTAssertEqual(unlink(store.path), 0)
        XCTAssertEqual(mkfifo(store.path, 0o600), 0)
        XCTAssertTrue(untrustedReason { try store.load() }.contains("not a regular file"), "a FIFO is refused without blocking")
        XCTAssertEqual(unlink(store.path), 0)
        XCTAssertEqual(mkdir(store.path, 0o700), 0)
        XCTAssertTrue(untrustedReason { try store.load() }.contains("not a regular file"))
    }

    func testWritableDirectoryWithoutStickyBitIsUntrusted() throws {
        for mode: mode_t in [0o770, 0o707] {
            XCTAssertEqual(chmod(temp.path, mode), 0)
            XCTAssertTrue(untrustedReason { try store.load() }.contains("its directory \(temp.path) is writable"))
        }
        XCTAssertEqual(chmod(temp.path, 0o1777), 0)
        XCTAssertNotNil(try store.load(), "a sticky shared directory (like /tmp) is fine")
        XCTAssertEqual(chmod(temp.path, 0o755), 0)
        XCTAssertNotNil(try store.load())
    }

    func testDirectoryOwnedByAnotherUserIsUntrusted() throws {
        XCTAssertEqual(chown(temp.path, 65534, 0), 0)
        XCTAssertTrue(untrustedReason { try store.load() }.contains("owned by uid 65534"))
    }

    func testCorruptFileIsMovedAsideByteIdentical() throws {
        let garbage: [UInt8] = Array("{\"version\": 1, \"agents\": [ {\"id\": ".utf8) + [0xff, 0xfe, 0x00]
        try Files.write(store.path, garbage)
        let before = time(nil)
        guard case .corrupt(let path, let movedTo, let reason) = thrownError(RegistryError.self, { try store.load() }) else { return XCTFail("expected .corrupt") }
        XCTAssertEqual(path, store.path)
        XCTAssertFalse(reason.isEmpty)
        XCTAssertFalse(Files.exists(store.path), "original path gone")
        XCTAssertEqual(Files.bytes(movedTo), garbage, "moved aside byte for byte")
        XCTAssertTrue(movedTo.hasPrefix(store.path + ".corrupt-"), movedTo)
        let stamp = String(movedTo.dropFirst((store.path + ".corrupt-").count))
        XCTAssertNotNil(stamp.wholeMatch(of: /\d{8}T\d{6}Z/), stamp)
        XCTAssertTrue([before, before + 1, before + 2].map { FileIO.utcStamp($0) }.contains(stamp), stamp)
        XCTAssertEqual(Files.mode(movedTo), 0o600)
        XCTAssertNil(try store.load(), "nothing left to load")
        let message = RegistryError.corrupt(path: path, movedTo: movedTo, reason: reason).description
        XCTAssertTrue(message.contains(store.path) && message.contains(movedTo) && !message.contains("\n"), message)
    }

    func testSecondCorruptFileInTheSameSecondGetsItsOwnName() throws {
        var moved: [String] = []
        for content in ["not json", "[1, 2, 3]", "{\"version\": 1, \"agents\": \"x\"}"] {
            try Files.write(store.path, content)
            guard case .corrupt(_, let movedTo, _) = thrownError(RegistryError.self, { try store.load() }) else { return XCTFail("expected .corrupt for \(content)") }
            XCTAssertEqual(Files.bytes(movedTo), Array(content.utf8))
            moved.append(movedTo)
        }
        XCTAssertEqual(Set(moved).count, 3, "\(moved)")
    }

    func testWrongShapesAreCorrupt() throws {
        let shapes = [
            "{\"agents\": []}",
            "{\"version\": \"1\", \"updated_at\": 1, \"agents\": []}",
            "{\"version\": 0, \"updated_at\": 1, \"agents\": []}",
            "{\"version\": 1, \"updated_at\": 1, \"agents\": [{\"id\": \"x\"}]}",
            "{\"version\": 1, \"updated_at\": 1, \"agents\": [], \"supervisor\": {\"status\": \"dancing\"}}",
            "",
        ]
        for shape in shapes {
            try Files.write(store.path, shape)
            guard case .corrupt(_, let movedTo, let reason) = thrownError(RegistryError.self, { try store.load() }) else { return XCTFail("expected .corrupt for \(shape)") }
            XCTAssertEqual(Files.bytes(movedTo), Array(shape.utf8))
            XCTAssertFalse(reason.contains("\n"))
        }
    }

    func testNewerVersionIsRefusedAndLeftInPlace() throws {
        let newer = "{\"version\": 3, \"format\": \"from the future\", \"agents\": [{\"whatever\": true}]}"
        try Files.write(store.path, newer)
        assertThrows(RegistryError.unsupportedVersion(path: store.path, version: 3)) { try store.load() }
        XCTAssertEqual(Files.bytes(store.path), Array(newer.utf8), "left in place, untouched")
        XCTAssertEqual(temp.listing(), ["registry.json"])
        assertThrows(RegistryError.unsupportedVersion(path: store.path, version: 3)) { try store.update { _ in } }
        XCTAssertEqual(Files.bytes(store.path), Array(newer.utf8), "update does not overwrite it either")
    }

    func testFactoryRegistryIsNotQuarantinedByLoad() throws {
        let factory = "{\"pid\": 1, \"updatedAtMs\": 1, \"agents\": [{\"name\": \"w\", \"pids\": [12]}]}"
        try Files.write(store.path, factory)
        assertThrows(RegistryError.wrongFormat(path: store.path, found: .factory)) { try store.load() }
        XCTAssertEqual(Files.bytes(store.path), Array(factory.utf8))
    }

    func testUpdateAfterCorruptionStartsFresh() throws {
        try Files.write(store.path, "{{{")
        guard case .corrupt = thrownError(RegistryError.self, { try store.update { _ in } }) else { return XCTFail("expected .corrupt") }
        let document = try store.update { $0.agents.append(RegistryEntry(id: "a", name: "a", incarnation: "1", createdAt: 1)) }
        XCTAssertEqual(document.agents.map(\.id), ["a"])
        XCTAssertEqual(try store.load(), document)
    }
}
