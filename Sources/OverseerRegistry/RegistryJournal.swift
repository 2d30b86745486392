import Foundation

/// One line of the registry journal (`<registry>.journal`): one JSON object per line.
///
/// The journal holds the commits made since the snapshot (`registry.json`) was last written,
/// so a mutation writes what changed, not the whole registry. Its first line names the
/// snapshot it continues (`{"journal":"TOKEN"}`, the snapshot's `journal` member); a journal
/// naming another token is stale (a compaction wrote a newer snapshot) and is ignored. Each
/// later line is one commit, applied whole:
/// `{"remove":["ID",...],"put":[ENTRY,...],"supervisor":RECORD,"updated_at":T}` (members
/// optional): the entries with those ids are gone, each put entry replaces the entry with its
/// id (or is added), and the supervisor record and `updated_at` are the writer's.
///
/// Replaying the commits in order over the snapshot gives the registry. A line not ended by a
/// newline was torn by a crash mid-append and is ignored (its write never completed, so the
/// writer never reported it done); a complete line that does not parse makes the journal corrupt.
struct JournalRecord: Codable, Equatable {
    var journal: String?
    var remove: [String]?
    var put: [RegistryEntry]?
    var supervisor: SupervisorRecord?
    var updatedAt: Double?

    enum CodingKeys: String, CodingKey {
        case journal, remove, put, supervisor
        case updatedAt = "updated_at"
    }

    static func header(_ token: String) -> JournalRecord { JournalRecord(journal: token) }

    /// True for a line that changes the registry (not a header, not empty).
    var isChange: Bool { journal == nil && (put != nil || remove != nil || supervisor != nil || updatedAt != nil) }
}

/// A parsed journal: its commits after the header, and how many bytes of the file they span
/// (a torn last line lies beyond `validLength`).
struct ParsedJournal: Equatable {
    var token: String
    var records: [JournalRecord]
    var validLength: Int
}

enum RegistryJournal {
    /// Parses journal bytes. `.corrupt` for a missing header or a complete line that is not a
    /// record. A journal whose header names another token than `expecting` is stale: only its
    /// header is read.
    static func parse(_ bytes: [UInt8], expecting: String? = nil) -> ParseOutcome<ParsedJournal> {
        let decoder = JSONDecoder()
        var records: [JournalRecord] = []
        var token: String?
        var start = 0
        var line = 1
        while start < bytes.count {
            guard let newline = bytes[start...].firstIndex(of: 0x0A) else { break } // torn tail
            let record: JournalRecord
            do {
                record = try decoder.decode(JournalRecord.self, from: Data(bytes[start..<newline]))
            } catch let error as DecodingError {
                return .corrupt("journal line \(line): \(RegistryStore.describe(error))")
            } catch {
                return .corrupt("journal line \(line): \(error)")
            }
            if token == nil {
                guard let header = record.journal else { return .corrupt("journal line 1 is not a {\"journal\": TOKEN} header") }
                token = header
                if let expecting, header != expecting {
                    return .parsed(ParsedJournal(token: header, records: [], validLength: 0))
                }
            } else {
                guard record.isChange else { return .corrupt("journal line \(line) holds no change") }
                records.append(record)
            }
            start = newline + 1
            line += 1
        }
        guard let token else {
            // Empty, or only a torn header: nothing was ever committed to it.
            return .parsed(ParsedJournal(token: "", records: [], validLength: 0))
        }
        return .parsed(ParsedJournal(token: token, records: records, validLength: start))
    }

    /// Applies `records` to `document` in order.
    static func replay(_ records: [JournalRecord], onto document: inout RegistryDocument) {
        for record in records {
            if let ids = record.remove, !ids.isEmpty {
                let gone = Set(ids)
                document.agents.removeAll { gone.contains($0.id) }
            }
            if let entries = record.put, !entries.isEmpty {
                var index = Dictionary(document.agents.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { first, _ in first })
                for entry in entries {
                    if let at = index[entry.id] {
                        document.agents[at] = entry
                    } else {
                        index[entry.id] = document.agents.count
                        document.agents.append(entry)
                    }
                }
            }
            if let supervisor = record.supervisor { document.supervisor = supervisor }
            if let updatedAt = record.updatedAt { document.updatedAt = updatedAt }
        }
    }

    /// What turns one document into another, as a journal line can say it.
    enum Change: Equatable {
        case unchanged
        case record(JournalRecord)
        /// Ids repeat in one of the documents: replaying by id cannot reproduce it.
        case needsSnapshot
    }

    /// The commit that turns `old` into `new` (entries compared by id): removes for the
    /// entries gone, puts for those added or changed, and the supervisor record and
    /// `updated_at` when they changed. Replaying it over `old` gives `new` up to the order of
    /// entries (a put of a new id goes last).
    static func changes(from old: RegistryDocument, to new: RegistryDocument) -> Change {
        var before: [String: Int] = [:]
        before.reserveCapacity(old.agents.count)
        for (index, entry) in old.agents.enumerated() where before.updateValue(index, forKey: entry.id) != nil {
            return .needsSnapshot
        }
        var record = JournalRecord()
        var seen = Set<String>(minimumCapacity: new.agents.count)
        var put: [RegistryEntry] = []
        for entry in new.agents {
            guard seen.insert(entry.id).inserted else { return .needsSnapshot }
            if let index = before[entry.id], old.agents[index] == entry { continue }
            put.append(entry)
        }
        let removed = old.agents.lazy.map(\.id).filter { !seen.contains($0) }
        if !removed.isEmpty { record.remove = Array(removed) }
        if !put.isEmpty { record.put = put }
        if new.supervisor != old.supervisor || new.updatedAt != old.updatedAt {
            record.supervisor = new.supervisor
            record.updatedAt = new.updatedAt
        }
        return record.isChange ? .record(record) : .unchanged
    }

    /// The lines for `records`, each ended by a newline (compact JSON, sorted keys).
    static func encode(_ records: [JournalRecord]) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var bytes: [UInt8] = []
        for record in records {
            bytes += try encoder.encode(record)
            bytes.append(0x0A)
        }
        return bytes
    }
}
