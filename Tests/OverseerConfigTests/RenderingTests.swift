import Foundation
import OverseerConfig
import XCTest

final class RenderingTests: ConfigTestCase {
    private func mixedSources() throws -> (ResolvedConfig, String) {
        let path = try writeFile("log_level = \"debug\"\nprotected_pids = [3, 4]\nkill_grace_seconds = 2.5\n")
        let env = ["OVERSEER_MAX_AGENTS": "12", "OVERSEER_FOO": "1"]
        let flags = ["socket_path": FlagValue("/tmp/a \"b\".sock", flag: "--socket")]
        return (try loader(env).load(configPath: path, flags: flags), path)
    }

    func testSourceLabels() {
        XCTAssertEqual(ConfigSource.defaultValue.description, "default")
        XCTAssertEqual(ConfigSource.file("/etc/overseer/overseer.toml").description, "file /etc/overseer/overseer.toml")
        XCTAssertEqual(ConfigSource.environment("OVERSEER_MAX_AGENTS").description, "env OVERSEER_MAX_AGENTS")
        XCTAssertEqual(ConfigSource.flag("--socket").description, "flag --socket")
    }

    func testRenderListsEveryKeyWithValueAndSource() throws {
        let (resolved, path) = try mixedSources()
        let lines = resolved.render().split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, OverseerConfig.keyNames.count + 1)
        XCTAssertEqual(lines[0].split(separator: " ").map(String.init), ["KEY", "VALUE", "SOURCE"])
        for (line, name) in zip(lines.dropFirst(), OverseerConfig.keyNames) {
            XCTAssertTrue(line.hasPrefix(name + " "), "\(line) should start with \(name)")
            let source = resolved.source(of: name)?.description ?? "?"
            XCTAssertTrue(line.hasSuffix("  " + source), "\(line) should end with \(source)")
        }
        func line(_ key: String) -> String { lines.first { $0.hasPrefix(key + " ") } ?? "" }
        XCTAssertTrue(line("log_level").contains("\"debug\""))
        XCTAssertTrue(line("log_level").hasSuffix("file \(path)"))
        XCTAssertTrue(line("max_agents").contains(" 12 "))
        XCTAssertTrue(line("max_agents").hasSuffix("env OVERSEER_MAX_AGENTS"))
        XCTAssertTrue(line("socket_path").contains(#""/tmp/a \"b\".sock""#))
        XCTAssertTrue(line("socket_path").hasSuffix("flag --socket"))
        XCTAssertTrue(line("kill_grace_seconds").contains(" 2.5 "))
        XCTAssertTrue(line("protected_pids").contains(" [3, 4] "))
        XCTAssertTrue(line("protected_pidfiles").contains(" [] "))
        XCTAssertTrue(line("default_rows").hasSuffix("default"))
    }

    func testRenderAlignsColumns() throws {
        let (resolved, _) = try mixedSources()
        let lines = resolved.render().split(separator: "\n").map(String.init)
        let sourceColumn = lines[0].range(of: "SOURCE").map { lines[0].distance(from: lines[0].startIndex, to: $0.lowerBound) }
        let valueColumn = lines[0].range(of: "VALUE").map { lines[0].distance(from: lines[0].startIndex, to: $0.lowerBound) }
        for (line, name) in zip(lines.dropFirst(), OverseerConfig.keyNames) {
            let source = resolved.source(of: name)?.description ?? "?"
            XCTAssertEqual(line.count - source.count, sourceColumn, line)
            let chars = Array(line)
            XCTAssertEqual(chars[(valueColumn ?? 1) - 1], " ", line)
            XCTAssertNotEqual(chars[valueColumn ?? 0], " ", line)
        }
    }

    func testRenderJSONIsValidAndComplete() throws {
        let (resolved, path) = try mixedSources()
        let data = Data(resolved.renderJSON().utf8)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(object["config_file"] as? String, path)
        XCTAssertEqual(object["warnings"] as? [String], resolved.warnings)
        XCTAssertEqual(resolved.warnings.count, 1)
        let values = try XCTUnwrap(object["values"] as? [String: [String: Any]])
        XCTAssertEqual(Set(values.keys), Set(OverseerConfig.keyNames))
        for name in OverseerConfig.keyNames {
            XCTAssertEqual(values[name]?["source"] as? String, resolved.source(of: name)?.description, name)
        }
        XCTAssertEqual(values["socket_path"]?["value"] as? String, "/tmp/a \"b\".sock")
        XCTAssertEqual(values["log_level"]?["value"] as? String, "debug")
        XCTAssertEqual(values["max_agents"]?["value"] as? Int, 12)
        XCTAssertEqual(values["kill_grace_seconds"]?["value"] as? Double, 2.5)
        XCTAssertEqual(values["protected_pids"]?["value"] as? [Int], [3, 4])
        XCTAssertEqual(values["protected_pidfiles"]?["value"] as? [String], [])
    }

    func testRenderJSONWithoutFileHasNullConfigFile() throws {
        let json = try loader().load(configPath: nil).renderJSON()
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        XCTAssertTrue(object["config_file"] is NSNull)
    }
}
