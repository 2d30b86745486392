import OverseerProfiles
import XCTest

final class DetectionTests: XCTestCase {
    let catalog = ProfileCatalog.builtIn

    func detected(_ argv: [String]) -> String { catalog.detect(argv: argv).name }

    func testAgentCommandsByArgv0Basename() {
        XCTAssertEqual(detected(["codex"]), "codex")
        XCTAssertEqual(detected(["/root/.pyenv/shims/codex", "--yolo"]), "codex")
        XCTAssertEqual(detected(["/usr/lib/node_modules/@openai/codex/bin/codex-x86_64-unknown-linux-musl"]), "codex")
        XCTAssertEqual(detected(["claude", "--continue"]), "claude")
        XCTAssertEqual(detected(["/usr/local/bin/gemini"]), "gemini")
        XCTAssertEqual(detected(["aider", "--model", "gpt-4o"]), "aider")
    }

    func testInterpretersRunningAnAgentScript() {
        XCTAssertEqual(detected(["node", "/usr/lib/node_modules/@openai/codex/bin/codex.js"]), "codex")
        XCTAssertEqual(detected(["node", "--no-warnings", "/usr/lib/node_modules/@anthropic-ai/claude-code/cli.js"]), "claude")
        XCTAssertEqual(detected(["node", "/srv/app/index.js"]), "generic")
        XCTAssertEqual(detected(["node", "/home/u/.npm/bin/claude"]), "claude")
        XCTAssertEqual(detected(["npx", "-y", "@google/gemini-cli@0.9.0"]), "gemini")
        XCTAssertEqual(detected(["python3", "-m", "aider", "--yes"]), "aider")
        XCTAssertEqual(detected(["/usr/bin/python3.11", "/home/u/.local/bin/aider"]), "aider")
        XCTAssertEqual(detected(["uvx", "aider-chat"]), "aider")
    }

    func testShellsAndPythonOnlyWhenInteractive() {
        for shell in ["bash", "/bin/sh", "zsh", "dash", "/usr/bin/fish"] {
            XCTAssertEqual(detected([shell]), "shell", shell)
        }
        XCTAssertEqual(detected(["bash", "--norc", "-i"]), "shell")
        XCTAssertEqual(detected(["bash", "--rcfile", "/tmp/rc"]), "shell")
        XCTAssertEqual(detected(["bash", "build.sh"]), "generic")
        XCTAssertEqual(detected(["bash", "-c", "make"]), "generic")
        XCTAssertEqual(detected(["python3"]), "python")
        XCTAssertEqual(detected(["python3", "-i"]), "python")
        XCTAssertEqual(detected(["python3.11", "-q"]), "python")
        XCTAssertEqual(detected(["/usr/bin/python", "-i", "setup.py"]), "python")
        XCTAssertEqual(detected(["python3", "ptk_repl.py"]), "generic")
        XCTAssertEqual(detected(["python3", "-c", "print(1)"]), "generic")
    }

    func testUnknownProgramsAndEmptyArgvAreGeneric() {
        XCTAssertEqual(detected(["cat"]), "generic")
        XCTAssertEqual(detected(["vim", "notes.txt"]), "generic")
        XCTAssertEqual(detected([]), "generic")
    }

    func testCustomProfilesAreTriedFirst() throws {
        let custom = try ProfileCatalog(custom: [
            "my-codex": ProfileDefinition(extends: "codex", commands: ["codex"]),
            "mytool": ProfileDefinition(extends: "generic", commands: ["mytool", "mytool-*"]),
        ])
        XCTAssertEqual(custom.detect(argv: ["codex"]).name, "my-codex")
        XCTAssertEqual(custom.detect(argv: ["/opt/mytool-2"]).name, "mytool")
        XCTAssertEqual(custom.detect(argv: ["node", "/opt/mytool.js"]).name, "mytool")
        XCTAssertEqual(custom.detect(argv: ["claude"]).name, "claude")
    }

    func testUnknownProfileByNameIsATypedError() {
        XCTAssertThrowsError(try catalog.profile(named: "codexx")) { error in
            guard case ProfileError.unknownProfile(let name, let known) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(name, "codexx")
            XCTAssertEqual(known, ["aider", "claude", "codex", "gemini", "generic", "python", "shell"])
            XCTAssertTrue("\(error)".contains("unknown profile 'codexx'"))
        }
    }
}
