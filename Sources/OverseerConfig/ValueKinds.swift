import TOMLKit

/// A raw value that a ``ValueKind`` rejected; the loader adds key, source and expectation.
struct InvalidValue: Error {
    /// The offending value as shown to the user (TOML syntax, strings quoted).
    var shown: String
}

/// How values of one Swift type are read from TOML and from text, checked and displayed.
///
/// Text is what environment variables and flags carry.
struct ValueKind<Value: Sendable>: Sendable {
    /// What a valid value looks like in the TOML file, e.g. "an integer from 1 to 1000".
    var expectedInFile: String
    /// What a valid value looks like in an environment variable or flag.
    var expectedAsText: String
    var fromTOML: @Sendable (any TOMLValueConvertible) throws(InvalidValue) -> Value
    var fromText: @Sendable (String) throws(InvalidValue) -> Value
    var display: @Sendable (Value) -> DisplayValue
}

extension ValueKind where Value == String {
    /// A string that is an absolute path.
    static var absolutePath: ValueKind<String> {
        checkedString(expected: "an absolute path (starting with \"/\")") { text in text.hasPrefix("/") ? text : nil }
    }

    /// `auto`, `off`, or an absolute path (for `cgroup_root`).
    static var autoOffOrPath: ValueKind<String> {
        checkedString(expected: "auto, off, or an absolute path (starting with \"/\")") { text in
            let lowered = trimmed(text).lowercased()
            if lowered == "auto" || lowered == "off" { return lowered }
            return text.hasPrefix("/") ? text : nil
        }
    }

    /// A string kind whose `accept` returns the value to store, or nil to reject the text.
    private static func checkedString(expected: String, accept: @escaping @Sendable (String) -> String?) -> ValueKind<String> {
        @Sendable func check(_ text: String, shown: String) throws(InvalidValue) -> String {
            guard let value = accept(text) else { throw InvalidValue(shown: shown) }
            return value
        }
        return ValueKind(
            expectedInFile: expected,
            expectedAsText: expected,
            fromTOML: { value throws(InvalidValue) in
                guard let text = value.string else { throw InvalidValue(shown: tomlLiteral(value)) }
                return try check(text, shown: tomlLiteral(value))
            },
            fromText: { text throws(InvalidValue) in try check(text, shown: DisplayValue.string(text).toml) },
            display: { .string($0) }
        )
    }
}

extension ValueKind where Value: RawRepresentable & CaseIterable, Value.RawValue == String {
    /// One of the enum's raw values, matched case-insensitively.
    static var choice: ValueKind<Value> {
        @Sendable func match(_ text: String, shown: String) throws(InvalidValue) -> Value {
            let wanted = trimmed(text).lowercased()
            guard let found = Value.allCases.first(where: { $0.rawValue == wanted }) else {
                throw InvalidValue(shown: shown)
            }
            return found
        }
        let expected = "one of " + Value.allCases.map(\.rawValue).joined(separator: ", ")
        return ValueKind(
            expectedInFile: expected,
            expectedAsText: expected,
            fromTOML: { value throws(InvalidValue) in
                guard let text = value.string else { throw InvalidValue(shown: tomlLiteral(value)) }
                return try match(text, shown: tomlLiteral(value))
            },
            fromText: { text throws(InvalidValue) in try match(text, shown: DisplayValue.string(text).toml) },
            display: { .string($0.rawValue) }
        )
    }
}

extension ValueKind where Value == Double {
    /// A finite number `n` with `lower < n <= upper`; integers are accepted.
    static func number(above lower: Double, atMost upper: Double) -> ValueKind<Double> {
        @Sendable func check(_ number: Double, shown: String) throws(InvalidValue) -> Double {
            guard number.isFinite, number > lower, number <= upper else { throw InvalidValue(shown: shown) }
            return number
        }
        let expected = "a number greater than \(formatNumber(lower)) and at most \(formatNumber(upper))"
        return ValueKind(
            expectedInFile: expected,
            expectedAsText: expected,
            fromTOML: { value throws(InvalidValue) in
                let shown = tomlLiteral(value)
                if let int = value.int { return try check(Double(int), shown: shown) }
                guard let double = value.double else { throw InvalidValue(shown: shown) }
                return try check(double, shown: shown)
            },
            fromText: { text throws(InvalidValue) in
                let shown = DisplayValue.string(text).toml
                // Decimal notation only: Double(String) would also take "0x10", "inf" and "nan".
                let digits = trimmed(text)
                guard digits.allSatisfy({ "0123456789.+-eE".contains($0) }), let number = Double(digits) else {
                    throw InvalidValue(shown: shown)
                }
                return try check(number, shown: shown)
            },
            display: { .number(formatNumber($0)) }
        )
    }
}

extension ValueKind where Value == Int {
    /// An integer within `range`. Floats are rejected, even integral ones.
    static func integer(_ range: ClosedRange<Int>) -> ValueKind<Int> {
        @Sendable func check(_ number: Int, shown: String) throws(InvalidValue) -> Int {
            guard range.contains(number) else { throw InvalidValue(shown: shown) }
            return number
        }
        let expected = "an integer from \(range.lowerBound) to \(range.upperBound)"
        return ValueKind(
            expectedInFile: expected,
            expectedAsText: expected,
            fromTOML: { value throws(InvalidValue) in
                guard let int = value.int else { throw InvalidValue(shown: tomlLiteral(value)) }
                return try check(int, shown: tomlLiteral(value))
            },
            fromText: { text throws(InvalidValue) in
                let shown = DisplayValue.string(text).toml
                guard let int = Int(trimmed(text)) else { throw InvalidValue(shown: shown) }
                return try check(int, shown: shown)
            },
            display: { .number(String($0)) }
        )
    }

    /// A process id: an integer from 1 to the largest `pid_t`.
    static var processID: ValueKind<Int> { integer(1...Int(Int32.max)) }
}

extension ValueKind {
    /// A TOML array of `element` values; as text, a comma-separated list
    /// (blank entries are skipped, so an empty string is an empty list).
    ///
    /// `noun` describes the elements in messages, e.g. "absolute paths".
    static func list<Element: Sendable>(of element: ValueKind<Element>, noun: String) -> ValueKind<[Element]>
    where Value == [Element] {
        ValueKind<[Element]>(
            expectedInFile: "an array of \(noun)",
            expectedAsText: "a comma-separated list of \(noun)",
            fromTOML: { value throws(InvalidValue) in
                guard let array = value.array else { throw InvalidValue(shown: tomlLiteral(value)) }
                var result: [Element] = []
                for item in array { result.append(try element.fromTOML(item)) }
                return result
            },
            fromText: { text throws(InvalidValue) in
                var result: [Element] = []
                for item in text.split(separator: ",", omittingEmptySubsequences: false) {
                    let entry = trimmed(String(item))
                    if entry.isEmpty { continue }
                    result.append(try element.fromText(entry))
                }
                return result
            },
            display: { .list($0.map(element.display)) }
        )
    }
}

/// `text` without leading and trailing spaces, tabs and newlines.
func trimmed(_ text: String) -> String {
    let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
    guard let first = text.firstIndex(where: { !isBlank($0) }),
          let last = text.lastIndex(where: { !isBlank($0) }) else { return "" }
    return String(text[first...last])
}

/// A number without a needless ".0": 5 → "5", 2.5 → "2.5".
func formatNumber(_ number: Double) -> String {
    if number.isFinite, number == number.rounded(), abs(number) < 1e15 { return String(Int(number)) }
    return String(number)
}
