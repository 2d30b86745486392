/// A process's scheduling state (field 3 of /proc/PID/stat).
public enum ProcessState: String, Codable, Sendable {
    case running = "R", sleeping = "S", diskSleep = "D", zombie = "Z", stopped = "T"
    case tracingStop = "t", dead = "X", idle = "I", wakeKill = "K", waking = "W", parked = "P"
    case unknown = "?"

    init(byte: UInt8) {
        self = ProcessState(rawValue: String(UnicodeScalar(byte))) ?? (byte == UInt8(ascii: "x") ? .dead : .unknown)
    }

    /// True for states in which the process has exited and only awaits reaping.
    public var isExited: Bool { self == .zombie || self == .dead }
}

/// The fields Overseer uses from /proc/PID/stat.
///
/// The command name (`comm`) sits in parentheses and may itself contain spaces, parentheses
/// and newlines, so the line is split at the **last** `)`: everything after it is numeric.
public struct ProcStat: Sendable, Equatable {
    public var pid: Int32
    public var comm: String
    public var state: ProcessState
    public var ppid: Int32
    public var pgid: Int32
    public var sid: Int32
    /// Controlling terminal device number (0: none).
    public var ttyNr: Int32
    /// Start time in clock ticks since boot (field 22).
    public var startTime: UInt64
    /// Effective uid (owner of the /proc/PID/stat file).
    public var uid: UInt32
    /// The kernel's per-task flags (field 9, `PF_*`).
    public var flags: UInt32

    /// `PF_KTHREAD`: the task is a kernel thread (kthreadd included).
    public static let kernelThreadFlag: UInt32 = 0x0020_0000

    /// Whether this is a kernel thread, by the kernel's own flag (never by name: any process
    /// can call itself `kworker/0:1`). Kernel threads and kthreadd are never signalled.
    public var isKernelThread: Bool { flags & Self.kernelThreadFlag != 0 }

    public init(pid: Int32, comm: String, state: ProcessState, ppid: Int32, pgid: Int32, sid: Int32, ttyNr: Int32, startTime: UInt64, uid: UInt32, flags: UInt32 = 0) {
        self.flags = flags
        self.pid = pid
        self.comm = comm
        self.state = state
        self.ppid = ppid
        self.pgid = pgid
        self.sid = sid
        self.ttyNr = ttyNr
        self.startTime = startTime
        self.uid = uid
    }

    /// Whether `pid` exists now and has not exited (zombies count as exited, except a zombie
    /// leader whose other threads still run).
    public static func isRunning(pid: Int32) -> Bool {
        guard let stat = try? read(pid: pid) else { return false }
        return !stat.state.isExited || ThreadGroup.presenceOfExitedLeader(pid: pid) == .alive
    }

    /// Reads /proc/PID/stat now.
    public static func read(pid: Int32) throws(ProcError) -> ProcStat {
        let path = "/proc/\(pid)/stat"
        var uid: UInt32 = 0
        let bytes = try ProcFile.readBytes(path, ownerUID: &uid)
        guard var stat = parse(bytes) else { throw .malformed(path: path, reason: "unparseable stat line") }
        stat.uid = uid
        return stat
    }

    /// Parses the text of a stat file. Returns nil when it does not have the expected shape.
    public static func parse(_ bytes: [UInt8]) -> ProcStat? {
        guard let open = bytes.firstIndex(of: UInt8(ascii: "(")),
              let close = bytes.lastIndex(of: UInt8(ascii: ")")),
              close > open else { return nil }
        guard let pid = Int32(exactly: parseDecimal(bytes[..<open])) else { return nil }
        let comm = String(decoding: bytes[(open + 1)..<close], as: UTF8.self)

        // Fields after ") ": field 3 (state) is index 0.
        var fields: [(Int, Int)] = []
        fields.reserveCapacity(20)
        var index = close + 1
        let end = bytes.count
        while index < end && fields.count < 20 {
            while index < end && (bytes[index] == 0x20 || bytes[index] == 0x0A) { index += 1 }
            let start = index
            while index < end && bytes[index] != 0x20 && bytes[index] != 0x0A { index += 1 }
            if index > start { fields.append((start, index)) }
        }
        guard fields.count >= 20 else { return nil }
        func field(_ number: Int) -> ArraySlice<UInt8> {
            let (start, stop) = fields[number - 3]
            return bytes[start..<stop]
        }
        let stateField = field(3)
        guard stateField.count == 1,
              let ppid = Int32(exactly: parseSigned(field(4))),
              let pgid = Int32(exactly: parseSigned(field(5))),
              let sid = Int32(exactly: parseSigned(field(6))),
              let tty = Int32(exactly: parseSigned(field(7))),
              let flags = UInt32(exactly: parseSigned(field(9))),
              let startTime = UInt64(exactly: parseSigned(field(22))) else { return nil }
        return ProcStat(
            pid: pid, comm: comm, state: ProcessState(byte: stateField.first!), ppid: ppid, pgid: pgid,
            sid: sid, ttyNr: tty, startTime: startTime, uid: 0, flags: flags
        )
    }

    private static func parseDecimal(_ slice: ArraySlice<UInt8>) -> Int64 {
        var value: Int64 = 0
        for byte in slice where byte >= 0x30 && byte <= 0x39 {
            value = value &* 10 &+ Int64(byte - 0x30)
        }
        return value
    }

    private static func parseSigned(_ slice: ArraySlice<UInt8>) -> Int64 {
        if slice.first == UInt8(ascii: "-") { return -parseDecimal(slice.dropFirst()) }
        return parseDecimal(slice)
    }
}
