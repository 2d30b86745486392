extension ProfileCatalog {
    /// Interpreters whose script or module names the program (`node …/codex.js`,
    /// `python3 -m aider`, `npx @google/gemini-cli`).
    static let interpreterPatterns = ["node", "nodejs", "bun", "bunx", "deno", "npx", "pnpx", "uvx", "pipx", "uv", "python", "python[0-9]*", "pypy*", "ruby", "perl"]

    /// The profile for a program started as `argv`: a profile whose `commands` match the
    /// script or module an interpreter runs, else one matching argv[0]'s basename (custom
    /// profiles first, then codex, claude, gemini, aider, shell, python), else `generic`.
    public func detect(argv: [String]) -> Profile {
        detectedName(argv: argv).flatMap { profiles[$0] } ?? profiles[BuiltInProfiles.genericName]!
    }

    func detectedName(argv: [String]) -> String? {
        guard let first = argv.first else { return nil }
        let program = Self.basename(first)
        let arguments = Array(argv.dropFirst())
        let order = customNames + BuiltInProfiles.detectionOrder.filter { !customNames.contains($0) }
        let candidates = order.compactMap { name in profiles[name].map { (name, $0) } }
        if Glob.matchesAny(Self.interpreterPatterns, program), let script = Self.scriptName(arguments) {
            if let hit = candidates.first(where: { !$0.1.interactiveOnly && Glob.matchesAny($0.1.commands, script) }) {
                return hit.0
            }
        }
        let interactive = Self.isInteractive(arguments)
        return candidates.first { _, profile in
            Glob.matchesAny(profile.commands, program) && (!profile.interactiveOnly || interactive)
        }?.0
    }

    /// The name of the script or module an interpreter runs, without directories, npm scope,
    /// version or extension: `@openai/codex@0.147.0` → `codex`, `/x/bin/aider.py` → `aider`,
    /// `…/claude-code/cli.js` → `claude-code`.
    static func scriptName(_ arguments: [String]) -> String? {
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if argument == "-m", index + 1 < arguments.count { return clean(arguments[index + 1]) }
            if argument == "run" || argument == "exec" || argument == "x" || argument.hasPrefix("-") {
                index += 1
                continue
            }
            return clean(argument)
        }
        return nil
    }

    /// Interactive use: no operand other than options, or an explicit `-i`/`--interactive`.
    static func isInteractive(_ arguments: [String]) -> Bool {
        if arguments.contains(where: { $0 == "-i" || $0 == "--interactive" }) { return true }
        var skipNext = false
        for argument in arguments {
            if skipNext { skipNext = false; continue }
            if argument == "-c" || argument == "-m" { return false }
            if argument == "-o" || argument == "-O" || argument == "--rcfile" || argument == "--init-file" || argument == "-W" || argument == "-X" {
                skipNext = true
                continue
            }
            if !argument.hasPrefix("-") && !argument.hasPrefix("+") { return false }
        }
        return true
    }

    /// Entry-point file names that say nothing: the package directory above them names the program.
    static let anonymousEntryPoints: Set<String> = ["cli", "index", "main", "bin", "run", "entry"]

    private static func clean(_ operand: String) -> String {
        var name = stripped(basename(operand))
        if anonymousEntryPoints.contains(name) {
            let parts = operand.split(separator: "/").map(String.init)
            if parts.count >= 2 { name = stripped(parts[parts.count - 2]) }
        }
        return name
    }

    private static func stripped(_ component: String) -> String {
        var name = component
        if name.hasPrefix("@") { name.removeFirst() }
        if let at = name.firstIndex(of: "@") { name = String(name[..<at]) }
        for suffix in [".js", ".mjs", ".cjs", ".ts", ".py", ".rb", ".pl"] where name.hasSuffix(suffix) {
            name.removeLast(suffix.count)
            break
        }
        return name
    }

    static func basename(_ path: String) -> String {
        let trimmed = path.hasSuffix("/") ? String(path.dropLast()) : path
        return trimmed.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? trimmed
    }
}

/// Shell-style patterns: `*` (any run), `?` (one character), `[…]` (one of a set or range).
enum Glob {
    static func matchesAny(_ patterns: [String], _ text: String) -> Bool {
        patterns.contains { matches($0, text) }
    }

    static func matches(_ pattern: String, _ text: String) -> Bool {
        matches(Array(pattern), 0, Array(text), 0)
    }

    private static func matches(_ pattern: [Character], _ p: Int, _ text: [Character], _ t: Int) -> Bool {
        if p == pattern.count { return t == text.count }
        switch pattern[p] {
        case "*":
            for start in t...text.count where matches(pattern, p + 1, text, start) { return true }
            return false
        case "?":
            return t < text.count && matches(pattern, p + 1, text, t + 1)
        case "[":
            guard let close = pattern[(p + 1)...].firstIndex(of: "]"), t < text.count else {
                return t < text.count && text[t] == "[" && matches(pattern, p + 1, text, t + 1)
            }
            guard inSet(Array(pattern[(p + 1)..<close]), text[t]) else { return false }
            return matches(pattern, close + 1, text, t + 1)
        default:
            return t < text.count && text[t] == pattern[p] && matches(pattern, p + 1, text, t + 1)
        }
    }

    private static func inSet(_ set: [Character], _ character: Character) -> Bool {
        var index = 0
        while index < set.count {
            if index + 2 < set.count, set[index + 1] == "-" {
                if set[index] <= character && character <= set[index + 2] { return true }
                index += 3
            } else {
                if set[index] == character { return true }
                index += 1
            }
        }
        return false
    }
}
