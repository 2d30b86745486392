import Foundation

/// A factory process's command line, written either as one string or as argv.
public enum FactoryCommandLine: Codable, Sendable, Equatable {
    case text(String)
    case argv([String])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            self = .text(text)
        } else {
            self = .argv(try container.decode([String].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .text(let text): try container.encode(text)
        case .argv(let argv): try container.encode(argv)
        }
    }

    /// The words (a string form is split on whitespace; quoting is not interpreted).
    public var arguments: [String] {
        switch self {
        case .text(let text): text.split(whereSeparator: \.isWhitespace).map(String.init)
        case .argv(let argv): argv
        }
    }
}

/// A factory `updatedAt`: an ISO 8601 string, or a number (epoch seconds, or milliseconds
/// when larger than 10^11).
public enum FactoryTimestamp: Codable, Sendable, Equatable {
    case text(String)
    case number(Double)

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else {
            self = .text(try container.decode(String.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .text(let text): try container.encode(text)
        case .number(let number): try container.encode(number)
        }
    }

    /// Epoch seconds; nil for text that is not ISO 8601 (with or without fractional seconds).
    public var epochSeconds: Double? {
        switch self {
        case .number(let number):
            return number > 1e11 ? number / 1000 : number
        case .text(let text):
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            if let number = Double(trimmed) { return FactoryTimestamp.number(number).epochSeconds }
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            if let date = formatter.date(from: trimmed) { return date.timeIntervalSince1970 }
            formatter.formatOptions = [.withInternetDateTime]
            return formatter.date(from: trimmed)?.timeIntervalSince1970
        }
    }
}

/// An integer written as a JSON integer, an integral float, or a numeric string.
struct FlexibleInteger: Decodable {
    var value: Int64

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let integer = try? container.decode(Int64.self) {
            value = integer
        } else if let double = try? container.decode(Double.self), let integer = Int64(exactly: double) {
            value = integer
        } else if let text = try? container.decode(String.self), let integer = Int64(text.trimmingCharacters(in: .whitespaces)) {
            value = integer
        } else {
            throw DecodingError.typeMismatch(Int64.self, .init(codingPath: decoder.codingPath, debugDescription: "not an integer"))
        }
    }

    /// A value usable as a pid: 1 through Int32.max.
    static func pid<K: CodingKey>(_ value: Int64, key: K, in container: KeyedDecodingContainer<K>) throws -> Int32 {
        guard value > 0, let pid = Int32(exactly: value) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "pid \(value) is not a valid pid")
        }
        return pid
    }
}

extension KeyedDecodingContainer {
    /// The value, or nil when absent, null or of another type.
    func lenient<T: Decodable>(_ type: T.Type, _ key: Key) -> T? {
        (try? decodeIfPresent(type, forKey: key)) ?? nil
    }

    /// An integer (see `FlexibleInteger`), or nil when absent, null or not an integer.
    func lenientInteger(_ key: Key) -> Int64? {
        lenient(FlexibleInteger.self, key)?.value
    }

    /// A pid: nil when absent or null; an error when present but not a valid pid.
    func decodePID(_ key: Key) throws -> Int32? {
        guard let raw = try decodeIfPresent(FlexibleInteger.self, forKey: key) else { return nil }
        return try FlexibleInteger.pid(raw.value, key: key, in: self)
    }
}
