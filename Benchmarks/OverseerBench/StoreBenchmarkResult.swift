import Foundation

/// The benchmark's table: for each approach, the median cost of one persisted mutation at
/// each number of pending deliveries, and the ratio of the largest to the smallest.
struct StoreBenchmarkResult: Codable, Sendable, Equatable {
    /// One approach measured at every size.
    struct Row: Codable, Sendable, Equatable {
        /// What was measured.
        var approach: String
        /// Median microseconds per mutation, one per entry of `pendingSizes`.
        var medianMicroseconds: [Double]
        /// How many mutations each median was taken over.
        var samples: [Int]
        /// `medianMicroseconds.last / medianMicroseconds.first` (10,000 pending over 10).
        var ratio: Double

        /// Creates a row; `ratio` is derived from the medians.
        init(approach: String, medianMicroseconds: [Double], samples: [Int]) {
            self.approach = approach
            self.medianMicroseconds = medianMicroseconds
            self.samples = samples
            if let first = medianMicroseconds.first, let last = medianMicroseconds.last, first > 0 {
                ratio = last / first
            } else {
                ratio = 0
            }
        }

        enum CodingKeys: String, CodingKey {
            case approach
            case medianMicroseconds = "median_microseconds"
            case samples
            case ratio
        }
    }

    /// Pending deliveries in the store during each measurement.
    var pendingSizes: [Int]
    /// One row per approach.
    var rows: [Row]

    /// Creates a result table.
    init(pendingSizes: [Int], rows: [Row]) {
        self.pendingSizes = pendingSizes
        self.rows = rows
    }

    enum CodingKeys: String, CodingKey {
        case pendingSizes = "pending_sizes"
        case rows
    }

    /// The table in Markdown, one row per approach, medians in microseconds.
    func markdownTable() -> String {
        let sizes = pendingSizes.map { "\(Self.grouped($0)) pending" }
        let last = pendingSizes.last.map(Self.grouped) ?? "?"
        let first = pendingSizes.first.map(Self.grouped) ?? "?"
        var lines = [
            "| approach (median µs per mutation) | " + sizes.joined(separator: " | ") + " | \(last) / \(first) |",
            "|---|" + String(repeating: "---:|", count: pendingSizes.count + 1),
        ]
        for row in rows {
            let cells = row.medianMicroseconds.map { Self.format($0) }
            lines.append("| \(row.approach) | " + cells.joined(separator: " | ") + " | \(Self.format(row.ratio, digits: 2))x |")
        }
        return lines.joined(separator: "\n")
    }

    static func format(_ value: Double, digits: Int = 0) -> String {
        digits == 0 ? grouped(Int(value.rounded())) : String(format: "%.\(digits)f", value)
    }

    static func grouped(_ value: Int) -> String {
        let digits = Array(String(value))
        var result = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { result.append(",") }
            result.append(digit)
        }
        return result
    }
}
