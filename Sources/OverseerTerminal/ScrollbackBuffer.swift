/// Lines that scrolled off the top of the main screen, as UTF-8 text, oldest dropped beyond
/// `capacity`. One circular byte buffer and one length per line: no allocation per line, and
/// storage that grows only to what the kept lines need (plus a quarter).
struct ScrollbackBuffer {
    let capacity: Int
    private var storage: [UInt8] = []
    /// Offset in `storage` of the oldest kept line's first byte, and bytes kept from there on.
    private var head = 0
    private var used = 0
    /// Length of each kept line, circular from `firstLine` once `capacity` lines are held.
    private var lengths: [Int32] = []
    private var firstLine = 0
    private(set) var count = 0

    init(capacity: Int) {
        self.capacity = max(0, capacity)
    }

    mutating func append(_ line: UnsafeBufferPointer<UInt8>) {
        guard capacity > 0 else { return }
        if count == capacity { dropOldest() }
        if storage.count - used < line.count { grow(toFit: line.count) }
        if !line.isEmpty, let source = line.baseAddress {
            let at = (head + used) % storage.count
            storage.withUnsafeMutableBufferPointer { destination in
                let first = min(line.count, destination.count - at)
                (destination.baseAddress! + at).update(from: source, count: first)
                destination.baseAddress!.update(from: source + first, count: line.count - first)
            }
        }
        used += line.count
        if lengths.count < capacity {
            lengths.append(Int32(line.count))
        } else {
            lengths[(firstLine + count) % capacity] = Int32(line.count)
        }
        count += 1
    }

    /// Up to `n` of the newest lines, oldest first.
    func last(_ n: Int) -> [String] {
        let take = min(max(n, 0), count)
        var lines: [String] = []
        lines.reserveCapacity(take)
        var end = head + used
        for index in stride(from: count - 1, through: count - take, by: -1) {
            let length = Int(lengths[(firstLine + index) % lengths.count])
            lines.append(text(from: end - length, length: length))
            end -= length
        }
        return lines.reversed()
    }

    /// Removes and returns every stored line, oldest first (storage is kept for reuse).
    mutating func removeAll() -> [String] {
        let lines = last(count)
        head = 0
        used = 0
        lengths.removeAll(keepingCapacity: true)
        firstLine = 0
        count = 0
        return lines
    }

    private func text(from start: Int, length: Int) -> String {
        let start = start % max(storage.count, 1)
        if start + length <= storage.count {
            return String(decoding: storage[start..<start + length], as: UTF8.self)
        }
        return String(decoding: storage[start...] + storage[..<(start + length - storage.count)], as: UTF8.self)
    }

    private mutating func dropOldest() {
        let length = Int(lengths[firstLine])
        head = (head + length) % max(storage.count, 1)
        used -= length
        firstLine = (firstLine + 1) % capacity
        count -= 1
    }

    /// Lays the kept bytes out from offset 0 in a larger buffer.
    private mutating func grow(toFit extra: Int) {
        var grown = [UInt8](repeating: 0, count: max(4096, (used + extra) * 5 / 4))
        for offset in 0..<used { grown[offset] = storage[(head + offset) % storage.count] }
        storage = grown
        head = 0
    }
}
