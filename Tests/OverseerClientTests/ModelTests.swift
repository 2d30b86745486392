import NIOCore
import NIOHTTP1
import XCTest

@testable import OverseerClient

#if canImport(Glibc)
import Glibc
#endif

/// Error mapping, request framing and response helpers, without a socket.
final class ModelTests: XCTestCase {
    let path = "/run/overseer.sock"

    func testErrnoMapping() {
        func mapped(_ code: CInt) -> ClientError {
            ClientError(mapping: IOError(errnoCode: code, reason: "connect"), socketPath: path)
        }
        XCTAssertEqual(mapped(ENOENT), .socketMissing(path))
        XCTAssertEqual(mapped(ENOTDIR), .socketMissing(path))
        XCTAssertEqual(mapped(ECONNREFUSED), .connectionRefused(path))
        XCTAssertEqual(mapped(EACCES), .permissionDenied(path))
        XCTAssertEqual(mapped(EPERM), .permissionDenied(path))
        XCTAssertEqual(mapped(ECONNRESET), .connectionReset)
        XCTAssertEqual(mapped(EPIPE), .connectionReset)
        XCTAssertEqual(mapped(ETIMEDOUT), .timeout)
        guard case .protocolError(let message) = mapped(EMFILE) else { return XCTFail("EMFILE") }
        XCTAssertTrue(message.contains(path), message)
    }

    func testNIOErrorMapping() {
        func mapped(_ error: any Error) -> ClientError { ClientError(mapping: error, socketPath: path) }
        XCTAssertEqual(mapped(ChannelError.eof), .connectionReset)
        XCTAssertEqual(mapped(ChannelError.ioOnClosedChannel), .connectionReset)
        XCTAssertEqual(mapped(ChannelError.connectTimeout(.seconds(1))), .timeout)
        XCTAssertEqual(mapped(HTTPParserError.invalidEOFState), .connectionReset)
        XCTAssertEqual(mapped(CancellationError()), .cancelled)
        XCTAssertEqual(mapped(ClientError.timeout), .timeout)
        guard case .protocolError = mapped(HTTPParserError.invalidChunkSize) else { return XCTFail("chunk size") }
    }

    func testRetryable() {
        XCTAssertFalse(ClientError.socketMissing(path).isRetryable, "no socket file: nobody to wait for")
        XCTAssertTrue(ClientError.connectionRefused(path).isRetryable)
        XCTAssertTrue(ClientError.connectionReset.isRetryable)
        XCTAssertFalse(ClientError.permissionDenied(path).isRetryable)
        XCTAssertFalse(ClientError.timeout.isRetryable)
        XCTAssertFalse(ClientError.cancelled.isRetryable)
        XCTAssertFalse(ClientError.protocolError("x").isRetryable)
    }

    func head(of request: ClientRequest) throws -> HTTPRequestHead {
        guard case .head(let head) = UnixHTTPClient.requestParts(request).first else {
            throw XCTSkip("no head part")
        }
        return head
    }

    func testRequestFraming() throws {
        let post = try head(of: ClientRequest(.post, "/agents/web/stop", body: []))
        XCTAssertEqual(post.method, .POST)
        XCTAssertEqual(post.uri, "/agents/web/stop")
        XCTAssertEqual(post.headers["Host"], ["localhost"])
        XCTAssertEqual(post.headers["Connection"], ["close"])
        XCTAssertEqual(post.headers["Content-Length"], ["0"])

        let get = try head(of: .get("/agents", headers: [("host", "overseer"), ("Connection", "keep-alive")]))
        XCTAssertEqual(get.headers["host"], ["overseer"])
        XCTAssertEqual(get.headers["connection"], ["close"])
        XCTAssertFalse(get.headers.contains(name: "content-length"))

        let parts = UnixHTTPClient.requestParts(ClientRequest(.put, "/x", body: Array("abc".utf8)))
        XCTAssertEqual(parts.count, 3)
        guard case .head(let put) = parts[0] else { return XCTFail("no head") }
        XCTAssertEqual(put.headers["content-length"], ["3"])
    }

    func testJSONRequest() throws {
        let request = try ClientRequest.json(.post, "/agents", ["name": "web"])
        XCTAssertEqual(request.method, .post)
        XCTAssertEqual(request.header("content-type"), "application/json")
        XCTAssertEqual(String(decoding: request.body, as: UTF8.self), #"{"name":"web"}"#)
        XCTAssertEqual(ClientRequest.Method(rawValue: "get"), .get)
    }

    func testResponseHelpers() throws {
        let response = ClientResponse(
            status: 201,
            headers: [("Content-Type", "application/json"), ("X-Tag", "a"), ("x-tag", "b")],
            body: Array(#"{"pid":42}"#.utf8)
        )
        XCTAssertEqual(response.header("content-type"), "application/json")
        XCTAssertEqual(response[header: "CONTENT-TYPE"], "application/json")
        XCTAssertEqual(response.headers(named: "X-TAG"), ["a", "b"])
        XCTAssertNil(response.header("missing"))
        XCTAssertTrue(response.isSuccess)
        XCTAssertEqual(response.text, #"{"pid":42}"#)
        struct Pid: Decodable { var pid: Int }
        XCTAssertEqual(try response.decode(Pid.self).pid, 42)
    }
}
