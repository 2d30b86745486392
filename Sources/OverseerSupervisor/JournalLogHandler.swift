import Foundation
import Logging
import OverseerDisplay
#if canImport(Glibc)
import Glibc
#endif

/// Logs one line per event to stderr. When stderr is the journal (JOURNAL_STREAM names it),
/// each line starts with a `<N>` syslog priority so journald files it at the right level;
/// otherwise lines carry a timestamp and level for people.
public struct JournalLogHandler: LogHandler {
    /// The level of this logger: the shared control's unless set on this logger itself.
    public var logLevel: Logger.Level {
        get { ownLevel ?? control.level }
        set { ownLevel = newValue }
    }
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    let label: String
    let toJournal: Bool
    let control: LogLevelControl
    private var ownLevel: Logger.Level?

    public init(label: String, level: Logger.Level, toJournal: Bool = JournalLogHandler.stderrIsJournal()) {
        self.init(label: label, control: LogLevelControl(level), toJournal: toJournal)
    }

    /// A handler whose level follows `control` (the serve command's, changed by a reload).
    public init(label: String, control: LogLevelControl, toJournal: Bool = JournalLogHandler.stderrIsJournal()) {
        self.label = label
        self.control = control
        self.toJournal = toJournal
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        // Names and command lines in a message or a value are the agents' text: escaped, so a
        // line can neither be split in two nor carry escape sequences to whoever reads it.
        let fields = merged.sorted { $0.key < $1.key }.map { "\(TerminalSafe.escape($0.key))=\(Self.quote(TerminalSafe.escape("\($0.value)")))" }.joined(separator: " ")
        let message = TerminalSafe.escape("\(event.message)") + (fields.isEmpty ? "" : " " + fields)
        let line: String
        if toJournal {
            line = "<\(Self.priority(event.level))>\(message)\n"
        } else {
            line = "\(Self.timestamp()) \(event.level) \(label): \(message)\n"
        }
        var bytes = Array(line.utf8)
        bytes.withUnsafeMutableBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(2, raw.baseAddress! + offset, raw.count - offset)
                if n <= 0 { if n < 0 && errno == EINTR { continue }; return }
                offset += n
            }
        }
    }

    /// syslog priority for a level (journald's `<N>` prefix).
    public static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    /// JOURNAL_STREAM is "DEV:INODE" of the journal stream systemd connected; it only counts
    /// when stderr is still that stream.
    public static func stderrIsJournal(environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        guard let value = environment["JOURNAL_STREAM"] else { return false }
        let parts = value.split(separator: ":")
        guard parts.count == 2, let dev = UInt64(parts[0]), let ino = UInt64(parts[1]) else { return false }
        var st = stat()
        guard fstat(2, &st) == 0 else { return false }
        return UInt64(st.st_dev) == dev && UInt64(st.st_ino) == ino
    }

    static func quote(_ value: String) -> String {
        value.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" }) ? "\"\(value.replacingOccurrences(of: "\"", with: "\\\""))\"" : value
    }

    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var t = now.tv_sec
        var parts = tm()
        gmtime_r(&t, &parts)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec, Int(now.tv_nsec / 1_000_000))
    }
}
