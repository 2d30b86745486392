import COverseerSys
import NIOCore
import NIOPosix
import OverseerSystem
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// The result of one non-blocking write to a PTY.
public enum DirectWrite: Sendable, Equatable {
    /// This many bytes were taken (possibly fewer than offered).
    case wrote(Int)
    /// The PTY's input buffer is full: nothing was taken.
    case wouldBlock
    /// The write failed (EIO: the terminal is gone).
    case failed(errno: Errno)
}

/// Errors from an agent's terminal.
public enum TerminalError: Error, Sendable, CustomStringConvertible {
    case closed
    case resizeFailed(errno: Errno)

    public var description: String {
        switch self {
        case .closed: "the agent's terminal is closed"
        case .resizeFailed(let errno): "resize failed: \(errno)"
        }
    }
}

/// The supervisor's end of an agent's PTY, on a NIO event loop: output is always drained
/// (an undrained PTY blocks the agent) into the ring buffer and the transcript; input is
/// written without ever blocking the loop (NIO queues it until the PTY takes it).
public final class AgentTerminal: Sendable {
    public let output: OutputRing
    private let channel: any Channel
    /// A separate descriptor for window-size ioctls (NIO owns the channel's).
    private let controlFD: Int32

    private init(output: OutputRing, channel: any Channel, controlFD: Int32) {
        self.output = output
        self.channel = channel
        self.controlFD = controlFD
    }

    deinit { Glibc.close(controlFD) }

    /// Takes ownership of `masterFD` and starts draining it. The drain only copies (into the
    /// ring and the transcript): whatever parses the output (the screen model) reads it from
    /// the ring on its own thread. `onClose` runs once when the PTY closes (all slave ends gone,
    /// or `close()`).
    public static func start(masterFD: Int32, output: OutputRing, transcript: TranscriptWriter?, group: any EventLoopGroup, onClose: @escaping @Sendable () -> Void) async throws -> AgentTerminal {
        let controlFD: Int32
        switch Syscall.retryingOnInterrupt({ fcntl(masterFD, F_DUPFD_CLOEXEC, 3) }) {
        case .success(let duplicate): controlFD = duplicate
        case .failure(let errno): throw TerminalError.resizeFailed(errno: errno)
        }
        do {
            // Read in large chunks and several times per wakeup: PTY output comes in bursts
            // and every extra trip through epoll costs throughput.
            let channel = try await NIOPipeBootstrap(group: group)
                .channelOption(.allowRemoteHalfClosure, value: false)
                .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 65536))
                .channelOption(.maxMessagesPerRead, value: 16)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            DrainHandler(output: output, transcript: transcript, onClose: onClose)
                        )
                    }
                }
                .takingOwnershipOfDescriptor(inputOutput: masterFD)
                .get()
            return AgentTerminal(output: output, channel: channel, controlFD: controlFD)
        } catch {
            Glibc.close(controlFD)
            throw error
        }
    }

    public var isOpen: Bool { channel.isActive }

    /// Queues bytes for the agent's input; completes when written to the PTY.
    public func write(_ bytes: [UInt8]) async throws {
        guard channel.isActive else { throw TerminalError.closed }
        var buffer = channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        try await channel.writeAndFlush(buffer)
    }

    /// Writes what the PTY takes right now, without blocking and without queueing anything:
    /// the caller learns exactly how many bytes were typed (deliveries must never type a
    /// byte twice, so they cannot hand bytes to a queue they do not control).
    public func writeNow(_ bytes: ArraySlice<UInt8>) -> DirectWrite {
        guard !bytes.isEmpty else { return .wrote(0) }
        let result = bytes.withUnsafeBytes { buffer in
            Syscall.retryingOnInterrupt { Glibc.write(controlFD, buffer.baseAddress, buffer.count) }
        }
        switch result {
        case .success(let count): return .wrote(count)
        case .failure(let errno) where errno == .wouldBlock || errno == .resourceTemporarilyUnavailable: return .wouldBlock
        case .failure(let errno): return .failed(errno: errno)
        }
    }

    public func resize(rows: UInt16, cols: UInt16) throws(TerminalError) {
        let rc = ov_pty_set_size(controlFD, rows, cols)
        if case .failure(let errno) = Syscall.shimResult(rc) { throw .resizeFailed(errno: errno) }
    }

    public func size() -> (rows: UInt16, cols: UInt16)? {
        var rows: UInt16 = 0
        var cols: UInt16 = 0
        return ov_pty_get_size(controlFD, &rows, &cols) == 0 ? (rows, cols) : nil
    }

    /// The program's current line discipline (nil once the PTY is gone).
    public func lineDiscipline() -> LineDiscipline? {
        LineDiscipline.read(fd: controlFD)
    }

    /// Closes the master (the agent's session gets SIGHUP from the kernel if it still runs).
    public func close() async {
        try? await channel.close()
    }

    /// Waits until the PTY has closed.
    public func closed() async {
        try? await channel.closeFuture.get()
    }
}

/// Copies everything read from the PTY master into the ring and the transcript, once per
/// burst of reads (channelReadComplete), so a fast writer costs one ring update and one
/// transcript write per wakeup rather than per read.
final class DrainHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer

    let output: OutputRing
    let transcript: TranscriptWriter?
    let onClose: @Sendable () -> Void
    private var pending: ByteBuffer?

    init(output: OutputRing, transcript: TranscriptWriter?, onClose: @escaping @Sendable () -> Void) {
        self.output = output
        self.transcript = transcript
        self.onClose = onClose
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        if pending == nil {
            pending = buffer
        } else {
            pending!.writeBuffer(&buffer)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flush()
        context.fireChannelReadComplete()
    }

    /// Hands the pending burst on.
    private func flush() {
        guard let buffer = pending else { return }
        pending = nil
        buffer.withUnsafeReadableBytes { bytes in
            output.append(bytes)
            transcript?.write(bytes)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // EIO: every slave end is closed (the agent and its tree are gone). Close quietly.
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        flush()
        transcript?.close()
        output.close()
        onClose()
        context.fireChannelInactive()
    }
}
