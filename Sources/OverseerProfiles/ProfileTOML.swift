import TOMLKit

extension ProfileCatalog {
    /// The built-in profiles plus the `[profiles.NAME]` tables of a configuration file's text
    /// (its other keys are not looked at).
    public init(configTOML text: String) throws(ProfileError) {
        let root: TOMLTable
        do {
            root = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw .malformedTOML(reason: "\(error.description) at line \(error.source.begin.line), column \(error.source.begin.column)")
        } catch {
            throw .malformedTOML(reason: "\(error)")
        }
        guard let value = root["profiles"] else {
            try self.init()
            return
        }
        guard let profiles = value.table else {
            throw .malformedTOML(reason: "'profiles' must be a table of [profiles.NAME] tables")
        }
        try self.init(profilesTable: profiles)
    }

    /// The built-in profiles plus the profiles of a parsed `[profiles]` table.
    public init(profilesTable: TOMLTable) throws(ProfileError) {
        try self.init(custom: Self.definitions(profilesTable: profilesTable))
    }

    /// Decodes each `[profiles.NAME]` table, refusing unknown keys and wrong types by name.
    public static func definitions(profilesTable: TOMLTable) throws(ProfileError) -> [String: ProfileDefinition] {
        var definitions: [String: ProfileDefinition] = [:]
        for name in profilesTable.keys.sorted() {
            guard let table = profilesTable[name]?.table else {
                throw .wrongType(profile: name, field: "profiles.\(name)", reason: "must be a table ([profiles.\(name)])")
            }
            try checkKeys(table, known: ProfileDefinition.CodingKeys.allCases.map(\.rawValue), profile: name, prefix: "")
            if let rules = table["rules"]?.array {
                for index in 0..<rules.count {
                    guard let rule = rules[index].table else {
                        throw .wrongType(profile: name, field: "rules[\(index)]", reason: "must be a table ([[profiles.\(name).rules]])")
                    }
                    try checkKeys(rule, known: RuleDefinition.CodingKeys.allCases.map(\.rawValue), profile: name, prefix: "rules[\(index)].")
                }
            }
            do {
                definitions[name] = try TOMLDecoder().decode(ProfileDefinition.self, from: table)
            } catch let error as DecodingError {
                throw translate(error, profile: name, table: table)
            } catch {
                throw .wrongType(profile: name, field: "profiles.\(name)", reason: "\(error)")
            }
        }
        return definitions
    }

    private static func checkKeys(_ table: TOMLTable, known: [String], profile: String, prefix: String) throws(ProfileError) {
        if let unknown = table.keys.sorted().first(where: { !known.contains($0) }) {
            throw .unknownField(profile: profile, field: prefix + unknown)
        }
    }

    /// Names the field from the decoder's coding path (`rules[1].priority`). TOMLKit reports a
    /// value of the wrong type as a missing key, so a key that is present gets "expected TYPE".
    private static func translate(_ error: DecodingError, profile: String, table: TOMLTable) -> ProfileError {
        func field(_ path: [any CodingKey]) -> String {
            path.reduce("") { text, key in
                if let index = key.intValue { return text + "[\(index)]" }
                return text.isEmpty ? key.stringValue : text + "." + key.stringValue
            }
        }
        switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            let path = context.codingPath
            return .wrongType(profile: profile, field: field(path), reason: "expected \(expectedType(path.last))")
        case .keyNotFound(let key, let context):
            var path = context.codingPath
            if path.last?.stringValue != key.stringValue || path.last?.intValue != key.intValue { path.append(key) }
            if value(at: path, in: table) != nil {
                return .wrongType(profile: profile, field: field(path), reason: "expected \(expectedType(path.last))")
            }
            return .missingField(profile: profile, field: field(path))
        @unknown default:
            return .wrongType(profile: profile, field: "profiles.\(profile)", reason: "\(error)")
        }
    }

    private static func value(at path: [any CodingKey], in table: TOMLTable) -> (any TOMLValueConvertible)? {
        var current: (any TOMLValueConvertible)? = table
        for key in path {
            if let index = key.intValue {
                guard let array = current?.array, index < array.count else { return nil }
                current = array[index]
            } else {
                current = current?.table?[key.stringValue]
            }
        }
        return current
    }

    /// What a field holds, by its key.
    private static func expectedType(_ key: (any CodingKey)?) -> String {
        switch key?.stringValue {
        case "commands": "a list of strings"
        case "rules": "a list of tables ([[profiles.NAME.rules]])"
        case "interactive_only", "bracketed_paste", "require_quiet": "true or false"
        case "submit_delay_ms", "enter_retries", "priority": "an integer"
        case "quiet_seconds": "a number of seconds"
        default: "a string"
        }
    }
}
