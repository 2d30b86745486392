import NIOCore
import NIOHTTP1

/// A response whose body arrives incrementally: status and headers up front, then body chunks.
///
/// Iterating yields body chunks as they arrive from the socket (Server-Sent Events, long logs).
/// When the consumer stops — the iterating task is cancelled, or the stream and its iterators
/// are released — the connection is closed. Errors thrown while iterating are `ClientError`s.
/// Chunks are buffered without limit if the consumer is slower than the supervisor.
public struct ClientStream: AsyncSequence, Sendable {
    public typealias Element = [UInt8]
    public typealias AsyncIterator = AsyncThrowingStream<[UInt8], any Error>.AsyncIterator

    /// The status code, e.g. 200.
    public let status: Int
    /// The reason phrase, e.g. "OK".
    public let reason: String
    /// Headers in the order they arrived.
    public let headers: [(String, String)]
    /// The body chunks; iterating `self` iterates this.
    public let body: AsyncThrowingStream<[UInt8], any Error>

    /// The first value of header `name`, compared case-insensitively.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.0.lowercased() == wanted }?.1
    }

    public func makeAsyncIterator() -> AsyncIterator {
        body.makeAsyncIterator()
    }

    /// The body parsed as Server-Sent Events.
    public var events: SSEEventSequence<Self> {
        SSEEventSequence(self)
    }

    /// Reads the rest of the body into one response (for error bodies of non-2xx answers).
    public func collect() async throws(ClientError) -> ClientResponse {
        var bytes: [UInt8] = []
        do {
            for try await chunk in body { bytes += chunk }
        } catch {
            throw error as? ClientError ?? .protocolError(String(describing: error))
        }
        return ClientResponse(status: status, reason: reason, headers: headers, body: bytes)
    }
}

extension UnixHTTPClient {
    /// Sends `request` and returns once the response head has arrived; the body streams afterwards.
    ///
    /// Non-2xx statuses are not errors: check `status`, and `collect()` an error body.
    /// - Parameter headTimeout: a limit on connecting and receiving the head; the body may take as long as it likes.
    public func stream(_ request: ClientRequest, headTimeout: Duration? = nil) async throws(ClientError) -> ClientStream {
        let socketPath = self.socketPath
        let eventLoop = eventLoopGroup.next()
        let headPromise = eventLoop.makePromise(of: HTTPResponseHead.self)
        let (chunks, continuation) = AsyncThrowingStream<[UInt8], any Error>.makeStream()

        let task = Task {
            do {
                let connection = try await self.connect(on: eventLoop, connectTimeout: headTimeout)
                try await withTaskCancellationHandler {
                    try await connection.executeThenClose { inbound, outbound in
                        try await Self.write(request, to: outbound)
                        for try await part in inbound {
                            switch part {
                            case .head(let head):
                                headPromise.succeed(head)
                            case .body(let buffer):
                                continuation.yield(Array(buffer.readableBytesView))
                            case .end:
                                continuation.finish()
                                return
                            }
                        }
                        throw ClientError.connectionReset
                    }
                } onCancel: {
                    connection.channel.close(promise: nil)
                }
            } catch {
                let mapped = Task.isCancelled ? ClientError.cancelled : ClientError(mapping: error, socketPath: socketPath)
                headPromise.fail(mapped)
                continuation.finish(throwing: mapped)
            }
            headPromise.fail(ClientError.connectionReset)  // no-op once the head has arrived
        }
        continuation.onTermination = { _ in task.cancel() }

        var timer: Scheduled<Void>?
        if let headTimeout {
            timer = eventLoop.scheduleTask(in: TimeAmount(headTimeout)) {
                headPromise.fail(ClientError.timeout)
                task.cancel()
            }
        }
        defer { timer?.cancel() }

        let head: HTTPResponseHead
        do {
            head = try await withTaskCancellationHandler {
                try await headPromise.futureResult.get()
            } onCancel: {
                task.cancel()
            }
        } catch {
            task.cancel()
            if Task.isCancelled { throw .cancelled }
            throw ClientError(mapping: error, socketPath: socketPath)
        }
        return ClientStream(
            status: Int(head.status.code),
            reason: head.status.reasonPhrase,
            headers: head.headers.map { ($0.name, $0.value) },
            body: chunks
        )
    }
}
