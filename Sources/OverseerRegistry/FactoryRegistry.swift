import Foundation

/// Which kind of registry some bytes hold.
public enum RegistryFormat: String, Sendable, Equatable {
    /// Overseer's own (has a top-level `version`).
    case overseer
    /// The factory-sdk in-flight registry (no `version`; `agents` entries with `name`/`pids`).
    case factory
    case unknown

    /// Classifies without decoding fully: a JSON object with a `version` key is `.overseer`;
    /// one without it whose `agents` is an array of objects each carrying `name` or `pids`
    /// (and, when that array is empty, a top-level `pid`, `updatedAtMs`, `updatedAt` or
    /// `heartbeatPath`) is `.factory`; anything else is `.unknown`.
    public static func detect(_ data: [UInt8]) -> RegistryFormat {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(data))) as? [String: Any] else { return .unknown }
        if object["version"] != nil { return .overseer }
        guard let agents = object["agents"] as? [Any] else { return .unknown }
        let shaped = agents.allSatisfy { element in
            guard let agent = element as? [String: Any] else { return false }
            return agent["name"] is String || agent["pids"] is [Any]
        }
        guard shaped else { return .unknown }
        if agents.isEmpty && !["pid", "updatedAtMs", "updatedAt", "heartbeatPath"].contains(where: { object[$0] != nil }) {
            return .unknown
        }
        return .factory
    }
}

/// A factory-sdk in-flight registry (read-only: Overseer never writes it). Decoding is
/// tolerant: unknown keys are ignored, optional fields of the wrong type read as absent.
/// Pids must be positive integers that fit a pid (numbers or numeric strings), or the file
/// is corrupt.
public struct FactoryRegistry: Codable, Sendable, Equatable {
    /// The orchestrator's pid.
    public var pid: Int32?
    /// Its heartbeat file, if it keeps one.
    public var heartbeatPath: String?
    public var updatedAt: FactoryTimestamp?
    public var updatedAtMs: Int64?
    public var agents: [FactoryAgent]

    public init(pid: Int32? = nil, heartbeatPath: String? = nil, updatedAt: FactoryTimestamp? = nil, updatedAtMs: Int64? = nil, agents: [FactoryAgent] = []) {
        self.pid = pid
        self.heartbeatPath = heartbeatPath
        self.updatedAt = updatedAt
        self.updatedAtMs = updatedAtMs
        self.agents = agents
    }

    enum CodingKeys: String, CodingKey { case pid, heartbeatPath, updatedAt, updatedAtMs, agents }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        pid = try container.decodePID(.pid)
        heartbeatPath = container.lenient(String.self, .heartbeatPath)
        updatedAt = container.lenient(FactoryTimestamp.self, .updatedAt)
        updatedAtMs = container.lenientInteger(.updatedAtMs)
        agents = try container.decodeIfPresent([FactoryAgent].self, forKey: .agents) ?? []
    }

    /// Decodes without side effects (throws `DecodingError`).
    public static func parse(_ bytes: [UInt8]) throws -> FactoryRegistry {
        try JSONDecoder().decode(FactoryRegistry.self, from: Data(bytes))
    }

    /// Decodes bytes read (trusted) from `path`. When they do not decode, the file is re-read
    /// under the trust checks: a fresh copy that decodes is returned (the writer was caught
    /// mid-write); one that stays the same and undecodable is moved aside (`.corrupt`), or with
    /// `movingCorruptAside` false left in place (`.corruptLeftInPlace`).
    public static func decode(_ bytes: [UInt8], path: String, movingCorruptAside: Bool = true) throws(RegistryError) -> FactoryRegistry {
        if let registry = try? parse(bytes) { return registry }
        guard let registry = try RegistryStore(path: path).loadFactory(movingCorruptAside: movingCorruptAside) else {
            throw .io(path: path, "re-read", .noSuchFileOrDirectory)
        }
        return registry
    }
}

/// One agent in a factory registry.
public struct FactoryAgent: Codable, Sendable, Equatable {
    public var name: String
    public var role: String?
    public var issue: IssueRef?
    public var sessionRef: String?
    /// Bare pids (no identity: checked against the agent's name before any signal).
    public var pids: [Int32]?
    public var processes: [FactoryProcess]?

