import Foundation
import OverseerConfig
import XCTest

final class ErrorTests: ConfigTestCase {
    func testUnknownFileKeyNamesKeyFileAndSuggestion() throws {
        let path = try writeFile("kill_grace = 3\n")
        let error = loadError(loader(), configPath: path)
        XCTAssertEqual(error, .unknownKey(key: "kill_grace", file: path, suggestion: "kill_grace_seconds"))
        XCTAssertEqual(
            error?.description,
            "config file \(path): unknown key \"kill_grace\" (did you mean \"kill_grace_seconds\"?)"
        )
    }

    func testUnknownFileKeySuggestsNearbySpellings() throws {
        for (typo, meant) in [("max_agent", "max_agents"), ("log-level", "log_level"), ("default_colz", "default_cols")] {
            let path = try writeFile("\(typo) = 1\n", named: "\(typo).toml")
            XCTAssertEqual(loadError(loader(), configPath: path), .unknownKey(key: typo, file: path, suggestion: meant))
        }
    }

    func testUnknownFileKeyWithoutCloseMatchHasNoSuggestion() throws {
        let path = try writeFile("colour = \"blue\"\n")
        let error = loadError(loader(), configPath: path)
        XCTAssertEqual(error, .unknownKey(key: "colour", file: path, suggestion: nil))
        XCTAssertEqual(error?.description, "config file \(path): unknown key \"colour\"")
    }

    func testTableIsAnUnknownKey() throws {
        let path = try writeFile("log_level = \"info\"\n\n[server]\nsocket_path = \"/x.sock\"\n")
        let error = loadError(loader(), configPath: path)
        XCTAssertEqual(error, .unknownKey(key: "server", file: path, suggestion: nil))
    }

    func testUnknownKeyIsReportedBeforeBadValues() throws {
        let path = try writeFile("max_agents = 0\nzzz_unknown = 1\n")
        XCTAssertEqual(loadError(loader(), configPath: path), .unknownKey(key: "zzz_unknown", file: path, suggestion: nil))
    }

    func testWrongTypeInFile() throws {
        let path = try writeFile("max_agents = \"10\"\n")
        assertInvalid(loadError(loader(), configPath: path), key: "max_agents", value: "\"10\"",
                      expected: "an integer from 1 to 100000", source: .file(path))
        let floatPath = try writeFile("default_rows = 30.0\n", named: "float.toml")
        assertInvalid(loadError(loader(), configPath: floatPath), key: "default_rows", value: "30.0",
                      expected: "an integer from 1 to 1000", source: .file(floatPath))
        let listPath = try writeFile("protected_pids = 5\n", named: "list.toml")
        assertInvalid(loadError(loader(), configPath: listPath), key: "protected_pids", value: "5",
                      expected: "an array of process ids (integers from 1 to 2147483647)", source: .file(listPath))
        let tablePath = try writeFile("[state_dir]\npath = \"/x\"\n", named: "table.toml")
        assertInvalid(loadError(loader(), configPath: tablePath), key: "state_dir", value: "{ path = \"/x\" }",
                      expected: "an absolute path (starting with \"/\")", source: .file(tablePath))
    }

    func testOutOfRangeValues() throws {
        let path = try writeFile("default_rows = 0\n")
        assertInvalid(loadError(loader(), configPath: path), key: "default_rows", value: "0",
                      expected: "an integer from 1 to 1000", source: .file(path))
        assertInvalid(loadError(loader(["OVERSEER_OUTPUT_BUFFER_BYTES": "100"])), key: "output_buffer_bytes",
                      value: "\"100\"", expected: "an integer from 4096 to 1073741824",
                      source: .environment("OVERSEER_OUTPUT_BUFFER_BYTES"))
        let graceExpected = "a number greater than 0 and at most 300"
        for bad in ["0", "300.5", "-1", "nan", "inf", "5s", "0x10", ""] {
            assertInvalid(loadError(loader(["OVERSEER_KILL_GRACE_SECONDS": bad])), key: "kill_grace_seconds",
                          value: "\"\(bad)\"", expected: graceExpected, source: .environment("OVERSEER_KILL_GRACE_SECONDS"))
        }
        let gracePath = try writeFile("kill_grace_seconds = 301\n", named: "grace.toml")
        assertInvalid(loadError(loader(), configPath: gracePath), key: "kill_grace_seconds", value: "301",
                      expected: graceExpected, source: .file(gracePath))
        assertInvalid(loadError(loader(), flags: ["transcript_max_bytes": FlagValue("-1", flag: "--transcript-max")]),
                      key: "transcript_max_bytes", value: "\"-1\"", expected: "an integer from 0 to 1099511627776",
                      source: .flag("--transcript-max"))
    }

    func testBadEnumValues() throws {
        let levels = "one of trace, debug, info, notice, warning, error, critical"
        let path = try writeFile("log_level = \"loud\"\n")
        let error = loadError(loader(), configPath: path)
        assertInvalid(error, key: "log_level", value: "\"loud\"", expected: levels, source: .file(path))
        XCTAssertEqual(error?.description,
                       "config file \(path): invalid value \"loud\" for log_level: expected \(levels)")
        assertInvalid(loadError(loader(["OVERSEER_ON_SHUTDOWN": "kill"])), key: "on_shutdown", value: "\"kill\"",
                      expected: "one of release, leave", source: .environment("OVERSEER_ON_SHUTDOWN"))
        assertInvalid(loadError(loader(), flags: ["log_level": FlagValue("", flag: "--log-level")]),
                      key: "log_level", value: "\"\"", expected: levels, source: .flag("--log-level"))
    }

