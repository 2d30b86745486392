import Foundation
import OverseerConfig
import XCTest

/// Base class: a fresh temporary directory per test, removed afterwards.
class ConfigTestCase: XCTestCase {
    /// Absolute path of this test's temporary directory.
    var tempDir = ""

    override func setUpWithError() throws {
        try super.setUpWithError()
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("overseer-config-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        tempDir = url.path
    }

    override func tearDownWithError() throws {
        if !tempDir.isEmpty, FileManager.default.fileExists(atPath: tempDir) {
            try FileManager.default.removeItem(atPath: tempDir)
        }
        try super.tearDownWithError()
    }

    /// Writes `contents` to `name` in the temporary directory and returns its path.
    @discardableResult
    func writeFile(_ contents: String, named name: String = "overseer.toml") throws -> String {
        let path = tempDir + "/" + name
        try contents.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A loader whose default file is a path in the temporary directory that does not exist,
    /// so the machine's /etc/overseer/overseer.toml never leaks into a test.
    func loader(_ environment: [String: String] = [:], uid: UInt32 = 0, defaultFile: String? = nil) -> ConfigLoader {
        ConfigLoader(environment: environment, uid: uid, defaultFilePath: defaultFile ?? tempDir + "/absent.toml")
    }

    /// Loads and returns the error, failing the test when loading succeeds.
    func loadError(
        _ loader: ConfigLoader, configPath: String? = nil, flags: [String: FlagValue] = [:],
        file: StaticString = #filePath, line: UInt = #line
    ) -> ConfigError? {
        do {
            let resolved = try loader.load(configPath: configPath, flags: flags)
            XCTFail("expected an error, loaded \(resolved.config)", file: file, line: line)
            return nil
        } catch {
            return error
        }
    }

    /// Asserts that `error` is an invalid-value error with these fields, and that its
    /// message names the key, the value, the expectation and the source.
    func assertInvalid(
        _ error: ConfigError?, key: String, value: String, expected: String, source: ConfigSource,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertEqual(error, .invalidValue(key: key, value: value, expected: expected, source: source), file: file, line: line)
        let message = error?.description ?? ""
        for part in [key, value, expected] {
            XCTAssertTrue(message.contains(part), "\(message) lacks \(part)", file: file, line: line)
        }
        let label: String = switch source {
        case .file(let path): path
        case .environment(let name): name
        case .flag(let flag): flag
        case .defaultValue: "default"
        }
        XCTAssertTrue(message.contains(label), "\(message) lacks \(label)", file: file, line: line)
        XCTAssertFalse(message.contains("\n"), "message is not one line: \(message)", file: file, line: line)
    }
}
