/// Computes the environment-dependent defaults: `socket_path` and `state_dir`.
///
/// Environment variables holding relative or empty paths are ignored, as the
/// XDG Base Directory specification asks, so the defaults are always absolute.
struct DefaultPaths {
    let environment: [String: String]
    let uid: UInt32

    /// Directory for the socket: first entry of `$RUNTIME_DIRECTORY` (set by systemd),
    /// else `$XDG_RUNTIME_DIR/overseer`, else `/run/overseer` for root, else `/tmp/overseer-<uid>`.
    var runtimeDirectory: String {
        if let dir = firstEntry("RUNTIME_DIRECTORY") { return dir }
        if let dir = absolute("XDG_RUNTIME_DIR") { return join(dir, "overseer") }
        return uid == 0 ? "/run/overseer" : "/tmp/overseer-\(uid)"
    }

    /// `$STATE_DIRECTORY` (first entry, set by systemd), else `/var/lib/overseer` for root,
    /// else `$XDG_STATE_HOME/overseer`, else `$HOME/.local/state/overseer`.
    /// Without a usable `HOME` it falls back to `/tmp/overseer-<uid>/state` (see ``warnings``).
    var stateDirectory: String {
        if let dir = firstEntry("STATE_DIRECTORY") { return dir }
        if uid == 0 { return "/var/lib/overseer" }
        if let dir = absolute("XDG_STATE_HOME") { return join(dir, "overseer") }
        if let home = absolute("HOME") { return join(home, ".local/state/overseer") }
        return "/tmp/overseer-\(uid)/state"
    }

    /// Explains a default that had to fall back to a surprising place.
    var warnings: [String] {
        guard firstEntry("STATE_DIRECTORY") == nil, uid != 0,
              absolute("XDG_STATE_HOME") == nil, absolute("HOME") == nil else { return [] }
        return ["HOME is not set to an absolute path; state_dir defaults to \(stateDirectory)"]
    }

    /// The built-in configuration for this environment.
    var config: OverseerConfig {
        OverseerConfig(socketPath: join(runtimeDirectory, "overseer.sock"), stateDir: stateDirectory)
    }

    private func absolute(_ name: String) -> String? {
        guard let value = environment[name], value.hasPrefix("/") else { return nil }
        return value
    }

    /// First entry of a colon-separated list of directories, if absolute.
    private func firstEntry(_ name: String) -> String? {
        guard let value = environment[name],
              let first = value.split(separator: ":", omittingEmptySubsequences: false).first,
              first.hasPrefix("/") else { return nil }
        return trimmingTrailingSlashes(String(first))
    }

    private func join(_ directory: String, _ name: String) -> String {
        let base = trimmingTrailingSlashes(directory)
        return base == "/" ? "/" + name : base + "/" + name
    }

    private func trimmingTrailingSlashes(_ path: String) -> String {
        var path = Substring(path)
        while path.count > 1, path.hasSuffix("/") { path = path.dropLast() }
        return String(path)
    }
}