    func testRelativePaths() throws {
        let path = try writeFile("socket_path = \"run/x.sock\"\n")
        let expected = "an absolute path (starting with \"/\")"
        assertInvalid(loadError(loader(), configPath: path), key: "socket_path", value: "\"run/x.sock\"",
                      expected: expected, source: .file(path))
        assertInvalid(loadError(loader(["OVERSEER_STATE_DIR": "state"])), key: "state_dir", value: "\"state\"",
                      expected: expected, source: .environment("OVERSEER_STATE_DIR"))
        assertInvalid(loadError(loader(), flags: ["socket_path": FlagValue("x.sock", flag: "--socket")]),
                      key: "socket_path", value: "\"x.sock\"", expected: expected, source: .flag("--socket"))
        let listPath = try writeFile("protected_pidfiles = [\"/ok.pid\", \"bad.pid\"]\n", named: "list.toml")
        assertInvalid(loadError(loader(), configPath: listPath), key: "protected_pidfiles", value: "\"bad.pid\"",
                      expected: "an array of absolute paths", source: .file(listPath))
    }

    func testCgroupRootIsAutoOffOrAnAbsolutePath() throws {
        let expected = "auto, off, or an absolute path (starting with \"/\")"
        let path = try writeFile("cgroup_root = \"system.slice\"\n")
        assertInvalid(loadError(loader(), configPath: path), key: "cgroup_root", value: "\"system.slice\"",
                      expected: expected, source: .file(path))
        assertInvalid(loadError(loader(["OVERSEER_CGROUP_ROOT": "yes"])), key: "cgroup_root", value: "\"yes\"",
                      expected: expected, source: .environment("OVERSEER_CGROUP_ROOT"))
        XCTAssertEqual(try loader(["OVERSEER_CGROUP_ROOT": " Auto "]).load(configPath: nil).config.cgroupRoot, "auto")
    }

    func testConnectionAndEventBufferLimitsAreChecked() throws {
        let path = try writeFile("max_connections = 0\n")
        assertInvalid(loadError(loader(), configPath: path), key: "max_connections", value: "0",
                      expected: "an integer from 1 to 1000000", source: .file(path))
        assertInvalid(loadError(loader(["OVERSEER_IDLE_TIMEOUT_SECONDS": "0"])), key: "idle_timeout_seconds", value: "\"0\"",
                      expected: "a number greater than 0 and at most 86400", source: .environment("OVERSEER_IDLE_TIMEOUT_SECONDS"))
        assertInvalid(loadError(loader(["OVERSEER_EVENT_BUFFER": "15"])), key: "event_buffer", value: "\"15\"",
                      expected: "an integer from 16 to 1000000", source: .environment("OVERSEER_EVENT_BUFFER"))
    }

    func testBadListElements() throws {
        let path = try writeFile("protected_pids = [1, -3]\n")
        assertInvalid(loadError(loader(), configPath: path), key: "protected_pids", value: "-3",
                      expected: "an array of process ids (integers from 1 to 2147483647)", source: .file(path))
        assertInvalid(loadError(loader(["OVERSEER_PROTECTED_PIDS": "1,abc"])), key: "protected_pids",
                      value: "\"abc\"", expected: "a comma-separated list of process ids (integers from 1 to 2147483647)",
                      source: .environment("OVERSEER_PROTECTED_PIDS"))
    }

    func testFileErrorsComeBeforeEnvironmentErrors() throws {
        let path = try writeFile("max_agents = 0\n")
        let error = loadError(loader(["OVERSEER_DEFAULT_ROWS": "0"]), configPath: path)
        XCTAssertEqual(error, .invalidValue(key: "max_agents", value: "0", expected: "an integer from 1 to 100000",
                                            source: .file(path)))
    }

    func testSyntaxErrorNamesFileAndLine() throws {
        let path = try writeFile("log_level = \"info\"\n# comment\nmax_agents = = 3\n")
        let error = loadError(loader(), configPath: path)
        guard case .syntaxError(let file, let line, _, let message)? = error else {
            return XCTFail("expected a syntax error, got \(String(describing: error))")
        }
        XCTAssertEqual(file, path)
        XCTAssertEqual(line, 3)
        XCTAssertFalse(message.isEmpty)
        let description = error?.description ?? ""
        XCTAssertTrue(description.hasPrefix("config file \(path): TOML syntax error at line 3"), description)
        XCTAssertFalse(description.contains("\n"), description)
    }

    func testSyntaxErrorInDefaultFileIsReported() throws {
        let path = try writeFile("max_agents = [\n", named: "default.toml")
        guard case .syntaxError(let file, _, _, _)? = loadError(loader(defaultFile: path)) else {
            return XCTFail("expected a syntax error")
        }
        XCTAssertEqual(file, path)
    }

    func testDuplicateKeyIsASyntaxError() throws {
        let path = try writeFile("max_agents = 1\nmax_agents = 2\n")
        guard case .syntaxError(_, let line, _, _)? = loadError(loader(), configPath: path) else {
            return XCTFail("expected a syntax error")
        }
        XCTAssertEqual(line, 2)
    }

    func testUnknownFlagKeyIsAnError() {
        let error = loadError(loader(), flags: ["sockets": FlagValue("/x", flag: "--sockets")])
        XCTAssertEqual(error, .unknownFlagKey(key: "sockets", flag: "--sockets"))
        XCTAssertTrue(error?.description.contains("--sockets") ?? false)
    }
}
