/// Why the configuration could not be loaded. `description` is a one-line
/// message for the user that names the offending key, value and source.
public enum ConfigError: Error, CustomStringConvertible, Equatable {
    /// The file has a key (or table) that is not a configuration key.
    case unknownKey(key: String, file: String, suggestion: String?)
    /// A value has the wrong type, is out of range, not an allowed choice, or not an absolute path.
    /// `value` is shown as the user wrote it (TOML syntax, strings quoted).
    case invalidValue(key: String, value: String, expected: String, source: ConfigSource)
    /// The file is not valid TOML.
    case syntaxError(file: String, line: Int, column: Int, message: String)
    /// The file named by `--config` does not exist.
    case fileNotFound(path: String)
    /// The file exists but could not be read (permissions, a directory, not UTF-8, ...).
    case unreadableFile(path: String, reason: String)
    /// The caller passed a flag for a key that does not exist (a programming error in the caller).
    case unknownFlagKey(key: String, flag: String)
    /// A `[profiles.NAME]` table cannot be used; `reason` names the profile, the field (or
    /// rule) and what is wrong.
    case invalidProfile(file: String, reason: String)

    public var description: String {
        switch self {
        case let .unknownKey(key, file, suggestion):
            let hint = suggestion.map { " (did you mean \(DisplayValue.string($0).toml)?)" } ?? ""
            return "config file \(file): unknown key \(DisplayValue.string(key).toml)\(hint)"
        case let .invalidValue(key, value, expected, source):
            return "\(source.errorLabel): invalid value \(value) for \(key): expected \(expected)"
        case let .syntaxError(file, line, column, message):
            return "config file \(file): TOML syntax error at line \(line), column \(column): \(message)"
        case let .fileNotFound(path):
            return "config file \(path): no such file"
        case let .unreadableFile(path, reason):
            return "config file \(path): cannot read: \(reason)"
        case let .unknownFlagKey(key, flag):
            return "flag \(flag): not a configuration key: \(DisplayValue.string(key).toml)"
        case let .invalidProfile(file, reason):
            return "config file \(file): \(reason)"
        }
    }
}

/// The candidate the user most likely meant by `word`, or nil when none is close.
///
/// Tried in order: same after lowercasing and `-` → `_`; edit distance <= 2
/// (closest wins, ties go to the earlier candidate); a single candidate that
/// starts with, or contains, `word` (at least 4 characters), e.g.
/// `kill_grace` → `kill_grace_seconds`.
func suggestion(for word: String, among candidates: [String]) -> String? {
    let normalized = String(word.lowercased().map { $0 == "-" ? "_" : $0 })
    if let exact = candidates.first(where: { $0.lowercased() == normalized }) { return exact }

    var best: (candidate: String, distance: Int)?
    for candidate in candidates {
        let distance = editDistance(normalized, candidate.lowercased())
        if distance <= 2, distance < (best?.distance ?? Int.max) { best = (candidate, distance) }
    }
    if let best { return best.candidate }

    guard normalized.count >= 4 else { return nil }
    for matches in [
        candidates.filter { $0.lowercased().hasPrefix(normalized) },
        candidates.filter { $0.lowercased().contains(normalized) },
    ] where matches.count == 1 {
        return matches[0]
    }
    return nil
}

/// Levenshtein distance between two strings, by characters.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
            current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
        }
        swap(&previous, &current)
    }
    return previous[b.count]
}
