import XCTest

@testable import OverseerClient

/// SSEParser against the event-stream rules, fed with awkward chunk boundaries.
final class SSEParserTests: XCTestCase {
    /// Feeds `chunks` in order and returns every event.
    func parse(_ chunks: [[UInt8]]) -> [SSEEvent] {
        var parser = SSEParser()
        return chunks.flatMap { parser.feed($0) }
    }

    func parse(_ text: String) -> [SSEEvent] { parse([Array(text.utf8)]) }

    static let sample = Array(
        ("\u{FEFF}: hello\r\nevent: add\ndata: first\r\ndata:  two spaces\rid: 7\n\n"
            + "data: é ✓ 🎉\r\n\r\n" + "retry: 1500\nevent: done\ndata\n\n" + "data: unfinished").utf8
    )
    static let sampleEvents = [
        SSEEvent(event: "add", data: "first\n two spaces", id: "7"),
        SSEEvent(event: nil, data: "é ✓ 🎉", id: "7"),
        SSEEvent(event: "done", data: "", id: "7"),
    ]

    func testWholeSample() {
        var parser = SSEParser()
        XCTAssertEqual(parser.feed(Self.sample), Self.sampleEvents)
        XCTAssertEqual(parser.retry, 1500)
    }

    func testEverySingleSplitPoint() {
        for cut in 0...Self.sample.count {
            let chunks = [Array(Self.sample[..<cut]), Array(Self.sample[cut...])]
            XCTAssertEqual(parse(chunks), Self.sampleEvents, "split at byte \(cut)")
        }
    }

    func testByteAtATime() {
        XCTAssertEqual(parse(Self.sample.map { [$0] }), Self.sampleEvents)
    }

    func testEveryPairOfSplitPoints() {
        let bytes = Self.sample
        for first in stride(from: 0, through: bytes.count, by: 3) {
            for second in first...bytes.count {
                let chunks = [Array(bytes[..<first]), Array(bytes[first..<second]), Array(bytes[second...])]
                XCTAssertEqual(parse(chunks), Self.sampleEvents, "split at \(first) and \(second)")
            }
        }
    }

    func testCRLFSplitAcrossChunksIsOneLineEnd() {
        // If "\r" | "\n" counted as two line ends, "a" would be dispatched on its own.
        let events = parse([Array("data: a\r".utf8), Array("\ndata: b\r".utf8), Array("\n\r".utf8), Array("\n".utf8)])
        XCTAssertEqual(events, [SSEEvent(data: "a\nb")])
    }

    func testBareCRAndLFEndLines() {
        XCTAssertEqual(parse("data: a\rdata: b\r\rdata: c\n\n"), [SSEEvent(data: "a\nb"), SSEEvent(data: "c")])
    }

    func testCommentsAndUnknownFieldsAreIgnored() {
        XCTAssertEqual(parse(":comment\nfoo: bar\n:\ndata: x\n: trailing\n\n"), [SSEEvent(data: "x")])
    }

    func testEventWithoutDataIsNotDispatchedAndResetsType() {
        XCTAssertEqual(parse("event: lonely\n\ndata: next\n\n"), [SSEEvent(data: "next")])
    }

    func testOnlyOneLeadingSpaceIsStripped() {
        XCTAssertEqual(parse("data:no space\ndata:  two\n\n"), [SSEEvent(data: "no space\n two")])
    }

    func testIDPersistsAndNulIDIsIgnored() {
        let events = parse("id: a\ndata: 1\n\ndata: 2\n\nid: b\u{0}c\ndata: 3\n\nid\ndata: 4\n\n")
        XCTAssertEqual(events.map(\.id), ["a", "a", "a", nil])
    }

    func testInvalidRetryIsIgnored() {
        var parser = SSEParser()
        _ = parser.feed(Array("retry: 10\nretry: 5s\nretry: -1\n".utf8))
        XCTAssertEqual(parser.retry, 10)
    }

    func testBOMOnlySkippedAtStartEvenWhenSplit() {
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
        XCTAssertEqual(parse([[0xEF], [0xBB], [0xBF] + Array("data: x\n\n".utf8)]), [SSEEvent(data: "x")])
        // A BOM later in the stream is data, not skipped.
        let events = parse([Array("data: a\n\n".utf8), bom + Array("data: b\n\n".utf8)])
        XCTAssertEqual(events.count, 1, "a mid-stream BOM makes the field name unknown")
    }

    func testUnfinishedEventIsDropped() {
        XCTAssertEqual(parse("data: a\n\ndata: b\n"), [SSEEvent(data: "a")])
    }

    func testAsyncSequenceAdapter() async throws {
        let (chunks, continuation) = AsyncStream<[UInt8]>.makeStream()
        for cut in stride(from: 0, to: Self.sample.count, by: 5) {
            continuation.yield(Array(Self.sample[cut..<min(cut + 5, Self.sample.count)]))
        }
        continuation.finish()
        var events: [SSEEvent] = []
        for try await event in SSEEventSequence(chunks) { events.append(event) }
        XCTAssertEqual(events, Self.sampleEvents)
    }
}
