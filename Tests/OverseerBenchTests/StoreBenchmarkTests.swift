import Foundation
import XCTest

@testable import OverseerBench

/// The store benchmark Scripts/bench reads: its table's shape, its JSON keys, its cleanup.
final class StoreBenchmarkTests: XCTestCase {
    var directory: String!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("overseer-bench-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    func testTheBenchmarkProducesAFullTableAndCleansUp() throws {
        let options = StoreBenchmark.Options(pendingSizes: [5, 50], storeCycles: 3, peerCycles: 2, warmupCycles: 1)
        let result = try StoreBenchmark.run(in: directory, options: options)
        XCTAssertEqual(result.pendingSizes, [5, 50])
        XCTAssertEqual(result.rows.count, 4)
        XCTAssertEqual(result.rows.map(\.samples), [[12, 12], [3, 3], [8, 8], [8, 8]])
        for row in result.rows {
            XCTAssertTrue(row.medianMicroseconds.allSatisfy { $0 > 0 }, "\(row)")
            XCTAssertEqual(row.ratio, row.medianMicroseconds[1] / row.medianMicroseconds[0], accuracy: 1e-9)
        }
        let table = result.markdownTable().split(separator: "\n")
        XCTAssertEqual(table.count, 6)
        XCTAssertTrue(table[0].hasPrefix("| approach") && table[0].contains("50 / 5"), String(table[0]))
        let json = String(decoding: try JSONEncoder().encode(result), as: UTF8.self)
        XCTAssertTrue(json.contains("\"median_microseconds\"") && json.contains("\"pending_sizes\""), json)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory), [])
    }

    func testMedianOfOddAndEvenCounts() {
        XCTAssertEqual(StoreBenchmark.median([5, 1, 3]), 3)
        XCTAssertEqual(StoreBenchmark.median([4, 1, 3, 2]), 2.5)
        XCTAssertEqual(StoreBenchmark.median([]), 0)
    }
}