    public init(name: String, role: String? = nil, issue: IssueRef? = nil, sessionRef: String? = nil, pids: [Int32]? = nil, processes: [FactoryProcess]? = nil) {
        self.name = name
        self.role = role
        self.issue = issue
        self.sessionRef = sessionRef
        self.pids = pids
        self.processes = processes
    }

    enum CodingKeys: String, CodingKey { case name, role, issue, sessionRef, pids, processes }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        role = container.lenient(String.self, .role)
        issue = container.lenient(IssueRef.self, .issue) ?? container.lenient(String.self, .issue).map { IssueRef(key: $0) }
        sessionRef = container.lenient(String.self, .sessionRef)
        if let raw = try container.decodeIfPresent([FlexibleInteger].self, forKey: .pids) {
            pids = try raw.map { value in try FlexibleInteger.pid(value.value, key: CodingKeys.pids, in: container) }
        } else {
            pids = nil
        }
        processes = try container.decodeIfPresent([FactoryProcess].self, forKey: .processes)
    }
}

/// One process of a factory agent; `startTime` is the `ps -o lstart=` text (see `LStart`).
public struct FactoryProcess: Codable, Sendable, Equatable {
    public var pid: Int32
    public var agentName: String?
    public var cmdline: FactoryCommandLine?
    public var startTime: String?

    public init(pid: Int32, agentName: String? = nil, cmdline: FactoryCommandLine? = nil, startTime: String? = nil) {
        self.pid = pid
        self.agentName = agentName
        self.cmdline = cmdline
        self.startTime = startTime
    }

    enum CodingKeys: String, CodingKey { case pid, agentName, cmdline, startTime }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        guard let pid = try container.decodePID(.pid) else {
            throw DecodingError.keyNotFound(CodingKeys.pid, .init(codingPath: container.codingPath, debugDescription: "process without a pid"))
        }
        self.pid = pid
        agentName = container.lenient(String.self, .agentName)
        cmdline = container.lenient(FactoryCommandLine.self, .cmdline)
        startTime = container.lenient(String.self, .startTime)
    }
}

/// A factory-sdk heartbeat file: `{pid, status: running|idle|stopping, updatedAtMs, ...}`.
public struct FactoryHeartbeat: Codable, Sendable, Equatable {
    public enum Status: String, Sendable { case running, idle, stopping }

    public var pid: Int32?
    /// As written (`running`, `idle`, `stopping`, or anything newer).
    public var status: String?
    public var updatedAtMs: Int64?

    public init(pid: Int32? = nil, status: String? = nil, updatedAtMs: Int64? = nil) {
        self.pid = pid
        self.status = status
        self.updatedAtMs = updatedAtMs
    }

    enum CodingKeys: String, CodingKey { case pid, status, updatedAtMs }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        pid = try container.decodePID(.pid)
        status = container.lenient(String.self, .status)
        updatedAtMs = container.lenientInteger(.updatedAtMs)
    }

    /// The status when it is one of the known ones.
    public var state: Status? { status.flatMap(Status.init(rawValue:)) }

    /// Decodes a heartbeat file's bytes (throws `DecodingError`).
    public static func decode(_ bytes: [UInt8]) throws -> FactoryHeartbeat {
        try JSONDecoder().decode(FactoryHeartbeat.self, from: Data(bytes))
    }
}

extension RegistryStore {
    /// The factory-sdk registry at `path` under the same trust checks as `load()`; nil when
    /// missing. An undecodable file is moved aside (`.corrupt`) once two reads agree on its
    /// bytes (unless `movingCorruptAside` is false); an Overseer registry is refused with
    /// `.wrongFormat` and left in place.
    public func loadFactory(movingCorruptAside: Bool = true) throws(RegistryError) -> FactoryRegistry? {
        try loadValidated(movingCorruptAside: movingCorruptAside) { bytes in
            if RegistryFormat.detect(bytes) == .overseer { return .refuse(.wrongFormat(path: path, found: .overseer)) }
            do {
                return .parsed(try FactoryRegistry.parse(bytes))
            } catch let error as DecodingError {
                return .corrupt(Self.describe(error))
            } catch {
                return .corrupt("\(error)")
            }
        }
    }
}
