import TOMLKit

/// A configuration value reduced to what rendering needs.
enum DisplayValue: Sendable, Equatable {
    case string(String)
    /// A number, already formatted (valid in both TOML and JSON).
    case number(String)
    case list([DisplayValue])

    /// TOML syntax: strings quoted and escaped, arrays as `[a, b]`.
    var toml: String {
        switch self {
        case .string(let text): "\"" + escaped(text) + "\""
        case .number(let text): text
        case .list(let items): "[" + items.map(\.toml).joined(separator: ", ") + "]"
        }
    }

    /// JSON syntax.
    var json: String {
        switch self {
        case .string(let text): "\"" + escaped(text) + "\""
        case .number(let text): text
        case .list(let items): "[" + items.map(\.json).joined(separator: ", ") + "]"
        }
    }
}

/// Escapes a string for a basic TOML string or a JSON string (the escapes used are valid in both).
private func escaped(_ text: String) -> String {
    var out = ""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        case "\r": out += "\\r"
        case _ where scalar.value < 0x20 || scalar.value == 0x7F:
            let hex = String(scalar.value, radix: 16, uppercase: true)
            out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out
}

/// A parsed TOML value written back in TOML syntax, for error messages.
func tomlLiteral(_ value: any TOMLValueConvertible) -> String {
    switch value.type {
    case .string: return DisplayValue.string(value.string ?? "").toml
    case .int: return value.int.map { String($0) } ?? "?"
    case .bool: return value.bool.map { String($0) } ?? "?"
    case .double:
        guard let double = value.double else { return "?" }
        if double.isNaN { return "nan" }
        if double.isInfinite { return double < 0 ? "-inf" : "inf" }
        return String(double)
    case .array:
        guard let array = value.array else { return "[]" }
        return "[" + array.map(tomlLiteral).joined(separator: ", ") + "]"
    case .table:
        guard let table = value.table, !table.isEmpty else { return "{}" }
        let pairs = table.keys.sorted().compactMap { key in
            table[key].map { "\(tomlKey(key)) = \(tomlLiteral($0))" }
        }
        return "{ " + pairs.joined(separator: ", ") + " }"
    case .date, .time, .dateTime:
        return value.debugDescription
    }
}

/// A TOML key, bare when possible, quoted otherwise.
private func tomlKey(_ key: String) -> String {
    let bare = !key.isEmpty && key.unicodeScalars.allSatisfy {
        ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-"
    }
    return bare ? key : DisplayValue.string(key).toml
}

extension ResolvedConfig {
    /// One row per key, in table order: (key, value in TOML syntax, source label).
    private var rows: [(key: String, value: DisplayValue, source: ConfigSource)] {
        ConfigKeys.all.map { key in
            (key.name, key.display(config), sources[key.name] ?? .defaultValue)
        }
    }

    /// An aligned table with a `KEY VALUE SOURCE` header and one row per key, in
    /// table order. Values are in TOML syntax, so they can be pasted into a file.
    public func render() -> String {
        let table = [("KEY", "VALUE", "SOURCE")] + rows.map { ($0.key, $0.value.toml, $0.source.description) }
        let keyWidth = table.map(\.0.count).max() ?? 0
        let valueWidth = table.map(\.1.count).max() ?? 0
        func pad(_ text: String, _ width: Int) -> String {
            text + String(repeating: " ", count: max(0, width - text.count))
        }
        return table.map { key, value, source in
            pad(key, keyWidth) + "  " + pad(value, valueWidth) + "  " + source
        }.joined(separator: "\n") + "\n"
    }

    /// The same information as a JSON object:
    /// `{"config_file": path|null, "values": {key: {"value": v, "source": label}}, "warnings": [...]}`.
    /// `extra`: more top-level members, each a name and its JSON text.
    public func renderJSON(extra: KeyValuePairs<String, String> = [:]) -> String {
        let file = filePath.map { DisplayValue.string($0).json } ?? "null"
        let values = rows.map { row in
            "    \(DisplayValue.string(row.key).json): {\"value\": \(row.value.json), "
                + "\"source\": \(DisplayValue.string(row.source.description).json)}"
        }
        let warningList = DisplayValue.list(warnings.map(DisplayValue.string)).json
        return "{\n  \"config_file\": \(file),\n  \"values\": {\n"
            + values.joined(separator: ",\n")
            + "\n  },\n  \"warnings\": \(warningList)"
            + extra.map { ",\n  \(DisplayValue.string($0.key).json): \($0.value)" }.joined()
            + "\n}\n"
    }
}

extension DisplayValue {
    /// The value as a shell script wants it: strings unquoted, lists comma-separated.
    var plain: String {
        switch self {
        case .string(let text): text
        case .number(let text): text
        case .list(let items): items.map(\.plain).joined(separator: ",")
        }
    }
}

extension ResolvedConfig {
    /// One key's effective value in plain form (for `overseer config --get KEY`), or nil for an unknown key.
    public func value(of key: String) -> String? {
        ConfigKeys.byName[key].map { $0.display(config).plain }
    }
}
