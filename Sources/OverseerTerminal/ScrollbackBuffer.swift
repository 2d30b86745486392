/// Lines that scrolled off the top of the main screen, as UTF-8 text, oldest dropped beyond
/// `capacity`. One byte array and one offset per line: no allocation per line.
struct ScrollbackBuffer {
    let capacity: Int
    private var bytes: [UInt8] = []
    /// End offset in `bytes` of each stored line (dropped ones included until compaction).
    private var ends: [Int32] = []
    /// Index in `ends` of the oldest kept line.
    private var first = 0

    init(capacity: Int) {
        self.capacity = max(0, capacity)
    }

    var count: Int { ends.count - first }

    /// Bytes held, for memory accounting.
    var storedBytes: Int { bytes.capacity + ends.capacity * MemoryLayout<Int32>.stride }

    mutating func append(_ line: UnsafeBufferPointer<UInt8>) {
        guard capacity > 0 else { return }
        bytes.append(contentsOf: line)
        ends.append(Int32(bytes.count))
        if count > capacity { first += 1 }
        if first >= 64 && first * 2 >= ends.count { compact() }
    }

    /// Up to `n` of the newest lines, oldest first.
    func last(_ n: Int) -> [String] {
        let take = min(max(n, 0), count)
        return (ends.count - take..<ends.count).map(line(at:))
    }

    /// Removes and returns every stored line, oldest first.
    mutating func removeAll() -> [String] {
        let lines = last(count)
        bytes.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
        first = 0
        return lines
    }

    private func line(at index: Int) -> String {
        let start = index == 0 ? 0 : Int(ends[index - 1])
        return String(decoding: bytes[start..<Int(ends[index])], as: UTF8.self)
    }

    private mutating func compact() {
        let dropBytes = Int(ends[first - 1])
        bytes.removeFirst(dropBytes)
        ends.removeFirst(first)
        for index in ends.indices { ends[index] -= Int32(dropBytes) }
        first = 0
    }
}
