import Foundation
import OverseerProcess

/// The `ps -o lstart=` text factory-sdk records as a process's start time:
/// `%a %b %e %H:%M:%S %Y` in the C locale and local time, e.g. `Mon Jun  8 12:00:00 2026`
/// (one-second resolution; ps truncates the fraction).
public enum LStart {
    static let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// Local wall-clock fields of an lstart text.
    struct Fields: Equatable {
        var year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int

        /// Seconds since 1970-01-01 00:00:00 reading the fields as if they were UTC, so two
        /// local times compare without converting (and without DST ambiguity).
        var naiveSeconds: Int {
            let y = month <= 2 ? year - 1 : year
            let era = (y >= 0 ? y : y - 399) / 400
            let yearOfEra = y - era * 400
            let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
            let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
            let days = era * 146_097 + dayOfEra - 719_468
            return days * 86_400 + hour * 3_600 + minute * 60 + second
        }
    }

    /// The text ps prints for a process that started at `epochSeconds` (fraction truncated).
    public static func format(epochSeconds: Double, timeZone: TimeZone = .current) -> String {
        let date = Date(timeIntervalSince1970: epochSeconds.rounded(.down))
        let parts = calendar(timeZone).dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
        func two(_ value: Int?) -> String { let v = value ?? 0; return v < 10 ? "0\(v)" : "\(v)" }
        let day = parts.day ?? 0
        return "\(weekdays[((parts.weekday ?? 1) - 1) % 7]) \(months[((parts.month ?? 1) - 1) % 12]) "
            + (day < 10 ? " \(day)" : "\(day)")
            + " \(two(parts.hour)):\(two(parts.minute)):\(two(parts.second)) \(parts.year ?? 0)"
    }

    /// Epoch seconds of an lstart text read in `timeZone`; nil when it is not one. Any run of
    /// whitespace separates fields; the weekday may be omitted and is not checked; names are
    /// case-insensitive.
    public static func parse(_ text: String, timeZone: TimeZone = .current) -> Double? {
        guard let fields = fields(text) else { return nil }
        var components = DateComponents()
        components.year = fields.year
        components.month = fields.month
        components.day = fields.day
        components.hour = fields.hour
        components.minute = fields.minute
        components.second = fields.second
        return calendar(timeZone).date(from: components)?.timeIntervalSince1970
    }

    /// Whether `lstart` (read in `timeZone`) names the start of a process whose stat start
    /// time is `startTime` clock ticks since boot, within `toleranceSeconds`. Compared as
    /// local wall-clock times, so an hour repeated by a DST change still matches.
    public static func matches(_ lstart: String, startTime: UInt64, toleranceSeconds: Double = 1, timeZone: TimeZone = .current) -> Bool {
        guard let recorded = fields(lstart) else { return false }
        let epoch = BootClock.epochSeconds(startTime: startTime)
        let whole = epoch.rounded(.down)
        let parts = calendar(timeZone).dateComponents([.year, .month, .day, .hour, .minute, .second], from: Date(timeIntervalSince1970: whole))
        guard let year = parts.year, let month = parts.month, let day = parts.day,
              let hour = parts.hour, let minute = parts.minute, let second = parts.second else { return false }
        let actual = Fields(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        let difference = Double(actual.naiveSeconds - recorded.naiveSeconds) + (epoch - whole)
        return abs(difference) <= toleranceSeconds
    }

    /// The fields of an lstart text, validated (no 31 June, no 25:00:00).
    static func fields(_ text: String) -> Fields? {
        var tokens = text.split(whereSeparator: \.isWhitespace).map { $0.lowercased() }
        if tokens.count == 5 {
            guard weekdays.contains(where: { $0.lowercased() == tokens[0] }) else { return nil }
            tokens.removeFirst()
        }
        guard tokens.count == 4,
              let monthIndex = months.firstIndex(where: { $0.lowercased() == tokens[0] }),
              let day = Int(tokens[1]), let year = Int(tokens[3]), (1...9999).contains(year) else { return nil }
        let clock = tokens[2].split(separator: ":", omittingEmptySubsequences: false)
        guard clock.count == 3, clock.allSatisfy({ (1...2).contains($0.count) }),
              let hour = Int(clock[0]), let minute = Int(clock[1]), let second = Int(clock[2]),
              (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second) else { return nil }
        let month = monthIndex + 1
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let lengths = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard (1...lengths[monthIndex]).contains(day) else { return nil }
        return Fields(year: year, month: month, day: day, hour: hour, minute: minute, second: min(second, 59))
    }

    static func calendar(_ timeZone: TimeZone) -> Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        calendar.locale = Locale(identifier: "en_US_POSIX")
        return calendar
    }
}
