import COverseerSys
import Foundation

/// How the program on the other side of a PTY has set up its terminal, read from the PTY
/// itself (a master reports its slave's termios and foreground group): the ground truth for
/// "has the program taken the terminal yet".
public struct LineDiscipline: Sendable, Equatable {
    /// ICANON: the kernel edits lines (cooked mode) and echoes them when `echo` is set.
    public var canonical: Bool
    public var echo: Bool
    /// The terminal's foreground process group (0 when none).
    public var foregroundGroup: Int32

    public init(canonical: Bool, echo: Bool, foregroundGroup: Int32) {
        self.canonical = canonical
        self.echo = echo
        self.foregroundGroup = foregroundGroup
    }

    /// The program has switched off the kernel's line editing or echo (raw or cbreak mode):
    /// it reads and draws its input itself.
    public var leftCookedMode: Bool { !canonical || !echo }

    /// Reads the discipline of the PTY behind `fd`; nil when it cannot be read (closed).
    public static func read(fd: Int32) -> LineDiscipline? {
        var flags: Int32 = 0
        var foreground: Int32 = 0
        guard ov_pty_line_discipline(fd, &flags, &foreground) == 0 else { return nil }
        return LineDiscipline(canonical: flags & 1 != 0, echo: flags & 2 != 0, foregroundGroup: foreground)
    }

    /// True when the foreground group's leader is blocked in `read()` of its standard input
    /// and that input is a pseudo-terminal: it waits for a line (as `cat`, `read`, or a REPL
    /// in cooked mode do). From `/proc/PID/syscall` (the syscall number and arguments of a
    /// blocked task); false when that cannot be read.
    public var foregroundReadsTerminal: Bool {
        guard foregroundGroup > 0 else { return false }
        return Self.blockedReadingTerminal(pid: foregroundGroup)
    }

    #if arch(x86_64)
    static let readSyscall = "0"
    #elseif arch(arm64)
    static let readSyscall = "63"
    #else
    static let readSyscall = ""
    #endif

    static func blockedReadingTerminal(pid: Int32) -> Bool {
        guard !readSyscall.isEmpty,
              let data = FileManager.default.contents(atPath: "/proc/\(pid)/syscall"),
              let text = String(data: data, encoding: .utf8) else { return false }
        let fields = text.split(separator: " ", maxSplits: 2)
        guard fields.count >= 2, fields[0] == readSyscall, fields[1] == "0x0" else { return false }
        let input = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/0")) ?? ""
        return input.hasPrefix("/dev/pts/")
    }
}
